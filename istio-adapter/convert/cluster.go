package convert

import (
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	httpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/seed405ffdea/mosn/core/config"
)

// Cluster is a converted Envoy cluster.
type Cluster struct {
	// Config is the core cluster. For an EDS cluster it has no hosts: they
	// come from the ClusterLoadAssignment named ServiceName.
	Config config.ClusterConfig
	// ServiceName is the EDS resource the cluster's endpoints come from
	// (eds_cluster_config.service_name, or the cluster name); empty for
	// other types.
	ServiceName string
	// TLSMatch is the label set of transport_socket_matches whose hosts
	// use Config.TLSContext (Istio's {"tlsMode": "istio"}); hosts without
	// it are plaintext. Nil when every host uses the cluster's transport.
	TLSMatch map[string]string
	Notes    Notes
}

// ConvertCluster converts an Envoy v3 Cluster.
func ConvertCluster(c *clusterv3.Cluster) (*Cluster, error) {
	if c.GetName() == "" {
		return nil, errf("name", "required")
	}
	out := &Cluster{}
	cc := &out.Config
	cc.Name = c.GetName()
	switch t := c.GetClusterDiscoveryType().(type) {
	case *clusterv3.Cluster_Type:
		switch t.Type {
		case clusterv3.Cluster_STATIC:
			cc.Type = "STATIC"
		case clusterv3.Cluster_STRICT_DNS:
			cc.Type = "STRICT_DNS"
		case clusterv3.Cluster_LOGICAL_DNS:
			// LOGICAL_DNS connects to the first address of each resolution;
			// STRICT_DNS balances over all of them: same hosts reached.
			cc.Type = "STRICT_DNS"
			out.Notes.skip("type: LOGICAL_DNS served as STRICT_DNS")
		case clusterv3.Cluster_EDS:
			cc.Type = "EDS"
			out.ServiceName = c.GetEdsClusterConfig().GetServiceName()
			if out.ServiceName == "" {
				out.ServiceName = c.GetName()
			}
		case clusterv3.Cluster_ORIGINAL_DST:
			cc.Type = "ORIGINAL_DST"
		default:
			return nil, unsupported("type", "cluster type "+t.Type.String())
		}
	case *clusterv3.Cluster_ClusterType:
		return nil, unsupported("cluster_type", "custom cluster type "+t.ClusterType.GetName())
	}
	if err := lbPolicy(c, cc, &out.Notes); err != nil {
		return nil, err
	}
	if d := c.GetConnectTimeout(); d != nil {
		cc.ConnectTimeout = dur(d)
	}
	if cb := c.GetCircuitBreakers(); cb != nil {
		for i, th := range cb.GetThresholds() {
			if th.GetPriority() != corev3.RoutingPriority_DEFAULT {
				out.Notes.skip("circuit_breakers.thresholds[%d]: priority %s ignored (no request priorities)", i, th.GetPriority())
				continue
			}
			cc.CircuitBreakers = &config.CircuitBreakers{Thresholds: []config.Thresholds{{
				MaxConnections:     th.GetMaxConnections().GetValue(),
				MaxPendingRequests: th.GetMaxPendingRequests().GetValue(),
				MaxRequests:        th.GetMaxRequests().GetValue(),
				MaxRetries:         th.GetMaxRetries().GetValue(),
			}}}
		}
	}
	if od := c.GetOutlierDetection(); od != nil {
		cc.OutlierDetection = outlier(od)
	}
	for i, hc := range c.GetHealthChecks() {
		if i > 0 {
			return nil, unsupported(idx("health_checks", i), "more than one health check")
		}
		h, err := healthCheck(hc, c.GetName())
		if err != nil {
			return nil, under(idx("health_checks", i), err)
		}
		cc.HealthCheck = h
	}
	if err := dnsSettings(c, cc); err != nil {
		return nil, err
	}
	if la := c.GetLoadAssignment(); la != nil && cc.Type != "EDS" {
		hosts, err := ConvertEndpoints(la)
		if err != nil {
			return nil, under("load_assignment", err)
		}
		cc.Hosts = hosts.Hosts
		if cc.Type == "ORIGINAL_DST" && len(cc.Hosts) > 0 {
			return nil, errf("load_assignment", "an ORIGINAL_DST cluster takes no endpoints")
		}
	}
	if err := protocolOptions(c, cc, &out.Notes); err != nil {
		return nil, err
	}
	if err := clusterTransport(c, out); err != nil {
		return nil, err
	}
	if oc := c.GetOriginalDstLbConfig(); oc != nil && oc.GetUseHttpHeader() {
		cc.LBOriDstConfig = &config.LBOriDstConfig{UseHeader: true, HeaderName: oc.GetHttpHeaderName()}
		if cc.LBOriDstConfig.HeaderName == "" {
			cc.LBOriDstConfig.HeaderName = "x-envoy-original-dst-host"
		}
	}
	for i, f := range c.GetFilters() {
		if telemetryFilters[f.GetName()] {
			out.Notes.skip("filters[%d]: %s skipped (telemetry only)", i, f.GetName())
			continue
		}
		return nil, unsupported(idx("filters", i), "upstream network filter "+f.GetName())
	}
	if c.GetUpstreamBindConfig() != nil {
		out.Notes.skip("upstream_bind_config ignored (connections use the kernel's source address)")
	}
	return out, nil
}

