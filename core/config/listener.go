package config

import (
	"encoding/json"

	"github.com/seed405ffdea/mosn/core/tlsctx"
)

// ListenerConfig is one listening socket and what runs on its connections.
type ListenerConfig struct {
	// Name identifies the listener (admin API, metrics, hot upgrade). Empty
	// means the address. Names are unique across the configuration.
	Name string `json:"name"`
	// Type is MOSN's "ingress"/"egress" label; not supported yet.
	Type string `json:"type,omitempty"`
	// Address is "host:port" (required). Port 0 asks the kernel for a free
	// port.
	Address string `json:"address"`
	// BindPort binds the address. False makes a listener that binds
	// nothing and serves only connections a use_original_dst listener
	// hands to it (Istio's per-service outbound listeners behind
	// 15001); as in MOSN, an absent bind_port means false.
	BindPort bool `json:"bind_port"`
	// Network is "tcp" (default), "udp" (the udp_proxy filter) or "unix"
	// (Address is then a socket path). Validate stores it lower-case.
	Network string `json:"network,omitempty"`
	// ReusePort sets SO_REUSEPORT on the listening socket so several
	// processes can share the port. Not in MOSN; default false.
	ReusePort bool `json:"reuse_port,omitempty"`
	// UseOriginalDst reads each connection's original destination
	// ("redirect": iptables/nft REDIRECT, SO_ORIGINAL_DST; "tproxy": an
	// IP_TRANSPARENT socket, needs CAP_NET_ADMIN), makes it the
	// connection's local address and hands the connection to the
	// listener owning that address (exact ip:port, then 0.0.0.0:port),
	// else keeps it here (an ORIGINAL_DST cluster then dials it). MOSN
	// writes a boolean (true means "redirect") or, in newer versions,
	// the string. Empty means off.
	UseOriginalDst string `json:"use_original_dst,omitempty" decode:"original_dst"`
	// AccessLogs are written for every request on this listener.
	AccessLogs []AccessLogConfig `json:"access_logs,omitempty"`
	// ListenerFilters run before the filter chain is chosen, in order:
	// "proxy_protocol" (config: {"allow_requests_without_proxy_protocol":
	// bool}), "tls_inspector" and "original_dst" (config: {"type":
	// "redirect"|"tproxy"}), or their Envoy names
	// (envoy.filters.listener.*). See docs/tls.md.
	ListenerFilters []FilterConfig `json:"listener_filters,omitempty"`
	// FilterChains are the listener's chains; each connection runs the
	// one its filter_chain_match selects (Envoy's rules), the first of
	// equals winning. Without matches the first chain serves everything.
	FilterChains []FilterChainConfig `json:"filter_chains"`
	// StreamFilters run on every request of the proxy filter, in order.
	StreamFilters []FilterConfig `json:"stream_filters,omitempty"`
	// Inspector runs the tls_inspector: TLS and plaintext on one port,
	// told apart by the first bytes; a TLS chain then serves TLS clients
	// and a chain without TLS (or, when all chains have TLS, the first
	// chain without its TLS) serves plaintext, as MOSN does.
	Inspector bool `json:"inspector,omitempty"`
	// ConnectionIdleTimeout closes a downstream connection idle this long.
	// nil means DefaultConnectionIdleTimeout (90s); 0 means never.
	ConnectionIdleTimeout *Duration `json:"connection_idle_timeout,omitempty"`
	// TunnelListener (MOSN's reverse tunnel) is not supported yet.
	TunnelListener bool `json:"tunnel_listener,omitempty"`
}

// legacyFields: MOSN's early listener carried its own error log; current
// MOSN ignores these keys (its examples still contain them).
func (*ListenerConfig) legacyFields() map[string]string {
	return map[string]string{
		"log_path":                    "per-listener error logs were removed from MOSN; use the server's default_log_path",
		"log_level":                   "per-listener log levels were removed from MOSN; use the server's default_log_level",
		"handoff_restoreddestination": "removed from MOSN; see use_original_dst",
	}
}

// AccessLogConfig is one access log of a listener.
type AccessLogConfig struct {
	// Path is a file path, "stdout" or "stderr" (required).
	Path string `json:"log_path"`
	// Format is MOSN's access log format ("%start_time% %request_received_duration% ...").
	// Empty means the access log's default format.
	Format string `json:"log_format,omitempty"`
	// JSONFormat writes each line as a JSON object instead: Envoy's
	// json_format, a map from key to a format string (see core/accesslog).
	// Not in MOSN; it excludes log_format.
	JSONFormat map[string]string `json:"json_format,omitempty"`
}

