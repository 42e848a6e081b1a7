package config

import (
	"fmt"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// The L4 network filters. Their configs are MOSN's (pkg/config/v2
// StreamProxy), whose fields are Envoy's TcpProxy / UdpProxyConfig.
const (
	// TCPProxyType is the tcp_proxy network filter.
	TCPProxyType = "tcp_proxy"
	// UDPProxyType is the udp_proxy network filter; it runs on a listener
	// whose network is "udp".
	UDPProxyType = "udp_proxy"
)

// Defaults of the L4 filters, Envoy's.
const (
	// DefaultTCPIdleTimeout closes a tcp_proxy connection that moved no
	// byte either way for this long (Envoy's tcp_proxy idle_timeout).
	DefaultTCPIdleTimeout = time.Hour
	// DefaultUDPIdleTimeout ends a udp_proxy session that moved no
	// datagram either way for this long (Envoy's udp_proxy idle_timeout).
	DefaultUDPIdleTimeout = time.Minute
	// DefaultUDPMaxSessions bounds the sessions of one udp_proxy filter.
	DefaultUDPMaxSessions = 10000
	// maxConnectAttempts bounds max_connect_attempts: each attempt may
	// wait a whole connect_timeout.
	maxConnectAttempts = 100
)

// TCPProxyConfig is the configuration of the "tcp_proxy" network filter:
// every byte of a downstream connection goes to one upstream connection
// and back.
type TCPProxyConfig struct {
	// StatPrefix labels the filter in logs (Envoy's stat_prefix); default
	// the listener's name.
	StatPrefix string `json:"stat_prefix,omitempty"`
	// Cluster receives connections that no route matches (with no routes,
	// every connection). Empty with no matching route: the connection is
	// closed (NR).
	Cluster string `json:"cluster,omitempty"`
	// IdleTimeout closes both sides after this long without a byte in
	// either direction. nil means DefaultTCPIdleTimeout (1h, Envoy's);
	// "0s" means never.
	IdleTimeout *Duration `json:"idle_timeout,omitempty"`
	// MaxConnectAttempts is how many upstream connects are tried, each on
	// a host chosen anew, before the downstream connection is closed.
	// Zero means 1 (Envoy's default); at most 100.
	MaxConnectAttempts uint32 `json:"max_connect_attempts,omitempty"`
	// Routes pick the cluster by the connection's source and destination
	// address; the first route that matches wins.
	Routes []StreamRouteConfig `json:"routes,omitempty"`
}

// UDPProxyConfig is the configuration of the "udp_proxy" network filter:
// each client address gets a session with an upstream socket of its own;
// datagrams keep their boundaries both ways.
type UDPProxyConfig struct {
	// StatPrefix labels the filter in logs; default the listener's name.
	StatPrefix string `json:"stat_prefix,omitempty"`
	// Cluster receives sessions that no route matches.
	Cluster string `json:"cluster,omitempty"`
	// IdleTimeout ends a session without a datagram in either direction
	// for this long. nil means DefaultUDPIdleTimeout (60s, Envoy's); it
	// must be positive.
	IdleTimeout *Duration `json:"idle_timeout,omitempty"`
	// MaxSessions bounds the filter's live sessions; datagrams from new
	// clients beyond it are dropped. Zero means DefaultUDPMaxSessions. Not
	// in MOSN or Envoy.
	MaxSessions uint32 `json:"max_sessions,omitempty"`
	// Routes pick the cluster by the client's address, as for tcp_proxy.
	Routes []StreamRouteConfig `json:"routes,omitempty"`
}

// StreamRouteConfig is one route of tcp_proxy or udp_proxy (MOSN's
// StreamRoute). Empty lists match anything; a connection matches when
// every non-empty list has an entry that contains its address.
type StreamRouteConfig struct {
	// Cluster is where a matching connection goes (required).
	Cluster string `json:"cluster"`
	// SourceAddrs match the client's address.
	SourceAddrs []CIDRRange `json:"source_addrs,omitempty"`
	// DestinationAddrs match the address the client connected to (the
	// original destination once original_dst has run).
	DestinationAddrs []CIDRRange `json:"destination_addrs,omitempty"`
	// SourcePort and DestinationPort match ports: MOSN's syntax, a comma
	// separated list of ports and ranges ("80,8000-8080"). Empty matches
	// any port.
	SourcePort      string `json:"source_port,omitempty"`
	DestinationPort string `json:"destination_port,omitempty"`
}

// CIDRRange is an IP prefix. In configuration it is a string, "10.0.0.0/8"
// or a bare address ("10.0.0.1", a /32 or /128), or MOSN's object form
// {"address": "10.0.0.0", "length": 8}.
type CIDRRange struct {
	Prefix netip.Prefix
}

// MarshalJSON writes the prefix as a string.
func (c CIDRRange) MarshalJSON() ([]byte, error) {
	return []byte(strconv.Quote(c.Prefix.String())), nil
}

// MarshalYAML writes the prefix as a string.
func (c CIDRRange) MarshalYAML() (any, error) { return c.Prefix.String(), nil }

// UnmarshalJSON reads the string or object form (for encoding/json users;
// Parse uses decodeNode).
func (c *CIDRRange) UnmarshalJSON(b []byte) error {
	n, err := parseJSONTree(b)
	if err != nil {
		return err
	}
	return c.decodeNode(&decoder{}, n, "")
}

func (c *CIDRRange) decodeNode(d *decoder, n *node, path string) error {
	switch n.kind {
	case stringNode:
		p, err := ParseCIDR(n.text)
		if err != nil {
			return causeErr(path, err, "%v", err)
		}
		c.Prefix = p
		return nil
	case objectNode:
		var o struct {
			Address string `json:"address"`
			Length  uint32 `json:"length"`
		}
		if err := d.decodeStruct(n, reflect.ValueOf(&o).Elem(), path); err != nil {
			return err
		}
		ip, err := netip.ParseAddr(o.Address)
		if err != nil {
			return causeErr(joinPath(path, "address"), err, "invalid IP address %q", o.Address)
		}
		if int(o.Length) > ip.BitLen() {
			return fieldErr(joinPath(path, "length"), "at most %d for %s, got %d", ip.BitLen(), o.Address, o.Length)
		}
		c.Prefix = netip.PrefixFrom(ip.Unmap(), int(o.Length)-unmapShift(ip)).Masked()
		return nil
	}
	return fieldErr(path, "expected a CIDR string such as \"10.0.0.0/8\" or an object {\"address\", \"length\"}, got %s", n.describe())
}

// unmapShift is how many prefix bits an IPv4-mapped IPv6 address loses
// when unmapped.
func unmapShift(ip netip.Addr) int {
	if ip.Is4In6() {
		return 96
	}
	return 0
}

// ParseCIDR reads "10.0.0.0/8" or a bare address ("10.0.0.1" is a /32).
// Host bits are masked off; IPv4-mapped IPv6 prefixes become IPv4.
func ParseCIDR(s string) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		ip, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("invalid CIDR range %q", s)
		}
		ip = ip.Unmap()
		return netip.PrefixFrom(ip, ip.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("invalid CIDR range %q", s)
	}
	if p.Addr().Is4In6() {
		if p.Bits() < 96 {
			return netip.Prefix{}, fmt.Errorf("invalid CIDR range %q: an IPv4-mapped prefix needs at least 96 bits", s)
		}
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p.Masked(), nil
}

