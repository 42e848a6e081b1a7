package router

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/seed405ffdea/mosn/api"
	"github.com/seed405ffdea/mosn/core/config"
	"github.com/seed405ffdea/mosn/core/protocol/http1"
)

// Route is one matched route. It implements api.Route. Exactly one of
// Direct, Redirect and a cluster (Cluster) is its action.
type Route struct {
	name string
	vh   *VirtualHost
	m    matcher

	// Direct is non-nil for a direct_response route.
	Direct *DirectResponse
	// Redirect is non-nil for a redirect route, and for the redirect to
	// https of a virtual host with require_tls.
	Redirect *Redirect

	cluster       string
	clusterHeader string
	weighted      *weighted
	timeout       time.Duration
	upstreamProto string // route upstream_protocol ("Http1", "Http2" or "")

	prefixRewrite string
	regexRewrite  *regexp.Regexp
	substitution  []byte
	hostRewrite   string
	autoHost      bool
	hostHeader    string

	reqHeaders, respHeaders *HeaderMutations

	clusterVar *varMatcher // cluster_variable
	perFilter  map[string]json.RawMessage

	retry      *RetryPolicy
	mirror     *mirror
	hashes     []hashPolicy
	metadata   map[string]string            // route metadata_match
	weightedMD map[string]map[string]string // per weighted cluster, merged
}

var _ api.Route = (*Route)(nil)

// DirectResponse is a canned answer.
type DirectResponse struct {
	Status int
	Body   []byte
}

// Name implements api.Route.
func (r *Route) Name() string { return r.name }

// ClusterName implements api.Route: the configured cluster_name; empty for
// cluster_header, cluster_variable and weighted_clusters routes, whose
// cluster is chosen per request (Cluster), and for direct responses and
// redirects.
func (r *Route) ClusterName() string { return r.cluster }

// Timeout implements api.Route.
func (r *Route) Timeout() time.Duration { return r.timeout }

// VirtualHost returns the virtual host the route belongs to.
func (r *Route) VirtualHost() *VirtualHost { return r.vh }

// Cluster returns the cluster for req: cluster_name, the value of the
// cluster_header or cluster_variable (empty when the request lacks it;
// the string aliases req) or a pick among weighted_clusters.
func (r *Route) Cluster(req *Request) string {
	switch {
	case r.weighted != nil:
		return r.weighted.pick()
	case r.clusterHeader != "":
		if v, ok := header(req.Headers, r.clusterHeader); ok {
			return unsafe.String(unsafe.SliceData(v), len(v))
		}
		return ""
	case r.clusterVar != nil:
		v := view{Request: req}
		v.path, v.query = SplitTarget(req.Target)
		if b, ok := r.clusterVar.get(&v); ok {
			return unsafe.String(unsafe.SliceData(b), len(b))
		}
		return ""
	}
	return r.cluster
}

func header(hs []http1.Header, name string) ([]byte, bool) {
	for _, f := range hs {
		if http1.EqualFold(f.Name, name) {
			return f.Value, true
		}
	}
	return nil, false
}

// weighted is a route's weighted_clusters. Picks follow a Weyl sequence
// (n times the golden ratio, modulo 1) over the cumulative weights
// rather than a random draw: the sequence is equidistributed with the
// lowest discrepancy there is, so every window of picks honours the
// weights within a few requests, where random picks drift by the square
// root of the count.
type weighted struct {
	names []string
	cum   []uint64 // cumulative weights
	total uint64
	n     atomic.Uint64
}

func (w *weighted) pick() string {
	x := w.n.Add(1) * 0x9e3779b97f4a7c15 // 2^64 / golden ratio
	v, _ := bits.Mul64(x, w.total)       // in [0, total)
	i := sort.Search(len(w.cum), func(i int) bool { return w.cum[i] > v })
	return w.names[i]
}

// RewritesTarget reports whether the route rewrites the path
// (prefix_rewrite or regex_rewrite).
func (r *Route) RewritesTarget() bool { return r.prefixRewrite != "" || r.regexRewrite != nil }

