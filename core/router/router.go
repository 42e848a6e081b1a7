// Package router matches requests to routes: the virtual host by the
// request's host, then the first route whose match fits the path. Route
// tables are immutable; an update builds a new table and swaps it in.
package router

import (
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/seed405ffdea/mosn/api"
	"github.com/seed405ffdea/mosn/core/config"
)

// Route is one matched route. It implements api.Route.
type Route struct {
	name    string
	prefix  string
	path    string
	cluster string
	timeout time.Duration
	// Direct is non-nil for a direct_response route.
	Direct *DirectResponse
}

var _ api.Route = (*Route)(nil)

// DirectResponse is a canned answer.
type DirectResponse struct {
	Status int
	Body   []byte
}

// Name implements api.Route.
func (r *Route) Name() string { return r.name }

// ClusterName implements api.Route.
func (r *Route) ClusterName() string { return r.cluster }

// Timeout implements api.Route.
func (r *Route) Timeout() time.Duration { return r.timeout }

func (r *Route) matches(path []byte) bool {
	if r.path != "" {
		return string(path) == r.path
	}
	return len(path) >= len(r.prefix) && string(path[:len(r.prefix)]) == r.prefix
}

// VirtualHost is a named group of routes for a set of domains.
type VirtualHost struct {
	name   string
	routes []*Route
}

// Name returns the virtual host's name.
func (v *VirtualHost) Name() string { return v.name }

func (v *VirtualHost) match(path []byte) *Route {
	for _, r := range v.routes {
		if r.matches(path) {
			return r
		}
	}
	return nil
}

type suffixHost struct {
	suffix string // ".foo.com" for "*.foo.com"
	vh     *VirtualHost
}

// Table is one router config (router_config_name) compiled for matching.
type Table struct {
	name     string
	exact    map[string]*VirtualHost
	suffixes []suffixHost // longest suffix first
	fallback *VirtualHost // "*"
}

// Build compiles a router config. The config is assumed validated; Build
// still refuses what it cannot compile.
func Build(rc config.RouterConfig) (*Table, error) {
	t := &Table{name: rc.RouterConfigName, exact: make(map[string]*VirtualHost)}
	for i, vc := range rc.VirtualHosts {
		vh := &VirtualHost{name: vc.Name}
		for _, r := range vc.Routers {
			route := &Route{
				prefix:  r.Match.Prefix,
				path:    r.Match.Path,
				cluster: r.Route.ClusterName,
				timeout: r.Route.Timeout.Duration,
			}
			if r.DirectResponse != nil {
				route.Direct = &DirectResponse{Status: r.DirectResponse.StatusCode, Body: []byte(r.DirectResponse.Body)}
			}
			vh.routes = append(vh.routes, route)
		}
		for _, d := range vc.Domains {
			d = strings.ToLower(d)
			switch {
			case d == "*":
				t.fallback = vh
			case strings.HasPrefix(d, "*"):
				t.suffixes = append(t.suffixes, suffixHost{suffix: d[1:], vh: vh})
			default:
				if _, dup := t.exact[d]; dup {
					return nil, fmt.Errorf("router: %s.virtual_hosts[%d]: duplicate domain %q", rc.RouterConfigName, i, d)
				}
				t.exact[d] = vh
			}
		}
	}
	sort.SliceStable(t.suffixes, func(i, j int) bool { return len(t.suffixes[i].suffix) > len(t.suffixes[j].suffix) })
	return t, nil
}

// Name returns the router config's name.
func (t *Table) Name() string { return t.name }

// Match finds the route for host (the Host header, port included or not)
// and path (the request target's path, without query). It does not
// allocate for hosts up to 256 bytes.
func (t *Table) Match(host, path []byte) *Route {
	vh := t.virtualHost(host)
	if vh == nil {
		return nil
	}
	return vh.match(path)
}

func (t *Table) virtualHost(host []byte) *VirtualHost {
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
	if vh, ok := t.exact[string(h)]; ok {
		return vh
	}
	// Domains are matched with and without the port.
	if i := portIndex(h); i >= 0 {
		h = h[:i]
		if vh, ok := t.exact[string(h)]; ok {
			return vh
		}
	}
	for _, s := range t.suffixes {
		if len(h) > len(s.suffix) && string(h[len(h)-len(s.suffix):]) == s.suffix {
			return s.vh
		}
	}
	return t.fallback
}

// portIndex returns the index of the ':' before a port, or -1 (IPv6
// literals in brackets are handled).
func portIndex(h []byte) int {
	for i := len(h) - 1; i >= 0; i-- {
		switch c := h[i]; {
		case c == ':':
			return i
		case c == ']':
			return -1
		case c < '0' || c > '9':
			return -1
		}
	}
	return -1
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
