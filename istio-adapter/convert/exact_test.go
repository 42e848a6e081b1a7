package convert

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/seed405ffdea/mosn/istio-adapter/envoyjson"
)

func loadDump(t *testing.T, file string) *envoyjson.Dump {
	t.Helper()
	data, err := os.ReadFile("../testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	d, err := envoyjson.ReadConfigDump(data)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestIstioClusterExact(t *testing.T) {
	d := loadDump(t, "sidecar-config-dump.json")
	if len(d.Clusters) != 15 || len(d.Endpoints) != 8 || len(d.Routes) != 4 || len(d.Listeners) != 9 {
		t.Fatalf("dump: %d clusters %d endpoints %d routes %d listeners", len(d.Clusters), len(d.Endpoints), len(d.Routes), len(d.Listeners))
	}
	get := func(name string) *Cluster {
		for _, c := range d.Clusters {
			if c.GetName() == name {
				cl, err := ConvertCluster(c)
				if err != nil {
					t.Fatal(err)
				}
				return cl
			}
		}
		t.Fatalf("no cluster %q", name)
		return nil
	}
	v2 := get("outbound|9080|v2|reviews.default.svc.cluster.local")
	cc := v2.Config
	switch {
	case cc.Type != "EDS" || v2.ServiceName != "outbound|9080|v2|reviews.default.svc.cluster.local":
		t.Errorf("type %q service %q", cc.Type, v2.ServiceName)
	case cc.LbType != "RING_HASH" || cc.LbConfig == nil || cc.LbConfig.MinimumRingSize != 1024:
		t.Errorf("lb %q %+v", cc.LbType, cc.LbConfig)
	case cc.OutlierDetection == nil || *cc.OutlierDetection.Consecutive5xx != 5 || cc.OutlierDetection.Interval.Duration != 10*time.Second ||
		cc.OutlierDetection.BaseEjectionTime.Duration != 30*time.Second || cc.OutlierDetection.EnforcingSuccessRate != nil:
		t.Errorf("outlier %+v", cc.OutlierDetection)
	case cc.MaxRequestPerConn != 5:
		t.Errorf("max_request_per_conn %d", cc.MaxRequestPerConn)
	case cc.ConnectTimeout == nil || cc.ConnectTimeout.Duration != 3*time.Second:
		t.Errorf("connect_timeout %v", cc.ConnectTimeout)
	case cc.CircuitBreakers == nil || cc.CircuitBreakers.Thresholds[0].MaxConnections != 100 || cc.CircuitBreakers.Thresholds[0].MaxPendingRequests != 10:
		t.Errorf("circuit breakers %+v", cc.CircuitBreakers)
	}
	tls := cc.TLSContext
	if tls == nil || !tls.Status || tls.ServerName != "outbound_.9080_.v2_.reviews.default.svc.cluster.local" ||
		tls.MinVersion != "TLS1.2" || tls.MaxVersion != "TLS1.3" || tls.ALPN != "istio-peer-exchange,istio" {
		t.Fatalf("tls %+v", tls)
	}
	var sds SdsSource
	if err := json.Unmarshal(tls.SdsSource, &sds); err != nil {
		t.Fatal(err)
	}
	if sds.CertificateConfig.Name != "default" || sds.ValidationConfig.Name != "ROOTCA" || !strings.Contains(string(sds.CertificateConfig.SdsConfig), `"cluster_name":"sds-grpc"`) {
		t.Errorf("sds %s", tls.SdsSource)
	}

	// transport_socket_matches: TLS for tlsMode=istio hosts only.
	app := get("outbound|8080||app.default.svc.cluster.local")
	if app.TLSMatch["tlsMode"] != "istio" || app.Config.TLSContext == nil || app.Config.TLSContext.ServerName != "outbound_.8080_._.app.default.svc.cluster.local" {
		t.Errorf("tls match %v %+v", app.TLSMatch, app.Config.TLSContext)
	}
	if app.Config.LbType != "LB_LEAST_REQUEST" {
		t.Errorf("lb %q", app.Config.LbType)
	}
	ext := get("outbound|80||httpbin.example.com")
	if ext.Config.Type != "STRICT_DNS" || len(ext.Config.Hosts) != 1 || ext.Config.Hosts[0].Address != "httpbin.example.com:80" ||
		ext.Config.DNSRefreshRate.Duration != time.Minute || !ext.Config.RespectDNSTTL || ext.Config.DNSLookupFamily != "V4_ONLY" {
		t.Errorf("strict dns %+v", ext.Config)
	}
	pass := get("PassthroughCluster")
	if pass.Config.Type != "ORIGINAL_DST" || pass.Config.LbType != "" {
		t.Errorf("passthrough %+v", pass.Config)
	}
	in := get("inbound|8080||")
	if !strings.Contains(strings.Join(in.Notes.Skipped, "\n"), "upstream_bind_config ignored") {
		t.Errorf("inbound notes %v", in.Notes.Skipped)
	}
	if !strings.Contains(strings.Join(app.Notes.Skipped, "\n"), "filters[0]: istio.metadata_exchange skipped (telemetry only)") {
		t.Errorf("app notes %v", app.Notes.Skipped)
	}
}

func TestIstioEndpointsExact(t *testing.T) {
	d := loadDump(t, "sidecar-config-dump.json")
	for _, cla := range d.Endpoints {
		if cla.GetClusterName() != "outbound|9080||reviews.default.svc.cluster.local" {
			continue
		}
		e, err := ConvertEndpoints(cla)
		if err != nil {
			t.Fatal(err)
		}
		if len(e.Hosts) != 2 || e.Hosts[0].Address != "127.0.0.2:9080" || e.Hosts[1].Address != "127.0.0.3:9080" || e.Hosts[0].Weight != 1 {
			t.Fatalf("hosts %+v", e.Hosts)
		}
		if string(e.Hosts[1].Metadata.FilterMetadata["istio"]) != `{"workload":"reviews-1;default;reviews;v2;Kubernetes"}` {
			t.Errorf("metadata %s", e.Hosts[1].Metadata.FilterMetadata["istio"])
		}
		return
	}
	t.Fatal("no reviews endpoints")
}

func TestIstioRouteExact(t *testing.T) {
	d := loadDump(t, "sidecar-config-dump.json")
	for _, r := range d.Routes {
		if r.GetName() != "9080" {
			continue
		}
		rt, err := ConvertRoute(r)
		if err != nil {
			t.Fatal(err)
		}
		c := rt.Config
		if c.RouterConfigName != "9080" || len(c.VirtualHosts) != 2 {
			t.Fatalf("table %+v", c)
		}
		vh := c.VirtualHosts[0]
		if vh.Name != "reviews.default.svc.cluster.local:9080" || len(vh.Domains) != 5 || len(vh.Routers) != 2 {
			t.Fatalf("vhost %+v", vh)
		}
		jason := vh.Routers[0]
		if jason.Match.Prefix != "/api" || len(jason.Match.Headers) != 1 || jason.Match.Headers[0].Name != "end-user" ||
			jason.Match.Headers[0].Value != "jason" || jason.Match.Headers[0].Regex || jason.Route.ClusterName != "outbound|9080|v2|reviews.default.svc.cluster.local" {
			t.Errorf("jason route %+v", jason)
		}
		if jason.Route.Timeout.Duration != NoTimeout {
			t.Errorf("timeout 0s became %v", jason.Route.Timeout)
		}
		// gRPC conditions (unavailable, cancelled) are not HTTP retry
		// conditions here: dropped and noted.
		if rp := jason.Route.RetryPolicy; rp == nil || rp.NumRetries != 2 || rp.RetryOn != "connect-failure,refused-stream,retriable-status-codes" {
			t.Errorf("retry %+v", jason.Route.RetryPolicy)
		}
		if hp := jason.Route.HashPolicy; len(hp) != 1 || hp[0].Header == nil || hp[0].Header.Key != "x-user" {
			t.Errorf("hash policy %+v", jason.Route.HashPolicy)
		}
		if f, ok := jason.PerFilterConfig["envoy.filters.http.fault"]; !ok || !strings.Contains(string(f), `"fixedDelay":"2s"`) {
			t.Errorf("per filter %v", jason.PerFilterConfig)
		}
		def := vh.Routers[1]
		w := def.Route.WeightedClusters
		if len(w) != 2 || w[0].Cluster.Weight != 80 || w[1].Cluster.Weight != 20 || def.Route.Timeout.Duration != 10*time.Second {
			t.Errorf("default route %+v", def.Route)
		}
		h := def.Route.RequestHeadersToAdd
		if len(h) != 1 || h[0].Header.Key != "x-mesh" || h[0].Header.Value != "mosn" || *h[0].Append {
			t.Errorf("headers %+v", h)
		}
		if rp := def.Route.RetryPolicy; rp == nil || rp.NumRetries != 3 || rp.RetryTimeout.Duration != 2*time.Second {
			t.Errorf("retry %+v", def.Route.RetryPolicy)
		}
		return
	}
	t.Fatal("no route 9080")
}

func TestIstioListenerExact(t *testing.T) {
	d := loadDump(t, "router-config-dump.json")
	l, err := ConvertListener(d.Listeners[0])
	if err != nil {
		t.Fatal(err)
	}
	c := l.Config
	if c.Name != "0.0.0.0_8080" || c.Address != "0.0.0.0:8080" || !c.BindPort || len(c.FilterChains) != 1 || len(l.RDS) != 1 || l.RDS[0] != "http.8080" {
		t.Fatalf("listener %+v rds %v", c, l.RDS)
	}
	f := c.FilterChains[0].Filters[0]
	if f.Type != "proxy" || !strings.Contains(string(f.Config), `"router_config_name":"http.8080"`) || !strings.Contains(string(f.Config), `"downstream_protocol":"Auto"`) {
		t.Errorf("proxy filter %s %s", f.Type, f.Config)
	}
	notes := strings.Join(l.Notes.Skipped, "\n")
	for _, want := range []string{"istio.alpn skipped (telemetry only)", "envoy.filters.http.grpc_stats skipped", "envoy.filters.http.fault skipped (no fault configured"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}

	sd := loadDump(t, "sidecar-config-dump.json")
	for _, l := range sd.Listeners {
		switch l.GetName() {
		case "virtualOutbound":
			out, err := ConvertListener(l)
			if err != nil {
				t.Fatal(err)
			}
			c := out.Config
			if c.UseOriginalDst != "redirect" || len(c.FilterChains) != 2 || c.FilterChains[0].Match == nil || c.FilterChains[0].Match.DestinationPort != 15001 ||
				c.FilterChains[1].Filters[0].Type != "tcp_proxy" || !strings.Contains(string(c.FilterChains[1].Filters[0].Config), `"cluster":"PassthroughCluster"`) {
				t.Errorf("virtualOutbound %+v", c)
			}
		case "0.0.0.0_9000":
			out, err := ConvertListener(l)
			if err != nil {
				t.Fatal(err)
			}
			if out.Config.BindPort {
				t.Error("bind_to_port false lost")
			}
		}
	}
}
