// Package bootstrap reads the Envoy bootstrap that Istio's pilot-agent
// writes (envoy-rev.json) and turns it into what the proxy needs: a core
// config for the static part (admin, static clusters and listeners), the
// node, and how to reach the ADS server. What it does not act on is
// listed in Ignored, never fatal.
package bootstrap

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/seed405ffdea/mosn/core/config"
	"github.com/seed405ffdea/mosn/istio-adapter/convert"
	"github.com/seed405ffdea/mosn/istio-adapter/envoyjson"

	// Types the Istio bootstrap names.
	_ "github.com/envoyproxy/go-control-plane/envoy/config/trace/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/compression/gzip/compressor/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/compressor/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
)

// ADS is where and how to reach the aggregated discovery service.
type ADS struct {
	// Target is the gRPC target: "unix:///abs/path", "unix:rel/path" or
	// "host:port".
	Target string
	// Delta is true for DELTA_GRPC (Istio's default), false for GRPC.
	Delta bool
	// InitialFetchTimeout is cds_config's initial_fetch_timeout (0: wait
	// forever, Istio's setting).
	InitialFetchTimeout time.Duration
	// Cluster names the static cluster the target came from ("xds-grpc").
	Cluster string
}

// Bootstrap is a read Envoy bootstrap.
type Bootstrap struct {
	// Node identifies the proxy to the control plane.
	Node *corev3.Node
	// ADS is nil without dynamic_resources.ads_config.
	ADS *ADS
	// SDSTarget is the gRPC target of the static cluster "sds-grpc"
	// (pilot-agent's secret socket), for an sds.Client; empty without it.
	SDSTarget string
	// Config is the static part in the core model: admin, static
	// clusters and listeners (the prometheus listener as a metrics
	// sink). It is not validated yet.
	Config *config.MOSNConfig
	// Ignored lists what the proxy does not act on: top-level fields,
	// static resources it cannot run, with the reason.
	Ignored []string
	// Notes are the conversion notes of the static resources.
	Notes []string
}

// SDSCluster is the static cluster Istio's bootstrap names for SDS.
const SDSCluster = "sds-grpc"

// acted are the top-level bootstrap fields this package uses.
var acted = map[string]bool{"node": true, "dynamic_resources": true, "static_resources": true, "admin": true}

// Options tune Parse.
type Options struct {
	// AllowUnknownFields drops fields this binary's Envoy API does not
	// know, listing them in Ignored (Envoy's --allow-unknown-static-fields).
	AllowUnknownFields bool
}

// Load reads and parses the bootstrap file at path.
func Load(path string, o Options) (*Bootstrap, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("bootstrap: %w", err)
	}
	return Parse(data, o)
}

// IsBootstrap reports whether data is an Envoy bootstrap rather than a
// MOSN config: a JSON object with node, dynamic_resources or
// static_resources, and no MOSN servers.
func IsBootstrap(data []byte) bool {
	var top map[string]json.RawMessage
	if json.Unmarshal(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), &top) != nil {
		return false
	}
	if _, ok := top["servers"]; ok {
		return false
	}
	for _, k := range []string{"node", "dynamic_resources", "static_resources"} {
		if _, ok := top[k]; ok {
			return true
		}
	}
	return false
}

