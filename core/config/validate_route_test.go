package config

import (
	"errors"
	"testing"
)

// TestValidateRouteErrors: every case is baseJSON with one thing wrong in
// its route table, and the exact error Load prints.
func TestValidateRouteErrors(t *testing.T) {
	withAction := func(action string) []edit {
		return []edit{del(route + "route"), set(route+action, nil)}
	}
	redirect := func(r string) []edit {
		return []edit{del(route + "route"), set(route+"redirect", obj(t, r))}
	}
	weighted := func(w string) []edit {
		return []edit{set(route+"route", obj(t, `{"weighted_clusters": `+w+`}`))}
	}
	tests := []struct {
		name         string
		edits        []edit
		want         string
		notSupported bool
	}{
		// match
		{"bad regex", []edit{del(route + "match.prefix"), set(route+"match.regex", "/a[")},
			pRoute + ".match.regex: invalid regular expression \"/a[\": missing closing ]: `[`", false},
		{"bad regex syntax", []edit{del(route + "match.prefix"), set(route+"match.regex", "a**")},
			pRoute + ".match.regex: invalid regular expression \"a**\": invalid nested repetition operator: `**`", false},
		{"prefix and regex", []edit{set(route+"match.regex", "/a")}, pRoute + ".match: prefix and regex are mutually exclusive", false},
		{"prefix, path and regex", []edit{set(route+"match.regex", "/a"), set(route+"match.path", "/a")}, pRoute + ".match: prefix and path and regex are mutually exclusive", false},
		{"relative path", []edit{del(route + "match.prefix"), set(route+"match.path", "a")}, pRoute + `.match.path: must start with "/", got "a"`, false},
		{"header without name", []edit{set(route+"match.headers", obj(t, `[{"value": "x"}]`))}, pRoute + ".match.headers[0].name: required", false},
		{"bad header name", []edit{set(route+"match.headers", obj(t, `[{"name": "a b", "value": "x"}]`))}, pRoute + `.match.headers[0].name: invalid header name "a b"`, false},
		{"bad header regex", []edit{set(route+"match.headers", obj(t, `[{"name": "v", "value": "(", "regex": true}]`))},
			pRoute + ".match.headers[0].value: invalid regular expression \"(\": missing closing ): `(`", false},
		{"query without name", []edit{set(route+"match.query_parameters", obj(t, `[{"present_match": true}]`))}, pRoute + ".match.query_parameters[0].name: required", false},
		{"query two matchers", []edit{set(route+"match.query_parameters", obj(t, `[{"name": "q", "present_match": true, "string_match": {"exact": "1"}}]`))},
			pRoute + ".match.query_parameters[0]: string_match and present_match are mutually exclusive", false},
		{"string match empty", []edit{set(route+"match.query_parameters", obj(t, `[{"name": "q", "string_match": {"ignore_case": true}}]`))},
			pRoute + ".match.query_parameters[0].string_match: exactly one of exact, prefix, suffix, contains and safe_regex is required", false},
		{"string match two", []edit{set(route+"match.query_parameters", obj(t, `[{"name": "q", "string_match": {"exact": "", "prefix": "a"}}]`))},
			pRoute + ".match.query_parameters[0].string_match: exactly one of exact, prefix, suffix, contains and safe_regex is required", false},
		{"string match bad regex", []edit{set(route+"match.query_parameters", obj(t, `[{"name": "q", "string_match": {"safe_regex": {"regex": "+"}}}]`))},
			pRoute + ".match.query_parameters[0].string_match.safe_regex.regex: invalid regular expression \"+\": missing argument to repetition operator: `+`", false},
		{"dsl unknown variable", []edit{set(route+"match.dsl_expressions", obj(t, `[{"expression": "request.hots == \"a\""}]`))},
			pRoute + `.match.dsl_expressions[0].expression: invalid expression "request.hots == \"a\"": 1:8: undeclared reference to 'request.hots' (did you mean 'request.host'?)`, false},
		{"dsl not bool", []edit{set(route+"match.dsl_expressions", obj(t, `[{"expression": "request.method"}]`))},
			pRoute + `.match.dsl_expressions[0].expression: invalid expression "request.method": evaluates to string, want bool`, false},
		{"dsl empty", []edit{set(route+"match.dsl_expressions", obj(t, `[{}]`))},
			pRoute + `.match.dsl_expressions[0].expression: invalid expression "": empty expression`, false},

		// actions
		{"route and redirect", []edit{set(route+"redirect", obj(t, `{}`))}, pRoute + ": route, redirect and direct_response are mutually exclusive, got route and redirect", false},
		{"redirect and direct", append(withAction("redirect"), set(route+"redirect", obj(t, `{}`)), set(route+"direct_response", obj(t, `{"status": 200}`))),
			pRoute + ": route, redirect and direct_response are mutually exclusive, got redirect and direct_response", false},
		{"two cluster specifiers", []edit{set(route+"route.cluster_header", "x-cluster")}, pRoute + ".route: cluster_name, cluster_header, cluster_variable and weighted_clusters are mutually exclusive", false},
		{"bad cluster header", []edit{set(route+"route", obj(t, `{"cluster_header": "x cluster"}`))}, pRoute + `.route.cluster_header: invalid header name "x cluster"`, false},

		// weighted_clusters
		{"weights sum to zero", weighted(`[{"cluster": {"name": "c1", "weight": 0}}]`), pRoute + ".route.weighted_clusters: the weights sum to 0, want a positive sum", false},
		{"weights overflow", append(weighted(`[{"cluster": {"name": "c1", "weight": 4294967295}}, {"cluster": {"name": "c2", "weight": 1}}]`),
			set("cluster_manager.clusters.1", obj(t, `{"name": "c2", "hosts": [{"address": "127.0.0.1:8081"}]}`))),
			pRoute + ".route.weighted_clusters: the weights sum to 4294967296, more than 4294967295", false},
		{"negative weight", weighted(`[{"cluster": {"name": "c1", "weight": -1}}]`),
			pRoute + ".route.weighted_clusters[0].cluster.weight: expected a non-negative integer, got number -1", false},
		{"weighted unknown cluster", weighted(`[{"cluster": {"name": "c9", "weight": 1}}]`), pRoute + `.route.weighted_clusters[0].cluster.name: unknown cluster "c9" (did you mean "c1"?)`, false},
		{"weighted without name", weighted(`[{"cluster": {"weight": 1}}]`), pRoute + ".route.weighted_clusters[0].cluster.name: required", false},
		{"weighted duplicate", weighted(`[{"cluster": {"name": "c1", "weight": 1}}, {"cluster": {"name": "c1", "weight": 2}}]`),
			pRoute + `.route.weighted_clusters[1].cluster.name: duplicate cluster "c1" (first at servers[0].routers[0].virtual_hosts[0].routers[0].route.weighted_clusters[0].cluster)`, false},
		{"weighted metadata", weighted(`[{"cluster": {"name": "c1", "weight": 1, "metadata_match": {"filter_metadata": {"mosn.lb": {"v": 1}}}}}]`),
			pRoute + `.route.weighted_clusters[0].cluster.metadata_match.filter_metadata["mosn.lb"].v: expected a string, got number 1`, false},

		// rewrites
		{"two path rewrites", []edit{set(route+"route.prefix_rewrite", "/x"), set(route+"route.regex_rewrite", obj(t, `{"pattern": {"regex": "a"}}`))},
			pRoute + ".route: prefix_rewrite and regex_rewrite are mutually exclusive", false},
		{"regex rewrite without regex", []edit{set(route+"route.regex_rewrite", obj(t, `{"substitution": "x"}`))}, pRoute + ".route.regex_rewrite.pattern.regex: required", false},
		{"bad regex rewrite", []edit{set(route+"route.regex_rewrite", obj(t, `{"pattern": {"regex": "a)"}, "substitution": "x"}`))},
			pRoute + ".route.regex_rewrite.pattern.regex: invalid regular expression \"a)\": unexpected ): `a)`", false},
		{"two host rewrites", []edit{set(route+"route.host_rewrite", "h"), set(route+"route.auto_host_rewrite", true)},
			pRoute + ".route: host_rewrite, auto_host_rewrite and auto_host_rewrite_header are mutually exclusive", false},
		{"bad host rewrite", []edit{set(route+"route.host_rewrite", "a/b")}, pRoute + `.route.host_rewrite: invalid host "a/b"`, false},

		// redirect
		{"redirect code 300", redirect(`{"response_code": 300}`), pRoute + ".redirect.response_code: 300 is not a redirect code (one of 301, 302, 303, 307, 308)", false},
		{"redirect code 200", redirect(`{"response_code": 200}`), pRoute + ".redirect.response_code: 200 is not a redirect code (one of 301, 302, 303, 307, 308)", false},
		{"redirect relative path", redirect(`{"path_redirect": "x"}`), pRoute + `.redirect.path_redirect: must start with "/", got "x"`, false},
		{"redirect bad host", redirect(`{"host_redirect": "a b"}`), pRoute + `.redirect.host_redirect: invalid host "a b"`, false},
		{"redirect bad scheme", redirect(`{"scheme_redirect": "1http"}`), pRoute + `.redirect.scheme_redirect: invalid scheme "1http"`, false},

		// virtual host
		{"require_tls value", []edit{set(vh+"require_tls", "all")}, pV + `.require_tls: unknown value "all" (one of NONE, EXTERNAL_ONLY, ALL) (did you mean "ALL"?)`, false},
		{"two wildcards", []edit{set(vh+"domains", obj(t, `["*.example.*"]`))}, pV + `.domains[0]: invalid domain "*.example.*": a wildcard is only allowed as the first or the last character`, false},
		{"lone star with port", []edit{set(vh+"domains", obj(t, `["*:80"]`))}, "", false},
		{"vh per_filter_config", []edit{set(vh+"per_filter_config", obj(t, `{"a": {"b": 1}}`))}, "", false},

		// header mutations
		{"add without header", []edit{set(route+"route.request_headers_to_add", obj(t, `[{"append": true}]`))}, pRoute + ".route.request_headers_to_add[0].header: required", false},
		{"add without key", []edit{set(route+"route.request_headers_to_add", obj(t, `[{"header": {"value": "v"}}]`))}, pRoute + ".route.request_headers_to_add[0].header.key: required", false},
		{"add pseudo-header", []edit{set(vh+"request_headers_to_add", obj(t, `[{"header": {"key": ":path", "value": "/"}}]`))}, pV + `.request_headers_to_add[0].header.key: pseudo-header ":path" cannot be changed`, false},
		{"add host", []edit{set(rt+"request_headers_to_add", obj(t, `[{"header": {"key": "Host", "value": "x"}}]`))}, pR + `.request_headers_to_add[0].header.key: "Host" cannot be changed here (use route.host_rewrite)`, false},
		{"remove host", []edit{set(route+"route.request_headers_to_remove", obj(t, `["host"]`))}, pRoute + `.route.request_headers_to_remove[0]: "host" cannot be changed here (use route.host_rewrite)`, false},
		{"remove content-length", []edit{set(route+"route.response_headers_to_remove", obj(t, `["Content-Length"]`))}, pRoute + `.route.response_headers_to_remove[0]: "Content-Length" is managed by the proxy and cannot be changed`, false},
		{"add connection", []edit{set(rt+"response_headers_to_add", obj(t, `[{"header": {"key": "connection", "value": "close"}}]`))}, pR + `.response_headers_to_add[0].header.key: "connection" is managed by the proxy and cannot be changed`, false},
		{"bad header key", []edit{set(route+"route.response_headers_to_add", obj(t, `[{"header": {"key": "a:b", "value": "v"}}]`))}, pRoute + `.route.response_headers_to_add[0].header.key: invalid header name "a:b"`, false},
		{"control character", []edit{set(route+"route.response_headers_to_add", obj(t, `[{"header": {"key": "a", "value": "x\r\nInjected: 1"}}]`))},
			pRoute + `.route.response_headers_to_add[0].header.value: invalid header value "x\r\nInjected: 1": control character`, false},
		{"unknown variable", []edit{set(route+"route.request_headers_to_add", obj(t, `[{"header": {"key": "a", "value": "%NOPE%"}}]`))},
			pRoute + `.route.request_headers_to_add[0].header.value: invalid header value "%NOPE%": unknown variable "NOPE"`, false},
		{"unterminated variable", []edit{set(route+"route.request_headers_to_add", obj(t, `[{"header": {"key": "a", "value": "50%"}}]`))},
			pRoute + `.route.request_headers_to_add[0].header.value: invalid header value "50%": unterminated variable "%"`, false},

		{"retry policy", []edit{set(route+"route.retry_policy", obj(t, `{"retry_on": true, "num_retries": 2, "retry_timeout": "1s", "status_codes": [503]}`))}, "", false},
		{"retry policy envoy", []edit{set(route+"route.retry_policy", obj(t, `{"retry_on": "5xx,connect-failure"}`))}, "", false},
		{"retry on unknown", []edit{set(route+"route.retry_policy", obj(t, `{"retry_on": "5xx,gateway_error"}`))},
			pRoute + `.route.retry_policy.retry_on: unknown retry condition "gateway_error" (true, or a list of 5xx, gateway-error, reset, connect-failure, retriable-4xx, refused-stream, retriable-status-codes) (did you mean "gateway-error"?)`, false},
		{"retry on number", []edit{set(route+"route.retry_policy", obj(t, `{"retry_on": 1}`))},
			pRoute + `.route.retry_policy.retry_on: expected a boolean or a list of conditions, got number 1`, false},
		{"retry status", []edit{set(route+"route.retry_policy", obj(t, `{"retry_on": true, "status_codes": [700]}`))},
			pRoute + `.route.retry_policy.status_codes[0]: status 700 is not from 100 to 599`, false},
		{"hash policy", []edit{set(route+"route.hash_policy", obj(t, `[{"header": {"key": "x"}}, {"source_ip": {}}, {"http_cookie": {"name": "s"}}]`))}, "", false},
		{"hash policy empty", []edit{set(route+"route.hash_policy", obj(t, `[{}]`))},
			pRoute + ".route.hash_policy[0]: exactly one of header, http_cookie and source_ip is required", false},
		{"hash policy two", []edit{set(route+"route.hash_policy", obj(t, `[{"header": {"key": "x"}, "source_ip": {}}]`))},
			pRoute + ".route.hash_policy[0]: exactly one of header, http_cookie and source_ip is required", false},
		{"hash cookie name", []edit{set(route+"route.hash_policy", obj(t, `[{"http_cookie": {}}]`))},
			pRoute + ".route.hash_policy[0].http_cookie.name: required", false},
		{"metadata match", []edit{set(route+"route.metadata_match", obj(t, `{"filter_metadata": {"mosn.lb": {"v": "1"}}}`))}, "", false},
		{"metadata match not strings", []edit{set(route+"route.metadata_match", obj(t, `{"filter_metadata": {"mosn.lb": ["v"]}}`))},
			pRoute + `.route.metadata_match.filter_metadata["mosn.lb"]: expected an object, got array`, false},

		{"variable match", []edit{set(route+"match.variables", obj(t, `[{"name": "service", "value": "x", "model": "or"}, {"name": "x-mosn-host", "regex": "a.*"}]`))}, "", false},
		{"mirror", []edit{set(route+"request_mirror_policies", obj(t, `{"cluster": "c1", "percent": 100}`))}, "", false},

		// still refused
		{"cluster variable", []edit{set(route+"route.cluster_name", ""), set(route+"route.cluster_variable", "http_header_x-cluster")}, "", false},
		{"upstream protocol", []edit{set(route+"route.upstream_protocol", "X")}, pRoute + `.route.upstream_protocol: protocol "X" is not supported yet`, true},
		{"upstream protocol unknown", []edit{set(route+"route.upstream_protocol", "http2")}, pRoute + `.route.upstream_protocol: unknown protocol "http2" (did you mean "Http2"?)`, false},
		{"route per_filter_config", []edit{set(route+"per_filter_config", obj(t, `{"a": {"b": 1}}`))}, "", false},
		{"route metadata", []edit{set(route+"metadata", obj(t, `{"filter_metadata": {"mosn.lb": {"v": "1"}}}`))}, pRoute + ".metadata: route metadata is not supported yet", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := load(base(t, tt.edits...), "c.json", Builtins())
			if tt.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("loaded: %+v", c.Servers[0].Routers)
			}
			if got, want := err.Error(), "c.json: "+tt.want; got != want {
				t.Errorf("error:\n got %s\nwant %s", got, want)
			}
			if errors.Is(err, ErrNotSupported) != tt.notSupported {
				t.Errorf("errors.Is(err, ErrNotSupported) = %v, want %v", !tt.notSupported, tt.notSupported)
			}
		})
	}
}

