package server_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/seed405ffdea/mosn/core/config"
	"github.com/seed405ffdea/mosn/core/server"
)

// newOrigin is a real upstream: /fail answers 503, anything else 200 with
// body.
func newOrigin(t *testing.T, body string) string {
	t.Helper()
	o := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/fail" {
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, body)
	}))
	t.Cleanup(o.Close)
	return strings.TrimPrefix(o.URL, "http://")
}

// proxyConfig is a proxy on 127.0.0.1:0 (listener "ingress", route table
// "r1" sending everything to cluster "backend" at originAddr) with the
// admin API on 127.0.0.1:0. top adds top-level blocks ("metrics": ...),
// listenerExtra listener fields.
func proxyConfig(t *testing.T, originAddr, top, listenerExtra string) *config.MOSNConfig {
	t.Helper()
	if top != "" {
		top += ","
	}
	if listenerExtra != "" {
		listenerExtra += ","
	}
	text := `{` + top + `
	  "admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": 0}}},
	  "servers": [{
	    "routers": [{"router_config_name": "r1", "virtual_hosts": [{"name": "all", "domains": ["*"],
	      "routers": [{"match": {"prefix": "/"}, "route": {"cluster_name": "backend"}}]}]}],
	    "listeners": [{"name": "ingress", "address": "127.0.0.1:0", "bind_port": true, ` + listenerExtra + `
	      "filter_chains": [{"filters": [{"type": "proxy", "config": {"router_config_name": "r1"}}]}]}]
	  }],
	  "cluster_manager": {"clusters": [{"name": "backend", "lb_type": "LB_ROUNDROBIN",
	    "hosts": [{"address": "` + originAddr + `"}]}]}
	}`
	cfg, err := config.Parse([]byte(text), "test.json")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// start runs a server on cfg with extra options, closed at cleanup.
func start(t *testing.T, cfg *config.MOSNConfig, o server.Options) *server.Server {
	t.Helper()
	o.Config = cfg
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Version.Version == "" {
		o.Version = server.VersionInfo{Version: "test"}
	}
	srv, err := server.New(o)
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	t.Cleanup(func() { srv.Close() })
	return srv
}

var httpc = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

func do(t *testing.T, method, url, body string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := httpc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func post(t *testing.T, url, body string) (int, string) {
	t.Helper()
	code, _, b := do(t, "POST", url, body)
	return code, b
}

// scrape parses a Prometheus text exposition.
func scrape(t *testing.T, url string) (map[string]*dto.MetricFamily, []byte) {
	t.Helper()
	code, _, body := do(t, "GET", url, "")
	if code != 200 {
		t.Fatalf("scrape %s: %d %s", url, code, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	return fams, []byte(body)
}

// sample returns the value of the family's sample whose labels include
// want (a histogram's sample count), and whether there is one.
func sample(fams map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	mf := fams[name]
	if mf == nil {
		return 0, false
	}
next:
	for _, m := range mf.Metric {
		got := map[string]string{}
		for _, lp := range m.Label {
			got[lp.GetName()] = lp.GetValue()
		}
		for k, v := range want {
			if got[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		case m.Untyped != nil:
			return m.Untyped.GetValue(), true
		}
	}
	return 0, false
}

// eventually polls cond for up to 5 seconds: a request's metrics are
// recorded just after its response is written.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// traffic sends n GETs of path through addr and returns the statuses.
func traffic(t *testing.T, addr, path string, n int) []int {
	t.Helper()
	var out []int
	for i := 0; i < n; i++ {
		code, _, _ := do(t, "GET", "http://"+addr+path, "")
		out = append(out, code)
	}
	return out
}
