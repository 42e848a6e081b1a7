package config

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"
)

const (
	lst   = "servers.0.listeners.0."
	flt   = lst + "filter_chains.0.filters.0."
	rt    = "servers.0.routers.0."
	vh    = rt + "virtual_hosts.0."
	route = vh + "routers.0."
	cl    = "cluster_manager.clusters.0."

	pL     = "servers[0].listeners[0]"
	pF     = pL + ".filter_chains[0].filters[0]"
	pR     = "servers[0].routers[0]"
	pV     = pR + ".virtual_hosts[0]"
	pRoute = pV + ".routers[0]"
	pC     = "cluster_manager.clusters[0]"
)

// TestValidateErrors: every case is baseJSON with one thing wrong, and the
// exact error Load would print. notSupported marks the refusals that must
// wrap ErrNotSupported (and only those).
func TestValidateErrors(t *testing.T) {
	secondListener := func() any {
		return obj(t, `{"name": "l2", "address": "127.0.0.1:2046", "bind_port": true,
			"filter_chains": [{"filters": [{"type": "proxy", "config": {"router_config_name": "r1"}}]}]}`)
	}
	tests := []struct {
		name         string
		edits        []edit
		want         string
		notSupported bool
	}{
		// process-wide
		{"no servers", []edit{set("servers", obj(t, `[]`))}, "servers: at least one server is required", false},
		{"two servers", []edit{set("servers.1", obj(t, `{}`))}, "servers[1]: more than one server is not supported yet", true},
		{"tracing", []edit{set("tracing", obj(t, `{"enable": true, "driver": "SOFATracer"}`))}, `tracing.driver: tracer "SOFATracer" is not supported yet`, true},
		{"unknown tracer", []edit{set("tracing", obj(t, `{"enable": true, "driver": "nope"}`))}, `tracing.driver: unknown tracer "nope" (registered: )`, false},
		{"tracer required", []edit{set("tracing", obj(t, `{"enable": true}`))}, `tracing.driver: required when tracing is enabled`, false},
		{"metrics sink without port", []edit{set("metrics", obj(t, `{"sinks": [{"type": "prometheus"}]}`))}, "metrics.sinks[0].config.port: a port from 1 to 65535 is required, got 0", false},
		{"metrics sink type", []edit{set("metrics", obj(t, `{"sinks": [{"type": "console"}]}`))}, `metrics.sinks[0].type: metrics sink "console" is not supported yet`, true},
		{"metrics sink field", []edit{set("metrics", obj(t, `{"sinks": [{"type": "prometheus", "config": {"prot": 1}}]}`))}, "metrics.sinks[0].config.prot: unknown field", false},
		{"metrics endpoint", []edit{set("metrics", obj(t, `{"sinks": [{"type": "prometheus", "config": {"port": 1, "endpoint": "m"}}]}`))}, `metrics.sinks[0].config.endpoint: must start with "/", got "m"`, false},
		{"metrics push", []edit{set("metrics", obj(t, `{"sinks": [{"type": "prometheus", "config": {"export_url": "http://x"}}]}`))}, "metrics.sinks[0].config.export_url: pushing to a Pushgateway is not supported yet", true},
		{"metrics shm", []edit{set("metrics", obj(t, `{"shm_zone": "metrics"}`))}, "metrics.shm_zone: keeping metrics in shared memory is not supported yet", true},
		{"metrics naming", []edit{set("metrics", obj(t, `{"naming": "Envoy"}`))}, `metrics.naming: unknown metrics naming "Envoy" (did you mean "envoy"?)`, false},
		{"metrics stats matcher", []edit{set("metrics", obj(t, `{"stats_matcher": {"reject_all": true}}`))}, "metrics.stats_matcher: not supported yet", true},
		{"istio reporter", []edit{set("metrics", obj(t, `{"istio": {"sidecar": true, "reporter": "client"}}`))}, `metrics.istio.reporter: unknown reporter "client"`, false},
		{"access log json and text", []edit{set(lst+"access_logs", obj(t, `[{"log_path": "stdout", "log_format": "%DURATION%", "json_format": {"d": "%DURATION%"}}]`))}, pL + ".access_logs[0].json_format: log_format and json_format are mutually exclusive", false},
		{"access log json", []edit{set(lst+"access_logs", obj(t, `[{"log_path": "stdout", "json_format": {"d": "%DURATON%"}}]`))}, pL + `.access_logs[0].json_format: json_format key "d": unknown variable "DURATON" in log_format`, false},
		{"pprof port", []edit{set("pprof", obj(t, `{"debug": true, "port_value": 70000}`))}, "pprof.port_value: must be 0-65535, got 70000", false},
		{"close_graceful", []edit{set("close_graceful", true)}, "close_graceful: not supported yet", true},
		{"third_part_codec", []edit{set("third_part_codec", obj(t, `{"codecs": [{"enable": true}]}`))}, "third_part_codec: loading codecs from plugins is not supported yet", true},
		{"named stream filter chains", []edit{set("stream_filters", obj(t, `[{"name": "x"}]`))}, "stream_filters: defining named stream filter chains is not supported yet", true},

		// server
		{"log level", []edit{set("servers.0.default_log_level", "VERBOSE")}, `servers[0].default_log_level: unknown log level "VERBOSE" (one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL)`, false},
		{"log roller", []edit{set("servers.0.global_log_roller", "size=big")}, `servers[0].global_log_roller: invalid log roller "size=big": size "big", want an integer >= 1 (megabytes)`, false},
		{"negative graceful timeout", []edit{set("servers.0.graceful_timeout", "-1s")}, "servers[0].graceful_timeout: must not be negative, got -1s", false},
		{"negative processor", []edit{set("servers.0.processor", -1)}, "servers[0].processor: must not be negative, got -1", false},
		{"negative park after", []edit{set("servers.0.netpoll_park_after", "-1s")}, "servers[0].netpoll_park_after: must not be negative, got -1s", false},

		// listener
		{"missing address", []edit{del(lst + "address")}, pL + ".address: required", false},
		{"address without port", []edit{set(lst+"address", "127.0.0.1")}, pL + `.address: invalid address "127.0.0.1": missing port in address`, false},
		{"address port out of range", []edit{set(lst+"address", "127.0.0.1:70000")}, pL + `.address: invalid address "127.0.0.1:70000": port "70000" is not a number from 0 to 65535`, false},
		{"udp with proxy", []edit{set(lst+"network", "udp")}, pF + `.type: a udp listener takes only the "udp_proxy" filter, got "proxy"`, false},
		{"unknown network", []edit{set(lst+"network", "tpc")}, pL + `.network: unknown network "tpc" (did you mean "tcp"?)`, false},
		{"duplicate listener name", []edit{set("servers.0.listeners.1", secondListener()), set("servers.0.listeners.1.name", "l1")}, `servers[0].listeners[1].name: duplicate listener name "l1" (first at servers[0].listeners[0])`, false},
		{"duplicate listener address", []edit{set("servers.0.listeners.1", secondListener()), set("servers.0.listeners.1.address", "127.0.0.1:2045")}, `servers[0].listeners[1].address: address "127.0.0.1:2045" is already used by servers[0].listeners[0]`, false},
		{"listener type", []edit{set(lst+"type", "ingress")}, pL + ".type: not supported yet", true},
		{"use_original_dst", []edit{set(lst+"use_original_dst", "nat")}, pL + `.use_original_dst: unknown mode "nat"`, false},
		{"listener filter", []edit{set(lst+"listener_filters", obj(t, `[{"type": "original_src"}]`))}, pL + `.listener_filters[0]: listener filter type "original_src" is not supported yet`, true},
		{"listener filter config", []edit{set(lst+"listener_filters", obj(t, `[{"type": "envoy.filters.listener.proxy_protocol", "config": {"allow": true}}]`))}, pL + `.listener_filters[0].config: unknown field "allow"`, false},
		{"original_dst mode", []edit{set(lst+"listener_filters", obj(t, `[{"type": "original_dst", "config": {"type": "x"}}]`))}, pL + `.listener_filters[0].config.type: unknown mode "x"`, false},
		{"no filter chain", []edit{set(lst+"filter_chains", obj(t, `[]`))}, pL + ".filter_chains: at least one filter chain is required", false},
		{"two filter chains", []edit{set(lst+"filter_chains.1", obj(t, `{"filters": []}`))}, pL + ".filter_chains[1].filters: at least one network filter is required", false},
		{"match port", []edit{set(lst+"filter_chains.0.filter_chain_match", obj(t, `{"destination_port": 70000}`))}, pL + ".filter_chains[0].filter_chain_match.destination_port: port 70000 is out of range (1–65535)", false},
		{"match prefix", []edit{set(lst+"filter_chains.0.filter_chain_match", obj(t, `{"prefix_ranges": [{"address_prefix": "10.0.0.0", "prefix_len": 33}]}`))}, pL + ".filter_chains[0].filter_chain_match.prefix_ranges[0]: prefix_len 33 is longer than the address (32 bits)", false},
		{"match server name", []edit{set(lst+"filter_chains.0.filter_chain_match", obj(t, `{"server_names": ["a.*.com"]}`))}, pL + `.filter_chains[0].filter_chain_match.server_names[0]: invalid server name "a.*.com" (a name or a "*." wildcard)`, false},
		{"match transport", []edit{set(lst+"filter_chains.0.filter_chain_match", obj(t, `{"transport_protocol": "tcp"}`))}, pL + `.filter_chains[0].filter_chain_match.transport_protocol: unknown transport protocol "tcp"`, false},
		{"tls without key", []edit{set(lst+"filter_chains.0.tls_context", obj(t, `{"status": true, "cert_chain": "c.pem"}`))}, pL + ".filter_chains[0].tls_context.private_key: required with cert_chain", false},
		{"tls set status", []edit{set(lst+"filter_chains.0.tls_context_set", obj(t, `[{"status": false}, {"status": true}]`))}, pL + ".filter_chains[0].tls_context_set[1].status: all contexts of a set must have the same status", false},
		{"tls set version", []edit{set(lst+"filter_chains.0.tls_context_set", obj(t, `[{"status": true, "cert_chain": "a", "private_key": "b"}, {"status": true, "cert_chain": "a", "private_key": "b", "min_version": "SSLv3"}]`))}, pL + `.filter_chains[0].tls_context_set[1].min_version: unknown TLS version "SSLv3" (want TLS1.0, TLS1.1, TLS1.2, TLS1.3 or TLS_AUTO)`, false},
		{"tls both", []edit{set(lst+"filter_chains.0.tls_context", obj(t, `{"status": true}`)), set(lst+"filter_chains.0.tls_context_set", obj(t, `[{"status": true}]`))}, pL + ".filter_chains[0].tls_context_set: tls_context and tls_context_set are mutually exclusive", false},
		{"tls gm", []edit{set(lst+"filter_chains.0.tls_context", obj(t, `{"status": true, "type": "gm"}`))}, pL + `.filter_chains[0].tls_context.type: TLS provider type "gm" is not supported yet (built in: "default")`, true},
		{"tls unknown field", []edit{set(lst+"filter_chains.0.tls_context", obj(t, `{"status": true, "cert": "x"}`))}, pL + ".filter_chains[0].tls_context.cert: unknown field", false},
		{"filter chain match", []edit{set(lst+"filter_chains.0.match", "x")}, pL + ".filter_chains[0].match: MOSN's filter chain match string (use filter_chain_match) is not supported yet", true},
		{"no filters", []edit{set(lst+"filter_chains.0.filters", obj(t, `[]`))}, pL + ".filter_chains[0].filters: at least one network filter is required", false},
		{"filter without type", []edit{del(flt + "type")}, pF + ".type: required", false},
		{"tcp_proxy with proxy config", []edit{set(flt+"type", "tcp_proxy")}, pF + ".config.downstream_protocol: unknown field", false},
		{"stream filter", []edit{set(lst+"stream_filters", obj(t, `[{"type": "fault", "config": {}}]`))}, pL + `.stream_filters[0]: stream filter type "fault" is not supported yet`, true},
		{"access log without path", []edit{set(lst+"access_logs", obj(t, `[{"log_format": "%start_time%"}]`))}, pL + ".access_logs[0].log_path: required", false},
		{"negative idle timeout", []edit{set(lst+"connection_idle_timeout", "-5s")}, pL + ".connection_idle_timeout: must not be negative, got -5s", false},

		// proxy filter
		{"proxy unknown field", []edit{set(flt+"config.downstream_protocl", "Http1")}, pF + ".config.downstream_protocl: unknown field", false},
		{"proxy field type", []edit{set(flt+"config.router_config_name", 1)}, pF + ".config.router_config_name: expected a string, got number 1", false},
		{"http3 downstream", []edit{set(flt+"config.downstream_protocol", "Http3")}, pF + `.config.downstream_protocol: protocol "Http3" is not supported yet`, true},
		{"http2 stream window", []edit{set(flt+"config.http2_protocol_options", obj(t, `{"initial_stream_window_size": 100}`))}, pF + `.config.http2_protocol_options.initial_stream_window_size: must be between 65535 and 2147483647, got 100`, false},
		{"http2 connection window", []edit{set(flt+"config.http2_protocol_options", obj(t, `{"initial_connection_window_size": 4294967295}`))}, pF + `.config.http2_protocol_options.initial_connection_window_size: must be between 65535 and 2147483647, got 4294967295`, false},
		{"http2 streams", []edit{set(flt+"config.http2_protocol_options", obj(t, `{"max_concurrent_streams": 4294967295}`))}, pF + `.config.http2_protocol_options.max_concurrent_streams: at most 2147483647, got 4294967295`, false},
		{"http2 unknown field", []edit{set(flt+"config.http2_protocol_options", obj(t, `{"max_streams": 1}`))}, pF + `.config.http2_protocol_options.max_streams: unknown field`, false},
		{"protocol list", []edit{set(flt+"config.downstream_protocol", "bolt,Http1")}, pF + `.config.downstream_protocol: a list of protocols ("bolt,Http1") is not supported yet`, true},
		{"protocol case", []edit{set(flt+"config.downstream_protocol", "http1")}, pF + `.config.downstream_protocol: unknown protocol "http1" (did you mean "Http1"?)`, false},
		{"http3 upstream", []edit{set(flt+"config.upstream_protocol", "Http3")}, pF + `.config.upstream_protocol: protocol "Http3" is not supported yet`, true},
		{"http2 keepalive", []edit{set(flt+"config.http2_protocol_options", obj(t, `{"connection_keepalive": {"interval": "0s"}}`))}, pF + `.config.http2_protocol_options.connection_keepalive.interval: must be positive, got 0s`, false},
		{"missing router name", []edit{del(flt + "config.router_config_name")}, pF + ".config.router_config_name: required", false},
		{"unknown router", []edit{set(flt+"config.router_config_name", "other")}, pF + `.config.router_config_name: unknown router "other"`, false},
		{"unknown router suggestion", []edit{set(flt+"config.router_config_name", "r2")}, pF + `.config.router_config_name: unknown router "r2" (did you mean "r1"?)`, false},
		{"extend_config", []edit{set(flt+"config.extend_config", obj(t, `{"sub_protocol": "bolt"}`))}, pF + ".config.extend_config: not supported yet", true},

		// routes
		{"router without name", []edit{del(rt + "router_config_name")}, pR + ".router_config_name: required", false},
		{"duplicate router", []edit{set("servers.0.routers.1", obj(t, `{"router_config_name": "r1", "virtual_hosts": []}`))}, `servers[0].routers[1].router_config_name: duplicate router name "r1" (first at servers[0].routers[0])`, false},
		{"no virtual hosts", []edit{set(rt+"virtual_hosts", obj(t, `[]`))}, pR + ".virtual_hosts: at least one virtual host is required", false},
		{"no domains", []edit{set(vh+"domains", obj(t, `[]`))}, pV + ".domains: at least one domain is required", false},
		{"duplicate domain", []edit{set(rt+"virtual_hosts.1", obj(t, `{"domains": ["*"], "routers": [{"direct_response": {"status": 204}}]}`))}, pR + `.virtual_hosts[1].domains[0]: duplicate domain "*" (first in servers[0].routers[0].virtual_hosts[0])`, false},
		{"duplicate domain ignoring case", []edit{set(vh+"domains", obj(t, `["a.example", "A.Example"]`))}, pV + `.domains[1]: duplicate domain "A.Example" (first in servers[0].routers[0].virtual_hosts[0])`, false},
		{"bad wildcard", []edit{set(vh+"domains", obj(t, `["api.*.example"]`))}, pV + `.domains[0]: invalid domain "api.*.example": a wildcard is only allowed as the first or the last character`, false},
		{"no routes", []edit{set(vh+"routers", obj(t, `[]`))}, pV + ".routers: at least one route is required", false},
		{"unknown cluster", []edit{set(route+"route.cluster_name", "x")}, pRoute + `.route.cluster_name: unknown cluster "x"`, false},
		{"no action", []edit{set(route+"route", obj(t, `{}`))}, pRoute + ": one of route, redirect and direct_response is required", false},
		{"two actions", []edit{set(route+"direct_response", obj(t, `{"status": 200}`))}, pRoute + ": route, redirect and direct_response are mutually exclusive, got route and direct_response", false},
		{"status too high", []edit{set(route+"route", obj(t, `{}`)), set(route+"direct_response", obj(t, `{"status": 700}`))}, pRoute + ".direct_response.status: status 700 is not from 100 to 599", false},
		{"status missing", []edit{set(route+"route", obj(t, `{}`)), set(route+"direct_response", obj(t, `{"body": "x"}`))}, pRoute + ".direct_response.status: status 0 is not from 100 to 599", false},
		{"prefix and path", []edit{set(route+"match.path", "/a")}, pRoute + ".match: prefix and path are mutually exclusive", false},
		{"relative prefix", []edit{set(route+"match.prefix", "api")}, pRoute + `.match.prefix: must start with "/", got "api"`, false},
		{"variable both", []edit{set(route+"match.variables", obj(t, `[{"name": "service", "value": "x", "regex": "x"}]`))}, pRoute + ".match.variables[0]: value and regex are mutually exclusive", false},
		{"variable model", []edit{set(route+"match.variables", obj(t, `[{"name": "service", "model": "xor"}]`))}, pRoute + `.match.variables[0].model: unknown model "xor" (and, or)`, false},
		{"variable name", []edit{set(route+"match.variables", obj(t, `[{"value": "x"}]`))}, pRoute + ".match.variables[0].name: required", false},
		{"regex match", []edit{del(route + "match.prefix"), set(route+"match.regex", "(")}, pRoute + ".match.regex: invalid regular expression \"(\": missing closing ): `(`", false},
		{"mirror unknown cluster", []edit{set(route+"request_mirror_policies", obj(t, `{"cluster": "c2"}`))}, pRoute + `.request_mirror_policies.cluster: unknown cluster "c2" (did you mean "c1"?)`, false},
		{"mirror percent", []edit{set(route+"request_mirror_policies", obj(t, `{"cluster": "c1", "percent": 101}`))}, pRoute + `.request_mirror_policies.percent: 101 is above 100`, false},
		{"mirror trace sampled", []edit{set(route+"request_mirror_policies", obj(t, `{"cluster": "c1", "trace_sampled": true}`))}, pRoute + `.request_mirror_policies.trace_sampled: not supported yet`, true},
		{"negative route timeout", []edit{set(route+"route.timeout", "-1s")}, pRoute + ".route.timeout: must not be negative, got -1s", false},

		// clusters
		{"cluster without name", []edit{del(cl + "name")}, pC + ".name: required", false},
		{"duplicate cluster", []edit{set("cluster_manager.clusters.1", obj(t, `{"name": "c1"}`))}, `cluster_manager.clusters[1].name: duplicate cluster name "c1" (first at cluster_manager.clusters[0])`, false},
		{"dynamic cluster", []edit{set(cl+"type", "DYNAMIC")}, pC + `.type: cluster type "DYNAMIC" is not supported yet`, true},
		{"unknown cluster type", []edit{set(cl+"type", "SIMPEL")}, pC + `.type: unknown cluster type "SIMPEL" (did you mean "SIMPLE"?)`, false},
		{"original dst lb", []edit{set(cl+"lb_type", "LB_ORIGINAL_DST")}, pC + ".lb_type: LB_ORIGINAL_DST needs a cluster of type ORIGINAL_DST", false},
		{"unknown lb", []edit{set(cl+"lb_type", "ROUND_ROBIN")}, pC + `.lb_type: unknown load balancer "ROUND_ROBIN"`, false},
		{"health check protocol", []edit{set(cl+"health_check", obj(t, `{"service_name": "c1", "protocol": "bolt"}`))}, pC + `.health_check.protocol: health check protocol "bolt" is not supported yet`, true},
		{"cluster tls curves", []edit{set(cl+"tls_context", obj(t, `{"status": true, "ecdh_curves": "p256:p111"}`))}, pC + `.tls_context.ecdh_curves: unknown curve "p111" (want x25519, p256, p384, p521 or x25519mlkem768)`, false},
		{"cluster tls sds", []edit{set(cl+"tls_context", obj(t, `{"status": true, "sds_source": {"validation_config": {"name": ""}}}`))}, pC + ".tls_context.sds_source.validation_config.name: required", false},
		{"zero connect timeout", []edit{set(cl+"connect_timeout", "0s")}, pC + ".connect_timeout: must be positive, got 0s", false},
		{"two thresholds", []edit{set(cl+"circuit_breakers", obj(t, `[{}, {}]`))}, pC + ".circuit_breakers[1]: more than one circuit breaker threshold is not supported yet", true},
		{"host without address", []edit{del(cl + "hosts.0.address")}, pC + ".hosts[0].address: required", false},
		{"host without port", []edit{set(cl+"hosts.0.address", "127.0.0.1")}, pC + `.hosts[0].address: invalid address "127.0.0.1": missing port in address`, false},
		{"host port 0", []edit{set(cl+"hosts.0.address", "127.0.0.1:0")}, pC + `.hosts[0].address: invalid address "127.0.0.1:0": port "0" is not a number from 1 to 65535`, false},
		{"weight too high", []edit{set(cl+"hosts.0.weight", 200)}, pC + ".hosts[0].weight: weight 200 is above the maximum 128", false},
		{"host metadata", []edit{set(cl+"hosts.0.metadata", obj(t, `{"filter_metadata": {"mosn.lb": {"v": 1}}}`))}, pC + `.hosts[0].metadata.filter_metadata["mosn.lb"].v: expected a string, got number 1`, false},

		// admin
		{"admin address with port", []edit{set("admin.address.socket_address.address", "127.0.0.1:1")}, `admin.address.socket_address.address: expected an IP address or host name without a port, got "127.0.0.1:1"`, false},
		{"admin port", []edit{set("admin.address.socket_address.port_value", 70000)}, "admin.address.socket_address.port_value: port 70000 is out of range (0–65535)", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := load(base(t, tt.edits...), "c.json", Builtins())
			if err == nil {
				t.Fatalf("loaded: %+v", c)
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

func TestValidateWithKnown(t *testing.T) {
	data := base(t, set(lst+"stream_filters", obj(t, `[{"type": "fault", "config": {"delay_percent": 100}}]`)))
	known := Builtins()
	known.StreamFilters["fault"] = true
	if _, err := load(data, "c.json", known); err != nil {
		t.Fatalf("with fault known: %v", err)
	}
	if _, err := load(data, "c.json", Known{}); err == nil ||
		err.Error() != `c.json: `+pF+`: filter type "proxy" is not supported yet` {
		t.Fatalf("with nothing known: %v", err)
	}
}

// TestValidateDefaults checks the values Validate fills in, and that a
// second Validate changes nothing.
func TestValidateDefaults(t *testing.T) {
	c := mustLoad(t, base(t,
		del(flt+"config.downstream_protocol"),
		del(cl+"type"), del(cl+"lb_type"),
		del(lst+"name"),
		set("servers.0.default_log_level", "debug"),
	), "c.json")
	s := c.Servers[0]
	l := s.Listeners[0]
	p := l.FilterChains[0].Filters[0].Proxy
	cluster := c.ClusterManager.Clusters[0]
	checks := []struct {
		name      string
		got, want any
	}{
		{"log level", s.DefaultLogLevel, "DEBUG"},
		{"graceful timeout", s.GracefulTimeout.Duration, 30 * time.Second},
		{"listener name", l.Name, "127.0.0.1:2045"},
		{"network", l.Network, "tcp"},
		{"idle timeout", l.ConnectionIdleTimeout.Duration, 90 * time.Second},
		{"downstream protocol", p.DownstreamProtocol, "Auto"},
		{"upstream protocol", p.UpstreamProtocol, "Http1"},
		{"router name", p.RouterConfigName, "r1"},
		{"route timeout", s.Routers[0].VirtualHosts[0].Routers[0].Route.Timeout.Duration, 60 * time.Second},
		{"cluster type", cluster.Type, "SIMPLE"},
		{"lb type", cluster.LbType, "LB_ROUNDROBIN"},
		{"connect timeout", cluster.ConnectTimeout.Duration, 10 * time.Second},
		{"max requests per conn", cluster.MaxRequestPerConn, uint32(1024)},
		{"conn buffer limit", cluster.ConnBufferLimitBytes, uint32(16384)},
		{"circuit breakers", cluster.CircuitBreakers.Thresholds, []Thresholds{{10240, 10240, 10240, 3}}},
		{"weight", cluster.Hosts[0].Weight, uint32(1)},
		{"admin addr", c.Admin.Addr(), "127.0.0.1:34901"},
	}
	for _, ck := range checks {
		if !equal(ck.got, ck.want) {
			t.Errorf("%s = %v, want %v", ck.name, ck.got, ck.want)
		}
	}
	before, _ := json.Marshal(c)
	if err := c.Validate(); err != nil {
		t.Fatalf("second Validate: %v", err)
	}
	if after, _ := json.Marshal(c); string(after) != string(before) {
		t.Errorf("second Validate changed the configuration:\n%s\n%s", before, after)
	}
}

func TestValidateKeepsExplicitValues(t *testing.T) {
	c := mustLoad(t, base(t,
		set(lst+"connection_idle_timeout", "0s"),
		set(cl+"circuit_breakers", obj(t, `[{"max_connections": 5}]`)),
		set(cl+"hosts.0.weight", 128),
		set(cl+"max_request_per_conn", 7),
		set("servers.0.graceful_timeout", "1m30s"),
	), "c.json")
	if d := c.Servers[0].Listeners[0].ConnectionIdleTimeout.Duration; d != 0 {
		t.Errorf("idle timeout = %v, want 0 (never)", d)
	}
	if th := c.ClusterManager.Clusters[0].CircuitBreakers.Thresholds[0]; th != (Thresholds{5, 10240, 10240, 3}) {
		t.Errorf("thresholds = %+v", th)
	}
	if w := c.ClusterManager.Clusters[0].Hosts[0].Weight; w != 128 {
		t.Errorf("weight = %d", w)
	}
	if n := c.ClusterManager.Clusters[0].MaxRequestPerConn; n != 7 {
		t.Errorf("max_request_per_conn = %d", n)
	}
	if d := c.Servers[0].GracefulTimeout.Duration; d != 90*time.Second {
		t.Errorf("graceful timeout = %v", d)
	}
}

func TestValidateCodeBuiltConfig(t *testing.T) {
	// A configuration built in code (as the xDS adapter will) goes through
	// the same checks, including filter configs that are not objects.
	c := &MOSNConfig{
		Servers: []ServerConfig{{
			Listeners: []ListenerConfig{{
				Address: "127.0.0.1:0", BindPort: true,
				FilterChains: []FilterChainConfig{{Filters: []FilterConfig{{Type: "proxy", Config: []byte(`[1]`)}}}},
			}},
		}},
	}
	err := c.Validate()
	if err == nil || err.Error() != pF+".config: expected an object, got array" {
		t.Fatalf("err = %v", err)
	}
}

func equal(a, b any) bool { return reflect.DeepEqual(a, b) }
