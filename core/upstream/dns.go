package upstream

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"time"
)

// DNS lookup families, as MOSN's and Envoy's dns_lookup_family.
const (
	// DNSV4Only asks for A records.
	DNSV4Only = "V4_ONLY"
	// DNSV6Only asks for AAAA records.
	DNSV6Only = "V6_ONLY"
	// DNSAuto asks for AAAA records and falls back to A records when there
	// are none (Envoy's AUTO).
	DNSAuto = "AUTO"
)

// DefaultDNSRefreshRate is how often a STRICT_DNS cluster re-resolves its
// names when dns_refresh_rate is not set (MOSN's and Envoy's 5s).
const DefaultDNSRefreshRate = 5 * time.Second

// Resolver resolves the names of a STRICT_DNS cluster. Tests inject a
// fake one.
type Resolver interface {
	// Resolve returns the addresses of host in family (DNSV4Only,
	// DNSV6Only or DNSAuto) and the smallest TTL among them; a zero TTL
	// means the resolver does not know it.
	Resolve(ctx context.Context, host, family string) ([]netip.Addr, time.Duration, error)
}

// DNSOptions configure a STRICT_DNS cluster.
type DNSOptions struct {
	// RefreshRate is the time between resolutions; zero means
	// DefaultDNSRefreshRate.
	RefreshRate time.Duration
	// RespectTTL re-resolves when the records' TTL runs out instead, when
	// the resolver reports TTLs (the one from NewResolver does not).
	RespectTTL bool
	// LookupFamily is DNSV4Only (also ""), DNSV6Only or DNSAuto.
	LookupFamily string
	// Resolver resolves; nil means NewResolver(nil, 0, 0), the system's.
	Resolver Resolver
	// Timeout bounds one resolution of one name; zero means 5s.
	Timeout time.Duration
}

// NewResolver returns a Resolver over Go's resolver. With servers
// ("ip:port") it asks those, in turn, instead of the system's
// (/etc/resolv.conf); attempts (zero means one) is how many servers it
// tries for one query and timeout (zero means 5s) bounds each try. It
// does not report TTLs.
func NewResolver(servers []string, timeout time.Duration, attempts int) Resolver {
	r := &netResolver{attempts: max(attempts, 1), timeout: timeout}
	if r.timeout <= 0 {
		r.timeout = 5 * time.Second
	}
	if len(servers) > 0 {
		var mu sync.Mutex
		next := 0
		r.r = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			mu.Lock()
			s := servers[next%len(servers)]
			next++
			mu.Unlock()
			var d net.Dialer
			return d.DialContext(ctx, network, s)
		}}
	} else {
		r.r = net.DefaultResolver
	}
	return r
}

type netResolver struct {
	r        *net.Resolver
	attempts int
	timeout  time.Duration
}

// Resolve implements Resolver.
func (r *netResolver) Resolve(ctx context.Context, host, family string) ([]netip.Addr, time.Duration, error) {
	switch family {
	case DNSV6Only:
		addrs, err := r.lookup(ctx, "ip6", host)
		return addrs, 0, err
	case DNSAuto:
		if addrs, err := r.lookup(ctx, "ip6", host); err == nil && len(addrs) > 0 {
			return addrs, 0, nil
		}
	}
	addrs, err := r.lookup(ctx, "ip4", host)
	return addrs, 0, err
}

func (r *netResolver) lookup(ctx context.Context, network, host string) ([]netip.Addr, error) {
	var err error
	for i := 0; i < r.attempts; i++ {
		tctx, cancel := context.WithTimeout(ctx, r.timeout)
		var addrs []netip.Addr
		addrs, err = r.r.LookupNetIP(tctx, network, host)
		cancel()
		if err == nil {
			return addrs, nil
		}
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) && dnsErr.IsNotFound || ctx.Err() != nil {
			break
		}
	}
	return nil, err
}

// dnsCluster keeps a STRICT_DNS cluster's hosts in step with DNS.
type dnsCluster struct {
	c        *Cluster
	o        DNSOptions
	resolver Resolver

	mu      sync.Mutex // guards targets and gen; serialises resolutions
	targets []*dnsTarget
	// gen counts setTargets calls: a scheduled resolution of an older
	// generation does nothing, so only one chain of resolutions runs.
	gen uint64
}

