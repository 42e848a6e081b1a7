// Package xdstest holds test helpers: a go-control-plane snapshot cache
// served over real gRPC, and builders of Envoy resources.
package xdstest

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	discoverygrpc "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	secretgrpc "github.com/envoyproxy/go-control-plane/envoy/service/secret/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	serverv3 "github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// NodeID is the node the control plane serves.
const NodeID = "sidecar~127.0.0.1~app-0.default~default.svc.cluster.local"

// ControlPlane is a go-control-plane snapshot cache served over real gRPC.
type ControlPlane struct {
	t       testing.TB
	cache   cachev3.SnapshotCache
	network string
	addr    string
	gs      *grpc.Server

	mu       sync.Mutex
	nacks    []string // error_detail messages received
	acks     map[string]int
	nodes    []*corev3.Node // node of every request that carried one
	requests int
}

// NewControlPlane serves on a new socket of network ("tcp" or "unix").
func NewControlPlane(t testing.TB, network string) *ControlPlane {
	cp := &ControlPlane{t: t, network: network, acks: map[string]int{}}
	cp.cache = cachev3.NewSnapshotCache(true, cachev3.IDHash{}, nil)
	switch network {
	case "unix":
		cp.addr = filepath.Join(t.TempDir(), "xds.sock")
	default:
		cp.addr = "127.0.0.1:0"
	}
	cp.Start()
	t.Cleanup(cp.Stop)
	return cp
}

// target is the gRPC target of the control plane.
func (cp *ControlPlane) Target() string {
	if cp.network == "unix" {
		return "unix://" + cp.addr
	}
	return cp.addr
}

// Start serves (again, on the same address).
func (cp *ControlPlane) Start() {
	if cp.network == "unix" {
		os.Remove(cp.addr)
	}
	ln, err := net.Listen(cp.network, cp.addr)
	if err != nil {
		cp.t.Fatalf("control plane: %v", err)
	}
	cp.addr = ln.Addr().String()
	cb := serverv3.CallbackFuncs{
		StreamRequestFunc: func(_ int64, r *discoverygrpc.DiscoveryRequest) error {
			cp.record(r.GetNode(), r.GetTypeUrl(), r.GetResponseNonce(), r.GetErrorDetail().GetMessage())
			return nil
		},
		StreamDeltaRequestFunc: func(_ int64, r *discoverygrpc.DeltaDiscoveryRequest) error {
			cp.record(r.GetNode(), r.GetTypeUrl(), r.GetResponseNonce(), r.GetErrorDetail().GetMessage())
			return nil
		},
	}
	srv := serverv3.NewServer(context.Background(), cp.cache, cb)
	cp.gs = grpc.NewServer()
	discoverygrpc.RegisterAggregatedDiscoveryServiceServer(cp.gs, srv)
	secretgrpc.RegisterSecretDiscoveryServiceServer(cp.gs, srv)
	go cp.gs.Serve(ln)
}

func (cp *ControlPlane) record(node *corev3.Node, typeURL, nonce, nack string) {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	cp.requests++
	if node != nil {
		cp.nodes = append(cp.nodes, node)
	}
	if nack != "" {
		cp.nacks = append(cp.nacks, nack)
	} else if nonce != "" {
		cp.acks[typeURL]++
	}
}

// Stop stops serving, cutting the streams.
func (cp *ControlPlane) Stop() { cp.gs.Stop() }

// NACKs returns the error_detail messages received.
func (cp *ControlPlane) NACKs() []string {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	return append([]string(nil), cp.nacks...)
}

// Push sets the node's snapshot.
func (cp *ControlPlane) Push(version string, res map[resourcev3.Type][]types.Resource) {
	cp.t.Helper()
	snap, err := cachev3.NewSnapshot(version, res)
	if err != nil {
		cp.t.Fatal(err)
	}
	if err := cp.cache.SetSnapshot(context.Background(), NodeID, snap); err != nil {
		cp.t.Fatal(err)
	}
}

