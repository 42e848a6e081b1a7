package proxy_test

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/seed405ffdea/mosn/core/metrics"
	"github.com/seed405ffdea/mosn/core/proxy"
)

// withMetrics returns a proxyConf option recording into fresh metrics.
func withMetrics(t testing.TB, o metrics.Options) (*metrics.Metrics, *prometheus.Registry, func(*proxy.Options)) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, o)
	if err != nil {
		t.Fatal(err)
	}
	m.Cluster("c")
	stats := &proxy.Stats{Metrics: m.HTTP("test")}
	return m, reg, func(po *proxy.Options) { po.Stats = stats }
}

// Recording metrics keeps the proxied request free of allocations.
func TestProxyPathAllocsWithMetrics(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation budgets are checked without -race (sync.Pool drops items under the race detector)")
	}
	for _, o := range []metrics.Options{{}, {Istio: &metrics.IstioOptions{}}} {
		_, _, opt := withMetrics(t, o)
		addr := startProxyConf(t, rawOrigin(t, []byte("hello")), proxyConf{opts: opt})
		rt := newRoundTripper(t, addr, 5)
		for i := 0; i < 100; i++ {
			rt.do(t)
		}
		allocs := testing.AllocsPerRun(200, func() { rt.do(t) })
		if allocs >= 0.5 {
			t.Fatalf("%+v: %.2f allocations per proxied request, want 0", o, allocs)
		}
	}
}

func TestProxyRecordsMetrics(t *testing.T) {
	_, reg, opt := withMetrics(t, metrics.Options{})
	addr := startProxyConf(t, rawOrigin(t, []byte("hello")), proxyConf{opts: opt})
	rt := newRoundTripper(t, addr, 5)
	for i := 0; i < 3; i++ {
		rt.do(t)
	}
	// A request's finish runs after its response is written: poll.
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := counter(t, reg, "envoy_cluster_upstream_rq_total")
		if got == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("upstream_rq_total %v, want 3", got)
		}
		time.Sleep(time.Millisecond)
	}
	if got := counter(t, reg, "envoy_cluster_host_rq_success"); got != 3 {
		t.Errorf("host rq_success %v", got)
	}
}

// counter returns the first sample of the named family, -1 if none.
func counter(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.Metric) > 0 {
			return mf.Metric[0].GetCounter().GetValue()
		}
	}
	return -1
}
