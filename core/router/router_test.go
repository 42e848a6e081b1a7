package router

import (
	"testing"

	"github.com/seed405ffdea/mosn/core/config"
)

func route(prefix, path, cluster string) config.RouteConfig {
	return config.RouteConfig{Match: config.RouterMatch{Prefix: prefix, Path: path}, Route: config.RouteAction{ClusterName: cluster}}
}

func TestMatch(t *testing.T) {
	tb, err := Build(config.RouterConfig{RouterConfigName: "r", VirtualHosts: []config.VirtualHostConfig{
		{Name: "exact", Domains: []string{"www.foo.com"}, Routers: []config.RouteConfig{route("", "/exact", "e1"), route("/", "", "e2")}},
		{Name: "suffix", Domains: []string{"*.foo.com"}, Routers: []config.RouteConfig{route("/", "", "s")}},
		{Name: "longer", Domains: []string{"*.api.foo.com"}, Routers: []config.RouteConfig{route("/", "", "l")}},
		{Name: "any", Domains: []string{"*"}, Routers: []config.RouteConfig{route("/only", "", "a")}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ host, path, want string }{
		{"www.foo.com", "/exact", "e1"},
		{"WWW.Foo.com:8080", "/exact", "e1"},
		{"www.foo.com", "/exactly", "e2"},
		{"a.foo.com", "/x", "s"},
		{"v1.api.foo.com", "/x", "l"},
		{"foo.com", "/only/x", "a"},
		{"other", "/only", "a"},
		{"other", "/nope", ""},
		{"[::1]:80", "/only", "a"},
	}
	for _, c := range cases {
		r := tb.Match([]byte(c.host), []byte(c.path))
		got := ""
		if r != nil {
			got = r.ClusterName()
		}
		if got != c.want {
			t.Errorf("%s%s: got %q, want %q", c.host, c.path, got, c.want)
		}
	}
}

func TestMatchAllocs(t *testing.T) {
	tb, _ := Build(config.RouterConfig{RouterConfigName: "r", VirtualHosts: []config.VirtualHostConfig{
		{Domains: []string{"www.foo.com"}, Routers: []config.RouteConfig{route("/", "", "c")}},
	}})
	host, path := []byte("WWW.foo.com:80"), []byte("/a/b")
	if n := testing.AllocsPerRun(100, func() { tb.Match(host, path) }); n != 0 {
		t.Fatalf("%v allocs per match", n)
	}
}

func TestSetSwap(t *testing.T) {
	s := NewSet()
	a, _ := Build(config.RouterConfig{RouterConfigName: "a"})
	s.Update([]*Table{a})
	if s.Get("a") != a {
		t.Fatal("get")
	}
	s.Update(nil)
	if s.Get("a") != nil {
		t.Fatal("update kept a removed table")
	}
}

func BenchmarkMatch(b *testing.B) {
	tb, _ := Build(config.RouterConfig{RouterConfigName: "r", VirtualHosts: []config.VirtualHostConfig{
		{Domains: []string{"www.foo.com"}, Routers: []config.RouteConfig{route("/api", "", "a"), route("/", "", "c")}},
		{Domains: []string{"*"}, Routers: []config.RouteConfig{route("/", "", "d")}},
	}})
	host, path := []byte("www.foo.com"), []byte("/index.html")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		tb.Match(host, path)
	}
}