// Parse parses an Envoy bootstrap in JSON.
func Parse(data []byte, o Options) (*Bootstrap, error) {
	var bs bootstrapv3.Bootstrap
	if err := envoyjson.UnmarshalWith(data, &bs, o.AllowUnknownFields); err != nil {
		return nil, fmt.Errorf("bootstrap: %w", err)
	}
	b := &Bootstrap{Node: bs.GetNode()}
	if b.Node == nil {
		b.Node = &corev3.Node{}
	}
	bs.ProtoReflect().Range(func(fd protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
		if !acted[string(fd.Name())] {
			b.Ignored = append(b.Ignored, string(fd.Name()))
		}
		return true
	})
	cfg := &config.MOSNConfig{
		Servers: []config.ServerConfig{{ServerName: "istio-proxy", Listeners: []config.ListenerConfig{}, Routers: []config.RouterConfig{}}},
	}
	b.Config = cfg
	if a := bs.GetAdmin().GetAddress().GetSocketAddress(); a != nil {
		cfg.Admin = &config.AdminConfig{Address: config.AdminAddress{SocketAddress: config.SocketAddress{Address: a.GetAddress(), PortValue: a.GetPortValue()}}}
	}
	static := map[string]*clusterv3.Cluster{}
	for _, c := range bs.GetStaticResources().GetClusters() {
		static[c.GetName()] = c
	}
	if err := b.ads(bs.GetDynamicResources(), static); err != nil {
		return nil, err
	}
	for _, c := range bs.GetStaticResources().GetClusters() {
		name := c.GetName()
		if b.ADS != nil && name == b.ADS.Cluster {
			continue // the xDS client dials it itself
		}
		if name == SDSCluster {
			if t, err := grpcTarget(c); err == nil {
				b.SDSTarget = t
				b.Notes = append(b.Notes, fmt.Sprintf("static_resources.clusters[%q]: the SDS client's target %s", name, t))
				continue
			}
		}
		cl, err := convert.ConvertCluster(c)
		if err != nil {
			b.Ignored = append(b.Ignored, fmt.Sprintf("static_resources.clusters[%q]: %v", name, err))
			continue
		}
		for _, n := range cl.Notes.Skipped {
			b.Notes = append(b.Notes, fmt.Sprintf("static_resources.clusters[%q].%s", name, n))
		}
		cfg.ClusterManager.Clusters = append(cfg.ClusterManager.Clusters, cl.Config)
	}
	for _, l := range bs.GetStaticResources().GetListeners() {
		b.listener(l)
	}
	sort.Strings(b.Ignored)
	return b, nil
}

// ads reads dynamic_resources.ads_config and the cluster it names.
func (b *Bootstrap) ads(dr *bootstrapv3.Bootstrap_DynamicResources, static map[string]*clusterv3.Cluster) error {
	ac := dr.GetAdsConfig()
	if ac == nil {
		return nil
	}
	a := &ADS{}
	switch ac.GetApiType() {
	case corev3.ApiConfigSource_GRPC, corev3.ApiConfigSource_AGGREGATED_GRPC:
	case corev3.ApiConfigSource_DELTA_GRPC, corev3.ApiConfigSource_AGGREGATED_DELTA_GRPC:
		a.Delta = true
	default:
		return fmt.Errorf("bootstrap: dynamic_resources.ads_config.api_type: %s is not supported (GRPC or DELTA_GRPC)", ac.GetApiType())
	}
	if d := dr.GetCdsConfig().GetInitialFetchTimeout(); d != nil {
		a.InitialFetchTimeout = d.AsDuration()
	}
	gs := ac.GetGrpcServices()
	if len(gs) == 0 {
		return errors.New("bootstrap: dynamic_resources.ads_config.grpc_services: required")
	}
	switch {
	case gs[0].GetEnvoyGrpc() != nil:
		a.Cluster = gs[0].GetEnvoyGrpc().GetClusterName()
		c, ok := static[a.Cluster]
		if !ok {
			return fmt.Errorf("bootstrap: dynamic_resources.ads_config.grpc_services[0].envoy_grpc.cluster_name: no static cluster %q", a.Cluster)
		}
		t, err := grpcTarget(c)
		if err != nil {
			return fmt.Errorf("bootstrap: static_resources.clusters[%q]: %w", a.Cluster, err)
		}
		a.Target = t
	case gs[0].GetGoogleGrpc() != nil:
		a.Target = gs[0].GetGoogleGrpc().GetTargetUri()
	default:
		return errors.New("bootstrap: dynamic_resources.ads_config.grpc_services[0]: envoy_grpc or google_grpc required")
	}
	b.ADS = a
	return nil
}

