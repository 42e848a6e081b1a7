package config

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestValidateClusterErrors: baseJSON with one thing wrong in its cluster,
// and the exact error.
func TestValidateClusterErrors(t *testing.T) {
	hc := func(s string) edit { return set(cl+"health_check", obj(t, s)) }
	tests := []struct {
		name         string
		edits        []edit
		want         string
		notSupported bool
	}{
		// type and lb_type
		{"unknown lb type", []edit{set(cl+"lb_type", "LB_MAGLEF")}, pC + `.lb_type: unknown load balancer "LB_MAGLEF" (did you mean "LB_MAGLEV"?)`, false},
		{"original dst lb on simple", []edit{set(cl+"lb_type", "LB_ORIGINAL_DST")}, pC + ".lb_type: LB_ORIGINAL_DST needs a cluster of type ORIGINAL_DST", false},
		{"original dst with hosts", []edit{set(cl+"type", "ORIGINAL_DST")}, pC + ".hosts: an ORIGINAL_DST cluster takes no hosts (each request brings its destination)", false},
		{"dynamic", []edit{set(cl+"type", "DYNAMIC")}, pC + `.type: cluster type "DYNAMIC" is not supported yet`, true},
		{"idle timeout negative", []edit{set(cl+"idle_timeout", "-1s")}, pC + ".idle_timeout: must not be negative, got -1s", false},

		// health_check
		{"hc protocol", []edit{hc(`{"service_name": "s", "protocol": "bolt"}`)}, pC + `.health_check.protocol: health check protocol "bolt" is not supported yet`, true},
		{"hc callbacks", []edit{hc(`{"service_name": "s", "common_callbacks": ["x"]}`)}, pC + ".health_check.common_callbacks: health check callbacks is not supported yet", true},
		{"hc zero interval", []edit{hc(`{"service_name": "s", "interval": "0s"}`)}, pC + ".health_check.interval: must be positive, got 0s", false},
		{"hc negative timeout", []edit{hc(`{"service_name": "s", "timeout": "-1s"}`)}, pC + ".health_check.timeout: must be positive, got -1s", false},
		{"hc negative jitter", []edit{hc(`{"service_name": "s", "interval_jitter": "-1s"}`)}, pC + ".health_check.interval_jitter: must not be negative, got -1s", false},
		{"hc two delays", []edit{hc(`{"service_name": "s", "initial_delay": "1s", "initial_delay_seconds": "2s"}`)}, pC + ".health_check.initial_delay: set initial_delay or initial_delay_seconds, not both", false},
		{"hc negative delay", []edit{hc(`{"service_name": "s", "initial_delay": "-1s"}`)}, pC + ".health_check.initial_delay: must not be negative, got -1s", false},
		{"hc bad duration", []edit{hc(`{"service_name": "s", "interval": 5}`)}, pC + `.health_check.interval: expected a duration string such as "30s", got number 5`, false},
		{"hc unknown field", []edit{hc(`{"service_name": "s", "intervall": "1s"}`)}, pC + ".health_check.intervall: unknown field", false},
		{"hc http port", []edit{hc(`{"service_name": "s", "check_config": {"http_check_config": {"port": 70000}}}`)}, pC + ".health_check.check_config.http_check_config.port: port 70000 is out of range (0–65535)", false},
		{"hc http path", []edit{hc(`{"service_name": "s", "check_config": {"http_check_config": {"path": "health"}}}`)}, pC + `.health_check.check_config.http_check_config.path: must start with "/", got "health"`, false},
		{"hc http status", []edit{hc(`{"service_name": "s", "check_config": {"http_check_config": {"expected_statuses": [200, 600]}}}`)}, pC + ".health_check.check_config.http_check_config.expected_statuses[1]: status 600 is not from 100 to 599", false},
		{"hc unknown check config", []edit{hc(`{"service_name": "s", "check_config": {"bolt": {}}}`)}, pC + ".health_check.check_config.bolt: unknown field", false},

		// lb_subset_config and metadata
		{"fallback name", []edit{set(cl+"lb_subset_config", obj(t, `{"fall_back_policy": "ANY_ENDPOINTS"}`))}, pC + `.lb_subset_config.fall_back_policy: unknown fall_back_policy "ANY_ENDPOINTS" (did you mean "ANY_ENDPOINT"?)`, false},
		{"fallback number", []edit{set(cl+"lb_subset_config", obj(t, `{"fall_back_policy": 3}`))}, pC + ".lb_subset_config.fall_back_policy: fall_back_policy 3 is not 0 (NO_FALLBACK), 1 (ANY_ENDPOINT) or 2 (DEFAULT_SUBSET)", false},
		{"empty selector", []edit{set(cl+"lb_subset_config", obj(t, `{"subset_selectors": [["a"], []]}`))}, pC + ".lb_subset_config.subset_selectors[1]: a selector needs at least one key", false},
		{"empty selector key", []edit{set(cl+"lb_subset_config", obj(t, `{"subset_selectors": [["a", ""]]}`))}, pC + ".lb_subset_config.subset_selectors[0][1]: empty key", false},
		{"metadata value", []edit{set(cl+"hosts.0.metadata", obj(t, `{"filter_metadata": {"mosn.lb": {"v": true}}}`))}, pC + `.hosts[0].metadata.filter_metadata["mosn.lb"].v: expected a string, got boolean true`, false},
		{"metadata unknown", []edit{set(cl+"hosts.0.metadata", obj(t, `{"labels": {}}`))}, pC + ".hosts[0].metadata.labels: unknown field", false},

		// lbconfig
		{"choice count", []edit{set(cl+"lbconfig", obj(t, `{"choice_count": 1}`))}, pC + ".lbconfig.choice_count: must be at least 2, got 1", false},
		{"negative bias", []edit{set(cl+"lbconfig", obj(t, `{"active_request_bias": -0.5}`))}, pC + ".lbconfig.active_request_bias: must not be negative, got -0.5", false},
		{"ring sizes", []edit{set(cl+"lbconfig", obj(t, `{"minimum_ring_size": 4096, "maximum_ring_size": 1024}`))}, pC + ".lbconfig.minimum_ring_size: 4096 is above maximum_ring_size 1024", false},
		{"ring too big", []edit{set(cl+"lbconfig", obj(t, `{"maximum_ring_size": 9000000}`))}, pC + ".lbconfig.maximum_ring_size: 9000000 is above the largest ring, 8388608", false},
		{"error bias", []edit{set(cl+"lbconfig", obj(t, `{"server_error_bias": 1}`))}, pC + ".lbconfig.server_error_bias: not supported yet", true},

		// STRICT_DNS
		{"dns family", []edit{set(cl+"type", "STRICT_DNS"), set(cl+"dns_lookup_family", "V4")}, pC + `.dns_lookup_family: unknown DNS lookup family "V4"`, false},
		{"dns refresh", []edit{set(cl+"type", "STRICT_DNS"), set(cl+"dns_refresh_rate", "0s")}, pC + ".dns_refresh_rate: must be positive, got 0s", false},
		{"dns server", []edit{set(cl+"type", "STRICT_DNS"), set(cl+"dns_resolvers", obj(t, `{"servers": ["dns.google"]}`))}, pC + `.dns_resolvers.servers[0]: expected an IP address or ip:port, got "dns.google"`, false},
		{"dns port", []edit{set(cl+"type", "STRICT_DNS"), set(cl+"dns_resolvers", obj(t, `{"servers": ["8.8.8.8"], "port": "x"}`))}, pC + `.dns_resolvers.port: port "x" is not a number from 1 to 65535`, false},
		{"dns search", []edit{set(cl+"type", "STRICT_DNS"), set(cl+"dns_resolvers", obj(t, `{"search": ["svc"]}`))}, pC + ".dns_resolvers.search: DNS search domains is not supported yet", true},
		{"dns file", []edit{set(cl+"type", "STRICT_DNS"), set(cl+"dns_resolver_file", "/nonexistent/resolv.conf")}, pC + ".dns_resolver_file: open /nonexistent/resolv.conf: no such file or directory", false},
		{"dns host without port on simple", []edit{set(cl+"hosts.0.address", "backend.local")}, pC + `.hosts[0].address: invalid address "backend.local": missing port in address`, false},

		// slow_start
		{"slow start lb", []edit{set(cl+"slow_start", obj(t, `{"slow_start_duration": "10s"}`))}, pC + `.slow_start: slow start with load balancer "LB_RANDOM" is not supported yet`, true},
		{"slow start duration", []edit{set(cl+"lb_type", "LB_ROUNDROBIN"), set(cl+"slow_start", obj(t, `{"aggression": 2}`))}, pC + ".slow_start.slow_start_duration: required", false},
		{"slow start mode", []edit{set(cl+"lb_type", "LB_ROUNDROBIN"), set(cl+"slow_start", obj(t, `{"mode": "requests", "slow_start_duration": "10s"}`))}, pC + `.slow_start.mode: unknown slow start mode "requests"`, false},
		{"slow start percent", []edit{set(cl+"lb_type", "LB_ROUNDROBIN"), set(cl+"slow_start", obj(t, `{"slow_start_duration": "10s", "min_weight_percent": 10}`))}, pC + ".slow_start.min_weight_percent: must be a fraction from 0 to 1 (0.1 is 10%), got 10", false},
		{"slow start aggression", []edit{set(cl+"lb_type", "LB_ROUNDROBIN"), set(cl+"slow_start", obj(t, `{"slow_start_duration": "10s", "aggression": -1}`))}, pC + ".slow_start.aggression: must not be negative, got -1", false},

		// outlier_detection
		{"outlier percent", []edit{set(cl+"outlier_detection", obj(t, `{"max_ejection_percent": 101}`))}, pC + ".outlier_detection.max_ejection_percent: 101 is above 100 (percent)", false},
		{"outlier interval", []edit{set(cl+"outlier_detection", obj(t, `{"interval": "0s"}`))}, pC + ".outlier_detection.interval: must be positive, got 0s", false},
		{"outlier success rate", []edit{set(cl+"outlier_detection", obj(t, `{"success_rate_minimum_hosts": 3}`))}, pC + ".outlier_detection.success_rate_minimum_hosts: not supported yet", true},
		{"outlier no uneject", []edit{set(cl+"outlier_detection", obj(t, `{"successful_active_health_check_uneject_host": false}`))}, pC + ".outlier_detection.successful_active_health_check_uneject_host: not supported yet", true},
		{"outlier unknown", []edit{set(cl+"outlier_detection", obj(t, `{"consecutive_500": 3}`))}, pC + ".outlier_detection.consecutive_500: unknown field", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := load(base(t, tt.edits...), "c.json", Builtins())
			if err == nil {
				t.Fatalf("loaded: %+v", c.ClusterManager.Clusters[0])
			}
			if got, want := err.Error(), "c.json: "+tt.want; got != want {
				t.Errorf("error:\n got %s\nwant %s", got, want)
			}
			if errors.Is(err, ErrNotSupported) != tt.notSupported {
				t.Errorf("errors.Is(err, ErrNotSupported) = %v, want %v", !tt.notSupported, tt.notSupported)
			}
		})
	}
}

