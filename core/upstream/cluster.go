package upstream

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seed405ffdea/mosn/api"
)

// Cluster types as MOSN's cluster config spells them.
const (
	// ClusterSimple is a list of hosts given in config or by UpdateHosts.
	ClusterSimple = "SIMPLE"
	// ClusterStatic is ClusterSimple under Envoy's name.
	ClusterStatic = "STATIC"
	// ClusterEDS is a cluster whose hosts arrive by UpdateHosts (the config
	// API, which the xDS client feeds); hosts in config are the start.
	ClusterEDS = "EDS"
	// ClusterStrictDNS resolves the hosts' names and re-resolves them
	// periodically; every address returned becomes a host.
	ClusterStrictDNS = "STRICT_DNS"
	// ClusterOriginalDst sends each request to its original destination
	// (or the address in a request header): hosts are made on demand.
	ClusterOriginalDst = "ORIGINAL_DST"
)

// DefaultPanicThreshold is the share of healthy hosts, in percent, below
// which a cluster balances over all its hosts rather than overload the
// few healthy ones (Envoy's healthy_panic_threshold).
const DefaultPanicThreshold = 50

// ClusterOptions describe a cluster; core/server fills them from config.
type ClusterOptions struct {
	// Name identifies the cluster (routes refer to it).
	Name string
	// Type is ClusterSimple (the default), ClusterStatic, ClusterEDS,
	// ClusterStrictDNS or ClusterOriginalDst.
	Type string
	// LBType is a registered balancer id or alias (LB_ROUNDROBIN default).
	// An ORIGINAL_DST cluster takes LB_ORIGINAL_DST or nothing.
	LBType string
	// LB tunes the built-in balancers.
	LB LBOptions
	// SlowStart ramps new hosts up; nil means off.
	SlowStart *SlowStartOptions
	// Subset enables subset load balancing; nil means off.
	Subset *SubsetOptions
	// PanicThreshold is the healthy share, in percent, below which all
	// hosts are balanced over. Zero means DefaultPanicThreshold; negative
	// disables panic mode (no healthy host: no host).
	PanicThreshold float64
	// Hosts are the hosts (for STRICT_DNS, the names to resolve; for
	// ORIGINAL_DST, none).
	Hosts []HostOptions
	// Pool configures every host's connection pool.
	Pool PoolOptions
	// MaxRequests bounds concurrent requests to the cluster (circuit
	// breaker max_requests, Acquire); zero means unlimited.
	MaxRequests int64
	// MaxConnections bounds the connections open to all the cluster's
	// hosts together (max_connections); zero means unlimited.
	MaxConnections int64
	// MaxPendingRequests bounds the requests waiting for a connection,
	// that is dials in progress (max_pending_requests); zero means
	// unlimited.
	MaxPendingRequests int64
	// MaxRetries bounds concurrent retries (max_retries, AcquireRetry);
	// zero means unlimited.
	MaxRetries int64
	// HealthCheck enables active health checking; nil means off.
	HealthCheck *HealthCheckOptions
	// Outlier enables outlier detection; nil means off.
	Outlier *OutlierOptions
	// DNS configures a STRICT_DNS cluster.
	DNS DNSOptions
	// OriginalDst configures an ORIGINAL_DST cluster.
	OriginalDst OriginalDstOptions
	// Clock drives outlier detection, slow start, DNS refresh and the
	// cleanup of ORIGINAL_DST hosts; nil means SystemClock.
	Clock Clock
	// Logger receives health changes and resolution errors; nil discards.
	Logger *slog.Logger
}

// HostOptions describe one host.
type HostOptions struct {
	// Address is "ip:port" (for STRICT_DNS "name:port" or "name").
	Address string
	// Hostname labels the host.
	Hostname string
	// Weight is at least 1; zero is read as 1.
	Weight uint32
	// Metadata is the host's "mosn.lb" metadata (subset load balancing).
	Metadata map[string]string
	// TLSDisable connects to this host in plaintext in a TLS cluster
	// (MOSN's tls_disable; Istio's hosts without the tlsMode label).
	TLSDisable bool
}

