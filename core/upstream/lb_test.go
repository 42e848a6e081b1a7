package upstream

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// allLBs are the registered balancers by their MOSN names.
var allLBs = []string{
	LBRoundRobin, LBRandom, LBWeightedRR, LBLeastRequest, LBLeastConnection,
	LBMaglev, LBRingHash, LBPeakEWMA, LBRequestRoundRobin,
}

// pick counts n picks per host address; ctx is called for each pick.
func pick(t testing.TB, c *Cluster, n int, ctx func() *lbCtx) map[string]int {
	t.Helper()
	counts := map[string]int{}
	for i := 0; i < n; i++ {
		h := c.ChooseHost(ctx())
		if h == nil {
			t.Fatalf("pick %d: no host", i)
		}
		counts[h.Address()]++
	}
	return counts
}

func randomKey() *lbCtx { return &lbCtx{key: rand.Uint64() | 1, index: -1} }
func noKey() *lbCtx     { return &lbCtx{index: -1} }

// chiSquare is Pearson's statistic of counts against the probabilities
// want (in host order).
func chiSquare(c *Cluster, counts map[string]int, want []float64) float64 {
	n := 0
	for _, v := range counts {
		n += v
	}
	var x2 float64
	for i, h := range c.Hosts() {
		e := want[i] * float64(n)
		d := float64(counts[h.Address()]) - e
		x2 += d * d / e
	}
	return x2
}

// chiSquareBound is the chi-square value for 2 degrees of freedom above
// which a correct balancer lands about once in 100,000 runs.
const chiSquareBound = 23.0

func checkShares(t *testing.T, c *Cluster, counts map[string]int, want []float64, tol float64) {
	t.Helper()
	n := 0
	for _, v := range counts {
		n += v
	}
	for i, h := range c.Hosts() {
		got := float64(counts[h.Address()]) / float64(n)
		if math.Abs(got-want[i]) > tol {
			t.Errorf("%s: share %.4f, want %.4f ± %.4f", h.Address(), got, want[i], tol)
		}
	}
}

func weighted(ws ...uint32) []HostOptions {
	hs := hostsN(len(ws))
	for i, w := range ws {
		hs[i].Weight = w
	}
	return hs
}

