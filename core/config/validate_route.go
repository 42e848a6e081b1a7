package config

import (
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/seed405ffdea/mosn/core/accesslog"
	"github.com/seed405ffdea/mosn/core/router/dsl"
)

// router checks one route table; its name was checked by server.
func (v *validator) router(r *RouterConfig, path string) error {
	if r.RouterConfigPath != "" {
		return notSupported(path+".router_configs", "loading virtual hosts from a directory")
	}
	if err := headerMutations(path, r.RequestHeadersToAdd, r.RequestHeadersToRemove, r.ResponseHeadersToAdd, r.ResponseHeadersToRemove); err != nil {
		return err
	}
	if len(r.VirtualHosts) == 0 {
		return fieldErr(path+".virtual_hosts", "at least one virtual host is required")
	}
	domains := make(map[string]string, len(r.VirtualHosts)) // lower-case domain -> path of its vhost
	for i := range r.VirtualHosts {
		if err := v.virtualHost(&r.VirtualHosts[i], indexPath(path+".virtual_hosts", i), domains); err != nil {
			return err
		}
	}
	return nil
}

// RequireTLS values (Envoy's VirtualHost.TlsRequirementType).
var requireTLSValues = []string{"NONE", "EXTERNAL_ONLY", "ALL"}

func (v *validator) virtualHost(vh *VirtualHostConfig, path string, domains map[string]string) error {
	if len(vh.Domains) == 0 {
		return fieldErr(path+".domains", "at least one domain is required")
	}
	for i, d := range vh.Domains {
		dp := indexPath(path+".domains", i)
		if err := checkDomain(d); err != nil {
			return causeErr(dp, err, "invalid domain %q: %v", d, err)
		}
		key := strings.ToLower(d)
		if first, dup := domains[key]; dup {
			return fieldErr(dp, "duplicate domain %q (first in %s)", d, first)
		}
		domains[key] = path
	}
	if vh.RequireTLS != "" && !slices.Contains(requireTLSValues, vh.RequireTLS) {
		return fieldErr(path+".require_tls", "unknown value %q (one of NONE, EXTERNAL_ONLY, ALL)%s", vh.RequireTLS, suggest(vh.RequireTLS, requireTLSValues))
	}
	if err := headerMutations(path, vh.RequestHeadersToAdd, vh.RequestHeadersToRemove, vh.ResponseHeadersToAdd, vh.ResponseHeadersToRemove); err != nil {
		return err
	}
	if len(vh.Routers) == 0 {
		return fieldErr(path+".routers", "at least one route is required")
	}
	for i := range vh.Routers {
		if err := v.route(&vh.Routers[i], indexPath(path+".routers", i)); err != nil {
			return err
		}
	}
	return nil
}

// checkDomain accepts "*", a suffix wildcard "*.example.com", a prefix
// wildcard "example.*" (any text before or after the star) and exact
// names, each with an optional port.
func checkDomain(d string) error {
	switch {
	case d == "":
		return errorString("empty")
	case d == "*":
		return nil
	case strings.ContainsAny(d, " /\t\r\n?#@"):
		return errorString("not a host name")
	}
	inner := d
	if strings.HasPrefix(inner, "*") {
		inner = inner[1:]
	} else if strings.HasSuffix(inner, "*") {
		inner = inner[:len(inner)-1]
	}
	if inner == "" || strings.Contains(inner, "*") {
		return errorString("a wildcard is only allowed as the first or the last character")
	}
	return nil
}

type errorString string

func (e errorString) Error() string { return string(e) }

