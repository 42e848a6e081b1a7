package xds

import (
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/seed405ffdea/mosn/istio-adapter/xdstest"
)

// A STATIC cluster with inline endpoints, health checks and outlier
// detection, and a listener whose http_connection_manager carries its
// route table inline (no RDS): proxying, a direct response and a
// redirect answer real requests.
func TestInlineRoutesAndStaticCluster(t *testing.T) {
	app := xdstest.Backend(t, "static app")
	cp := xdstest.NewControlPlane(t, "tcp")
	cl := xdstest.EDSCluster("static")
	cl.ClusterDiscoveryType = &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STATIC}
	cl.EdsClusterConfig = nil
	cl.LbPolicy = clusterv3.Cluster_MAGLEV
	cl.LoadAssignment = xdstest.CLA("static", app)
	cl.OutlierDetection = &clusterv3.OutlierDetection{Interval: durationpb.New(time.Second)}
	cl.HealthChecks = []*corev3.HealthCheck{{
		Timeout: durationpb.New(time.Second), Interval: durationpb.New(time.Second),
		HealthChecker: &corev3.HealthCheck_HttpHealthCheck_{HttpHealthCheck: &corev3.HealthCheck_HttpHealthCheck{Path: "/healthz"}},
	}}
	router, _ := anypb.New(&routerv3.Router{})
	rc := &routev3.RouteConfiguration{VirtualHosts: []*routev3.VirtualHost{{Name: "all", Domains: []string{"*"}, Routes: []*routev3.Route{
		{Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Path{Path: "/teapot"}},
			Action: &routev3.Route_DirectResponse{DirectResponse: &routev3.DirectResponseAction{Status: 418}}},
		{Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/old"}},
			Action: &routev3.Route_Redirect{Redirect: &routev3.RedirectAction{PathRewriteSpecifier: &routev3.RedirectAction_PathRedirect{PathRedirect: "/new"}}}},
		{Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}},
			Action: &routev3.Route_Route{Route: &routev3.RouteAction{ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: "static"}}}},
	}}}}
	hcm, _ := anypb.New(&hcmv3.HttpConnectionManager{
		StatPrefix:     "inline",
		RouteSpecifier: &hcmv3.HttpConnectionManager_RouteConfig{RouteConfig: rc},
		HttpFilters:    []*hcmv3.HttpFilter{{Name: "envoy.filters.http.router", ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: router}}},
	})
	l := &listenerv3.Listener{Name: "inline",
		Address:      &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{Address: "127.0.0.1", PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: 0}}}},
		FilterChains: []*listenerv3.FilterChain{{Filters: []*listenerv3.Filter{{Name: "envoy.filters.network.http_connection_manager", ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: hcm}}}}},
	}
	cp.Push("1", map[resourcev3.Type][]types.Resource{resourcev3.ClusterType: {cl}, resourcev3.ListenerType: {l}})
	srv := newProxy(t)
	startClient(t, srv, cp, false)
	var addr string
	eventually(t, "the listener", func() bool {
		if a := srv.ListenerAddr("inline"); a != nil {
			addr = a.String()
			return true
		}
		return false
	})
	if b, err := get(addr); err != nil || b != "static app" {
		t.Fatalf("proxied: %q %v", b, err)
	}
	noFollow := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for path, want := range map[string]int{"/teapot": 418, "/old/x": 301} {
		resp, err := noFollow.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s: %d, want %d", path, resp.StatusCode, want)
		}
		if want == 301 {
			if loc := resp.Header.Get("Location"); loc != "http://"+net.JoinHostPort("127.0.0.1", port(addr))+"/new" {
				t.Errorf("Location %q", loc)
			}
		}
	}
	var rc0 string
	for _, r := range srv.RunningConfig().Servers[0].Routers {
		rc0 = r.RouterConfigName
	}
	if rc0 != "inline#0" {
		t.Errorf("inline route table named %q", rc0)
	}
}

func port(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	if _, err := strconv.Atoi(p); err != nil {
		return ""
	}
	return p
}