// AppendTarget appends the upstream request target for req to dst: its
// path rewritten by prefix_rewrite (the matched prefix, or the whole path
// for path and regex matches, replaced) or regex_rewrite (every match in
// the path substituted; a result that would be empty leaves the path as
// it was), then the query unchanged. Without a rewrite it appends the
// path and query. A prefix rewrite allocates nothing; the regexp engine
// allocates for a regex rewrite.
func (r *Route) AppendTarget(dst []byte, req *Request) []byte {
	path, query := SplitTarget(req.Target)
	switch {
	case r.prefixRewrite != "":
		matched := 0
		switch r.m.kind {
		case pathPrefix:
			matched = min(len(r.m.pattern), len(path))
		case pathExact, pathRegex:
			matched = len(path)
		}
		dst = append(dst, r.prefixRewrite...)
		dst = append(dst, path[matched:]...)
	case r.regexRewrite != nil:
		if out := r.regexRewrite.ReplaceAll(path, r.substitution); len(out) > 0 {
			dst = append(dst, out...)
		} else {
			dst = append(dst, path...)
		}
	default:
		dst = append(dst, path...)
	}
	if query != nil {
		dst = append(dst, '?')
		dst = append(dst, query...)
	}
	return dst
}

// RewritesHost reports whether the route may change the upstream Host.
func (r *Route) RewritesHost() bool {
	return r.hostRewrite != "" || r.autoHost || r.hostHeader != ""
}

// AppendHost appends the upstream request's Host to dst: host_rewrite;
// with auto_host_rewrite, upstream (the chosen host's hostname or
// address); with auto_host_rewrite_header, that request header's value.
// ok is false, and dst unchanged, when the client's Host stays.
func (r *Route) AppendHost(dst []byte, req *Request, upstream string) (_ []byte, ok bool) {
	switch {
	case r.hostRewrite != "":
		return append(dst, r.hostRewrite...), true
	case r.autoHost && upstream != "":
		return append(dst, upstream...), true
	case r.hostHeader != "":
		if v, found := header(req.Headers, r.hostHeader); found && len(v) > 0 {
			return append(dst, v...), true
		}
	}
	return dst, false
}

// RequestHeaders returns the request header mutations; nil when the
// route, its virtual host and its table have none.
func (r *Route) RequestHeaders() *HeaderMutations { return r.reqHeaders }

// ResponseHeaders returns the response header mutations, or nil.
func (r *Route) ResponseHeaders() *HeaderMutations { return r.respHeaders }

// Redirect is a redirect action.
type Redirect struct {
	// Code is the status: 301, 302, 303, 307 or 308.
	Code         int
	scheme       string
	host         string
	path         string
	pathHasQuery bool
	toHTTPS      bool // require_tls
}

// AppendLocation appends the Location for req to dst. For require_tls it
// is "https://" with the request's host and target (Envoy). Otherwise it
// is scheme://host then path and query, each from the request unless
// the redirect replaces it: scheme_redirect; host_redirect (else the
// request's host, without its port when that is the scheme's default);
// path_redirect, which keeps the request's query unless it has its own.
func (rd *Redirect) AppendLocation(dst []byte, req *Request) []byte {
	path, query := SplitTarget(req.Target)
	if rd.toHTTPS {
		dst = append(dst, "https://"...)
		dst = append(dst, req.Host...)
		return appendPathQuery(dst, path, query)
	}
	scheme := rd.scheme
	if scheme == "" {
		scheme = "http"
		if req.TLS {
			scheme = "https"
		}
	}
	dst = append(dst, scheme...)
	dst = append(dst, "://"...)
	if rd.host != "" {
		dst = append(dst, rd.host...)
	} else {
		host := req.Host
		if i := portIndex(host); i >= 0 {
			port := string(host[i+1:])
			if scheme == "http" && port == "80" || scheme == "https" && port == "443" {
				host = host[:i]
			}
		}
		dst = append(dst, host...)
	}
	if rd.path == "" {
		return appendPathQuery(dst, path, query)
	}
	dst = append(dst, rd.path...)
	if !rd.pathHasQuery && query != nil {
		dst = append(dst, '?')
		dst = append(dst, query...)
	}
	return dst
}