func dur(d *durationpb.Duration) *config.Duration {
	return &config.Duration{Duration: d.AsDuration()}
}

func lbPolicy(c *clusterv3.Cluster, cc *config.ClusterConfig, n *Notes) error {
	if c.GetLoadBalancingPolicy() != nil {
		return unsupported("load_balancing_policy", "typed load balancing policy")
	}
	switch c.GetLbPolicy() {
	case clusterv3.Cluster_ROUND_ROBIN:
		if cc.Type != "ORIGINAL_DST" {
			cc.LbType = "LB_ROUNDROBIN"
		}
	case clusterv3.Cluster_LEAST_REQUEST:
		cc.LbType = "LB_LEAST_REQUEST"
		if lr := c.GetLeastRequestLbConfig(); lr != nil {
			cc.LbConfig = &config.LbConfig{ChoiceCount: lr.GetChoiceCount().GetValue()}
			if b := lr.GetActiveRequestBias(); b != nil {
				v := b.GetDefaultValue()
				cc.LbConfig.ActiveRequestBias = &v
			}
		}
	case clusterv3.Cluster_RING_HASH:
		cc.LbType = "RING_HASH"
		if rh := c.GetRingHashLbConfig(); rh != nil {
			cc.LbConfig = &config.LbConfig{
				MinimumRingSize: rh.GetMinimumRingSize().GetValue(),
				MaximumRingSize: rh.GetMaximumRingSize().GetValue(),
			}
			if rh.GetHashFunction() != clusterv3.Cluster_RingHashLbConfig_XX_HASH {
				n.skip("ring_hash_lb_config.hash_function %s served with the built-in hash", rh.GetHashFunction())
			}
		}
	case clusterv3.Cluster_MAGLEV:
		cc.LbType = "LB_MAGLEV"
	case clusterv3.Cluster_RANDOM:
		cc.LbType = "LB_RANDOM"
	case clusterv3.Cluster_CLUSTER_PROVIDED:
		if cc.Type != "ORIGINAL_DST" {
			return unsupported("lb_policy", "CLUSTER_PROVIDED for a cluster of type "+cc.Type)
		}
	default:
		return unsupported("lb_policy", "load balancing policy "+c.GetLbPolicy().String())
	}
	if cl := c.GetCommonLbConfig(); cl != nil {
		if cl.GetLocalityWeightedLbConfig() != nil || cl.GetZoneAwareLbConfig() != nil {
			n.skip("common_lb_config: locality-aware balancing ignored (hosts balanced by their own weights)")
		}
	}
	return nil
}

