package upstream

import (
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"

	"github.com/seed405ffdea/mosn/api"
)

// edf is an earliest-deadline-first scheduler, as Envoy's: every host has
// a deadline; a pick takes the earliest, advances the scheduler's time to
// it and gives the host a new deadline 1/weight later, with the weight
// computed at that moment (so weights that change — slow start, active
// requests — take effect as hosts are picked). Over time each host is
// picked in proportion to its weight, smoothly interleaved.
type edf struct {
	mu      sync.Mutex
	now     float64
	seq     uint64
	entries []edfEntry // a min-heap by (deadline, seq)
}

type edfEntry struct {
	deadline float64
	seq      uint64 // ties go to the host queued first
	host     int32
}

// weigher gives a host's current weight (> 0). Implementations are small
// value types so that picks do not allocate.
type weigher interface {
	weight(h *Host) float64
}

// newEDF queues every host with its current weight, then makes a random
// number of picks so that proxies started together do not pick in step.
func newEDF[W weigher](hosts []*Host, w W) *edf {
	e := &edf{entries: make([]edfEntry, len(hosts))}
	for i, h := range hosts {
		e.entries[i] = edfEntry{deadline: 1 / w.weight(h), seq: uint64(i), host: int32(i)}
	}
	e.seq = uint64(len(hosts))
	for i := len(e.entries)/2 - 1; i >= 0; i-- {
		e.down(i)
	}
	if len(hosts) > 1 {
		for n := rand.IntN(len(hosts)); n > 0; n-- {
			pickEDF(e, hosts, w)
		}
	}
	return e
}

// pickEDF returns the host with the earliest deadline and requeues it.
func pickEDF[W weigher](e *edf, hosts []*Host, w W) *Host {
	e.mu.Lock()
	top := &e.entries[0]
	h := hosts[top.host]
	e.now = top.deadline
	top.deadline = e.now + 1/w.weight(h)
	top.seq = e.seq
	e.seq++
	e.down(0)
	e.mu.Unlock()
	return h
}

func (e *edf) less(i, j int) bool {
	a, b := &e.entries[i], &e.entries[j]
	return a.deadline < b.deadline || a.deadline == b.deadline && a.seq < b.seq
}

func (e *edf) down(i int) {
	n := len(e.entries)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && e.less(r, l) {
			m = r
		}
		if !e.less(m, i) {
			return
		}
		e.entries[i], e.entries[m] = e.entries[m], e.entries[i]
		i = m
	}
}

// staticWeight is a host's configured weight, scaled by slow start.
type staticWeight struct {
	cfg  *lbConfig
	warm *warmup // nil without slow start
}

// warmup notes when the last host of a balancer leaves slow start, so that
// picks stop reading the clock after that.
type warmup struct {
	until int64 // unix nanoseconds
	over  atomic.Bool
}

func newStaticWeight(s *hostSet) staticWeight {
	w := staticWeight{cfg: s.cfg}
	if s.cfg.slowStart.Window > 0 {
		w.warm = &warmup{}
		for _, h := range s.typed {
			w.warm.until = max(w.warm.until, h.st.addedAt.Add(s.cfg.slowStart.Window).UnixNano())
		}
	}
	return w
}

func (w staticWeight) weight(h *Host) float64 {
	f := float64(h.weight)
	if w.warm != nil && !w.warm.over.Load() {
		now := w.cfg.clock.Now()
		if now.UnixNano() >= w.warm.until {
			w.warm.over.Store(true)
		} else {
			f *= w.cfg.slowStartFactor(h, now)
		}
	}
	return f
}

// weightedEDF is LB_WEIGHTED_ROUNDROBIN over unequal weights, and
// LB_ROUNDROBIN/LB_WEIGHTED_ROUNDROBIN with slow start.
type weightedEDF struct {
	hosts []*Host
	sched *edf
	w     staticWeight
}

func newWeightedEDF(s *hostSet) api.LoadBalancer {
	lb := &weightedEDF{hosts: s.typed, w: newStaticWeight(s)}
	if len(lb.hosts) > 0 {
		lb.sched = newEDF(lb.hosts, lb.w)
	}
	return lb
}

// ChooseHost implements api.LoadBalancer.
func (lb *weightedEDF) ChooseHost(api.LBContext) api.HostInfo {
	if lb.sched == nil {
		return nil
	}
	return pickEDF(lb.sched, lb.hosts, lb.w)
}

// leastRequestWeight is Envoy's weighted least request: weight (with slow
// start) / (active requests + 1)^bias.
type leastRequestWeight struct {
	staticWeight
}

func (w leastRequestWeight) weight(h *Host) float64 {
	f := w.staticWeight.weight(h)
	active := float64(max(h.st.active.Load(), 0)) + 1
	switch w.cfg.bias {
	case 0:
		return f
	case 1:
		return f / active
	}
	return f / math.Pow(active, w.cfg.bias)
}

// leastConnWeight is weight / (open connections + 1).
type leastConnWeight struct{}

func (leastConnWeight) weight(h *Host) float64 {
	return float64(h.weight) / float64(h.OpenConnections()+1)
}

