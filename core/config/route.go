package config

import "encoding/json"

// RouterConfig is a named route table (MOSN: RouterConfiguration).
type RouterConfig struct {
	// RouterConfigName is the name proxy filters refer to (required,
	// unique within the server).
	RouterConfigName string `json:"router_config_name"`
	// VirtualHosts are matched by the request's host.
	VirtualHosts []VirtualHostConfig `json:"virtual_hosts"`

	// Header mutations for every route of the table, applied after the
	// route's and the virtual host's (see RouteAction). Nil means none.
	RequestHeadersToAdd     []HeaderValueOption `json:"request_headers_to_add,omitempty"`
	RequestHeadersToRemove  []string            `json:"request_headers_to_remove,omitempty"`
	ResponseHeadersToAdd    []HeaderValueOption `json:"response_headers_to_add,omitempty"`
	ResponseHeadersToRemove []string            `json:"response_headers_to_remove,omitempty"`

	// Loading virtual hosts from a directory (router_configs) is not
	// supported yet.
	RouterConfigPath string `json:"router_configs,omitempty"`
}

// HeaderValueOption is a header to add to a request or response (MOSN and
// Envoy).
type HeaderValueOption struct {
	// Header is the field to add (required).
	Header *HeaderValue `json:"header,omitempty"`
	// Append adds the field next to existing ones of the same name when
	// true, and replaces them when false. Nil means true (MOSN's and
	// Envoy's default).
	Append *bool `json:"append,omitempty"`
}

// HeaderValue is a header name and value.
type HeaderValue struct {
	// Key is the field name (required): a token; not a pseudo-header,
	// not Host, and not a field the proxy manages (Connection,
	// Content-Length, Transfer-Encoding and the other hop-by-hop fields).
	Key string `json:"key,omitempty"`
	// Value is the field value. Text between % signs is a variable,
	// rendered as in access logs: an Envoy command operator
	// (%DOWNSTREAM_REMOTE_ADDRESS%, %REQ(X-Foo)%, %UPSTREAM_HOST%, ...) or a
	// MOSN variable (%downstream_remote_address%, %request_header_x_foo%,
	// ...); \% is a literal %. A value that renders empty is not added.
	Value string `json:"value,omitempty"`
}

// VirtualHostConfig groups routes by request host.
type VirtualHostConfig struct {
	// Name labels the virtual host.
	Name string `json:"name,omitempty"`
	// Domains are matched against the request host, ignoring case, first
	// with the port and then without it: an exact name ("www.foo.com",
	// "www.foo.com:8080"), a suffix wildcard ("*.foo.com", "*-bar.foo.com";
	// the star matches at least one character), a prefix wildcard
	// ("foo.*"), or "*" (any host). Exact names win, then the longest
	// suffix, then the longest prefix, then "*". At least one; unique
	// within the table.
	Domains []string `json:"domains"`
	// Routers are tried in order; the first match wins.
	Routers []RouteConfig `json:"routers"`
	// RequireTLS is Envoy's require_tls, under MOSN's spelling: "" or
	// "NONE" (default), "EXTERNAL_ONLY" (requests from clients outside
	// loopback and private networks that did not arrive over TLS get a
	// 301 to https), "ALL" (every request not over TLS gets a 301).
	RequireTLS string `json:"require_tls,omitempty"`

	// Header mutations for the routes of this virtual host, applied
	// after the route's and before the table's.
	RequestHeadersToAdd     []HeaderValueOption `json:"request_headers_to_add,omitempty"`
	RequestHeadersToRemove  []string            `json:"request_headers_to_remove,omitempty"`
	ResponseHeadersToAdd    []HeaderValueOption `json:"response_headers_to_add,omitempty"`
	ResponseHeadersToRemove []string            `json:"response_headers_to_remove,omitempty"`

	// PerFilterConfig gives stream filters, by type, configuration for
	// the routes of this virtual host (a route's own entry wins).
	PerFilterConfig map[string]json.RawMessage `json:"per_filter_config,omitempty"`
}

// RouteConfig is one route (MOSN: Router): a match and exactly one action:
// route (to a cluster), redirect or direct_response.
type RouteConfig struct {
	Match          RouterMatch           `json:"match"`
	Route          RouteAction           `json:"route"`
	Redirect       *RedirectAction       `json:"redirect,omitempty"`
	DirectResponse *DirectResponseAction `json:"direct_response,omitempty"`

	// RequestMirrorPolicies sends a copy of each request (or a percentage
	// of them) to another cluster, fire and forget.
	RequestMirrorPolicies *RequestMirrorPolicy `json:"request_mirror_policies,omitempty"`

	// PerFilterConfig gives stream filters, by type, configuration for
	// this route's requests (api.PerFilterConfigRoute).
	PerFilterConfig map[string]json.RawMessage `json:"per_filter_config,omitempty"`

	// Not supported yet.
	Metadata json.RawMessage `json:"metadata,omitempty"`
}

