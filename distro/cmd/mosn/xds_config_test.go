package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const xdsBlocks = `
  "node": {"id": "sidecar~10.0.0.1~app-0.default~default.svc.cluster.local", "cluster": "app.default"},
  "dynamic_resources": {
    "ads_config": {"api_type": "GRPC", "transport_api_version": "V3", "grpc_services": [{"envoy_grpc": {"cluster_name": "xds-grpc"}}]},
    "cds_config": {"ads": {}, "initial_fetch_timeout": "3s", "resource_api_version": "V3"},
    "lds_config": {"ads": {}, "resource_api_version": "V3"}
  },
  "static_resources": {
    "clusters": [{"name": "xds-grpc", "type": "STATIC", "connect_timeout": "1s",
      "load_assignment": {"cluster_name": "xds-grpc", "endpoints": [{"lb_endpoints": [{"endpoint": {"address": {"pipe": {"path": "./etc/istio/proxy/XDS"}}}}]}]}}]
  }`

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// MOSN's "mixed" mode: a MOSN config with xDS blocks runs its own
// listeners and connects to the ADS server the blocks name.
func TestLoadMixedConfig(t *testing.T) {
	path := writeFile(t, "mosn.json", `{
  "servers": [{"listeners": [{"name": "static", "address": "127.0.0.1:0", "bind_port": true,
    "filter_chains": [{"filters": [{"type": "proxy", "config": {"router_config_name": "r"}}]}]}],
    "routers": [{"router_config_name": "r", "virtual_hosts": [{"name": "v", "domains": ["*"], "routers": [{"match": {"prefix": "/"}, "direct_response": {"status": 200, "body": "ok"}}]}]}]}],
  "cluster_manager": {"clusters": []},`+xdsBlocks+`}`)
	cfg, source, bs, err := loadAnyConfig(path, &proxyFlags{drainTimeS: 7})
	if err != nil {
		t.Fatal(err)
	}
	if bs == nil || bs.ADS == nil || bs.ADS.Target != "unix:./etc/istio/proxy/XDS" || bs.ADS.Delta || bs.ADS.InitialFetchTimeout != 3*time.Second {
		t.Fatalf("ads %+v", bs)
	}
	if bs.Node.GetId() != "sidecar~10.0.0.1~app-0.default~default.svc.cluster.local" {
		t.Errorf("node %v", bs.Node)
	}
	if len(cfg.Servers[0].Listeners) != 1 || cfg.Servers[0].Listeners[0].Name != "static" {
		t.Errorf("listeners %+v", cfg.Servers[0].Listeners)
	}
	if cfg.Servers[0].GracefulTimeout.Duration != 7*time.Second {
		t.Errorf("--drain-time-s: graceful_timeout %v", cfg.Servers[0].GracefulTimeout)
	}
	if source == path {
		t.Errorf("source %q does not say xDS", source)
	}
}

// A bootstrap without a node id takes --service-node and
// --service-cluster; a plain MOSN config has no bootstrap.
func TestLoadBootstrapFlags(t *testing.T) {
	path := writeFile(t, "envoy-rev.json", `{`+xdsBlocks[len(`
  "node": {"id": "sidecar~10.0.0.1~app-0.default~default.svc.cluster.local", "cluster": "app.default"},`):]+`, "node": {}}`)
	_, _, bs, err := loadAnyConfig(path, &proxyFlags{serviceNode: "router~1.1.1.1~gw~ns", serviceCluster: "gw.ns", concurrency: 3, disableHotRestart: true})
	if err != nil {
		t.Fatal(err)
	}
	if bs.Node.GetId() != "router~1.1.1.1~gw~ns" || bs.Node.GetCluster() != "gw.ns" {
		t.Errorf("node %v", bs.Node)
	}
	plain := writeFile(t, "plain.json", string(mustRead(t, "../../../core/config/default.json")))
	_, _, bs, err = loadAnyConfig(plain, nil)
	if err != nil || bs != nil {
		t.Errorf("plain config: %v %v", bs, err)
	}
	if got := mosnLevel("warning"); got != "WARN" {
		t.Errorf("-l warning = %q", got)
	}
}

func TestValidateBootstrap(t *testing.T) {
	var out, errb strings.Builder
	if code := run([]string{"validate", "-c", "../../../istio-adapter/testdata/running_golden.json"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{": ok", "xds: Delta ADS at unix:///tmp/XDS", "ignored: layered_runtime", "ignored: tracing"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
