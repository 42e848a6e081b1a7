package convert

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/seed405ffdea/mosn/core/config"
)

// Route timeouts. Envoy's default route timeout is 15s; a timeout of 0
// means none, which the model (whose 0 means 60s) expresses as NoTimeout.
const (
	DefaultRouteTimeout = 15 * time.Second
	NoTimeout           = 365 * 24 * time.Hour
)

// Route is a converted RouteConfiguration.
type Route struct {
	Config config.RouterConfig
	Notes  Notes
}

// ConvertRoute converts a RouteConfiguration into a route table named
// after it.
func ConvertRoute(rc *routev3.RouteConfiguration) (*Route, error) {
	if rc.GetName() == "" {
		return nil, errf("name", "required")
	}
	out := &Route{}
	t, err := routeTable(rc.GetName(), rc, &out.Notes)
	if err != nil {
		return nil, err
	}
	out.Config = t
	return out, nil
}

func routeTable(name string, rc *routev3.RouteConfiguration, n *Notes) (config.RouterConfig, error) {
	t := config.RouterConfig{RouterConfigName: name}
	if rc.GetVhds() != nil {
		return t, unsupported("vhds", "VHDS")
	}
	var err error
	if t.RequestHeadersToAdd, err = headersToAdd(rc.GetRequestHeadersToAdd(), "request_headers_to_add"); err != nil {
		return t, err
	}
	if t.ResponseHeadersToAdd, err = headersToAdd(rc.GetResponseHeadersToAdd(), "response_headers_to_add"); err != nil {
		return t, err
	}
	t.RequestHeadersToRemove = rc.GetRequestHeadersToRemove()
	t.ResponseHeadersToRemove = rc.GetResponseHeadersToRemove()
	for i, vh := range rc.GetVirtualHosts() {
		v, err := virtualHost(vh, n, idx("virtual_hosts", i))
		if err != nil {
			return t, under(idx("virtual_hosts", i), err)
		}
		t.VirtualHosts = append(t.VirtualHosts, v)
	}
	return t, nil
}

func virtualHost(vh *routev3.VirtualHost, n *Notes, path string) (config.VirtualHostConfig, error) {
	v := config.VirtualHostConfig{Name: vh.GetName(), Domains: vh.GetDomains()}
	switch vh.GetRequireTls() {
	case routev3.VirtualHost_EXTERNAL_ONLY:
		v.RequireTLS = "EXTERNAL_ONLY"
	case routev3.VirtualHost_ALL:
		v.RequireTLS = "ALL"
	}
	var err error
	if v.RequestHeadersToAdd, err = headersToAdd(vh.GetRequestHeadersToAdd(), "request_headers_to_add"); err != nil {
		return v, err
	}
	if v.ResponseHeadersToAdd, err = headersToAdd(vh.GetResponseHeadersToAdd(), "response_headers_to_add"); err != nil {
		return v, err
	}
	v.RequestHeadersToRemove = vh.GetRequestHeadersToRemove()
	v.ResponseHeadersToRemove = vh.GetResponseHeadersToRemove()
	if len(vh.GetRateLimits()) > 0 {
		return v, unsupported("rate_limits", "rate limiting")
	}
	if pf, err := perFilter(vh.GetTypedPerFilterConfig(), "typed_per_filter_config"); err != nil {
		return v, err
	} else {
		v.PerFilterConfig = pf
	}
	if len(vh.GetVirtualClusters()) > 0 {
		n.skip("%s.virtual_clusters ignored (statistics only)", path)
	}
	for i, r := range vh.GetRoutes() {
		rt, err := route(r, vh.GetRetryPolicy(), n, idx(path+".routes", i))
		if err != nil {
			return v, under(idx("routes", i), err)
		}
		v.Routers = append(v.Routers, rt)
	}
	return v, nil
}

