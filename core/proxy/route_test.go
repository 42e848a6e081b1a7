package proxy_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/seed405ffdea/mosn/core/config"
	"github.com/seed405ffdea/mosn/core/proxy"
	"github.com/seed405ffdea/mosn/core/router"
	"github.com/seed405ffdea/mosn/core/upstream"
)

// startRouted runs a proxy listener whose route table "r" is routerJSON,
// validated as part of a MOSN configuration, over the given clusters.
func startRouted(t testing.TB, routerJSON string, clusters map[string][]upstream.HostOptions) string {
	return startRoutedWith(t, routerJSON, clusters, nil, nil)
}

// startRoutedWith is startRouted with each cluster's options and the
// proxy's options adjusted by tweak and opts (either may be nil).
func startRoutedWith(t testing.TB, routerJSON string, clusters map[string][]upstream.HostOptions,
	tweak func(name string, o *upstream.ClusterOptions), opts func(o *proxy.Options)) string {
	t.Helper()
	names := make([]string, 0, len(clusters))
	for n := range clusters {
		names = append(names, n)
	}
	sort.Strings(names)
	var cl []string
	for _, n := range names {
		cl = append(cl, fmt.Sprintf(`{"name": %q, "hosts": [{"address": "127.0.0.1:9"}]}`, n))
	}
	doc := `{"servers": [{"listeners": [{"name": "l", "address": "127.0.0.1:1", "bind_port": true,
		"filter_chains": [{"filters": [{"type": "proxy", "config": {"router_config_name": "r"}}]}]}],
		"routers": [` + routerJSON + `]}],
		"cluster_manager": {"clusters": [` + strings.Join(cl, ",") + `]}}`
	c, err := config.Parse([]byte(doc), "test.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	table, err := router.Build(c.Servers[0].Routers[0])
	if err != nil {
		t.Fatal(err)
	}
	routers := router.NewSet()
	routers.Update([]*router.Table{table})
	var built []*upstream.Cluster
	for _, n := range names {
		co := upstream.ClusterOptions{Name: n, Hosts: clusters[n], Pool: upstream.PoolOptions{ConnectTimeout: time.Second}}
		if tweak != nil {
			tweak(n, &co)
		}
		c, err := upstream.NewCluster(co, upstream.NewLoadBalancerRegistry())
		if err != nil {
			t.Fatal(err)
		}
		built = append(built, c)
	}
	manager := upstream.NewManager()
	manager.Update(built)
	o := proxy.Options{RouterName: "r", Routers: routers, Clusters: manager}
	if opts != nil {
		opts(&o)
	}
	return serveProxy(t, o, 0)
}

func hosts(addrs ...string) []upstream.HostOptions {
	var hs []upstream.HostOptions
	for _, a := range addrs {
		hs = append(hs, upstream.HostOptions{Address: a})
	}
	return hs
}

// echoOrigin answers "<name> <method> <request-uri> host=<host>" and
// echoes the request headers as "Echo-<name>" response headers.
func echoOrigin(t *testing.T, name string) *origin {
	return newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		for k, vs := range r.Header {
			w.Header()["Echo-"+k] = vs
		}
		w.Header().Set("Server", "origin")
		w.Header().Set("X-Up", "up-value")
		w.Header().Set("X-Secret", "s")
		fmt.Fprintf(w, "%s %s %s host=%s", name, r.Method, r.RequestURI, r.Host)
	})
}