func TestLBDistribution(t *testing.T) {
	const n = 90000
	tests := []struct {
		name   string
		lb     string
		hosts  []HostOptions
		setup  func(c *Cluster)
		ctx    func() *lbCtx
		want   []float64
		tol    float64 // exact bound; 0 means chi-square
		pickCt int
	}{
		{name: "round robin weights", lb: LBRoundRobin, hosts: weighted(1, 3, 1), want: []float64{.2, .6, .2}, tol: .001},
		{name: "random weights", lb: LBRandom, hosts: weighted(1, 3, 1), want: []float64{.2, .6, .2}},
		{name: "weighted round robin EDF", lb: LBWeightedRR, hosts: weighted(1, 3, 1), want: []float64{.2, .6, .2}, tol: .001},
		{name: "weighted round robin equal", lb: LBWeightedRR, hosts: weighted(2, 2, 2), want: []float64{1. / 3, 1. / 3, 1. / 3}, tol: .001},
		{
			// Two choices among loads 0, 5, 10: the idle host wins unless
			// both samples miss it (5/9), the busiest only when both hit it.
			name: "least request two choices", lb: LBLeastRequest, hosts: hostsN(3),
			setup: func(c *Cluster) { setActive(c, 0, 5, 10) },
			want:  []float64{5. / 9, 3. / 9, 1. / 9},
		},
		{
			name: "least request weighted", lb: LBLeastRequest, hosts: weighted(1, 2),
			want: []float64{1. / 3, 2. / 3}, tol: .001,
		},
		{
			// weight / (active+1): 1/1 against 2/2.
			name: "least request weighted with load", lb: LBLeastRequest, hosts: weighted(1, 2),
			setup: func(c *Cluster) { setActive(c, 0, 1) },
			want:  []float64{.5, .5}, tol: .001,
		},
		{
			name: "least connection", lb: LBLeastConnection, hosts: hostsN(3),
			setup: func(c *Cluster) { setConns(c, 0, 5, 10) },
			want:  []float64{5. / 9, 3. / 9, 1. / 9},
		},
		{
			// Cost is latency × (active+1): 10ms, 20ms, 40ms.
			name: "peak EWMA", lb: LBPeakEWMA, hosts: hostsN(3),
			setup: func(c *Cluster) {
				for i, h := range c.Hosts() {
					h.RecordLatency(time.Duration(10<<i) * time.Millisecond)
				}
			},
			want: []float64{5. / 9, 3. / 9, 1. / 9},
		},
		{
			// No latency yet: least request.
			name: "peak EWMA without samples", lb: LBPeakEWMA, hosts: hostsN(3),
			setup: func(c *Cluster) { setActive(c, 0, 5, 10) },
			want:  []float64{5. / 9, 3. / 9, 1. / 9},
		},
		{name: "maglev weights", lb: LBMaglev, hosts: weighted(1, 2, 1), ctx: randomKey, want: []float64{.25, .5, .25}, tol: .01},
		{name: "maglev without key", lb: LBMaglev, hosts: hostsN(3), ctx: noKey, want: []float64{1. / 3, 1. / 3, 1. / 3}},
		{name: "ring hash weights", lb: LBRingHash, hosts: weighted(1, 2, 1), ctx: randomKey, want: []float64{.25, .5, .25}, tol: .03},
		{name: "ring hash without key", lb: LBRingHash, hosts: hostsN(3), ctx: noKey, want: []float64{1. / 3, 1. / 3, 1. / 3}},
		{name: "request round robin first try", lb: LBRequestRoundRobin, hosts: weighted(1, 5, 1), ctx: noKey, want: []float64{1, 0, 0}, tol: 0.0001},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestCluster(t, ClusterOptions{LBType: tt.lb, Hosts: tt.hosts})
			if tt.setup != nil {
				tt.setup(c)
			}
			ctx := tt.ctx
			if ctx == nil {
				ctx = noKey
			}
			counts := pick(t, c, n, ctx)
			if tt.tol > 0 {
				checkShares(t, c, counts, tt.want, tt.tol)
				return
			}
			if x2 := chiSquare(c, counts, tt.want); x2 > chiSquareBound {
				t.Errorf("chi-square %.1f > %.1f: counts %v, want shares %v", x2, chiSquareBound, counts, tt.want)
			}
		})
	}
}

func setActive(c *Cluster, active ...int64) {
	for i, h := range c.Hosts() {
		h.st.active.Store(active[i])
	}
}

func setConns(c *Cluster, conns ...int64) {
	for i, h := range c.Hosts() {
		h.Pool().openCount.Store(conns[i])
	}
}

func TestRequestRoundRobinMovesOnPerRetry(t *testing.T) {
	c := newTestCluster(t, ClusterOptions{LBType: LBRequestRoundRobin, Hosts: hostsN(3)})
	for req := 0; req < 3; req++ {
		ctx := &lbCtx{index: -1}
		for attempt := 0; attempt < 3; attempt++ {
			h := c.ChooseHost(ctx)
			if want := c.Hosts()[attempt]; h != want {
				t.Fatalf("request %d attempt %d: %v, want %s", req, attempt, h, want.Address())
			}
		}
		if h := c.ChooseHost(ctx); h != nil {
			t.Fatalf("a fourth attempt over 3 hosts got %s", h.Address())
		}
	}
	// A context that cannot remember always gets the first host.
	if h := c.ChooseHost(nil); h != c.Hosts()[0] {
		t.Fatalf("nil context: %v", h)
	}
}

