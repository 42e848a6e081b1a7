package router

import (
	"testing"

	"github.com/seed405ffdea/mosn/core/config"
)

// route is a one-route helper for tables built in code.
func route(prefix, path, cluster string) config.RouteConfig {
	return config.RouteConfig{Match: config.RouterMatch{Prefix: prefix, Path: path}, Route: config.RouteAction{ClusterName: cluster}}
}

func TestVirtualHostPriority(t *testing.T) {
	tb := load(t, `{"router_config_name": "r", "virtual_hosts": [
		{"name": "exact", "domains": ["www.foo.com"], "routers": [{"route": {"cluster_name": "a"}}]},
		{"name": "exact-port", "domains": ["api.foo.com:8080"], "routers": [{"route": {"cluster_name": "a"}}]},
		{"name": "suffix", "domains": ["*.foo.com"], "routers": [{"route": {"cluster_name": "a"}}]},
		{"name": "longer-suffix", "domains": ["*-bar.foo.com"], "routers": [{"route": {"cluster_name": "a"}}]},
		{"name": "suffix-port", "domains": ["*.svc:9090"], "routers": [{"route": {"cluster_name": "a"}}]},
		{"name": "prefix", "domains": ["foo.*"], "routers": [{"route": {"cluster_name": "a"}}]},
		{"name": "longer-prefix", "domains": ["foo.bar.*"], "routers": [{"route": {"cluster_name": "a"}}]},
		{"name": "any", "domains": ["*"], "routers": [{"route": {"cluster_name": "a"}}]}
	]}`)
	cases := []struct{ host, want string }{
		{"www.foo.com", "exact"},
		{"WWW.Foo.COM", "exact"},
		{"www.foo.com:80", "exact"},        // without the port
		{"api.foo.com:8080", "exact-port"}, // with the port
		{"api.foo.com:9999", "suffix"},     // another port: not that exact domain
		{"api.foo.com", "suffix"},
		{"a.b.foo.com", "suffix"},
		{"baz-bar.foo.com", "longer-suffix"}, // the longest suffix wins
		{"x.baz-bar.foo.com", "longer-suffix"},
		{"-bar.foo.com", "suffix"}, // the star needs a character
		{"foo.com", "prefix"},      // "*.foo.com" needs a character before ".foo.com"
		{"foo.com:443", "prefix"},
		{"foo.bar.baz", "longer-prefix"},
		{"foo.", "any"}, // the star needs a character
		{"db.svc:9090", "suffix-port"},
		{"db.svc", "any"},
		{"other.org", "any"},
		{"", "any"},
		{"[::1]:80", "any"},
		{"www.foo.com.", "any"},
	}
	for _, c := range cases {
		vh := tb.VirtualHost([]byte(c.host))
		if vh == nil || vh.Name() != c.want {
			got := "<nil>"
			if vh != nil {
				got = vh.Name()
			}
			t.Errorf("host %q: virtual host %s, want %s", c.host, got, c.want)
		}
	}

	// Without "*", an unknown host has no virtual host.
	tb = load(t, `{"router_config_name": "r", "virtual_hosts": [
		{"name": "exact", "domains": ["www.foo.com"], "routers": [{"route": {"cluster_name": "a"}}]}]}`)
	if vh := tb.VirtualHost([]byte("other")); vh != nil {
		t.Errorf("unknown host matched %s", vh.Name())
	}
	if r := tb.Match(req("GET other /")); r != nil {
		t.Errorf("unknown host matched a route")
	}
}

