package config

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
)

// FilterChainMatch is Envoy's filter_chain_match: every non-empty field
// must match. Among the chains that match, the most specific wins field by
// field in this order: destination_port, prefix_ranges, server_names,
// transport_protocol, application_protocols, source_type,
// source_prefix_ranges, source_ports.
type FilterChainMatch struct {
	// DestinationPort is the connection's (original) destination port; 0
	// means any.
	DestinationPort uint32 `json:"destination_port,omitempty"`
	// PrefixRanges are the destination addresses; the longest matching
	// prefix is the most specific.
	PrefixRanges []CidrRange `json:"prefix_ranges,omitempty"`
	// ServerNames are SNI names from the tls_inspector: exact names, or
	// "*.example.com" wildcards (a longer suffix is more specific).
	ServerNames []string `json:"server_names,omitempty"`
	// TransportProtocol is "tls" or "raw_buffer" (tls_inspector).
	TransportProtocol string `json:"transport_protocol,omitempty"`
	// ApplicationProtocols match any protocol of the client's ALPN list.
	ApplicationProtocols []string `json:"application_protocols,omitempty"`
	// SourceType is "ANY" (default), "SAME_IP_OR_LOOPBACK" or "EXTERNAL".
	SourceType string `json:"source_type,omitempty"`
	// SourcePrefixRanges are the client addresses.
	SourcePrefixRanges []CidrRange `json:"source_prefix_ranges,omitempty"`
	// SourcePorts are the client ports.
	SourcePorts []uint32 `json:"source_ports,omitempty"`
}

// CidrRange is Envoy's {"address_prefix": "10.0.0.0", "prefix_len": 8}.
type CidrRange struct {
	AddressPrefix string `json:"address_prefix"`
	// PrefixLen is the prefix length; nil means the whole address.
	PrefixLen *uint32 `json:"prefix_len,omitempty"`
}

// Prefix returns the range as a netip.Prefix (valid after Validate).
func (r CidrRange) Prefix() (netip.Prefix, error) {
	ip, err := netip.ParseAddr(r.AddressPrefix)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("invalid address %q", r.AddressPrefix)
	}
	ip = ip.Unmap()
	bits := ip.BitLen()
	if r.PrefixLen != nil {
		if int(*r.PrefixLen) > ip.BitLen() {
			return netip.Prefix{}, fmt.Errorf("prefix_len %d is longer than the address (%d bits)", *r.PrefixLen, ip.BitLen())
		}
		bits = int(*r.PrefixLen)
	}
	return ip.Prefix(bits)
}

func (v *validator) filterChainMatch(m *FilterChainMatch, path string) error {
	if m.DestinationPort > 65535 {
		return fieldErr(path+".destination_port", "port %d is out of range (1–65535)", m.DestinationPort)
	}
	for i, r := range m.PrefixRanges {
		if _, err := r.Prefix(); err != nil {
			return causeErr(indexPath(path+".prefix_ranges", i), err, "%v", err)
		}
	}
	for i, r := range m.SourcePrefixRanges {
		if _, err := r.Prefix(); err != nil {
			return causeErr(indexPath(path+".source_prefix_ranges", i), err, "%v", err)
		}
	}
	for i, p := range m.SourcePorts {
		if p == 0 || p > 65535 {
			return fieldErr(indexPath(path+".source_ports", i), "port %d is out of range (1–65535)", p)
		}
	}
	for i, n := range m.ServerNames {
		if n == "" || strings.Contains(n[min(1, len(n)):], "*") || (strings.HasPrefix(n, "*") && !strings.HasPrefix(n, "*.")) {
			return fieldErr(indexPath(path+".server_names", i), "invalid server name %q (a name or a \"*.\" wildcard)", n)
		}
	}
	switch m.TransportProtocol {
	case "", "tls", "raw_buffer":
	default:
		return unknownValue(path+".transport_protocol", "transport protocol", m.TransportProtocol, []string{"tls", "raw_buffer"})
	}
	switch m.SourceType {
	case "", "ANY", "SAME_IP_OR_LOOPBACK", "EXTERNAL":
	default:
		return unknownValue(path+".source_type", "source type", m.SourceType, []string{"ANY", "SAME_IP_OR_LOOPBACK", "EXTERNAL"})
	}
	return nil
}

// Listener filter types and their Envoy aliases.
var listenerFilterTypes = map[string]string{
	"proxy_protocol":                        "proxy_protocol",
	"envoy.filters.listener.proxy_protocol": "proxy_protocol",
	"tls_inspector":                         "tls_inspector",
	"envoy.filters.listener.tls_inspector":  "tls_inspector",
	"original_dst":                          "original_dst",
	"envoy.filters.listener.original_dst":   "original_dst",
	"http_inspector":                        "",
	"envoy.filters.listener.http_inspector": "",
	"original_src":                          "",
	"envoy.filters.listener.original_src":   "",
	"envoy.listener.original_dst":           "original_dst",
	"envoy.listener.tls_inspector":          "tls_inspector",
	"envoy.listener.proxy_protocol":         "proxy_protocol",
}

// ProxyProtocolConfig configures the proxy_protocol listener filter.
type ProxyProtocolConfig struct {
	// AllowWithout serves connections that send no header as they are;
	// false (default) closes them.
	AllowWithout bool `json:"allow_requests_without_proxy_protocol,omitempty"`
}

// OriginalDstConfig configures the original_dst listener filter.
type OriginalDstConfig struct {
	// Type is "redirect" (default) or "tproxy" (MOSN's field name).
	Type string `json:"type,omitempty"`
}

// ListenerFilterType returns the canonical type of a listener filter
// (after Validate): "proxy_protocol", "tls_inspector" or "original_dst".
func ListenerFilterType(t string) string { return listenerFilterTypes[t] }

func (v *validator) listenerFilters(l *ListenerConfig, path string) error {
	switch l.UseOriginalDst {
	case "", "redirect", "tproxy":
	default:
		return unknownValue(path+".use_original_dst", "mode", l.UseOriginalDst, []string{"redirect", "tproxy"})
	}
	for i := range l.ListenerFilters {
		f := &l.ListenerFilters[i]
		fp := indexPath(path+".listener_filters", i)
		if f.Type == "" {
			return fieldErr(fp+".type", "required")
		}
		typ, known := listenerFilterTypes[f.Type]
		switch {
		case known && typ == "":
			return notSupportedf(fp, "listener filter type %q", f.Type)
		case !known:
			return notSupportedf(fp, "listener filter type %q", f.Type)
		}
		if err := checkObject(f.Config, fp+".config"); err != nil {
			return err
		}
		var target any
		switch typ {
		case "proxy_protocol":
			target = &ProxyProtocolConfig{}
		case "original_dst":
			target = &OriginalDstConfig{}
		default:
			target = &struct{}{}
		}
		if len(f.Config) > 0 {
			dec := json.NewDecoder(strings.NewReader(string(f.Config)))
			dec.DisallowUnknownFields()
			if err := dec.Decode(target); err != nil {
				return fieldErr(fp+".config", "%s", strings.TrimPrefix(err.Error(), "json: "))
			}
		}
		if od, ok := target.(*OriginalDstConfig); ok {
			switch od.Type {
			case "", "redirect", "tproxy":
			default:
				return unknownValue(fp+".config.type", "mode", od.Type, []string{"redirect", "tproxy"})
			}
		}
	}
	return nil
}
