package upstream

import (
	"testing"
	"time"
)

// subsetCluster: six hosts tagged by version and stage.
//
//	10.0.0.1 v1 prod   10.0.0.2 v1 prod   10.0.0.3 v2 prod
//	10.0.0.4 v2 canary 10.0.0.5 v2 prod   10.0.0.6 (none)
func subsetCluster(fallback SubsetFallback) ClusterOptions {
	hs := hostsN(6)
	md := []map[string]string{
		{"version": "v1", "stage": "prod"}, {"version": "v1", "stage": "prod"},
		{"version": "v2", "stage": "prod"}, {"version": "v2", "stage": "canary"},
		{"version": "v2", "stage": "prod"}, nil,
	}
	for i := range hs {
		hs[i].Metadata = md[i]
	}
	return ClusterOptions{Name: "subset", Hosts: hs, Subset: &SubsetOptions{
		FallbackPolicy: fallback,
		DefaultSubset:  map[string]string{"stage": "canary"},
		Selectors:      [][]string{{"version"}, {"stage", "version"}},
	}}
}

func TestSubsetLoadBalancing(t *testing.T) {
	addrs := func(idx ...int) map[string]bool {
		m := map[string]bool{}
		for _, i := range idx {
			m[hostsN(6)[i].Address] = true
		}
		return m
	}
	tests := []struct {
		name     string
		fallback SubsetFallback
		criteria map[string]string
		want     map[string]bool // nil: no host
	}{
		{"one key", FallbackNone, map[string]string{"version": "v1"}, addrs(0, 1)},
		{"two keys", FallbackNone, map[string]string{"version": "v2", "stage": "prod"}, addrs(2, 4)},
		{"no such subset, no fallback", FallbackNone, map[string]string{"version": "v3"}, nil},
		{"keys of no selector", FallbackNone, map[string]string{"stage": "prod"}, nil},
		{"no criteria, no fallback", FallbackNone, nil, nil},
		{"no such subset, any endpoint", FallbackAnyEndpoint, map[string]string{"version": "v3"}, addrs(0, 1, 2, 3, 4, 5)},
		{"no criteria, default subset", FallbackDefaultSubset, nil, addrs(3)},
		{"match beats default subset", FallbackDefaultSubset, map[string]string{"version": "v1"}, addrs(0, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestCluster(t, subsetCluster(tt.fallback))
			ctx := &lbCtx{criteria: tt.criteria}
			seen := map[string]bool{}
			for i := 0; i < 600; i++ {
				h := c.ChooseHost(ctx)
				if tt.want == nil {
					if h != nil {
						t.Fatalf("got %s, want no host", h.Address())
					}
					return
				}
				if h == nil {
					t.Fatal("no host")
				}
				if !tt.want[h.Address()] {
					t.Fatalf("picked %s outside the subset %v", h.Address(), tt.want)
				}
				seen[h.Address()] = true
			}
			if len(seen) != len(tt.want) {
				t.Errorf("picked %v, want all of %v", seen, tt.want)
			}
		})
	}
}

func TestSubsetExcludesUnhealthyHosts(t *testing.T) {
	c := newTestCluster(t, subsetCluster(FallbackNone))
	ctx := &lbCtx{criteria: map[string]string{"version": "v2", "stage": "prod"}}
	markUnhealthy(c, 2) // half of the subset: not below the panic threshold
	for i := 0; i < 100; i++ {
		if h := c.ChooseHost(ctx); h.Address() != "10.0.0.5:80" {
			t.Fatalf("picked %s", h.Address())
		}
	}
}

// TestSlowStart: a host added to a warm cluster starts at
// min_weight_percent of its weight and ramps up over the window.
func TestSlowStart(t *testing.T) {
	for _, lb := range []string{LBRoundRobin, LBWeightedRR, LBLeastRequest} {
		t.Run(lb, func(t *testing.T) {
			clk := newFakeClock()
			c := newTestCluster(t, ClusterOptions{
				LBType: lb, Hosts: hostsN(2), Clock: clk,
				SlowStart: &SlowStartOptions{Window: 100 * time.Second, Aggression: 1, MinWeightPercent: 0.1},
			})
			clk.Advance(time.Hour)
			c.UpdateHosts(hostsN(3))
			newHost := c.Hosts()[2].Address()
			share := func() float64 {
				counts := pick(t, c, 30000, noKey)
				return float64(counts[newHost]) / 30000
			}
			// weight factor 0.1 (min_weight_percent): 0.1 / 2.1
			if got := share(); got < 0.03 || got > 0.065 {
				t.Errorf("new host's share %.3f at first, want about %.3f", got, 0.1/2.1)
			}
			clk.Advance(50 * time.Second) // factor 0.5
			if got := share(); got < 0.17 || got > 0.23 {
				t.Errorf("new host's share %.3f half way, want about %.3f", got, 0.5/2.5)
			}
			clk.Advance(50 * time.Second)
			if got := share(); got < 0.31 || got > 0.36 {
				t.Errorf("new host's share %.3f after the window, want 1/3", got)
			}
		})
	}
}

func TestSlowStartFactor(t *testing.T) {
	clk := newFakeClock()
	cfg := newLBConfig(LBOptions{}, &SlowStartOptions{Window: 100 * time.Second, Aggression: 2}, clk)
	h := &Host{weight: 1, st: &hostState{addedAt: clk.Now()}}
	for _, tt := range []struct {
		age  time.Duration
		want float64
	}{
		{0, 0.1},                // (1s/100s)^0.5 = 0.1
		{25 * time.Second, 0.5}, // (0.25)^0.5
		{64 * time.Second, 0.8}, // (0.64)^0.5
		{100 * time.Second, 1},  // window over
		{time.Hour, 1},
	} {
		if got := cfg.slowStartFactor(h, clk.Now().Add(tt.age)); got < tt.want-1e-9 || got > tt.want+1e-9 {
			t.Errorf("age %s: factor %.4f, want %.4f", tt.age, got, tt.want)
		}
	}
}
