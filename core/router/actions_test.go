package router

import (
	"fmt"
	"math"
	"testing"
)

func TestActions(t *testing.T) {
	tb := load(t, `{"router_config_name": "r", "virtual_hosts": [
	{"name": "tls-all", "domains": ["secure.example"], "require_tls": "ALL",
	 "routers": [{"match": {"prefix": "/only"}, "route": {"cluster_name": "a"}}]},
	{"name": "tls-external", "domains": ["ext.example"], "require_tls": "EXTERNAL_ONLY",
	 "routers": [{"route": {"cluster_name": "a"}}]},
	{"name": "tls-none", "domains": ["none.example"], "require_tls": "NONE",
	 "routers": [{"route": {"cluster_name": "a"}}]},
	{"name": "all", "domains": ["*"], "routers": [
		{"match": {"prefix": "/old/"}, "route": {"cluster_name": "a", "prefix_rewrite": "/new/"}},
		{"match": {"prefix": "/strip"}, "route": {"cluster_name": "a", "prefix_rewrite": "/"}},
		{"match": {"path": "/exact"}, "route": {"cluster_name": "a", "prefix_rewrite": "/replaced"}},
		{"match": {"regex": "/rx/[0-9]+"}, "route": {"cluster_name": "a", "prefix_rewrite": "/whole"}},
		{"match": {"prefix": "/CASE/", "case_sensitive": false}, "route": {"cluster_name": "a", "prefix_rewrite": "/case/"}},
		{"match": {"prefix": "/v1/"}, "route": {"cluster_name": "a", "regex_rewrite": {"pattern": {"regex": "^/v1/([^/]+)/(.*)$"}, "substitution": "/\\2/\\1"}}},
		{"match": {"prefix": "/go/"}, "route": {"cluster_name": "a", "regex_rewrite": {"pattern": {"regex": "o"}, "substitution": "0"}}},
		{"match": {"prefix": "/named/"}, "route": {"cluster_name": "a", "regex_rewrite": {"pattern": {"regex": "^/named/(?P<rest>.*)$"}, "substitution": "/${rest}/$$"}}},
		{"match": {"prefix": "/empty"}, "route": {"cluster_name": "a", "regex_rewrite": {"pattern": {"regex": ".*"}, "substitution": ""}}},
		{"match": {"prefix": "/host"}, "route": {"cluster_name": "a", "host_rewrite": "backend.internal:8080"}},
		{"match": {"prefix": "/auto"}, "route": {"cluster_name": "a", "auto_host_rewrite": true}},
		{"match": {"prefix": "/hdrhost"}, "route": {"cluster_name": "a", "auto_host_rewrite_header": "x-host"}},
		{"match": {"prefix": "/by-header"}, "route": {"cluster_header": "x-cluster"}},
		{"match": {"prefix": "/r/default"}, "redirect": {}},
		{"match": {"prefix": "/r/pathq"}, "redirect": {"path_redirect": "/moved?new=1", "response_code": 302}},
		{"match": {"prefix": "/r/path"}, "redirect": {"path_redirect": "/moved", "response_code": 308}},
		{"match": {"prefix": "/r/host"}, "redirect": {"host_redirect": "other.example", "response_code": 307}},
		{"match": {"prefix": "/r/scheme"}, "redirect": {"scheme_redirect": "HTTPS", "response_code": 303}},
		{"match": {"prefix": "/r/all"}, "redirect": {"scheme_redirect": "https", "host_redirect": "h.example:8443", "path_redirect": "/p"}},
		{"match": {"prefix": "/direct"}, "direct_response": {"status": 418, "body": "teapot"}},
		{"match": {"prefix": "/"}, "route": {"cluster_name": "default"}}
	]}]}`)
	cases := []struct {
		line     string
		headers  []string
		internal bool
		want     string
	}{
		// require_tls: every plaintext request, whatever the path.
		{"GET secure.example /only?a=1", nil, false, "redirect 301 https://secure.example/only?a=1"},
		{"GET secure.example:8080 /nowhere", nil, true, "redirect 301 https://secure.example:8080/nowhere"},
		{"GET ext.example /x", nil, false, "redirect 301 https://ext.example/x"},
		{"GET ext.example /x", nil, true, "cluster a"}, // internal client
		{"GET none.example /x", nil, false, "cluster a"},

		{"GET h /old/a/b?q=1", nil, false, "cluster a target /new/a/b?q=1"},
		{"GET h /strip/x", nil, false, "cluster a target //x"}, // Envoy's documented result
		{"GET h /stripped", nil, false, "cluster a target /ped"},
		{"GET h /exact?k", nil, false, "cluster a target /replaced?k"},
		{"GET h /rx/42?k=v", nil, false, "cluster a target /whole?k=v"},
		{"GET h /case/X", nil, false, "cluster a target /case/X"},
		{"GET h /Case/X", nil, false, "cluster a target /case/X"},
		{"GET h /v1/users/7/posts?x", nil, false, "cluster a target /7/posts/users?x"},
		{"GET h /go/foo", nil, false, "cluster a target /g0/f00"},
		{"GET h /named/a/b", nil, false, "cluster a target /a/b/$"},
		{"GET h /empty?z", nil, false, "cluster a target /empty?z"}, // an empty result keeps the path

		{"GET h /host", nil, false, "cluster a host backend.internal:8080"},
		{"GET h /auto", nil, false, "cluster a host upstream.host"},
		{"GET h /hdrhost", []string{"X-Host: from.header"}, false, "cluster a host from.header"},
		{"GET h /hdrhost", nil, false, "cluster a"},

		{"GET h /by-header", []string{"x-cluster: b"}, false, "cluster b"},
		{"GET h /by-header", nil, false, "cluster "},

		{"GET h:80 /r/default?x=1", nil, false, "redirect 301 http://h/r/default?x=1"}, // default port dropped
		{"GET h:8080 /r/default", nil, false, "redirect 301 http://h:8080/r/default"},
		{"GET h /r/path?x=1", nil, false, "redirect 308 http://h/moved?x=1"},
		{"GET h /r/pathq?x=1", nil, false, "redirect 302 http://h/moved?new=1"},
		{"GET h:8080 /r/host/y", nil, false, "redirect 307 http://other.example/r/host/y"},
		{"GET h:80 /r/scheme", nil, false, "redirect 303 https://h:80/r/scheme"},
		{"GET h:443 /r/scheme", nil, false, "redirect 303 https://h/r/scheme"},
		{"GET h /r/all?q", nil, false, "redirect 301 https://h.example:8443/p?q"},

		{"GET h /direct", nil, false, `direct 418 "teapot"`},
		{"GET h /else", nil, false, "cluster default"},
	}
	for _, c := range cases {
		rq := req(c.line, c.headers...)
		rq.Internal = c.internal
		if got := decision(tb.Match(rq), rq); got != c.want {
			t.Errorf("%s %v internal=%v:\n got %s\nwant %s", c.line, c.headers, c.internal, got, c.want)
		}
	}

	// Over TLS, require_tls does not redirect.
	rq := req("GET secure.example /only")
	rq.TLS = true
	if got := decision(tb.Match(rq), rq); got != "cluster a" {
		t.Errorf("TLS request: %s", got)
	}
}

