package server_test

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/seed405ffdea/mosn/core/metrics"
	"github.com/seed405ffdea/mosn/core/server"
)

// A live proxy, a known request mix (7×200, 3×503), and a scrape of both
// the admin listener's /stats/prometheus and the prometheus sink's own
// listener: exact counters, populated histogram buckets, a clean lint.
func TestPrometheusScrapeAfterKnownMix(t *testing.T) {
	origin := newOrigin(t, "hello")
	cfg := proxyConfig(t, origin, `"metrics": {"sinks": [{"type": "prometheus",
	  "config": {"address": "127.0.0.1:0", "endpoint": "/stats/prometheus"}}]}`, "")
	srv := start(t, cfg, server.Options{})
	addr := srv.ListenerAddr("ingress").String()
	for _, code := range traffic(t, addr, "/ok", 7) {
		if code != 200 {
			t.Fatalf("status %d", code)
		}
	}
	for _, code := range traffic(t, addr, "/fail", 3) {
		if code != 503 {
			t.Fatalf("status %d", code)
		}
	}
	admin := "http://" + srv.AdminAddr().String()
	hcm := map[string]string{"envoy_http_conn_manager_prefix": "ingress"}
	eventually(t, "10 requests recorded", func() bool {
		fams, _ := scrape(t, admin+"/stats/prometheus")
		v, _ := sample(fams, "envoy_http_downstream_rq_time", hcm)
		return v == 10
	})
	for _, url := range []string{admin + "/stats/prometheus", "http://" + srv.MetricsAddr().String() + "/stats/prometheus"} {
		fams, body := scrape(t, url)
		cl := func(kv ...string) map[string]string {
			m := map[string]string{"envoy_cluster_name": "backend"}
			for i := 0; i+1 < len(kv); i += 2 {
				m[kv[i]] = kv[i+1]
			}
			return m
		}
		for _, c := range []struct {
			name   string
			labels map[string]string
			want   float64
		}{
			{"envoy_cluster_upstream_rq_total", cl(), 10},
			{"envoy_cluster_upstream_rq_completed", cl(), 10},
			{"envoy_cluster_upstream_rq_xx", cl("envoy_response_code_class", "2"), 7},
			{"envoy_cluster_upstream_rq_xx", cl("envoy_response_code_class", "5"), 3},
			{"envoy_cluster_upstream_rq_xx", cl("envoy_response_code_class", "4"), 0},
			{"envoy_cluster_upstream_rq", cl("envoy_response_code", "200"), 7},
			{"envoy_cluster_upstream_rq", cl("envoy_response_code", "503"), 3},
			{"envoy_cluster_upstream_rq_time", cl(), 10},
			{"envoy_cluster_upstream_rq_timeout", cl(), 0},
			{"envoy_cluster_upstream_rq_pending_overflow", cl(), 0},
			{"envoy_cluster_upstream_rq_retry", cl(), 0},
			{"envoy_cluster_upstream_cx_connect_fail", cl(), 0},
			{"envoy_cluster_upstream_cx_rx_bytes_total", cl(), 7*5 + 3*12},
			{"envoy_cluster_membership_total", cl(), 1},
			{"envoy_cluster_membership_healthy", cl(), 1},
			{"envoy_cluster_host_rq_total", cl("upstream_host", origin), 10},
			{"envoy_cluster_host_rq_success", cl("upstream_host", origin), 7},
			{"envoy_cluster_host_rq_error", cl("upstream_host", origin), 3},
			{"envoy_http_downstream_rq_total", hcm, 10},
			{"envoy_http_downstream_rq_active", hcm, 0},
			{"envoy_http_downstream_rq_xx", map[string]string{"envoy_http_conn_manager_prefix": "ingress", "envoy_response_code_class": "2"}, 7},
			{"envoy_http_downstream_rq_xx", map[string]string{"envoy_http_conn_manager_prefix": "ingress", "envoy_response_code_class": "5"}, 3},
			{"envoy_http_downstream_cx_total", hcm, 10},
			{"envoy_listener_downstream_cx_total", map[string]string{"envoy_listener_address": strings.ReplaceAll(addr, ":", "_")}, 10},
		} {
			got, ok := sample(fams, c.name, c.labels)
			if !ok || got != c.want {
				t.Errorf("%s: %s%v = %v (found %t), want %v", url, c.name, c.labels, got, ok, c.want)
			}
		}
		// Upstream connections: at least one opened; keep-alive reuse may
		// make it fewer than 10.
		if v, ok := sample(fams, "envoy_cluster_upstream_cx_total", cl()); !ok || v < 1 || v > 10 {
			t.Errorf("upstream_cx_total %v", v)
		}
		// Histogram buckets are populated: every request took well under
		// a minute, and the +Inf bucket holds all ten.
		h := fams["envoy_cluster_upstream_rq_time"].Metric[0].Histogram
		var le60s uint64
		for _, b := range h.Bucket {
			if b.GetUpperBound() == 60000 {
				le60s = b.GetCumulativeCount()
			}
		}
		if h.GetSampleCount() != 10 || le60s != 10 || h.GetSampleSum() <= 0 {
			t.Errorf("histogram count %d sum %v le=60000 %d", h.GetSampleCount(), h.GetSampleSum(), le60s)
		}
		if _, ok := fams["go_goroutines"]; !ok {
			t.Error("no Go collector")
		}
		promtool(t, body)
	}
}

