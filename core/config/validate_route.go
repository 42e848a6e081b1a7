package config

import (
	"strings"
)

// router checks one route table; its name was checked by server.
func (v *validator) router(r *RouterConfig, path string) error {
	switch {
	case len(r.RequestHeadersToAdd) > 0:
		return notSupported(path+".request_headers_to_add", "")
	case len(r.ResponseHeadersToAdd) > 0:
		return notSupported(path+".response_headers_to_add", "")
	case len(r.ResponseHeadersToRemove) > 0:
		return notSupported(path+".response_headers_to_remove", "")
	case r.RouterConfigPath != "":
		return notSupported(path+".router_configs", "loading virtual hosts from a directory")
	}
	if len(r.VirtualHosts) == 0 {
		return fieldErr(path+".virtual_hosts", "at least one virtual host is required")
	}
	domains := map[string]string{} // lower-case domain -> path of its vhost
	for i := range r.VirtualHosts {
		if err := v.virtualHost(&r.VirtualHosts[i], indexPath(path+".virtual_hosts", i), domains); err != nil {
			return err
		}
	}
	return nil
}

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
	switch {
	case vh.RequireTLS != "":
		return notSupported(path+".require_tls", "")
	case len(vh.RequestHeadersToAdd) > 0:
		return notSupported(path+".request_headers_to_add", "")
	case len(vh.ResponseHeadersToAdd) > 0:
		return notSupported(path+".response_headers_to_add", "")
	case len(vh.ResponseHeadersToRemove) > 0:
		return notSupported(path+".response_headers_to_remove", "")
	case !rawIsZero(vh.PerFilterConfig):
		return notSupported(path+".per_filter_config", "")
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

// checkDomain accepts "*", a suffix wildcard "*.example.com" (any text
// after the star) and exact names.
func checkDomain(d string) error {
	switch {
	case d == "":
		return errorString("empty")
	case d == "*":
		return nil
	case strings.Contains(d[1:], "*"):
		return errorString("a wildcard is only allowed as the first character")
	case strings.ContainsAny(d, " /\t"):
		return errorString("not a host name")
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
	case r.Redirect != nil:
		return notSupported(path+".redirect", "redirecting")
	case !rawIsZero(r.Metadata):
		return notSupported(path+".metadata", "route metadata")
	case !rawIsZero(r.PerFilterConfig):
		return notSupported(path+".per_filter_config", "")
	case r.RequestMirrorPolicies != nil:
		return notSupported(path+".request_mirror_policies", "request mirroring")
	}
	if err := routeActionUnsupported(&r.Route, path+".route"); err != nil {
		return err
	}
	switch {
	case r.Route.ClusterName == "" && r.DirectResponse == nil:
		return fieldErr(path, "one of route.cluster_name and direct_response is required")
	case r.Route.ClusterName != "" && r.DirectResponse != nil:
		return fieldErr(path, "route.cluster_name and direct_response are mutually exclusive")
	case r.DirectResponse != nil:
		if s := r.DirectResponse.StatusCode; s < 100 || s > 599 {
			return fieldErr(path+".direct_response.status", "status %d is not from 100 to 599", s)
		}
		return nil
	}
	if _, ok := v.clusters[r.Route.ClusterName]; !ok {
		return fieldErr(path+".route.cluster_name", "unknown cluster %q%s", r.Route.ClusterName, suggest(r.Route.ClusterName, keys(v.clusters)))
	}
	switch {
	case r.Route.Timeout.Duration < 0:
		return fieldErr(path+".route.timeout", "must not be negative, got %s", r.Route.Timeout)
	case r.Route.Timeout.Duration == 0:
		r.Route.Timeout.Duration = DefaultRouteTimeout
	}
	return nil
}

func (v *validator) match(m *RouterMatch, path string) error {
	switch {
	case m.Regex != "":
		return notSupported(path+".regex", "regular expression matching")
	case len(m.Headers) > 0:
		return notSupported(path+".headers", "header matching")
	case !rawIsZero(m.Variables):
		return notSupported(path+".variables", "variable matching")
	case !rawIsZero(m.DslExpressions):
		return notSupported(path+".dsl_expressions", "DSL matching")
	case m.Prefix != "" && m.Path != "":
		return fieldErr(path, "prefix and path are mutually exclusive")
	case m.Prefix != "" && !strings.HasPrefix(m.Prefix, "/"):
		return fieldErr(path+".prefix", "must start with \"/\", got %q", m.Prefix)
	case m.Path != "" && !strings.HasPrefix(m.Path, "/"):
		return fieldErr(path+".path", "must start with \"/\", got %q", m.Path)
	}
	return nil
}

func routeActionUnsupported(a *RouteAction, path string) error {
	switch {
	case a.UpstreamProtocol != "":
		return notSupported(path+".upstream_protocol", "")
	case a.ClusterHeader != "":
		return notSupported(path+".cluster_header", "")
	case !rawIsZero(a.WeightedClusters):
		return notSupported(path+".weighted_clusters", "")
	case !rawIsZero(a.HashPolicy):
		return notSupported(path+".hash_policy", "")
	case !rawIsZero(a.MetadataMatch):
		return notSupported(path+".metadata_match", "")
	case !rawIsZero(a.RetryPolicy):
		return notSupported(path+".retry_policy", "retrying")
	case a.PrefixRewrite != "":
		return notSupported(path+".prefix_rewrite", "")
	case !rawIsZero(a.RegexRewrite):
		return notSupported(path+".regex_rewrite", "")
	case a.HostRewrite != "":
		return notSupported(path+".host_rewrite", "")
	case a.AutoHostRewrite:
		return notSupported(path+".auto_host_rewrite", "")
	case a.AutoHostRewriteHeader != "":
		return notSupported(path+".auto_host_rewrite_header", "")
	case len(a.RequestHeadersToAdd) > 0:
		return notSupported(path+".request_headers_to_add", "")
	case len(a.ResponseHeadersToAdd) > 0:
		return notSupported(path+".response_headers_to_add", "")
	case len(a.ResponseHeadersToRemove) > 0:
		return notSupported(path+".response_headers_to_remove", "")
	}
	return nil
}
