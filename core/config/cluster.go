package config

import (
	"encoding/json"
	"fmt"
	"reflect"
	"time"
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
	// Type is "SIMPLE" (default) or "STATIC": the hosts listed; "EDS":
	// the hosts listed to start with, then those the config API (xDS)
	// sets; "STRICT_DNS": the hosts' names are resolved, every address
	// becomes a host, and they are re-resolved every dns_refresh_rate;
	// "ORIGINAL_DST": each request goes to its original destination (or
	// the header of original_dst_lb_config), hosts are not listed. MOSN's
	// DYNAMIC (service registry) is not supported yet.
	Type string `json:"type,omitempty"`
	// LbType is the load balancer: LB_ROUNDROBIN (default, weighted),
	// LB_RANDOM (weighted), LB_WEIGHTED_ROUNDROBIN (earliest deadline
	// first), LB_LEAST_REQUEST and LB_LEAST_CONNECTION (the best of
	// lbconfig.choice_count random hosts; weighted by EDF when weights
	// differ), LB_MAGLEV and RING_HASH (consistent hashing on the route's
	// hash policy; random without one), LB_PEAKEWMA (latency EWMA × active
	// requests), LB_REQUEST_ROUNDROBIN (first host, next one per retry),
	// LB_ORIGINAL_DST (only with type ORIGINAL_DST, which implies it).
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
	// HealthCheck configures active health checking, which MOSN (and
	// this binary) runs only when service_name is set. nil means none.
	HealthCheck *HealthCheckConfig `json:"health_check,omitempty"`
	// LBSubsetConfig enables subset load balancing by host metadata. nil
	// means none.
	LBSubsetConfig *LBSubsetConfig `json:"lb_subset_config,omitempty"`
	// LBOriDstConfig configures an ORIGINAL_DST cluster. nil means the
	// connection's original destination only.
	LBOriDstConfig *LBOriDstConfig `json:"original_dst_lb_config,omitempty"`
	// LbConfig tunes the load balancer. nil means the defaults.
	LbConfig *LbConfig `json:"lbconfig,omitempty"`
	// DNSRefreshRate is how often a STRICT_DNS cluster re-resolves. nil
	// means DefaultDNSRefreshRate (5s); it must be positive when set.
	DNSRefreshRate *Duration `json:"dns_refresh_rate,omitempty"`
	// RespectDNSTTL re-resolves when the records' TTL ends instead, when
	// the resolver reports TTLs (the built-in one does not yet).
	RespectDNSTTL bool `json:"respect_dns_ttl,omitempty"`
	// DNSLookupFamily is "V4_ONLY" (default, MOSN's), "V6_ONLY" or "AUTO"
	// (IPv6 when the name has AAAA records, else IPv4).
	DNSLookupFamily string `json:"dns_lookup_family,omitempty"`
	// DNSResolvers are the DNS servers a STRICT_DNS cluster asks. nil
	// means dns_resolver_file, or else the system's resolver.
	DNSResolvers *DNSResolverConfig `json:"dns_resolvers,omitempty"`
	// DNSResolverFile is a resolv.conf whose nameserver lines name the
	// servers to ask, used when dns_resolvers is not set.
	DNSResolverFile string `json:"dns_resolver_file,omitempty"`
	// DNSResolverPort is the port of the servers of dns_resolver_file.
	// Empty means "53".
	DNSResolverPort string `json:"dns_resolver_port,omitempty"`
	// SlowStart ramps up the weight of hosts that joined recently
	// (LB_ROUNDROBIN, LB_WEIGHTED_ROUNDROBIN, LB_LEAST_REQUEST). nil
	// means off.
	SlowStart *SlowStartConfig `json:"slow_start,omitempty"`
	// OutlierDetection ejects hosts that fail consecutively (Envoy's
	// outlier_detection; MOSN has none). nil means off.
	OutlierDetection *OutlierDetectionConfig `json:"outlier_detection,omitempty"`

	// TLSContext dials the hosts with TLS (see core/tlsctx): server_name
	// is the SNI and the verified name, ca_cert the trusted roots (empty:
	// the system's), cert_chain/private_key the client certificate.
	// Sessions are resumed. nil, or status false, means plaintext.
	TLSContext *TLSConfig `json:"tls_context,omitempty"`

	// IdleTimeout closes upstream connections idle this long; nil or zero
	// means 60s.
	IdleTimeout *Duration `json:"idle_timeout,omitempty"`

	// Not supported yet.
	SubType           string          `json:"sub_type,omitempty"`
	Spec              json.RawMessage `json:"spec,omitempty"`
	ClusterManagerTLS bool            `json:"cluster_manager_tls,omitempty"`
}

