package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/seed405ffdea/mosn/istio-adapter/xdstest"
)

// TestStartFromEnvoyBootstrap runs the binary the way Istio's pilot-agent
// runs its proxy: "-c envoy-rev.json" with Envoy's flags. The bootstrap
// is Istio's golden one with xds-grpc pointed at a test ADS server on a
// unix socket; the listener it pushes serves real traffic.
func TestStartFromEnvoyBootstrap(t *testing.T) {
	bin, dir := buildBinary(t)
	cp := xdstest.NewControlPlane(t, "unix")
	app := xdstest.Backend(t, "app")
	lport, admin, prom, ready := freePort(t), freePort(t), freePort(t), freePort(t)
	text := strings.NewReplacer(
		`"path": "/tmp/XDS"`, `"path": "`+strings.TrimPrefix(cp.Target(), "unix://")+`"`,
		`"port_value": 15000`, `"port_value": `+strconv.Itoa(admin),
		`"port_value": 15090`, `"port_value": `+strconv.Itoa(prom),
		`"port_value": 15021`, `"port_value": `+strconv.Itoa(ready),
		`"address": "0.0.0.0"`, `"address": "127.0.0.1"`,
		`"id": "sidecar~1.2.3.4~foo~bar"`, `"id": "`+xdstest.NodeID+`"`,
	).Replace(string(mustRead(t, "../../../istio-adapter/testdata/default_golden.json")))
	path := filepath.Join(dir, "envoy-rev.json")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	l := xdstest.HTTPListener(t, "app-in", "r")
	l.Address.GetSocketAddress().PortSpecifier = &corev3.SocketAddress_PortValue{PortValue: uint32(lport)}
	cp.Push("1", map[resourcev3.Type][]types.Resource{
		resourcev3.ClusterType:  {xdstest.EDSCluster("app")},
		resourcev3.EndpointType: {xdstest.CLA("app", app)},
		resourcev3.RouteType:    {xdstest.WeightedRoute("r", "app", 1)},
		resourcev3.ListenerType: {l},
	})
	p := startBinary(t, bin, "start", "-c", path,
		"--drain-time-s", "1", "--parent-shutdown-time-s", "2", "--local-address-ip-version", "v4",
		"--concurrency", "2", "--log-format", "%Y-%m-%dT%T.%fZ\t%l\tenvoy %n\t%v", "--disable-hot-restart",
		"--allow-unknown-static-fields", "-l", "warning", "--component-log-level", "misc:error",
		"--service-cluster", "ignored-when-the-bootstrap-has-one")
	p.waitLine(t, "xds")
	out := strings.Join(p.seen, "\n")
	if !strings.Contains(out, "Delta ADS") || !strings.Contains(out, "--parent-shutdown-time-s") || !strings.Contains(out, "bootstrap: ignored") || !strings.Contains(out, "layered_runtime") {
		t.Errorf("banner:\n%s", out)
	}
	client := &http.Client{Timeout: 5 * time.Second}
	var body []byte
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := client.Get("http://127.0.0.1:" + strconv.Itoa(lport) + "/")
		if err == nil {
			body, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("xDS listener never served: %v %q", err, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if string(body) != "app" {
		t.Fatalf("body %q", body)
	}
	resp, err := client.Get("http://127.0.0.1:" + strconv.Itoa(prom) + "/stats/prometheus")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(metrics), `xds_updates_applied_total{type="lds"}`) {
		t.Errorf("15090 lacks xDS metrics")
	}
	// Envoy's config_dump on the admin port, as istioctl reads it.
	resp, err = client.Get("http://127.0.0.1:" + strconv.Itoa(admin) + "/config_dump")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var dump bytes.Buffer
	if err := json.Compact(&dump, raw); err != nil {
		t.Fatalf("config_dump: %v", err)
	}
	for _, want := range []string{"envoy.admin.v3.ListenersConfigDump", `"name":"app-in"`, `"versionInfo":"1"`} {
		if !strings.Contains(dump.String(), want) {
			t.Errorf("config_dump lacks %s", want)
		}
	}
	// pilot-agent's readiness probe reads these from the admin's /stats.
	for _, q := range []struct{ filter, want string }{
		{`^(server\.state|listener_manager\.workers_started)`, "server.state: 0\nlistener_manager.workers_started: 1\n"},
		{`^(cluster_manager\.cds|listener_manager\.lds)\.(update_success|update_rejected)$`, "update_success: 1"},
	} {
		resp, err := client.Get("http://127.0.0.1:" + strconv.Itoa(admin) + "/stats?usedonly&filter=" + url.QueryEscape(q.filter))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(body), q.want) || !strings.Contains(string(body), "lds.update_success") && strings.Contains(q.filter, "lds") {
			t.Errorf("/stats %s:\n%s", q.filter, body)
		}
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.waitExit(t, "SIGTERM")
}
