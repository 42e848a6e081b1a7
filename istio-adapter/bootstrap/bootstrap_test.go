package bootstrap

import (
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/seed405ffdea/mosn/core/server"
	"github.com/seed405ffdea/mosn/istio-adapter/xds"
	"github.com/seed405ffdea/mosn/istio-adapter/xdstest"
	"github.com/seed405ffdea/mosn/pkg/leakcheck"
)

// The fuzzing engine leaves its signal handler running.
func TestMain(m *testing.M) { leakcheck.Main(m, "os/signal.signal_recv") }

func TestParseGolden(t *testing.T) {
	for _, tc := range []struct {
		file    string
		cluster string
		ignored []string
	}{
		{"default_golden.json", "istio-proxy", []string{"bootstrap_extensions", "cluster_manager", "layered_runtime", "overload_manager", "stats_config"}},
		{"running_golden.json", "test.test", []string{"stats_sinks", "tracing"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			b, err := Load("../testdata/"+tc.file, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if b.Node.GetId() != "sidecar~1.2.3.4~foo~bar" || b.Node.GetCluster() != tc.cluster {
				t.Errorf("node %v", b.Node)
			}
			if b.ADS == nil || b.ADS.Target != "unix:///tmp/XDS" || !b.ADS.Delta || b.ADS.InitialFetchTimeout != 0 || b.ADS.Cluster != "xds-grpc" {
				t.Errorf("ads %+v", b.ADS)
			}
			ign := strings.Join(b.Ignored, "\n")
			for _, want := range tc.ignored {
				if !strings.Contains(ign, want) {
					t.Errorf("ignored lacks %q:\n%s", want, ign)
				}
			}
			// sds-grpc is the SDS client's socket, not a proxy cluster.
			if b.SDSTarget != "unix:./var/run/secrets/workload-spiffe-uds/test.sock" {
				t.Errorf("sds target %q", b.SDSTarget)
			}
			for _, cl := range b.Config.ClusterManager.Clusters {
				if cl.Name == "sds-grpc" || cl.Name == "xds-grpc" {
					t.Errorf("%s became a proxy cluster", cl.Name)
				}
			}
			c := b.Config
			if c.Admin == nil || c.Admin.Addr() != "127.0.0.1:15000" && c.Admin.Addr() != "127.0.0.1:15005" {
				t.Errorf("admin %+v", c.Admin)
			}
			if c.Metrics == nil || !strings.Contains(string(c.Metrics.Sinks[0].Config), `"address":"0.0.0.0:15090","endpoint":"/stats/prometheus"`) {
				t.Errorf("metrics %+v", c.Metrics)
			}
			if len(c.Servers[0].Listeners) != 1 || c.Servers[0].Listeners[0].Address != "0.0.0.0:15021" {
				t.Errorf("listeners %+v", c.Servers[0].Listeners)
			}
			if err := c.ValidateWith(server.NewRegistries().Known()); err != nil {
				t.Errorf("static config refused: %v", err)
			}
		})
	}
}

// The golden bootstrap starts the proxy: xds-grpc points at a test ADS
// server on a unix socket, the 15021 readiness listener proxies to the
// agent, the 15090 listener serves Prometheus metrics, and the xDS
// listener routes real traffic.
func TestGoldenStartsProxy(t *testing.T) {
	cp := xdstest.NewControlPlane(t, "unix")
	agent := xdstest.Backend(t, "agent ready")
	app := xdstest.Backend(t, "app")
	data, err := os.ReadFile("../testdata/default_golden.json")
	if err != nil {
		t.Fatal(err)
	}
	_, agentPort, _ := strings.Cut(agent, ":")
	s := string(data)
	s = strings.ReplaceAll(s, `"path": "/tmp/XDS"`, `"path": "`+strings.TrimPrefix(cp.Target(), "unix://")+`"`)
	s = strings.ReplaceAll(s, `"port_value": 15020`, `"port_value": `+agentPort)
	s = strings.ReplaceAll(s, `"port_value": 15000`, `"port_value": `+agentPort)
	for _, p := range []string{"15090", "15021"} {
		s = strings.ReplaceAll(s, `"port_value": `+p, `"port_value": 0`)
	}
	s = strings.ReplaceAll(s, `"address": "0.0.0.0"`, `"address": "127.0.0.1"`)
	s = strings.ReplaceAll(s, `"id": "sidecar~1.2.3.4~foo~bar"`, `"id": "`+xdstest.NodeID+`"`)
	b, err := Parse([]byte(s), Options{})
	if err != nil {
		t.Fatal(err)
	}
	b.Config.Admin.Address.SocketAddress.PortValue = 0 // the admin's fixed port
	cp.Push("1", map[resourcev3.Type][]types.Resource{
		resourcev3.ClusterType:  {xdstest.EDSCluster("app")},
		resourcev3.EndpointType: {xdstest.CLA("app", app)},
		resourcev3.RouteType:    {xdstest.WeightedRoute("r", "app", 1)},
		resourcev3.ListenerType: {xdstest.HTTPListener(t, "app-in", "r")},
	})
	srv, err := server.New(server.Options{Config: b.Config, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	defer srv.Close()
	m, err := xds.NewMetrics(srv.Registry())
	if err != nil {
		t.Fatal(err)
	}
	client, _, err := b.NewClient(srv, nil, m)
	if err != nil {
		t.Fatal(err)
	}
	client.Start()
	defer client.Close()
	select {
	case <-client.Synced():
	case <-time.After(10 * time.Second):
		t.Fatal("not synced")
	}
	httpGet := func(url string) string {
		c := &http.Client{Timeout: 5 * time.Second}
		resp, err := c.Get(url)
		if err != nil {
			return err.Error()
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return string(body)
	}
	deadline := time.Now().Add(10 * time.Second)
	for srv.ListenerAddr("app-in") == nil {
		if time.Now().After(deadline) {
			t.Fatal("xDS listener never applied")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := httpGet("http://" + srv.ListenerAddr("app-in").String() + "/"); got != "app" {
		t.Errorf("xDS listener: %q", got)
	}
	if got := httpGet("http://" + srv.ListenerAddr("0.0.0.0_15021").String() + "/healthz/ready"); got != "agent ready" {
		t.Errorf("15021: %q", got)
	}
	if got := httpGet("http://" + srv.MetricsAddr().String() + "/stats/prometheus"); !strings.Contains(got, `xds_updates_applied_total{type="lds"} 1`) {
		t.Errorf("15090 metrics lack the xDS counters:\n%.2000s", got)
	}
}

func TestIsBootstrap(t *testing.T) {
	for in, want := range map[string]bool{
		`{"node": {"id": "x"}}`:                    true,
		`{"static_resources": {}}`:                 true,
		`{"servers": [], "dynamic_resources": {}}`: false,
		`{"servers": [{"listeners": []}]}`:         false,
		`not json`:                                 false,
	} {
		if got := IsBootstrap([]byte(in)); got != want {
			t.Errorf("IsBootstrap(%s) = %v", in, got)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"default_golden.json", "running_golden.json"} {
		b, err := os.ReadFile("../testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"dynamic_resources":{"ads_config":{"api_type":"GRPC","grpc_services":[{"envoy_grpc":{"cluster_name":"nope"}}]}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = Parse(data, Options{})
	})
}