// TestValidateClusterFeatures loads each supported feature, checks the
// defaults Validate fills in, and that a second Validate changes nothing.
func TestValidateClusterFeatures(t *testing.T) {
	resolvConf := filepath.Join(t.TempDir(), "resolv.conf")
	if err := os.WriteFile(resolvConf, []byte("# test\nnameserver 10.0.0.53\nnameserver fd00::53\nsearch svc\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f64 := func(f float64) *float64 { return &f }
	u32 := func(u uint32) *uint32 { return &u }
	d := func(s string) *Duration {
		v, err := time.ParseDuration(s)
		if err != nil {
			t.Fatal(err)
		}
		return &Duration{v}
	}
	tests := []struct {
		name     string
		edits    []edit
		check    func(c *ClusterConfig) any
		want     any
		warnings []string
	}{
		{
			name:  "health check defaults",
			edits: []edit{set(cl+"health_check", obj(t, `{"service_name": "s", "protocol": "Http1", "check_config": {"http_check_config": {"path": "/h"}}}`))},
			check: func(c *ClusterConfig) any {
				h := *c.HealthCheck
				h.CheckConfig = nil
				return h
			},
			want: HealthCheckConfig{Protocol: "Http1", ServiceName: "s", Timeout: d("1s"), Interval: d("15s"), IntervalJitter: d("0s"),
				InitialDelaySeconds: d("1s"), HealthyThreshold: 1, UnhealthyThreshold: 3},
		},
		{
			name:  "health check initial_delay alias",
			edits: []edit{set(cl+"health_check", obj(t, `{"service_name": "s", "initial_delay": "0s"}`))},
			check: func(c *ClusterConfig) any { return c.HealthCheck.InitialDelaySeconds },
			want:  d("0s"),
		},
		{
			name:     "health check without service name",
			edits:    []edit{set(cl+"health_check", obj(t, `{"interval": "1s"}`))},
			check:    func(c *ClusterConfig) any { return c.HealthCheck.Timeout },
			want:     (*Duration)(nil),
			warnings: []string{pC + ".health_check: ignored without service_name (MOSN checks only named services)"},
		},
		{
			name: "subset and metadata",
			edits: []edit{
				set(cl+"lb_subset_config", obj(t, `{"fall_back_policy": "DEFAULT_SUBSET", "default_subset": {"v": "1"}, "subset_selectors": [["v"]]}`)),
				set(cl+"hosts.0.metadata", obj(t, `{"filter_metadata": {"mosn.lb": {"v": "1"}, "other": {"n": 1}}}`)),
			},
			check: func(c *ClusterConfig) any { return []any{c.LBSubsetConfig.FallBackPolicy, c.Hosts[0].Metadata.LB} },
			want:  []any{DefaultSubset, map[string]string{"v": "1"}},
		},
		{
			name:  "subset fallback as MOSN's number",
			edits: []edit{set(cl+"lb_subset_config", obj(t, `{"fall_back_policy": 1, "subset_selectors": [["v"]]}`))},
			check: func(c *ClusterConfig) any { return c.LBSubsetConfig.FallBackPolicy },
			want:  AnyEndpoint,
		},
		{
			name:  "least request lbconfig",
			edits: []edit{set(cl+"lb_type", "LB_LEAST_REQUEST"), set(cl+"lbconfig", obj(t, `{"choice_count": 3, "active_request_bias": 0}`))},
			check: func(c *ClusterConfig) any { return *c.LbConfig },
			want:  LbConfig{ChoiceCount: 3, ActiveRequestBias: f64(0)},
		},
		{
			name:  "ring hash",
			edits: []edit{set(cl+"lb_type", "RING_HASH"), set(cl+"lbconfig", obj(t, `{"minimum_ring_size": 2048}`))},
			check: func(c *ClusterConfig) any { return []any{c.LbType, c.LbConfig.MinimumRingSize} },
			want:  []any{"RING_HASH", uint64(2048)},
		},
		{
			name: "strict dns",
			edits: []edit{set(cl+"type", "STRICT_DNS"), set(cl+"hosts.0.address", "backend.local"),
				set(cl+"dns_resolvers", obj(t, `{"servers": ["10.0.0.53", "10.0.0.54:5353"], "port": "53"}`))},
			check: func(c *ClusterConfig) any {
				return []any{c.DNSLookupFamily, c.DNSResolvers.Servers, c.Hosts[0].Address}
			},
			want: []any{"V4_ONLY", []string{"10.0.0.53:53", "10.0.0.54:5353"}, "backend.local"},
		},
		{
			name:  "strict dns resolver file",
			edits: []edit{set(cl+"type", "STRICT_DNS"), set(cl+"dns_resolver_file", resolvConf), set(cl+"dns_resolver_port", "5353")},
			check: func(c *ClusterConfig) any { return c.DNSResolvers.Servers },
			want:  []string{"10.0.0.53:5353", "[fd00::53]:5353"},
		},
		{
			name:     "dns settings on a static cluster",
			edits:    []edit{set(cl+"dns_refresh_rate", "1s")},
			check:    func(c *ClusterConfig) any { return c.Type },
			want:     "SIMPLE",
			warnings: []string{pC + ": dns settings ignored: the cluster's type is not STRICT_DNS"},
		},
		{
			name:  "original dst",
			edits: []edit{set(cl+"type", "ORIGINAL_DST"), del(cl + "lb_type"), set(cl+"hosts", obj(t, `[]`)), set(cl+"original_dst_lb_config", obj(t, `{"use_header": true}`))},
			check: func(c *ClusterConfig) any { return []any{c.LbType, *c.LBOriDstConfig} },
			want:  []any{"LB_ORIGINAL_DST", LBOriDstConfig{UseHeader: true}},
		},
		{
			name:     "original dst overrides lb_type",
			edits:    []edit{set(cl+"type", "ORIGINAL_DST"), set(cl+"hosts", obj(t, `[]`))},
			check:    func(c *ClusterConfig) any { return c.LbType },
			want:     "LB_ORIGINAL_DST",
			warnings: []string{pC + `.lb_type: "LB_RANDOM" replaced by LB_ORIGINAL_DST, which an ORIGINAL_DST cluster implies`},
		},
		{
			name:  "slow start",
			edits: []edit{set(cl+"lb_type", "LB_WEIGHTED_ROUNDROBIN"), set(cl+"slow_start", obj(t, `{"slow_start_duration": "30s"}`))},
			check: func(c *ClusterConfig) any { return *c.SlowStart },
			want:  SlowStartConfig{Mode: "duration", SlowStartDuration: d("30s"), Aggression: 1, MinWeightPercent: 0.1},
		},
		{
			name:  "outlier detection",
			edits: []edit{set(cl+"outlier_detection", obj(t, `{"consecutive_5xx": 3, "base_ejection_time": "10s", "enforcing_consecutive_gateway_failure": 100}`))},
			check: func(c *ClusterConfig) any { return *c.OutlierDetection },
			want:  OutlierDetectionConfig{Consecutive5xx: u32(3), BaseEjectionTime: d("10s"), EnforcingConsecutiveGatewayFailure: u32(100)},
		},
		{
			name:  "eds",
			edits: []edit{set(cl+"type", "EDS"), set(cl+"hosts", obj(t, `[]`))},
			check: func(c *ClusterConfig) any { return c.Type },
			want:  "EDS",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustLoad(t, base(t, tt.edits...), "c.json")
			if got := tt.check(&c.ClusterManager.Clusters[0]); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
			var warnings []string
			for _, w := range c.Warnings {
				if strings.HasPrefix(w, pC) {
					warnings = append(warnings, w)
				}
			}
			if !reflect.DeepEqual(warnings, tt.warnings) {
				t.Errorf("warnings %q, want %q", warnings, tt.warnings)
			}
			before := c.ClusterManager.Clusters[0]
			if err := c.Validate(); err != nil {
				t.Fatalf("second Validate: %v", err)
			}
			if !reflect.DeepEqual(before, c.ClusterManager.Clusters[0]) {
				t.Errorf("a second Validate changed the cluster:\n%+v\n%+v", before, c.ClusterManager.Clusters[0])
			}
			// Written back as JSON (the admin API's config dump, config
			// updates) it reads the same.
			data, err := json.Marshal(c)
			if err != nil {
				t.Fatal(err)
			}
			again := mustLoad(t, data, "again.json")
			if !reflect.DeepEqual(before, again.ClusterManager.Clusters[0]) {
				t.Errorf("not the same after a JSON round trip:\n%+v\n%+v\n%s", before, again.ClusterManager.Clusters[0], data)
			}
		})
	}
}