// TestPrefixRewriteAllocs: the rewrite appends into the caller's buffer.
func TestPrefixRewriteAllocs(t *testing.T) {
	tb := load(t, `{"router_config_name": "r", "virtual_hosts": [{"domains": ["*"], "routers": [
		{"match": {"prefix": "/old/"}, "route": {"cluster_name": "a", "prefix_rewrite": "/new/", "host_rewrite": "h"}}]}]}`)
	rq := req("GET h /old/x?y=1")
	r := tb.Match(rq)
	buf := make([]byte, 0, 256)
	if n := testing.AllocsPerRun(100, func() {
		buf = r.AppendTarget(buf[:0], rq)
		buf, _ = r.AppendHost(buf, rq, "")
	}); n != 0 {
		t.Errorf("%v allocs per rewrite", n)
	}
}

// TestWeightedClusters: over 10,000 picks each cluster gets its share
// within 1% (of all picks), and a zero weight gets nothing.
func TestWeightedClusters(t *testing.T) {
	for _, weights := range [][]uint32{{70, 20, 10}, {1, 1, 1}, {1, 0, 3}, {99, 1, 0}, {5, 5, 5}} {
		t.Run(fmt.Sprint(weights), func(t *testing.T) {
			tb := load(t, fmt.Sprintf(`{"router_config_name": "r", "virtual_hosts": [{"domains": ["*"], "routers": [
				{"route": {"weighted_clusters": [
					{"cluster": {"name": "a", "weight": %d}},
					{"cluster": {"name": "b", "weight": %d}},
					{"cluster": {"name": "c", "weight": %d}}]}}]}]}`, weights[0], weights[1], weights[2]))
			rq := req("GET h /")
			r := tb.Match(rq)
			if r.ClusterName() != "" {
				t.Errorf("ClusterName %q for a weighted route", r.ClusterName())
			}
			const n = 10000
			counts := map[string]int{}
			for i := 0; i < n; i++ {
				counts[r.Cluster(rq)]++
			}
			total := float64(weights[0] + weights[1] + weights[2])
			for i, name := range []string{"a", "b", "c"} {
				want := float64(weights[i]) / total
				got := float64(counts[name]) / n
				if math.Abs(got-want) > 0.01 {
					t.Errorf("%s: %.4f of picks, want %.4f ± 0.01", name, got, want)
				}
				if weights[i] == 0 && counts[name] != 0 {
					t.Errorf("%s has weight 0 and got %d picks", name, counts[name])
				}
			}
		})
	}
}

func TestWeightedPickAllocs(t *testing.T) {
	tb := load(t, `{"router_config_name": "r", "virtual_hosts": [{"domains": ["*"], "routers": [
		{"route": {"weighted_clusters": [{"cluster": {"name": "a", "weight": 1}}, {"cluster": {"name": "b", "weight": 2}}]}}]}]}`)
	rq := req("GET h /")
	r := tb.Match(rq)
	if n := testing.AllocsPerRun(100, func() { r.Cluster(rq) }); n != 0 {
		t.Errorf("%v allocs per pick", n)
	}
}
