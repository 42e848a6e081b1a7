package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseGood(t *testing.T) {
	tests := []struct {
		name string
		file string
		data string
	}{
		{"json", "c.json", baseJSON},
		{"yaml", "c.yaml", baseYAML},
		{"yml extension", "c.YML", baseYAML},
		{"no extension is JSON", "config", baseJSON},
		{"byte order mark", "c.json", "\xef\xbb\xbf" + baseJSON},
	}
	want := mustLoad(t, []byte(baseJSON), "want.json")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustLoad(t, []byte(tt.data), tt.file)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s decodes differently from baseJSON:\n got %+v\nwant %+v", tt.file, got, want)
			}
		})
	}
}

func mustLoad(t *testing.T, data []byte, name string) *MOSNConfig {
	t.Helper()
	c, err := load(data, name, Builtins())
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return c
}

// TestParseYAMLFeatures covers what YAML adds over JSON: anchors, aliases,
// merge keys, and implicit typing.
func TestParseYAMLFeatures(t *testing.T) {
	const doc = `
x-host: &host {address: "127.0.0.1:8080", weight: 3}
` // x-host is not a MOSN field: used below only to prove unknown keys fail.
	if _, err := Parse([]byte(doc), "c.yaml"); err == nil || err.Error() != "c.yaml: x-host: unknown field" {
		t.Fatalf("err = %v", err)
	}

	yamlDoc := strings.Replace(baseYAML, `    - name: c1
      type: SIMPLE
      lb_type: LB_RANDOM
      hosts:
        - address: 127.0.0.1:8080`, `    - &c name: c1
      type: SIMPLE
      lb_type: LB_RANDOM
      connect_timeout: 1m30s
      max_request_per_conn: 1_000
      hosts:
        - &h {address: "127.0.0.1:8080", weight: 0x10}
        - <<: *h
          address: 127.0.0.1:8081`, 1)
	c := mustLoad(t, []byte(yamlDoc), "c.yaml")
	hosts := c.ClusterManager.Clusters[0].Hosts
	if len(hosts) != 2 || hosts[0].Weight != 16 || hosts[1].Weight != 16 || hosts[1].Address != "127.0.0.1:8081" {
		t.Errorf("hosts = %+v", hosts)
	}
	if got := c.ClusterManager.Clusters[0].ConnectTimeout.Duration; got != 90*time.Second {
		t.Errorf("connect_timeout = %v", got)
	}
	if got := c.ClusterManager.Clusters[0].MaxRequestPerConn; got != 1000 {
		t.Errorf("max_request_per_conn = %v", got)
	}
}

func TestParseWarnings(t *testing.T) {
	data := base(t,
		set("servers.0.listeners.0.log_path", "/tmp/x.log"),
		del("cluster_manager.clusters.0.name"),
		set("cluster_manager.clusters.0.Name", "c1"),
		del(flt+"config.router_config_name"),
		set(flt+"config.Router_Config_Name", "r1"),
	)
	c := mustLoad(t, data, "c.json")
	if err := c.Validate(); err != nil { // again: warnings are not repeated
		t.Fatal(err)
	}
	want := []string{
		`cluster_manager.clusters[0].Name: matched field "name" ignoring case; write it as "name"`,
		`servers[0].listeners[0].log_path: ignored: per-listener error logs were removed from MOSN; use the server's default_log_path`,
		pF + `.config.Router_Config_Name: matched field "router_config_name" ignoring case; write it as "router_config_name"`,
	}
	if !reflect.DeepEqual(c.Warnings, want) {
		t.Errorf("warnings:\n got %q\nwant %q", c.Warnings, want)
	}
}

// aliasBomb is "a billion laughs": nine levels of nine aliases.
const aliasBomb = `a: &a [1,2,3,4,5,6,7,8,9]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
`

