package upstream

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// TestCircuitBreakerOverflowIsImmediate: past max_connections or
// max_pending_requests a request is refused at once with ErrOverflow,
// even while other requests wait on a slow connect.
func TestCircuitBreakerOverflowIsImmediate(t *testing.T) {
	lnA, accA := listen(t)
	lnB, accB := listen(t)

	t.Run("max_connections is cluster-wide", func(t *testing.T) {
		// Two hosts sharing a limit of 2.
		c := newTestCluster(t, ClusterOptions{
			Hosts:          []HostOptions{{Address: lnA.Addr().String()}, {Address: lnB.Addr().String()}},
			MaxConnections: 2,
		})
		ctx := context.Background()
		a, err := c.Hosts()[0].Pool().Get(ctx)
		if err != nil {
			t.Fatal(err)
		}
		<-accA
		b, err := c.Hosts()[1].Pool().Get(ctx)
		if err != nil {
			t.Fatal(err)
		}
		<-accB
		start := time.Now()
		if _, err := c.Hosts()[0].Pool().Get(ctx); !errors.Is(err, ErrOverflow) {
			t.Fatalf("third connection: %v, want ErrOverflow", err)
		}
		if took := time.Since(start); took > 50*time.Millisecond {
			t.Errorf("overflow took %s, want at once", took)
		}
		// Idle connections are reused without counting again; a closed one
		// frees its slot.
		c.Hosts()[0].Pool().Put(a, true)
		if a2, err := c.Hosts()[0].Pool().Get(ctx); err != nil || a2 != a {
			t.Fatalf("idle connection not reused: %v", err)
		}
		c.Hosts()[1].Pool().Discard(b)
		if b2, err := c.Hosts()[1].Pool().Get(ctx); err != nil {
			t.Fatalf("a freed slot was not reusable: %v", err)
		} else {
			<-accB
			c.Hosts()[1].Pool().Discard(b2)
		}
		c.Hosts()[0].Pool().Discard(a)
		if n := c.limits.conns.Load(); n != 0 {
			t.Fatalf("%d connections still counted", n)
		}
	})
}

func TestRequestAndRetryBreakers(t *testing.T) {
	c := newTestCluster(t, ClusterOptions{MaxRequests: 2, MaxRetries: 1})
	if !c.Acquire() || !c.Acquire() || c.Acquire() {
		t.Fatal("max_requests did not open at 2")
	}
	c.Release()
	if !c.Acquire() {
		t.Fatal("max_requests did not close after a release")
	}
	if !c.AcquireRetry() || c.AcquireRetry() {
		t.Fatal("max_retries did not open at 1")
	}
	c.ReleaseRetry()
	if !c.AcquireRetry() {
		t.Fatal("max_retries did not close after a release")
	}
	unlimited := newTestCluster(t, ClusterOptions{})
	for i := 0; i < 100; i++ {
		if !unlimited.Acquire() || !unlimited.AcquireRetry() {
			t.Fatal("a zero limit refused a request")
		}
	}
}