// FilterChainConfig is a listener's filter chain.
type FilterChainConfig struct {
	// FilterChainMatch (MOSN's "match" string) is not supported yet; use
	// filter_chain_match.
	FilterChainMatch string `json:"match,omitempty"`
	// Match selects the connections this chain serves (Envoy's
	// filter_chain_match); nil matches every connection.
	Match *FilterChainMatch `json:"filter_chain_match,omitempty"`
	// TLSContext and TLSContextSet terminate TLS (mutually exclusive). A
	// set holds several certificates chosen per handshake by SNI (exact,
	// then wildcard), then ALPN; the first serves clients that match none.
	// A context with status false is ignored, as MOSN ignores it; in a set
	// all contexts must have the same status and type.
	TLSContext    *TLSConfig  `json:"tls_context,omitempty"`
	TLSContextSet []TLSConfig `json:"tls_context_set,omitempty"`
	// Filters are the network filters, in order (at least one).
	Filters []FilterConfig `json:"filters"`
}

// FilterConfig names a filter and carries its configuration.
type FilterConfig struct {
	// Type is the filter's registered name, e.g. "proxy" (required).
	Type string `json:"type"`
	// GoPluginConfig loads the filter from a Go plugin; not supported yet.
	GoPluginConfig json.RawMessage `json:"go_plugin_config,omitempty"`
	// Config is the filter's own configuration, always a JSON object (YAML
	// sources are converted), decoded strictly by the filter's factory.
	Config json.RawMessage `json:"config,omitempty" decode:"object"`
	// Proxy is Config decoded, for Type "proxy"; filled by Validate.
	Proxy *ProxyConfig `json:"-"`
	// TCPProxy and UDPProxy are Config decoded, for Types "tcp_proxy" and
	// "udp_proxy"; filled by Validate.
	TCPProxy *TCPProxyConfig `json:"-"`
	UDPProxy *UDPProxyConfig `json:"-"`
}

// ProxyConfig is the configuration of the "proxy" network filter.
type ProxyConfig struct {
	// Name labels the proxy in logs.
	Name string `json:"name,omitempty"`
	// DownstreamProtocol is "Http1", "Http2" (h2c with prior knowledge)
	// or "Auto" (default, MOSN's default: HTTP/1.1 and h2c told apart by
	// the first bytes). Other MOSN protocols (X, bolt, dubbo, ...) are not
	// supported yet.
	DownstreamProtocol string `json:"downstream_protocol,omitempty"`
	// UpstreamProtocol is "Http1" or "Http2" (h2c to every upstream host,
	// multiplexed). Empty or "Auto" means "Http1" (after Validate it is one
	// of the two).
	UpstreamProtocol string `json:"upstream_protocol,omitempty"`
	// FallbackForUnknownProtocol is not supported yet.
	FallbackForUnknownProtocol bool `json:"fallback_for_unknown_protocol,omitempty"`
	// RouterHandlerName selects a custom route handler; not supported yet.
	RouterHandlerName string `json:"router_handler_name,omitempty"`
	// RouterConfigName names the server's route table (required).
	RouterConfigName string `json:"router_config_name"`
	// ValidateClusters is accepted for MOSN compatibility; routes are
	// always checked against the configured clusters.
	ValidateClusters bool `json:"validate_clusters,omitempty"`
	// ExtendConfig (sub_protocol, http2_use_stream, ...) is not supported
	// yet.
	ExtendConfig json.RawMessage `json:"extend_config,omitempty"`

	// The fields below are this project's additions (MOSN has no knob for
	// them); names and defaults follow Envoy's HTTP connection manager.

	// MaxRequestHeadersKB bounds a request head (request line and
	// headers), in KiB; larger heads get 431. Zero means 60; at most 8192.
	MaxRequestHeadersKB uint32 `json:"max_request_headers_kb,omitempty"`
	// MaxHeadersCount bounds the number of request header fields; more get
	// 431. Zero means 100.
	MaxHeadersCount uint32 `json:"max_headers_count,omitempty"`
	// MaxRequestBodyBytes answers 413 to larger request bodies. Zero means
	// unlimited.
	MaxRequestBodyBytes int64 `json:"max_request_body_bytes,omitempty"`
	// RequestHeadersTimeout bounds the arrival of a request head once its
	// first byte arrived (slowloris); 408 and close. Zero means 10s.
	RequestHeadersTimeout Duration `json:"request_headers_timeout,omitempty"`
	// StreamIdleTimeout bounds the gap between reads or writes of a body
	// being streamed. Zero means 5m.
	StreamIdleTimeout Duration `json:"stream_idle_timeout,omitempty"`
	// HTTP2 holds the HTTP/2 settings (http2.go); nil means the defaults.
	HTTP2 *HTTP2Options `json:"http2_protocol_options,omitempty"`
}

// TLSConfig is MOSN's tls_context (see core/tlsctx for every field).
// Validate checks it strictly (versions, cipher suites, curves, ALPN,
// field combinations); certificate files are read when the listener or
// cluster is built.
type TLSConfig = tlsctx.Config
