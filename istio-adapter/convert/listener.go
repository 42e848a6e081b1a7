package convert

import (
	"encoding/json"
	"strconv"
	"strings"

	udpav1 "github.com/cncf/xds/go/udpa/type/v1"
	xdstypev3 "github.com/cncf/xds/go/xds/type/v3"
	accesslogv3 "github.com/envoyproxy/go-control-plane/envoy/config/accesslog/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	filev3 "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/file/v3"
	faultv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/fault/v3"
	ppv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/proxy_protocol/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tcpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/seed405ffdea/mosn/core/accesslog"
	"github.com/seed405ffdea/mosn/core/config"
)

// Listener is a converted Envoy listener.
type Listener struct {
	Config config.ListenerConfig
	// RDS names the route configurations the listener's proxy filters
	// use; the listener must not be applied before they are.
	RDS []string
	// Routes are the inline route tables of its http_connection_managers,
	// named InlineRouteName(listener, chain).
	Routes []config.RouterConfig
	Notes  Notes
}

// InlineRouteName names the route table of an http_connection_manager
// with an inline route_config.
func InlineRouteName(listener string, chain int) string {
	return listener + "#" + strconv.Itoa(chain)
}

// listenerFilterTypes maps Envoy listener filters to the model's types.
var listenerFilterTypes = map[string]string{
	"envoy.filters.listener.original_dst":   "original_dst",
	"envoy.filters.listener.tls_inspector":  "tls_inspector",
	"envoy.filters.listener.http_inspector": "http_inspector",
	"envoy.filters.listener.proxy_protocol": "proxy_protocol",
	"envoy.filters.listener.original_src":   "original_src",
}

// ConvertListener converts an Envoy listener.
func ConvertListener(l *listenerv3.Listener) (*Listener, error) {
	if l.GetName() == "" {
		return nil, errf("name", "required")
	}
	out := &Listener{}
	lc := &out.Config
	lc.Name = l.GetName()
	switch a := l.GetAddress().GetAddress().(type) {
	case *corev3.Address_SocketAddress:
		addr, err := socketAddress(l.GetAddress())
		if err != nil {
			return nil, under("address", err)
		}
		lc.Address = addr
	case *corev3.Address_Pipe:
		lc.Network, lc.Address = "unix", a.Pipe.GetPath()
	default:
		return nil, errf("address", "required")
	}
	if len(l.GetAdditionalAddresses()) > 0 {
		return nil, unsupported("additional_addresses", "listening on several addresses")
	}
	lc.BindPort = true
	if b := l.GetBindToPort(); b != nil {
		lc.BindPort = b.GetValue()
	}
	if l.GetUseOriginalDst().GetValue() {
		lc.UseOriginalDst = "redirect"
	}
	if l.GetTransparent().GetValue() {
		lc.UseOriginalDst = "tproxy"
	}
	for i, lf := range l.GetListenerFilters() {
		name := lf.GetName()
		if lf.GetConfigDiscovery() != nil {
			return nil, unsupported(idx("listener_filters", i), "listener filter "+name+" from extension config discovery (ECDS)")
		}
		t, ok := listenerFilterTypes[name]
		if !ok {
			t = name // the engine decides, by name
		}
		f := config.FilterConfig{Type: t}
		if tc := lf.GetTypedConfig(); tc != nil {
			if t == "proxy_protocol" {
				var pp ppv3.ProxyProtocol
				if tc.UnmarshalTo(&pp) == nil && pp.GetAllowRequestsWithoutProxyProtocol() {
					f.Config = json.RawMessage(`{"allow_requests_without_proxy_protocol":true}`)
				}
			} else if b, err := anyJSON(tc); err == nil && !emptyTyped(b) {
				out.Notes.skip("listener_filters[%d] (%s): options ignored", i, name)
			}
		}
		lc.ListenerFilters = append(lc.ListenerFilters, f)
	}
	for i, al := range l.GetAccessLog() {
		a, ok, why := accessLog(al)
		if !ok {
			out.Notes.skip("access_log[%d]: %s", i, why)
			continue
		}
		lc.AccessLogs = append(lc.AccessLogs, a)
	}
	chains := l.GetFilterChains()
	if d := l.GetDefaultFilterChain(); d != nil {
		chains = append(append([]*listenerv3.FilterChain(nil), chains...), d)
	}
	var streamFilters []config.FilterConfig
	haveHCM := false
	for i, fc := range chains {
		p := idx("filter_chains", i)
		if i == len(l.GetFilterChains()) {
			p = "default_filter_chain"
		}
		c, sf, isHTTP, err := filterChain(fc, lc.Name, i, p, out)
		if err != nil {
			return nil, under(p, err)
		}
		if isHTTP {
			if haveHCM && !sameFilters(streamFilters, sf) {
				return nil, unsupported(p, "http_connection_managers with different HTTP filters on one listener")
			}
			streamFilters, haveHCM = sf, true
		}
		lc.FilterChains = append(lc.FilterChains, c)
	}
	lc.StreamFilters = streamFilters
	if len(lc.FilterChains) == 0 {
		return nil, errf("filter_chains", "at least one filter chain is required")
	}
	return out, nil
}