// HostConfig is one upstream endpoint.
type HostConfig struct {
	// Address is "host:port" with a port from 1 to 65535 (required). In a
	// STRICT_DNS cluster the host is a name to resolve and the port may be
	// left out (80, as MOSN).
	Address string `json:"address"`
	// Hostname labels the host.
	Hostname string `json:"hostname,omitempty"`
	// Weight is the host's share for weighted balancing, 1–128. 0 means 1,
	// as in MOSN; above 128 is refused (MOSN silently clamps to 128).
	Weight uint32 `json:"weight,omitempty"`
	// Metadata is the host's metadata; subset load balancing reads
	// filter_metadata["mosn.lb"]. nil means none.
	Metadata *HostMetadata `json:"metadata,omitempty"`
	// TLSDisable connects to this host in plaintext in a cluster with a
	// tls_context (MOSN's per-host TLS off switch); without one it changes
	// nothing.
	TLSDisable bool `json:"tls_disable,omitempty"`
}

// HostMetadata is MOSN's host metadata:
// {"filter_metadata": {"mosn.lb": {"version": "v1"}}}.
type HostMetadata struct {
	// FilterMetadata maps a namespace to its values. "mosn.lb" (string
	// values only) is what subset load balancing matches; other
	// namespaces are kept for filters and otherwise ignored.
	FilterMetadata map[string]json.RawMessage `json:"filter_metadata,omitempty"`

	// LB is filter_metadata["mosn.lb"], filled in by Validate.
	LB map[string]string `json:"-"`
}

// HealthCheckConfig is MOSN's health_check block.
type HealthCheckConfig struct {
	// Protocol chooses the check: "" or "tcp" connects; "Http1" (any case,
	// or "http") sends a GET when check_config.http_check_config is set
	// and connects otherwise, as MOSN. MOSN's other protocols' checks
	// (bolt heartbeats, ...) are not supported yet.
	Protocol string `json:"protocol,omitempty"`
	// Timeout bounds one check. nil means DefaultHealthCheckTimeout (1s).
	Timeout *Duration `json:"timeout,omitempty"`
	// Interval is the time between checks of a host. nil means
	// DefaultHealthCheckInterval (15s).
	Interval *Duration `json:"interval,omitempty"`
	// IntervalJitter adds a random [0, interval_jitter) to each interval.
	// nil means none.
	IntervalJitter *Duration `json:"interval_jitter,omitempty"`
	// InitialDelaySeconds is the wait before a host's first check, a
	// duration despite its name (MOSN's spelling). nil means
	// DefaultHealthCheckInitialDelay (1s, MOSN's fixed first interval).
	InitialDelaySeconds *Duration `json:"initial_delay_seconds,omitempty"`
	// InitialDelay is initial_delay_seconds under another name; set at
	// most one of them.
	InitialDelay *Duration `json:"initial_delay,omitempty"`
	// HealthyThreshold is the passing checks in a row that return an
	// unhealthy host. 0 means DefaultHealthyThreshold (1).
	HealthyThreshold uint32 `json:"healthy_threshold,omitempty"`
	// UnhealthyThreshold is the failing checks in a row that take a host
	// out of balancing. 0 means DefaultUnhealthyThreshold (3).
	UnhealthyThreshold uint32 `json:"unhealthy_threshold,omitempty"`
	// ServiceName turns health checking on (MOSN checks only when it is
	// set) and labels the checker.
	ServiceName string `json:"service_name,omitempty"`
	// CheckConfig configures the protocol's check.
	CheckConfig *HealthCheckSessionConfig `json:"check_config,omitempty"`
	// EventLogPath, when set, is a file every host state change is
	// appended to as a JSON line (Envoy's event_log_path).
	EventLogPath string `json:"event_log_path,omitempty"`

	// Not supported yet.
	CommonCallbacks []string `json:"common_callbacks,omitempty"`
}

