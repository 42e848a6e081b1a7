package upstream

import (
	"math/rand/v2"
	"sync/atomic"

	"github.com/seed405ffdea/mosn/api"
)

// LB type names as MOSN's cluster config spells them.
const (
	LBRoundRobin = "LB_ROUNDROBIN"
	LBRandom     = "LB_RANDOM"
)

// hostSet is an immutable list of hosts plus a weight-expanded index table:
// a host of weight w appears w times, spread out, so that round robin and
// random over the table honour weights without locks.
type hostSet struct {
	hosts []api.HostInfo
	table []uint16
}

// Hosts implements api.HostSet.
func (s *hostSet) Hosts() []api.HostInfo { return s.hosts }

func newHostSet(hosts []*Host) *hostSet {
	s := &hostSet{hosts: make([]api.HostInfo, len(hosts))}
	equal := true
	for i, h := range hosts {
		s.hosts[i] = h
		if h.weight != hosts[0].weight {
			equal = false
		}
	}
	if equal {
		return s
	}
	// Interleave: round r takes every host whose weight exceeds r, which
	// spreads a heavy host's turns instead of bunching them.
	var maxW uint32
	for _, h := range hosts {
		maxW = max(maxW, h.weight)
	}
	for r := uint32(0); r < maxW; r++ {
		for i, h := range hosts {
			if h.weight > r {
				s.table = append(s.table, uint16(i))
			}
		}
	}
	return s
}

// pick maps a counter or random number onto a host.
func (s *hostSet) pick(n uint64) api.HostInfo {
	if len(s.hosts) == 0 {
		return nil
	}
	if s.table == nil {
		return s.hosts[n%uint64(len(s.hosts))]
	}
	return s.hosts[s.table[n%uint64(len(s.table))]]
}

type roundRobin struct {
	set  *hostSet
	next atomic.Uint64
}

// ChooseHost implements api.LoadBalancer.
func (lb *roundRobin) ChooseHost(api.LBContext) api.HostInfo {
	return lb.set.pick(lb.next.Add(1) - 1)
}

type random struct{ set *hostSet }

// ChooseHost implements api.LoadBalancer.
func (lb *random) ChooseHost(api.LBContext) api.HostInfo {
	return lb.set.pick(rand.Uint64())
}

// NewLoadBalancerRegistry returns a registry holding the built-in
// balancers: LB_ROUNDROBIN and LB_RANDOM (also as lb.round_robin and
// lb.random).
func NewLoadBalancerRegistry() *api.Registry[api.LoadBalancerFactory] {
	r := api.NewRegistry[api.LoadBalancerFactory]("lb")
	mustRegister(r, "lb.round_robin", LBRoundRobin, func(hs api.HostSet) api.LoadBalancer {
		rr := &roundRobin{set: asHostSet(hs)}
		// Start at a random offset so that many proxies don't all hit the
		// first host first.
		rr.next.Store(rand.Uint64())
		return rr
	})
	mustRegister(r, "lb.random", LBRandom, func(hs api.HostSet) api.LoadBalancer {
		return &random{set: asHostSet(hs)}
	})
	return r
}

func mustRegister(r *api.Registry[api.LoadBalancerFactory], id, alias string, f api.LoadBalancerFactory) {
	if err := r.Register(id, f); err != nil {
		panic(err)
	}
	if err := r.Alias(alias, id); err != nil {
		panic(err)
	}
}

func asHostSet(hs api.HostSet) *hostSet {
	if s, ok := hs.(*hostSet); ok {
		return s
	}
	hosts := hs.Hosts()
	s := &hostSet{hosts: hosts}
	return s
}
