package config

import (
	"sort"
	"strings"

	"github.com/seed405ffdea/mosn/core/accesslog"
)

// networks are MOSN's listener networks.
var networks = []string{"tcp", "udp", "unix"}

func (v *validator) listener(l *ListenerConfig, path string) error {
	network := strings.ToLower(l.Network)
	switch network {
	case "":
		network = DefaultNetwork
	case "tcp", "udp", "unix":
	default:
		return unknownValue(path+".network", "network", l.Network, networks)
	}
	l.Network = network

	if l.Address == "" {
		return fieldErr(path+".address", "required")
	}
	addrKey, err := listenerAddr(network, l.Address)
	if err != nil {
		return causeErr(path+".address", err, "invalid address %q: %v", l.Address, err)
	}
	if l.Name == "" {
		l.Name = l.Address
	}
	if first, dup := v.listenerNames[l.Name]; dup {
		return fieldErr(path+".name", "duplicate listener name %q (first at %s)", l.Name, first)
	}
	v.listenerNames[l.Name] = path
	// Port 0 asks the kernel for a free port: two such listeners never
	// collide (addrKey is empty).
	if first, dup := v.listenerAddrs[addrKey]; dup && addrKey != "" {
		return fieldErr(path+".address", "address %q is already used by %s", l.Address, first)
	}
	v.listenerAddrs[addrKey] = path

	switch {
	case l.Type != "":
		return notSupported(path+".type", "")
	case l.TunnelListener:
		return notSupported(path+".tunnel_listener", "")
	}
	if err := v.listenerFilters(l, path); err != nil {
		return err
	}
	if len(l.FilterChains) == 0 {
		return fieldErr(path+".filter_chains", "at least one filter chain is required")
	}
	for i := range l.FilterChains {
		if err := v.filterChain(&l.FilterChains[i], indexPath(path+".filter_chains", i)); err != nil {
			return err
		}
	}
	if err := l4Listener(l, path); err != nil {
		return err
	}
	for i := range l.StreamFilters {
		if err := v.streamFilter(&l.StreamFilters[i], indexPath(path+".stream_filters", i)); err != nil {
			return err
		}
	}
	for i, al := range l.AccessLogs {
		if al.Path == "" {
			return fieldErr(indexPath(path+".access_logs", i)+".log_path", "required")
		}
		if al.JSONFormat != nil {
			if al.Format != "" {
				return fieldErr(indexPath(path+".access_logs", i)+".json_format", "log_format and json_format are mutually exclusive")
			}
			if _, err := accesslog.CompileJSON(al.JSONFormat); err != nil {
				return causeErr(indexPath(path+".access_logs", i)+".json_format", err, "%s", strings.TrimPrefix(err.Error(), "accesslog: "))
			}
			continue
		}
		if _, err := accesslog.Compile(al.Format); err != nil {
			return causeErr(indexPath(path+".access_logs", i)+".log_format", err, "%s", strings.TrimPrefix(err.Error(), "accesslog: "))
		}
	}
	switch {
	case l.ConnectionIdleTimeout == nil:
		l.ConnectionIdleTimeout = &Duration{DefaultConnectionIdleTimeout}
	case l.ConnectionIdleTimeout.Duration < 0:
		return fieldErr(path+".connection_idle_timeout", "must not be negative, got %s", l.ConnectionIdleTimeout)
	}
	return nil
}

func (v *validator) filterChain(fc *FilterChainConfig, path string) error {
	if fc.FilterChainMatch != "" {
		return notSupported(path+".match", "MOSN's filter chain match string (use filter_chain_match)")
	}
	if fc.Match != nil {
		if err := v.filterChainMatch(fc.Match, path+".filter_chain_match"); err != nil {
			return err
		}
	}
	if fc.TLSContext != nil && len(fc.TLSContextSet) > 0 {
		return fieldErr(path+".tls_context_set", "tls_context and tls_context_set are mutually exclusive")
	}
	if err := v.listenerTLS(fc, path); err != nil {
		return err
	}
	if len(fc.Filters) == 0 {
		return fieldErr(path+".filters", "at least one network filter is required")
	}
	for i := range fc.Filters {
		if err := v.networkFilter(&fc.Filters[i], indexPath(path+".filters", i)); err != nil {
			return err
		}
	}
	return nil
}

