package config

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// compatDir holds MOSN's own example configurations, unmodified.
const compatDir = "../testdata/mosn-configs"

// compatDoc is the human-readable copy of compatTable.
const compatDoc = "../../docs/compatibility.md"

// compatTable says, for every file in compatDir, whether this binary loads
// it ("loads") or the exact error Load gives after "<path>: ". Every refusal
// must be a not-supported-yet refusal: a MOSN example is never "wrong".
// When a feature lands, its rows turn into "loads" here and in
// docs/compatibility.md.
var compatTable = map[string]string{
	"dsl-sample__config.json":                               `servers[0].listeners[0].stream_filters[0]: stream filter type "dsl" is not supported yet`,
	"dubbo__client_config.json":                             `tracing.driver: tracer "SOFATracer" is not supported yet`,
	"dubbo__server_config.json":                             `tracing.driver: tracer "SOFATracer" is not supported yet`,
	"filter__ipaccess__config.json":                         `servers[0].listeners[0].stream_filters[0]: stream filter type "ip_access" is not supported yet`,
	"filter__jwtauthn__config.json":                         `servers[0].listeners[0].stream_filters[0]: stream filter type "jwt_authn" is not supported yet`,
	"flowcontrol-sample__client_config.json":                "loads",
	"flowcontrol-sample__server_config.json":                `servers[0].listeners[0].stream_filters[0]: stream filter type "flowControlFilter" is not supported yet`,
	"flowcontrol-sample__tls_client_config.json":            "loads",
	"flowcontrol-sample__tls_server_config.json":            `servers[0].listeners[0].stream_filters[0]: stream filter type "flowControlFilter" is not supported yet`,
	"http-sample__client_config.json":                       "loads",
	"http-sample__server_config.json":                       "loads",
	"http-sample__tls_client_config.json":                   "loads",
	"http-sample__tls_server_config.json":                   "loads",
	"mosn-extensions__simple_streamfilter__config.json":     `servers[0].listeners[0].stream_filters[0]: stream filter type "demo" is not supported yet`,
	"mosn_config.json":                                      "loads",
	"mosn_config_broadcast.json":                            "metrics.shm_zone: keeping metrics in shared memory is not supported yet",
	"mosn_config_dev.json":                                  "metrics.shm_zone: keeping metrics in shared memory is not supported yet",
	"mosn_config_mirror.json":                               "metrics.shm_zone: keeping metrics in shared memory is not supported yet",
	"mosn_config_wasm.json":                                 `servers[0].listeners[0].stream_filters[0]: stream filter type "proxywasm" is not supported yet`,
	"mosn_rpc_config.json":                                  `servers[0].listeners[0].stream_filters[0]: stream filter type "healthcheck" is not supported yet`,
	"mosn_rpc_config_bolt.json":                             "servers[0].listeners[0].filter_chains[0].filters[0].config.extend_config: not supported yet",
	"mosn_rpc_config_wasm.json":                             "third_part_codec: loading codecs from plugins is not supported yet",
	"mosn_so.json":                                          "stream_filters: defining named stream filter chains is not supported yet",
	"plugin__pluginfilter__config.json":                     "plugin: not supported yet",
	"protocol-auto-sample__client_config.json":              "loads",
	"protocol-auto-sample__server_config.json":              "loads",
	"protocol-auto-sample__tls_client_config.json":          "loads",
	"protocol-auto-sample__tls_server_config.json":          "loads",
	"proxy-fallback-example__config.json":                   "servers[0].listeners[0].filter_chains[0].filters[0].config.fallback_for_unknown_protocol: not supported yet",
	"slow-start-sample__config.json":                        "loads",
	"sofarpc-with-xprotocol-sample__client_config.json":     `servers[0].listeners[0].filter_chains[0].filters[0].config.downstream_protocol: protocol "bolt" is not supported yet`,
	"sofarpc-with-xprotocol-sample__server_config.json":     `servers[0].listeners[0].filter_chains[0].filters[0].config.downstream_protocol: protocol "bolt" is not supported yet`,
	"sofarpc-with-xprotocol-sample__tls_client_config.json": `servers[0].listeners[0].filter_chains[0].filters[0].config.downstream_protocol: protocol "bolt" is not supported yet`,
	"sofarpc-with-xprotocol-sample__tls_server_config.json": `servers[0].listeners[0].filter_chains[0].filters[0].config.downstream_protocol: protocol "bolt" is not supported yet`,
	"tcpproxy-sample__config.json":                          "loads",
	"tproxy__tproxy_egress__config.json":                    "loads",
	"tproxy__tproxy_ingress__config.json":                   "loads",
	"tunnel-sample__agent_config.json":                      "close_graceful: not supported yet",
	"tunnel-sample__client_config.json":                     "close_graceful: not supported yet",
	"udpproxy-sample__config.json":                          "loads",
	"uds-sample__client_config.json":                        `tracing.driver: tracer "SOFATracer" is not supported yet`,
	"uds-sample__server_config.json":                        `tracing.driver: tracer "SOFATracer" is not supported yet`,
	"wasm__httpCall__config.json":                           `servers[0].listeners[0].stream_filters[0]: stream filter type "proxywasm" is not supported yet`,
	"wasm__http__config.json":                               `servers[0].listeners[0].stream_filters[0]: stream filter type "proxywasm" is not supported yet`,
	"wasm__sofarpc__config.json":                            `servers[0].listeners[0].stream_filters[0]: stream filter type "proxywasm" is not supported yet`,
	"xds-server-sample__config.json":                        "static_resources: xDS is not supported yet",
	"xprotocol_with_goplugin_example__client_config.json":   "third_part_codec: loading codecs from plugins is not supported yet",
	"xprotocol_with_goplugin_example__server_config.json":   "third_part_codec: loading codecs from plugins is not supported yet",
}

