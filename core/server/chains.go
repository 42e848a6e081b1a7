package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"

	"github.com/seed405ffdea/mosn/api"
	"github.com/seed405ffdea/mosn/core/config"
	"github.com/seed405ffdea/mosn/core/network"
	"github.com/seed405ffdea/mosn/core/tlsctx"
)

// chain is the NetworkFilterChainFactory and the network.ChainSelector a
// listener is given: it reads the current builtChain, which an in-place
// listener update swaps; a connection keeps what it was built with.
type chain struct {
	b atomicBuilt
}

var (
	_ api.NetworkFilterChainFactory = (*chain)(nil)
	_ network.ChainSelector         = (*chain)(nil)
	_ network.ListenerFilterSource  = (*chain)(nil)
)

// CreateFilterChain implements api.NetworkFilterChainFactory with the
// first filter chain (connections that skip chain selection).
func (c *chain) CreateFilterChain(ctx context.Context, fm api.FilterManager) {
	for _, f := range c.b.Load().chains[0].Factories {
		f.CreateFilterChain(ctx, fm)
	}
}

// SelectChain implements network.ChainSelector: filter_chain_match, then,
// with the inspector, the plaintext form of a TLS chain for a plaintext
// client.
func (c *chain) SelectChain(info *network.ConnInfo, local, remote net.Addr) (*network.FilterChain, error) {
	b := c.b.Load()
	i := 0
	if b.matches != nil {
		if i = network.SelectChain(b.matches, info, local, remote); i < 0 {
			return nil, nil
		}
	}
	if b.inspector && info != nil && info.TransportProtocol == "raw_buffer" {
		return &b.plain[i], nil
	}
	return &b.chains[i], nil
}

// ListenerFilters implements network.ListenerFilterSource.
func (c *chain) ListenerFilters() []network.ListenerFilter { return c.b.Load().lfilters }

// buildListenerFilters turns the listener's use_original_dst, inspector
// and listener_filters into listener filters: original_dst first, then
// listener_filters in order, then the inspector (after proxy_protocol,
// which consumes its header first).
func buildListenerFilters(lc config.ListenerConfig) []network.ListenerFilter {
	var out []network.ListenerFilter
	origMode := lc.UseOriginalDst
	inspector := lc.Inspector
	for _, f := range lc.ListenerFilters {
		switch config.ListenerFilterType(f.Type) {
		case "original_dst":
			var oc config.OriginalDstConfig
			json.Unmarshal(f.Config, &oc) // validated
			if oc.Type != "" {
				origMode = oc.Type
			} else if origMode == "" {
				origMode = network.OriginalDstRedirect
			}
		}
	}
	if origMode != "" {
		out = append(out, network.OriginalDst{Mode: origMode})
	}
	for _, f := range lc.ListenerFilters {
		switch config.ListenerFilterType(f.Type) {
		case "proxy_protocol":
			var pc config.ProxyProtocolConfig
			json.Unmarshal(f.Config, &pc) // validated
			out = append(out, network.ProxyProtocol{AllowWithout: pc.AllowWithout})
		case "tls_inspector":
			inspector = true
		}
	}
	if inspector {
		out = append(out, network.TLSInspector{})
	}
	return out
}

// isTProxy reports whether lc needs an IP_TRANSPARENT socket.
func isTProxy(lc config.ListenerConfig) bool {
	for _, f := range buildListenerFilters(lc) {
		if od, ok := f.(network.OriginalDst); ok {
			return od.Mode == network.OriginalDstTProxy
		}
	}
	return false
}

// chainMatch converts a filter_chain_match; nil for none.
func chainMatch(m *config.FilterChainMatch) *network.ChainMatch {
	if m == nil {
		return nil
	}
	out := &network.ChainMatch{
		DestinationPort:      uint16(m.DestinationPort),
		TransportProtocol:    m.TransportProtocol,
		ApplicationProtocols: m.ApplicationProtocols,
	}
	prefixes := func(rs []config.CidrRange) []netip.Prefix {
		var ps []netip.Prefix
		for _, r := range rs {
			if p, err := r.Prefix(); err == nil { // validated
				ps = append(ps, p)
			}
		}
		return ps
	}
	out.PrefixRanges = prefixes(m.PrefixRanges)
	out.SourcePrefixRanges = prefixes(m.SourcePrefixRanges)
	for _, n := range m.ServerNames {
		out.ServerNames = append(out.ServerNames, strings.ToLower(n))
	}
	for _, p := range m.SourcePorts {
		out.SourcePorts = append(out.SourcePorts, uint16(p))
	}
	switch m.SourceType {
	case "SAME_IP_OR_LOOPBACK":
		out.SourceType = network.SourceLocal
	case "EXTERNAL":
		out.SourceType = network.SourceExternal
	}
	return out
}

// buildTLS builds a filter chain's TLS provider; nil for plaintext. With
// fall_back, a context that fails to build serves plaintext (logged).
func (s *Server) buildTLS(fc config.FilterChainConfig) (api.TLSProvider, error) {
	var cfgs []tlsctx.Config
	switch {
	case fc.TLSContext != nil && fc.TLSContext.Status:
		cfgs = []tlsctx.Config{*fc.TLSContext}
	case len(fc.TLSContextSet) > 0 && fc.TLSContextSet[0].Status:
		cfgs = fc.TLSContextSet
	default:
		return nil, nil
	}
	p, err := tlsctx.Build(s.regs.TLSProviders, cfgs, true, tlsctx.Options{Secrets: s.secrets, Logger: s.log})
	if err != nil && cfgs[0].Fallback {
		s.log.Warn("tls: context failed to build, serving plaintext (fall_back)", "err", err)
		return nil, nil
	}
	return p, err
}

// closeTLS stops the chain's certificate watches (once).
func (b *builtChain) closeTLS() {
	for _, p := range b.tls {
		if c, ok := p.(io.Closer); ok {
			c.Close()
		}
	}
	b.tls = nil
}

// handoff finds the listener owning dst: the exact address, else a
// wildcard (0.0.0.0 or ::) listener on the same port.
func (s *Server) handoff(dst net.Addr) *network.Listener {
	ta, ok := dst.(*net.TCPAddr)
	if !ok {
		return nil
	}
	s.lnMu.Lock()
	defer s.lnMu.Unlock()
	var wild *network.Listener
	for _, ll := range s.listeners {
		host, port, err := net.SplitHostPort(ll.cfg.Address)
		if err != nil || port != fmt.Sprint(ta.Port) {
			continue
		}
		ip, err := netip.ParseAddr(host)
		if err != nil {
			continue
		}
		if ip.Unmap() == ta.AddrPort().Addr().Unmap() {
			return ll.ln
		}
		if ip.IsUnspecified() && wild == nil {
			wild = ll.ln
		}
	}
	return wild
}