func sameFilters(a, b []config.FilterConfig) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func filterChain(fc *listenerv3.FilterChain, listener string, chain int, chainPath string, out *Listener) (config.FilterChainConfig, []config.FilterConfig, bool, error) {
	var c config.FilterChainConfig
	var streamFilters []config.FilterConfig
	isHTTP := false
	if m := fc.GetFilterChainMatch(); m != nil && !proto.Equal(m, &listenerv3.FilterChainMatch{}) {
		c.Match = chainMatch(m)
	}
	if ts := fc.GetTransportSocket(); !isRaw(ts) {
		t, err := DownstreamTLS(ts)
		if err != nil {
			return c, nil, false, under("transport_socket", err)
		}
		c.TLSContext = t
	}
	for i, f := range fc.GetFilters() {
		p := idx("filters", i)
		np := chainPath + "." + p
		tc := f.GetTypedConfig()
		name := canonical(f.GetName(), tc.GetTypeUrl(), innerType(tc))
		switch {
		case name == hcmName:
			var h hcmv3.HttpConnectionManager
			if err := tc.UnmarshalTo(&h); err != nil {
				return c, nil, false, errf(p+".typed_config", "%v", err)
			}
			pf, sf, err := httpConnectionManager(&h, listener, chain, np+".typed_config", out)
			if err != nil {
				return c, nil, false, under(p+".typed_config", err)
			}
			c.Filters = append(c.Filters, pf)
			streamFilters, isHTTP = sf, true
		case name == tcpProxyName:
			var t tcpv3.TcpProxy
			if err := tc.UnmarshalTo(&t); err != nil {
				return c, nil, false, errf(p+".typed_config", "%v", err)
			}
			tf, err := tcpProxy(&t)
			if err != nil {
				return c, nil, false, under(p+".typed_config", err)
			}
			c.Filters = append(c.Filters, tf)
		case telemetryFilters[name]:
			out.Notes.skip("%s: %s skipped (telemetry only)", np, name)
		case f.GetConfigDiscovery() != nil:
			return c, nil, false, unsupported(p, "network filter "+name+" from extension config discovery (ECDS)")
		default:
			// Security filters (network rbac, ext_authz) and any other:
			// the engine runs them when a filter of that name is
			// registered and refuses the listener, naming it, until then.
			fc, err := passThrough(name, tc)
			if err != nil {
				return c, nil, false, under(p, err)
			}
			c.Filters = append(c.Filters, fc)
		}
	}
	return c, streamFilters, isHTTP, nil
}

// passThrough carries a filter the adapter has no mapping for into the
// model under its Envoy name, with its typed config as JSON (proto field
// names; an unknown type as its TypedStruct). The engine's registry
// decides: a registered filter of that name gets the config, an unknown
// one is refused by name.
func passThrough(name string, tc *anypb.Any) (config.FilterConfig, error) {
	f := config.FilterConfig{Type: name}
	if tc == nil {
		return f, nil
	}
	b, err := anyJSON(tc)
	if err != nil {
		return f, errf("typed_config", "%v", err)
	}
	f.Config = b
	return f, nil
}

// innerType returns the type inside a TypedStruct, or "".
func innerType(a *anypb.Any) string {
	switch a.GetTypeUrl() {
	case "type.googleapis.com/udpa.type.v1.TypedStruct":
		var ts udpav1.TypedStruct
		if a.UnmarshalTo(&ts) == nil {
			return ts.GetTypeUrl()
		}
	case "type.googleapis.com/xds.type.v3.TypedStruct":
		var ts xdstypev3.TypedStruct
		if a.UnmarshalTo(&ts) == nil {
			return ts.GetTypeUrl()
		}
	}
	return ""
}