// PortRange is an inclusive range of ports.
type PortRange struct{ Min, Max uint16 }

// ParsePorts reads MOSN's port list: "80", "80,443", "8000-8080,9000".
// Empty means none (match any).
func ParsePorts(s string) ([]PortRange, error) {
	if s == "" {
		return nil, nil
	}
	var out []PortRange
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		lo, hi, isRange := strings.Cut(item, "-")
		if !isRange {
			hi = lo
		}
		a, err1 := strconv.ParseUint(lo, 10, 16)
		b, err2 := strconv.ParseUint(hi, 10, 16)
		if err1 != nil || err2 != nil || a > b {
			return nil, fmt.Errorf("invalid port or range %q (want \"80\" or \"8000-8080\")", item)
		}
		out = append(out, PortRange{uint16(a), uint16(b)})
	}
	return out, nil
}

// l4Filter decodes and checks the config of a tcp_proxy or udp_proxy
// filter; done is false for other filter types.
func (v *validator) l4Filter(f *FilterConfig, path string) (done bool, err error) {
	var target any
	switch f.Type {
	case TCPProxyType:
		f.TCPProxy = &TCPProxyConfig{}
		target = f.TCPProxy
	case UDPProxyType:
		f.UDPProxy = &UDPProxyConfig{}
		target = f.UDPProxy
	default:
		return false, nil
	}
	cp := path + ".config"
	warnings, err := decodeRawJSON(f.Config, target, cp)
	if err != nil {
		return true, err
	}
	v.warnings = append(v.warnings, warnings...)
	if p := f.TCPProxy; p != nil {
		switch {
		case p.IdleTimeout == nil:
			p.IdleTimeout = &Duration{DefaultTCPIdleTimeout}
		case p.IdleTimeout.Duration < 0:
			return true, fieldErr(cp+".idle_timeout", "must not be negative, got %s", p.IdleTimeout)
		}
		switch {
		case p.MaxConnectAttempts == 0:
			p.MaxConnectAttempts = 1
		case p.MaxConnectAttempts > maxConnectAttempts:
			return true, fieldErr(cp+".max_connect_attempts", "at most %d, got %d", maxConnectAttempts, p.MaxConnectAttempts)
		}
		return true, v.streamRoutes(p.Cluster, p.Routes, cp)
	}
	p := f.UDPProxy
	switch {
	case p.IdleTimeout == nil:
		p.IdleTimeout = &Duration{DefaultUDPIdleTimeout}
	case p.IdleTimeout.Duration <= 0:
		return true, fieldErr(cp+".idle_timeout", "must be positive, got %s", p.IdleTimeout)
	}
	if p.MaxSessions == 0 {
		p.MaxSessions = DefaultUDPMaxSessions
	}
	return true, v.streamRoutes(p.Cluster, p.Routes, cp)
}