// TestHashConsistency: removing one host of ten moves only the keys that
// were on it (ring hash) or few more (Maglev), and unrelated changes move
// nothing.
func TestHashConsistency(t *testing.T) {
	keys := make([]uint64, 100000)
	for i := range keys {
		keys[i] = rand.Uint64() | 1
	}
	mapping := func(c *Cluster) []string {
		out := make([]string, len(keys))
		ctx := &lbCtx{}
		for i, k := range keys {
			ctx.key = k
			out[i] = c.ChooseHost(ctx).Address()
		}
		return out
	}
	for _, lb := range []string{LBMaglev, LBRingHash} {
		t.Run(lb, func(t *testing.T) {
			all := hostsN(10)
			c := newTestCluster(t, ClusterOptions{LBType: lb, Hosts: all})
			before := mapping(c)
			// A rebuild with the same hosts (a health check passing again)
			// maps every key the same way.
			c.healthChanged()
			for i, a := range mapping(c) {
				if a != before[i] {
					t.Fatalf("key %d moved from %s to %s on a rebuild", keys[i], before[i], a)
				}
			}
			var worst float64
			for removed := range all {
				rest := append(append([]HostOptions{}, all[:removed]...), all[removed+1:]...)
				c.UpdateHosts(rest)
				after := mapping(c)
				moved := 0
				for i := range keys {
					if after[i] != before[i] {
						moved++
					}
				}
				share := float64(moved) / float64(len(keys))
				worst = max(worst, share)
				if share > 0.12 {
					t.Errorf("removing %s moved %.1f%% of keys, want ≤ 12%%", all[removed].Address, 100*share)
				}
				c.UpdateHosts(all)
				for i, a := range mapping(c) {
					if a != before[i] {
						t.Fatalf("putting %s back: key %d maps to %s, was %s", all[removed].Address, keys[i], a, before[i])
					}
				}
			}
			t.Logf("%s: removing one of 10 hosts moves at most %.1f%% of keys", lb, 100*worst)
		})
	}
}

func TestMaglevTableShares(t *testing.T) {
	c := newTestCluster(t, ClusterOptions{LBType: LBMaglev, Hosts: weighted(1, 2, 3, 4)})
	lb := c.snap.Load().lb.(*maglevLB)
	counts := make([]int, len(lb.hosts))
	for _, i := range lb.table {
		counts[i]++
	}
	for i, n := range counts {
		want := float64(MaglevTableSize) * float64(i+1) / 10
		if math.Abs(float64(n)-want) > want*0.01 {
			t.Errorf("host %d of weight %d has %d entries, want %.0f ± 1%%", i, i+1, n, want)
		}
	}
}

func TestRingHashSize(t *testing.T) {
	for _, tt := range []struct {
		min, max uint64
		hosts    []HostOptions
		want     int
	}{
		{0, 0, hostsN(3), 3 * 512},           // 1024/3 per host, rounded up to a power of two
		{0, 0, weighted(1, 3), 4 * 256},      // the lightest gets 256
		{4096, 0, hostsN(4), 4096},           // minimum_ring_size
		{1024, 1500, weighted(1, 100), 1500}, // capped by maximum_ring_size
	} {
		c := newTestCluster(t, ClusterOptions{LBType: LBRingHash, Hosts: tt.hosts, LB: LBOptions{MinRingSize: tt.min, MaxRingSize: tt.max}})
		if got := len(c.snap.Load().lb.(*ringHashLB).ring); got != tt.want {
			t.Errorf("ring of %v (min %d, max %d): %d points, want %d", tt.hosts, tt.min, tt.max, got, tt.want)
		}
	}
}

// markUnhealthy fails the active health check of the hosts at idx.
func markUnhealthy(c *Cluster, idx ...int) {
	for _, i := range idx {
		c.Hosts()[i].st.setFlag(flagFailedActiveHC, true)
	}
	c.healthChanged()
}

