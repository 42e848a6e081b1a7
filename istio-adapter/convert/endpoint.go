package convert

import (
	"encoding/json"
	"net"
	"strconv"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/seed405ffdea/mosn/core/config"
)

// TransportSocketMatchKey is the metadata namespace of the labels that
// transport_socket_matches select hosts by (Istio: {"tlsMode": "istio"}).
const TransportSocketMatchKey = "envoy.transport_socket_match"

// Endpoints is a converted ClusterLoadAssignment.
type Endpoints struct {
	// Cluster is cluster_name (the EDS service name).
	Cluster string
	// Hosts are the endpoints that take traffic.
	Hosts []config.HostConfig
	Notes Notes
}

// ConvertEndpoints converts a ClusterLoadAssignment. Only the highest
// priority that has endpoints is kept (the model has no priority
// failover); endpoints whose health status is UNHEALTHY, DRAINING or
// TIMEOUT are left out, as Envoy takes them out of balancing; weights
// above the model's maximum (128) are scaled down proportionally.
func ConvertEndpoints(cla *endpointv3.ClusterLoadAssignment) (*Endpoints, error) {
	out := &Endpoints{Cluster: cla.GetClusterName()}
	best := ^uint32(0)
	for _, le := range cla.GetEndpoints() {
		if len(le.GetLbEndpoints()) > 0 && le.GetPriority() < best {
			best = le.GetPriority()
		}
	}
	var maxW uint32
	for i, le := range cla.GetEndpoints() {
		p := idx("endpoints", i)
		if le.GetPriority() != best {
			out.Notes.skip("%s: priority %d left out (only priority %d is served)", p, le.GetPriority(), best)
			continue
		}
		if le.GetLoadBalancerEndpoints() != nil {
			return nil, unsupported(p+".leds_cluster_locality_config", "LEDS")
		}
		for j, lb := range le.GetLbEndpoints() {
			ep := idx(p+".lb_endpoints", j)
			switch lb.GetHealthStatus() {
			case corev3.HealthStatus_UNHEALTHY, corev3.HealthStatus_DRAINING, corev3.HealthStatus_TIMEOUT:
				continue
			}
			e := lb.GetEndpoint()
			if e == nil {
				return nil, unsupported(ep, "named endpoints")
			}
			addr, err := socketAddress(e.GetAddress())
			if err != nil {
				return nil, under(ep+".endpoint.address", err)
			}
			h := config.HostConfig{Address: addr, Hostname: e.GetHostname(), Weight: 1}
			if w := lb.GetLoadBalancingWeight(); w != nil {
				if w.GetValue() == 0 {
					return nil, errf(ep+".load_balancing_weight", "must be at least 1")
				}
				h.Weight = w.GetValue()
			}
			if h.Weight > maxW {
				maxW = h.Weight
			}
			md, err := hostMetadata(lb.GetMetadata())
			if err != nil {
				return nil, under(ep+".metadata", err)
			}
			h.Metadata = md
			out.Hosts = append(out.Hosts, h)
		}
	}
	if maxW > config.MaxHostWeight {
		for i := range out.Hosts {
			w := uint64(out.Hosts[i].Weight) * config.MaxHostWeight / uint64(maxW)
			if w == 0 {
				w = 1
			}
			out.Hosts[i].Weight = uint32(w)
		}
		out.Notes.skip("weights scaled to 1-%d (largest was %d)", config.MaxHostWeight, maxW)
	}
	return out, nil
}

// socketAddress returns "ip:port" for a TCP socket address.
func socketAddress(a *corev3.Address) (string, error) {
	sa := a.GetSocketAddress()
	if sa == nil {
		if a.GetPipe() != nil {
			return "", unsupported("pipe", "unix socket endpoints")
		}
		return "", errf("socket_address", "required")
	}
	if sa.GetProtocol() == corev3.SocketAddress_UDP {
		return "", unsupported("socket_address.protocol", "UDP")
	}
	if sa.GetNamedPort() != "" {
		return "", unsupported("socket_address.named_port", "named ports")
	}
	return net.JoinHostPort(sa.GetAddress(), strconv.FormatUint(uint64(sa.GetPortValue()), 10)), nil
}

// hostMetadata keeps every filter_metadata namespace; "envoy.lb" (Envoy's
// subset load balancing namespace) is also written as "mosn.lb" with its
// string values, which the model's subset balancer reads.
func hostMetadata(m *corev3.Metadata) (*config.HostMetadata, error) {
	if len(m.GetFilterMetadata()) == 0 {
		return nil, nil
	}
	md := &config.HostMetadata{FilterMetadata: map[string]json.RawMessage{}}
	for ns, st := range m.GetFilterMetadata() {
		b, err := protojson.Marshal(st)
		if err != nil {
			return nil, errf("filter_metadata["+ns+"]", "%v", err)
		}
		md.FilterMetadata[ns] = b
		if ns == "envoy.lb" {
			lb := map[string]string{}
			for k, v := range st.GetFields() {
				if sv, ok := v.GetKind().(*structpb.Value_StringValue); ok {
					lb[k] = sv.StringValue
				}
			}
			b, _ := json.Marshal(lb)
			md.FilterMetadata["mosn.lb"] = b
		}
	}
	return md, nil
}

// HostLabels returns a host's transport socket match labels.
func HostLabels(h *config.HostConfig) map[string]string {
	if h.Metadata == nil {
		return nil
	}
	raw, ok := h.Metadata.FilterMetadata[TransportSocketMatchKey]
	if !ok {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	out := map[string]string{}
	for k, v := range m {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}

// MarkPlaintext sets TLSDisable on the hosts whose transport socket match
// labels do not include all of match (Envoy's transport_socket_matches:
// those hosts use the catch-all plaintext socket). A nil match changes
// nothing.
func MarkPlaintext(hosts []config.HostConfig, match map[string]string) {
	if match == nil {
		return
	}
	for i := range hosts {
		labels := HostLabels(&hosts[i])
		ok := true
		for k, v := range match {
			if labels[k] != v {
				ok = false
				break
			}
		}
		hosts[i].TLSDisable = !ok
	}
}
