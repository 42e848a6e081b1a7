package upstream

import (
	"math"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/seed405ffdea/mosn/api"
)

// LB type names as MOSN's cluster config spells them (RING_HASH, which
// MOSN lacks, as Envoy's lb_policy spells it).
const (
	LBRoundRobin        = "LB_ROUNDROBIN"
	LBRandom            = "LB_RANDOM"
	LBWeightedRR        = "LB_WEIGHTED_ROUNDROBIN"
	LBLeastRequest      = "LB_LEAST_REQUEST"
	LBLeastConnection   = "LB_LEAST_CONNECTION"
	LBMaglev            = "LB_MAGLEV"
	LBRingHash          = "RING_HASH"
	LBPeakEWMA          = "LB_PEAKEWMA"
	LBRequestRoundRobin = "LB_REQUEST_ROUNDROBIN"
	// LBOriginalDst is the balancer of ORIGINAL_DST clusters: the host is
	// the request's original destination. It is not in the registry; the
	// cluster type implies it.
	LBOriginalDst = "LB_ORIGINAL_DST"
)

// LBOptions tune the built-in balancers.
type LBOptions struct {
	// ChoiceCount is how many random hosts LB_LEAST_REQUEST,
	// LB_LEAST_CONNECTION and LB_PEAKEWMA compare when weights are equal
	// (MOSN's lbconfig.choice_count). Zero means 2; at least 2.
	ChoiceCount int
	// ActiveRequestBias is the exponent applied to (active requests + 1)
	// when LB_LEAST_REQUEST balances unequal weights: weight /
	// (active+1)^bias (Envoy's active_request_bias). Nil means 1.0; 0
	// balances by weight alone.
	ActiveRequestBias *float64
	// MinRingSize and MaxRingSize bound the RING_HASH ring (Envoy's
	// minimum_ring_size and maximum_ring_size). Zero means 1024 and
	// 8388608.
	MinRingSize, MaxRingSize uint64
}

// SlowStartOptions ramp a new host's weight up over Window (MOSN's
// slow_start, Envoy's slow_start_config): weight × max(MinWeightPercent,
// (max(age, 1s) / Window)^(1/Aggression)). It applies to LB_ROUNDROBIN,
// LB_WEIGHTED_ROUNDROBIN and LB_LEAST_REQUEST.
type SlowStartOptions struct {
	// Window is how long a new host ramps up; zero disables slow start.
	Window time.Duration
	// Aggression shapes the ramp: 1 is linear, larger ramps faster at
	// first. Zero means 1.
	Aggression float64
	// MinWeightPercent is the lowest share of its weight a new host gets,
	// as a fraction (0.1 is 10%). Zero means 0.1.
	MinWeightPercent float64
}

// Defaults of LBOptions and SlowStartOptions.
const (
	DefaultChoiceCount      = 2
	DefaultMinRingSize      = 1024
	DefaultMaxRingSize      = 8 << 20
	DefaultMinWeightPercent = 0.1
)

// lbConfig is the cluster's balancer configuration, with defaults filled
// in. Built-in balancers find it on the host set they are built over.
type lbConfig struct {
	choiceCount int
	bias        float64
	minRing     uint64
	maxRing     uint64
	slowStart   SlowStartOptions // Window 0: off
	clock       Clock
}

func newLBConfig(o LBOptions, ss *SlowStartOptions, clock Clock) *lbConfig {
	c := &lbConfig{choiceCount: o.ChoiceCount, bias: 1, minRing: o.MinRingSize, maxRing: o.MaxRingSize, clock: clock}
	if c.choiceCount < 2 {
		c.choiceCount = DefaultChoiceCount
	}
	if o.ActiveRequestBias != nil && *o.ActiveRequestBias >= 0 {
		c.bias = *o.ActiveRequestBias
	}
	if c.minRing == 0 {
		c.minRing = DefaultMinRingSize
	}
	if c.maxRing == 0 {
		c.maxRing = DefaultMaxRingSize
	}
	c.maxRing = max(c.maxRing, c.minRing)
	if ss != nil && ss.Window > 0 {
		c.slowStart = *ss
		if c.slowStart.Aggression <= 0 {
			c.slowStart.Aggression = 1
		}
		if c.slowStart.MinWeightPercent <= 0 || c.slowStart.MinWeightPercent > 1 {
			c.slowStart.MinWeightPercent = DefaultMinWeightPercent
		}
	}
	return c
}

// slowStartFactor scales the weight of a host that joined recently.
func (c *lbConfig) slowStartFactor(h *Host, now time.Time) float64 {
	ss := &c.slowStart
	age := now.Sub(h.st.addedAt)
	if age >= ss.Window {
		return 1
	}
	t := float64(max(age, time.Second)) / float64(ss.Window)
	f := t
	if ss.Aggression != 1 {
		f = math.Pow(t, 1/ss.Aggression)
	}
	return min(max(ss.MinWeightPercent, f), 1)
}

// hostSet is an immutable list of hosts handed to a balancer factory:
// the healthy hosts of a cluster or subset (all of them in panic mode).
type hostSet struct {
	hosts []api.HostInfo
	typed []*Host
	cfg   *lbConfig
}

// Hosts implements api.HostSet.
func (s *hostSet) Hosts() []api.HostInfo { return s.hosts }

func newHostSet(hosts []*Host, cfg *lbConfig) *hostSet {
	s := &hostSet{hosts: make([]api.HostInfo, len(hosts)), typed: hosts, cfg: cfg}
	for i, h := range hosts {
		s.hosts[i] = h
	}
	return s
}

