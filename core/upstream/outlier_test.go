package upstream

import (
	"errors"
	"testing"
	"time"
)

func outlierCluster(t *testing.T, clk *fakeClock, n int, o OutlierOptions) *Cluster {
	return newTestCluster(t, ClusterOptions{Hosts: hostsN(n), Clock: clk, Outlier: &o})
}

func failN(h *Host, n, status int, err error) {
	for i := 0; i < n; i++ {
		h.RecordResult(status, err)
	}
}

// TestOutlierEjectionAndReturn: consecutive 5xx eject a host, which leaves
// the balancer for base_ejection_time × its ejections and then returns.
func TestOutlierEjectionAndReturn(t *testing.T) {
	clk := newFakeClock()
	o := DefaultOutlierOptions()
	o.MaxEjectionPercent = 50
	c := outlierCluster(t, clk, 4, o)
	h := c.Hosts()[0]

	failN(h, 4, 500, nil)
	h.RecordResult(200, nil) // a success resets the count
	failN(h, 4, 500, nil)
	if h.Ejected() {
		t.Fatal("ejected after 4 consecutive 5xx, want 5")
	}
	h.RecordResult(500, nil)
	if !h.Ejected() || h.Healthy() {
		t.Fatal("not ejected after 5 consecutive 5xx")
	}
	if n := c.Stats().Ejections.Load(); n != 1 {
		t.Errorf("ejections counter %d, want 1", n)
	}
	for i := 0; i < 200; i++ {
		if c.ChooseHost(nil) == h {
			t.Fatal("an ejected host was chosen")
		}
	}
	// First ejection: 30s, seen by the 10s sweeps.
	clk.Advance(29 * time.Second)
	if !h.Ejected() {
		t.Fatal("returned before base_ejection_time")
	}
	clk.Advance(time.Second)
	if h.Ejected() {
		t.Fatal("still ejected after base_ejection_time")
	}
	if counts := pick(t, c, 400, noKey); counts[h.Address()] == 0 {
		t.Fatal("a returned host gets no traffic")
	}
	// Ejected again at once: twice as long.
	failN(h, 5, 503, nil)
	if !h.Ejected() {
		t.Fatal("not ejected the second time")
	}
	clk.Advance(50 * time.Second)
	if !h.Ejected() {
		t.Fatal("a second ejection lasted less than 2 × base_ejection_time")
	}
	clk.Advance(10 * time.Second)
	if h.Ejected() {
		t.Fatal("still ejected after 2 × base_ejection_time")
	}
	// Intervals spent healthy bring the multiplier back down.
	clk.Advance(time.Minute)
	failN(h, 5, 500, nil)
	clk.Advance(30 * time.Second)
	if h.Ejected() {
		t.Fatal("after a healthy spell an ejection should last base_ejection_time again")
	}
}

func TestOutlierGatewayFailures(t *testing.T) {
	errReset := errors.New("connection reset")
	t.Run("not enforced by default", func(t *testing.T) {
		o := DefaultOutlierOptions()
		o.Consecutive5xx = 0 // only the gateway check
		c := outlierCluster(t, newFakeClock(), 4, o)
		failN(c.Hosts()[0], 10, 502, nil)
		if c.Hosts()[0].Ejected() {
			t.Fatal("enforcing_consecutive_gateway_failure defaults to 0")
		}
	})
	t.Run("enforced", func(t *testing.T) {
		o := DefaultOutlierOptions()
		o.Consecutive5xx = 0
		o.ConsecutiveGatewayFailure = 3
		o.EnforcingConsecutiveGatewayFailure = 100
		o.MaxEjectionPercent = 100
		c := outlierCluster(t, newFakeClock(), 4, o)
		h := c.Hosts()[0]
		h.RecordResult(0, errReset)
		h.RecordResult(504, nil)
		h.RecordResult(500, nil) // a 5xx that is not a gateway failure resets the count
		h.RecordResult(0, errReset)
		h.RecordResult(503, nil)
		if h.Ejected() {
			t.Fatal("ejected after 2 gateway failures in a row")
		}
		h.RecordResult(0, errReset)
		if !h.Ejected() {
			t.Fatal("not ejected after 3 gateway failures (connect errors count)")
		}
	})
	t.Run("enforcing 0 for 5xx", func(t *testing.T) {
		o := DefaultOutlierOptions()
		o.EnforcingConsecutive5xx = 0
		c := outlierCluster(t, newFakeClock(), 4, o)
		failN(c.Hosts()[0], 20, 500, nil)
		if c.Hosts()[0].Ejected() {
			t.Fatal("ejected with enforcing_consecutive_5xx 0")
		}
	})
}

func TestOutlierMaxEjectionPercent(t *testing.T) {
	o := DefaultOutlierOptions()
	o.MaxEjectionPercent = 30
	c := outlierCluster(t, newFakeClock(), 10, o)
	for _, h := range c.Hosts() {
		failN(h, 5, 500, nil)
	}
	ejected := 0
	for _, h := range c.Hosts() {
		if h.Ejected() {
			ejected++
		}
	}
	if ejected != 3 {
		t.Fatalf("%d of 10 hosts ejected, max_ejection_percent 30 allows 3", ejected)
	}
	// The 10% default still ejects one host of three.
	c = outlierCluster(t, newFakeClock(), 3, DefaultOutlierOptions())
	for _, h := range c.Hosts() {
		failN(h, 5, 500, nil)
	}
	if !c.Hosts()[0].Ejected() || c.Hosts()[1].Ejected() || c.Hosts()[2].Ejected() {
		t.Fatal("with 10% of 3 hosts, exactly the first outlier should be ejected")
	}
}

func TestOutlierMaxEjectionTime(t *testing.T) {
	clk := newFakeClock()
	o := DefaultOutlierOptions()
	o.BaseEjectionTime = 100 * time.Second
	o.MaxEjectionTime = 150 * time.Second
	o.Interval = time.Second
	c := outlierCluster(t, clk, 2, o)
	h := c.Hosts()[0]
	failN(h, 5, 500, nil)
	clk.Advance(100 * time.Second)
	failN(h, 5, 500, nil) // second ejection: 200s, capped at 150s
	clk.Advance(150 * time.Second)
	if h.Ejected() {
		t.Fatal("an ejection outlasted max_ejection_time")
	}
}