var codecs = map[hcmv3.HttpConnectionManager_CodecType]string{
	hcmv3.HttpConnectionManager_AUTO:  "Auto",
	hcmv3.HttpConnectionManager_HTTP1: "Http1",
	hcmv3.HttpConnectionManager_HTTP2: "Http2",
	hcmv3.HttpConnectionManager_HTTP3: "Http3",
}

func httpConnectionManager(h *hcmv3.HttpConnectionManager, listener string, chain int, hp string, out *Listener) (config.FilterConfig, []config.FilterConfig, error) {
	pc := config.ProxyConfig{
		Name:                h.GetStatPrefix(),
		DownstreamProtocol:  codecs[h.GetCodecType()],
		MaxRequestHeadersKB: h.GetMaxRequestHeadersKb().GetValue(),
		MaxHeadersCount:     h.GetCommonHttpProtocolOptions().GetMaxHeadersCount().GetValue(),
	}
	if d := h.GetStreamIdleTimeout(); d != nil && d.AsDuration() > 0 {
		pc.StreamIdleTimeout = *dur(d)
	}
	if d := h.GetRequestHeadersTimeout(); d != nil && d.AsDuration() > 0 {
		pc.RequestHeadersTimeout = *dur(d)
	}
	switch r := h.GetRouteSpecifier().(type) {
	case *hcmv3.HttpConnectionManager_Rds:
		name := r.Rds.GetRouteConfigName()
		if name == "" {
			return config.FilterConfig{}, nil, errf("rds.route_config_name", "required")
		}
		pc.RouterConfigName = name
		if !contains(out.RDS, name) {
			out.RDS = append(out.RDS, name)
		}
	case *hcmv3.HttpConnectionManager_RouteConfig:
		name := InlineRouteName(listener, chain)
		t, err := routeTable(name, r.RouteConfig, &out.Notes)
		if err != nil {
			return config.FilterConfig{}, nil, under("route_config", err)
		}
		pc.RouterConfigName = name
		out.Routes = append(out.Routes, t)
	default:
		return config.FilterConfig{}, nil, unsupported("route_specifier", "scoped routes")
	}
	for i, al := range h.GetAccessLog() {
		a, ok, why := accessLog(al)
		if !ok {
			out.Notes.skip("%s.access_log[%d]: %s", hp, i, why)
			continue
		}
		if !containsLog(out.Config.AccessLogs, a) {
			out.Config.AccessLogs = append(out.Config.AccessLogs, a)
		}
	}
	ignoredHCM(h, hp, &out.Notes)
	if h.GetTracing() != nil {
		out.Notes.skip("%s: tracing ignored (tracing is configured process-wide)", hp)
	}
	var sf []config.FilterConfig
	filters := h.GetHttpFilters()
	for i, f := range filters {
		p := idx("http_filters", i)
		np := hp + "." + p
		tc := f.GetTypedConfig()
		name := canonical(f.GetName(), tc.GetTypeUrl(), innerType(tc))
		switch {
		case name == routerName:
			if i != len(filters)-1 {
				return config.FilterConfig{}, nil, errf(p, "the router must be the last HTTP filter")
			}
		case f.GetDisabled():
			out.Notes.skip("%s: %s skipped (disabled; routes may not enable it)", np, name)
		case f.GetConfigDiscovery() != nil:
			return config.FilterConfig{}, nil, unsupported(p, "HTTP filter "+name+" from extension config discovery (ECDS; types "+strings.Join(f.GetConfigDiscovery().GetTypeUrls(), ", ")+")")
		case securityFilters[name]:
			// Never skipped, optional or not: the engine runs it when a
			// filter of that name is registered, and refuses the listener
			// until then.
			sfc, err := passThrough(name, tc)
			if err != nil {
				return config.FilterConfig{}, nil, under(p, err)
			}
			sf = append(sf, sfc)
		case telemetryFilters[name]:
			out.Notes.skip("%s: %s skipped (telemetry only)", np, name)
		case name == faultName && noopFault(tc):
			out.Notes.skip("%s: %s skipped (no fault configured; routes that configure one are refused)", np, name)
		case name == corsName:
			// The Cors filter's own config is empty: policies live on
			// routes and virtual hosts, which carry them to the model.
			out.Notes.skip("%s: %s skipped (policies are carried by routes)", np, name)
		case f.GetIsOptional():
			out.Notes.skip("%s: %s skipped (optional)", np, name)
		default:
			sfc, err := passThrough(name, tc)
			if err != nil {
				return config.FilterConfig{}, nil, under(p, err)
			}
			sf = append(sf, sfc)
		}
	}
	raw, err := json.Marshal(pc)
	if err != nil {
		return config.FilterConfig{}, nil, err
	}
	return config.FilterConfig{Type: "proxy", Config: raw}, sf, nil
}

