package upstream

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/seed405ffdea/mosn/api"
)

func TestLoadBalancersHonourWeights(t *testing.T) {
	reg := NewLoadBalancerRegistry()
	for _, lb := range []string{LBRoundRobin, LBRandom, "lb.round_robin"} {
		t.Run(lb, func(t *testing.T) {
			c, err := NewCluster(ClusterOptions{Name: "c", LBType: lb, Hosts: []HostOptions{
				{Address: "a:1", Weight: 1}, {Address: "b:1", Weight: 3}, {Address: "c:1"},
			}}, reg)
			if err != nil {
				t.Fatal(err)
			}
			counts := map[string]int{}
			const n = 10000
			for i := 0; i < n; i++ {
				counts[c.ChooseHost(nil).Address()]++
			}
			// weights 1:3:1 (0 reads as 1)
			want := map[string]float64{"a:1": 0.2, "b:1": 0.6, "c:1": 0.2}
			for h, w := range want {
				got := float64(counts[h]) / n
				if got < w-0.03 || got > w+0.03 {
					t.Errorf("%s: share %.3f, want %.2f", h, got, w)
				}
			}
		})
	}
	if _, err := NewCluster(ClusterOptions{Name: "c", LBType: "LB_NOPE"}, reg); err == nil {
		t.Fatal("unknown lb_type accepted")
	}
	if err := reg.Register("lb.random", nil); err == nil {
		t.Fatal("duplicate registration accepted")
	}
}

func TestEmptyClusterChoosesNothing(t *testing.T) {
	c, _ := NewCluster(ClusterOptions{Name: "c"}, NewLoadBalancerRegistry())
	if c.ChooseHost(nil) != nil {
		t.Fatal("host from an empty cluster")
	}
}

func TestMaxRequestsBreaker(t *testing.T) {
	c, _ := NewCluster(ClusterOptions{Name: "c", MaxRequests: 2}, NewLoadBalancerRegistry())
	if !c.Acquire() || !c.Acquire() || c.Acquire() {
		t.Fatal("breaker did not open at 2")
	}
	c.Release()
	if !c.Acquire() {
		t.Fatal("breaker did not close after a release")
	}
}

func listen(t *testing.T) (net.Listener, chan net.Conn) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan net.Conn, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		for c := range accepted {
			c.Close()
		}
	})
	return ln, accepted
}

func TestPoolReusesAndLimits(t *testing.T) {
	ln, accepted := listen(t)
	p := NewPool(ln.Addr().String(), PoolOptions{MaxConns: 1, MaxRequestsPerConn: 2})
	defer p.Close()
	ctx := context.Background()
	c1, err := p.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	<-accepted
	if _, err := p.Get(ctx); !errors.Is(err, ErrOverflow) {
		t.Fatalf("second connection past max_connections: %v", err)
	}
	p.Put(c1, true)
	c2, err := p.Get(ctx)
	if err != nil || c2 != c1 || !c2.Reused {
		t.Fatalf("idle connection not reused: %v", err)
	}
	p.Put(c2, true) // second request: max_request_per_conn reached, closed
	if p.Open() != 0 {
		t.Fatalf("connection kept past max_request_per_conn: %d open", p.Open())
	}
}

func TestPoolDropsConnectionsClosedByServer(t *testing.T) {
	ln, accepted := listen(t)
	p := NewPool(ln.Addr().String(), PoolOptions{})
	defer p.Close()
	c1, err := p.Get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	srv := <-accepted
	p.Put(c1, true)
	srv.Close()
	// Age the idle connection past the probe threshold.
	p.mu.Lock()
	p.idle[0].idleSince = time.Now().Add(-time.Second)
	p.mu.Unlock()
	time.Sleep(20 * time.Millisecond) // let the FIN arrive
	c2, err := p.Get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c2 == c1 {
		t.Fatal("reused a connection the server had closed")
	}
	p.Discard(c2)
}

func TestConnectFailure(t *testing.T) {
	ln, _ := listen(t)
	addr := ln.Addr().String()
	ln.Close()
	p := NewPool(addr, PoolOptions{ConnectTimeout: time.Second})
	if _, err := p.Get(context.Background()); !errors.Is(err, ErrConnectFailed) {
		t.Fatalf("got %v", err)
	}
	if p.Open() != 0 {
		t.Fatal("failed dial counted as open")
	}
}

func TestManagerSnapshot(t *testing.T) {
	m := NewManager()
	reg := NewLoadBalancerRegistry()
	a, _ := NewCluster(ClusterOptions{Name: "a"}, reg)
	m.Update([]*Cluster{a})
	if m.Get("a") != a || m.Get("b") != nil {
		t.Fatal("lookup")
	}
	b, _ := NewCluster(ClusterOptions{Name: "b"}, reg)
	m.Update([]*Cluster{b})
	if m.Get("a") != nil || m.Get("b") != b {
		t.Fatal("update did not replace the set")
	}
}

var _ api.HostInfo = (*Host)(nil)
