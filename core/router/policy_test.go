package router

import (
	"net"
	"testing"
)

func TestVariableMatch(t *testing.T) {
	tb := load(t, `{"router_config_name": "r", "virtual_hosts": [{"name": "v", "domains": ["*"], "routers": [
		{"match": {"prefix": "/", "variables": [{"name": "http_header_x-env", "value": "gray", "model": "or"}, {"name": "http_cookie_env", "value": "gray"}]}, "route": {"cluster_name": "a"}},
		{"match": {"prefix": "/", "variables": [{"name": "x-mosn-method", "value": "POST"}, {"name": "http_arg_v", "regex": "[0-9]+"}]}, "route": {"cluster_name": "b"}},
		{"match": {"prefix": "/", "variables": [{"name": "request_path", "regex": "/api/.*"}, {"name": "x-user"}]}, "route": {"cluster_name": "c"}},
		{"match": {"prefix": "/"}, "route": {"cluster_name": "default"}}]}]}`)
	cases := []struct {
		req  *Request
		want string
	}{
		{req("GET h /", "X-Env: gray"), "cluster a"},
		{req("GET h /", "Cookie: a=1; env=gray"), "cluster a"},
		{req("GET h /", "Cookie: env=blue"), "cluster default"},
		{req("GET h /", "X-Env: blue"), "cluster default"},
		{req("POST h /?v=12"), "cluster b"},
		{req("POST h /?v=1x"), "cluster default"},
		{req("GET h /?v=12"), "cluster default"},
		{req("POST h /"), "cluster default"}, // no parameter: no value
		{req("GET h /api/x", "X-User: u"), "cluster c"},
		{req("GET h /api/x"), "cluster default"}, // presence required
		{req("GET h /web", "X-User: u"), "cluster default"},
	}
	for _, c := range cases {
		if got := decision(tb.Match(c.req), c.req); got != c.want {
			t.Errorf("%s %s %v: %s, want %s", c.req.Method, c.req.Target, c.req.Headers, got, c.want)
		}
	}
}

func TestRetryPolicyCompile(t *testing.T) {
	tb := load(t, `{"router_config_name": "r", "virtual_hosts": [{"name": "v", "domains": ["*"], "routers": [
		{"match": {"prefix": "/mosn5xx"}, "route": {"cluster_name": "a", "retry_policy": {"retry_on": true}}},
		{"match": {"prefix": "/mosn"}, "route": {"cluster_name": "a", "retry_policy": {"retry_on": true, "num_retries": 3, "retry_timeout": "250ms", "status_codes": [503, 429]}}},
		{"match": {"prefix": "/gw"}, "route": {"cluster_name": "a", "retry_policy": {"retry_on": "gateway-error"}}},
		{"match": {"prefix": "/reset"}, "route": {"cluster_name": "a", "retry_policy": {"retry_on": "reset,retriable-4xx"}}},
		{"match": {"prefix": "/off"}, "route": {"cluster_name": "a", "retry_policy": {"retry_on": false}}},
		{"match": {"prefix": "/"}, "route": {"cluster_name": "a"}}]}]}`)
	get := func(path string) *RetryPolicy { return tb.Match(req("GET h " + path)).RetryPolicy() }

	p := get("/mosn")
	if p == nil || p.NumRetries != 3 || p.PerTryTimeout.Milliseconds() != 250 {
		t.Fatalf("mosn policy: %+v", p)
	}
	for code, want := range map[int]bool{503: true, 429: true, 500: false, 502: false, 200: false, 639: false, 700: false} {
		if got := p.RetriableStatus(code); got != want {
			t.Errorf("mosn status %d: %v, want %v", code, got, want)
		}
	}
	if p.On&RetryConnectFailure == 0 || p.On&RetryReset == 0 || p.On&RetryTimeout == 0 {
		t.Errorf("mosn policy conditions %b", p.On)
	}
	// Without status codes MOSN retries any 5xx; 0 retries means 1.
	p = get("/mosn5xx")
	if p.NumRetries != 1 || !p.RetriableStatus(500) || !p.RetriableStatus(599) || p.RetriableStatus(404) {
		t.Errorf("mosn 5xx policy: %+v", p)
	}
	p = get("/gw")
	if !p.RetriableStatus(502) || !p.RetriableStatus(504) || p.RetriableStatus(500) || p.On&RetryReset != 0 {
		t.Errorf("gateway-error policy: %+v", p)
	}
	p = get("/reset")
	if p.On != RetryReset|Retry4xx || !p.RetriableStatus(409) || p.RetriableStatus(503) {
		t.Errorf("reset policy: %+v", p)
	}
	if get("/off") != nil || get("/") != nil {
		t.Error("retries on a route without a policy")
	}
}