// HealthCheckSessionConfig is MOSN's check_config.
type HealthCheckSessionConfig struct {
	// HTTPCheckConfig configures the Http1 check.
	HTTPCheckConfig *HTTPCheckConfig `json:"http_check_config,omitempty"`
}

// HTTPCheckConfig is MOSN's http_check_config, with Envoy's host and
// expected_statuses.
type HTTPCheckConfig struct {
	// Port replaces the host's port for the check; 0 means the host's.
	Port int `json:"port,omitempty"`
	// Timeout bounds the check, overriding health_check.timeout.
	Timeout *Duration `json:"timeout,omitempty"`
	// Path is the request path. Empty means "/".
	Path string `json:"path,omitempty"`
	// Host is the Host header. Empty means the host's address.
	Host string `json:"host,omitempty"`
	// ExpectedStatuses are the statuses that pass, 100–599. Empty means
	// 200 only (MOSN's and Envoy's default).
	ExpectedStatuses []int `json:"expected_statuses,omitempty"`
}

// LBSubsetConfig is MOSN's lb_subset_config.
type LBSubsetConfig struct {
	// FallBackPolicy applies when a request's metadata match finds no
	// subset (or the route has none): NO_FALLBACK (0, default: no host),
	// ANY_ENDPOINT (1: any host of the cluster) or DEFAULT_SUBSET (2: the
	// hosts matching default_subset). MOSN writes the number; the name is
	// accepted too.
	FallBackPolicy FallBackPolicy `json:"fall_back_policy,omitempty"`
	// DefaultSubset is the metadata of the DEFAULT_SUBSET hosts; empty
	// means every host.
	DefaultSubset map[string]string `json:"default_subset,omitempty"`
	// SubsetSelectors are the key sets subsets are built for; a route's
	// metadata_match must have exactly the keys of one of them.
	SubsetSelectors [][]string `json:"subset_selectors,omitempty"`
}

// FallBackPolicy is a subset fallback policy, MOSN's number (0, 1, 2) or
// its name (NO_FALLBACK, ANY_ENDPOINT, DEFAULT_SUBSET).
type FallBackPolicy uint8

// Fallback policies.
const (
	NoFallback    FallBackPolicy = 0
	AnyEndpoint   FallBackPolicy = 1
	DefaultSubset FallBackPolicy = 2
)

var fallBackNames = []string{"NO_FALLBACK", "ANY_ENDPOINT", "DEFAULT_SUBSET"}

// MarshalJSON writes the number, as MOSN.
func (p FallBackPolicy) MarshalJSON() ([]byte, error) { return json.Marshal(uint8(p)) }

// UnmarshalJSON reads a number or a name.
func (p *FallBackPolicy) UnmarshalJSON(b []byte) error {
	var name string
	if json.Unmarshal(b, &name) == nil {
		for i, n := range fallBackNames {
			if n == name {
				*p = FallBackPolicy(i)
				return nil
			}
		}
		return fmt.Errorf("unknown fall_back_policy %q", name)
	}
	var n uint8
	if err := json.Unmarshal(b, &n); err != nil || int(n) >= len(fallBackNames) {
		return fmt.Errorf("fall_back_policy must be 0, 1, 2 or a name, got %s", truncate(string(b), 32))
	}
	*p = FallBackPolicy(n)
	return nil
}

func (p *FallBackPolicy) decodeNode(_ *decoder, n *node, path string) error {
	switch n.kind {
	case stringNode:
		for i, name := range fallBackNames {
			if name == n.text {
				*p = FallBackPolicy(i)
				return nil
			}
		}
		return unknownValue(path, "fall_back_policy", n.text, fallBackNames)
	case numberNode:
		u, err := nodeUint(n, path, 8)
		if err != nil {
			return err
		}
		if int(u) >= len(fallBackNames) {
			return fieldErr(path, "fall_back_policy %d is not 0 (NO_FALLBACK), 1 (ANY_ENDPOINT) or 2 (DEFAULT_SUBSET)", u)
		}
		*p = FallBackPolicy(u)
		return nil
	}
	return fieldErr(path, "expected a fall_back_policy number or name, got %s", n.describe())
}