// promtool runs "promtool check metrics" on a scrape and fails on any
// problem outside the documented allow-list (metrics.AllowedLintProblem).
func promtool(t *testing.T, scrape []byte) {
	t.Helper()
	t.Run("promtool", func(t *testing.T) {
		path, err := exec.LookPath("promtool")
		if err != nil {
			t.Skip("promtool not found (Debian package prometheus)")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, path, "check", "metrics")
		cmd.Stdin = bytes.NewReader(scrape)
		out, err := cmd.CombinedOutput()
		if err == nil {
			return
		}
		if _, exit := err.(*exec.ExitError); !exit {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			metric, text, ok := strings.Cut(line, " ")
			metric = strings.TrimSuffix(metric, ":")
			if !ok || !metrics.AllowedLintProblem(metric, text) {
				t.Errorf("promtool: %s", line)
			}
		}
	})
}

// Istio's standard metrics, when the config says the node is a sidecar.
func TestIstioMetricsFromConfig(t *testing.T) {
	origin := newOrigin(t, "hello")
	cfg := proxyConfig(t, origin, `"metrics": {"istio": {"sidecar": true, "workload": "productpage-v1", "namespace": "default"}}`, "")
	srv := start(t, cfg, server.Options{})
	traffic(t, srv.ListenerAddr("ingress").String(), "/", 2)
	admin := "http://" + srv.AdminAddr().String()
	want := map[string]string{"reporter": "source", "source_workload": "productpage-v1", "source_workload_namespace": "default",
		"destination_service": "backend", "response_code": "200", "response_flags": "-", "request_protocol": "http"}
	eventually(t, "istio_requests_total", func() bool {
		fams, _ := scrape(t, admin+"/stats/prometheus")
		v, _ := sample(fams, "istio_requests_total", want)
		return v == 2
	})
	fams, body := scrape(t, admin+"/stats/prometheus")
	if v, _ := sample(fams, "istio_request_duration_milliseconds", want); v != 2 {
		t.Errorf("istio_request_duration_milliseconds count %v", v)
	}
	promtool(t, body)
}

// MOSN's names, and two servers in one process each with its registry.
func TestMOSNNamingAndTwoServers(t *testing.T) {
	origin := newOrigin(t, "hello")
	a := start(t, proxyConfig(t, origin, `"metrics": {"naming": "mosn"}`, ""), server.Options{})
	b := start(t, proxyConfig(t, origin, "", ""), server.Options{})
	traffic(t, a.ListenerAddr("ingress").String(), "/", 3)
	traffic(t, b.ListenerAddr("ingress").String(), "/", 1)
	eventually(t, "mosn names", func() bool {
		fams, _ := scrape(t, "http://"+a.AdminAddr().String()+"/stats/prometheus")
		v, _ := sample(fams, "mosn_upstream_request_total", map[string]string{"cluster": "backend"})
		return v == 3
	})
	eventually(t, "second server", func() bool {
		fams, _ := scrape(t, "http://"+b.AdminAddr().String()+"/stats/prometheus")
		v, _ := sample(fams, "envoy_cluster_upstream_rq_total", map[string]string{"envoy_cluster_name": "backend"})
		return v == 1
	})
	if a.Registry() == b.Registry() {
		t.Fatal("servers share a registry")
	}
	_, body := scrape(t, "http://"+a.AdminAddr().String()+"/stats/prometheus")
	promtool(t, body)
}