func TestHashKey(t *testing.T) {
	tb := load(t, `{"router_config_name": "r", "virtual_hosts": [{"name": "v", "domains": ["*"], "routers": [
		{"match": {"prefix": "/h"}, "route": {"cluster_name": "a", "hash_policy": [{"header": {"key": "x-user"}}]}},
		{"match": {"prefix": "/c"}, "route": {"cluster_name": "a", "hash_policy": [{"http_cookie": {"name": "sid"}}]}},
		{"match": {"prefix": "/ip"}, "route": {"cluster_name": "a", "hash_policy": [{"source_ip": {}}]}},
		{"match": {"prefix": "/both"}, "route": {"cluster_name": "a", "hash_policy": [{"header": {"key": "x-user"}}, {"source_ip": {}}]}},
		{"match": {"prefix": "/"}, "route": {"cluster_name": "a"}}]}]}`)
	a1 := &net.TCPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 1000}
	a1b := &net.TCPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 2000}
	a2 := &net.TCPAddr{IP: net.IPv4(10, 0, 0, 2), Port: 1000}
	key := func(r *Request, a net.Addr) uint64 { return tb.Match(r).HashKey(r, a) }

	u1, u1again, u2 := key(req("GET h /h", "X-User: alice"), a1), key(req("GET h /h", "x-user: alice"), a2), key(req("GET h /h", "X-User: bob"), a1)
	if u1 == 0 || u1 != u1again || u1 == u2 {
		t.Errorf("header keys: alice %x, alice again %x, bob %x", u1, u1again, u2)
	}
	if k := key(req("GET h /h"), a1); k != 0 {
		t.Errorf("no header: key %x, want 0", k)
	}
	c1, c2 := key(req("GET h /c", "Cookie: a=b; sid=\"s1\""), a1), key(req("GET h /c", "Cookie: sid=s1"), a2)
	if c1 == 0 || c1 != c2 {
		t.Errorf("cookie keys %x %x", c1, c2)
	}
	if k := key(req("GET h /c", "Cookie: sidx=s1"), a1); k != 0 {
		t.Errorf("other cookie: key %x", k)
	}
	i1, i1b, i2 := key(req("GET h /ip"), a1), key(req("GET h /ip"), a1b), key(req("GET h /ip"), a2)
	if i1 == 0 || i1 != i1b || i1 == i2 {
		t.Errorf("source ip keys %x %x %x", i1, i1b, i2)
	}
	b1, b2 := key(req("GET h /both", "X-User: alice"), a1), key(req("GET h /both", "X-User: alice"), a2)
	if b1 == b2 || b1 == u1 {
		t.Errorf("combined keys do not mix both policies: %x %x", b1, b2)
	}
	if k := key(req("GET h /", "X-User: alice"), a1); k != 0 {
		t.Errorf("no policy: key %x", k)
	}
	r := req("GET h /both", "X-User: alice")
	rt := tb.Match(r)
	if n := testing.AllocsPerRun(100, func() { rt.HashKey(r, a1) }); n != 0 {
		t.Errorf("HashKey allocates %v times", n)
	}
}