func (v *validator) route(r *RouteConfig, path string) error {
	if err := v.match(&r.Match, path+".match"); err != nil {
		return err
	}
	switch {
	case !rawIsZero(r.Metadata):
		return notSupported(path+".metadata", "route metadata")
	}
	if mp := r.RequestMirrorPolicies; mp != nil {
		p := path + ".request_mirror_policies"
		switch {
		case mp.Cluster == "":
			return fieldErr(p+".cluster", "required")
		case mp.Percent > 100:
			return fieldErr(p+".percent", "%d is above 100", mp.Percent)
		case mp.TraceSampled:
			return notSupported(p+".trace_sampled", "")
		}
		if _, ok := v.clusters[mp.Cluster]; !ok {
			return fieldErr(p+".cluster", "unknown cluster %q%s", mp.Cluster, suggest(mp.Cluster, keys(v.clusters)))
		}
	}
	a := &r.Route
	if err := routeActionUnsupported(a, path+".route"); err != nil {
		return err
	}
	// Exactly one action.
	var actions []string
	if a.ClusterName != "" || a.ClusterHeader != "" || a.ClusterVariable != "" || len(a.WeightedClusters) > 0 {
		actions = append(actions, "route")
	}
	if r.Redirect != nil {
		actions = append(actions, "redirect")
	}
	if r.DirectResponse != nil {
		actions = append(actions, "direct_response")
	}
	switch len(actions) {
	case 0:
		return fieldErr(path, "one of route, redirect and direct_response is required")
	case 1:
	default:
		return fieldErr(path, "route, redirect and direct_response are mutually exclusive, got %s", strings.Join(actions, " and "))
	}
	if err := headerMutations(path+".route", a.RequestHeadersToAdd, a.RequestHeadersToRemove, a.ResponseHeadersToAdd, a.ResponseHeadersToRemove); err != nil {
		return err
	}
	switch actions[0] {
	case "redirect":
		return redirect(r.Redirect, path+".redirect")
	case "direct_response":
		if s := r.DirectResponse.StatusCode; s < 100 || s > 599 {
			return fieldErr(path+".direct_response.status", "status %d is not from 100 to 599", s)
		}
		return nil
	}
	return v.routeAction(a, path+".route")
}

func (v *validator) routeAction(a *RouteAction, path string) error {
	n := 0
	for _, set := range []bool{a.ClusterName != "", a.ClusterHeader != "", a.ClusterVariable != "", len(a.WeightedClusters) > 0} {
		if set {
			n++
		}
	}
	if n > 1 {
		return fieldErr(path, "cluster_name, cluster_header, cluster_variable and weighted_clusters are mutually exclusive")
	}
	switch {
	case a.ClusterName != "":
		if _, ok := v.clusters[a.ClusterName]; !ok {
			return fieldErr(path+".cluster_name", "unknown cluster %q%s", a.ClusterName, suggest(a.ClusterName, keys(v.clusters)))
		}
	case a.ClusterHeader != "":
		if err := checkHeaderName(a.ClusterHeader); err != nil {
			return fieldErr(path+".cluster_header", "%v", err)
		}
	case a.ClusterVariable != "":
	default:
		if err := v.weightedClusters(a.WeightedClusters, path+".weighted_clusters"); err != nil {
			return err
		}
	}
	switch {
	case a.Timeout.Duration < 0:
		return fieldErr(path+".timeout", "must not be negative, got %s", a.Timeout)
	case a.Timeout.Duration == 0:
		a.Timeout.Duration = DefaultRouteTimeout
	}
	if a.PrefixRewrite != "" && a.RegexRewrite != nil {
		return fieldErr(path, "prefix_rewrite and regex_rewrite are mutually exclusive")
	}
	if rr := a.RegexRewrite; rr != nil {
		if rr.Pattern.Regex == "" {
			return fieldErr(path+".regex_rewrite.pattern.regex", "required")
		}
		if err := checkRegex(rr.Pattern.Regex, path+".regex_rewrite.pattern.regex"); err != nil {
			return err
		}
	}
	if err := retryPolicy(a.RetryPolicy, path+".retry_policy"); err != nil {
		return err
	}
	for i := range a.HashPolicy {
		if err := hashPolicy(&a.HashPolicy[i], indexPath(path+".hash_policy", i)); err != nil {
			return err
		}
	}
	if err := metadataMatch(a.MetadataMatch, path+".metadata_match"); err != nil {
		return err
	}
	hostRewrites := 0
	for _, set := range []bool{a.HostRewrite != "", a.AutoHostRewrite, a.AutoHostRewriteHeader != ""} {
		if set {
			hostRewrites++
		}
	}
	switch {
	case hostRewrites > 1:
		return fieldErr(path, "host_rewrite, auto_host_rewrite and auto_host_rewrite_header are mutually exclusive")
	case a.HostRewrite != "" && !validHostValue(a.HostRewrite):
		return fieldErr(path+".host_rewrite", "invalid host %q", a.HostRewrite)
	case a.AutoHostRewriteHeader != "":
		if err := checkHeaderName(a.AutoHostRewriteHeader); err != nil {
			return fieldErr(path+".auto_host_rewrite_header", "%v", err)
		}
	}
	return nil
}

// maxTotalWeight bounds the sum of a route's weights (Envoy's limit).
const maxTotalWeight = 1<<32 - 1