// cost is what power-of-choices balancers minimise.
type cost interface {
	cost(h *Host) float64
}

// pickLeast samples n hosts at random (with replacement, as Envoy) and
// returns the one of least cost.
func pickLeast[C cost](hosts []*Host, n int, c C) *Host {
	best := hosts[rand.IntN(len(hosts))]
	bestCost := c.cost(best)
	for i := 1; i < n; i++ {
		h := hosts[rand.IntN(len(hosts))]
		if hc := c.cost(h); hc < bestCost {
			best, bestCost = h, hc
		}
	}
	return best
}

type activeCost struct{}

func (activeCost) cost(h *Host) float64 { return float64(h.st.active.Load()) }

type connCost struct{}

func (connCost) cost(h *Host) float64 { return float64(h.OpenConnections()) }

type ewmaCost struct{ now int64 }

func (c ewmaCost) cost(h *Host) float64 { return h.st.peakEWMACost(c.now) }

// leastLB is LB_LEAST_REQUEST and LB_LEAST_CONNECTION: with equal weights
// (and no slow start) the best of choice_count random hosts; otherwise
// EDF over weights divided by the load, as Envoy.
type leastLB struct {
	hosts   []*Host
	choices int
	conns   bool // LB_LEAST_CONNECTION
	sched   *edf
	lrw     leastRequestWeight
}

func newLeastRequest(hs api.HostSet) api.LoadBalancer {
	return newLeast(asHostSet(hs), false)
}

func newLeastConnection(hs api.HostSet) api.LoadBalancer {
	return newLeast(asHostSet(hs), true)
}

func newLeast(s *hostSet, conns bool) *leastLB {
	lb := &leastLB{hosts: s.typed, choices: s.cfg.choiceCount, conns: conns, lrw: leastRequestWeight{newStaticWeight(s)}}
	weighted := !equalWeights(s.typed) || (!conns && s.cfg.slowStart.Window > 0)
	if weighted && len(s.typed) > 1 {
		if conns {
			lb.sched = newEDF(s.typed, leastConnWeight{})
		} else {
			lb.sched = newEDF(s.typed, lb.lrw)
		}
	}
	return lb
}

// ChooseHost implements api.LoadBalancer.
func (lb *leastLB) ChooseHost(api.LBContext) api.HostInfo {
	switch {
	case len(lb.hosts) == 0:
		return nil
	case len(lb.hosts) == 1:
		return lb.hosts[0]
	case lb.sched != nil && lb.conns:
		return pickEDF(lb.sched, lb.hosts, leastConnWeight{})
	case lb.sched != nil:
		return pickEDF(lb.sched, lb.hosts, lb.lrw)
	case lb.conns:
		return pickLeast(lb.hosts, lb.choices, connCost{})
	}
	return pickLeast(lb.hosts, lb.choices, activeCost{})
}

// peakEWMALB is LB_PEAKEWMA: the best of choice_count random hosts by
// latency EWMA × (active requests + 1), Finagle's and Linkerd's cost.
// Weights are not used. Until the proxy reports latencies (RecordLatency)
// every EWMA is zero and this is least-request balancing.
type peakEWMALB struct {
	hosts   []*Host
	choices int
	clock   Clock
}

func newPeakEWMA(hs api.HostSet) api.LoadBalancer {
	s := asHostSet(hs)
	return &peakEWMALB{hosts: s.typed, choices: s.cfg.choiceCount, clock: s.cfg.clock}
}

// ChooseHost implements api.LoadBalancer.
func (lb *peakEWMALB) ChooseHost(api.LBContext) api.HostInfo {
	switch len(lb.hosts) {
	case 0:
		return nil
	case 1:
		return lb.hosts[0]
	}
	return pickLeast(lb.hosts, lb.choices, ewmaCost{now: lb.clock.Now().UnixNano()})
}

// RequestRoundRobinContext is an optional interface of an api.LBContext,
// for LB_REQUEST_ROUNDROBIN: the request remembers the index of the host
// it used last, so that each retry moves on to the next host.
type RequestRoundRobinContext interface {
	// UpstreamIndex is the index of the host chosen last for this request,
	// -1 before the first choice.
	UpstreamIndex() int
	// SetUpstreamIndex records the index of the host just chosen.
	SetUpstreamIndex(i int)
}

// requestRR is MOSN's LB_REQUEST_ROUNDROBIN: a request starts at the first
// host of the list and each retry of the same request takes the next one
// (weights are ignored); once every host was tried there is none left. A
// context without RequestRoundRobinContext always gets the first host.
type requestRR struct{ hosts []*Host }

func newRequestRoundRobin(hs api.HostSet) api.LoadBalancer {
	return &requestRR{hosts: asHostSet(hs).typed}
}

// ChooseHost implements api.LoadBalancer.
func (lb *requestRR) ChooseHost(ctx api.LBContext) api.HostInfo {
	rc, ok := ctx.(RequestRoundRobinContext)
	next := 0
	if ok {
		next = rc.UpstreamIndex() + 1
	}
	if next < 0 || next >= len(lb.hosts) {
		return nil
	}
	if ok {
		rc.SetUpstreamIndex(next)
	}
	return lb.hosts[next]
}