// grpcTarget returns the gRPC target of a static cluster's first endpoint.
func grpcTarget(c *clusterv3.Cluster) (string, error) {
	for _, le := range c.GetLoadAssignment().GetEndpoints() {
		for _, ep := range le.GetLbEndpoints() {
			addr := ep.GetEndpoint().GetAddress()
			if p := addr.GetPipe(); p != nil {
				if strings.HasPrefix(p.GetPath(), "/") {
					return "unix://" + p.GetPath(), nil
				}
				return "unix:" + p.GetPath(), nil
			}
			if sa := addr.GetSocketAddress(); sa != nil {
				return net.JoinHostPort(sa.GetAddress(), strconv.FormatUint(uint64(sa.GetPortValue()), 10)), nil
			}
		}
	}
	return "", errors.New("load_assignment: no endpoint")
}

// listener converts a static listener; the Prometheus listener (one route,
// prefix /stats/prometheus) becomes the metrics sink.
func (b *Bootstrap) listener(l *listenerv3.Listener) {
	if path, ok := prometheusRoute(l); ok {
		addr, _ := listenerAddr(l)
		sink, _ := json.Marshal(config.PrometheusSinkConfig{Address: addr, Endpoint: path})
		b.Config.Metrics = &config.MetricsConfig{Sinks: []config.MetricsSinkConfig{{Type: "prometheus", Config: sink}}}
		if md := istioMetrics(b.Node); md != nil {
			b.Config.Metrics.Istio = md
		}
		return
	}
	lc, err := convert.ConvertListener(l)
	if err != nil {
		b.Ignored = append(b.Ignored, fmt.Sprintf("static_resources.listeners[%q]: %v", l.GetName(), err))
		return
	}
	for _, n := range lc.Notes.Skipped {
		b.Notes = append(b.Notes, fmt.Sprintf("static_resources.listeners[%q].%s", l.GetName(), n))
	}
	if len(lc.RDS) > 0 {
		b.Ignored = append(b.Ignored, fmt.Sprintf("static_resources.listeners[%q]: a static listener with RDS routes is not supported", l.GetName()))
		return
	}
	srv := &b.Config.Servers[0]
	srv.Listeners = append(srv.Listeners, lc.Config)
	srv.Routers = append(srv.Routers, lc.Routes...)
}

func listenerAddr(l *listenerv3.Listener) (string, bool) {
	sa := l.GetAddress().GetSocketAddress()
	if sa == nil {
		return "", false
	}
	return net.JoinHostPort(sa.GetAddress(), strconv.FormatUint(uint64(sa.GetPortValue()), 10)), true
}

// prometheusRoute reports whether l only serves a /stats/prometheus prefix.
func prometheusRoute(l *listenerv3.Listener) (string, bool) {
	if len(l.GetFilterChains()) != 1 || len(l.GetFilterChains()[0].GetFilters()) != 1 {
		return "", false
	}
	var h hcmv3.HttpConnectionManager
	if l.GetFilterChains()[0].GetFilters()[0].GetTypedConfig().UnmarshalTo(&h) != nil {
		return "", false
	}
	vhs := h.GetRouteConfig().GetVirtualHosts()
	if len(vhs) != 1 || len(vhs[0].GetRoutes()) != 1 {
		return "", false
	}
	p := vhs[0].GetRoutes()[0].GetMatch().GetPrefix()
	return p, p == "/stats/prometheus"
}

// istioMetrics fills Istio's standard metrics labels from the node
// metadata pilot-agent writes (NAME, NAMESPACE, WORKLOAD_NAME, LABELS).
func istioMetrics(n *corev3.Node) *config.IstioMetricsConfig {
	md := n.GetMetadata().GetFields()
	if md == nil {
		return nil
	}
	s := func(k string) string { return md[k].GetStringValue() }
	labels := md["LABELS"].GetStructValue().GetFields()
	out := &config.IstioMetricsConfig{
		Sidecar:   strings.HasPrefix(n.GetId(), "sidecar~"),
		Workload:  s("WORKLOAD_NAME"),
		Namespace: s("NAMESPACE"),
		App:       labels["app"].GetStringValue(),
		Version:   labels["version"].GetStringValue(),
		Cluster:   s("CLUSTER_ID"),
	}
	if !out.Sidecar {
		return nil
	}
	return out
}