// matchTable has a route for every match kind; each route sends to a
// cluster named after it.
const matchTable = `{"router_config_name": "r", "virtual_hosts": [{"name": "all", "domains": ["*"], "routers": [
	{"match": {"path": "/exact"}, "route": {"cluster_name": "exact"}},
	{"match": {"prefix": "/api/", "headers": [{"name": "x-version", "value": "v2"}]}, "route": {"cluster_name": "hdr-exact"}},
	{"match": {"prefix": "/api/", "headers": [{"name": "X-Version", "value": "v[0-9]+", "regex": true}]}, "route": {"cluster_name": "hdr-regex"}},
	{"match": {"prefix": "/api/"}, "route": {"cluster_name": "api"}},
	{"match": {"regex": "/users/[0-9]+"}, "route": {"cluster_name": "regex"}},
	{"match": {"prefix": "/CI/", "case_sensitive": false}, "route": {"cluster_name": "ci-prefix"}},
	{"match": {"path": "/CI-Path", "case_sensitive": false}, "route": {"cluster_name": "ci-path"}},
	{"match": {"path": "/q", "query_parameters": [{"name": "debug", "present_match": true}]}, "route": {"cluster_name": "q-present"}},
	{"match": {"path": "/q", "query_parameters": [{"name": "id", "string_match": {"exact": "42"}}]}, "route": {"cluster_name": "q-exact"}},
	{"match": {"path": "/q", "query_parameters": [{"name": "name", "string_match": {"prefix": "ab", "ignore_case": true}}]}, "route": {"cluster_name": "q-prefix"}},
	{"match": {"path": "/q", "query_parameters": [{"name": "s", "string_match": {"suffix": ".js"}}, {"name": "t"}]}, "route": {"cluster_name": "q-suffix-and"}},
	{"match": {"path": "/q", "query_parameters": [{"name": "c", "string_match": {"contains": "MID", "ignore_case": true}}]}, "route": {"cluster_name": "q-contains"}},
	{"match": {"path": "/q", "query_parameters": [{"name": "r", "string_match": {"safe_regex": {"regex": "[a-f]+"}}}]}, "route": {"cluster_name": "q-regex"}},
	{"match": {"path": "/q"}, "route": {"cluster_name": "q"}},
	{"match": {"headers": [{"name": ":method", "value": "POST"}]}, "route": {"cluster_name": "post"}},
	{"match": {"headers": [{"name": ":authority", "value": "special.host"}]}, "route": {"cluster_name": "authority"}},
	{"match": {"headers": [{"name": ":path", "value": "/full?x=1"}]}, "route": {"cluster_name": "full-path"}},
	{"match": {"headers": [{"name": "x-mosn-path", "value": "/mosn-path"}, {"name": "x-mosn-querystring", "value": "k=v"}, {"name": "method", "value": "GET"}]}, "route": {"cluster_name": "mosn-names"}},
	{"match": {"prefix": "/dsl", "dsl_expressions": [{"expression": "request.headers[\"x-user\"] == \"alice\" && request.method == \"GET\""}]}, "route": {"cluster_name": "dsl-cel"}},
	{"match": {"prefix": "/dsl", "dsl_expressions": [{"expression": "conditional((request.headers[\"x-dsl\"] | \"empty\") == \"empty\", true, false)"}]}, "route": {"cluster_name": "dsl-cexl"}},
	{"match": {"prefix": "/dsl", "dsl_expressions": [{"expression": "request.query_params[\"k\"] == \"a b\""}, {"expression": "request.path.startsWith(\"/dsl\")"}]}, "route": {"cluster_name": "dsl-query"}},
	{"match": {"prefix": "/order"}, "route": {"cluster_name": "order-prefix"}},
	{"match": {"path": "/order/x"}, "route": {"cluster_name": "order-exact"}},
	{"match": {"path": "/first/x"}, "route": {"cluster_name": "first-exact"}},
	{"match": {"prefix": "/first"}, "route": {"cluster_name": "first-prefix"}},
	{"match": {"prefix": "/"}, "route": {"cluster_name": "default"}}
]}]}`

var matchClusters = []string{"exact", "hdr-exact", "hdr-regex", "api", "regex", "ci-prefix", "ci-path",
	"q-present", "q-exact", "q-prefix", "q-suffix-and", "q-contains", "q-regex", "q", "post", "authority", "full-path", "mosn-names",
	"dsl-cel", "dsl-cexl", "dsl-query", "order-prefix", "order-exact", "first-exact", "first-prefix"}