// RouterMatch selects requests. Every condition given must hold; an empty
// match selects every request, as in MOSN.
type RouterMatch struct {
	// At most one of Prefix, Path and Regex. Prefix matches paths that
	// start with it; Path matches the path exactly; both start with "/".
	// Regex must match the whole path (Go regexp, RE2 syntax; Envoy's
	// safe_regex semantics). The path excludes the query.
	Prefix string `json:"prefix,omitempty"`
	Path   string `json:"path,omitempty"`
	Regex  string `json:"regex,omitempty"`
	// CaseSensitive applies to Prefix and Path (Envoy); nil means true.
	CaseSensitive *bool `json:"case_sensitive,omitempty"`
	// Headers must all match.
	Headers []HeaderMatcher `json:"headers,omitempty"`
	// QueryParameters must all match (Envoy's; MOSN has none).
	QueryParameters []QueryParameterMatcher `json:"query_parameters,omitempty"`
	// DslExpressions must all evaluate to true (MOSN's CEL dialect).
	DslExpressions []DslExpressionMatcher `json:"dsl_expressions,omitempty"`

	// Variables match request variables (MOSN's variable route rule):
	// each matcher's result is combined with the next by its model
	// ("and", the default, or "or"), left to right.
	Variables []VariableMatcher `json:"variables,omitempty"`
}

// VariableMatcher matches one request variable (MOSN). A variable without
// a value never matches.
type VariableMatcher struct {
	// Name is the variable (required); see docs/configuration.md for the
	// names a request has.
	Name string `json:"name,omitempty"`
	// Value is compared exactly; Regex must match the whole value. Exactly
	// one of them, or neither to require only that the variable has a
	// value.
	Value *string `json:"value,omitempty"`
	Regex *string `json:"regex,omitempty"`
	// Model combines this matcher's result with the next one's: "and"
	// (default) or "or".
	Model string `json:"model,omitempty"`
}

// HeaderMatcher matches one request header (MOSN).
type HeaderMatcher struct {
	// Name is the field name, ignoring case. The pseudo-headers ":method",
	// ":authority" (the host), ":path" (target with query) and ":scheme",
	// and MOSN's "method", "x-mosn-method", "x-mosn-host", "x-mosn-path"
	// (path without query) and "x-mosn-querystring" name request
	// properties instead. Required.
	Name string `json:"name,omitempty"`
	// Value is compared exactly with the first field of that name; a
	// missing field never matches.
	Value string `json:"value,omitempty"`
	// Regex makes Value a regular expression that must match the whole
	// value (MOSN matches anywhere in it).
	Regex bool `json:"regex,omitempty"`
}

// QueryParameterMatcher matches one query parameter (Envoy). The first
// parameter of that name is used, its value not decoded; a missing
// parameter never matches.
type QueryParameterMatcher struct {
	// Name is the parameter name, case-sensitive (required).
	Name string `json:"name,omitempty"`
	// StringMatch matches the value; nil with PresentMatch false means
	// the parameter must be present.
	StringMatch *StringMatcher `json:"string_match,omitempty"`
	// PresentMatch requires the parameter, with or without a value.
	PresentMatch bool `json:"present_match,omitempty"`
}

// StringMatcher is Envoy's StringMatcher: exactly one of its matchers.
type StringMatcher struct {
	Exact     *string       `json:"exact,omitempty"`
	Prefix    string        `json:"prefix,omitempty"`
	Suffix    string        `json:"suffix,omitempty"`
	Contains  string        `json:"contains,omitempty"`
	SafeRegex *RegexMatcher `json:"safe_regex,omitempty"`
	// IgnoreCase applies to all but SafeRegex.
	IgnoreCase bool `json:"ignore_case,omitempty"`
}

// RegexMatcher is a regular expression (Go regexp, RE2 syntax) that must
// match the whole value.
type RegexMatcher struct {
	Regex string `json:"regex,omitempty"`
	// GoogleRE2 is accepted for Envoy compatibility and ignored.
	GoogleRE2 json.RawMessage `json:"google_re2,omitempty"`
}

// DslExpressionMatcher is one MOSN DSL condition: a CEL expression (or
// MOSN's CEXL dialect of it) over request.headers, request.host,
// request.method, request.path, request.url_path, request.query_params
// and context.protocol, evaluating to a bool.
type DslExpressionMatcher struct {
	Expression string `json:"expression,omitempty"`
}