func noopFault(tc *anypb.Any) bool {
	if tc == nil {
		return true
	}
	var f faultv3.HTTPFault
	if tc.UnmarshalTo(&f) != nil {
		return false
	}
	return f.GetDelay() == nil && f.GetAbort() == nil && f.GetResponseRateLimit() == nil
}

// TCPProxy is the model's tcp_proxy filter config as this adapter writes
// it (MOSN's fields, plus Envoy's weighted_clusters).
type TCPProxy struct {
	StatPrefix         string             `json:"stat_prefix,omitempty"`
	Cluster            string             `json:"cluster,omitempty"`
	WeightedClusters   []TCPClusterWeight `json:"weighted_clusters,omitempty"`
	IdleTimeout        string             `json:"idle_timeout,omitempty"`
	MaxConnectAttempts uint32             `json:"max_connect_attempts,omitempty"`
}

// TCPClusterWeight is one weighted cluster of a tcp_proxy.
type TCPClusterWeight struct {
	Name   string `json:"name"`
	Weight uint32 `json:"weight"`
}

func tcpProxy(t *tcpv3.TcpProxy) (config.FilterConfig, error) {
	out := TCPProxy{StatPrefix: t.GetStatPrefix(), MaxConnectAttempts: t.GetMaxConnectAttempts().GetValue()}
	switch c := t.GetClusterSpecifier().(type) {
	case *tcpv3.TcpProxy_Cluster:
		out.Cluster = c.Cluster
	case *tcpv3.TcpProxy_WeightedClusters:
		for _, wc := range c.WeightedClusters.GetClusters() {
			out.WeightedClusters = append(out.WeightedClusters, TCPClusterWeight{Name: wc.GetName(), Weight: wc.GetWeight()})
		}
	default:
		return config.FilterConfig{}, errf("cluster", "required")
	}
	if d := t.GetIdleTimeout(); d != nil {
		out.IdleTimeout = d.AsDuration().String()
	}
	if t.GetTunnelingConfig() != nil {
		return config.FilterConfig{}, unsupported("tunneling_config", "tunneling")
	}
	raw, err := json.Marshal(out)
	if err != nil {
		return config.FilterConfig{}, err
	}
	return config.FilterConfig{Type: "tcp_proxy", Config: raw}, nil
}

// accessLog converts a file access log. ok is false, with the reason,
// when it cannot be kept: logs are telemetry and never refuse a listener.
func accessLog(al *accesslogv3.AccessLog) (config.AccessLogConfig, bool, string) {
	var a config.AccessLogConfig
	if al.GetFilter() != nil {
		return a, false, "access log filters are not supported; log skipped"
	}
	var f filev3.FileAccessLog
	if al.GetTypedConfig() == nil || al.GetTypedConfig().UnmarshalTo(&f) != nil {
		return a, false, al.GetName() + " skipped (only file access logs are supported)"
	}
	a.Path = f.GetPath()
	if a.Path == "/dev/stdout" {
		a.Path = "stdout"
	} else if a.Path == "/dev/stderr" {
		a.Path = "stderr"
	}
	switch {
	case f.GetLogFormat().GetJsonFormat() != nil:
		a.JSONFormat = map[string]string{}
		for k, v := range f.GetLogFormat().GetJsonFormat().GetFields() {
			a.JSONFormat[k] = v.GetStringValue()
		}
		if _, err := accesslog.CompileJSON(a.JSONFormat); err != nil {
			return a, false, "json_format: " + err.Error() + "; log skipped"
		}
	case f.GetLogFormat().GetTextFormatSource() != nil:
		a.Format = f.GetLogFormat().GetTextFormatSource().GetInlineString()
	case f.GetFormat() != "":
		a.Format = f.GetFormat()
	}
	if a.JSONFormat == nil {
		if _, err := accesslog.Compile(a.Format); err != nil {
			return a, false, "log_format: " + err.Error() + "; log skipped"
		}
	}
	return a, true, ""
}