// TestValidateRouteFeatures loads a table that uses every supported route
// feature and checks the defaults Validate fills in.
func TestValidateRouteFeatures(t *testing.T) {
	table := `{"router_config_name": "r1",
		"request_headers_to_add": [{"header": {"key": "x-a", "value": "%DOWNSTREAM_REMOTE_ADDRESS%"}}],
		"request_headers_to_remove": ["x-b"],
		"response_headers_to_add": [{"header": {"key": "x-c", "value": "%UPSTREAM_HOST%"}, "append": false}],
		"response_headers_to_remove": ["server"],
		"virtual_hosts": [{"name": "v", "domains": ["*", "*.a.com", "b.*", "c.com:8080"], "require_tls": "EXTERNAL_ONLY",
			"request_headers_to_add": [{"header": {"key": "x-d", "value": "%REQ(x-e)%"}}],
			"routers": [
			{"match": {"regex": "/r/[0-9]+", "headers": [{"name": ":method", "value": "GET"}, {"name": "x", "value": "a.*", "regex": true}],
				"query_parameters": [{"name": "q", "string_match": {"exact": ""}}, {"name": "p", "present_match": true}, {"name": "s", "string_match": {"safe_regex": {"regex": "a+", "google_re2": {}}}}],
				"dsl_expressions": [{"expression": "conditional(request.headers[\"x\"] | \"d\" == \"d\", true, false)"}]},
			 "route": {"weighted_clusters": [{"cluster": {"name": "c1", "weight": 3}}], "regex_rewrite": {"pattern": {"regex": "^/r"}, "substitution": "/s"},
				"auto_host_rewrite": true, "request_headers_to_remove": ["x-f"], "response_headers_to_add": [{"header": {"key": "x-g", "value": "v"}}]}},
			{"match": {"prefix": "/CI", "case_sensitive": false}, "route": {"cluster_header": "x-cluster", "prefix_rewrite": "/", "timeout": "5s"}},
			{"match": {"path": "/old"}, "redirect": {"path_redirect": "/new"}},
			{"match": {"path": "/old2"}, "redirect": {"scheme_redirect": "HTTPS", "response_code": 308}},
			{"match": {"prefix": "/"}, "route": {"cluster_name": "c1", "host_rewrite": "h:1"}}
		]}]}`
	c := mustLoad(t, base(t, set("servers.0.routers.0", obj(t, table))), "c.json")
	rs := c.Servers[0].Routers[0].VirtualHosts[0].Routers
	if d := rs[0].Route.Timeout.Duration; d != DefaultRouteTimeout {
		t.Errorf("weighted route timeout = %v", d)
	}
	if d := rs[1].Route.Timeout.Duration; d.String() != "5s" {
		t.Errorf("timeout = %v", d)
	}
	if code := rs[2].Redirect.ResponseCode; code != 301 {
		t.Errorf("default redirect code = %d, want 301", code)
	}
	if s := rs[3].Redirect.SchemeRedirect; s != "https" {
		t.Errorf("scheme = %q, want it lower-cased", s)
	}
}
