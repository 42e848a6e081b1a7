// Package l4 holds what the L4 proxies (tcpproxy, udpproxy) share: the
// routes that pick a cluster by the connection's addresses, and the load
// balancer context of a connection.
package l4

import (
	"context"
	"fmt"
	"net"
	"net/netip"

	"github.com/seed405ffdea/mosn/api"
	"github.com/seed405ffdea/mosn/core/config"
	"github.com/seed405ffdea/mosn/core/upstream"
)

// Route sends connections whose addresses match to Cluster. An empty list
// matches anything.
type Route struct {
	Cluster          string
	Sources          []netip.Prefix
	Destinations     []netip.Prefix
	SourcePorts      []config.PortRange
	DestinationPorts []config.PortRange
}

// Router picks a connection's cluster: the first route that matches, else
// the default cluster ("" when there is none).
type Router struct {
	routes []Route
	def    string
}

// NewRouter compiles validated route configs.
func NewRouter(defaultCluster string, rcs []config.StreamRouteConfig) (*Router, error) {
	r := &Router{def: defaultCluster}
	for i, rc := range rcs {
		rt := Route{Cluster: rc.Cluster}
		for _, c := range rc.SourceAddrs {
			rt.Sources = append(rt.Sources, c.Prefix)
		}
		for _, c := range rc.DestinationAddrs {
			rt.Destinations = append(rt.Destinations, c.Prefix)
		}
		var err error
		if rt.SourcePorts, err = config.ParsePorts(rc.SourcePort); err != nil {
			return nil, fmt.Errorf("l4: routes[%d].source_port: %w", i, err)
		}
		if rt.DestinationPorts, err = config.ParsePorts(rc.DestinationPort); err != nil {
			return nil, fmt.Errorf("l4: routes[%d].destination_port: %w", i, err)
		}
		r.routes = append(r.routes, rt)
	}
	return r, nil
}

// Cluster returns the cluster for a connection from src to dst.
func (r *Router) Cluster(src, dst net.Addr) string {
	if len(r.routes) == 0 {
		return r.def
	}
	s, d := AddrPort(src), AddrPort(dst)
	for i := range r.routes {
		rt := &r.routes[i]
		if matchAddr(rt.Sources, s) && matchPort(rt.SourcePorts, s) &&
			matchAddr(rt.Destinations, d) && matchPort(rt.DestinationPorts, d) {
			return rt.Cluster
		}
	}
	return r.def
}

// AddrPort returns a TCP or UDP address as a netip.AddrPort with an
// unmapped IP; the zero value for other addresses (unix sockets).
func AddrPort(a net.Addr) netip.AddrPort {
	var ap netip.AddrPort
	switch v := a.(type) {
	case *net.TCPAddr:
		ap = v.AddrPort()
	case *net.UDPAddr:
		ap = v.AddrPort()
	default:
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

func matchAddr(list []netip.Prefix, a netip.AddrPort) bool {
	if len(list) == 0 {
		return true
	}
	if !a.IsValid() {
		return false
	}
	for _, p := range list {
		if p.Contains(a.Addr()) {
			return true
		}
	}
	return false
}

func matchPort(list []config.PortRange, a netip.AddrPort) bool {
	if len(list) == 0 {
		return true
	}
	if !a.IsValid() {
		return false
	}
	port := a.Port()
	for _, r := range list {
		if port >= r.Min && port <= r.Max {
			return true
		}
	}
	return false
}

// LBContext is a connection as a load balancer sees it: no headers, no
// hash key, and as original destination the connection's local address
// (after original_dst, the address the client meant to reach), so that an
// ORIGINAL_DST cluster passes the connection through.
type LBContext struct {
	Ctx context.Context
	Dst string
}

var (
	_ api.LBContext               = (*LBContext)(nil)
	_ upstream.OriginalDstContext = (*LBContext)(nil)
)

// Context implements api.LBContext.
func (c *LBContext) Context() context.Context { return c.Ctx }

// Headers implements api.LBContext: a connection has none.
func (c *LBContext) Headers() api.HeaderMap { return nil }

// HashKey implements api.LBContext: no hash policy.
func (c *LBContext) HashKey() uint64 { return 0 }

// OriginalDst implements upstream.OriginalDstContext.
func (c *LBContext) OriginalDst() string { return c.Dst }
