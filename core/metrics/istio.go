package metrics

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/seed405ffdea/mosn/api"
)

// Istio reporters (IstioOptions.Reporter).
const (
	ReporterSource      = "source"
	ReporterDestination = "destination"
)

// IstioOptions describe this workload for Istio's standard metrics. Empty
// values are reported as "unknown", as Istio reports what it does not
// know.
type IstioOptions struct {
	// Reporter is ReporterSource (default: this proxy is the client's
	// sidecar) or ReporterDestination (the server's).
	Reporter string
	// Workload, Namespace, Principal, App, Version and Cluster describe
	// this workload: the source_* labels for a source reporter, the
	// destination_* labels for a destination reporter.
	Workload, Namespace, Principal, App, Version, Cluster string
}

// Istio's standard metric names and their labels
// (istio.io/latest/docs/reference/config/metrics/).
const (
	istioRequestsTotal   = "istio_requests_total"
	istioRequestDuration = "istio_request_duration_milliseconds"
	istioRequestBytes    = "istio_request_bytes"
	istioResponseBytes   = "istio_response_bytes"
)

var istioLabels = []string{
	"reporter",
	"source_workload", "source_workload_namespace", "source_principal", "source_app", "source_version", "source_cluster",
	"destination_workload", "destination_workload_namespace", "destination_principal", "destination_app", "destination_version",
	"destination_service", "destination_service_name", "destination_service_namespace", "destination_cluster",
	"request_protocol", "response_code", "grpc_response_status", "response_flags", "connection_security_policy",
}

// Indexes into istioLabels of the values that vary.
const (
	ilDestService = 12
	ilDestName    = 13
	ilDestNS      = 14
	ilCode        = 17
	ilFlags       = 19
)

// IstioBytesBuckets are the bounds of istio_request_bytes and
// istio_response_bytes (powers of ten from 1 B to 1 GB).
var IstioBytesBuckets = []float64{1, 10, 100, 1000, 10000, 100000, 1e6, 1e7, 1e8, 1e9}

type istioConfig struct {
	base    []string // every label value that does not depend on the request
	buckets []float64
	desc    *prometheus.Desc
}

func newIstioConfig(o IstioOptions) *istioConfig {
	unknown := func(s string) string {
		if s == "" {
			return "unknown"
		}
		return s
	}
	self := []string{unknown(o.Workload), unknown(o.Namespace), unknown(o.Principal), unknown(o.App), unknown(o.Version), unknown(o.Cluster)}
	peer := []string{"unknown", "unknown", "unknown", "unknown", "unknown", "unknown"}
	reporter, policy := ReporterSource, "unknown"
	if o.Reporter == ReporterDestination {
		reporter, policy = ReporterDestination, "none" // no mTLS yet
	}
	src, dst := self, peer
	if reporter == ReporterDestination {
		src, dst = peer, self
	}
	base := []string{reporter}
	base = append(base, src...)
	base = append(base, dst[:5]...)
	base = append(base, "unknown", "unknown", "unknown", dst[5]) // destination_service{,_name,_namespace}, destination_cluster
	base = append(base, "http", "0", "", "-", policy)
	return &istioConfig{
		base:    base,
		buckets: DefaultBuckets,
		desc:    prometheus.NewDesc(istioRequestsTotal, "Requests, by Istio's standard labels.", istioLabels, nil),
	}
}

// istioScope holds the Istio series of one cluster (or of requests that
// had none), keyed by status and response flags.
type istioScope struct {
	cfg    *istioConfig
	svc    [3]string // destination_service, _name, _namespace
	mu     sync.Mutex
	series atomic.Pointer[map[uint64]*istioSeries]
}

type istioSeries struct {
	labels           []string
	count            atomic.Uint64
	dur, reqB, respB prometheus.Histogram
}

func (c *istioConfig) scope(cluster string) *istioScope {
	s := &istioScope{cfg: c, svc: istioService(cluster)}
	empty := map[uint64]*istioSeries{}
	s.series.Store(&empty)
	return s
}

// istioService derives destination_service, _name and _namespace from a
// cluster name: Istio's "outbound|9080|v1|reviews.default.svc.cluster.local"
// gives "reviews.default.svc.cluster.local", "reviews", "default"; any
// other name is the service itself, namespace unknown.
func istioService(cluster string) [3]string {
	if cluster == "" {
		return [3]string{"unknown", "unknown", "unknown"}
	}
	host := cluster
	if parts := strings.Split(cluster, "|"); len(parts) == 4 && parts[3] != "" {
		host = parts[3]
	}
	name, rest, ok := strings.Cut(host, ".")
	ns := "unknown"
	if ok && rest != "" {
		ns, _, _ = strings.Cut(rest, ".")
	}
	if host != cluster || ok {
		return [3]string{host, name, ns}
	}
	return [3]string{host, host, ns}
}

func (s *istioScope) record(r *Request, ms float64) {
	key := uint64(uint32(r.Status))<<32 | uint64(r.Flags)
	se := (*s.series.Load())[key]
	if se == nil {
		se = s.add(key, r)
	}
	se.count.Add(1)
	se.dur.Observe(ms)
	se.reqB.Observe(float64(r.BytesReceived))
	se.respB.Observe(float64(r.BytesSent))
}

func (s *istioScope) add(key uint64, r *Request) *istioSeries {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := *s.series.Load()
	if se := old[key]; se != nil {
		return se
	}
	labels := append([]string(nil), s.cfg.base...)
	labels[ilDestService], labels[ilDestName], labels[ilDestNS] = s.svc[0], s.svc[1], s.svc[2]
	labels[ilCode] = strconv.Itoa(r.Status)
	labels[ilFlags] = flagString(r.Flags)
	cl := make(prometheus.Labels, len(labels))
	for i, n := range istioLabels {
		cl[n] = labels[i]
	}
	hist := func(name, help string, buckets []float64) prometheus.Histogram {
		return prometheus.NewHistogram(prometheus.HistogramOpts{Name: name, Help: help, ConstLabels: cl, Buckets: buckets})
	}
	se := &istioSeries{
		labels: labels,
		dur:    hist(istioRequestDuration, "Request duration in milliseconds, by Istio's standard labels.", s.cfg.buckets),
		reqB:   hist(istioRequestBytes, "Request body sizes in bytes, by Istio's standard labels.", IstioBytesBuckets),
		respB:  hist(istioResponseBytes, "Response body sizes in bytes, by Istio's standard labels.", IstioBytesBuckets),
	}
	next := make(map[uint64]*istioSeries, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	next[key] = se
	s.series.Store(&next)
	return se
}

func (s *istioScope) collect(ch chan<- prometheus.Metric) {
	for _, se := range *s.series.Load() {
		ch <- prometheus.MustNewConstMetric(s.cfg.desc, prometheus.CounterValue, float64(se.count.Load()), se.labels...)
		ch <- se.dur
		ch <- se.reqB
		ch <- se.respB
	}
}

// flagString renders flags as Envoy does: "UH,UO", "-" for none.
func flagString(f api.ResponseFlag) string {
	var out []string
	for _, fn := range api.ResponseFlagNames {
		if f&fn.Flag != 0 {
			out = append(out, fn.Name)
		}
	}
	if len(out) == 0 {
		return "-"
	}
	return strings.Join(out, ",")
}
