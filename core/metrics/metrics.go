// Package metrics is the proxy's metrics: per listener, HTTP connection
// manager (the proxy filter), cluster and host, exported to a Prometheus
// registry handed in, named as Envoy names them (default) or as MOSN
// does, plus Istio's standard metrics when the node is an Istio sidecar.
//
// Recording is on the request path and costs no allocation: the handles
// (*Listener, *HTTP, *Cluster, *Host) are looked up when a listener or
// cluster is built and kept; a finished request is recorded with one call,
// HTTP.Record, which updates atomic counters and prometheus histograms
// and finds the request's cluster and host by name in copy-on-write maps.
// Counters are exported at scrape time by one collector registered on
// the registry, which also reads the live state (connections open,
// healthy hosts, ejections) from the listeners and clusters.
//
// There are no process globals: two Metrics on two registries in one
// process (two proxies in a test) never meet.
package metrics

import (
	"errors"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/seed405ffdea/mosn/api"
	"github.com/seed405ffdea/mosn/core/upstream"
)

// DefaultBuckets are Envoy's default histogram buckets, in milliseconds
// (Envoy's supported_buckets), used for every duration histogram.
var DefaultBuckets = []float64{0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000}

// DefaultMaxHostsPerCluster bounds the per-host series of one cluster:
// hosts made on demand (ORIGINAL_DST) or resolved from DNS could
// otherwise grow them without end. Hosts beyond it are recorded at the
// cluster level only.
const DefaultMaxHostsPerCluster = 1024

// Options configure New.
type Options struct {
	// Naming is NamingEnvoy (default, also "") or NamingMOSN.
	Naming string
	// Istio, when non-nil, adds Istio's standard metrics.
	Istio *IstioOptions
	// Buckets are the bounds of the duration histograms in milliseconds;
	// nil means DefaultBuckets.
	Buckets []float64
	// MaxHostsPerCluster bounds per-host series; zero means
	// DefaultMaxHostsPerCluster.
	MaxHostsPerCluster int
	// Clusters, if set, is read at scrape time for the live state of
	// each cluster (hosts, health, connections); nil leaves those gauges
	// out.
	Clusters *upstream.Manager
}

// Request is one finished request, as HTTP.Record takes it.
type Request struct {
	// Status is the status sent downstream; 0 if none was sent.
	Status int
	// Flags say why the proxy answered itself (Envoy's response flags).
	Flags api.ResponseFlag
	// Duration is from the first request byte to the last response byte.
	Duration time.Duration
	// BytesReceived and BytesSent count request and response body bytes.
	BytesReceived, BytesSent uint64
	// Cluster is the cluster the request was routed to; "" if none.
	Cluster string
	// Host is the upstream host chosen ("ip:port"); "" if none.
	Host string
	// Retries is how many retries the request made; RetryOverflow says
	// the retry circuit breaker refused one; PerTryTimeouts counts
	// attempts that ran out of the per-try timeout.
	Retries, PerTryTimeouts uint8
	RetryOverflow           bool
}

// Metrics holds every handle of one proxy and exports them to the
// registry given to New.
type Metrics struct {
	n        *names
	buckets  []float64
	maxHosts int
	istio    *istioConfig // nil when off
	ups      *upstream.Manager

	mu        sync.Mutex
	listeners map[string]*Listener
	https     map[string]*HTTP
	logs      map[string]func() uint64
	// clusters is read on the request path without a lock; writers hold
	// mu and publish a new map.
	clusters atomic.Pointer[map[string]*Cluster]
	// noCluster holds the Istio series of requests without a cluster.
	noCluster *istioScope

	d descs
}

// New builds the metrics and registers their collector on reg.
func New(reg prometheus.Registerer, o Options) (*Metrics, error) {
	if reg == nil {
		return nil, errors.New("metrics: no registry")
	}
	m := &Metrics{
		buckets:   o.Buckets,
		maxHosts:  o.MaxHostsPerCluster,
		ups:       o.Clusters,
		listeners: map[string]*Listener{},
		https:     map[string]*HTTP{},
		logs:      map[string]func() uint64{},
	}
	switch o.Naming {
	case "", NamingEnvoy:
		m.n = envoyNames
	case NamingMOSN:
		m.n = mosnNames
	default:
		return nil, errors.New(`metrics: unknown naming "` + o.Naming + `" (want "envoy" or "mosn")`)
	}
	if m.buckets == nil {
		m.buckets = DefaultBuckets
	}
	if m.maxHosts <= 0 {
		m.maxHosts = DefaultMaxHostsPerCluster
	}
	if o.Istio != nil {
		m.istio = newIstioConfig(*o.Istio)
		m.noCluster = m.istio.scope("")
	}
	empty := map[string]*Cluster{}
	m.clusters.Store(&empty)
	m.d = newDescs(m.n)
	if err := reg.Register(collector{m}); err != nil {
		return nil, err
	}
	return m, nil
}

