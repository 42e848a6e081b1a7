package upstream

import (
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// restartable is a TCP upstream on 127.0.0.1 that can be stopped and
// started again on the same port.
type restartable struct {
	t    *testing.T
	addr string
	ln   net.Listener
}

func newRestartable(t *testing.T) *restartable {
	r := &restartable{t: t}
	r.start("127.0.0.1:0")
	r.addr = r.ln.Addr().String()
	t.Cleanup(r.stop)
	return r
}

func (r *restartable) start(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		r.t.Fatal(err)
	}
	r.ln = ln
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
}

func (r *restartable) stop() {
	if r.ln != nil {
		r.ln.Close()
		r.ln = nil
	}
}

// TestHealthCheckTCP: a killed upstream is marked unhealthy within
// interval × unhealthy_threshold (plus a timeout) and comes back when it
// is restarted; the balancer sees each change at once.
func TestHealthCheckTCP(t *testing.T) {
	up := newRestartable(t)
	other := newRestartable(t)
	const interval, threshold = 50 * time.Millisecond, 3
	logPath := filepath.Join(t.TempDir(), "hc.log")
	c := newTestCluster(t, ClusterOptions{
		Hosts: []HostOptions{{Address: up.addr}, {Address: other.addr}},
		HealthCheck: &HealthCheckOptions{
			Timeout: 100 * time.Millisecond, Interval: interval, UnhealthyThreshold: threshold,
			HealthyThreshold: 2, EventLogPath: logPath,
		},
	})
	h := c.Hosts()[0]
	time.Sleep(3 * interval)
	if !h.Healthy() {
		t.Fatal("a listening upstream was marked unhealthy")
	}

	up.stop()
	stopped := time.Now()
	waitFor(t, "the stopped upstream to be marked unhealthy", func() bool { return !h.Healthy() })
	// A refused connect fails at once, so the threshold's failures take at
	// most interval × threshold; the slack absorbs a loaded machine's late
	// timers.
	took := time.Since(stopped)
	if bound := interval*threshold + 150*time.Millisecond; took > bound {
		t.Errorf("marked unhealthy after %s, want within interval × unhealthy_threshold (%s, + slack)", took, interval*threshold)
	}
	t.Logf("marked unhealthy %s after the upstream stopped (interval %s × threshold %d)", took, interval, threshold)
	for i := 0; i < 100; i++ {
		if got := c.ChooseHost(nil); got != c.Hosts()[1] {
			t.Fatalf("an unhealthy host was chosen: %s", got.Address())
		}
	}

	up.start(up.addr)
	waitFor(t, "the restarted upstream to be healthy again", h.Healthy)
	seen := map[*Host]bool{}
	for i := 0; i < 100; i++ {
		seen[c.ChooseHost(nil)] = true
	}
	if len(seen) != 2 {
		t.Fatalf("after recovery %d hosts take traffic, want 2", len(seen))
	}

	c.Close()
	st := c.Stats()
	if a, ok, f := st.HealthCheckAttempts.Load(), st.HealthCheckSuccesses.Load(), st.HealthCheckFailures.Load(); f < threshold || ok == 0 || a != ok+f {
		t.Errorf("health check counters: %d attempts, %d passed, %d failed", a, ok, f)
	}
	data, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	var events []string
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var e healthEvent
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("event log line %q: %v", line, err)
		}
		if e.Host != up.addr || e.Cluster != "c" || e.Checker != "TCP" {
			t.Errorf("event %+v", e)
		}
		events = append(events, e.Event)
	}
	if got := strings.Join(events, " "); got != "unhealthy healthy" {
		t.Errorf("event log: %q, want \"unhealthy healthy\"", got)
	}
}

// TestHealthCheckHTTP checks the path, the Host header and the expected
// statuses against a net/http server.
func TestHealthCheckHTTP(t *testing.T) {
	var status atomic.Int32
	status.Store(200)
	var gotHost, gotPath atomic.Value
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotHost.Store(r.Host)
		gotPath.Store(r.URL.Path)
		w.WriteHeader(int(status.Load()))
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	c := newTestCluster(t, ClusterOptions{
		Hosts: []HostOptions{{Address: ln.Addr().String()}},
		HealthCheck: &HealthCheckOptions{
			Protocol: HealthCheckHTTP, Interval: 10 * time.Millisecond, UnhealthyThreshold: 2,
			HTTP: HTTPHealthCheck{Path: "/healthz", Host: "backend.local", ExpectedStatuses: []int{200, 204}},
		},
	})
	h := c.Hosts()[0]
	waitFor(t, "a first check", func() bool { return gotPath.Load() != nil })
	if gotPath.Load() != "/healthz" || gotHost.Load() != "backend.local" {
		t.Errorf("check sent path %v host %v", gotPath.Load(), gotHost.Load())
	}
	status.Store(204)
	time.Sleep(50 * time.Millisecond)
	if !h.Healthy() {
		t.Fatal("204 is expected, yet the host was marked unhealthy")
	}
	status.Store(503)
	waitFor(t, "503 to mark the host unhealthy", func() bool { return !h.Healthy() })
	status.Store(200)
	waitFor(t, "200 to mark the host healthy", h.Healthy)
}

// TestHealthCheckStopsWithHost: removing a host stops its checks.
func TestHealthCheckStopsWithHost(t *testing.T) {
	var checks atomic.Int32
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			checks.Add(1)
			c.Close()
		}
	}()
	c := newTestCluster(t, ClusterOptions{
		Type:        ClusterEDS,
		Hosts:       []HostOptions{{Address: ln.Addr().String()}},
		HealthCheck: &HealthCheckOptions{Interval: 5 * time.Millisecond},
	})
	waitFor(t, "checks", func() bool { return checks.Load() > 2 })
	c.UpdateHosts(nil)
	time.Sleep(20 * time.Millisecond) // a check already dialling may land
	n := checks.Load()
	time.Sleep(50 * time.Millisecond)
	if checks.Load() != n {
		t.Fatalf("a removed host is still checked: %d checks, then %d", n, checks.Load())
	}
}

func TestHealthCheckOptionsErrors(t *testing.T) {
	_, err := NewCluster(ClusterOptions{Name: "c", HealthCheck: &HealthCheckOptions{Protocol: "bolt"}}, NewLoadBalancerRegistry())
	if err == nil || err.Error() != `upstream: cluster "c": health check: unknown protocol "bolt"` {
		t.Fatalf("got %v", err)
	}
	_, err = NewCluster(ClusterOptions{Name: "c", HealthCheck: &HealthCheckOptions{EventLogPath: "/nonexistent/dir/hc.log"}}, NewLoadBalancerRegistry())
	if err == nil || !strings.Contains(err.Error(), "event log") {
		t.Fatalf("got %v", err)
	}
}
