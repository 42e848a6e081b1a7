package upstream

import (
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seed405ffdea/mosn/api"
)

// OriginalDstContext is an optional interface of an api.LBContext: the
// address the downstream connection was originally sent to (before an
// iptables redirect), for ORIGINAL_DST clusters.
type OriginalDstContext interface {
	// OriginalDst returns "ip:port", or "" when unknown.
	OriginalDst() string
}

// OriginalDstOptions configure an ORIGINAL_DST cluster (MOSN's
// original_dst_lb_config).
type OriginalDstOptions struct {
	// UseHeader takes the destination from the request header HeaderName
	// when present, before the connection's original destination.
	UseHeader bool
	// HeaderName is the header; empty means "host" (MOSN's default).
	HeaderName string
	// CleanupInterval is how often hosts unused since the last sweep are
	// removed; zero means 5s (Envoy's cleanup_interval).
	CleanupInterval time.Duration
}

// originalDst makes a host per destination on demand and forgets the ones
// no longer used.
type originalDst struct {
	c        *Cluster
	header   string
	interval time.Duration
	// hosts maps a destination as the request gave it to its host;
	// copy-on-write under mu.
	hosts atomic.Pointer[map[string]*Host]
	mu    sync.Mutex
}

func newOriginalDst(c *Cluster, o OriginalDstOptions) *originalDst {
	d := &originalDst{c: c, interval: o.CleanupInterval}
	if o.UseHeader {
		d.header = o.HeaderName
		if d.header == "" {
			d.header = "host"
		}
	}
	if d.interval <= 0 {
		d.interval = 5 * time.Second
	}
	empty := map[string]*Host{}
	d.hosts.Store(&empty)
	c.after(d.interval, d.cleanup)
	return d
}

func (d *originalDst) choose(ctx api.LBContext) *Host {
	if ctx == nil {
		return nil
	}
	var dst string
	if d.header != "" {
		if hm := ctx.Headers(); hm != nil {
			dst, _ = hm.Get(d.header)
		}
	}
	if dst == "" {
		if oc, ok := ctx.(OriginalDstContext); ok {
			dst = oc.OriginalDst()
		}
	}
	if dst == "" {
		return nil
	}
	if h := (*d.hosts.Load())[dst]; h != nil {
		if !h.st.used.Load() {
			h.st.used.Store(true)
		}
		return h
	}
	return d.add(dst)
}

// add makes the host for a destination seen for the first time.
func (d *originalDst) add(dst string) *Host {
	addr, ok := normalizeDst(dst)
	if !ok {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	cur := *d.hosts.Load()
	if h := cur[dst]; h != nil {
		return h
	}
	var h *Host
	for _, o := range cur {
		if o.address == addr {
			h = o
			break
		}
	}
	if h == nil {
		d.c.lmu.Lock()
		closed := d.c.closed
		d.c.lmu.Unlock()
		if closed {
			return nil
		}
		h = &Host{address: addr, hostname: addr, cluster: d.c.name, weight: 1, st: d.c.newHostState(addr, false)}
	}
	h.st.used.Store(true)
	next := make(map[string]*Host, len(cur)+1)
	for k, v := range cur {
		next[k] = v
	}
	// The header value may alias the request's read buffer.
	next[strings.Clone(dst)] = h
	d.hosts.Store(&next)
	return h
}

// normalizeDst checks a destination — an IP address or a host name, with
// an optional port — and adds MOSN's default port 80.
func normalizeDst(dst string) (string, bool) {
	host, port, err := net.SplitHostPort(dst)
	if err != nil {
		host, port = dst, "80"
		if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
			host = host[1 : len(host)-1]
		}
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 || port[0] == '+' {
		return "", false
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if z := ip.Zone(); z != "" && !isHostName(z) {
			return "", false
		}
		return net.JoinHostPort(ip.String(), port), true
	}
	if !isHostName(host) {
		return "", false
	}
	return net.JoinHostPort(host, port), true
}

// isHostName reports whether s is a plausible DNS name: letters, digits,
// '-', '_' and dots, at most 253 bytes.
func isHostName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// cleanup forgets hosts not picked since the last sweep and with nothing
// in flight, and drains their pools.
func (d *originalDst) cleanup() {
	d.mu.Lock()
	cur := *d.hosts.Load()
	keep := make(map[string]*Host, len(cur))
	var gone []*Host
	for k, h := range cur {
		if h.st.used.Swap(false) || h.st.active.Load() > 0 {
			keep[k] = h
		} else {
			gone = append(gone, h)
		}
	}
	if len(gone) > 0 {
		d.hosts.Store(&keep)
	}
	d.mu.Unlock()
	for _, h := range gone {
		if !stillMapped(keep, h) {
			h.Pool().Close()
		}
	}
	d.c.after(d.interval, d.cleanup)
}

func stillMapped(m map[string]*Host, h *Host) bool {
	for _, o := range m {
		if o == h {
			return true
		}
	}
	return false
}

// all returns every host made so far.
func (d *originalDst) all() []*Host {
	seen := map[*Host]bool{}
	var out []*Host
	for _, h := range *d.hosts.Load() {
		if !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	return out
}