func route(r *routev3.Route, vhRetry *routev3.RetryPolicy, n *Notes, path string) (config.RouteConfig, error) {
	var rt config.RouteConfig
	m, err := routeMatch(r.GetMatch())
	if err != nil {
		return rt, under("match", err)
	}
	rt.Match = m
	if len(r.GetMetadata().GetFilterMetadata()) > 0 {
		// Only filters read route metadata; none of ours does.
		n.skip("%s.metadata ignored", path)
	}
	if pf, err := perFilter(r.GetTypedPerFilterConfig(), "typed_per_filter_config"); err != nil {
		return rt, err
	} else {
		rt.PerFilterConfig = pf
	}
	switch a := r.GetAction().(type) {
	case *routev3.Route_Route:
		var ignored []string
		ra, err := routeAction(a.Route, vhRetry, &ignored)
		if err != nil {
			return rt, under("route", err)
		}
		for _, f := range ignored {
			n.skip("%s.route.%s ignored", path, f)
		}
		rt.Route = ra
	case *routev3.Route_Redirect:
		rd, err := redirect(a.Redirect)
		if err != nil {
			return rt, under("redirect", err)
		}
		rt.Redirect = rd
	case *routev3.Route_DirectResponse:
		dr := &config.DirectResponseAction{StatusCode: int(a.DirectResponse.GetStatus())}
		switch b := a.DirectResponse.GetBody().GetSpecifier().(type) {
		case nil:
		case *corev3.DataSource_InlineString:
			dr.Body = b.InlineString
		case *corev3.DataSource_InlineBytes:
			dr.Body = string(b.InlineBytes)
		default:
			return rt, unsupported("direct_response.body", "a body read from a file or the environment")
		}
		rt.DirectResponse = dr
	default:
		return rt, unsupported("action", "route action other than route, redirect and direct_response")
	}
	var herr error
	ra := &rt.Route
	if ra.RequestHeadersToAdd, herr = headersToAdd(r.GetRequestHeadersToAdd(), "request_headers_to_add"); herr != nil {
		return rt, herr
	}
	if ra.ResponseHeadersToAdd, herr = headersToAdd(r.GetResponseHeadersToAdd(), "response_headers_to_add"); herr != nil {
		return rt, herr
	}
	ra.RequestHeadersToRemove = r.GetRequestHeadersToRemove()
	ra.ResponseHeadersToRemove = r.GetResponseHeadersToRemove()
	return rt, nil
}

func routeMatch(m *routev3.RouteMatch) (config.RouterMatch, error) {
	var out config.RouterMatch
	switch p := m.GetPathSpecifier().(type) {
	case *routev3.RouteMatch_Prefix:
		out.Prefix = p.Prefix
		if out.Prefix == "" {
			out.Prefix = "/"
		}
	case *routev3.RouteMatch_Path:
		out.Path = p.Path
	case *routev3.RouteMatch_SafeRegex:
		out.Regex = p.SafeRegex.GetRegex()
	case *routev3.RouteMatch_PathSeparatedPrefix:
		// "/api" matches "/api" and "/api/..." but not "/apix".
		out.Regex = regexp.QuoteMeta(p.PathSeparatedPrefix) + "(/.*)?"
	default:
		return out, unsupported("path_specifier", "match other than prefix, path, safe_regex and path_separated_prefix")
	}
	if cs := m.GetCaseSensitive(); cs != nil {
		v := cs.GetValue()
		out.CaseSensitive = &v
	}
	if m.GetRuntimeFraction() != nil {
		return out, unsupported("runtime_fraction", "runtime fractions")
	}
	if m.GetGrpc() != nil {
		return out, unsupported("grpc", "gRPC route matching")
	}
	if len(m.GetDynamicMetadata()) > 0 {
		return out, unsupported("dynamic_metadata", "dynamic metadata matching")
	}
	if m.GetTlsContext() != nil {
		return out, unsupported("tls_context", "TLS context matching")
	}
	for i, h := range m.GetHeaders() {
		hm, err := headerMatcher(h)
		if err != nil {
			return out, under(idx("headers", i), err)
		}
		out.Headers = append(out.Headers, hm)
	}
	for i, q := range m.GetQueryParameters() {
		qm := config.QueryParameterMatcher{Name: q.GetName(), PresentMatch: q.GetPresentMatch()}
		if sm := q.GetStringMatch(); sm != nil {
			s, err := stringMatcher(sm)
			if err != nil {
				return out, under(idx("query_parameters", i)+".string_match", err)
			}
			qm.StringMatch = s
		}
		out.QueryParameters = append(out.QueryParameters, qm)
	}
	return out, nil
}

func stringMatcher(sm *matcherv3.StringMatcher) (*config.StringMatcher, error) {
	s := &config.StringMatcher{IgnoreCase: sm.GetIgnoreCase()}
	switch p := sm.GetMatchPattern().(type) {
	case *matcherv3.StringMatcher_Exact:
		v := p.Exact
		s.Exact = &v
	case *matcherv3.StringMatcher_Prefix:
		s.Prefix = p.Prefix
	case *matcherv3.StringMatcher_Suffix:
		s.Suffix = p.Suffix
	case *matcherv3.StringMatcher_Contains:
		s.Contains = p.Contains
	case *matcherv3.StringMatcher_SafeRegex:
		s.SafeRegex = &config.RegexMatcher{Regex: p.SafeRegex.GetRegex()}
	default:
		return nil, unsupported("match_pattern", "custom string matchers")
	}
	return s, nil
}

