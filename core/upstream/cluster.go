package upstream

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/seed405ffdea/mosn/api"
)

// ClusterOptions describe a cluster; core/server fills them from config.
type ClusterOptions struct {
	Name string
	// LBType is a registered balancer id or alias (LB_ROUNDROBIN default).
	LBType string
	Hosts  []HostOptions
	Pool   PoolOptions
	// MaxRequests bounds concurrent requests to the cluster (circuit
	// breaker max_requests); zero means unlimited.
	MaxRequests int64
}

// HostOptions describe one host.
type HostOptions struct {
	Address  string
	Hostname string
	// Weight is at least 1; zero is read as 1.
	Weight   uint32
	Metadata map[string]string
}

// Cluster is a named set of hosts with a load balancer.
type Cluster struct {
	name        string
	hosts       []*Host
	lb          api.LoadBalancer
	maxRequests int64
	active      atomic.Int64
}

// NewCluster builds a cluster; lbs resolves the balancer type.
func NewCluster(o ClusterOptions, lbs *api.Registry[api.LoadBalancerFactory]) (*Cluster, error) {
	lbType := o.LBType
	if lbType == "" {
		lbType = LBRoundRobin
	}
	f, ok := lbs.Get(lbType)
	if !ok {
		return nil, fmt.Errorf("upstream: cluster %q: unknown lb_type %q", o.Name, lbType)
	}
	c := &Cluster{name: o.Name, maxRequests: o.MaxRequests}
	for _, ho := range o.Hosts {
		w := ho.Weight
		if w == 0 {
			w = 1
		}
		c.hosts = append(c.hosts, &Host{
			address:  ho.Address,
			hostname: ho.Hostname,
			cluster:  o.Name,
			weight:   w,
			metadata: ho.Metadata,
			pool:     NewPool(ho.Address, o.Pool),
		})
	}
	c.lb = f(newHostSet(c.hosts))
	return c, nil
}

// Name returns the cluster's name.
func (c *Cluster) Name() string { return c.name }

// Hosts returns the cluster's hosts.
func (c *Cluster) Hosts() []*Host { return c.hosts }

// ChooseHost asks the balancer for a host; nil when there is none.
func (c *Cluster) ChooseHost(ctx api.LBContext) *Host {
	h := c.lb.ChooseHost(ctx)
	if h == nil {
		return nil
	}
	if hh, ok := h.(*Host); ok {
		return hh
	}
	for _, hh := range c.hosts {
		if hh.address == h.Address() {
			return hh
		}
	}
	return nil
}

// Acquire counts a request against the max_requests breaker; false means
// the breaker is open and the request must be refused (503, UO).
func (c *Cluster) Acquire() bool {
	n := c.active.Add(1)
	if c.maxRequests > 0 && n > c.maxRequests {
		c.active.Add(-1)
		return false
	}
	return true
}

// Release ends a request counted by Acquire.
func (c *Cluster) Release() { c.active.Add(-1) }

// Close closes the hosts' idle connections.
func (c *Cluster) Close() {
	for _, h := range c.hosts {
		h.pool.Close()
	}
}

// Manager holds the current set of clusters as an immutable snapshot:
// readers load it without locks; Update publishes a new one.
type Manager struct {
	snap atomic.Pointer[map[string]*Cluster]
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

// Update replaces the whole set. Clusters that disappear are closed after
// a grace period so in-flight requests finish on them.
func (m *Manager) Update(clusters []*Cluster) {
	next := make(map[string]*Cluster, len(clusters))
	for _, c := range clusters {
		next[c.name] = c
	}
	old := m.snap.Swap(&next)
	for name, c := range *old {
		if next[name] != c {
			time.AfterFunc(time.Minute, c.Close)
		}
	}
}

// Close closes every cluster.
func (m *Manager) Close() {
	for _, c := range *m.snap.Load() {
		c.Close()
	}
}
