package network

import (
	"net"
	"net/netip"
	"strings"
)

// ChainMatch is Envoy's filter_chain_match in runtime form. Empty fields
// match everything.
type ChainMatch struct {
	DestinationPort      uint16
	PrefixRanges         []netip.Prefix
	ServerNames          []string // lowercase; "*.example.com" wildcards
	TransportProtocol    string   // "tls" or "raw_buffer"
	ApplicationProtocols []string
	SourceType           SourceType
	SourcePrefixRanges   []netip.Prefix
	SourcePorts          []uint16
}

// SourceType is filter_chain_match.source_type.
type SourceType int

// Source types.
const (
	SourceAny SourceType = iota
	// SourceLocal: the client is on this host (same IP or loopback).
	SourceLocal
	// SourceExternal: any other client.
	SourceExternal
)

// SelectChain returns the index of the filter chain serving a connection,
// or -1 if none matches, with Envoy's rules: the criteria are considered
// in order (destination port, destination prefix, server name, transport
// protocol, application protocols, source type, source prefix, source
// port); at each, only the chains that match most specifically stay (a
// chain without the criterion matches least specifically); the first of
// the chains left wins. A nil match (no filter_chain_match) matches
// everything.
func SelectChain(ms []*ChainMatch, info *ConnInfo, local, remote net.Addr) int {
	dst, sport := addrPort(local), addrPort(remote)
	cand := make([]bool, len(ms))
	for i := range cand {
		cand[i] = true
	}
	if info == nil {
		info = &ConnInfo{}
	}
	for level := 0; level < 8; level++ {
		best := -1
		for i, m := range ms {
			if !cand[i] {
				continue
			}
			if s := score(m, level, info, dst, sport); s > best {
				best = s
			}
		}
		if best < 0 {
			return -1
		}
		for i, m := range ms {
			if cand[i] && score(m, level, info, dst, sport) != best {
				cand[i] = false
			}
		}
	}
	for i, ok := range cand {
		if ok {
			return i
		}
	}
	return -1
}

func addrPort(a net.Addr) netip.AddrPort {
	switch a := a.(type) {
	case *net.TCPAddr:
		return a.AddrPort()
	case *net.UDPAddr:
		return a.AddrPort()
	}
	return netip.AddrPort{}
}

// score rates how specifically m matches at one level: -1 no match, 0 the
// criterion is absent, more is more specific.
func score(m *ChainMatch, level int, info *ConnInfo, dst, src netip.AddrPort) int {
	if m == nil {
		return 0
	}
	switch level {
	case 0:
		if m.DestinationPort == 0 {
			return 0
		}
		if m.DestinationPort == dst.Port() {
			return 1
		}
	case 1:
		return prefixScore(m.PrefixRanges, dst.Addr())
	case 2:
		if len(m.ServerNames) == 0 {
			return 0
		}
		best := -1
		sni := info.ServerName
		for _, n := range m.ServerNames {
			switch {
			case n == sni && sni != "":
				return 1 << 20 // an exact name beats every wildcard
			case strings.HasPrefix(n, "*.") && len(sni) > len(n)-1 && strings.HasSuffix(sni, n[1:]):
				best = max(best, len(n))
			}
		}
		return best
	case 3:
		if m.TransportProtocol == "" {
			return 0
		}
		if m.TransportProtocol == info.TransportProtocol {
			return 1
		}
	case 4:
		if len(m.ApplicationProtocols) == 0 {
			return 0
		}
		for _, p := range m.ApplicationProtocols {
			for _, q := range info.ALPN {
				if p == q {
					return 1
				}
			}
		}
	case 5:
		switch m.SourceType {
		case SourceAny:
			return 0
		case SourceLocal:
			if isLocal(src.Addr(), dst.Addr()) {
				return 1
			}
		case SourceExternal:
			if !isLocal(src.Addr(), dst.Addr()) {
				return 1
			}
		}
	case 6:
		return prefixScore(m.SourcePrefixRanges, src.Addr())
	case 7:
		if len(m.SourcePorts) == 0 {
			return 0
		}
		for _, p := range m.SourcePorts {
			if p == src.Port() {
				return 1
			}
		}
	}
	return -1
}

// prefixScore is 1 + the longest matching prefix length, 0 without
// prefixes, -1 when none matches.
func prefixScore(ps []netip.Prefix, ip netip.Addr) int {
	if len(ps) == 0 {
		return 0
	}
	ip = ip.Unmap()
	best := -1
	for _, p := range ps {
		if p.Contains(ip) {
			best = max(best, p.Bits()+1)
		}
	}
	return best
}

func isLocal(src, dst netip.Addr) bool {
	return src.IsLoopback() || (src.IsValid() && src.Unmap() == dst.Unmap())
}