// headerMatcher turns Envoy's matcher into the model's exact-or-regex
// form: prefix, suffix, contains and present become anchored regular
// expressions.
func headerMatcher(h *routev3.HeaderMatcher) (config.HeaderMatcher, error) {
	out := config.HeaderMatcher{Name: h.GetName()}
	if h.GetInvertMatch() {
		return out, unsupported("invert_match", "inverted header matching")
	}
	if h.GetTreatMissingHeaderAsEmpty() {
		return out, unsupported("treat_missing_header_as_empty", "")
	}
	ci := ""
	re := func(s string) { out.Value, out.Regex = ci+s, true }
	quote := regexp.QuoteMeta
	switch p := h.GetHeaderMatchSpecifier().(type) {
	case *routev3.HeaderMatcher_StringMatch:
		sm := p.StringMatch
		if sm.GetIgnoreCase() {
			ci = "(?i)"
		}
		switch q := sm.GetMatchPattern().(type) {
		case *matcherv3.StringMatcher_Exact:
			if ci == "" {
				out.Value = q.Exact
			} else {
				re(quote(q.Exact))
			}
		case *matcherv3.StringMatcher_Prefix:
			re(quote(q.Prefix) + ".*")
		case *matcherv3.StringMatcher_Suffix:
			re(".*" + quote(q.Suffix))
		case *matcherv3.StringMatcher_Contains:
			re(".*" + quote(q.Contains) + ".*")
		case *matcherv3.StringMatcher_SafeRegex:
			ci = ""
			re(q.SafeRegex.GetRegex())
		default:
			return out, unsupported("string_match", "custom string matchers")
		}
	case *routev3.HeaderMatcher_ExactMatch:
		out.Value = p.ExactMatch
	case *routev3.HeaderMatcher_SafeRegexMatch:
		re(p.SafeRegexMatch.GetRegex())
	case *routev3.HeaderMatcher_PrefixMatch:
		re(quote(p.PrefixMatch) + ".*")
	case *routev3.HeaderMatcher_SuffixMatch:
		re(".*" + quote(p.SuffixMatch))
	case *routev3.HeaderMatcher_ContainsMatch:
		re(".*" + quote(p.ContainsMatch) + ".*")
	case *routev3.HeaderMatcher_PresentMatch:
		if !p.PresentMatch {
			return out, unsupported("present_match", "matching an absent header")
		}
		re("(?s).*")
	case nil:
		re("(?s).*")
	default:
		return out, unsupported("header_match_specifier", "range matching")
	}
	return out, nil
}