func TestCompatibility(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(compatDir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 48 {
		t.Errorf("%s has %d files, want the 48 MOSN examples", compatDir, len(files))
	}
	seen := map[string]bool{}
	for _, path := range files {
		name := filepath.Base(path)
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			want, ok := compatTable[name]
			if !ok {
				t.Fatalf("no row in compatTable for %s", name)
			}
			c, err := Load(path)
			if want == "loads" {
				if err != nil {
					t.Fatalf("want it to load, got %v", err)
				}
				if len(c.Servers) != 1 || len(c.Servers[0].Listeners) == 0 {
					t.Errorf("loaded without listeners: %+v", c)
				}
				return
			}
			if err == nil {
				t.Fatalf("loaded, want %q", want)
			}
			if got := strings.TrimPrefix(err.Error(), path+": "); got != want {
				t.Errorf("error:\n got %s\nwant %s", got, want)
			}
			if !errors.Is(err, ErrNotSupported) {
				t.Errorf("a MOSN example must only be refused as not supported yet, got %v", err)
			}
		})
	}
	for name := range compatTable {
		if !seen[name] {
			t.Errorf("compatTable has %s, which is not in %s", name, compatDir)
		}
	}
}

// TestCompatibilityDoc keeps docs/compatibility.md and compatTable in step:
// the doc's table has one row per file, "loads" or "refused: `<error>`".
func TestCompatibilityDoc(t *testing.T) {
	f, err := os.Open(compatDoc)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	row := regexp.MustCompile("^\\|\\s*`([^`]+)`\\s*\\|\\s*(.*?)\\s*\\|$")
	doc := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := row.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil {
			continue
		}
		status := m[2]
		if s, ok := strings.CutPrefix(status, "refused: `"); ok && strings.HasSuffix(s, "`") {
			status = strings.TrimSuffix(s, "`")
		} else if status != "loads" {
			t.Errorf("%s: status %q is neither \"loads\" nor \"refused: `<error>`\"", m[1], status)
			continue
		}
		if _, dup := doc[m[1]]; dup {
			t.Errorf("%s: two rows", m[1])
		}
		doc[m[1]] = status
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	var names []string
	for name := range compatTable {
		names = append(names, name)
	}
	for name := range doc {
		if _, ok := compatTable[name]; !ok {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		if doc[name] != compatTable[name] {
			t.Errorf("%s:\n doc  %q\n test %q", name, doc[name], compatTable[name])
		}
	}
}