// TestUpdateHostsKeepsConnections: an EDS update keeps the pools (and
// open connections) of the hosts that remain, drains the removed ones and
// gives new ones fresh state.
func TestUpdateHostsKeepsConnections(t *testing.T) {
	lnA, accA := listen(t)
	lnB, accB := listen(t)
	a, b := lnA.Addr().String(), lnB.Addr().String()
	c := newTestCluster(t, ClusterOptions{Type: ClusterEDS, Hosts: []HostOptions{{Address: a}, {Address: b}}})
	ha, hb := c.snap.Load().byAddr[a], c.snap.Load().byAddr[b]
	ctx := context.Background()
	ca, err := ha.Pool().Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	srvA := <-accA
	ha.Pool().Put(ca, true)
	cb, err := hb.Pool().Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	srvB := <-accB
	ha.st.setFlag(flagFailedActiveHC, true) // health state survives too

	// b leaves (busy), a stays with a new weight, d arrives.
	c.UpdateHosts([]HostOptions{{Address: a, Weight: 3}, {Address: "127.0.0.1:1"}})
	ha2 := c.snap.Load().byAddr[a]
	if ha2 == nil || ha2.Weight() != 3 || ha2.Pool() != ha.Pool() || ha2.Healthy() {
		t.Fatalf("remaining host lost its state: %+v", ha2)
	}
	if c.snap.Load().byAddr[b] != nil || len(c.Hosts()) != 2 {
		t.Fatalf("hosts after update: %v", c.Hosts())
	}
	if got, err := ha2.Pool().Get(ctx); err != nil || got != ca {
		t.Fatalf("the connection to the remaining host was not kept: %v", err)
	} else {
		ha2.Pool().Put(got, true)
	}
	// The removed host's busy connection finishes its request, then closes.
	if _, err := hb.Pool().Get(ctx); err == nil {
		t.Fatal("a removed host's pool accepted a new request")
	}
	if _, err := cb.Write([]byte("x")); err != nil {
		t.Fatalf("the busy connection of a removed host was cut: %v", err)
	}
	hb.Pool().Put(cb, true)
	srvB.SetReadDeadline(time.Now().Add(2 * time.Second))
	buf := make([]byte, 4)
	if n, _ := srvB.Read(buf); n != 1 {
		t.Fatal("request bytes lost")
	}
	if _, err := srvB.Read(buf); err == nil {
		t.Fatal("the removed host's connection stayed open after its request")
	}
	srvA.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	if _, err := srvA.Read(buf); !isTimeout(err) {
		t.Fatalf("the remaining host's connection was closed: %v", err)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// TestManagerUpdateAdoptsPools: a cluster rebuilt by a config update
// (same name) takes over the old one's connections.
func TestManagerUpdateAdoptsPools(t *testing.T) {
	ln, acc := listen(t)
	addr := ln.Addr().String()
	m := NewManager()
	old := newTestCluster(t, ClusterOptions{Hosts: []HostOptions{{Address: addr}}, MaxConnections: 5})
	m.Update([]*Cluster{old})
	uc, err := old.Hosts()[0].Pool().Get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	<-acc
	old.Hosts()[0].Pool().Put(uc, true)

	next := newTestCluster(t, ClusterOptions{Hosts: []HostOptions{{Address: addr, Weight: 2}, {Address: "127.0.0.1:1"}}, MaxConnections: 5})
	m.Update([]*Cluster{next})
	if m.Get("c") != next {
		t.Fatal("update did not publish the new cluster")
	}
	got, err := next.snap.Load().byAddr[addr].Pool().Get(context.Background())
	if err != nil || got != uc {
		t.Fatalf("the new cluster did not take over the connection: %v", err)
	}
	if old.limits.conns.Load() != 0 || next.limits.conns.Load() != 1 {
		t.Fatalf("connections counted: old %d, new %d", old.limits.conns.Load(), next.limits.conns.Load())
	}
	old.Close() // closing the old cluster leaves the adopted pool alone
	next.snap.Load().byAddr[addr].Pool().Put(got, true)
	if next.snap.Load().byAddr[addr].Pool().Open() != 1 {
		t.Fatal("closing the old cluster closed an adopted connection")
	}
}

type fakeResolver struct {
	mu    sync.Mutex
	addrs map[string][]string
	ttl   time.Duration
	err   error
	calls int
}

func (r *fakeResolver) set(name string, ips ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.addrs[name] = ips
}

func (r *fakeResolver) Resolve(_ context.Context, host, family string) ([]netip.Addr, time.Duration, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.err != nil {
		return nil, 0, r.err
	}
	var out []netip.Addr
	for _, s := range r.addrs[host] {
		ip := netip.MustParseAddr(s)
		if family == DNSV4Only && !ip.Is4() || family == DNSV6Only && !ip.Is6() {
			continue
		}
		out = append(out, ip)
	}
	return out, r.ttl, nil
}

func addresses(c *Cluster) []string {
	var out []string
	for _, h := range c.Hosts() {
		out = append(out, h.Address())
	}
	return out
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestStrictDNS: names are resolved, re-resolved every dns_refresh_rate
// (or TTL), failures keep the last answer, and hosts that stay keep their
// state.
func TestStrictDNS(t *testing.T) {
	clk := newFakeClock()
	r := &fakeResolver{addrs: map[string][]string{"api.internal": {"10.1.0.1", "10.1.0.2", "fd00::1"}}}
	c := newTestCluster(t, ClusterOptions{
		Type:  ClusterStrictDNS,
		Hosts: []HostOptions{{Address: "api.internal:8080", Weight: 2}, {Address: "10.9.9.9:80"}},
		Clock: clk,
		DNS:   DNSOptions{Resolver: r, RefreshRate: 30 * time.Second},
	})
	if len(c.Hosts()) != 0 {
		t.Fatalf("hosts before the first resolution: %v", addresses(c))
	}
	clk.Advance(0)
	want := []string{"10.1.0.1:8080", "10.1.0.2:8080", "10.9.9.9:80"}
	if got := addresses(c); !equal(got, want) {
		t.Fatalf("hosts %v, want %v", got, want)
	}
	if h := c.Hosts()[0]; h.Weight() != 2 || h.Hostname() != "api.internal" {
		t.Fatalf("resolved host %+v: weight and hostname not carried over", h)
	}
	kept := c.Hosts()[1].Pool()

	r.set("api.internal", "10.1.0.2", "10.1.0.3")
	clk.Advance(29 * time.Second)
	if got := addresses(c); !equal(got, want) {
		t.Fatalf("re-resolved before dns_refresh_rate: %v", got)
	}
	clk.Advance(time.Second)
	want = []string{"10.1.0.2:8080", "10.1.0.3:8080", "10.9.9.9:80"}
	if got := addresses(c); !equal(got, want) {
		t.Fatalf("after refresh: %v, want %v", got, want)
	}
	if c.Hosts()[0].Pool() != kept {
		t.Fatal("a host that stayed in DNS lost its pool")
	}

	r.mu.Lock()
	r.err = errors.New("SERVFAIL")
	r.mu.Unlock()
	clk.Advance(30 * time.Second)
	if got := addresses(c); !equal(got, want) {
		t.Fatalf("a failed resolution changed the hosts: %v", got)
	}

	// UpdateHosts replaces the names and resolves them at once.
	r.mu.Lock()
	r.err = nil
	r.mu.Unlock()
	r.set("db.internal", "10.2.0.1")
	c.UpdateHosts([]HostOptions{{Address: "db.internal"}})
	clk.Advance(0)
	if got := addresses(c); !equal(got, []string{"10.2.0.1:80"}) {
		t.Fatalf("after UpdateHosts: %v (a name without a port is port 80)", got)
	}
}

func TestStrictDNSFamiliesAndTTL(t *testing.T) {
	clk := newFakeClock()
	r := &fakeResolver{addrs: map[string][]string{"svc": {"10.0.0.1", "fd00::1"}}, ttl: 3 * time.Second}
	c := newTestCluster(t, ClusterOptions{
		Type: ClusterStrictDNS, Hosts: []HostOptions{{Address: "svc:80"}}, Clock: clk,
		DNS: DNSOptions{Resolver: r, LookupFamily: DNSV6Only, RespectTTL: true},
	})
	clk.Advance(0)
	if got := addresses(c); !equal(got, []string{"[fd00::1]:80"}) {
		t.Fatalf("V6_ONLY: %v", got)
	}
	r.mu.Lock()
	calls := r.calls
	r.mu.Unlock()
	clk.Advance(3 * time.Second) // the TTL, before the 5s refresh rate
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.calls != calls+1 {
		t.Fatalf("respect_dns_ttl: %d resolutions after the TTL ran out, want 1", r.calls-calls)
	}
}

// TestOriginalDst: the host is the connection's original destination or,
// with use_header, the request's header; hosts are reused, and forgotten
// when unused.
func TestOriginalDst(t *testing.T) {
	clk := newFakeClock()
	c := newTestCluster(t, ClusterOptions{
		Type: ClusterOriginalDst, Clock: clk,
		OriginalDst: OriginalDstOptions{UseHeader: true, HeaderName: "x-dst"},
	})
	h1 := c.ChooseHost(&lbCtx{dst: "10.0.0.7:9000"})
	if h1 == nil || h1.Address() != "10.0.0.7:9000" {
		t.Fatalf("original destination: %v", h1)
	}
	if c.ChooseHost(&lbCtx{dst: "10.0.0.7:9000"}) != h1 {
		t.Fatal("the same destination made a second host")
	}
	h2 := c.ChooseHost(&lbCtx{dst: "10.0.0.7:9000", headers: headerMap{"x-dst": "backend.local"}})
	if h2 == nil || h2.Address() != "backend.local:80" {
		t.Fatalf("header destination without a port: %v", h2)
	}
	for _, bad := range []string{"", "a b:80", "host:0", "host:http", "/etc/passwd"} {
		if h := c.ChooseHost(&lbCtx{headers: headerMap{"x-dst": bad}}); h != nil && bad != "" {
			t.Errorf("header %q gave host %s", bad, h.Address())
		}
	}
	if c.ChooseHost(&lbCtx{}) != nil || c.ChooseHost(nil) != nil {
		t.Fatal("a host without any destination")
	}
	// Unused for a whole cleanup interval: forgotten.
	clk.Advance(5 * time.Second) // clears the "used" marks
	c.ChooseHost(&lbCtx{dst: "10.0.0.7:9000"})
	clk.Advance(5 * time.Second)
	if got := len(c.origDst.all()); got != 1 {
		t.Fatalf("%d hosts after cleanup, want the one still used", got)
	}
	p := h2.Pool()
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if !closed {
		t.Fatal("a forgotten host's pool was not drained")
	}
}

func TestClusterOptionErrors(t *testing.T) {
	reg := NewLoadBalancerRegistry()
	for _, tt := range []struct {
		o    ClusterOptions
		want string
	}{
		{ClusterOptions{Name: "c", LBType: "LB_NOPE"}, `upstream: cluster "c": unknown lb_type "LB_NOPE"`},
		{ClusterOptions{Name: "c", Type: "DYNAMIC"}, `upstream: cluster "c": unknown cluster type "DYNAMIC"`},
		{ClusterOptions{Name: "c", LBType: LBOriginalDst}, `upstream: cluster "c": lb_type "LB_ORIGINAL_DST" needs cluster type ORIGINAL_DST`},
		{ClusterOptions{Name: "c", Type: ClusterOriginalDst, LBType: LBMaglev}, `upstream: cluster "c": lb_type "LB_MAGLEV" does not apply to an ORIGINAL_DST cluster`},
	} {
		if _, err := NewCluster(tt.o, reg); err == nil || err.Error() != tt.want {
			t.Errorf("%+v: got %v, want %s", tt.o, err, tt.want)
		}
	}
}

func TestClusterCloseIsIdempotentAndStopsWork(t *testing.T) {
	clk := newFakeClock()
	r := &fakeResolver{addrs: map[string][]string{"svc": {"10.0.0.1"}}}
	c, err := NewCluster(ClusterOptions{
		Name: "c", Type: ClusterStrictDNS, Hosts: []HostOptions{{Address: "svc:80"}}, Clock: clk,
		DNS: DNSOptions{Resolver: r}, Outlier: &OutlierOptions{Consecutive5xx: 1, EnforcingConsecutive5xx: 100},
	}, NewLoadBalancerRegistry())
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(0)
	c.Close()
	c.Close()
	r.mu.Lock()
	calls := r.calls
	r.mu.Unlock()
	clk.Advance(time.Hour)
	if r.calls != calls {
		t.Fatal("a closed cluster still resolves")
	}
}

// TestManagerUpdateKeepsHostState: a rebuilt cluster keeps when its hosts
// joined (slow start) and which are ejected.
func TestManagerUpdateKeepsHostState(t *testing.T) {
	clk := newFakeClock()
	o := ClusterOptions{Hosts: hostsN(3), Clock: clk, Outlier: &OutlierOptions{Consecutive5xx: 1, EnforcingConsecutive5xx: 100, MaxEjectionPercent: 100}}
	m := NewManager()
	old := newTestCluster(t, o)
	m.Update([]*Cluster{old})
	old.Hosts()[1].RecordResult(500, nil)
	joined := old.Hosts()[0].st.addedAt
	clk.Advance(10 * time.Second) // within the 30s ejection

	next := newTestCluster(t, o)
	m.Update([]*Cluster{next})
	if !next.Hosts()[1].Ejected() || next.Hosts()[0].Ejected() {
		t.Fatal("the ejection was not carried over")
	}
	if next.Hosts()[0].st.addedAt != joined {
		t.Fatal("hosts look new to slow start after a config update")
	}
	for i := 0; i < 100; i++ {
		if next.ChooseHost(nil) == next.Hosts()[1] {
			t.Fatal("an ejected host was chosen after the update")
		}
	}
}