func routeAction(a *routev3.RouteAction, vhRetry *routev3.RetryPolicy, ignored *[]string) (config.RouteAction, error) {
	var out config.RouteAction
	switch c := a.GetClusterSpecifier().(type) {
	case *routev3.RouteAction_Cluster:
		out.ClusterName = c.Cluster
	case *routev3.RouteAction_ClusterHeader:
		out.ClusterHeader = c.ClusterHeader
	case *routev3.RouteAction_WeightedClusters:
		for i, wc := range c.WeightedClusters.GetClusters() {
			p := idx("weighted_clusters.clusters", i)
			if len(wc.GetRequestHeadersToAdd()) > 0 || len(wc.GetRequestHeadersToRemove()) > 0 ||
				len(wc.GetResponseHeadersToAdd()) > 0 || len(wc.GetResponseHeadersToRemove()) > 0 {
				return out, unsupported(p, "per-cluster header mutation")
			}
			if len(wc.GetTypedPerFilterConfig()) > 0 {
				return out, unsupported(p+".typed_per_filter_config", "per-cluster filter config")
			}
			if wc.GetClusterHeader() != "" {
				return out, unsupported(p+".cluster_header", "")
			}
			w := config.WeightedCluster{Cluster: config.ClusterWeight{Name: wc.GetName(), Weight: wc.GetWeight().GetValue()}}
			if mm := wc.GetMetadataMatch(); mm != nil {
				md, err := hostMetadata(mm)
				if err != nil {
					return out, under(p+".metadata_match", err)
				}
				w.Cluster.MetadataMatch = md
			}
			out.WeightedClusters = append(out.WeightedClusters, w)
		}
	default:
		return out, unsupported("cluster_specifier", "cluster specifier plugins")
	}
	out.Timeout = config.Duration{Duration: DefaultRouteTimeout}
	if t := a.GetTimeout(); t != nil {
		out.Timeout.Duration = t.AsDuration()
		if out.Timeout.Duration == 0 {
			out.Timeout.Duration = NoTimeout
		}
	}
	out.PrefixRewrite = a.GetPrefixRewrite()
	if rr := a.GetRegexRewrite(); rr != nil {
		out.RegexRewrite = &config.RegexRewrite{Pattern: config.RegexMatcher{Regex: rr.GetPattern().GetRegex()}, Substitution: rr.GetSubstitution()}
	}
	switch h := a.GetHostRewriteSpecifier().(type) {
	case *routev3.RouteAction_HostRewriteLiteral:
		out.HostRewrite = h.HostRewriteLiteral
	case *routev3.RouteAction_AutoHostRewrite:
		out.AutoHostRewrite = h.AutoHostRewrite.GetValue()
	case *routev3.RouteAction_HostRewriteHeader:
		out.AutoHostRewriteHeader = h.HostRewriteHeader
	case *routev3.RouteAction_HostRewritePathRegex:
		return out, unsupported("host_rewrite_path_regex", "")
	}
	if mm := a.GetMetadataMatch(); mm != nil {
		md, err := hostMetadata(mm)
		if err != nil {
			return out, under("metadata_match", err)
		}
		out.MetadataMatch = md
	}
	rp := a.GetRetryPolicy()
	if rp == nil {
		rp = vhRetry
	}
	if rp != nil {
		p, err := retryPolicy(rp, ignored)
		if err != nil {
			return out, under("retry_policy", err)
		}
		out.RetryPolicy = p
	}
	if hp := a.GetHashPolicy(); len(hp) > 0 {
		p, err := hashPolicy(hp)
		if err != nil {
			return out, under("hash_policy", err)
		}
		out.HashPolicy = p
	}
	for _, f := range []struct {
		set  bool
		name string
	}{
		{a.GetIdleTimeout() != nil, "idle_timeout"},
		{a.GetMaxStreamDuration() != nil, "max_stream_duration"},
		{a.GetMaxGrpcTimeout() != nil, "max_grpc_timeout"},
		{len(a.GetUpgradeConfigs()) > 0, "upgrade_configs (upgrades are always proxied)"},
		{a.GetInternalRedirectPolicy() != nil, "internal_redirect_policy"},
	} {
		if f.set {
			*ignored = append(*ignored, f.name)
		}
	}
	if len(a.GetRequestMirrorPolicies()) > 0 {
		return out, unsupported("request_mirror_policies", "request mirroring")
	}
	if len(a.GetRateLimits()) > 0 {
		return out, unsupported("rate_limits", "rate limiting")
	}
	return out, nil
}

// RetryPolicy is the model's route.retry_policy as this adapter writes it
// (Envoy's fields under their Envoy names).
// retryPolicy converts Envoy's retry policy. Conditions the core does not
// retry on (gRPC status conditions, retriable-headers, ...) are dropped
// and noted in ignored; retries always avoid hosts already tried (Envoy's
// previous_hosts predicate, which Istio sets), so host predicates are
// noted only when they ask for something else.
func retryPolicy(rp *routev3.RetryPolicy, ignored *[]string) (*config.RetryPolicy, error) {
	if rp.GetRetryPriority() != nil {
		return nil, unsupported("retry_priority", "")
	}
	var conds []string
	for _, c := range strings.Split(rp.GetRetryOn(), ",") {
		c = strings.TrimSpace(c)
		switch {
		case c == "":
		case slices.Contains(config.RetryOnConditions, c):
			conds = append(conds, c)
		default:
			*ignored = append(*ignored, "retry_on "+c)
		}
	}
	if len(conds) == 0 {
		return nil, nil
	}
	out := &config.RetryPolicy{RetryOn: config.RetryOn(strings.Join(conds, ",")), NumRetries: 1, StatusCodes: rp.GetRetriableStatusCodes()}
	if n := rp.GetNumRetries(); n != nil {
		out.NumRetries = n.GetValue()
		if out.NumRetries == 0 {
			return nil, nil // Envoy: retries off
		}
	}
	if d := rp.GetPerTryTimeout(); d != nil {
		out.RetryTimeout = config.Duration{Duration: d.AsDuration()}
	}
	for _, p := range rp.GetRetryHostPredicate() {
		if !strings.HasSuffix(p.GetName(), "previous_hosts") {
			*ignored = append(*ignored, "retry_host_predicate "+p.GetName())
		}
	}
	return out, nil
}

