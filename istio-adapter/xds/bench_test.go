package xds

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"testing"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"

	"github.com/seed405ffdea/mosn/core/config"
	"github.com/seed405ffdea/mosn/core/server"
	"github.com/seed405ffdea/mosn/istio-adapter/xdstest"
)

// push is a mesh-sized config: clusters EDS clusters with endpoints
// each, one route table with one route per cluster, one listener.
type push struct {
	clusters, endpoints, routes []Resource
	listener                    []Resource
}

func bigPush(tb testing.TB, clusters, perCluster int) *push {
	p := &push{}
	rc := &routev3.RouteConfiguration{Name: "r"}
	vh := &routev3.VirtualHost{Name: "all", Domains: []string{"*"}}
	for i := 0; i < clusters; i++ {
		name := fmt.Sprintf("outbound|80||svc-%d.default.svc.cluster.local", i)
		p.clusters = append(p.clusters, Resource{Name: name, Version: "1", Msg: xdstest.EDSCluster(name)})
		var addrs []string
		for j := 0; j < perCluster; j++ {
			addrs = append(addrs, fmt.Sprintf("10.%d.%d.%d:8080", i/250, i%250, j+1))
		}
		p.endpoints = append(p.endpoints, Resource{Name: name, Version: "1", Msg: xdstest.CLA(name, addrs...)})
		r := xdstest.WeightedRoute("x", name, 1).GetVirtualHosts()[0].GetRoutes()[0]
		r.Match = &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: fmt.Sprintf("/svc-%d/", i)}}
		vh.Routes = append(vh.Routes, r)
	}
	rc.VirtualHosts = []*routev3.VirtualHost{vh}
	p.routes = []Resource{{Name: "r", Version: "1", Msg: rc}}
	p.listener = []Resource{{Name: "l", Version: "1", Msg: xdstest.HTTPListener(tb, "l", "r")}}
	return p
}

func benchServer(tb testing.TB) *server.Server {
	cfg := &config.MOSNConfig{Servers: []config.ServerConfig{{Listeners: []config.ListenerConfig{}, Routers: []config.RouterConfig{}}}}
	srv, err := server.New(server.Options{Config: cfg, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		tb.Fatal(err)
	}
	return srv
}

func (p *push) apply(tb testing.TB, c *Controller) {
	for _, step := range []struct {
		t   string
		res []Resource
	}{{ClusterType, p.clusters}, {EndpointType, p.endpoints}, {ListenerType, p.listener}, {RouteType, p.routes}} {
		if err := c.Handle(step.t, step.res, nil, step.t == ClusterType || step.t == ListenerType, "1"); err != nil {
			tb.Fatal(err)
		}
	}
}

// BenchmarkApplyMesh: the first push of 1,000 clusters, 10,000 endpoints
// and 1,000 routes into a running proxy, through conversion, core
// validation and the swap (CDS, EDS, LDS, RDS as a control plane sends
// them).
func BenchmarkApplyMesh(b *testing.B) {
	p := bigPush(b, 1000, 10)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		srv := benchServer(b)
		c := NewController(ControllerOptions{Target: srv})
		b.StartTimer()
		p.apply(b, c)
		b.StopTimer()
		if srv.ListenerAddr("l") == nil {
			b.Fatal("listener not applied")
		}
		srv.Close()
		b.StartTimer()
	}
}

// BenchmarkEndpointUpdate: one cluster's endpoints change in a proxy
// running the mesh above (the common steady-state push).
func BenchmarkEndpointUpdate(b *testing.B) {
	p := bigPush(b, 1000, 10)
	srv := benchServer(b)
	defer srv.Close()
	c := NewController(ControllerOptions{Target: srv})
	p.apply(b, c)
	name := p.endpoints[500].Name
	upd := [2][]Resource{
		{{Name: name, Msg: xdstest.CLA(name, "10.9.9.1:8080", "10.9.9.2:8080")}},
		{{Name: name, Msg: xdstest.CLA(name, "10.9.9.3:8080")}},
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := c.Handle(EndpointType, upd[i%2], nil, false, "2"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRequestDuringPush: requests through the proxy while nothing
// changes, and while endpoint updates are applied back to back (the
// route table and clusters are published by pointer swaps, so a request
// takes no lock the update holds). ns/op is one proxied keep-alive
// request.
func BenchmarkRequestDuringPush(b *testing.B) {
	for _, pushing := range []bool{false, true} {
		name := "idle"
		if pushing {
			name = "pushing"
		}
		b.Run(name, func(b *testing.B) {
			p := bigPush(b, 1000, 10)
			app := xdstest.Backend(b, "app")
			// svc-0 gets a real backend.
			p.endpoints[0] = Resource{Name: p.endpoints[0].Name, Msg: xdstest.CLA(p.endpoints[0].Name, app)}
			srv := benchServer(b)
			srv.Start()
			defer srv.Close()
			c := NewController(ControllerOptions{Target: srv})
			p.apply(b, c)
			url := "http://" + srv.ListenerAddr("l").String() + "/svc-0/x"
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
			stop := make(chan struct{})
			done := make(chan struct{})
			go func() {
				defer close(done)
				if !pushing {
					return
				}
				n := p.endpoints[500].Name
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					c.Handle(EndpointType, []Resource{{Name: n, Msg: xdstest.CLA(n, fmt.Sprintf("10.9.9.%d:8080", i%200+1))}}, nil, false, "x")
				}
			}()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				resp, err := client.Get(url)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
			b.StopTimer()
			close(stop)
			<-done
			client.CloseIdleConnections()
		})
	}
}