func TestMetadataMatchAndMirror(t *testing.T) {
	tb := load(t, `{"router_config_name": "r", "virtual_hosts": [{"name": "v", "domains": ["*"], "routers": [
		{"match": {"prefix": "/w"}, "route": {"metadata_match": {"filter_metadata": {"mosn.lb": {"zone": "z1", "version": "v1"}}},
			"weighted_clusters": [{"cluster": {"name": "a", "weight": 1, "metadata_match": {"filter_metadata": {"mosn.lb": {"version": "v2"}}}}}, {"cluster": {"name": "b", "weight": 1}}]}},
		{"match": {"prefix": "/m"}, "route": {"cluster_name": "a"}, "request_mirror_policies": {"cluster": "b", "percent": 25}},
		{"match": {"prefix": "/all"}, "route": {"cluster_name": "a"}, "request_mirror_policies": {"cluster": "c"}},
		{"match": {"prefix": "/"}, "route": {"cluster_name": "a"}}]}]}`)
	rt := tb.Match(req("GET h /w"))
	if got := rt.MetadataMatch("a"); got["version"] != "v2" || got["zone"] != "z1" || len(got) != 2 {
		t.Errorf("weighted a criteria %v", got)
	}
	if got := rt.MetadataMatch("b"); got["version"] != "v1" || got["zone"] != "z1" {
		t.Errorf("weighted b criteria %v", got)
	}
	if got := tb.Match(req("GET h /")).MetadataMatch("a"); got != nil {
		t.Errorf("no criteria: %v", got)
	}

	rt = tb.Match(req("GET h /m"))
	n := 0
	for range 10000 {
		switch rt.MirrorCluster() {
		case "b":
			n++
		case "":
		default:
			t.Fatal("mirror to an unexpected cluster")
		}
	}
	if n < 2490 || n > 2510 {
		t.Errorf("mirrored %d of 10000 at 25%%", n)
	}
	rt = tb.Match(req("GET h /all"))
	for range 100 {
		if rt.MirrorCluster() != "c" {
			t.Fatal("percent 0 (unset) must mirror every request")
		}
	}
	if tb.Match(req("GET h /")).MirrorCluster() != "" {
		t.Error("mirror without a policy")
	}
}

func TestClusterVariableAndPerFilterConfig(t *testing.T) {
	tb := load(t, `{"router_config_name": "r", "virtual_hosts": [{"name": "v", "domains": ["*"],
		"per_filter_config": {"auth": {"mode": "host"}, "rate": {"rps": 1}},
		"routers": [
		{"match": {"prefix": "/h"}, "route": {"cluster_variable": "http_header_x-cluster"}, "per_filter_config": {"auth": {"mode": "route"}}},
		{"match": {"prefix": "/q"}, "route": {"cluster_variable": "http_arg_c"}},
		{"match": {"prefix": "/"}, "route": {"cluster_name": "a"}}]}]}`)
	for _, c := range []struct {
		req  *Request
		want string
	}{
		{req("GET h /h", "X-Cluster: b"), "cluster b"},
		{req("GET h /h"), "cluster "},
		{req("GET h /q?c=c&d=1"), "cluster c"},
	} {
		if got := decision(tb.Match(c.req), c.req); got != c.want {
			t.Errorf("%s %v: %s, want %s", c.req.Target, c.req.Headers, got, c.want)
		}
	}
	rt := tb.Match(req("GET h /h"))
	if c, ok := rt.PerFilterConfig("auth"); !ok || string(c) != `{"mode":"route"}` {
		t.Errorf("route's own entry: %s %v", c, ok)
	}
	if c, ok := rt.PerFilterConfig("rate"); !ok || string(c) != `{"rps":1}` {
		t.Errorf("the virtual host's entry: %s %v", c, ok)
	}
	if _, ok := rt.PerFilterConfig("none"); ok {
		t.Error("an entry nobody configured")
	}
	if c, ok := tb.Match(req("GET h /x")).PerFilterConfig("auth"); !ok || string(c) != `{"mode":"host"}` {
		t.Errorf("a route without its own: %s %v", c, ok)
	}
}

func BenchmarkRouteHashKey(b *testing.B) {
	tb := load(b, `{"router_config_name": "r", "virtual_hosts": [{"name": "v", "domains": ["*"], "routers": [
		{"match": {"prefix": "/"}, "route": {"cluster_name": "a", "hash_policy": [{"header": {"key": "x-user"}}, {"http_cookie": {"name": "sid"}}, {"source_ip": {}}]}}]}]}`)
	r := req("GET h /", "User-Agent: bench", "X-User: alice", "Cookie: theme=dark; sid=abc123")
	rt := tb.Match(r)
	a := &net.TCPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 1000}
	b.ReportAllocs()
	for b.Loop() {
		rt.HashKey(r, a)
	}
}

func BenchmarkMatchVariables(b *testing.B) {
	tb := load(b, `{"router_config_name": "r", "virtual_hosts": [{"name": "v", "domains": ["*"], "routers": [
		{"match": {"prefix": "/", "variables": [{"name": "http_header_x-env", "value": "gray", "model": "or"}, {"name": "http_cookie_env", "value": "gray"}]}, "route": {"cluster_name": "a"}},
		{"match": {"prefix": "/"}, "route": {"cluster_name": "b"}}]}]}`)
	r := req("GET h /x", "User-Agent: bench", "Cookie: a=1; env=gray")
	b.ReportAllocs()
	for b.Loop() {
		tb.Match(r)
	}
}