// Cluster is a named set of hosts with a load balancer, health checking,
// outlier detection and circuit breakers. Its hosts and balancer are an
// immutable snapshot swapped atomically: ChooseHost takes no lock, and any
// change (a host update, a health change, an ejection) builds a new one.
type Cluster struct {
	name    string
	typ     string
	opts    ClusterOptions
	factory api.LoadBalancerFactory
	lbcfg   *lbConfig
	clock   Clock
	log     *slog.Logger
	panic   float64

	limits      *connLimits
	maxRequests int64
	maxRetries  int64
	requests    atomic.Int64
	retries     atomic.Int64

	// stats count health checks and ejections (metrics read them).
	stats ResilienceStats

	health  *healthChecker
	outlier *outlierDetector
	dns     *dnsCluster
	origDst *originalDst

	snap atomic.Pointer[clusterSnap]
	// mu serialises changes of the host list and snapshot rebuilds.
	mu sync.Mutex

	// Lifecycle: background work (timers, health-check goroutines) is
	// tracked so that Close stops it all and waits.
	ctx     context.Context
	cancel  context.CancelFunc
	lmu     sync.Mutex
	closed  bool // background work stopped
	timers  map[uint64]Timer
	timerID uint64
	wg      sync.WaitGroup
	drained bool // pools closed; guarded by mu
}

// clusterSnap is one immutable view of a cluster.
type clusterSnap struct {
	hosts   []*Host
	byAddr  map[string]*Host
	lb      api.LoadBalancer // nil without hosts
	subsets *subsetLB
}

