package metrics

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/seed405ffdea/mosn/api"
	"github.com/seed405ffdea/mosn/core/upstream"
)

func newMetrics(t testing.TB, o Options) (*Metrics, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	m, err := New(reg, o)
	if err != nil {
		t.Fatal(err)
	}
	return m, reg
}

// gather returns the registry's families by name.
func gather(t testing.TB, reg prometheus.Gatherer) map[string]*dto.MetricFamily {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		out[mf.GetName()] = mf
	}
	return out
}

// value finds the sample of family name whose labels include want.
func value(t testing.TB, fams map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	t.Helper()
	mf := fams[name]
	if mf == nil {
		return 0, false
	}
next:
	for _, m := range mf.Metric {
		got := map[string]string{}
		for _, lp := range m.Label {
			got[lp.GetName()] = lp.GetValue()
		}
		for k, v := range want {
			if got[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

func expect(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels map[string]string, want float64) {
	t.Helper()
	got, ok := value(t, fams, name, labels)
	if !ok {
		t.Errorf("%s%v: missing", name, labels)
		return
	}
	if got != want {
		t.Errorf("%s%v = %v, want %v", name, labels, got, want)
	}
}

func TestRecordEnvoyNames(t *testing.T) {
	m, reg := newMetrics(t, Options{})
	ln := m.Listener("l1", "127.0.0.1:8080")
	ln.SetSource(func() (uint64, uint64) { return 5, 2 })
	h := m.HTTP("l1")
	h.SetSources(func() (uint64, uint64) { return 5, 2 }, func() (uint64, int64) { return 12, 1 })
	m.Cluster("reviews")
	for i := 0; i < 7; i++ {
		h.Record(&Request{Status: 200, Duration: 3 * time.Millisecond, BytesReceived: 10, BytesSent: 100, Cluster: "reviews", Host: "10.0.0.1:80"})
	}
	for i := 0; i < 3; i++ {
		h.Record(&Request{Status: 503, Duration: 40 * time.Millisecond, Cluster: "reviews", Host: "10.0.0.2:80"})
	}
	h.Record(&Request{Status: 504, Flags: api.UpstreamRequestTimeout, Duration: time.Second, Cluster: "reviews", Host: "10.0.0.2:80"})
	h.Record(&Request{Status: 503, Flags: api.NoHealthyUpstream, Cluster: "reviews"})
	h.Record(&Request{Status: 404, Flags: api.NoRouteFound})
	h.Record(&Request{Status: 400, Flags: api.DownstreamProtocolError})
	h.Record(&Request{Status: 200, Cluster: "gone", Host: "x:1"}) // no handle: HCM only

	fams := gather(t, reg)
	cl := map[string]string{"envoy_cluster_name": "reviews"}
	expect(t, fams, "envoy_cluster_upstream_rq_total", cl, 11)
	expect(t, fams, "envoy_cluster_upstream_rq_completed", cl, 11)
	expect(t, fams, "envoy_cluster_upstream_rq_xx", map[string]string{"envoy_cluster_name": "reviews", "envoy_response_code_class": "2"}, 7)
	expect(t, fams, "envoy_cluster_upstream_rq_xx", map[string]string{"envoy_cluster_name": "reviews", "envoy_response_code_class": "5"}, 4)
	expect(t, fams, "envoy_cluster_upstream_rq", map[string]string{"envoy_cluster_name": "reviews", "envoy_response_code": "503"}, 3)
	expect(t, fams, "envoy_cluster_upstream_rq", map[string]string{"envoy_cluster_name": "reviews", "envoy_response_code": "504"}, 1)
	expect(t, fams, "envoy_cluster_upstream_rq_timeout", cl, 1)
	expect(t, fams, "envoy_cluster_upstream_cx_none_healthy", cl, 1)
	expect(t, fams, "envoy_cluster_upstream_cx_rx_bytes_total", cl, 700)
	expect(t, fams, "envoy_cluster_upstream_cx_tx_bytes_total", cl, 70)
	expect(t, fams, "envoy_cluster_upstream_rq_time", cl, 11) // sample count
	expect(t, fams, "envoy_cluster_host_rq_total", map[string]string{"upstream_host": "10.0.0.2:80"}, 4)
	expect(t, fams, "envoy_cluster_host_rq_error", map[string]string{"upstream_host": "10.0.0.2:80"}, 4)
	expect(t, fams, "envoy_cluster_host_rq_success", map[string]string{"upstream_host": "10.0.0.1:80"}, 7)
	expect(t, fams, "envoy_cluster_host_rq_timeout", map[string]string{"upstream_host": "10.0.0.2:80"}, 1)

	hcm := map[string]string{"envoy_http_conn_manager_prefix": "l1"}
	expect(t, fams, "envoy_http_downstream_rq_total", hcm, 12)
	expect(t, fams, "envoy_http_downstream_rq_active", hcm, 1)
	expect(t, fams, "envoy_http_downstream_rq_xx", map[string]string{"envoy_http_conn_manager_prefix": "l1", "envoy_response_code_class": "2"}, 8)
	expect(t, fams, "envoy_http_downstream_rq_xx", map[string]string{"envoy_http_conn_manager_prefix": "l1", "envoy_response_code_class": "4"}, 2)
	expect(t, fams, "envoy_http_downstream_rq_xx", map[string]string{"envoy_http_conn_manager_prefix": "l1", "envoy_response_code_class": "5"}, 5)
	expect(t, fams, "envoy_http_no_route", hcm, 1)
	expect(t, fams, "envoy_http_downstream_cx_protocol_error", hcm, 1)
	expect(t, fams, "envoy_http_downstream_rq_time", hcm, 15)
	expect(t, fams, "envoy_http_downstream_cx_active", hcm, 3)

	lnl := map[string]string{"envoy_listener_address": "127.0.0.1_8080"}
	expect(t, fams, "envoy_listener_downstream_cx_total", lnl, 5)
	expect(t, fams, "envoy_listener_downstream_cx_active", lnl, 3)
	expect(t, fams, "envoy_listener_downstream_cx_destroy", lnl, 2)

	// Histogram buckets are populated where the samples fell: 7 at 3ms
	// (bucket le=5), 3 at 40ms (le=50), 1 at 1000ms.
	hist := fams["envoy_cluster_upstream_rq_time"].Metric[0].Histogram
	cum := map[float64]uint64{}
	for _, b := range hist.Bucket {
		cum[b.GetUpperBound()] = b.GetCumulativeCount()
	}
	if cum[1] != 0 || cum[5] != 7 || cum[25] != 7 || cum[50] != 10 || cum[500] != 10 || cum[1000] != 11 {
		t.Errorf("buckets %v", cum)
	}
	if math.Abs(hist.GetSampleSum()-(7*3+3*40+1000)) > 1e-9 {
		t.Errorf("sum %v", hist.GetSampleSum())
	}
}

func TestMOSNNames(t *testing.T) {
	m, reg := newMetrics(t, Options{Naming: NamingMOSN})
	m.Listener("l1", "127.0.0.1:1").SetSource(func() (uint64, uint64) { return 1, 0 })
	h := m.HTTP("p1")
	m.Cluster("c1")
	h.Record(&Request{Status: 502, Flags: api.UpstreamConnectionFailure, Cluster: "c1", Host: "h:1"})
	fams := gather(t, reg)
	expect(t, fams, "mosn_downstream_connection_total", map[string]string{"listener": "l1"}, 1)
	expect(t, fams, "mosn_upstream_request_total", map[string]string{"cluster": "c1"}, 1)
	expect(t, fams, "mosn_upstream_request_code", map[string]string{"cluster": "c1", "response_code": "502"}, 1)
	expect(t, fams, "mosn_upstream_connection_con_fail", map[string]string{"cluster": "c1"}, 1)
	expect(t, fams, "mosn_downstream_request_xx", map[string]string{"proxy": "p1", "response_code_class": "5"}, 1)
	expect(t, fams, "mosn_host_response_failed", map[string]string{"cluster": "c1", "host": "h:1"}, 1)
	for name := range fams {
		if strings.HasPrefix(name, "envoy_") {
			t.Errorf("envoy name %s under MOSN naming", name)
		}
	}
	if m.Naming() != NamingMOSN {
		t.Error("Naming")
	}
	if _, err := New(prometheus.NewRegistry(), Options{Naming: "x"}); err == nil {
		t.Error("unknown naming accepted")
	}
}

func TestIstio(t *testing.T) {
	m, reg := newMetrics(t, Options{Istio: &IstioOptions{Workload: "productpage-v1", Namespace: "default", App: "productpage", Version: "v1"}})
	h := m.HTTP("outbound_0.0.0.0_9080")
	m.Cluster("outbound|9080||reviews.default.svc.cluster.local")
	for i := 0; i < 4; i++ {
		h.Record(&Request{Status: 200, Duration: 2 * time.Millisecond, BytesSent: 2000, Cluster: "outbound|9080||reviews.default.svc.cluster.local", Host: "10.1.1.1:9080"})
	}
	h.Record(&Request{Status: 503, Flags: api.NoHealthyUpstream | api.UpstreamOverflow, Cluster: "outbound|9080||reviews.default.svc.cluster.local"})
	h.Record(&Request{Status: 404, Flags: api.NoRouteFound})
	fams := gather(t, reg)
	ok := map[string]string{
		"reporter": "source", "source_workload": "productpage-v1", "source_workload_namespace": "default",
		"source_app": "productpage", "source_version": "v1", "source_principal": "unknown",
		"destination_service": "reviews.default.svc.cluster.local", "destination_service_name": "reviews",
		"destination_service_namespace": "default", "destination_workload": "unknown",
		"request_protocol": "http", "response_code": "200", "response_flags": "-", "connection_security_policy": "unknown",
	}
	expect(t, fams, "istio_requests_total", ok, 4)
	expect(t, fams, "istio_request_duration_milliseconds", ok, 4)
	expect(t, fams, "istio_response_bytes", ok, 4)
	expect(t, fams, "istio_requests_total", map[string]string{"response_code": "503", "response_flags": "UH,UO"}, 1)
	expect(t, fams, "istio_requests_total", map[string]string{"response_code": "404", "response_flags": "NR", "destination_service": "unknown"}, 1)
	if len(fams["istio_requests_total"].Metric[0].Label) != len(istioLabels) {
		t.Errorf("labels %v", fams["istio_requests_total"].Metric[0].Label)
	}

	// A destination reporter describes itself on the destination side.
	m2, reg2 := newMetrics(t, Options{Istio: &IstioOptions{Reporter: ReporterDestination, Workload: "reviews-v1"}})
	m2.Cluster("inbound|9080||")
	m2.HTTP("in").Record(&Request{Status: 200, Cluster: "inbound|9080||", Host: "127.0.0.1:9080"})
	expect(t, gather(t, reg2), "istio_requests_total", map[string]string{
		"reporter": "destination", "destination_workload": "reviews-v1", "source_workload": "unknown",
		"connection_security_policy": "none", "destination_service": "inbound|9080||",
	}, 1)
}

func TestIstioService(t *testing.T) {
	for in, want := range map[string][3]string{
		"outbound|9080|v1|reviews.default.svc.cluster.local": {"reviews.default.svc.cluster.local", "reviews", "default"},
		"reviews.prod": {"reviews.prod", "reviews", "prod"},
		"plain":        {"plain", "plain", "unknown"},
		"":             {"unknown", "unknown", "unknown"},
	} {
		if got := istioService(in); got != want {
			t.Errorf("%q: %v, want %v", in, got, want)
		}
	}
}

// Two proxies in one process, each with its registry, never meet.
func TestTwoRegistries(t *testing.T) {
	m1, reg1 := newMetrics(t, Options{})
	m2, reg2 := newMetrics(t, Options{})
	m1.Cluster("c")
	m2.Cluster("c")
	m1.HTTP("p").Record(&Request{Status: 200, Cluster: "c", Host: "h:1"})
	expect(t, gather(t, reg1), "envoy_cluster_upstream_rq_total", map[string]string{"envoy_cluster_name": "c"}, 1)
	expect(t, gather(t, reg2), "envoy_cluster_upstream_rq_total", map[string]string{"envoy_cluster_name": "c"}, 0)
}

func TestRetainAndHostCap(t *testing.T) {
	m, reg := newMetrics(t, Options{MaxHostsPerCluster: 2})
	c := m.Cluster("c")
	if m.Cluster("c") != c {
		t.Fatal("same name, another handle")
	}
	h := m.HTTP("p")
	for _, host := range []string{"a:1", "b:1", "c:1"} {
		h.Record(&Request{Status: 200, Cluster: "c", Host: host})
	}
	if n := len(c.hostList()); n != 2 {
		t.Errorf("%d host handles, cap 2", n)
	}
	expect(t, gather(t, reg), "envoy_cluster_upstream_rq_total", map[string]string{"envoy_cluster_name": "c"}, 3)
	c.RetainHosts([]string{"b:1"})
	if hs := c.hostList(); len(hs) != 1 || hs[0].addr != "b:1" {
		t.Errorf("hosts after retain: %v", hs)
	}
	m.RetainClusters(nil)
	if _, ok := value(t, gather(t, reg), "envoy_cluster_upstream_rq_total", nil); ok {
		t.Error("removed cluster still exported")
	}
	m.RemoveHTTP("p")
	m.RemoveListener("x")
}

// The live state of a cluster (hosts, health, connections) is read from
// upstream at scrape time.
func TestClusterState(t *testing.T) {
	mgr := upstream.NewManager()
	cl, err := upstream.NewCluster(upstream.ClusterOptions{Name: "c", Hosts: []upstream.HostOptions{{Address: "127.0.0.1:1"}, {Address: "127.0.0.1:2"}}}, upstream.NewLoadBalancerRegistry())
	if err != nil {
		t.Fatal(err)
	}
	mgr.Update([]*upstream.Cluster{cl})
	t.Cleanup(mgr.Close)
	m, reg := newMetrics(t, Options{Clusters: mgr})
	m.Cluster("c")
	fams := gather(t, reg)
	expect(t, fams, "envoy_cluster_membership_total", map[string]string{"envoy_cluster_name": "c"}, 2)
	expect(t, fams, "envoy_cluster_membership_healthy", map[string]string{"envoy_cluster_name": "c"}, 2)
	expect(t, fams, "envoy_cluster_outlier_detection_ejections_active", map[string]string{"envoy_cluster_name": "c"}, 0)
	expect(t, fams, "envoy_cluster_health_check_attempt", map[string]string{"envoy_cluster_name": "c"}, 0)
	expect(t, fams, "envoy_cluster_outlier_detection_ejections_enforced_total", map[string]string{"envoy_cluster_name": "c"}, 0)
	expect(t, fams, "envoy_cluster_host_healthy", map[string]string{"upstream_host": "127.0.0.1:2"}, 1)
	stats, _ := m.Stats()
	found := false
	for _, s := range stats {
		if s.Name == "cluster.c.membership_total" && s.Value == 2 {
			found = true
		}
	}
	if !found {
		t.Errorf("stats: %v", stats)
	}
}

func TestStatsDump(t *testing.T) {
	m, _ := newMetrics(t, Options{})
	m.Listener("l1", "0.0.0.0:80").SetSource(func() (uint64, uint64) { return 3, 1 })
	h := m.HTTP("l1")
	m.Cluster("c")
	h.Record(&Request{Status: 200, Duration: 12 * time.Millisecond, Cluster: "c", Host: "h:1"})
	h.Record(&Request{Status: 200, Duration: 18 * time.Millisecond, Cluster: "c", Host: "h:1"})
	m.AddAccessLog("/tmp/a.log", func() uint64 { return 4 })
	stats, hists := m.Stats()
	got := map[string]float64{}
	for _, s := range stats {
		got[s.Name] = s.Value
	}
	for name, want := range map[string]float64{
		"listener.0.0.0.0_80.downstream_cx_active": 2,
		"http.l1.downstream_rq_2xx":                2,
		"cluster.c.upstream_rq_200":                2,
		"cluster.c.host.h:1.rq_success":            2,
		"access_log./tmp/a.log.dropped":            4,
	} {
		if got[name] != want {
			t.Errorf("%s = %v, want %v", name, got[name], want)
		}
	}
	var ht HistogramStat
	for _, hs := range hists {
		if hs.Name == "cluster.c.upstream_rq_time" {
			ht = hs
		}
	}
	if ht.Count != 2 || ht.Sum != 30 {
		t.Fatalf("histogram %+v", ht)
	}
	// Both samples are in the (10, 25] bucket: P50 interpolates to 17.5.
	if ht.Quantiles[2] != 17.5 || ht.Quantiles[9] != 25 {
		t.Errorf("quantiles %v", ht.Quantiles)
	}
	if s := FormatHistogram(ht); !strings.HasPrefix(s, "P0(10) P25(13.75) P50(17.5)") || !strings.HasSuffix(s, "count(2) sum(30)") {
		t.Errorf("format %q", s)
	}
	if s := FormatHistogram(HistogramStat{Quantiles: [10]float64{math.NaN()}}); !strings.HasPrefix(s, "P0(nan)") {
		t.Errorf("empty %q", s)
	}
	if hs := m.HostStats("c", "h:1"); hs.RqTotal != 2 || hs.RqSuccess != 2 {
		t.Errorf("host stats %+v", hs)
	}
}

// The scrape lints clean apart from Envoy's counter names without _total.
func TestLint(t *testing.T) {
	m, reg := newMetrics(t, Options{Istio: &IstioOptions{}})
	m.Listener("l", "127.0.0.1:1").SetSource(func() (uint64, uint64) { return 1, 0 })
	h := m.HTTP("l")
	h.SetSources(func() (uint64, uint64) { return 1, 0 }, func() (uint64, int64) { return 1, 0 })
	m.Cluster("c")
	h.Record(&Request{Status: 200, Cluster: "c", Host: "h:1"})
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if !AllowedLintProblem(p.Metric, p.Text) {
			t.Errorf("%s: %s", p.Metric, p.Text)
		}
	}
}

func warm(m *Metrics) (*HTTP, *Request) {
	h := m.HTTP("l1")
	m.Cluster("reviews")
	r := &Request{Status: 200, Duration: 3 * time.Millisecond, BytesReceived: 10, BytesSent: 100, Cluster: "reviews", Host: "10.0.0.1:80"}
	h.Record(r)
	return h, r
}

func TestRecordAllocs(t *testing.T) {
	for _, o := range []Options{{}, {Naming: NamingMOSN}, {Istio: &IstioOptions{}}} {
		m, _ := newMetrics(t, o)
		h, r := warm(m)
		if n := testing.AllocsPerRun(1000, func() { h.Record(r) }); n != 0 {
			t.Errorf("%+v: Record allocates %v times", o, n)
		}
	}
}

func BenchmarkRecord(b *testing.B) {
	for _, bc := range []struct {
		name string
		o    Options
	}{{"envoy", Options{}}, {"istio", Options{Istio: &IstioOptions{}}}} {
		b.Run(bc.name, func(b *testing.B) {
			m, _ := newMetrics(b, bc.o)
			h, r := warm(m)
			b.ReportAllocs()
			for b.Loop() {
				h.Record(r)
			}
		})
	}
}

func BenchmarkRecordParallel(b *testing.B) {
	m, _ := newMetrics(b, Options{})
	h, r := warm(m)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		rr := *r
		for pb.Next() {
			h.Record(&rr)
		}
	})
}