// hashPolicy converts Envoy's hash policies to MOSN's: header, cookie
// (read, never generated) and source IP.
func hashPolicy(hps []*routev3.RouteAction_HashPolicy) ([]config.HashPolicy, error) {
	var out []config.HashPolicy
	for i, hp := range hps {
		switch p := hp.GetPolicySpecifier().(type) {
		case *routev3.RouteAction_HashPolicy_Header_:
			out = append(out, config.HashPolicy{Header: &config.HeaderHashPolicy{Key: p.Header.GetHeaderName()}})
		case *routev3.RouteAction_HashPolicy_Cookie_:
			c := &config.CookieHashPolicy{Name: p.Cookie.GetName(), Path: p.Cookie.GetPath()}
			if p.Cookie.GetTtl() != nil {
				c.TTL = config.Duration{Duration: p.Cookie.GetTtl().AsDuration()}
			}
			out = append(out, config.HashPolicy{HTTPCookie: c})
		case *routev3.RouteAction_HashPolicy_ConnectionProperties_:
			out = append(out, config.HashPolicy{SourceIP: &config.SourceIPHashPolicy{}})
		default:
			return nil, unsupported(idx("", i), "hash policy kind")
		}
	}
	return out, nil
}

var redirectCodes = map[routev3.RedirectAction_RedirectResponseCode]int{
	routev3.RedirectAction_MOVED_PERMANENTLY:  301,
	routev3.RedirectAction_FOUND:              302,
	routev3.RedirectAction_SEE_OTHER:          303,
	routev3.RedirectAction_TEMPORARY_REDIRECT: 307,
	routev3.RedirectAction_PERMANENT_REDIRECT: 308,
}

func redirect(r *routev3.RedirectAction) (*config.RedirectAction, error) {
	out := &config.RedirectAction{ResponseCode: redirectCodes[r.GetResponseCode()], HostRedirect: r.GetHostRedirect()}
	switch s := r.GetSchemeRewriteSpecifier().(type) {
	case *routev3.RedirectAction_HttpsRedirect:
		if s.HttpsRedirect {
			out.SchemeRedirect = "https"
		}
	case *routev3.RedirectAction_SchemeRedirect:
		out.SchemeRedirect = s.SchemeRedirect
	}
	switch p := r.GetPathRewriteSpecifier().(type) {
	case *routev3.RedirectAction_PathRedirect:
		out.PathRedirect = p.PathRedirect
	case *routev3.RedirectAction_PrefixRewrite:
		return nil, unsupported("prefix_rewrite", "prefix rewriting in redirects")
	case *routev3.RedirectAction_RegexRewrite:
		return nil, unsupported("regex_rewrite", "regex rewriting in redirects")
	}
	if r.GetPortRedirect() != 0 {
		return nil, unsupported("port_redirect", "port redirects")
	}
	if r.GetStripQuery() {
		return nil, unsupported("strip_query", "")
	}
	return out, nil
}

func headersToAdd(hs []*corev3.HeaderValueOption, path string) ([]config.HeaderValueOption, error) {
	var out []config.HeaderValueOption
	for i, h := range hs {
		appendMode := true
		if a := h.GetAppend(); a != nil {
			appendMode = a.GetValue()
		}
		switch h.GetAppendAction() {
		case corev3.HeaderValueOption_APPEND_IF_EXISTS_OR_ADD:
		case corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD:
			appendMode = false
		default:
			return nil, unsupported(idx(path, i)+".append_action", h.GetAppendAction().String())
		}
		v := h.GetHeader().GetValue()
		if v == "" && len(h.GetHeader().GetRawValue()) > 0 {
			v = string(h.GetHeader().GetRawValue())
		}
		out = append(out, config.HeaderValueOption{Header: &config.HeaderValue{Key: h.GetHeader().GetKey(), Value: v}, Append: &appendMode})
	}
	return out, nil
}

// perFilter writes typed_per_filter_config in the model's per_filter_config
// form: filter name to the Envoy config's JSON. Nil when empty.
func perFilter(m map[string]*anypb.Any, path string) (map[string]json.RawMessage, error) {
	if len(m) == 0 {
		return nil, nil
	}
	out := make(map[string]json.RawMessage, len(m))
	for k, v := range m {
		j, err := protojson.Marshal(v)
		if err != nil {
			// A type this binary does not know: keep its name.
			j, _ = json.Marshal(map[string]string{"@type": v.GetTypeUrl()})
		}
		out[k] = j
	}
	return out, nil
}