func containsLog(ls []config.AccessLogConfig, a config.AccessLogConfig) bool {
	y, _ := json.Marshal(a)
	for _, l := range ls {
		if x, _ := json.Marshal(l); string(x) == string(y) {
			return true
		}
	}
	return false
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// anyJSON prints an Any's content as JSON (without "@type").
func anyJSON(a *anypb.Any) (json.RawMessage, error) {
	m, err := a.UnmarshalNew()
	if err != nil {
		return nil, err
	}
	return protojson.MarshalOptions{UseProtoNames: true}.Marshal(m)
}

// ignoredHCM notes the http_connection_manager settings the proxy does not
// act on, when they differ from Envoy's defaults.
func ignoredHCM(h *hcmv3.HttpConnectionManager, p string, n *Notes) {
	for _, f := range []struct {
		set  bool
		name string
	}{
		{h.GetUseRemoteAddress().GetValue(), "use_remote_address"},
		{h.GetXffNumTrustedHops() > 0, "xff_num_trusted_hops"},
		{h.GetSkipXffAppend(), "skip_xff_append"},
		{h.GetNormalizePath().GetValue(), "normalize_path"},
		{h.GetMergeSlashes(), "merge_slashes"},
		{h.GetPathWithEscapedSlashesAction() > hcmv3.HttpConnectionManager_KEEP_UNCHANGED, "path_with_escaped_slashes_action"},
		{h.GetForwardClientCertDetails() != hcmv3.HttpConnectionManager_SANITIZE, "forward_client_cert_details"},
		{len(h.GetUpgradeConfigs()) > 0, "upgrade_configs (upgrades are always proxied)"},
		{h.GetServerName() != "", "server_name"},
		{h.GetGenerateRequestId() != nil && !h.GetGenerateRequestId().GetValue(), "generate_request_id"},
		{h.GetRequestIdExtension() != nil, "request_id_extension"},
		{h.GetLocalReplyConfig() != nil, "local_reply_config"},
		{h.GetDrainTimeout() != nil, "drain_timeout"},
		{h.GetDelayedCloseTimeout() != nil, "delayed_close_timeout"},
	} {
		if f.set {
			n.skip("%s.%s ignored", p, f.name)
		}
	}
}

// emptyTyped reports whether a typed config's JSON has no field but its
// type.
func emptyTyped(b []byte) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return false
	}
	delete(m, "@type")
	delete(m, "type_url")
	return len(m) == 0
}

// chainMatch converts Envoy's filter_chain_match.
func chainMatch(m *listenerv3.FilterChainMatch) *config.FilterChainMatch {
	out := &config.FilterChainMatch{
		DestinationPort:      m.GetDestinationPort().GetValue(),
		ServerNames:          m.GetServerNames(),
		TransportProtocol:    m.GetTransportProtocol(),
		ApplicationProtocols: m.GetApplicationProtocols(),
		SourcePorts:          m.GetSourcePorts(),
	}
	switch m.GetSourceType() {
	case listenerv3.FilterChainMatch_SAME_IP_OR_LOOPBACK:
		out.SourceType = "SAME_IP_OR_LOOPBACK"
	case listenerv3.FilterChainMatch_EXTERNAL:
		out.SourceType = "EXTERNAL"
	}
	cidrs := func(rs []*corev3.CidrRange) []config.CidrRange {
		var out []config.CidrRange
		for _, r := range rs {
			c := config.CidrRange{AddressPrefix: r.GetAddressPrefix()}
			if pl := r.GetPrefixLen(); pl != nil {
				v := pl.GetValue()
				c.PrefixLen = &v
			}
			out = append(out, c)
		}
		return out
	}
	out.PrefixRanges = cidrs(m.GetPrefixRanges())
	out.SourcePrefixRanges = cidrs(m.GetSourcePrefixRanges())
	return out
}
