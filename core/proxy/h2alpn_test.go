package proxy_test

import (
	"context"
	"io"
	"net"
	"testing"

	"github.com/seed405ffdea/mosn/api"
	"github.com/seed405ffdea/mosn/core/config"
	"github.com/seed405ffdea/mosn/core/network"
	"github.com/seed405ffdea/mosn/core/proxy"
	"github.com/seed405ffdea/mosn/core/router"
	"github.com/seed405ffdea/mosn/core/upstream"
)

// alpnConn is a connection whose TLS layer negotiated protocol p.
type alpnConn struct {
	api.Connection
	p string
}

func (c alpnConn) NegotiatedProtocol() string { return c.p }

// filterManager keeps the read filter a factory adds.
type filterManager struct{ rf api.ReadFilter }

func (m *filterManager) AddReadFilter(f api.ReadFilter)   { m.rf = f }
func (m *filterManager) AddWriteFilter(f api.WriteFilter) {}

// TestALPNH2: on a connection that negotiated "h2" (what TLS will report),
// an HTTP/1-only proxy filter serves HTTP/2.
func TestALPNH2(t *testing.T) {
	o := h2EchoOrigin(t)
	routers, clusters := testRouting(t, o.addr(), "")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	served := make(chan error, 1)
	go func() {
		raw, err := ln.Accept()
		if err != nil {
			served <- err
			return
		}
		conn := alpnConn{network.NewClientConn(raw), "h2"}
		defer conn.Close(api.NoFlush)
		var fm filterManager
		proxy.NewFactory(proxy.Options{RouterName: "r", Routers: routers, Clusters: clusters, Protocol: api.HTTP1}).CreateFilterChain(context.Background(), &fm)
		served <- fm.rf.(api.ConnectionServer).Serve(context.Background(), conn)
	}()
	c := h2cClient(t)
	resp, err := c.Get("http://" + ln.Addr().String() + "/alpn")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.ProtoMajor != 2 || resp.StatusCode != 200 {
		t.Fatalf("%s %d", resp.Proto, resp.StatusCode)
	}
	c.CloseIdleConnections()
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
}

// testRouting is a route table "r" sending everything to cluster "c" of
// one host, with the route's upstream_protocol proto.
func testRouting(t *testing.T, host, proto string) (*router.Set, *upstream.Manager) {
	t.Helper()
	table, err := router.Build(config.RouterConfig{
		RouterConfigName: "r",
		VirtualHosts: []config.VirtualHostConfig{{Name: "all", Domains: []string{"*"},
			Routers: []config.RouteConfig{{Match: config.RouterMatch{Prefix: "/"}, Route: config.RouteAction{ClusterName: "c", UpstreamProtocol: proto}}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	routers := router.NewSet()
	routers.Update([]*router.Table{table})
	cl, err := upstream.NewCluster(upstream.ClusterOptions{Name: "c", Hosts: []upstream.HostOptions{{Address: host}}}, upstream.NewLoadBalancerRegistry())
	if err != nil {
		t.Fatal(err)
	}
	clusters := upstream.NewManager()
	clusters.Update([]*upstream.Cluster{cl})
	t.Cleanup(clusters.Close)
	return routers, clusters
}