// streamRoutes checks the cluster references of an L4 filter.
func (v *validator) streamRoutes(cluster string, routes []StreamRouteConfig, path string) error {
	if cluster == "" && len(routes) == 0 {
		return fieldErr(path+".cluster", "required (or routes)")
	}
	if err := v.clusterRef(cluster, path+".cluster"); err != nil {
		return err
	}
	for i := range routes {
		r := &routes[i]
		rp := indexPath(path+".routes", i)
		if r.Cluster == "" {
			return fieldErr(rp+".cluster", "required")
		}
		if err := v.clusterRef(r.Cluster, rp+".cluster"); err != nil {
			return err
		}
		if _, err := ParsePorts(r.SourcePort); err != nil {
			return causeErr(rp+".source_port", err, "%v", err)
		}
		if _, err := ParsePorts(r.DestinationPort); err != nil {
			return causeErr(rp+".destination_port", err, "%v", err)
		}
	}
	return nil
}

func (v *validator) clusterRef(name, path string) error {
	if name == "" {
		return nil
	}
	if _, ok := v.clusters[name]; !ok {
		return fieldErr(path, "unknown cluster %q%s", name, suggest(name, keys(v.clusters)))
	}
	return nil
}

// listenerAddr checks a listener's address for its network and returns
// the key under which two listeners collide (empty when they cannot:
// port 0).
func listenerAddr(network, addr string) (key string, err error) {
	if network == "unix" {
		// sun_path holds 108 bytes with the terminating NUL; "@name" is
		// Linux's abstract namespace.
		if len(addr) > 107 || strings.ContainsRune(addr, 0) {
			return "", fmt.Errorf("a unix socket path is at most 107 bytes without NUL, got %d bytes", len(addr))
		}
		return "unix:" + addr, nil
	}
	_, port, err := checkAddr(addr, 0)
	if err != nil || port == 0 {
		return "", err
	}
	if network == "udp" {
		return "udp:" + addr, nil
	}
	return addr, nil
}

// l4Listener checks that a listener's filters suit its network: a udp
// listener runs exactly one udp_proxy; udp_proxy runs only there.
func l4Listener(l *ListenerConfig, path string) error {
	for ci, fc := range l.FilterChains {
		for fi, f := range fc.Filters {
			fp := indexPath(indexPath(path+".filter_chains", ci)+".filters", fi)
			switch {
			case l.Network == "udp" && f.Type != UDPProxyType:
				return fieldErr(fp+".type", "a udp listener takes only the %q filter, got %q", UDPProxyType, f.Type)
			case l.Network != "udp" && f.Type == UDPProxyType:
				return fieldErr(fp+".type", "%q needs a listener with network \"udp\", got %q", UDPProxyType, l.Network)
			case l.Network == "udp" && fi > 0:
				return fieldErr(fp, "a udp listener takes exactly one filter")
			}
		}
		if l.Network == "udp" && fc.TLSContext != nil && fc.TLSContext.Status {
			return fieldErr(indexPath(path+".filter_chains", ci)+".tls_context", "TLS does not apply to a udp listener")
		}
	}
	return nil
}