// RouteAction forwards the request to a cluster: exactly one of
// ClusterName, ClusterHeader and WeightedClusters.
type RouteAction struct {
	// ClusterName names a configured cluster.
	ClusterName string `json:"cluster_name,omitempty"`
	// ClusterHeader names a request header whose value is the cluster; a
	// missing header or unknown cluster is answered with 503.
	ClusterHeader string `json:"cluster_header,omitempty"`
	// WeightedClusters splits requests by weight (MOSN's form:
	// [{"cluster": {"name": ..., "weight": ...}}]).
	WeightedClusters []WeightedCluster `json:"weighted_clusters,omitempty"`
	// Timeout bounds the whole request, from the first byte received to the
	// last byte of the response. Zero means DefaultRouteTimeout (60s).
	Timeout Duration `json:"timeout"`
	// PrefixRewrite replaces the matched prefix (the whole path for path
	// and regex matches) of the upstream request's path.
	PrefixRewrite string `json:"prefix_rewrite,omitempty"`
	// RegexRewrite rewrites the path (not the query) with a regular
	// expression; at most one of PrefixRewrite and RegexRewrite.
	RegexRewrite *RegexRewrite `json:"regex_rewrite,omitempty"`
	// HostRewrite replaces the upstream request's Host; at most one of
	// HostRewrite, AutoHostRewrite and AutoHostRewriteHeader.
	HostRewrite string `json:"host_rewrite,omitempty"`
	// AutoHostRewrite sets Host to the chosen upstream host's hostname,
	// or its address when it has none.
	AutoHostRewrite bool `json:"auto_host_rewrite,omitempty"`
	// AutoHostRewriteHeader sets Host to this request header's value when
	// present (Envoy: host_rewrite_header).
	AutoHostRewriteHeader string `json:"auto_host_rewrite_header,omitempty"`
	// Header mutations of this route, applied before the virtual host's
	// and the table's (Envoy's order): per level, removals first, then
	// additions; a later level's removal or replacement wins.
	RequestHeadersToAdd     []HeaderValueOption `json:"request_headers_to_add,omitempty"`
	RequestHeadersToRemove  []string            `json:"request_headers_to_remove,omitempty"`
	ResponseHeadersToAdd    []HeaderValueOption `json:"response_headers_to_add,omitempty"`
	ResponseHeadersToRemove []string            `json:"response_headers_to_remove,omitempty"`

	// RetryPolicy retries failed requests on other hosts.
	RetryPolicy *RetryPolicy `json:"retry_policy,omitempty"`
	// HashPolicy computes the request's hash for RING_HASH and MAGLEV
	// clusters: each policy that yields a value is mixed in, in order.
	HashPolicy []HashPolicy `json:"hash_policy,omitempty"`
	// MetadataMatch selects the subset of the cluster's hosts whose
	// "mosn.lb" metadata has these values (subset load balancing).
	MetadataMatch *HostMetadata `json:"metadata_match,omitempty"`

	// ClusterVariable names a request variable (the names of
	// match.variables) whose value is the cluster; a missing value or
	// unknown cluster is answered with 503.
	ClusterVariable string `json:"cluster_variable,omitempty"`

	// UpstreamProtocol is "Http1" or "Http2" for this route's upstream
	// requests; empty (or "Auto") means the proxy filter's
	// upstream_protocol.
	UpstreamProtocol string `json:"upstream_protocol,omitempty"`
}

// RetryPolicy is MOSN's retry_policy, which also takes Envoy's retry_on
// conditions.
type RetryPolicy struct {
	// RetryOn enables retries: MOSN's true (connect failures, resets
	// before a response, per-try timeouts and the StatusCodes, or any 5xx
	// when StatusCodes is empty), or Envoy's comma-separated conditions:
	// 5xx, gateway-error, reset, connect-failure, retriable-4xx,
	// refused-stream, retriable-status-codes.
	RetryOn RetryOn `json:"retry_on,omitempty"`
	// RetryTimeout bounds each attempt (Envoy's per_try_timeout); zero
	// means only the route timeout applies.
	RetryTimeout Duration `json:"retry_timeout,omitempty"`
	// NumRetries is how many times a request may be retried; 0 means 1.
	NumRetries uint32 `json:"num_retries,omitempty"`
	// StatusCodes are the response statuses that are retried.
	StatusCodes []uint32 `json:"status_codes,omitempty"`
}

// RetryOn is MOSN's boolean retry_on ("true" when set) or Envoy's list of
// retry conditions.
type RetryOn string

// RetryOnMOSN is what MOSN's "retry_on": true decodes to.
const RetryOnMOSN RetryOn = "true"