// dnsTarget is one configured host: a name (or an IP literal) and port,
// with the hosts its last successful resolution gave.
type dnsTarget struct {
	opts  HostOptions
	name  string
	port  string
	hosts []HostOptions
}

func newDNSCluster(c *Cluster, o DNSOptions) *dnsCluster {
	if o.RefreshRate <= 0 {
		o.RefreshRate = DefaultDNSRefreshRate
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	if o.LookupFamily == "" {
		o.LookupFamily = DNSV4Only
	}
	d := &dnsCluster{c: c, o: o, resolver: o.Resolver}
	if d.resolver == nil {
		d.resolver = NewResolver(nil, o.Timeout, 1)
	}
	return d
}

// setTargets replaces the names to resolve and resolves them at once (on
// the cluster's clock, asynchronously).
func (d *dnsCluster) setTargets(hosts []HostOptions) {
	var ts []*dnsTarget
	for _, h := range hosts {
		name, port, err := net.SplitHostPort(h.Address)
		if err != nil {
			// MOSN: a name without a port means port 80.
			name, port = h.Address, "80"
		}
		t := &dnsTarget{opts: h, name: name, port: port}
		if ip, err := netip.ParseAddr(name); err == nil {
			// An IP literal needs no resolution.
			t.hosts = []HostOptions{d.hostFor(t, ip)}
		}
		ts = append(ts, t)
	}
	d.mu.Lock()
	d.targets = ts
	d.gen++
	gen := d.gen
	d.mu.Unlock()
	d.schedule(0, gen)
}

func (d *dnsCluster) schedule(delay time.Duration, gen uint64) {
	d.c.after(delay, func() { d.resolve(gen) })
}

func (d *dnsCluster) hostFor(t *dnsTarget, ip netip.Addr) HostOptions {
	h := t.opts
	h.Address = net.JoinHostPort(ip.Unmap().String(), t.port)
	if h.Hostname == "" {
		h.Hostname = t.name
	}
	return h
}

// resolve resolves every name, publishes the hosts if they changed, and
// schedules the next resolution. A name that fails to resolve keeps the
// hosts of its last success.
func (d *dnsCluster) resolve(gen uint64) {
	d.mu.Lock()
	if gen != d.gen {
		d.mu.Unlock()
		return
	}
	ts := d.targets
	d.mu.Unlock()
	// Only this chain of resolutions touches ts; the lock is not held
	// while waiting on DNS.
	next := d.o.RefreshRate
	var all []HostOptions
	for _, t := range ts {
		if _, err := netip.ParseAddr(t.name); err == nil {
			all = append(all, t.hosts...)
			continue
		}
		ctx, cancel := context.WithTimeout(d.c.ctx, d.o.Timeout)
		addrs, ttl, err := d.resolver.Resolve(ctx, t.name, d.o.LookupFamily)
		cancel()
		switch {
		case err != nil:
			d.c.log.Warn("upstream: dns resolution failed", "cluster", d.c.name, "name", t.name, "error", err)
		case len(addrs) == 0:
			d.c.log.Warn("upstream: dns resolution found no address", "cluster", d.c.name, "name", t.name)
			t.hosts = nil
		default:
			t.hosts = t.hosts[:0:0]
			for _, ip := range addrs {
				t.hosts = append(t.hosts, d.hostFor(t, ip))
			}
			if d.o.RespectTTL && ttl > 0 {
				next = min(next, max(ttl, time.Second))
			}
		}
		all = append(all, t.hosts...)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if gen != d.gen || d.c.ctx.Err() != nil {
		return
	}
	d.c.mu.Lock()
	if !sameHosts(d.c.snap.Load().hosts, all) {
		d.c.setHostsLocked(all)
	}
	d.c.mu.Unlock()
	d.schedule(next, gen)
}

// sameHosts reports whether hosts already are exactly hs.
func sameHosts(hosts []*Host, hs []HostOptions) bool {
	if len(hosts) != len(hs) {
		return false
	}
	for i, h := range hosts {
		o := hs[i]
		if h.address != o.Address || h.hostname != o.Hostname || h.weight != max(o.Weight, 1) {
			return false
		}
	}
	return true
}