// asHostSet lets the built-in balancers run over any api.HostSet: hosts
// that are not *Host (from a foreign set) are left out.
func asHostSet(hs api.HostSet) *hostSet {
	if s, ok := hs.(*hostSet); ok {
		return s
	}
	var typed []*Host
	for _, hi := range hs.Hosts() {
		if h := hostOf(hi); h != nil {
			typed = append(typed, h)
		}
	}
	return newHostSet(typed, newLBConfig(LBOptions{}, nil, SystemClock{}))
}

// equalWeights reports whether every host has the same weight.
func equalWeights(hosts []*Host) bool {
	for _, h := range hosts {
		if h.weight != hosts[0].weight {
			return false
		}
	}
	return true
}

// weightTable returns host indices in which a host of weight w appears w
// times, interleaved (round r takes every host whose weight exceeds r) so
// that a heavy host's turns are spread out; nil when weights are equal.
func weightTable(hosts []*Host) []uint32 {
	if len(hosts) == 0 || equalWeights(hosts) {
		return nil
	}
	var maxW, total uint32
	for _, h := range hosts {
		maxW = max(maxW, h.weight)
		total += h.weight
	}
	table := make([]uint32, 0, total)
	for r := uint32(0); r < maxW; r++ {
		for i, h := range hosts {
			if h.weight > r {
				table = append(table, uint32(i))
			}
		}
	}
	return table
}

// tableLB picks by mapping a counter or a random number onto the weight
// table; it is LB_ROUNDROBIN and LB_RANDOM without slow start.
type tableLB struct {
	hosts  []*Host
	table  []uint32
	random bool
	next   atomic.Uint64
}

func newTableLB(s *hostSet, random bool) *tableLB {
	lb := &tableLB{hosts: s.typed, table: weightTable(s.typed), random: random}
	// Start at a random offset so that many proxies don't all hit the
	// first host first.
	lb.next.Store(rand.Uint64())
	return lb
}

// ChooseHost implements api.LoadBalancer.
func (lb *tableLB) ChooseHost(api.LBContext) api.HostInfo {
	if len(lb.hosts) == 0 {
		return nil
	}
	var n uint64
	if lb.random {
		n = rand.Uint64()
	} else {
		n = lb.next.Add(1)
	}
	if lb.table == nil {
		return lb.hosts[n%uint64(len(lb.hosts))]
	}
	return lb.hosts[lb.table[n%uint64(len(lb.table))]]
}

// rrLB is unweighted round robin: LB_WEIGHTED_ROUNDROBIN over equal
// weights.
type rrLB struct {
	hosts []*Host
	next  atomic.Uint64
}

// ChooseHost implements api.LoadBalancer.
func (lb *rrLB) ChooseHost(api.LBContext) api.HostInfo {
	if len(lb.hosts) == 0 {
		return nil
	}
	return lb.hosts[lb.next.Add(1)%uint64(len(lb.hosts))]
}

func newRoundRobin(hs api.HostSet) api.LoadBalancer {
	s := asHostSet(hs)
	if s.cfg.slowStart.Window > 0 {
		return newWeightedEDF(s)
	}
	return newTableLB(s, false)
}

func newRandom(hs api.HostSet) api.LoadBalancer {
	return newTableLB(asHostSet(hs), true)
}

func newWeightedRoundRobin(hs api.HostSet) api.LoadBalancer {
	s := asHostSet(hs)
	if s.cfg.slowStart.Window == 0 && equalWeights(s.typed) {
		lb := &rrLB{hosts: s.typed}
		lb.next.Store(rand.Uint64())
		return lb
	}
	return newWeightedEDF(s)
}

// NewLoadBalancerRegistry returns a registry holding the built-in
// balancers under dotted ids, each with MOSN's lb_type name as an alias
// (Envoy's RING_HASH for the ring hash, which MOSN lacks):
//
//	lb.round_robin          LB_ROUNDROBIN          weight table, lock-free
//	lb.random               LB_RANDOM              weighted random
//	lb.weighted_round_robin LB_WEIGHTED_ROUNDROBIN earliest deadline first
//	lb.least_request        LB_LEAST_REQUEST       power of choice_count choices
//	lb.least_connection     LB_LEAST_CONNECTION    fewest open connections
//	lb.maglev               LB_MAGLEV              Maglev table of 65537
//	lb.ring_hash            RING_HASH              ketama-style ring
//	lb.peak_ewma            LB_PEAKEWMA            latency EWMA × (active+1)
//	lb.request_round_robin  LB_REQUEST_ROUNDROBIN  next host per retry
func NewLoadBalancerRegistry() *api.Registry[api.LoadBalancerFactory] {
	r := api.NewRegistry[api.LoadBalancerFactory]("lb")
	mustRegister(r, "lb.round_robin", LBRoundRobin, newRoundRobin)
	mustRegister(r, "lb.random", LBRandom, newRandom)
	mustRegister(r, "lb.weighted_round_robin", LBWeightedRR, newWeightedRoundRobin)
	mustRegister(r, "lb.least_request", LBLeastRequest, newLeastRequest)
	mustRegister(r, "lb.least_connection", LBLeastConnection, newLeastConnection)
	mustRegister(r, "lb.maglev", LBMaglev, newMaglev)
	mustRegister(r, "lb.ring_hash", LBRingHash, newRingHash)
	mustRegister(r, "lb.peak_ewma", LBPeakEWMA, newPeakEWMA)
	mustRegister(r, "lb.request_round_robin", LBRequestRoundRobin, newRequestRoundRobin)
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

// randomHost picks uniformly, for hash balancers given no hash key.
func randomHost(hosts []*Host) api.HostInfo {
	if len(hosts) == 0 {
		return nil
	}
	return hosts[rand.IntN(len(hosts))]
}

// hashKey returns the request's hash key; 0 when there is none.
func hashKey(ctx api.LBContext) uint64 {
	if ctx == nil {
		return 0
	}
	return ctx.HashKey()
}