// LBOriDstConfig is MOSN's original_dst_lb_config.
type LBOriDstConfig struct {
	// UseHeader takes the destination ("host:port"; port 80 when absent)
	// from the request header header_name when it is present.
	UseHeader bool `json:"use_header,omitempty"`
	// HeaderName is the header. Empty means "host", as MOSN.
	HeaderName string `json:"header_name,omitempty"`
}

// LbConfig is MOSN's lbconfig, with Envoy's ring hash sizes.
type LbConfig struct {
	// ChoiceCount is how many random hosts LB_LEAST_REQUEST,
	// LB_LEAST_CONNECTION and LB_PEAKEWMA compare. 0 means 2; at least 2.
	ChoiceCount uint32 `json:"choice_count,omitempty"`
	// ActiveRequestBias is the exponent of (active requests + 1) by which
	// LB_LEAST_REQUEST divides unequal weights. nil means 1.0; 0 balances
	// by weight alone; not negative.
	ActiveRequestBias *float64 `json:"active_request_bias,omitempty"`
	// MinimumRingSize and MaximumRingSize bound the RING_HASH ring (Envoy's
	// ring_hash_lb_config). 0 means 1024 and 8388608 (8M, also the
	// largest allowed).
	MinimumRingSize uint64 `json:"minimum_ring_size,omitempty"`
	MaximumRingSize uint64 `json:"maximum_ring_size,omitempty"`

	// Not supported yet (MOSN's success-rate balancing).
	ClientErrorBias float64 `json:"client_error_bias,omitempty"`
	ServerErrorBias float64 `json:"server_error_bias,omitempty"`
}

// DNSResolverConfig is MOSN's dns_resolvers.
type DNSResolverConfig struct {
	// Servers are the DNS servers, "ip" or "ip:port".
	Servers []string `json:"servers,omitempty"`
	// Port is the port of servers given without one. Empty means "53".
	Port string `json:"port,omitempty"`
	// Timeout bounds one query, in seconds. 0 means 5.
	Timeout int `json:"timeout,omitempty"`
	// Attempts is how many servers one query tries. 0 means 1.
	Attempts int `json:"attempts,omitempty"`

	// Not supported yet.
	Search []string `json:"search,omitempty"`
	Ndots  int      `json:"ndots,omitempty"`
}

// SlowStartConfig is MOSN's slow_start: a new host's weight is scaled by
// max(min_weight_percent, (max(age, 1s) / slow_start_duration)^(1/aggression))
// until it is slow_start_duration old (Envoy's slow_start_config).
type SlowStartConfig struct {
	// Mode is "duration" (the only mode, also when empty).
	Mode string `json:"mode,omitempty"`
	// SlowStartDuration is the ramp's length (required, positive).
	SlowStartDuration *Duration `json:"slow_start_duration,omitempty"`
	// Aggression shapes the ramp: 1 is linear, more ramps up faster at
	// first. 0 means 1; not negative.
	Aggression float64 `json:"aggression,omitempty"`
	// MinWeightPercent is the lowest share of its weight a new host gets,
	// a fraction from 0 to 1 (MOSN's sample writes 0.1 for 10%). 0 means
	// 0.1.
	MinWeightPercent float64 `json:"min_weight_percent,omitempty"`
}