func (r *RetryOn) decodeNode(_ *decoder, n *node, path string) error {
	switch n.kind {
	case boolNode:
		*r = ""
		if n.b {
			*r = RetryOnMOSN
		}
	case stringNode:
		*r = RetryOn(n.text)
	default:
		return fieldErr(path, "expected a boolean or a list of conditions, got %s", n.describe())
	}
	return nil
}

// MarshalJSON writes MOSN's boolean form back as a boolean.
func (r RetryOn) MarshalJSON() ([]byte, error) {
	if r == RetryOnMOSN {
		return []byte("true"), nil
	}
	return json.Marshal(string(r))
}

// HashPolicy is one of a route's hash policies (MOSN's): exactly one of
// its fields.
type HashPolicy struct {
	// Header hashes the value of a request header.
	Header *HeaderHashPolicy `json:"header,omitempty"`
	// HTTPCookie hashes the value of a request cookie.
	HTTPCookie *CookieHashPolicy `json:"http_cookie,omitempty"`
	// SourceIP hashes the client's IP address.
	SourceIP *SourceIPHashPolicy `json:"source_ip,omitempty"`
}

// HeaderHashPolicy names the header to hash.
type HeaderHashPolicy struct {
	Key string `json:"key,omitempty"`
}

// CookieHashPolicy names the cookie to hash. Path and TTL are accepted for
// MOSN compatibility; a request without the cookie yields no hash (the
// proxy does not generate the cookie).
type CookieHashPolicy struct {
	Name string   `json:"name,omitempty"`
	Path string   `json:"path,omitempty"`
	TTL  Duration `json:"ttl,omitempty"`
}

// SourceIPHashPolicy hashes the downstream client's IP; it has no fields.
type SourceIPHashPolicy struct{}

// WeightedCluster is one entry of weighted_clusters.
type WeightedCluster struct {
	Cluster ClusterWeight `json:"cluster"`
}

// ClusterWeight is a cluster and its share of the route's requests.
type ClusterWeight struct {
	// Name names a configured cluster (required).
	Name string `json:"name,omitempty"`
	// Weight is relative to the sum of the route's weights; 0 sends
	// nothing. The sum must be positive.
	Weight uint32 `json:"weight,omitempty"`

	// MetadataMatch selects a subset of this cluster's hosts, merged over
	// the route's metadata_match.
	MetadataMatch *HostMetadata `json:"metadata_match,omitempty"`
}

// RegexRewrite is MOSN's and Envoy's regex_rewrite.
type RegexRewrite struct {
	// Pattern.Regex is matched against the path, anywhere (required).
	Pattern RegexMatcher `json:"pattern"`
	// Substitution replaces each match; $1, ${name} (Go) and \1 (RE2,
	// Envoy) refer to groups, $$ is a literal $. A rewrite to an empty
	// path leaves the path as it was.
	Substitution string `json:"substitution,omitempty"`
}

// DirectResponseAction answers the request without an upstream.
type DirectResponseAction struct {
	// StatusCode is the HTTP status, 100–599 (required).
	StatusCode int `json:"status"`
	// Body is sent as is; empty means no body.
	Body string `json:"body,omitempty"`
}

// RedirectAction answers with a redirect (MOSN). The Location is
// scheme://host/path built from the request, each part replaced when set.
type RedirectAction struct {
	// ResponseCode is 301 (default, when zero), 302, 303, 307 or 308.
	ResponseCode int `json:"response_code,omitempty"`
	// PathRedirect replaces the path; the request's query is kept unless
	// PathRedirect has one. Must start with "/".
	PathRedirect string `json:"path_redirect,omitempty"`
	// HostRedirect replaces the host (and drops the request's port).
	HostRedirect string `json:"host_redirect,omitempty"`
	// SchemeRedirect replaces "http" (a port that is the new scheme's
	// default is dropped).
	SchemeRedirect string `json:"scheme_redirect,omitempty"`
}

// RequestMirrorPolicy is MOSN's traffic mirroring: a copy of the request
// goes to Cluster, fire and forget; its response is read and dropped, and
// the main request never waits for it. Requests whose body is larger than
// the proxy's read buffer (16 KiB) are not mirrored.
type RequestMirrorPolicy struct {
	// Cluster receives the copies (required).
	Cluster string `json:"cluster,omitempty"`
	// Percent of requests mirrored, 0–100; 0 means 100 as in MOSN.
	Percent uint32 `json:"percent,omitempty"`
	// TraceSampled (mirror only sampled requests) is not supported yet.
	TraceSampled bool `json:"trace_sampled,omitempty"`
}
