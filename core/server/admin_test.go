package server_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seed405ffdea/mosn/core/admin"
	"github.com/seed405ffdea/mosn/core/config"
	"github.com/seed405ffdea/mosn/core/server"
	"github.com/seed405ffdea/mosn/pkg/featuregate"
)

// Each admin endpoint over HTTP against a live proxy.
func TestAdminEndpointsLive(t *testing.T) {
	origin := newOrigin(t, "hello")
	g := featuregate.New()
	g.Add("UseNetpollMode", featuregate.Spec{PreRelease: featuregate.Beta})
	srv := start(t, proxyConfig(t, origin, "", ""), server.Options{Features: g})
	traffic(t, srv.ListenerAddr("ingress").String(), "/", 2)
	admin := "http://" + srv.AdminAddr().String()
	eventually(t, "two requests", func() bool {
		_, _, body := do(t, "GET", admin+"/stats", "")
		return strings.Contains(body, "cluster.backend.upstream_rq_200: 2\n")
	})
	lnAddr := srv.ListenerAddr("ingress").String()
	for _, c := range []struct {
		path string
		want string
	}{
		{"/api/v1/config_dump", `"name": "backend"`},
		{"/api/v1/config_dump?listener=ingress", `"router_config_name": "r1"`},
		{"/api/v1/stats", `"cluster.backend"`},
		{"/api/v1/stats_glob", "downstream_request_total:2\n"},
		{"/api/v1/states", `"state": "running"`},
		{"/api/v1/features", `"UseNetpollMode"`},
		{"/api/v1/version", `"version": "test"`},
		{"/config_dump", `"cluster_manager"`},
		{"/stats", "http.ingress.downstream_rq_2xx: 2\n"},
		{"/stats/prometheus", `envoy_http_downstream_rq_total{envoy_http_conn_manager_prefix="ingress"} 2`},
		{"/clusters", "backend::" + origin + "::rq_total::2\n"},
		{"/clusters", "backend::" + origin + "::health_flags::healthy\n"},
		{"/listeners", "ingress::" + lnAddr + "\n"},
		{"/server_info", `"state": "LIVE"`},
		{"/ready", "LIVE\n"},
	} {
		code, _, body := do(t, "GET", admin+c.path, "")
		if code != 200 || !strings.Contains(body, c.want) {
			t.Errorf("GET %s: %d %.300q, want %q", c.path, code, body, c.want)
		}
	}
	if code, _, _ := do(t, "GET", admin+"/quitquitquit", ""); code != 405 {
		t.Errorf("GET /quitquitquit: %d", code)
	}
	// healthcheck/fail makes /ready fail until healthcheck/ok.
	post(t, admin+"/healthcheck/fail", "")
	if code, _, _ := do(t, "GET", admin+"/ready", ""); code != 503 {
		t.Errorf("ready after fail: %d", code)
	}
	post(t, admin+"/healthcheck/ok", "")
	if code, _, _ := do(t, "GET", admin+"/ready", ""); code != 200 {
		t.Errorf("ready after ok: %d", code)
	}
	// quitquitquit signals the main loop.
	if code, _ := post(t, admin+"/quitquitquit", ""); code != 200 {
		t.Fatalf("quitquitquit: %d", code)
	}
	select {
	case <-srv.QuitRequested():
	case <-time.After(5 * time.Second):
		t.Fatal("QuitRequested not closed")
	}
}