func (v *validator) weightedClusters(wcs []WeightedCluster, path string) error {
	var total uint64
	seen := map[string]string{}
	for i, wc := range wcs {
		p := indexPath(path, i) + ".cluster"
		c := wc.Cluster
		switch {
		case c.Name == "":
			return fieldErr(p+".name", "required")
		}
		if err := metadataMatch(c.MetadataMatch, p+".metadata_match"); err != nil {
			return err
		}
		if _, ok := v.clusters[c.Name]; !ok {
			return fieldErr(p+".name", "unknown cluster %q%s", c.Name, suggest(c.Name, keys(v.clusters)))
		}
		if first, dup := seen[c.Name]; dup {
			return fieldErr(p+".name", "duplicate cluster %q (first at %s)", c.Name, first)
		}
		seen[c.Name] = p
		total += uint64(c.Weight)
	}
	switch {
	case total == 0:
		return fieldErr(path, "the weights sum to 0, want a positive sum")
	case total > maxTotalWeight:
		return fieldErr(path, "the weights sum to %d, more than %d", total, uint64(maxTotalWeight))
	}
	return nil
}

// Redirect status codes (MOSN's and Envoy's).
var redirectCodes = []int{301, 302, 303, 307, 308}

// schemeRE is RFC 3986 section 3.1's scheme, lower case (MOSN's check).
var schemeRE = regexp.MustCompile(`^[a-z][a-z0-9.+-]*$`)

func redirect(r *RedirectAction, path string) error {
	if r.ResponseCode != 0 && !slices.Contains(redirectCodes, r.ResponseCode) {
		return fieldErr(path+".response_code", "%d is not a redirect code (one of 301, 302, 303, 307, 308)", r.ResponseCode)
	}
	if r.ResponseCode == 0 {
		r.ResponseCode = 301
	}
	switch {
	case r.PathRedirect != "" && !strings.HasPrefix(r.PathRedirect, "/"):
		return fieldErr(path+".path_redirect", "must start with \"/\", got %q", r.PathRedirect)
	case r.PathRedirect != "" && strings.ContainsAny(r.PathRedirect, " \t\r\n#"):
		return fieldErr(path+".path_redirect", "invalid path %q", r.PathRedirect)
	case r.HostRedirect != "" && !validHostValue(r.HostRedirect):
		return fieldErr(path+".host_redirect", "invalid host %q", r.HostRedirect)
	case r.SchemeRedirect != "" && !schemeRE.MatchString(strings.ToLower(r.SchemeRedirect)):
		return fieldErr(path+".scheme_redirect", "invalid scheme %q", r.SchemeRedirect)
	}
	r.SchemeRedirect = strings.ToLower(r.SchemeRedirect)
	return nil
}

// validHostValue accepts a host name or address with an optional port: no
// spaces, no '/', '?', '#', '@' and no control characters.
func validHostValue(h string) bool {
	if h == "" {
		return false
	}
	for i := 0; i < len(h); i++ {
		if c := h[i]; c <= ' ' || c == 0x7f || strings.IndexByte("/?#@\\", c) >= 0 {
			return false
		}
	}
	return true
}

func (v *validator) match(m *RouterMatch, path string) error {
	var set []string
	for _, f := range [...]struct{ name, value string }{{"prefix", m.Prefix}, {"path", m.Path}, {"regex", m.Regex}} {
		if f.value != "" {
			set = append(set, f.name)
		}
	}
	for i := range m.Variables {
		if err := variableMatcher(&m.Variables[i], indexPath(path+".variables", i)); err != nil {
			return err
		}
	}
	switch {
	case len(set) > 1:
		return fieldErr(path, "%s are mutually exclusive", strings.Join(set, " and "))
	case m.Prefix != "" && !strings.HasPrefix(m.Prefix, "/"):
		return fieldErr(path+".prefix", "must start with \"/\", got %q", m.Prefix)
	case m.Path != "" && !strings.HasPrefix(m.Path, "/"):
		return fieldErr(path+".path", "must start with \"/\", got %q", m.Path)
	}
	if m.Regex != "" {
		if err := checkRegex(m.Regex, path+".regex"); err != nil {
			return err
		}
	}
	for i, h := range m.Headers {
		p := indexPath(path+".headers", i)
		if h.Name == "" {
			return fieldErr(p+".name", "required")
		}
		if err := checkHeaderName(strings.TrimPrefix(h.Name, ":")); err != nil {
			return fieldErr(p+".name", "%v", err)
		}
		if h.Regex {
			if err := checkRegex(h.Value, p+".value"); err != nil {
				return err
			}
		}
	}
	for i, q := range m.QueryParameters {
		p := indexPath(path+".query_parameters", i)
		if q.Name == "" {
			return fieldErr(p+".name", "required")
		}
		if q.StringMatch != nil && q.PresentMatch {
			return fieldErr(p, "string_match and present_match are mutually exclusive")
		}
		if q.StringMatch != nil {
			if err := stringMatcher(q.StringMatch, p+".string_match"); err != nil {
				return err
			}
		}
	}
	for i, d := range m.DslExpressions {
		p := indexPath(path+".dsl_expressions", i) + ".expression"
		if _, err := dsl.Compile(d.Expression); err != nil {
			return causeErr(p, err, "invalid expression %q: %v", d.Expression, err)
		}
	}
	return nil
}

