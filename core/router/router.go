// Package router matches requests to routes, as MOSN and Envoy do: the
// virtual host by the request's host (exact domain, then the longest
// suffix wildcard, then the longest prefix wildcard, then "*"), then the
// first route, in order, whose match fits: path (prefix, exact or
// regex), headers, query parameters and DSL (CEL) expressions. A route
// forwards to a cluster (named, named by a header, or split by weight,
// with path and host rewrites), redirects, or answers directly; header
// mutations come with it.
//
// Route tables are immutable: an update builds new tables and publishes
// them with one atomic swap (Set), so a request that holds a table
// finishes on it. Finding the virtual host costs the same with ten or
// ten thousand virtual hosts, and routes are found through an index
// rather than tried one by one; matching allocates nothing unless a
// route has dsl_expressions.
package router

import (
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/seed405ffdea/mosn/core/config"
)

// VirtualHost is a named group of routes for a set of domains.
type VirtualHost struct {
	name        string
	routes      []*Route
	index       routeIndex
	tls         tlsRequirement
	tlsRedirect *Route
}

type tlsRequirement uint8

const (
	tlsNone tlsRequirement = iota
	tlsExternalOnly
	tlsAll
)

// Name returns the virtual host's name.
func (v *VirtualHost) Name() string { return v.name }

// Routes returns the virtual host's routes in configuration order.
func (v *VirtualHost) Routes() []*Route { return v.routes }

// Table is one router config (router_config_name) compiled for matching.
type Table struct {
	name  string
	hosts hostIndex
}

// Build compiles a router config. The config is assumed validated
// (config.Validate); Build still refuses what it cannot compile, naming
// the field.
func Build(rc config.RouterConfig) (*Table, error) {
	t := &Table{name: rc.RouterConfigName}
	fail := func(path string, err error) (*Table, error) {
		return nil, fmt.Errorf("router: %s%s: %w", rc.RouterConfigName, path, err)
	}
	tReq, err := level(rc.RequestHeadersToRemove, rc.RequestHeadersToAdd)
	if err != nil {
		return fail(".request_headers_to_add", err)
	}
	tResp, err := level(rc.ResponseHeadersToRemove, rc.ResponseHeadersToAdd)
	if err != nil {
		return fail(".response_headers_to_add", err)
	}
	for i := range rc.VirtualHosts {
		vc := &rc.VirtualHosts[i]
		vpath := fmt.Sprintf(".virtual_hosts[%d]", i)
		vh := &VirtualHost{name: vc.Name, routes: make([]*Route, 0, len(vc.Routers))}
		switch vc.RequireTLS {
		case "", "NONE":
		case "EXTERNAL_ONLY":
			vh.tls = tlsExternalOnly
		case "ALL":
			vh.tls = tlsAll
		default:
			return fail(vpath+".require_tls", fmt.Errorf("unknown value %q", vc.RequireTLS))
		}
		if vh.tls != tlsNone {
			vh.tlsRedirect = &Route{vh: vh, Redirect: &Redirect{Code: 301, toHTTPS: true}}
		}
		vReq, err := level(vc.RequestHeadersToRemove, vc.RequestHeadersToAdd)
		if err != nil {
			return fail(vpath+".request_headers_to_add", err)
		}
		vResp, err := level(vc.ResponseHeadersToRemove, vc.ResponseHeadersToAdd)
		if err != nil {
			return fail(vpath+".response_headers_to_add", err)
		}
		// Routes without mutations of their own share their host's.
		hostReq, hostResp := merge(vReq, tReq), merge(vResp, tResp)
		for j := range vc.Routers {
			rc := &vc.Routers[j]
			rpath := fmt.Sprintf("%s.routers[%d]", vpath, j)
			r, err := buildRoute(rc, vh)
			if err != nil {
				return fail(rpath, err)
			}
			a := &rc.Route
			rReq, err := level(a.RequestHeadersToRemove, a.RequestHeadersToAdd)
			if err != nil {
				return fail(rpath+".route.request_headers_to_add", err)
			}
			rResp, err := level(a.ResponseHeadersToRemove, a.ResponseHeadersToAdd)
			if err != nil {
				return fail(rpath+".route.response_headers_to_add", err)
			}
			r.perFilter = mergeConfigs(rc.PerFilterConfig, vc.PerFilterConfig)
			r.reqHeaders, r.respHeaders = hostReq, hostResp
			if len(rReq) > 0 {
				r.reqHeaders = merge(rReq, vReq, tReq)
			}
			if len(rResp) > 0 {
				r.respHeaders = merge(rResp, vResp, tResp)
			}
			vh.index.add(int32(len(vh.routes)), &r.m)
			vh.routes = append(vh.routes, r)
		}
		for k, d := range vc.Domains {
			if !t.hosts.add(strings.ToLower(d), vh) {
				return fail(fmt.Sprintf("%s.domains[%d]", vpath, k), fmt.Errorf("duplicate domain %q", d))
			}
		}
	}
	return t, nil
}

// Name returns the router config's name.
func (t *Table) Name() string { return t.name }

// Match finds the route for req, or nil. A virtual host that requires TLS
// answers a request that needs it with its redirect to https, whatever
// the path. Match allocates nothing, unless a route it tries has
// dsl_expressions, and does not keep req.
func (t *Table) Match(req *Request) *Route {
	vh := t.VirtualHost(req.Host)
	if vh == nil {
		return nil
	}
	if vh.tls != tlsNone && !req.TLS && (vh.tls == tlsAll || !req.Internal) {
		return vh.tlsRedirect
	}
	v := view{Request: req}
	v.path, v.query = SplitTarget(req.Target)
	return vh.index.find(vh.routes, &v)
}

// VirtualHost returns the virtual host for a request host (any case, with
// or without a port), or nil. It allocates nothing for hosts up to 256
// bytes.
func (t *Table) VirtualHost(host []byte) *VirtualHost {
	var lower [256]byte
	h := host
	if len(h) <= len(lower) {
		for i, c := range h {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			lower[i] = c
		}
		h = lower[:len(h)]
	} else {
		h = []byte(strings.ToLower(string(h)))
	}
	return t.hosts.find(h)
}

// Set is every router config by name, published as one snapshot.
type Set struct {
	snap atomic.Pointer[map[string]*Table]
}

// NewSet returns an empty set.
func NewSet() *Set {
	s := &Set{}
	empty := map[string]*Table{}
	s.snap.Store(&empty)
	return s
}

// Get returns the named table or nil. Callers hold on to the table for the
// whole request, so an update never changes a request's routing midway.
func (s *Set) Get(name string) *Table { return (*s.snap.Load())[name] }

// Update publishes tables, replacing the whole set.
func (s *Set) Update(tables []*Table) {
	next := make(map[string]*Table, len(tables))
	for _, t := range tables {
		next[t.name] = t
	}
	s.snap.Store(&next)
}