// OutlierDetectionConfig is Envoy's outlier_detection (consecutive-error
// detection; durations as strings). Unset fields take Envoy's defaults.
type OutlierDetectionConfig struct {
	// Consecutive5xx is the 5xx responses (or failed exchanges) in a row
	// that make a host an outlier. nil means 5; 0 disables the check.
	Consecutive5xx *uint32 `json:"consecutive_5xx,omitempty"`
	// Interval is the time between sweeps that return ejected hosts. nil
	// means 10s.
	Interval *Duration `json:"interval,omitempty"`
	// BaseEjectionTime is the length of a first ejection; the n-th in a
	// row lasts n times as long. nil means 30s.
	BaseEjectionTime *Duration `json:"base_ejection_time,omitempty"`
	// MaxEjectionTime caps an ejection. nil means 300s (at least
	// base_ejection_time).
	MaxEjectionTime *Duration `json:"max_ejection_time,omitempty"`
	// MaxEjectionPercent is the largest share of hosts ejected at once,
	// 0–100; one host can always be ejected. nil means 10.
	MaxEjectionPercent *uint32 `json:"max_ejection_percent,omitempty"`
	// EnforcingConsecutive5xx is the chance, in percent, that a 5xx
	// outlier is ejected. nil means 100.
	EnforcingConsecutive5xx *uint32 `json:"enforcing_consecutive_5xx,omitempty"`
	// ConsecutiveGatewayFailure is the 502/503/504 responses (or failed
	// exchanges) in a row that make a host an outlier. nil means 5; 0
	// disables the check.
	ConsecutiveGatewayFailure *uint32 `json:"consecutive_gateway_failure,omitempty"`
	// EnforcingConsecutiveGatewayFailure is the chance, in percent, that a
	// gateway-failure outlier is ejected. nil means 0, as Envoy.
	EnforcingConsecutiveGatewayFailure *uint32 `json:"enforcing_consecutive_gateway_failure,omitempty"`
	// SuccessfulActiveHealthCheckUnejectHost: a host that passes an active
	// health check is returned at once. Only true (the default) is
	// supported.
	SuccessfulActiveHealthCheckUnejectHost *bool `json:"successful_active_health_check_uneject_host,omitempty"`

	// Not supported yet: success-rate and failure-percentage detection,
	// and a separate count of locally originated errors.
	EnforcingSuccessRate                   *uint32   `json:"enforcing_success_rate,omitempty"`
	SuccessRateMinimumHosts                *uint32   `json:"success_rate_minimum_hosts,omitempty"`
	SuccessRateRequestVolume               *uint32   `json:"success_rate_request_volume,omitempty"`
	SuccessRateStdevFactor                 *uint32   `json:"success_rate_stdev_factor,omitempty"`
	SplitExternalLocalOriginErrors         bool      `json:"split_external_local_origin_errors,omitempty"`
	ConsecutiveLocalOriginFailure          *uint32   `json:"consecutive_local_origin_failure,omitempty"`
	EnforcingConsecutiveLocalOriginFailure *uint32   `json:"enforcing_consecutive_local_origin_failure,omitempty"`
	EnforcingLocalOriginSuccessRate        *uint32   `json:"enforcing_local_origin_success_rate,omitempty"`
	FailurePercentageThreshold             *uint32   `json:"failure_percentage_threshold,omitempty"`
	EnforcingFailurePercentage             *uint32   `json:"enforcing_failure_percentage,omitempty"`
	EnforcingFailurePercentageLocalOrigin  *uint32   `json:"enforcing_failure_percentage_local_origin,omitempty"`
	FailurePercentageMinimumHosts          *uint32   `json:"failure_percentage_minimum_hosts,omitempty"`
	FailurePercentageRequestVolume         *uint32   `json:"failure_percentage_request_volume,omitempty"`
	MaxEjectionTimeJitter                  *Duration `json:"max_ejection_time_jitter,omitempty"`
}

// CircuitBreakers limits concurrency towards a cluster. MOSN writes it as a
// bare list of thresholds: "circuit_breakers": [{"max_connections": 100}].
// Only one threshold is supported (MOSN, too, uses only the first).
type CircuitBreakers struct {
	Thresholds []Thresholds
}

// Cluster defaults applied by Validate that MOSN's config does not name.
const (
	// DefaultHealthCheckTimeout bounds one health check.
	DefaultHealthCheckTimeout = time.Second
	// DefaultHealthCheckInterval is the time between checks of a host.
	DefaultHealthCheckInterval = 15 * time.Second
	// DefaultHealthCheckInitialDelay is the wait before a host's first
	// check (MOSN's fixed first interval before it was configurable).
	DefaultHealthCheckInitialDelay = time.Second
	// DefaultHealthyThreshold and DefaultUnhealthyThreshold are the checks
	// in a row that change a host's state.
	DefaultHealthyThreshold   = 1
	DefaultUnhealthyThreshold = 3
	// DefaultDNSRefreshRate is how often STRICT_DNS re-resolves (MOSN's).
	DefaultDNSRefreshRate = 5 * time.Second
	// MaxRingSize is the largest RING_HASH ring (Envoy's limit).
	MaxRingSize = 8 << 20
)

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