// Naming returns the naming scheme in use.
func (m *Metrics) Naming() string {
	if m.n == mosnNames {
		return NamingMOSN
	}
	return NamingEnvoy
}

func (m *Metrics) newHistogram(f family, labels prometheus.Labels) prometheus.Histogram {
	return prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:        f.name,
		Help:        f.help,
		ConstLabels: labels,
		Buckets:     m.buckets,
	})
}

// ConnCounts reports a listener's connections: opened and closed since it
// started. Read at scrape time.
type ConnCounts func() (opened, closed uint64)

// RequestCounts reports a proxy filter's requests: started, and in
// flight. Read at scrape time.
type RequestCounts func() (total uint64, active int64)

// Listener is one listener's metrics.
type Listener struct {
	name, address string
	conns         atomic.Pointer[ConnCounts]
}

// Listener returns the named listener's handle, creating it; address is
// the bound "ip:port". Envoy names listeners by address
// (envoy_listener_address="0.0.0.0_15006"), MOSN by name. A listener
// rebuilt under the same name gets the same handle, with the address
// updated.
func (m *Metrics) Listener(name, address string) *Listener {
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.listeners[name]
	if l == nil || l.address != address {
		l = &Listener{name: name, address: address}
		m.listeners[name] = l
	}
	return l
}

// SetSource sets where the listener's connection counts come from.
func (l *Listener) SetSource(f ConnCounts) { l.conns.Store(&f) }

// RemoveListener drops the named listener's series.
func (m *Metrics) RemoveListener(name string) {
	m.mu.Lock()
	delete(m.listeners, name)
	m.mu.Unlock()
}

// label is the listener's label value for the naming scheme.
func (l *Listener) label(n *names) string {
	if n == envoyNames {
		return envoyAddress(l.address)
	}
	return l.name
}

// envoyAddress writes "ip:port" as Envoy's stat names carry it:
// "0.0.0.0_15006", "[__]_80" for "[::]:80".
func envoyAddress(a string) string {
	b := []byte(a)
	for i, c := range b {
		if c == ':' {
			b[i] = '_'
		}
	}
	return string(b)
}

// AddAccessLog exports an access log's lost-line count (Logger.Dropped)
// under its path; a second log on the same path replaces the first.
func (m *Metrics) AddAccessLog(path string, dropped func() uint64) {
	m.mu.Lock()
	m.logs[path] = dropped
	m.mu.Unlock()
}

// SetAccessLogs replaces the exported access logs: lost-line counts by
// path.
func (m *Metrics) SetAccessLogs(logs map[string]func() uint64) {
	next := make(map[string]func() uint64, len(logs))
	for k, v := range logs {
		next[k] = v
	}
	m.mu.Lock()
	m.logs = next
	m.mu.Unlock()
}

// RemoveAccessLog drops an access log's series.
func (m *Metrics) RemoveAccessLog(path string) {
	m.mu.Lock()
	delete(m.logs, path)
	m.mu.Unlock()
}

// classIndex maps a status to its class, 1 to 5; 0 for anything else.
func classIndex(status int) int {
	if status >= 100 && status < 600 {
		return status / 100
	}
	return 0
}

// HTTP is one HTTP connection manager's (proxy filter's) metrics.
type HTTP struct {
	m      *Metrics
	prefix string

	xx                                           [6]atomic.Uint64
	rx, tx                                       atomic.Uint64
	protocolError, tooLarge, headerTimeout, noRt atomic.Uint64
	rqTime                                       prometheus.Histogram

	conns atomic.Pointer[ConnCounts]
	reqs  atomic.Pointer[RequestCounts]
}

// HTTP returns the handle of the HTTP connection manager with the given
// stat prefix (Envoy's stat_prefix; the server uses the listener's name),
// creating it. The same prefix always gets the same handle, so a
// listener updated in place keeps counting.
func (m *Metrics) HTTP(prefix string) *HTTP {
	m.mu.Lock()
	defer m.mu.Unlock()
	h := m.https[prefix]
	if h == nil {
		h = &HTTP{m: m, prefix: prefix}
		h.rqTime = m.newHistogram(m.n.httpRqTime, prometheus.Labels{m.n.httpLabel: prefix})
		m.https[prefix] = h
	}
	return h
}