func stringMatcher(s *StringMatcher, path string) error {
	n := 0
	if s.Exact != nil {
		n++
	}
	for _, set := range []bool{s.Prefix != "", s.Suffix != "", s.Contains != "", s.SafeRegex != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return fieldErr(path, "exactly one of exact, prefix, suffix, contains and safe_regex is required")
	}
	if s.SafeRegex != nil {
		return checkRegex(s.SafeRegex.Regex, path+".safe_regex.regex")
	}
	return nil
}

// checkRegex compiles re as the router will (Go regexp, RE2 syntax).
func checkRegex(re, path string) error {
	if _, err := regexp.Compile(re); err != nil {
		return causeErr(path, err, "invalid regular expression %q: %s", re, strings.TrimPrefix(err.Error(), "error parsing regexp: "))
	}
	return nil
}

// checkHeaderName accepts an RFC 9110 token.
func checkHeaderName(name string) error {
	if !isToken(name) {
		return errorString("invalid header name " + strconv.Quote(name))
	}
	return nil
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// proxyManaged are fields the proxy writes itself: framing and hop-by-hop
// fields (RFC 9110 section 7.6.1) cannot be added or removed by routes.
var proxyManaged = []string{"connection", "content-length", "keep-alive", "proxy-connection", "te", "transfer-encoding", "upgrade"}

// headerMutations checks one level's request_headers_to_add,
// request_headers_to_remove, response_headers_to_add and
// response_headers_to_remove.
func headerMutations(path string, reqAdd []HeaderValueOption, reqRemove []string, respAdd []HeaderValueOption, respRemove []string) error {
	if err := headersToAdd(reqAdd, path+".request_headers_to_add", true); err != nil {
		return err
	}
	if err := headersToRemove(reqRemove, path+".request_headers_to_remove", true); err != nil {
		return err
	}
	if err := headersToAdd(respAdd, path+".response_headers_to_add", false); err != nil {
		return err
	}
	return headersToRemove(respRemove, path+".response_headers_to_remove", false)
}

func headersToAdd(hs []HeaderValueOption, path string, request bool) error {
	for i, h := range hs {
		p := indexPath(path, i) + ".header"
		if h.Header == nil {
			return fieldErr(p, "required")
		}
		if err := mutableHeader(h.Header.Key, p+".key", request); err != nil {
			return err
		}
		val := h.Header.Value
		for j := 0; j < len(val); j++ {
			if c := val[j]; (c < ' ' && c != '\t') || c == 0x7f {
				return fieldErr(p+".value", "invalid header value %q: control character", val)
			}
		}
		if strings.Contains(val, "%") {
			if _, err := accesslog.Compile(val); err != nil {
				msg := strings.TrimSuffix(strings.TrimPrefix(err.Error(), "accesslog: "), " in log_format")
				return causeErr(p+".value", err, "invalid header value %q: %s", val, msg)
			}
		}
	}
	return nil
}

func headersToRemove(names []string, path string, request bool) error {
	for i, n := range names {
		if err := mutableHeader(n, indexPath(path, i), request); err != nil {
			return err
		}
	}
	return nil
}

// mutableHeader checks a header name a route may add or remove.
func mutableHeader(name, path string, request bool) error {
	lower := strings.ToLower(name)
	switch {
	case name == "":
		return fieldErr(path, "required")
	case strings.HasPrefix(name, ":"):
		return fieldErr(path, "pseudo-header %q cannot be changed", name)
	case !isToken(name):
		return fieldErr(path, "invalid header name %q", name)
	case request && lower == "host":
		return fieldErr(path, "%q cannot be changed here (use route.host_rewrite)", name)
	case slices.Contains(proxyManaged, lower):
		return fieldErr(path, "%q is managed by the proxy and cannot be changed", name)
	}
	return nil
}

func routeActionUnsupported(a *RouteAction, path string) error {
	switch {
	case a.UpstreamProtocol != "" && a.UpstreamProtocol != "Http1" && a.UpstreamProtocol != "Http2":
		return checkProtocol(a.UpstreamProtocol, path+".upstream_protocol")
	}
	return nil
}