func TestMatchKinds(t *testing.T) {
	tb := load(t, matchTable, matchClusters...)
	cases := []struct {
		name    string
		line    string
		headers []string
		want    string
	}{
		{"exact path", "GET h /exact", nil, "exact"},
		{"exact path ignores the query", "GET h /exact?a=1", nil, "exact"},
		{"exact path is not a prefix", "GET h /exact/", nil, "default"},
		{"exact path is case-sensitive", "GET h /Exact", nil, "default"},
		{"header exact", "GET h /api/x", []string{"X-Version: v2"}, "hdr-exact"},
		{"header regex", "GET h /api/x", []string{"x-version: v10"}, "hdr-regex"},
		{"header regex matches the whole value", "GET h /api/x", []string{"x-version: v10beta"}, "api"},
		{"header value is case-sensitive", "GET h /api/x", []string{"x-version: V2"}, "api"},
		{"first of repeated headers", "GET h /api/x", []string{"x-version: v1", "x-version: v2"}, "hdr-regex"},
		{"missing header", "GET h /api/x", nil, "api"},
		{"prefix", "GET h /api/", nil, "api"},
		{"prefix is case-sensitive", "GET h /API/x", nil, "default"},
		{"regex", "GET h /users/123", nil, "regex"},
		{"regex matches the whole path", "GET h /users/123/x", nil, "default"},
		{"regex negative", "GET h /users/abc", nil, "default"},
		{"regex ignores the query", "GET h /users/7?x=y", nil, "regex"},
		{"case-insensitive prefix", "GET h /ci/a", nil, "ci-prefix"},
		{"case-insensitive prefix 2", "GET h /cI/a", nil, "ci-prefix"},
		{"case-insensitive path", "GET h /ci-PATH", nil, "ci-path"},
		{"case-insensitive path is exact", "GET h /ci-path/", nil, "default"},
		{"query present, no value", "GET h /q?debug", nil, "q-present"},
		{"query present, empty value", "GET h /q?x=1&debug=&y", nil, "q-present"},
		{"query exact", "GET h /q?id=42", nil, "q-exact"},
		{"query exact negative", "GET h /q?id=420", nil, "q"},
		{"query first value wins", "GET h /q?id=1&id=42", nil, "q"},
		{"query values are not decoded", "GET h /q?id=%342", nil, "q"},
		{"query prefix ignoring case", "GET h /q?name=ABC", nil, "q-prefix"},
		{"query names are case-sensitive", "GET h /q?Name=ab", nil, "q"},
		{"query all must match", "GET h /q?s=a.js&t=1", nil, "q-suffix-and"},
		{"query all must match, negative", "GET h /q?s=a.js", nil, "q"},
		{"query contains ignoring case", "GET h /q?c=xxmidyy", nil, "q-contains"},
		{"query regex", "GET h /q?r=cafe", nil, "q-regex"},
		{"query regex whole value", "GET h /q?r=cafes", nil, "q"},
		{"no query", "GET h /q", nil, "q"},
		{"fragment is not the query", "GET h /q#?debug", nil, "q"},
		{":method", "POST h /anything", nil, "post"},
		{"earlier route wins over :method", "POST h /exact", nil, "exact"},
		{":authority", "GET special.host /x", nil, "authority"},
		{":authority is exact", "GET special.host:80 /x", nil, "default"},
		{":path has the query", "GET h /full?x=1", nil, "full-path"},
		{":path negative", "GET h /full", nil, "default"},
		{"MOSN names", "GET h /mosn-path?k=v", nil, "mosn-names"},
		{"MOSN names negative", "GET h /mosn-path?k=w", nil, "default"},
		{"dsl CEL", "GET h /dsl", []string{"X-User: alice"}, "dsl-cel"},
		{"dsl CEXL with | default", "GET h /dsl", []string{"x-user: bob"}, "dsl-cexl"},
		{"dsl CEXL negative", "GET h /dsl", []string{"x-dsl: set"}, "default"},
		{"dsl query, decoded", "GET h /dsl?k=a%20b", []string{"x-dsl: set"}, "dsl-query"},
		{"dsl: all must hold", "GET h /nodsl?k=a%20b", []string{"x-dsl: set"}, "default"},
		{"first route wins over a later exact path", "GET h /order/x", nil, "order-prefix"},
		{"exact path before a prefix", "GET h /first/x", nil, "first-exact"},
		{"prefix after an exact path", "GET h /first/y", nil, "first-prefix"},
		{"default", "GET h /", nil, "default"},
		{"no path", "OPTIONS h *", nil, "404"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rq := req(c.line, c.headers...)
			got := "404"
			if r := tb.Match(rq); r != nil {
				got = r.Cluster(rq)
			}
			if got != c.want {
				t.Errorf("%s %v: got %s, want %s", c.line, c.headers, got, c.want)
			}
		})
	}
}

// TestMatchAllocs guards the promise that matching allocates nothing
// (routes without dsl_expressions).
func TestMatchAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation budgets with regex matching are checked without -race (regexp's sync.Pool drops items under the race detector)")
	}
	tb := load(t, matchTable, matchClusters...)
	for _, c := range []struct {
		line    string
		headers []string
	}{
		{"GET WWW.foo.com:80 /exact", nil},
		{"GET h /api/x", []string{"x-version: v10"}},
		{"GET h /users/123", nil},
		{"GET h /CI/x", nil},
		{"GET h /q?name=ABC", nil},
		{"GET h /q?c=xxmidyy", nil},
		{"GET h /q?r=cafe", nil},
		{"POST h /x", nil},
		{"GET h /full?x=1", nil},
		{"GET h /", nil},
	} {
		rq := req(c.line, c.headers...)
		if n := testing.AllocsPerRun(100, func() { tb.Match(rq) }); n != 0 {
			t.Errorf("%s: %v allocs per match", c.line, n)
		}
	}
}

func TestSetSwap(t *testing.T) {
	s := NewSet()
	a, _ := Build(config.RouterConfig{RouterConfigName: "a"})
	s.Update([]*Table{a})
	if s.Get("a") != a {
		t.Fatal("get")
	}
	// A request holding the old table keeps routing with it.
	held := s.Get("a")
	b, _ := Build(config.RouterConfig{RouterConfigName: "a", VirtualHosts: []config.VirtualHostConfig{
		{Domains: []string{"*"}, Routers: []config.RouteConfig{route("/", "", "new")}}}})
	s.Update([]*Table{b})
	if held.Match(req("GET h /")) != nil || s.Get("a").Match(req("GET h /")) == nil {
		t.Fatal("swap")
	}
	s.Update(nil)
	if s.Get("a") != nil {
		t.Fatal("update kept a removed table")
	}
}

func TestBuildRefusesDuplicates(t *testing.T) {
	_, err := Build(config.RouterConfig{RouterConfigName: "r", VirtualHosts: []config.VirtualHostConfig{
		{Domains: []string{"*.a.com"}, Routers: []config.RouteConfig{route("/", "", "c")}},
		{Domains: []string{"*.A.com"}, Routers: []config.RouteConfig{route("/", "", "c")}},
	}})
	if err == nil || err.Error() != `router: r.virtual_hosts[1].domains[0]: duplicate domain "*.A.com"` {
		t.Fatalf("got %v", err)
	}
}
