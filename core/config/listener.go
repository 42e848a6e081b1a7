package config

import "encoding/json"

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
	// BindPort must be true: the listener binds its address. MOSN's
	// unbound listeners (reached only through use_original_dst handoff)
	// are not supported yet.
	BindPort bool `json:"bind_port"`
	// Network is "tcp" (default). MOSN's "udp" and "unix" are not
	// supported yet. Validate stores it lower-case.
	Network string `json:"network,omitempty"`
	// ReusePort sets SO_REUSEPORT on the listening socket so several
	// processes can share the port. Not in MOSN; default false.
	ReusePort bool `json:"reuse_port,omitempty"`
	// UseOriginalDst hands connections redirected by iptables to the
	// listener of their original destination. MOSN writes it as a boolean
	// (true means "redirect") or, in newer versions, as "redirect" or
	// "tproxy". Not supported yet when set.
	UseOriginalDst string `json:"use_original_dst,omitempty" decode:"original_dst"`
	// AccessLogs are written for every request on this listener.
	AccessLogs []AccessLogConfig `json:"access_logs,omitempty"`
	// ListenerFilters (original_dst, tls inspector, ...) are not supported
	// yet.
	ListenerFilters []FilterConfig `json:"listener_filters,omitempty"`
	// FilterChains holds exactly one chain (MOSN uses only the first).
	FilterChains []FilterChainConfig `json:"filter_chains"`
	// StreamFilters run on every request of the proxy filter, in order.
	StreamFilters []FilterConfig `json:"stream_filters,omitempty"`
	// Inspector (sniff TLS vs plaintext) is not supported yet.
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
	// FilterChainMatch (MOSN's "match") is not supported yet.
	FilterChainMatch string `json:"match,omitempty"`
	// TLSContext and TLSContextSet terminate TLS; TLS is not supported yet,
	// so a context whose status is true is refused. A context with status
	// false is ignored, as MOSN ignores it.
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

// TLSConfig is MOSN's TLS context. TLS is not supported yet; the fields
// are recognised so that configurations with TLS switched off still load.
type TLSConfig struct {
	Status            bool            `json:"status,omitempty"`
	Type              string          `json:"type,omitempty"`
	ServerName        string          `json:"server_name,omitempty"`
	CACert            string          `json:"ca_cert,omitempty"`
	CertChain         string          `json:"cert_chain,omitempty"`
	PrivateKey        string          `json:"private_key,omitempty"`
	VerifyClient      bool            `json:"verify_client,omitempty"`
	RequireClientCert bool            `json:"require_client_cert,omitempty"`
	InsecureSkip      bool            `json:"insecure_skip,omitempty"`
	CipherSuites      string          `json:"cipher_suites,omitempty"`
	EcdhCurves        string          `json:"ecdh_curves,omitempty"`
	MinVersion        string          `json:"min_version,omitempty"`
	MaxVersion        string          `json:"max_version,omitempty"`
	ALPN              string          `json:"alpn,omitempty"`
	Ticket            string          `json:"ticket,omitempty"`
	Fallback          bool            `json:"fall_back,omitempty"`
	ExtendVerify      json.RawMessage `json:"extend_verify,omitempty"`
	SdsSource         json.RawMessage `json:"sds_source,omitempty"`
}