// TestParseErrors checks decoding errors: syntax, unknown fields, types.
// Each error names the field's full path.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		file string
		data string
		want string
	}{
		{"empty", "c.json", "  \n", "c.json: empty configuration"},
		{"empty yaml", "c.yaml", "# nothing\n", "c.yaml: empty configuration"},
		{"null", "c.json", "null", "c.json: empty configuration"},
		{"top-level list", "c.json", "[]", "c.json: expected an object at the top level, got array"},
		{"top-level string", "c.yaml", "hello", `c.yaml: expected an object at the top level, got string "hello"`},
		{"syntax", "c.json", "{\n  \"servers\": [}", "c.json: invalid JSON at line 2, column 15: invalid character '}' looking for beginning of value"},
		{"truncated", "c.json", `{"servers": [`, "c.json: invalid JSON at line 1, column 14: unexpected end of input"},
		{"trailing data", "c.json", `{} {}`, "c.json: invalid JSON at line 1, column 4: unexpected data after the top-level value"},
		{"duplicate key", "c.json", `{"servers": [], "admin": null, "servers": []}`, "c.json: servers: duplicate field"},
		{"nested duplicate key", "c.json", `{"servers": [{"listeners": [], "listeners": []}]}`, "c.json: servers[0].listeners: duplicate field"},
		{"yaml duplicate key", "c.yaml", "servers: []\nservers: []\n", "c.yaml: servers: duplicate field"},
		{"yaml syntax", "c.yaml", "servers: [\n", "c.yaml: invalid YAML: line 1: did not find expected node content"},
		{"unknown top-level field", "c.json", `{"tracer": {}}`, "c.json: tracer: unknown field"},
		{"unknown field yaml", "c.yaml", "servers:\n  - listeners:\n      - bind_prot: true\n", "c.yaml: servers[0].listeners[0].bind_prot: unknown field"},
		{"odd key is bracketed", "c.json", `{"servers": [{"my key": 1}]}`, `c.json: servers[0]["my key"]: unknown field`},
		{"list expected", "c.json", `{"servers": {}}`, "c.json: servers: expected a list, got object"},
		{"object expected", "c.json", `{"cluster_manager": []}`, "c.json: cluster_manager: expected an object, got array"},
		{"string expected", "c.json", `{"servers": [{"default_log_path": 1}]}`, "c.json: servers[0].default_log_path: expected a string, got number 1"},
		{"bool expected", "c.json", `{"servers": [{"listeners": [{"bind_port": "true"}]}]}`, `c.json: servers[0].listeners[0].bind_port: expected a boolean, got string "true"`},
		{"negative uint", "c.json", `{"cluster_manager": {"clusters": [{"hosts": [{"weight": -1}]}]}}`, "c.json: cluster_manager.clusters[0].hosts[0].weight: expected a non-negative integer, got number -1"},
		{"fraction", "c.json", `{"cluster_manager": {"clusters": [{"max_request_per_conn": 1.5}]}}`, "c.json: cluster_manager.clusters[0].max_request_per_conn: expected a non-negative integer, got number 1.5"},
		{"uint overflow", "c.json", `{"cluster_manager": {"clusters": [{"hosts": [{"weight": 5000000000}]}]}}`, "c.json: cluster_manager.clusters[0].hosts[0].weight: integer 5000000000 is out of range (maximum 4294967295)"},
		{"bad duration", "c.json", `{"servers": [{"graceful_timeout": "5 s"}]}`, `c.json: servers[0].graceful_timeout: invalid duration "5 s"`},
		{"bad duration yaml", "c.yaml", "servers:\n  - graceful_timeout: 5 s\n", `c.yaml: servers[0].graceful_timeout: invalid duration "5 s"`},
		{"number duration", "c.json", `{"servers": [{"graceful_timeout": 30}]}`, `c.json: servers[0].graceful_timeout: expected a duration string such as "30s", got number 30`},
		{"bad processor", "c.json", `{"servers": [{"processor": "many"}]}`, `c.json: servers[0].processor: expected a number of processors or "auto", got string "many"`},
		{"circuit breakers as object", "c.json", `{"cluster_manager": {"clusters": [{"circuit_breakers": {"thresholds": []}}]}}`, "c.json: cluster_manager.clusters[0].circuit_breakers: expected a list of thresholds, got object"},
		{"unknown threshold field", "c.json", `{"cluster_manager": {"clusters": [{"circuit_breakers": [{"priority": "HIGH"}]}]}}`, "c.json: cluster_manager.clusters[0].circuit_breakers[0].priority: unknown field"},
		{"filter config must be an object", "c.json", `{"servers": [{"listeners": [{"filter_chains": [{"filters": [{"type": "proxy", "config": []}]}]}]}]}`, "c.json: servers[0].listeners[0].filter_chains[0].filters[0].config: expected an object, got array"},
		{"same field twice by case", "c.json", `{"cluster_manager": {"clusters": [{"name": "a", "Name": "b"}]}}`, `c.json: cluster_manager.clusters[0].Name: duplicate field ("name" is already set)`},
		{"use_original_dst type", "c.json", `{"servers": [{"listeners": [{"use_original_dst": 1}]}]}`, "c.json: servers[0].listeners[0].use_original_dst: expected a boolean or a string, got number 1"},
		{"xds bootstrap", "c.json", `{"static_resources": {"clusters": [{"name": "xds"}]}, "node": {"id": "x"}}`, "c.json: static_resources: xDS is not supported yet"},
		{"alias bomb", "c.yaml", aliasBomb, "c.yaml: invalid YAML: aliases expand to more than 65536 values"},
		{"too deep", "c.json", strings.Repeat("[", 100) + strings.Repeat("]", 100), "c.json: invalid JSON at line 1, column 66: document nests deeper than 64 levels"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(tt.data), tt.file)
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", c)
			}
			if err.Error() != tt.want {
				t.Errorf("error:\n got %s\nwant %s", err, tt.want)
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Errorf("error %T does not wrap *FieldError", err)
			}
		})
	}
}

