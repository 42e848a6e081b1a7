package router

import (
	"fmt"
	"sync"
	"testing"

	"github.com/seed405ffdea/mosn/core/config"
)

// largeTable is 10,000 domains over 100 virtual hosts (per host: 60 exact
// names, 30 suffix wildcards of varied lengths, 10 prefix wildcards) with
// 1,000 routes each: 500 prefixes, 300 exact paths, 150 prefixes with a
// header condition, 40 exact paths with a query condition, 9 regexes
// and a final catch-all.
var largeTable = sync.OnceValue(func() *Table {
	rc := config.RouterConfig{RouterConfigName: "bench"}
	for v := 0; v < 100; v++ {
		vc := config.VirtualHostConfig{Name: fmt.Sprintf("vh%d", v)}
		for d := 0; d < 60; d++ {
			vc.Domains = append(vc.Domains, fmt.Sprintf("host%d-%d.example.com", v, d))
		}
		for d := 0; d < 30; d++ {
			vc.Domains = append(vc.Domains, fmt.Sprintf("*.%s.zone%d-%d.example.org", "abcdefghij"[:1+d%10], v, d))
		}
		for d := 0; d < 10; d++ {
			vc.Domains = append(vc.Domains, fmt.Sprintf("edge%d-%d.*", v, d))
		}
		for i := 0; i < 999; i++ {
			var m config.RouterMatch
			switch {
			case i < 500:
				m.Prefix = fmt.Sprintf("/svc%d/", i)
			case i < 800:
				m.Path = fmt.Sprintf("/api/v1/resource%d", i)
			case i < 950:
				m.Prefix = fmt.Sprintf("/tier%d/", i%10)
				m.Headers = []config.HeaderMatcher{{Name: "x-tier", Value: fmt.Sprintf("t%d", i)}}
			case i < 990:
				m.Path = "/search"
				m.QueryParameters = []config.QueryParameterMatcher{{Name: "q", StringMatch: &config.StringMatcher{Prefix: fmt.Sprintf("k%d", i)}}}
			default:
				m.Regex = fmt.Sprintf("/items%d/[0-9]+", i)
			}
			vc.Routers = append(vc.Routers, config.RouteConfig{Match: m, Route: config.RouteAction{ClusterName: "c"}})
		}
		vc.Routers = append(vc.Routers, route("/", "", "catch-all"))
		rc.VirtualHosts = append(rc.VirtualHosts, vc)
	}
	t, err := Build(rc)
	if err != nil {
		panic(err)
	}
	return t
})

// BenchmarkMatch matches against largeTable (10,000 domains, 1,000 routes
// per virtual host). Without the indexes a late route would cost a scan
// of a thousand routes, and a wildcard host one of thousands of domains.
func BenchmarkMatch(b *testing.B) {
	tb := largeTable()
	for _, c := range []struct {
		name string
		req  *Request
	}{
		{"exact-host/prefix-route-499", req("GET host73-59.example.com /svc499/x/y")},
		{"exact-host-port/exact-path-799", req("GET HOST73-5.example.com:8080 /api/v1/resource799")},
		{"suffix-host/header-route-949", req("GET x.abcdefghij.zone42-29.example.org /tier9/x", "accept: */*", "x-tier: t949")},
		{"suffix-host/query-route-989", req("GET x.a.zone0-0.example.org /search?lang=en&q=k989z")},
		{"prefix-host/regex-route-998", req("GET edge99-9.example.net /items998/12345")},
		{"exact-host/catch-all-999", req("GET host1-1.example.com /nothing/else?x=1", "user-agent: bench")},
		{"unknown-host/404", req("GET nowhere.example /svc1/")},
	} {
		b.Run(c.name, func(b *testing.B) {
			if r := tb.Match(c.req); c.name != "unknown-host/404" && r == nil {
				b.Fatal("no match")
			}
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				tb.Match(c.req)
			}
		})
	}
}

// BenchmarkVirtualHost shows that finding the virtual host does not grow
// with the number of virtual hosts.
func BenchmarkVirtualHost(b *testing.B) {
	for _, n := range []int{10, 10000} {
		rc := config.RouterConfig{RouterConfigName: "bench"}
		for v := 0; v < n; v++ {
			rc.VirtualHosts = append(rc.VirtualHosts, config.VirtualHostConfig{
				Domains: []string{fmt.Sprintf("h%d.example.com", v), fmt.Sprintf("*.w%d.example.org", v), fmt.Sprintf("p%d.*", v)},
				Routers: []config.RouteConfig{route("/", "", "c")},
			})
		}
		rc.VirtualHosts = append(rc.VirtualHosts, config.VirtualHostConfig{Domains: []string{"*"}, Routers: []config.RouteConfig{route("/", "", "c")}})
		tb, err := Build(rc)
		if err != nil {
			b.Fatal(err)
		}
		last := n - 1
		for _, host := range []string{
			fmt.Sprintf("h%d.example.com", last),
			fmt.Sprintf("api.w%d.example.org:443", last),
			fmt.Sprintf("p%d.example.net", last),
			"unknown.example",
		} {
			b.Run(fmt.Sprintf("vhosts=%d/%s", n, host), func(b *testing.B) {
				h := []byte(host)
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					tb.VirtualHost(h)
				}
			})
		}
	}
}

// BenchmarkMatchDSL is a route with a CEL condition: the one kind of match
// that allocates.
func BenchmarkMatchDSL(b *testing.B) {
	tb, err := Build(config.RouterConfig{RouterConfigName: "r", VirtualHosts: []config.VirtualHostConfig{{
		Domains: []string{"*"},
		Routers: []config.RouteConfig{{
			Match: config.RouterMatch{Prefix: "/", DslExpressions: []config.DslExpressionMatcher{{Expression: `request.headers["x-user"] == "beta" && request.method == "GET"`}}},
			Route: config.RouteAction{ClusterName: "c"},
		}},
	}}})
	if err != nil {
		b.Fatal(err)
	}
	rq := req("GET h /", "x-user: beta")
	if tb.Match(rq) == nil {
		b.Fatal("no match")
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		tb.Match(rq)
	}
}

// TestLargeTableMatchAllocs: no allocation at scale either.
func TestLargeTableMatchAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation budgets with regex matching are checked without -race (regexp's sync.Pool drops items under the race detector)")
	}
	if testing.Short() {
		t.Skip("-short: building the 100,000-route table takes a while")
	}
	tb := largeTable()
	for _, rq := range []*Request{
		req("GET host73-59.example.com /svc499/x/y"),
		req("GET x.abcdefghij.zone42-29.example.org /tier9/x", "x-tier: t949"),
		req("GET edge99-9.example.net /items998/12345"),
		req("GET x.a.zone0-0.example.org /search?lang=en&q=k989z"),
	} {
		if tb.Match(rq) == nil {
			t.Fatalf("%s%s: no match", rq.Host, rq.Target)
		}
		if n := testing.AllocsPerRun(50, func() { tb.Match(rq) }); n != 0 {
			t.Errorf("%s%s: %v allocs", rq.Host, rq.Target, n)
		}
	}
}