func appendPathQuery(dst, path, query []byte) []byte {
	dst = append(dst, path...)
	if query != nil {
		dst = append(dst, '?')
		dst = append(dst, query...)
	}
	return dst
}

// substitution turns Envoy's (RE2) \1 group references into Go's ${1},
// keeping Go's own $1 and ${name}; \\ is a backslash.
func substitution(s string) []byte {
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			switch n := s[i+1]; {
			case '0' <= n && n <= '9':
				b = append(b, "${"...)
				b = append(b, n)
				b = append(b, '}')
				i++
				continue
			case n == '\\':
				b = append(b, '\\')
				i++
				continue
			}
		}
		b = append(b, c)
	}
	return b
}

var errNoAction = errors.New("one of route, redirect and direct_response is required")

// buildRoute compiles one route of vh; header mutations are set by the
// caller.
func buildRoute(rc *config.RouteConfig, vh *VirtualHost) (*Route, error) {
	m, err := compileMatch(&rc.Match)
	if err != nil {
		return nil, fmt.Errorf("match: %w", err)
	}
	r := &Route{vh: vh, m: m}
	a := &rc.Route
	switch {
	case rc.DirectResponse != nil:
		r.Direct = &DirectResponse{Status: rc.DirectResponse.StatusCode, Body: []byte(rc.DirectResponse.Body)}
		return r, nil
	case rc.Redirect != nil:
		rd := rc.Redirect
		r.Redirect = &Redirect{
			Code:         rd.ResponseCode,
			scheme:       strings.ToLower(rd.SchemeRedirect),
			host:         rd.HostRedirect,
			path:         rd.PathRedirect,
			pathHasQuery: strings.Contains(rd.PathRedirect, "?"),
		}
		if r.Redirect.Code == 0 {
			r.Redirect.Code = 301
		}
		return r, nil
	case a.ClusterName != "":
		r.cluster = a.ClusterName
	case a.ClusterHeader != "":
		r.clusterHeader = a.ClusterHeader
	case a.ClusterVariable != "":
		vm, err := compileVariables([]config.VariableMatcher{{Name: a.ClusterVariable}})
		if err != nil {
			return nil, err
		}
		r.clusterVar = &vm[0]
	case len(a.WeightedClusters) > 0:
		w := &weighted{}
		for _, wc := range a.WeightedClusters {
			if wc.Cluster.Weight == 0 {
				continue
			}
			w.total += uint64(wc.Cluster.Weight)
			w.names = append(w.names, wc.Cluster.Name)
			w.cum = append(w.cum, w.total)
		}
		if w.total == 0 {
			return nil, errors.New("route.weighted_clusters: the weights sum to 0")
		}
		r.weighted = w
	default:
		return nil, errNoAction
	}
	r.timeout = a.Timeout.Duration
	r.upstreamProto = a.UpstreamProtocol
	r.prefixRewrite = a.PrefixRewrite
	if rr := a.RegexRewrite; rr != nil {
		re, err := regexp.Compile(rr.Pattern.Regex)
		if err != nil {
			return nil, fmt.Errorf("route.regex_rewrite: %w", err)
		}
		r.regexRewrite, r.substitution = re, substitution(rr.Substitution)
	}
	r.hostRewrite = a.HostRewrite
	r.autoHost = a.AutoHostRewrite
	r.hostHeader = a.AutoHostRewriteHeader
	r.retry = newRetryPolicy(a.RetryPolicy)
	r.mirror = newMirror(rc.RequestMirrorPolicies)
	r.hashes = newHashPolicies(a.HashPolicy)
	r.newMetadataMatch(a)
	return r, nil
}