func TestUnhealthyHostsAndPanicThreshold(t *testing.T) {
	for _, lb := range allLBs {
		t.Run(lb, func(t *testing.T) {
			c := newTestCluster(t, ClusterOptions{LBType: lb, Hosts: hostsN(4)})
			ctx := randomKey // a new context per pick: a new request
			markUnhealthy(c, 1)
			counts := pick(t, c, 2000, ctx)
			if counts[c.Hosts()[1].Address()] != 0 {
				t.Errorf("unhealthy host picked %d times: %v", counts[c.Hosts()[1].Address()], counts)
			}
			// 2 of 4 healthy: 50% is not below the threshold.
			markUnhealthy(c, 2)
			if counts := pick(t, c, 2000, ctx); counts[c.Hosts()[2].Address()] != 0 {
				t.Errorf("at 50%% healthy an unhealthy host was picked: %v", counts)
			}
			// 1 of 4 healthy: panic, every host takes traffic again.
			markUnhealthy(c, 3)
			counts = pick(t, c, 4000, ctx)
			want := 4
			if lb == LBRequestRoundRobin {
				want = 1 // always the first host
			}
			if len(counts) != want {
				t.Errorf("in panic mode %d hosts took traffic, want %d: %v", len(counts), want, counts)
			}
		})
	}
	t.Run("panic disabled", func(t *testing.T) {
		c := newTestCluster(t, ClusterOptions{Hosts: hostsN(4), PanicThreshold: -1})
		markUnhealthy(c, 1, 2, 3)
		if counts := pick(t, c, 100, noKey); len(counts) != 1 {
			t.Errorf("without panic mode: %v", counts)
		}
		markUnhealthy(c, 0)
		if h := c.ChooseHost(nil); h != nil {
			t.Errorf("no healthy host and no panic mode, got %s", h.Address())
		}
	})
}

// TestLBConcurrency runs picks, load reports, health changes and host
// updates at once, for the race detector.
func TestLBConcurrency(t *testing.T) {
	for _, lb := range allLBs {
		t.Run(lb, func(t *testing.T) {
			hosts := weighted(1, 2, 3, 1, 2, 3)
			c := newTestCluster(t, ClusterOptions{
				LBType: lb, Hosts: hosts,
				SlowStart: slowStartFor(lb),
				Outlier:   &OutlierOptions{Consecutive5xx: 3, EnforcingConsecutive5xx: 100, MaxEjectionPercent: 50},
			})
			var wg sync.WaitGroup
			for g := 0; g < 8; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ctx := &lbCtx{}
					for i := 0; i < 2000; i++ {
						ctx.key, ctx.index = rand.Uint64(), -1
						h := c.ChooseHost(ctx)
						if h == nil {
							t.Error("no host")
							return
						}
						h.BeginRequest()
						h.RecordLatency(time.Duration(rand.IntN(1000)) * time.Microsecond)
						h.RecordResult(200+300*rand.IntN(2), nil)
						h.EndRequest()
					}
				}()
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 50; i++ {
					c.UpdateHosts(hosts[:3+i%4])
					c.healthChanged()
				}
			}()
			wg.Wait()
		})
	}
}

func slowStartFor(lb string) *SlowStartOptions {
	switch lb {
	case LBRoundRobin, LBWeightedRR, LBLeastRequest:
		return &SlowStartOptions{Window: time.Minute}
	}
	return nil
}

// slowStartVariants is nil, and slow start for the balancers that have it.
func slowStartVariants(lb string) []*SlowStartOptions {
	if ss := slowStartFor(lb); ss != nil {
		return []*SlowStartOptions{nil, ss}
	}
	return []*SlowStartOptions{nil}
}