func (v *validator) networkFilter(f *FilterConfig, path string) error {
	if f.Type == "" {
		return fieldErr(path+".type", "required")
	}
	if !rawIsZero(f.GoPluginConfig) {
		return notSupported(path+".go_plugin_config", "loading filters from Go plugins")
	}
	if !v.known.NetworkFilters[f.Type] {
		return notSupportedf(path, "filter type %q", f.Type)
	}
	if err := checkObject(f.Config, path+".config"); err != nil {
		return err
	}
	if done, err := v.l4Filter(f, path); done {
		return err
	}
	if f.Type != "proxy" {
		return nil
	}
	p := &ProxyConfig{}
	warnings, err := decodeRawJSON(f.Config, p, path+".config")
	if err != nil {
		return err
	}
	v.warnings = append(v.warnings, warnings...)
	if err := v.proxy(p, path+".config"); err != nil {
		return err
	}
	f.Proxy = p
	return nil
}

func (v *validator) streamFilter(f *FilterConfig, path string) error {
	if f.Type == "" {
		return fieldErr(path+".type", "required")
	}
	if !rawIsZero(f.GoPluginConfig) {
		return notSupported(path+".go_plugin_config", "loading filters from Go plugins")
	}
	if !v.known.StreamFilters[f.Type] {
		return notSupportedf(path, "stream filter type %q", f.Type)
	}
	return checkObject(f.Config, path+".config")
}

// checkObject refuses a filter config that is not an object. Parse already
// guarantees it; this covers configurations built in code.
func checkObject(raw []byte, path string) error {
	if len(raw) == 0 {
		return nil
	}
	n, err := parseJSONTreeAt(raw, path)
	if err != nil {
		return causeErr(path, err, "invalid JSON: %v", err)
	}
	if n.kind != objectNode && n.kind != nullNode {
		return fieldErr(path, "expected an object, got %s", n.describe())
	}
	return nil
}

// Protocols. MOSN names them with this exact spelling.
var (
	supportedProtocols = []string{"Http1", "Http2", "Auto"}
	mosnProtocols      = []string{"Http1", "Http2", "Http3", "Auto", "X", "bolt", "boltv2", "dubbo", "dubbothrift", "tars"}
)

func (v *validator) proxy(p *ProxyConfig, path string) error {
	if p.DownstreamProtocol == "" {
		p.DownstreamProtocol = DefaultDownstreamProtocol
	}
	if err := checkProtocol(p.DownstreamProtocol, path+".downstream_protocol"); err != nil {
		return err
	}
	switch p.UpstreamProtocol {
	case "", "Auto", "Http1":
		// "Auto" upstream means "what the downstream speaks"; HTTP/1 is the
		// only protocol either side can speak yet.
		p.UpstreamProtocol = "Http1"
	case "Http2":
	default:
		if err := checkProtocol(p.UpstreamProtocol, path+".upstream_protocol"); err != nil {
			return err
		}
	}
	switch {
	case p.FallbackForUnknownProtocol:
		return notSupported(path+".fallback_for_unknown_protocol", "")
	case p.RouterHandlerName != "":
		return notSupported(path+".router_handler_name", "a custom route handler")
	case !rawIsZero(p.ExtendConfig):
		return notSupported(path+".extend_config", "")
	}
	switch {
	case p.MaxRequestHeadersKB > 8192:
		return fieldErr(path+".max_request_headers_kb", "at most 8192, got %d", p.MaxRequestHeadersKB)
	case p.MaxRequestBodyBytes < 0:
		return fieldErr(path+".max_request_body_bytes", "must not be negative, got %d", p.MaxRequestBodyBytes)
	case p.RequestHeadersTimeout.Duration < 0:
		return fieldErr(path+".request_headers_timeout", "must not be negative, got %s", p.RequestHeadersTimeout)
	case p.StreamIdleTimeout.Duration < 0:
		return fieldErr(path+".stream_idle_timeout", "must not be negative, got %s", p.StreamIdleTimeout)
	}
	if err := p.HTTP2.validate(path + ".http2_protocol_options"); err != nil {
		return err
	}
	if p.RouterConfigName == "" {
		return fieldErr(path+".router_config_name", "required")
	}
	if _, ok := v.routers[p.RouterConfigName]; !ok {
		return fieldErr(path+".router_config_name", "unknown router %q%s", p.RouterConfigName, suggest(p.RouterConfigName, keys(v.routers)))
	}
	return nil
}

func checkProtocol(name, path string) error {
	switch {
	case contains(supportedProtocols, name):
		return nil
	case strings.Contains(name, ","):
		return notSupportedf(path, "a list of protocols (%q)", name)
	case contains(mosnProtocols, name):
		return notSupportedf(path, "protocol %q", name)
	}
	return unknownValue(path, "protocol", name, mosnProtocols)
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out) // suggest breaks ties by order
	return out
}
