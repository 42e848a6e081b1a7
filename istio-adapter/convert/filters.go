package convert

import (
	// Envoy extension types the adapter reads or prints (protojson and
	// Any.UnmarshalTo find types through the global registry).
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/file/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/cors/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/fault/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/raw_buffer/v3"
)

// Filter names (Envoy's canonical names; the typed_config type decides
// where the name is free-form).
const (
	hcmName      = "envoy.filters.network.http_connection_manager"
	tcpProxyName = "envoy.filters.network.tcp_proxy"
	routerName   = "envoy.filters.http.router"
	faultName    = "envoy.filters.http.fault"
	corsName     = "envoy.filters.http.cors"
)

// telemetryFilters only observe traffic (Istio's telemetry and peer
// metadata exchange, gRPC statistics): skipping them changes no request's
// outcome. They are skipped and reported.
var telemetryFilters = map[string]bool{
	"istio.metadata_exchange":          true,
	"istio.stats":                      true,
	"istio.alpn":                       true,
	"envoy.filters.http.grpc_stats":    true,
	"envoy.filters.network.wasm":       true, // without a runtime; Istio's telemetry extensions
	"envoy.filters.http.wasm":          true,
	"envoy.filters.http.peer_metadata": true,
}

// securityFilters decide whether a request may pass: a listener that has
// one is refused rather than run without it.
var securityFilters = map[string]bool{
	"envoy.filters.http.rbac":                true,
	"envoy.filters.http.jwt_authn":           true,
	"envoy.filters.network.rbac":             true,
	"envoy.filters.http.ext_authz":           true,
	"envoy.filters.network.ext_authz":        true,
	"envoy.filters.http.oauth2":              true,
	"envoy.filters.http.basic_auth":          true,
	"envoy.filters.network.client_ssl_auth":  true,
	"envoy.filters.http.rbac.istio":          true,
	"istio_authn":                            true,
	"envoy.filters.http.ext_proc":            true,
	"envoy.filters.network.local_ratelimit":  true,
	"envoy.filters.http.local_ratelimit":     true,
	"envoy.filters.http.ratelimit":           true,
	"envoy.filters.network.ratelimit":        true,
	"envoy.filters.network.connection_limit": true,
}

// typeNames maps well-known typed_config types to canonical filter names,
// for filters whose configured name is free-form.
var typeNames = map[string]string{
	"envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager": hcmName,
	"envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy":                            tcpProxyName,
	"envoy.extensions.filters.network.rbac.v3.RBAC":                                     "envoy.filters.network.rbac",
	"envoy.extensions.filters.http.router.v3.Router":                                    routerName,
	"envoy.extensions.filters.http.fault.v3.HTTPFault":                                  faultName,
	"envoy.extensions.filters.http.cors.v3.Cors":                                        corsName,
	"envoy.extensions.filters.http.rbac.v3.RBAC":                                        "envoy.filters.http.rbac",
	"envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication":                      "envoy.filters.http.jwt_authn",
	"envoy.extensions.filters.http.grpc_stats.v3.FilterConfig":                          "envoy.filters.http.grpc_stats",
	"envoy.extensions.filters.http.wasm.v3.Wasm":                                        "envoy.filters.http.wasm",
	"envoy.extensions.filters.network.wasm.v3.Wasm":                                     "envoy.filters.network.wasm",
	"envoy.extensions.filters.http.ext_authz.v3.ExtAuthz":                               "envoy.filters.http.ext_authz",
	"envoy.extensions.filters.network.ext_authz.v3.ExtAuthz":                            "envoy.filters.network.ext_authz",
	"stats.PluginConfig": "istio.stats",
	"istio.envoy.config.filter.http.alpn.v2alpha1.FilterConfig": "istio.alpn",
	"envoy.tcp.metadataexchange.config.MetadataExchange":        "istio.metadata_exchange",
	"io.istio.http.peer_metadata.Config":                        "envoy.filters.http.peer_metadata",
}

// canonical returns the filter's canonical name: from its typed_config
// type when known (a TypedStruct's inner type too), else its name.
func canonical(name, typeURL, innerURL string) string {
	for _, u := range []string{innerURL, typeURL} {
		if u == "" {
			continue
		}
		if i := lastSlash(u); i >= 0 {
			u = u[i+1:]
		}
		if n, ok := typeNames[u]; ok {
			return n
		}
	}
	return name
}

func lastSlash(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '/' {
			return i
		}
	}
	return -1
}
