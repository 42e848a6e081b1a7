package config

import (
	"encoding/json"
	"reflect"
)

// ClusterManagerConfig holds the upstream clusters.
type ClusterManagerConfig struct {
	// Clusters are the upstream clusters; names are unique.
	Clusters []ClusterConfig `json:"clusters"`

	// Not supported yet: service discovery, loading clusters from a
	// directory (clusters_configs), cluster-manager TLS, cluster pools.
	AutoDiscovery          bool       `json:"auto_discovery,omitempty"`
	RegistryUseHealthCheck bool       `json:"registry_use_health_check,omitempty"`
	ClusterConfigPath      string     `json:"clusters_configs,omitempty"`
	TLSContext             *TLSConfig `json:"tls_context,omitempty"`
	ClusterPoolEnable      bool       `json:"cluster_pool_enable,omitempty"`
}

// ClusterConfig is one upstream cluster.
type ClusterConfig struct {
	// Name identifies the cluster; routes refer to it (required, unique).
	Name string `json:"name"`
	// Type is "SIMPLE" (default): a static list of hosts. MOSN's STATIC,
	// DYNAMIC, EDS, ORIGINAL_DST and STRICT_DNS are not supported yet.
	Type string `json:"type,omitempty"`
	// LbType is LB_ROUNDROBIN (default) or LB_RANDOM. MOSN's other
	// balancers are not supported yet.
	LbType string `json:"lb_type,omitempty"`
	// MaxRequestPerConn is the number of requests after which an upstream
	// connection is closed and replaced. 0 means DefaultMaxRequestPerConn
	// (1024).
	MaxRequestPerConn uint32 `json:"max_request_per_conn,omitempty"`
	// ConnBufferLimitBytes bounds an upstream connection's buffered bytes.
	// 0 means DefaultConnBufferLimitBytes (16 KiB).
	ConnBufferLimitBytes uint32 `json:"conn_buffer_limit_bytes,omitempty"`
	// CircuitBreakers limits concurrency towards the cluster. nil means
	// MOSN's defaults (see Thresholds).
	CircuitBreakers *CircuitBreakers `json:"circuit_breakers,omitempty"`
	// Hosts are the upstream endpoints.
	Hosts []HostConfig `json:"hosts"`
	// ConnectTimeout bounds an upstream TCP connect. nil means
	// DefaultConnectTimeout (10s); it must be positive when set.
	ConnectTimeout *Duration `json:"connect_timeout,omitempty"`

	// Not supported yet.
	SubType           string          `json:"sub_type,omitempty"`
	HealthCheck       json.RawMessage `json:"health_check,omitempty"`
	Spec              json.RawMessage `json:"spec,omitempty"`
	LBSubsetConfig    json.RawMessage `json:"lb_subset_config,omitempty"`
	LBOriDstConfig    json.RawMessage `json:"original_dst_lb_config,omitempty"`
	ClusterManagerTLS bool            `json:"cluster_manager_tls,omitempty"`
	TLSContext        *TLSConfig      `json:"tls_context,omitempty"`
	IdleTimeout       *Duration       `json:"idle_timeout,omitempty"`
	LbConfig          json.RawMessage `json:"lbconfig,omitempty"`
	DNSRefreshRate    *Duration       `json:"dns_refresh_rate,omitempty"`
	RespectDNSTTL     bool            `json:"respect_dns_ttl,omitempty"`
	DNSLookupFamily   string          `json:"dns_lookup_family,omitempty"`
	DNSResolvers      json.RawMessage `json:"dns_resolvers,omitempty"`
	DNSResolverFile   string          `json:"dns_resolver_file,omitempty"`
	DNSResolverPort   string          `json:"dns_resolver_port,omitempty"`
	SlowStart         json.RawMessage `json:"slow_start,omitempty"`
}

// HostConfig is one upstream endpoint.
type HostConfig struct {
	// Address is "host:port" with a port from 1 to 65535 (required).
	Address string `json:"address"`
	// Hostname labels the host.
	Hostname string `json:"hostname,omitempty"`
	// Weight is the host's share for weighted balancing, 1–128. 0 means 1,
	// as in MOSN; above 128 is refused (MOSN silently clamps to 128).
	Weight uint32 `json:"weight,omitempty"`
	// Metadata (subset load balancing) is not supported yet.
	Metadata json.RawMessage `json:"metadata,omitempty"`
	// TLSDisable is accepted for MOSN compatibility; upstream TLS is not
	// supported yet, so every host is plaintext.
	TLSDisable bool `json:"tls_disable,omitempty"`
}

// CircuitBreakers limits concurrency towards a cluster. MOSN writes it as a
// bare list of thresholds: "circuit_breakers": [{"max_connections": 100}].
// Only one threshold is supported (MOSN, too, uses only the first).
type CircuitBreakers struct {
	Thresholds []Thresholds
}

// Thresholds are the circuit-breaker limits. A zero field means MOSN's
// default for it: 10240 connections, pending requests and requests, and 3
// retries. (MOSN itself would take an explicit 0 literally and refuse all
// traffic; a limit of zero is never what was meant.)
type Thresholds struct {
	MaxConnections     uint32 `json:"max_connections,omitempty"`
	MaxPendingRequests uint32 `json:"max_pending_requests,omitempty"`
	MaxRequests        uint32 `json:"max_requests,omitempty"`
	MaxRetries         uint32 `json:"max_retries,omitempty"`
}

// MarshalJSON writes the MOSN form, a list of thresholds.
func (cb CircuitBreakers) MarshalJSON() ([]byte, error) {
	if cb.Thresholds == nil {
		return []byte("[]"), nil
	}
	return json.Marshal(cb.Thresholds)
}

// UnmarshalJSON reads the MOSN form, a list of thresholds.
func (cb *CircuitBreakers) UnmarshalJSON(b []byte) error {
	return json.Unmarshal(b, &cb.Thresholds)
}

func (cb *CircuitBreakers) decodeNode(d *decoder, n *node, path string) error {
	if n.kind != arrayNode {
		return fieldErr(path, "expected a list of thresholds, got %s", n.describe())
	}
	return d.decode(n, reflect.ValueOf(&cb.Thresholds).Elem(), path, "")
}