// RemoveHTTP drops the series of the connection manager with the prefix.
func (m *Metrics) RemoveHTTP(prefix string) {
	m.mu.Lock()
	delete(m.https, prefix)
	m.mu.Unlock()
}

// SetSources sets where the connection and request counts come from (the
// listener and the proxy's counters); either may be nil.
func (h *HTTP) SetSources(conns ConnCounts, reqs RequestCounts) {
	if conns != nil {
		h.conns.Store(&conns)
	}
	if reqs != nil {
		h.reqs.Store(&reqs)
	}
}

// Record records one finished request: at the connection manager, at its
// cluster and host, and in Istio's metrics. It allocates nothing once the
// cluster's and host's handles exist (a host's handle is made on its
// first request).
func (h *HTTP) Record(r *Request) {
	ms := float64(r.Duration) / float64(time.Millisecond)
	if r.Status > 0 {
		h.xx[classIndex(r.Status)].Add(1)
	}
	h.rqTime.Observe(ms)
	h.rx.Add(r.BytesReceived)
	h.tx.Add(r.BytesSent)
	switch {
	case r.Flags&api.DownstreamProtocolError != 0:
		h.protocolError.Add(1)
	case r.Flags&api.NoRouteFound != 0:
		h.noRt.Add(1)
	}
	switch r.Status {
	case 413, 431:
		h.tooLarge.Add(1)
	case 408:
		h.headerTimeout.Add(1)
	}
	var c *Cluster
	if r.Cluster != "" {
		c = (*h.m.clusters.Load())[r.Cluster]
	}
	if c != nil {
		c.record(r, ms)
		if c.istio != nil {
			c.istio.record(r, ms)
		}
	} else if h.m.noCluster != nil {
		h.m.noCluster.record(r, ms)
	}
}

// Cluster is one cluster's metrics.
type Cluster struct {
	m    *Metrics
	name string

	rqTotal, rqCompleted atomic.Uint64
	xx                   [6]atomic.Uint64
	codes                [600]atomic.Uint64
	rqTime               prometheus.Histogram

	timeout, perTryTimeout, pendingOverflow, rxReset atomic.Uint64
	retry, retrySuccess, retryOverflow               atomic.Uint64
	connectFail, protocolError, noneHealthy          atomic.Uint64
	rx, tx                                           atomic.Uint64

	hmu   sync.Mutex
	hosts atomic.Pointer[map[string]*Host]

	istio *istioScope
}