// NewCluster builds a cluster; lbs resolves the balancer type. Health
// checks, outlier sweeps and DNS resolution start at once and run until
// Close.
func NewCluster(o ClusterOptions, lbs *api.Registry[api.LoadBalancerFactory]) (*Cluster, error) {
	typ := o.Type
	if typ == "" {
		typ = ClusterSimple
	}
	lbType := o.LBType
	switch {
	case typ == ClusterOriginalDst:
		if lbType != "" && lbType != LBOriginalDst {
			return nil, fmt.Errorf("upstream: cluster %q: lb_type %q does not apply to an ORIGINAL_DST cluster", o.Name, lbType)
		}
		lbType = LBRoundRobin // unused
	case lbType == "":
		lbType = LBRoundRobin
	case lbType == LBOriginalDst:
		return nil, fmt.Errorf("upstream: cluster %q: lb_type %q needs cluster type ORIGINAL_DST", o.Name, lbType)
	}
	switch typ {
	case ClusterSimple, ClusterStatic, ClusterEDS, ClusterStrictDNS, ClusterOriginalDst:
	default:
		return nil, fmt.Errorf("upstream: cluster %q: unknown cluster type %q", o.Name, typ)
	}
	f, ok := lbs.Get(lbType)
	if !ok {
		return nil, fmt.Errorf("upstream: cluster %q: unknown lb_type %q", o.Name, lbType)
	}
	c := &Cluster{
		name:        o.Name,
		typ:         typ,
		opts:        o,
		factory:     f,
		clock:       o.Clock,
		log:         o.Logger,
		panic:       o.PanicThreshold,
		maxRequests: o.MaxRequests,
		maxRetries:  o.MaxRetries,
		limits:      &connLimits{maxConns: o.MaxConnections, maxPending: o.MaxPendingRequests},
		timers:      map[uint64]Timer{},
	}
	if c.clock == nil {
		c.clock = SystemClock{}
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.panic == 0 {
		c.panic = DefaultPanicThreshold
	}
	c.lbcfg = newLBConfig(o.LB, o.SlowStart, c.clock)
	c.ctx, c.cancel = context.WithCancel(context.Background())
	if o.HealthCheck != nil && typ != ClusterOriginalDst {
		hc, err := newHealthChecker(c, *o.HealthCheck)
		if err != nil {
			c.cancel()
			return nil, fmt.Errorf("upstream: cluster %q: health check: %w", o.Name, err)
		}
		c.health = hc
	}
	if o.Outlier != nil {
		c.outlier = newOutlierDetector(c, *o.Outlier)
	}
	c.snap.Store(&clusterSnap{byAddr: map[string]*Host{}})
	switch typ {
	case ClusterOriginalDst:
		c.origDst = newOriginalDst(c, o.OriginalDst)
	case ClusterStrictDNS:
		c.dns = newDNSCluster(c, o.DNS)
		c.dns.setTargets(o.Hosts)
	default:
		c.mu.Lock()
		c.setHostsLocked(o.Hosts)
		c.mu.Unlock()
	}
	if c.outlier != nil {
		c.outlier.start()
	}
	return c, nil
}

// Name returns the cluster's name.
func (c *Cluster) Name() string { return c.name }

// Hosts returns the cluster's current hosts, healthy or not (for
// ORIGINAL_DST, none: its hosts are made per request). The slice must not
// be modified.
func (c *Cluster) Hosts() []*Host { return c.snap.Load().hosts }

// ResilienceStats count a cluster's active health checks and outlier
// ejections since the cluster was built.
type ResilienceStats struct {
	// HealthCheckAttempts, HealthCheckSuccesses and HealthCheckFailures
	// count checks run, passed and failed.
	HealthCheckAttempts, HealthCheckSuccesses, HealthCheckFailures atomic.Uint64
	// Ejections counts hosts ejected by outlier detection.
	Ejections atomic.Uint64
}

// Stats returns the cluster's health-check and ejection counters.
func (c *Cluster) Stats() *ResilienceStats { return &c.stats }

// ChooseHost asks the balancer for a host; nil when there is none. ctx may
// carry metadata criteria (MetadataMatchContext), an original destination
// (OriginalDstContext) and the request's retry position
// (RequestRoundRobinContext); it may be nil.
func (c *Cluster) ChooseHost(ctx api.LBContext) *Host {
	if c.origDst != nil {
		return c.origDst.choose(ctx)
	}
	s := c.snap.Load()
	var hi api.HostInfo
	switch {
	case s.subsets != nil:
		hi = s.subsets.ChooseHost(ctx)
	case s.lb != nil:
		hi = s.lb.ChooseHost(ctx)
	}
	if hi == nil {
		return nil
	}
	if h := hostOf(hi); h != nil {
		return h
	}
	return s.byAddr[hi.Address()]
}

// Acquire counts a request against the max_requests breaker; false means
// the breaker is open and the request must be refused (503, UO).
func (c *Cluster) Acquire() bool {
	n := c.requests.Add(1)
	if c.maxRequests > 0 && n > c.maxRequests {
		c.requests.Add(-1)
		return false
	}
	return true
}

// Release ends a request counted by Acquire.
func (c *Cluster) Release() { c.requests.Add(-1) }

// AcquireRetry counts a retry against the max_retries breaker; false means
// the retry must not be made (the failed attempt's answer stands). The
// proxy calls it before each retry and ReleaseRetry when that retry ends.
func (c *Cluster) AcquireRetry() bool {
	n := c.retries.Add(1)
	if c.maxRetries > 0 && n > c.maxRetries {
		c.retries.Add(-1)
		return false
	}
	return true
}

// ReleaseRetry ends a retry counted by AcquireRetry.
func (c *Cluster) ReleaseRetry() { c.retries.Add(-1) }

// UpdateHosts replaces the cluster's hosts (the config API calls it with
// EDS endpoints). Hosts whose address remains keep their state: pool and
// connections, health, outlier and slow-start state; new hosts start
// healthy, in slow start, with an empty pool; removed hosts' pools drain
// (idle connections close, busy ones finish their request). For a
// STRICT_DNS cluster the hosts are the names to resolve; for ORIGINAL_DST
// it does nothing.
func (c *Cluster) UpdateHosts(hosts []HostOptions) {
	switch {
	case c.origDst != nil:
		return
	case c.dns != nil:
		c.dns.setTargets(hosts)
		return
	}
	c.mu.Lock()
	c.setHostsLocked(hosts)
	c.mu.Unlock()
}

// setHostsLocked builds the host list from hs, reusing the state of hosts
// whose address remains, and publishes a new snapshot. c.mu is held.
func (c *Cluster) setHostsLocked(hs []HostOptions) {
	old := c.snap.Load()
	next := make([]*Host, 0, len(hs))
	keep := make(map[string]bool, len(hs))
	for _, ho := range hs {
		if keep[ho.Address] {
			continue // a repeated address is one host
		}
		keep[ho.Address] = true
		w := max(ho.Weight, 1)
		if oh := old.byAddr[ho.Address]; oh != nil && oh.tlsDisable == ho.TLSDisable {
			if oh.hostname == ho.Hostname && oh.weight == w && maps.Equal(oh.metadata, ho.Metadata) {
				next = append(next, oh)
				continue
			}
			next = append(next, &Host{address: ho.Address, hostname: ho.Hostname, cluster: c.name, weight: w, metadata: ho.Metadata, tlsDisable: oh.tlsDisable, st: oh.st})
			continue
		}
		// A new host, or one whose TLS switch changed (its pool differs).
		h := &Host{address: ho.Address, hostname: ho.Hostname, cluster: c.name, weight: w, metadata: ho.Metadata, tlsDisable: ho.TLSDisable, st: c.newHostState(ho.Address, ho.TLSDisable)}
		if c.health != nil {
			c.health.start(h)
		}
		next = append(next, h)
	}
	kept := make(map[*hostState]bool, len(next))
	for _, h := range next {
		kept[h.st] = true
	}
	for _, oh := range old.hosts {
		if !kept[oh.st] {
			c.retire(oh.st)
		}
	}
	c.publishLocked(next)
}

func (c *Cluster) newHostState(addr string, tlsDisable bool) *hostState {
	st := &hostState{owner: c, addedAt: c.clock.Now()}
	po := c.opts.Pool
	if tlsDisable {
		po.TLS = nil
	}
	st.pool.Store(newPool(addr, po, c.limits))
	return st
}

// retire stops a removed host's health check and drains its pool.
func (c *Cluster) retire(st *hostState) {
	if st.stopCheck != nil {
		st.stopCheck()
		st.stopCheck = nil
	}
	if !st.poolAdopted.Load() {
		st.pool.Load().Close()
	}
}

// publishLocked builds the balancers over hosts and swaps the snapshot in.
func (c *Cluster) publishLocked(hosts []*Host) {
	s := &clusterSnap{hosts: hosts, byAddr: make(map[string]*Host, len(hosts))}
	for _, h := range hosts {
		s.byAddr[h.address] = h
	}
	if len(hosts) > 0 {
		s.lb = c.buildLB(hosts)
		if c.opts.Subset != nil {
			s.subsets = newSubsetLB(c.opts.Subset, hosts, s.lb, c.buildLB)
		}
	}
	c.snap.Store(s)
}

// buildLB makes a balancer over the hosts that should take traffic: the
// healthy ones, or all of them when too few are healthy (panic mode).
func (c *Cluster) buildLB(hosts []*Host) api.LoadBalancer {
	healthy := 0
	for _, h := range hosts {
		if h.Healthy() {
			healthy++
		}
	}
	routing := hosts
	if healthy < len(hosts) && (c.panic < 0 || float64(healthy)*100 >= c.panic*float64(len(hosts))) {
		routing = make([]*Host, 0, healthy)
		for _, h := range hosts {
			if h.Healthy() {
				routing = append(routing, h)
			}
		}
	}
	return c.factory(newHostSet(routing, c.lbcfg))
}

// healthChanged rebuilds the snapshot after a host's health flags
// changed, so that balancers see it on the next pick.
func (c *Cluster) healthChanged() {
	c.mu.Lock()
	c.publishLocked(c.snap.Load().hosts)
	c.mu.Unlock()
}

// after runs f once d has passed on the cluster's clock, unless the
// cluster is closed first; Close waits for a running f.
func (c *Cluster) after(d time.Duration, f func()) {
	c.lmu.Lock()
	defer c.lmu.Unlock()
	if c.closed {
		return
	}
	id := c.timerID
	c.timerID++
	c.timers[id] = c.clock.AfterFunc(d, func() {
		c.lmu.Lock()
		if c.closed {
			c.lmu.Unlock()
			return
		}
		delete(c.timers, id)
		c.wg.Add(1)
		c.lmu.Unlock()
		defer c.wg.Done()
		f()
	})
}

// spawn runs f in a goroutine that Close waits for; false when closed.
func (c *Cluster) spawn(f func()) bool {
	c.lmu.Lock()
	defer c.lmu.Unlock()
	if c.closed {
		return false
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		f()
	}()
	return true
}

// Close stops health checks, outlier sweeps and DNS resolution, waits for
// them, and drains every host's pool (idle connections close, busy ones
// when their request ends). It is safe to call more than once.
func (c *Cluster) Close() {
	c.stopBackground()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.drained {
		return
	}
	c.drained = true
	for _, h := range c.snap.Load().hosts {
		c.retire(h.st)
	}
	if c.origDst != nil {
		for _, h := range c.origDst.all() {
			c.retire(h.st)
		}
	}
	if c.health != nil {
		c.health.close()
	}
}

// stopBackground stops and waits for the cluster's timers and goroutines;
// its hosts and pools keep working for requests that hold them.
func (c *Cluster) stopBackground() {
	c.lmu.Lock()
	if c.closed {
		c.lmu.Unlock()
		return
	}
	c.closed = true
	for _, t := range c.timers {
		t.Stop()
	}
	c.timers = nil
	c.lmu.Unlock()
	c.cancel()
	c.wg.Wait()
}

// adoptPools takes over, for the addresses both clusters have, old's
// connection pools (when both use the same pool options) and hosts' state:
// when they joined (slow start), active health-check failures and outlier
// ejections. A cluster rebuilt by a config update thus keeps its
// connections and does not send traffic back to hosts known to be down.
// c is not published yet: nothing picks from it.
func (c *Cluster) adoptPools(old *Cluster) {
	if old.origDst != nil || c.origDst != nil {
		return
	}
	samePool := old.opts.Pool == c.opts.Pool
	// Only Manager.Update holds two cluster locks, always old first.
	old.mu.Lock()
	defer old.mu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	oldHosts := old.snap.Load().byAddr
	for _, h := range c.snap.Load().hosts {
		oh := oldHosts[h.address]
		if oh == nil {
			continue
		}
		st, ost := h.st, oh.st
		// LBs read addedAt without a lock; they are built under c.mu, and
		// picks start once c is published.
		st.addedAt = ost.addedAt
		if c.health != nil {
			st.setFlag(flagFailedActiveHC, ost.flags.Load()&flagFailedActiveHC != 0)
		}
		if c.outlier != nil && ost.flags.Load()&flagEjected != 0 {
			st.ejections.Store(ost.ejections.Load())
			st.ejectedAt.Store(ost.ejectedAt.Load())
			st.setFlag(flagEjected, true)
		}
		if !samePool || h.tlsDisable != oh.tlsDisable || ost.poolAdopted.Load() {
			continue
		}
		op := ost.pool.Load()
		if op == st.pool.Load() {
			continue
		}
		ost.poolAdopted.Store(true)
		op.setLimits(c.limits)
		st.pool.Swap(op).Close()
	}
	c.publishLocked(c.snap.Load().hosts)
}

// Manager holds the current set of clusters as an immutable snapshot:
// readers load it without locks; Update publishes a new one.
type Manager struct {
	snap atomic.Pointer[map[string]*Cluster]

	// retiring are the replaced clusters waiting out RetireDelay.
	mu       sync.Mutex
	retiring map[*Cluster]*time.Timer
}

// NewManager returns a manager with no clusters.
func NewManager() *Manager {
	m := &Manager{}
	empty := map[string]*Cluster{}
	m.snap.Store(&empty)
	return m
}

// Get returns the named cluster or nil.
func (m *Manager) Get(name string) *Cluster { return (*m.snap.Load())[name] }

// Names returns the clusters' names.
func (m *Manager) Names() []string {
	s := *m.snap.Load()
	out := make([]string, 0, len(s))
	for n := range s {
		out = append(out, n)
	}
	return out
}

// RetireDelay is how long a cluster replaced by Update keeps serving the
// requests that hold it before it is closed.
const RetireDelay = time.Minute

// Update replaces the whole set. A new cluster with the name of an old one
// takes over the old one's connection pools for the addresses both have
// (same pool options) and its hosts' health, so a config update neither
// reconnects nor forgets a host is down. Clusters that are replaced stop
// their health checks and DNS resolution at once and are closed after
// RetireDelay, so that in-flight requests finish on them. Updates must not
// run concurrently.
func (m *Manager) Update(clusters []*Cluster) {
	prev := *m.snap.Load()
	next := make(map[string]*Cluster, len(clusters))
	for _, c := range clusters {
		next[c.name] = c
		if old := prev[c.name]; old != nil && old != c {
			c.adoptPools(old)
		}
	}
	m.snap.Store(&next)
	m.mu.Lock()
	defer m.mu.Unlock()
	for name, c := range prev {
		if next[name] == c {
			continue
		}
		c.stopBackground()
		if m.retiring == nil {
			m.retiring = map[*Cluster]*time.Timer{}
		}
		m.retiring[c] = time.AfterFunc(RetireDelay, func() {
			m.mu.Lock()
			delete(m.retiring, c)
			m.mu.Unlock()
			c.Close()
		})
	}
}

// Close closes every cluster, the retiring ones too.
func (m *Manager) Close() {
	m.mu.Lock()
	retiring := m.retiring
	m.retiring = nil
	m.mu.Unlock()
	for c, t := range retiring {
		t.Stop()
		c.Close()
	}
	for _, c := range *m.snap.Load() {
		c.Close()
	}
}