// Backend is an HTTP server answering its name; it returns its address.
func Backend(t testing.TB, name string) string {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, name) }))
	t.Cleanup(s.Close)
	return s.Listener.Addr().String()
}

// EDSCluster is an EDS cluster over ADS.
func EDSCluster(name string) *clusterv3.Cluster {
	return &clusterv3.Cluster{
		Name:                 name,
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_EDS},
		EdsClusterConfig:     &clusterv3.Cluster_EdsClusterConfig{EdsConfig: &corev3.ConfigSource{ConfigSourceSpecifier: &corev3.ConfigSource_Ads{Ads: &corev3.AggregatedConfigSource{}}}},
		ConnectTimeout:       durationpb.New(2 * time.Second),
		LbPolicy:             clusterv3.Cluster_ROUND_ROBIN,
	}
}

// CLA assigns addrs ("ip:port") to cluster.
func CLA(cluster string, addrs ...string) *endpointv3.ClusterLoadAssignment {
	var eps []*endpointv3.LbEndpoint
	for _, a := range addrs {
		host, port, _ := net.SplitHostPort(a)
		var p uint32
		fmt.Sscan(port, &p)
		eps = append(eps, &endpointv3.LbEndpoint{HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{
			Address: &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{Address: host, PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: p}}}},
		}}})
	}
	return &endpointv3.ClusterLoadAssignment{ClusterName: cluster, Endpoints: []*endpointv3.LocalityLbEndpoints{{LbEndpoints: eps}}}
}

// WeightedRoute sends "/" to the clusters with the weights given as
// name, weight, name, weight...
func WeightedRoute(name string, split ...any) *routev3.RouteConfiguration {
	var wcs []*routev3.WeightedCluster_ClusterWeight
	for i := 0; i < len(split); i += 2 {
		wcs = append(wcs, &routev3.WeightedCluster_ClusterWeight{Name: split[i].(string), Weight: wrapperspb.UInt32(uint32(split[i+1].(int)))})
	}
	return &routev3.RouteConfiguration{Name: name, VirtualHosts: []*routev3.VirtualHost{{
		Name: "all", Domains: []string{"*"},
		Routes: []*routev3.Route{{
			Match:  &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}},
			Action: &routev3.Route_Route{Route: &routev3.RouteAction{ClusterSpecifier: &routev3.RouteAction_WeightedClusters{WeightedClusters: &routev3.WeightedCluster{Clusters: wcs}}}},
		}},
	}}}
}

// HTTPListener listens on 127.0.0.1:0 with an RDS route; extra HTTP
// filters go before the router.
func HTTPListener(t testing.TB, name, route string, extra ...*hcmv3.HttpFilter) *listenerv3.Listener {
	router, err := anypb.New(&routerv3.Router{})
	if err != nil {
		t.Fatal(err)
	}
	filters := append(extra, &hcmv3.HttpFilter{Name: "envoy.filters.http.router", ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: router}})
	hcm := &hcmv3.HttpConnectionManager{
		StatPrefix: "ingress_http",
		RouteSpecifier: &hcmv3.HttpConnectionManager_Rds{Rds: &hcmv3.Rds{
			RouteConfigName: route,
			ConfigSource:    &corev3.ConfigSource{ConfigSourceSpecifier: &corev3.ConfigSource_Ads{Ads: &corev3.AggregatedConfigSource{}}},
		}},
		HttpFilters: filters,
	}
	a, err := anypb.New(hcm)
	if err != nil {
		t.Fatal(err)
	}
	return &listenerv3.Listener{
		Name:    name,
		Address: &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{Address: "127.0.0.1", PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: 0}}}},
		FilterChains: []*listenerv3.FilterChain{{Filters: []*listenerv3.Filter{{
			Name: "envoy.filters.network.http_connection_manager", ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: a},
		}}}},
	}
}

// Nodes returns the nodes sent with requests.
func (cp *ControlPlane) Nodes() []*corev3.Node {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	return append([]*corev3.Node(nil), cp.nodes...)
}