// Cluster returns the named cluster's handle, creating it. Requests are
// recorded against a cluster only once its handle exists: the server
// makes one for every cluster it applies.
func (m *Metrics) Cluster(name string) *Cluster {
	if c := (*m.clusters.Load())[name]; c != nil {
		return c
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	old := *m.clusters.Load()
	if c := old[name]; c != nil {
		return c
	}
	c := &Cluster{m: m, name: name}
	c.rqTime = m.newHistogram(m.n.clRqTime, prometheus.Labels{m.n.clusterLabel: name})
	empty := map[string]*Host{}
	c.hosts.Store(&empty)
	if m.istio != nil {
		c.istio = m.istio.scope(name)
	}
	next := make(map[string]*Cluster, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	next[name] = c
	m.clusters.Store(&next)
	return c
}

// RetainClusters drops the handles of clusters not named in keep (a
// config update removed them); their series disappear.
func (m *Metrics) RetainClusters(keep []string) {
	want := make(map[string]bool, len(keep))
	for _, k := range keep {
		want[k] = true
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	old := *m.clusters.Load()
	next := make(map[string]*Cluster, len(keep))
	for k, v := range old {
		if want[k] {
			next[k] = v
		}
	}
	m.clusters.Store(&next)
}

// Name returns the cluster's name.
func (c *Cluster) Name() string { return c.name }

// Overflow counts a request a circuit breaker refused before any host
// was chosen (max_requests).
func (c *Cluster) Overflow() { c.pendingOverflow.Add(1) }

func (c *Cluster) record(r *Request, ms float64) {
	fl := r.Flags
	if fl&api.UpstreamOverflow != 0 {
		c.pendingOverflow.Add(1)
	}
	if fl&api.NoHealthyUpstream != 0 {
		c.noneHealthy.Add(1)
	}
	if fl&api.UpstreamConnectionFailure != 0 {
		c.connectFail.Add(1)
	}
	if r.Retries > 0 {
		c.retry.Add(uint64(r.Retries))
		if r.Status > 0 && r.Status < 500 {
			c.retrySuccess.Add(1)
		}
	}
	if r.RetryOverflow {
		c.retryOverflow.Add(1)
	}
	if r.PerTryTimeouts > 0 {
		c.perTryTimeout.Add(uint64(r.PerTryTimeouts))
	}
	if r.Host == "" {
		return // never went upstream
	}
	c.rqTotal.Add(1)
	if r.Status > 0 {
		c.rqCompleted.Add(1)
		c.xx[classIndex(r.Status)].Add(1)
		if r.Status < len(c.codes) {
			c.codes[r.Status].Add(1)
		}
	}
	c.rqTime.Observe(ms)
	timeout := fl&api.UpstreamRequestTimeout != 0
	if timeout {
		c.timeout.Add(1)
	}
	if fl&(api.UpstreamRemoteReset|api.UpstreamConnectionTermination) != 0 {
		c.rxReset.Add(1)
	}
	if fl&api.UpstreamProtocolError != 0 {
		c.protocolError.Add(1)
	}
	c.tx.Add(r.BytesReceived)
	c.rx.Add(r.BytesSent)
	if hm := c.host(r.Host); hm != nil {
		hm.rqTotal.Add(1)
		if r.Status >= 500 || fl&(api.UpstreamConnectionFailure|api.UpstreamRemoteReset|api.UpstreamConnectionTermination|api.UpstreamRequestTimeout|api.UpstreamProtocolError) != 0 {
			hm.rqError.Add(1)
		} else {
			hm.rqSuccess.Add(1)
		}
		if timeout {
			hm.rqTimeout.Add(1)
		}
		hm.rqTime.Observe(ms)
	}
}

// Host is one upstream host's metrics.
type Host struct {
	addr                                   string
	rqTotal, rqSuccess, rqError, rqTimeout atomic.Uint64
	rqTime                                 prometheus.Histogram
}

// host returns the host's handle, making it on first sight unless the
// cluster already has MaxHostsPerCluster of them (nil then).
func (c *Cluster) host(addr string) *Host {
	if hm := (*c.hosts.Load())[addr]; hm != nil {
		return hm
	}
	c.hmu.Lock()
	defer c.hmu.Unlock()
	old := *c.hosts.Load()
	if hm := old[addr]; hm != nil {
		return hm
	}
	if len(old) >= c.m.maxHosts {
		return nil
	}
	n := c.m.n
	hm := &Host{addr: addr, rqTime: c.m.newHistogram(n.hRqTime, prometheus.Labels{n.clusterLabel: c.name, n.hostLabel: addr})}
	next := make(map[string]*Host, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	next[addr] = hm
	c.hosts.Store(&next)
	return hm
}

// RetainHosts drops the series of hosts not in keep (the cluster's hosts
// after an update).
func (c *Cluster) RetainHosts(keep []string) {
	want := make(map[string]bool, len(keep))
	for _, k := range keep {
		want[k] = true
	}
	c.hmu.Lock()
	defer c.hmu.Unlock()
	old := *c.hosts.Load()
	next := make(map[string]*Host, len(old))
	for k, v := range old {
		if want[k] {
			next[k] = v
		}
	}
	c.hosts.Store(&next)
}

// PrepareHost makes the host's handle now, so that its first request
// allocates nothing.
func (c *Cluster) PrepareHost(addr string) { c.host(addr) }

// snapshot helpers for the collector and the text dumps.

func (m *Metrics) listenerList() []*Listener {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*Listener, 0, len(m.listeners))
	for _, l := range m.listeners {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func (m *Metrics) httpList() []*HTTP {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*HTTP, 0, len(m.https))
	for _, h := range m.https {
		out = append(out, h)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].prefix < out[j].prefix })
	return out
}

func (m *Metrics) clusterList() []*Cluster {
	cs := *m.clusters.Load()
	out := make([]*Cluster, 0, len(cs))
	for _, c := range cs {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func (c *Cluster) hostList() []*Host {
	hs := *c.hosts.Load()
	out := make([]*Host, 0, len(hs))
	for _, h := range hs {
		out = append(out, h)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].addr < out[j].addr })
	return out
}

func (m *Metrics) logList() ([]string, []func() uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	paths := make([]string, 0, len(m.logs))
	for p := range m.logs {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	fs := make([]func() uint64, len(paths))
	for i, p := range paths {
		fs[i] = m.logs[p]
	}
	return paths, fs
}