func outlier(od *clusterv3.OutlierDetection) *config.OutlierDetectionConfig {
	o := &config.OutlierDetectionConfig{}
	u32 := func(v interface{ GetValue() uint32 }, ok bool) *uint32 {
		if !ok {
			return nil
		}
		x := v.GetValue()
		return &x
	}
	o.Consecutive5xx = u32(od.GetConsecutive_5Xx(), od.GetConsecutive_5Xx() != nil)
	o.ConsecutiveGatewayFailure = u32(od.GetConsecutiveGatewayFailure(), od.GetConsecutiveGatewayFailure() != nil)
	o.EnforcingConsecutive5xx = u32(od.GetEnforcingConsecutive_5Xx(), od.GetEnforcingConsecutive_5Xx() != nil)
	o.EnforcingConsecutiveGatewayFailure = u32(od.GetEnforcingConsecutiveGatewayFailure(), od.GetEnforcingConsecutiveGatewayFailure() != nil)
	o.MaxEjectionPercent = u32(od.GetMaxEjectionPercent(), od.GetMaxEjectionPercent() != nil)
	if d := od.GetInterval(); d != nil {
		o.Interval = dur(d)
	}
	if d := od.GetBaseEjectionTime(); d != nil {
		o.BaseEjectionTime = dur(d)
	}
	if d := od.GetMaxEjectionTime(); d != nil {
		o.MaxEjectionTime = dur(d)
	}
	// Envoy's enforcing_success_rate defaults to 100: success-rate
	// detection is on unless it is 0. Carry it when it is not 0 so that
	// core refuses what it cannot do; 0 (Istio's) means off, as in core.
	if v := od.GetEnforcingSuccessRate(); v == nil || v.GetValue() != 0 {
		if od.GetSuccessRateRequestVolume() != nil || od.GetSuccessRateMinimumHosts() != nil || od.GetSuccessRateStdevFactor() != nil || v != nil {
			x := uint32(100)
			if v != nil {
				x = v.GetValue()
			}
			o.EnforcingSuccessRate = &x
		}
	}
	if od.GetSplitExternalLocalOriginErrors() {
		o.SplitExternalLocalOriginErrors = true
	}
	if v := od.GetFailurePercentageThreshold(); v != nil {
		x := v.GetValue()
		o.FailurePercentageThreshold = &x
	}
	if v := od.GetSuccessfulActiveHealthCheckUnejectHost(); v != nil {
		x := v.GetValue()
		o.SuccessfulActiveHealthCheckUnejectHost = &x
	}
	return o
}

func healthCheck(hc *corev3.HealthCheck, cluster string) (*config.HealthCheckConfig, error) {
	h := &config.HealthCheckConfig{
		ServiceName:        cluster,
		HealthyThreshold:   hc.GetHealthyThreshold().GetValue(),
		UnhealthyThreshold: hc.GetUnhealthyThreshold().GetValue(),
		EventLogPath:       hc.GetEventLogPath(),
	}
	if d := hc.GetTimeout(); d != nil {
		h.Timeout = dur(d)
	}
	if d := hc.GetInterval(); d != nil {
		h.Interval = dur(d)
	}
	if d := hc.GetIntervalJitter(); d != nil {
		h.IntervalJitter = dur(d)
	}
	if d := hc.GetInitialJitter(); d != nil {
		h.InitialDelay = dur(d)
	}
	switch k := hc.GetHealthChecker().(type) {
	case *corev3.HealthCheck_TcpHealthCheck_:
		if k.TcpHealthCheck.GetSend() != nil || len(k.TcpHealthCheck.GetReceive()) > 0 {
			return nil, unsupported("tcp_health_check.send", "TCP health check payloads")
		}
		h.Protocol = "tcp"
	case *corev3.HealthCheck_HttpHealthCheck_:
		hh := k.HttpHealthCheck
		h.Protocol = "Http1"
		hcc := &config.HTTPCheckConfig{Path: hh.GetPath(), Host: hh.GetHost()}
		if hcc.Path == "" {
			hcc.Path = "/"
		}
		for i, r := range hh.GetExpectedStatuses() {
			if r.GetEnd()-r.GetStart() > 600 {
				return nil, errf(idx("http_health_check.expected_statuses", i), "range [%d, %d) too wide", r.GetStart(), r.GetEnd())
			}
			for s := r.GetStart(); s < r.GetEnd(); s++ {
				hcc.ExpectedStatuses = append(hcc.ExpectedStatuses, int(s))
			}
		}
		if hh.GetCodecClientType() == 2 { // HTTP2
			return nil, unsupported("http_health_check.codec_client_type", "HTTP/2 health checks")
		}
		h.CheckConfig = &config.HealthCheckSessionConfig{HTTPCheckConfig: hcc}
	default:
		return nil, unsupported("health_checker", "health checker other than http_health_check and tcp_health_check")
	}
	return h, nil
}

