package config

import "encoding/json"

// RouterConfig is a named route table (MOSN: RouterConfiguration).
type RouterConfig struct {
	// RouterConfigName is the name proxy filters refer to (required,
	// unique within the server).
	RouterConfigName string `json:"router_config_name"`
	// VirtualHosts are matched by the request's host.
	VirtualHosts []VirtualHostConfig `json:"virtual_hosts"`

	// Header manipulation and loading virtual hosts from a directory
	// (router_configs) are not supported yet.
	RequestHeadersToAdd     []HeaderValueOption `json:"request_headers_to_add,omitempty"`
	ResponseHeadersToAdd    []HeaderValueOption `json:"response_headers_to_add,omitempty"`
	ResponseHeadersToRemove []string            `json:"response_headers_to_remove,omitempty"`
	RouterConfigPath        string              `json:"router_configs,omitempty"`
}

// HeaderValueOption is a header to add (MOSN); not supported yet.
type HeaderValueOption struct {
	Header *HeaderValue `json:"header,omitempty"`
	Append *bool        `json:"append,omitempty"`
}

// HeaderValue is a header name and value.
type HeaderValue struct {
	Key   string `json:"key,omitempty"`
	Value string `json:"value,omitempty"`
}

// VirtualHostConfig groups routes by request host.
type VirtualHostConfig struct {
	// Name labels the virtual host.
	Name string `json:"name,omitempty"`
	// Domains are matched against the request host, ignoring case and a
	// port: "*" (any host; at most one per route table), "*.example.com"
	// (suffix), or an exact name. At least one; unique within the table.
	Domains []string `json:"domains"`
	// Routers are tried in order; the first match wins.
	Routers []RouteConfig `json:"routers"`

	// Not supported yet.
	RequireTLS              string              `json:"require_tls,omitempty"`
	RequestHeadersToAdd     []HeaderValueOption `json:"request_headers_to_add,omitempty"`
	ResponseHeadersToAdd    []HeaderValueOption `json:"response_headers_to_add,omitempty"`
	ResponseHeadersToRemove []string            `json:"response_headers_to_remove,omitempty"`
	PerFilterConfig         json.RawMessage     `json:"per_filter_config,omitempty"`
}

// RouteConfig is one route (MOSN: Router): a match and exactly one action,
// route (to a cluster) or direct_response.
type RouteConfig struct {
	Match          RouterMatch           `json:"match"`
	Route          RouteAction           `json:"route"`
	DirectResponse *DirectResponseAction `json:"direct_response,omitempty"`

	// Not supported yet.
	Redirect              *RedirectAction      `json:"redirect,omitempty"`
	Metadata              json.RawMessage      `json:"metadata,omitempty"`
	PerFilterConfig       json.RawMessage      `json:"per_filter_config,omitempty"`
	RequestMirrorPolicies *RequestMirrorPolicy `json:"request_mirror_policies,omitempty"`
}

// RouterMatch selects requests by path: at most one of Prefix and Path,
// each starting with "/". An empty match selects every request, as in MOSN.
type RouterMatch struct {
	// Prefix matches paths that start with it.
	Prefix string `json:"prefix,omitempty"`
	// Path matches the path exactly.
	Path string `json:"path,omitempty"`

	// Not supported yet.
	Regex          string          `json:"regex,omitempty"`
	Headers        []HeaderMatcher `json:"headers,omitempty"`
	Variables      json.RawMessage `json:"variables,omitempty"`
	DslExpressions json.RawMessage `json:"dsl_expressions,omitempty"`
}

// HeaderMatcher matches one request header (MOSN); not supported yet.
type HeaderMatcher struct {
	Name  string `json:"name,omitempty"`
	Value string `json:"value,omitempty"`
	Regex bool   `json:"regex,omitempty"`
}

// RouteAction forwards the request to a cluster.
type RouteAction struct {
	// ClusterName names a configured cluster.
	ClusterName string `json:"cluster_name,omitempty"`
	// Timeout bounds the whole request, from the first byte received to the
	// last byte of the response. Zero means DefaultRouteTimeout (60s).
	Timeout Duration `json:"timeout"`

	// Not supported yet.
	UpstreamProtocol        string              `json:"upstream_protocol,omitempty"`
	ClusterHeader           string              `json:"cluster_header,omitempty"`
	WeightedClusters        json.RawMessage     `json:"weighted_clusters,omitempty"`
	HashPolicy              json.RawMessage     `json:"hash_policy,omitempty"`
	MetadataMatch           json.RawMessage     `json:"metadata_match,omitempty"`
	RetryPolicy             json.RawMessage     `json:"retry_policy,omitempty"`
	PrefixRewrite           string              `json:"prefix_rewrite,omitempty"`
	RegexRewrite            json.RawMessage     `json:"regex_rewrite,omitempty"`
	HostRewrite             string              `json:"host_rewrite,omitempty"`
	AutoHostRewrite         bool                `json:"auto_host_rewrite,omitempty"`
	AutoHostRewriteHeader   string              `json:"auto_host_rewrite_header,omitempty"`
	RequestHeadersToAdd     []HeaderValueOption `json:"request_headers_to_add,omitempty"`
	ResponseHeadersToAdd    []HeaderValueOption `json:"response_headers_to_add,omitempty"`
	ResponseHeadersToRemove []string            `json:"response_headers_to_remove,omitempty"`
}

// DirectResponseAction answers the request without an upstream.
type DirectResponseAction struct {
	// StatusCode is the HTTP status, 100–599 (required).
	StatusCode int `json:"status"`
	// Body is sent as is; empty means no body.
	Body string `json:"body,omitempty"`
}

// RedirectAction is MOSN's redirect; not supported yet.
type RedirectAction struct {
	ResponseCode   int    `json:"response_code,omitempty"`
	PathRedirect   string `json:"path_redirect,omitempty"`
	HostRedirect   string `json:"host_redirect,omitempty"`
	SchemeRedirect string `json:"scheme_redirect,omitempty"`
}

// RequestMirrorPolicy is MOSN's traffic mirroring; not supported yet.
type RequestMirrorPolicy struct {
	Cluster      string `json:"cluster,omitempty"`
	Percent      uint32 `json:"percent,omitempty"`
	TraceSampled bool   `json:"trace_sampled,omitempty"`
}