// TestLBPickAllocs guards the allocation budget of a pick: zero, for every
// balancer, through Cluster.ChooseHost.
func TestLBPickAllocs(t *testing.T) {
	for _, lb := range allLBs {
		for _, ss := range slowStartVariants(lb) {
			name := lb
			if ss != nil {
				name += "/slow_start"
			}
			t.Run(name, func(t *testing.T) {
				c := newTestCluster(t, ClusterOptions{LBType: lb, Hosts: weighted(1, 2, 3, 4), SlowStart: ss})
				ctx := &lbCtx{key: 12345, index: -1}
				if n := testing.AllocsPerRun(1000, func() {
					ctx.index = -1
					c.ChooseHost(ctx)
				}); n != 0 {
					t.Errorf("%.1f allocations per pick, want 0", n)
				}
			})
		}
	}
	t.Run("subset", func(t *testing.T) {
		c := newTestCluster(t, subsetCluster(FallbackAnyEndpoint))
		ctx := &lbCtx{criteria: map[string]string{"version": "v2", "stage": "prod"}, index: -1}
		if n := testing.AllocsPerRun(1000, func() { c.ChooseHost(ctx) }); n != 0 {
			t.Errorf("%.1f allocations per subset pick, want 0", n)
		}
	})
	t.Run("original_dst", func(t *testing.T) {
		c := newTestCluster(t, ClusterOptions{Type: ClusterOriginalDst})
		ctx := &lbCtx{dst: "127.0.0.1:8080"}
		c.ChooseHost(ctx)
		if n := testing.AllocsPerRun(1000, func() { c.ChooseHost(ctx) }); n != 0 {
			t.Errorf("%.1f allocations per original-destination pick, want 0", n)
		}
	})
	t.Run("host accounting", func(t *testing.T) {
		c := newTestCluster(t, ClusterOptions{Hosts: hostsN(2), Outlier: &OutlierOptions{Consecutive5xx: 5, EnforcingConsecutive5xx: 100}})
		h := c.Hosts()[0]
		if n := testing.AllocsPerRun(1000, func() {
			c.Acquire()
			h.BeginRequest()
			h.RecordLatency(time.Millisecond)
			h.RecordResult(200, nil)
			h.EndRequest()
			c.Release()
		}); n != 0 {
			t.Errorf("%.1f allocations per request's accounting, want 0", n)
		}
	})
}

// BenchmarkLBPick measures one pick through Cluster.ChooseHost over 10
// hosts of weights 1–4 (a hash key set for the hash balancers).
func BenchmarkLBPick(b *testing.B) {
	hosts := make([]HostOptions, 10)
	for i := range hosts {
		hosts[i] = HostOptions{Address: fmt.Sprintf("10.0.0.%d:80", i+1), Weight: uint32(1 + i%4)}
	}
	for _, lb := range allLBs {
		for _, ss := range slowStartVariants(lb) {
			name := lb
			if ss != nil {
				name += "/slow_start"
			}
			b.Run(name, func(b *testing.B) {
				c := newTestCluster(b, ClusterOptions{LBType: lb, Hosts: hosts, SlowStart: ss})
				ctx := &lbCtx{key: 0x9e3779b97f4a7c15, index: -1}
				b.ReportAllocs()
				for b.Loop() {
					ctx.index = -1
					ctx.key++
					c.ChooseHost(ctx)
				}
			})
		}
	}
	for _, lb := range []string{LBWeightedRR, LBLeastRequest, LBLeastConnection} {
		b.Run(lb+"/equal_weights", func(b *testing.B) {
			c := newTestCluster(b, ClusterOptions{LBType: lb, Hosts: hostsN(10)})
			b.ReportAllocs()
			for b.Loop() {
				c.ChooseHost(nil)
			}
		})
	}
	b.Run("subset", func(b *testing.B) {
		c := newTestCluster(b, subsetCluster(FallbackAnyEndpoint))
		ctx := &lbCtx{criteria: map[string]string{"version": "v2", "stage": "prod"}}
		b.ReportAllocs()
		for b.Loop() {
			c.ChooseHost(ctx)
		}
	})
}

// BenchmarkTimeNow is the price of reading the clock, which slow start
// and LB_PEAKEWMA pay per pick.
func BenchmarkTimeNow(b *testing.B) {
	for b.Loop() {
		time.Now()
	}
}

// BenchmarkLBPickParallel is BenchmarkLBPick from every P at once, where
// the EDF balancers' lock and the shared counters show.
func BenchmarkLBPickParallel(b *testing.B) {
	for _, lb := range allLBs {
		b.Run(lb, func(b *testing.B) {
			c := newTestCluster(b, ClusterOptions{LBType: lb, Hosts: weighted(1, 2, 3, 4, 1, 2, 3, 4, 1, 2)})
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				ctx := &lbCtx{key: rand.Uint64(), index: -1}
				for pb.Next() {
					ctx.index = -1
					ctx.key++
					c.ChooseHost(ctx)
				}
			})
		})
	}
}
