package l4_test

import (
	"context"
	"net"
	"testing"

	"github.com/seed405ffdea/mosn/core/config"
	"github.com/seed405ffdea/mosn/core/l4"
	"github.com/seed405ffdea/mosn/core/upstream"
)

func TestRouter(t *testing.T) {
	p := func(s string) config.CIDRRange {
		c, err := config.ParseCIDR(s)
		if err != nil {
			t.Fatal(err)
		}
		return config.CIDRRange{Prefix: c}
	}
	r, err := l4.NewRouter("def", []config.StreamRouteConfig{
		{Cluster: "v6", SourceAddrs: []config.CIDRRange{p("2001:db8::/32")}},
		{Cluster: "web", DestinationAddrs: []config.CIDRRange{p("10.0.0.0/8")}, DestinationPort: "80,443"},
		{Cluster: "high", SourceAddrs: []config.CIDRRange{p("192.168.0.0/16")}, SourcePort: "40000-65535"},
		{Cluster: "lan", SourceAddrs: []config.CIDRRange{p("192.168.0.0/16")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	tcp := func(s string) net.Addr {
		a, err := net.ResolveTCPAddr("tcp", s)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	for _, tc := range []struct {
		src, dst net.Addr
		want     string
	}{
		{tcp("[2001:db8::1]:5000"), tcp("[::1]:80"), "v6"},
		{tcp("1.2.3.4:5000"), tcp("10.1.1.1:443"), "web"},
		{tcp("1.2.3.4:5000"), tcp("10.1.1.1:8080"), "def"},
		{tcp("[::ffff:192.168.1.1]:50000"), tcp("127.0.0.1:1"), "high"},
		{tcp("192.168.1.1:1000"), tcp("127.0.0.1:1"), "lan"},
		{&net.UDPAddr{IP: net.ParseIP("192.168.3.3"), Port: 1}, &net.UDPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 80}, "web"},
		{&net.UnixAddr{Name: "@x", Net: "unix"}, &net.UnixAddr{Name: "/s", Net: "unix"}, "def"},
	} {
		if got := r.Cluster(tc.src, tc.dst); got != tc.want {
			t.Errorf("%v -> %v: %q, want %q", tc.src, tc.dst, got, tc.want)
		}
	}
	if _, err := l4.NewRouter("", []config.StreamRouteConfig{{Cluster: "x", SourcePort: "a"}}); err == nil {
		t.Fatal("bad port accepted")
	}
}

// An ORIGINAL_DST cluster sends a connection to its local address (the
// original destination once original_dst has run).
func TestLBContextOriginalDst(t *testing.T) {
	c, err := upstream.NewCluster(upstream.ClusterOptions{Name: "pass", Type: upstream.ClusterOriginalDst}, upstream.NewLoadBalancerRegistry())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	h := c.ChooseHost(&l4.LBContext{Ctx: context.Background(), Dst: "10.1.2.3:8080"})
	if h == nil || h.Address() != "10.1.2.3:8080" {
		t.Fatalf("host %v", h)
	}
	if h := c.ChooseHost(&l4.LBContext{Ctx: context.Background()}); h != nil {
		t.Fatalf("host without destination: %v", h.Address())
	}
}