func noRedirects(t *testing.T) *http.Client {
	c := client(t)
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

func get(t *testing.T, c *http.Client, url string, headers ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		if strings.EqualFold(k, "host") {
			req.Host = v
			continue
		}
		req.Header.Add(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func TestRouteRewrites(t *testing.T) {
	a := echoOrigin(t, "a")
	addr := startRouted(t, `{"router_config_name": "r", "virtual_hosts": [{"domains": ["*"], "routers": [
		{"match": {"prefix": "/old/"}, "route": {"cluster_name": "a", "prefix_rewrite": "/new/"}},
		{"match": {"prefix": "/rx/"}, "route": {"cluster_name": "a", "regex_rewrite": {"pattern": {"regex": "^/rx/(\\w+)$"}, "substitution": "/re/\\1"}}},
		{"match": {"prefix": "/host"}, "route": {"cluster_name": "a", "host_rewrite": "rewritten.example"}},
		{"match": {"prefix": "/auto-name"}, "route": {"cluster_name": "named", "auto_host_rewrite": true}},
		{"match": {"prefix": "/auto-addr"}, "route": {"cluster_name": "a", "auto_host_rewrite": true}},
		{"match": {"prefix": "/hdr"}, "route": {"cluster_name": "a", "auto_host_rewrite_header": "x-host"}},
		{"match": {"prefix": "/"}, "route": {"cluster_name": "a"}}
	]}]}`, map[string][]upstream.HostOptions{
		"a":     hosts(a.addr()),
		"named": {{Address: a.addr(), Hostname: "origin.internal"}},
	})
	c := client(t)
	cases := []struct {
		path    string
		headers []string
		want    string
	}{
		{"/old/x/y?q=1&r=2", nil, "a GET /new/x/y?q=1&r=2 host=" + addr},
		{"/rx/abc?k", nil, "a GET /re/abc?k host=" + addr},
		{"/rx/a/b", nil, "a GET /rx/a/b host=" + addr}, // no match: the path stays
		{"/host", []string{"Host: original.example"}, "a GET /host host=rewritten.example"},
		{"/auto-name", nil, "a GET /auto-name host=origin.internal"},
		{"/auto-addr", nil, "a GET /auto-addr host=" + a.addr()},
		{"/hdr", []string{"X-Host: from.header"}, "a GET /hdr host=from.header"},
		{"/hdr", []string{"Host: kept.example"}, "a GET /hdr host=kept.example"},
		{"/plain?x", []string{"Host: plain.example:8080"}, "a GET /plain?x host=plain.example:8080"},
	}
	for _, tc := range cases {
		resp, body := get(t, c, "http://"+addr+tc.path, tc.headers...)
		if resp.StatusCode != 200 || body != tc.want {
			t.Errorf("%s %v: %d %q, want %q", tc.path, tc.headers, resp.StatusCode, body, tc.want)
		}
	}

	// Absolute form: the origin gets origin form and the target's host
	// (RFC 9112 3.2.2), rewritten like any other request.
	rc := dialRaw(t, addr)
	rc.send(t, "GET http://abs.example/old/p?q=1 HTTP/1.1\r\nHost: ignored.example\r\n\r\n")
	if resp, body := rc.response(t, "GET"); resp.StatusCode != 200 || body != "a GET /new/p?q=1 host=abs.example" {
		t.Errorf("absolute form: %d %q", resp.StatusCode, body)
	}
	rc.send(t, "GET http://abs.example?q=1 HTTP/1.1\r\nHost: ignored.example\r\n\r\n")
	if resp, body := rc.response(t, "GET"); resp.StatusCode != 200 || body != "a GET /?q=1 host=abs.example" {
		t.Errorf("absolute form without a path: %d %q", resp.StatusCode, body)
	}
}

func TestRouteRedirects(t *testing.T) {
	a := echoOrigin(t, "a")
	addr := startRouted(t, `{"router_config_name": "r", "virtual_hosts": [
		{"domains": ["secure.example"], "require_tls": "ALL", "routers": [{"route": {"cluster_name": "a"}}]},
		{"domains": ["ext.example"], "require_tls": "EXTERNAL_ONLY", "routers": [{"route": {"cluster_name": "a"}}]},
		{"domains": ["*"], "routers": [
			{"match": {"path": "/old"}, "redirect": {"path_redirect": "/new"}},
			{"match": {"prefix": "/temp"}, "redirect": {"host_redirect": "other.example", "scheme_redirect": "https", "response_code": 307}},
			{"match": {"prefix": "/"}, "route": {"cluster_name": "a"}}
		]}]}`, map[string][]upstream.HostOptions{"a": hosts(a.addr())})
	c := noRedirects(t)
	cases := []struct {
		path, host string
		code       int
		location   string
	}{
		{"/old?x=1", "h.example", 301, "http://h.example/new?x=1"},
		{"/temp/a", "h.example:8080", 307, "https://other.example/temp/a"},
		{"/any/path?q", "secure.example", 301, "https://secure.example/any/path?q"},
		{"/x", "ext.example", 200, ""}, // the client is on loopback: internal
	}
	for _, tc := range cases {
		resp, body := get(t, c, "http://"+addr+tc.path, "Host: "+tc.host)
		if resp.StatusCode != tc.code || resp.Header.Get("Location") != tc.location {
			t.Errorf("%s %s: %d Location %q, want %d %q", tc.host, tc.path, resp.StatusCode, resp.Header.Get("Location"), tc.code, tc.location)
		}
		if tc.code != 200 && (body != "" || resp.ContentLength != 0) {
			t.Errorf("%s %s: redirect body %q (length %d), want none", tc.host, tc.path, body, resp.ContentLength)
		}
	}
	if n := a.hits.Load(); n != 1 {
		t.Errorf("origin saw %d requests, want 1 (redirects are answered by the proxy)", n)
	}

	// A redirect keeps the connection, and a HEAD gets no body either.
	rc := dialRaw(t, addr)
	for i := 0; i < 2; i++ {
		rc.send(t, "HEAD /old HTTP/1.1\r\nHost: h\r\n\r\n")
		resp, _ := rc.response(t, "HEAD")
		if resp.StatusCode != 301 || resp.Header.Get("Location") != "http://h/new" {
			t.Fatalf("HEAD %d: %d %v", i, resp.StatusCode, resp.Header)
		}
	}
}

func TestRouteHeaderMutations(t *testing.T) {
	a := echoOrigin(t, "a")
	addr := startRouted(t, `{"router_config_name": "r",
		"request_headers_to_add": [{"header": {"key": "x-table", "value": "t"}}],
		"response_headers_to_add": [{"header": {"key": "x-resp-table", "value": "%RESPONSE_CODE%"}}],
		"response_headers_to_remove": ["server"],
		"virtual_hosts": [{"domains": ["*"],
			"request_headers_to_add": [{"header": {"key": "x-vh", "value": "v"}, "append": false}],
			"request_headers_to_remove": ["x-drop-vh"],
			"response_headers_to_add": [{"header": {"key": "x-resp-vh", "value": "%RESP(x-up)%"}}],
			"routers": [
			{"match": {"prefix": "/m"}, "route": {"cluster_name": "a",
				"request_headers_to_add": [
					{"header": {"key": "x-client", "value": "%DOWNSTREAM_REMOTE_ADDRESS%"}},
					{"header": {"key": "x-copied", "value": "in=%REQ(x-in)%"}},
					{"header": {"key": "x-upstream", "value": "%UPSTREAM_HOST% %UPSTREAM_CLUSTER%"}},
					{"header": {"key": "x-multi", "value": "2"}},
					{"header": {"key": "x-replaced", "value": "new"}, "append": false},
					{"header": {"key": "x-vh", "value": "from-route"}},
					{"header": {"key": "x-missing", "value": "%REQ(x-nothing)%"}}],
				"request_headers_to_remove": ["x-secret", "x-request-id"],
				"response_headers_to_add": [{"header": {"key": "x-resp-route", "value": "r"}}],
				"response_headers_to_remove": ["x-secret"]}},
			{"match": {"prefix": "/direct"}, "direct_response": {"status": 200, "body": "direct"},
				"route": {"response_headers_to_add": [{"header": {"key": "x-direct", "value": "d"}}]}},
			{"match": {"prefix": "/nocluster"}, "route": {"cluster_header": "x-cluster",
				"response_headers_to_add": [{"header": {"key": "x-local", "value": "%RESPONSE_CODE%"}}]}}
		]}]}`, map[string][]upstream.HostOptions{"a": hosts(a.addr())})
	c := client(t)
	resp, body := get(t, c, "http://"+addr+"/m", "X-In: val", "X-Secret: s", "X-Drop-Vh: d", "X-Multi: 1", "X-Replaced: old", "X-Request-Id: client-id")
	if resp.StatusCode != 200 || !strings.HasPrefix(body, "a GET /m") {
		t.Fatalf("%d %q", resp.StatusCode, body)
	}
	echo := func(k string) string { return strings.Join(resp.Header.Values("Echo-"+k), ",") }
	for k, want := range map[string]string{
		"X-Client":     "127.0.0.1:", // a port follows
		"X-Copied":     "in=val",
		"X-Upstream":   a.addr() + " a",
		"X-Multi":      "1,2",
		"X-Replaced":   "new",
		"X-Vh":         "v", // the host's replacement wins over the route's addition
		"X-Table":      "t",
		"X-In":         "val",
		"X-Secret":     "",
		"X-Drop-Vh":    "",
		"X-Missing":    "",
		"X-Request-Id": "", // removed by the route; the proxy does not add one either
	} {
		got := echo(k)
		if k == "X-Client" {
			if !strings.HasPrefix(got, want) {
				t.Errorf("upstream %s = %q, want %s<port>", k, got, want)
			}
			continue
		}
		if got != want {
			t.Errorf("upstream %s = %q, want %q", k, got, want)
		}
	}
	for k, want := range map[string]string{
		"Server":       "",
		"X-Secret":     "",
		"X-Up":         "up-value",
		"X-Resp-Route": "r",
		"X-Resp-Vh":    "up-value",
		"X-Resp-Table": "200",
	} {
		if got := strings.Join(resp.Header.Values(k), ","); got != want {
			t.Errorf("response %s = %q, want %q", k, got, want)
		}
	}

	// A direct response and a local reply get the route's response
	// mutations too.
	resp, body = get(t, c, "http://"+addr+"/direct")
	if resp.StatusCode != 200 || body != "direct" || resp.Header.Get("X-Direct") != "d" || resp.Header.Get("X-Resp-Table") != "200" {
		t.Errorf("direct: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	resp, _ = get(t, c, "http://"+addr+"/nocluster")
	if resp.StatusCode != 503 || resp.Header.Get("X-Local") != "503" || resp.Header.Get("X-Resp-Vh") != "" {
		t.Errorf("local reply: %d %v", resp.StatusCode, resp.Header)
	}
}

func TestRouteClusterHeader(t *testing.T) {
	a, b := echoOrigin(t, "a"), echoOrigin(t, "b")
	addr := startRouted(t, `{"router_config_name": "r", "virtual_hosts": [{"domains": ["*"], "routers": [
		{"route": {"cluster_header": "x-cluster"}}]}]}`,
		map[string][]upstream.HostOptions{"a": hosts(a.addr()), "b": hosts(b.addr())})
	c := client(t)
	for _, tc := range []struct {
		header string
		code   int
		prefix string
	}{
		{"X-Cluster: a", 200, "a GET"},
		{"x-cluster: b", 200, "b GET"},
		{"x-cluster: c", 503, "no cluster"},
		{"x-other: a", 503, "no cluster"},
	} {
		resp, body := get(t, c, "http://"+addr+"/", tc.header)
		if resp.StatusCode != tc.code || !strings.HasPrefix(body, tc.prefix) {
			t.Errorf("%s: %d %q", tc.header, resp.StatusCode, body)
		}
	}
}

// TestRouteWeightedSplit sends 400 requests over one connection through a
// 1:3 split; the router test checks the 1% bound over 10,000 picks.
func TestRouteWeightedSplit(t *testing.T) {
	a, b := echoOrigin(t, "a"), echoOrigin(t, "b")
	addr := startRouted(t, `{"router_config_name": "r", "virtual_hosts": [{"domains": ["*"], "routers": [
		{"route": {"weighted_clusters": [{"cluster": {"name": "a", "weight": 1}}, {"cluster": {"name": "b", "weight": 3}}]}}]}]}`,
		map[string][]upstream.HostOptions{"a": hosts(a.addr()), "b": hosts(b.addr())})
	rc := dialRaw(t, addr)
	counts := map[string]int{}
	// Weights are honoured within 1% over 10,000 requests.
	const n = 10000
	rc.SetDeadline(time.Now().Add(2 * time.Minute))
	for i := 0; i < n; i++ {
		rc.send(t, "GET /w HTTP/1.1\r\nHost: h\r\n\r\n")
		_, body := rc.response(t, "GET")
		counts[body[:1]]++
	}
	if counts["a"] < n/4-n/100 || counts["a"] > n/4+n/100 || counts["a"]+counts["b"] != n {
		t.Errorf("split %v, want %d±%d a and the rest b", counts, n/4, n/100)
	}
	if a.hits.Load() != int64(counts["a"]) || b.hits.Load() != int64(counts["b"]) {
		t.Errorf("origins saw %d and %d", a.hits.Load(), b.hits.Load())
	}
}

func TestRouteMatchOverSocket(t *testing.T) {
	a, b := echoOrigin(t, "a"), echoOrigin(t, "b")
	addr := startRouted(t, `{"router_config_name": "r", "virtual_hosts": [
		{"domains": ["*.api.example", "api.example"], "routers": [
			{"match": {"regex": "/v[0-9]+/items", "headers": [{"name": "x-tier", "value": "gold"}]}, "route": {"cluster_name": "b"}},
			{"match": {"prefix": "/", "query_parameters": [{"name": "canary", "string_match": {"exact": "1"}}]}, "route": {"cluster_name": "b"}},
			{"match": {"prefix": "/", "dsl_expressions": [{"expression": "request.headers[\"x-user\"] | \"\" == \"beta\""}]}, "route": {"cluster_name": "b"}},
			{"match": {"prefix": "/"}, "route": {"cluster_name": "a"}}]},
		{"domains": ["*"], "routers": [{"match": {"prefix": "/known"}, "route": {"cluster_name": "a"}}]}
	]}`, map[string][]upstream.HostOptions{"a": hosts(a.addr()), "b": hosts(b.addr())})
	c := client(t)
	for _, tc := range []struct {
		path    string
		headers []string
		code    int
		who     string
	}{
		{"/v2/items", []string{"Host: eu.api.example", "X-Tier: gold"}, 200, "b"},
		{"/v2/items/1", []string{"Host: eu.api.example", "X-Tier: gold"}, 200, "a"},
		{"/v2/items", []string{"Host: api.example:8080", "X-Tier: silver"}, 200, "a"},
		{"/x?canary=1", []string{"Host: api.example"}, 200, "b"},
		{"/x?canary=10", []string{"Host: api.example"}, 200, "a"},
		{"/x", []string{"Host: api.example", "X-User: beta"}, 200, "b"},
		{"/known", []string{"Host: other.example"}, 200, "a"},
		{"/unknown", []string{"Host: other.example"}, 404, ""},
	} {
		resp, body := get(t, c, "http://"+addr+tc.path, tc.headers...)
		if resp.StatusCode != tc.code || tc.who != "" && !strings.HasPrefix(body, tc.who+" ") {
			t.Errorf("%s %v: %d %q, want %d from %q", tc.path, tc.headers, resp.StatusCode, body, tc.code, tc.who)
		}
	}
}

// mutationsTable rewrites the path and host and adds and removes headers
// both ways, with variables: what BenchmarkProxyMutations measures.
const mutationsTable = `{"router_config_name": "r", "virtual_hosts": [{"domains": ["*"], "routers": [
	{"match": {"prefix": "/bench"}, "route": {"cluster_name": "c", "prefix_rewrite": "/b", "host_rewrite": "backend",
		"request_headers_to_add": [
			{"header": {"key": "x-static", "value": "1"}},
			{"header": {"key": "x-client", "value": "%DOWNSTREAM_REMOTE_ADDRESS%"}},
			{"header": {"key": "x-agent", "value": "%REQ(user-agent)%"}}],
		"request_headers_to_remove": ["accept"],
		"response_headers_to_add": [
			{"header": {"key": "x-served-by", "value": "%UPSTREAM_HOST%"}},
			{"header": {"key": "x-static", "value": "1"}}],
		"response_headers_to_remove": ["content-type"]}}]}]}`

// BenchmarkProxyMutations is BenchmarkProxyKeepAlive through a route that
// rewrites and mutates headers with variables.
func BenchmarkProxyMutations(b *testing.B) {
	body := bytes.Repeat([]byte("x"), 128)
	addr := startRouted(b, mutationsTable, map[string][]upstream.HostOptions{"c": hosts(rawOrigin(b, body))})
	rt := newRoundTripper(b, addr, len(body))
	rt.do(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rt.do(b)
	}
}

// TestProxyMutationAllocs bounds what header mutations cost in
// allocations per request: none once the buffers have grown.
func TestProxyMutationAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation budgets are checked without -race (sync.Pool drops items under the race detector)")
	}
	addr := startRouted(t, mutationsTable, map[string][]upstream.HostOptions{"c": hosts(rawOrigin(t, []byte("hello")))})
	rt := newRoundTripper(t, addr, 5)
	for i := 0; i < 100; i++ {
		rt.do(t)
	}
	allocs := testing.AllocsPerRun(200, func() { rt.do(t) })
	if allocs >= 0.5 {
		t.Fatalf("%.2f allocations per request with mutations, want 0", allocs)
	}
	t.Logf("%.2f allocations per request", allocs)
}