func TestParseErrorKinds(t *testing.T) {
	_, err := Parse([]byte(`{"servers": [{"bogus": 1}]}`), "c.json")
	if !errors.Is(err, ErrUnknownField) {
		t.Errorf("unknown field error %v does not wrap ErrUnknownField", err)
	}
	_, err = Parse([]byte(`{"dynamic_resources": {"ads_config": {"api_type": "GRPC"}}}`), "c.json")
	if !errors.Is(err, ErrNotSupported) {
		t.Errorf("xDS error %v does not wrap ErrNotSupported", err)
	}
	_, err = Parse([]byte(`{"servers": [{"graceful_timeout": "5 s"}]}`), "c.json")
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Path != "servers[0].graceful_timeout" || fe.Err == nil {
		t.Errorf("duration error %#v: want a FieldError with path and cause", fe)
	}
}

// TestParseZeroValuedUnsupported: MOSN blocks that set nothing are
// accepted, so configurations carrying them switched off still load.
func TestParseZeroValuedUnsupported(t *testing.T) {
	data := base(t,
		set("tracing", obj(t, `{"enable": false, "driver": "SOFATracer"}`)),
		set("pprof", obj(t, `{"debug": false, "port_value": 34902}`)),
		set("metrics", obj(t, `{"sinks": [], "stats_matcher": {"reject_all": false}}`)),
		set("servers.0.listeners.0.use_original_dst", false),
		set("servers.0.listeners.0.connection_idle_timeout", 0),
		set("servers.0.listeners.0.filter_chains.0.tls_context", obj(t, `{"status": false, "ca_cert": "ca.pem"}`)),
		set("cluster_manager.clusters.0.health_check", obj(t, `{}`)),
		set("servers.0.processor", "auto"),
	)
	c := mustLoad(t, data, "c.json")
	if l := c.Servers[0].Listeners[0]; l.UseOriginalDst != "" || l.ConnectionIdleTimeout.Duration != 0 {
		t.Errorf("listener = %+v", l)
	}
}

func TestParseProcessor(t *testing.T) {
	for in, want := range map[any]int{"auto": 0, "AUTO": 0, "4": 4, float64(8): 8} {
		c := mustLoad(t, base(t, set("servers.0.processor", in)), "c.json")
		if got := c.Servers[0].Processor; got != want {
			t.Errorf("processor %v = %d, want %d", in, got, want)
		}
	}
}