func dnsSettings(c *clusterv3.Cluster, cc *config.ClusterConfig) error {
	if cc.Type != "STRICT_DNS" {
		return nil
	}
	if d := c.GetDnsRefreshRate(); d != nil && d.AsDuration() > 0 {
		cc.DNSRefreshRate = dur(d)
	}
	cc.RespectDNSTTL = c.GetRespectDnsTtl()
	switch c.GetDnsLookupFamily() {
	case clusterv3.Cluster_V4_ONLY:
		cc.DNSLookupFamily = "V4_ONLY"
	case clusterv3.Cluster_V6_ONLY:
		cc.DNSLookupFamily = "V6_ONLY"
	case clusterv3.Cluster_AUTO, clusterv3.Cluster_V4_PREFERRED, clusterv3.Cluster_ALL:
		cc.DNSLookupFamily = "AUTO"
	}
	return nil
}

// protocolOptions reads typed_extension_protocol_options'
// envoy.extensions.upstreams.http.v3.HttpProtocolOptions.
func protocolOptions(c *clusterv3.Cluster, cc *config.ClusterConfig, n *Notes) error {
	for name, a := range c.GetTypedExtensionProtocolOptions() {
		p := "typed_extension_protocol_options[" + name + "]"
		if name != "envoy.extensions.upstreams.http.v3.HttpProtocolOptions" {
			return unsupported(p, "protocol options "+name)
		}
		var o httpv3.HttpProtocolOptions
		if err := a.UnmarshalTo(&o); err != nil {
			return errf(p, "%v", err)
		}
		if common := o.GetCommonHttpProtocolOptions(); common != nil {
			if v := common.GetMaxRequestsPerConnection(); v != nil {
				cc.MaxRequestPerConn = v.GetValue()
			}
			if d := common.GetIdleTimeout(); d != nil {
				cc.IdleTimeout = dur(d)
			}
		}
		switch pc := o.GetUpstreamProtocolOptions().(type) {
		case *httpv3.HttpProtocolOptions_ExplicitHttpConfig_:
			if pc.ExplicitHttpConfig.GetHttp2ProtocolOptions() != nil || pc.ExplicitHttpConfig.GetHttp3ProtocolOptions() != nil {
				return unsupported(p+".explicit_http_config", "HTTP/2 and HTTP/3 to the upstream")
			}
		case *httpv3.HttpProtocolOptions_UseDownstreamProtocolConfig:
			n.skip("%s.use_downstream_protocol_config: upstream uses HTTP/1 (the only downstream protocol)", p)
		case *httpv3.HttpProtocolOptions_AutoConfig:
			n.skip("%s.auto_config: upstream uses HTTP/1", p)
		}
	}
	return nil
}