// update_loglevel changes what the running error log writes.
func TestUpdateLogLevelChangesBehaviour(t *testing.T) {
	origin := newOrigin(t, "hello")
	cfg := proxyConfig(t, origin, "", "")
	logPath := filepath.Join(t.TempDir(), "error.log")
	cfg.Servers[0].DefaultLogPath = logPath
	cfg.Servers[0].DefaultLogLevel = "INFO"
	srv, err := server.New(server.Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	t.Cleanup(func() { srv.Close() })
	admin := "http://" + srv.AdminAddr().String()
	srv.ErrorLog().Slog().Debug("before-update")
	code, body := post(t, admin+"/api/v1/update_loglevel", `{"log_path": "`+logPath+`", "log_level": "DEBUG"}`)
	if code != 200 {
		t.Fatalf("update_loglevel: %d %s", code, body)
	}
	srv.ErrorLog().Slog().Debug("after-update")
	if _, _, body := do(t, "GET", admin+"/api/v1/get_loglevel", ""); !strings.Contains(body, `"DEBUG"`) {
		t.Errorf("get_loglevel: %s", body)
	}
	// Envoy's spelling: back to warnings only.
	post(t, admin+"/logging?level=warning", "")
	srv.ErrorLog().Slog().Info("after-warning")
	data, _ := os.ReadFile(logPath)
	log := string(data)
	if strings.Contains(log, "before-update") || !strings.Contains(log, "after-update") || strings.Contains(log, "after-warning") {
		t.Errorf("error log:\n%s", log)
	}
	if srv.ErrorLog().Level() != "WARN" {
		t.Errorf("level %s", srv.ErrorLog().Level())
	}
}

// drain_listeners starts a graceful drain: the listener stops accepting.
func TestDrainListeners(t *testing.T) {
	origin := newOrigin(t, "hello")
	srv := start(t, proxyConfig(t, origin, "", ""), server.Options{})
	addr := srv.ListenerAddr("ingress").String()
	admin := "http://" + srv.AdminAddr().String()
	traffic(t, addr, "/", 1)
	if code, _ := post(t, admin+"/drain_listeners", ""); code != 200 {
		t.Fatal(code)
	}
	eventually(t, "listener closed", func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return true
		}
		c.Close()
		return false
	})
	if code, _, body := do(t, "GET", admin+"/ready", ""); code != 503 || body != "DRAINING\n" {
		t.Errorf("ready while draining: %d %q", code, body)
	}
	if _, _, body := do(t, "GET", admin+"/server_info", ""); !strings.Contains(body, `"state": "DRAINING"`) {
		t.Errorf("server_info: %s", body)
	}
	// A drain twice, then the graceful stop: each listener is shut down
	// once.
	post(t, admin+"/drain_listeners", "")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

// config_dump never shows private key bytes; a real key in a (disabled)
// TLS context is the test.
func TestConfigDumpRedactsRealKey(t *testing.T) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	keyPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	keyJSON, _ := json.Marshal(keyPEM)
	origin := newOrigin(t, "hello")
	text := strings.Replace(string(mustJSON(t, proxyConfig(t, origin, "", ""))), `"filters":`,
		`"tls_context": {"status": false, "private_key": `+string(keyJSON)+`}, "filters":`, 1)
	cfg, err := config.Parse([]byte(text), "tls.json")
	if err != nil {
		t.Fatal(err)
	}
	srv := start(t, cfg, server.Options{})
	admin := "http://" + srv.AdminAddr().String()
	body64 := strings.Split(keyPEM, "\n")[1]
	for _, p := range []string{"/api/v1/config_dump", "/config_dump", "/api/v1/config_dump?alllisteners", "/api/v1/config_dump?listener=ingress", "/api/v1/config_dump?mosnconfig"} {
		_, _, body := do(t, "GET", admin+p, "")
		if strings.Contains(body, "PRIVATE KEY") || strings.Contains(body, body64[:32]) {
			t.Errorf("%s shows the private key", p)
		}
		if !strings.Contains(body, `"private_key": "[redacted]"`) {
			t.Errorf("%s: no redaction marker: %.300s", p, body)
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAdminBasicAuthHook(t *testing.T) {
	origin := newOrigin(t, "hello")
	srv := start(t, proxyConfig(t, origin, "", ""), server.Options{AdminAuth: admin.BasicAuth("ops", "pw")})
	url := "http://" + srv.AdminAddr().String()
	if code, _, _ := do(t, "GET", url+"/stats", ""); code != 401 {
		t.Errorf("without credentials: %d", code)
	}
	if code, _, _ := do(t, "GET", strings.Replace(url, "http://", "http://ops:pw@", 1)+"/stats", ""); code != 200 {
		t.Errorf("with credentials: %d", code)
	}
}

// The admin listener binds loopback when the config gives no address.
func TestAdminLoopbackByDefault(t *testing.T) {
	origin := newOrigin(t, "hello")
	cfg := proxyConfig(t, origin, "", "")
	cfg.Admin.Address.SocketAddress.Address = ""
	srv := start(t, cfg, server.Options{})
	if ip := srv.AdminAddr().(*net.TCPAddr).IP; !ip.IsLoopback() {
		t.Fatalf("admin on %v", srv.AdminAddr())
	}
}
