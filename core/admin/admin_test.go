package admin

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/seed405ffdea/mosn/core/config"
	"github.com/seed405ffdea/mosn/core/metrics"
	"github.com/seed405ffdea/mosn/pkg/featuregate"
)

// fake is a proxy for the handlers.
type fake struct {
	cfg      *config.MOSNConfig
	updates  []*config.Update
	err      error
	state    State
	quit     bool
	drained  bool
	level    string
	disabled bool
}

func (f *fake) RunningConfig() *config.MOSNConfig { return f.cfg }
func (f *fake) Update(u *config.Update) error {
	f.updates = append(f.updates, u)
	return f.err
}
func (f *fake) AdminState() State                  { return f.state }
func (f *fake) SetHealthCheckFailed(b bool)        { f.state.HealthCheckFailed = b }
func (f *fake) DrainListeners()                    { f.drained = true; f.state.Draining = true }
func (f *fake) Quit()                              { f.quit = true }
func (f *fake) Level() string                      { return f.level }
func (f *fake) SetEnabled(on bool)                 { f.disabled = !on }
func (f *fake) ListenerStatuses() []ListenerStatus { return []ListenerStatus{{"l1", "127.0.0.1:8080"}} }
func (f *fake) ClusterStatuses() []ClusterStatus {
	return []ClusterStatus{{Name: "c1", MaxConnections: 10, Hosts: []HostStatus{{Address: "10.0.0.1:80", Weight: 2, Healthy: true}}}}
}
func (f *fake) SetLevel(l string) error {
	switch l {
	case "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL":
		f.level = l
		return nil
	}
	return errors.New(`log: unknown level "` + l + `"`)
}

func privateKeyPEM(t *testing.T) string {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func newTest(t *testing.T, mod func(*Options)) (*httptest.Server, *fake) {
	t.Helper()
	f := &fake{
		cfg: &config.MOSNConfig{Servers: []config.ServerConfig{{
			Listeners: []config.ListenerConfig{{Name: "l1", Address: "127.0.0.1:0"}},
			Routers:   []config.RouterConfig{{RouterConfigName: "r1"}},
		}}, ClusterManager: config.ClusterManagerConfig{Clusters: []config.ClusterConfig{{Name: "c1"}}}},
		state: State{Stage: "running", StageCode: 2, Running: true, Started: time.Now()},
		level: "INFO",
	}
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, metrics.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m.Cluster("c1")
	m.HTTP("l1").Record(&metrics.Request{Status: 200, Cluster: "c1", Host: "10.0.0.1:80", Duration: time.Millisecond})
	g := featuregate.New()
	g.Add("UseNetpollMode", featuregate.Spec{PreRelease: featuregate.Beta})
	o := Options{
		Address: "127.0.0.1:0", Config: f, Updater: f, Lifecycle: f, Inspector: f, ErrorLog: f,
		ErrorLogPath: "/var/log/mosn/default.log", Metrics: m, Gatherer: reg, Features: g,
		Version: map[string]string{"version": "v9"}, VersionString: "v9",
	}
	if mod != nil {
		mod(&o)
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	s.ln.Close() // served by httptest instead
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts, f
}

func call(t *testing.T, ts *httptest.Server, method, path, body string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func TestReadEndpoints(t *testing.T) {
	ts, _ := newTest(t, nil)
	for _, c := range []struct {
		path string
		code int
		want string
	}{
		{"/api/v1/config_dump", 200, `"router_config_name": "r1"`},
		{"/api/v1/config_dump?allclusters", 200, `"c1": {`},
		{"/api/v1/config_dump?alllisteners", 200, `"l1": {`},
		{"/api/v1/config_dump?allrouters", 200, `"r1": {`},
		{"/api/v1/config_dump?cluster=c1", 200, `"name": "c1"`},
		{"/api/v1/config_dump?listener=l1", 200, `"address": "127.0.0.1:0"`},
		{"/api/v1/config_dump?router=r1", 200, `"router_config_name": "r1"`},
		{"/api/v1/config_dump?mosnconfig", 200, `"servers"`},
		{"/api/v1/config_dump?cluster=nope", 404, `no cluster named \"nope\"`},
		{"/api/v1/config_dump?a&b", 400, "only support one parameter"},
		{"/api/v1/config_dump?bogus", 400, `unknown parameter`},
		{"/api/v1/stats", 200, `"request_total": "1"`},
		{"/api/v1/stats?key=cluster.c1", 200, `"cluster.c1"`},
		{"/api/v1/stats?key=cluster.zz", 200, "no metrics key: cluster.zz"},
		{"/api/v1/stats_glob", 200, "downstream_request_2xx:1\n"},
		{"/api/v1/get_loglevel", 200, `"/var/log/mosn/default.log": "INFO"`},
		{"/api/v1/states", 200, `"state": "running"`},
		{"/api/v1/features", 200, `"name": "UseNetpollMode"`},
		{"/api/v1/features?key=UseNetpollMode", 200, "false"},
		{"/api/v1/features?key=Nope", 404, "unknown feature"},
		{"/api/v1/env", 400, "no env key"},
		{"/api/v1/version", 200, `"version": "v9"`},
		{"/config_dump", 200, `"servers"`},
		{"/stats", 200, "cluster.c1.upstream_rq_200: 1\n"},
		{"/stats?filter=rq_2..$", 200, "cluster.c1.upstream_rq_200: 1\n"},
		{"/stats?filter=(", 400, "filter"},
		{"/stats?format=json", 200, `"name": "cluster.c1.upstream_rq_total"`},
		{"/stats?format=prometheus", 200, "envoy_cluster_upstream_rq_total{envoy_cluster_name=\"c1\"} 1"},
		{"/stats/prometheus", 200, `envoy_cluster_upstream_rq_xx{envoy_cluster_name="c1",envoy_response_code_class="2"} 1`},
		{"/clusters", 200, "c1::10.0.0.1:80::rq_total::1\nc1::10.0.0.1:80::rq_success::1\n"},
		{"/clusters", 200, "c1::default_priority::max_connections::10\n"},
		{"/clusters?format=json", 200, `"port_value": 80`},
		{"/listeners", 200, "l1::127.0.0.1:8080\n"},
		{"/listeners?format=json", 200, `"port_value": 8080`},
		{"/server_info", 200, `"state": "LIVE"`},
		{"/ready", 200, "LIVE\n"},
		{"/help", 200, "/quitquitquit"},
		{"/", 200, "admin commands are:"},
		{"/nope", 404, ""},
	} {
		code, _, body := call(t, ts, "GET", c.path, "")
		if code != c.code || !strings.Contains(body, c.want) {
			t.Errorf("GET %s: %d %.300q, want %d containing %q", c.path, code, body, c.code, c.want)
		}
	}
}

// Mutating endpoints answer POST only; read endpoints GET only.
func TestMethods(t *testing.T) {
	ts, f := newTest(t, nil)
	for _, p := range []string{"/api/v1/update_loglevel", "/api/v1/enable_log", "/api/v1/disable_log", "/logging",
		"/healthcheck/fail", "/healthcheck/ok", "/drain_listeners", "/quitquitquit", "/api/v1/config/update",
		"/api/v1/config/listener", "/api/v1/config/cluster/remove", "/api/v1/config/hosts"} {
		for _, m := range []string{"GET", "PUT", "DELETE"} {
			code, h, _ := call(t, ts, m, p, "")
			if code != 405 || h.Get("Allow") != "POST" {
				t.Errorf("%s %s: %d Allow %q", m, p, code, h.Get("Allow"))
			}
		}
	}
	for _, p := range []string{"/stats", "/api/v1/config_dump", "/ready", "/clusters"} {
		if code, _, _ := call(t, ts, "POST", p, ""); code != 405 {
			t.Errorf("POST %s: %d", p, code)
		}
	}
	if f.quit || f.drained || f.state.HealthCheckFailed {
		t.Error("a refused method changed something")
	}
}

func TestMutatingEndpoints(t *testing.T) {
	ts, f := newTest(t, nil)
	code, _, body := call(t, ts, "POST", "/api/v1/update_loglevel", `{"log_path": "/var/log/mosn/default.log", "log_level": "DEBUG"}`)
	if code != 200 || f.level != "DEBUG" {
		t.Errorf("update_loglevel: %d %s level %s", code, body, f.level)
	}
	code, _, body = call(t, ts, "POST", "/api/v1/update_loglevel", `{"log_level": "LOUD"}`)
	if code != 400 || !strings.Contains(body, `log_level: unknown level \"LOUD\"`) {
		t.Errorf("bad level: %d %s", code, body)
	}
	code, _, body = call(t, ts, "POST", "/api/v1/update_loglevel", `{"log_path": "/elsewhere", "log_level": "INFO"}`)
	if code != 400 || !strings.Contains(body, "no error log") {
		t.Errorf("bad path: %d %s", code, body)
	}
	code, _, body = call(t, ts, "POST", "/logging?level=warning", "")
	if code != 200 || f.level != "WARN" || !strings.Contains(body, "mosn: warning") {
		t.Errorf("/logging: %d %s %s", code, body, f.level)
	}
	if code, _, _ := call(t, ts, "POST", "/logging?level=loud", ""); code != 400 {
		t.Errorf("/logging bad level: %d", code)
	}
	call(t, ts, "POST", "/logging?level=off", "")
	if !f.disabled {
		t.Error("/logging?level=off")
	}
	call(t, ts, "POST", "/api/v1/enable_log", "/var/log/mosn/default.log")
	if f.disabled {
		t.Error("enable_log")
	}
	if code, _, _ := call(t, ts, "POST", "/api/v1/disable_log", "/nope"); code != 400 {
		t.Error("disable_log of an unknown log")
	}
	call(t, ts, "POST", "/healthcheck/fail", "")
	if code, _, body := call(t, ts, "GET", "/ready", ""); code != 503 || body != "HEALTH_CHECK_FAILED\n" {
		t.Errorf("ready after fail: %d %q", code, body)
	}
	call(t, ts, "POST", "/healthcheck/ok", "")
	if code, _, _ := call(t, ts, "GET", "/ready", ""); code != 200 {
		t.Errorf("ready after ok: %d", code)
	}
	call(t, ts, "POST", "/drain_listeners", "")
	if code, _, body := call(t, ts, "GET", "/ready", ""); !f.drained || code != 503 || body != "DRAINING\n" {
		t.Errorf("ready while draining: %d %q", code, body)
	}
	call(t, ts, "POST", "/quitquitquit", "")
	if !f.quit {
		t.Error("quitquitquit")
	}
}

func TestConfigEndpoints(t *testing.T) {
	ts, f := newTest(t, nil)
	code, _, body := call(t, ts, "POST", "/api/v1/config/cluster", `{"name": "c2", "hosts": [{"address": "127.0.0.1:1"}]}`)
	if code != 200 || len(f.updates) != 1 || f.updates[0].Clusters[0].Name != "c2" {
		t.Fatalf("%d %s %+v", code, body, f.updates)
	}
	call(t, ts, "POST", "/api/v1/config/listener/remove", `{"name": "l1"}`)
	call(t, ts, "POST", "/api/v1/config/hosts", `{"cluster_name": "c1", "hosts": []}`)
	call(t, ts, "POST", "/api/v1/config/router/remove", `{"name": "r1"}`)
	if len(f.updates) != 4 || f.updates[1].RemoveListeners[0] != "l1" || f.updates[2].Hosts[0].Cluster != "c1" || f.updates[3].RemoveRouters[0] != "r1" {
		t.Fatalf("%+v", f.updates)
	}
	for _, c := range []struct {
		path, body string
		err        error
		code       int
		want       string
	}{
		{"/api/v1/config/cluster", `{"name": "c2", "hostz": []}`, nil, 400, `"field": "hostz"`},
		{"/api/v1/config/update", `{"listeners": [{"name": 1}]}`, nil, 400, `listeners[0].name: expected a string`},
		{"/api/v1/config/update", `{}`, nil, 400, "changes nothing"},
		{"/api/v1/config/listener/remove", `{"nam": "x"}`, nil, 400, `body must be {\"name\": \"<name>\"}`},
		{"/api/v1/config/cluster", ``, nil, 400, "empty body"},
		{"/api/v1/config/cluster", `{"name": "c9"}`, &config.FieldError{Path: "clusters[0].lb_type", Msg: "unknown"}, 400, `"error": "lb_type: unknown"`},
		{"/api/v1/config/cluster/remove", `{"name": "c9"}`, &config.FieldError{Path: "remove_clusters[0]", Msg: "no cluster named \"c9\"", Err: config.ErrNoSuchResource}, 404, `no cluster named`},
		{"/api/v1/config/listener", `{"name": "l9"}`, errors.New("listen tcp: address in use"), 409, "address in use"},
	} {
		f.err = c.err
		code, _, body := call(t, ts, "POST", c.path, c.body)
		if code != c.code || !strings.Contains(body, c.want) {
			t.Errorf("%s %s: %d %s, want %d with %q", c.path, c.body, code, body, c.code, c.want)
		}
	}
}

// Every dump redacts private keys and secret-looking fields.
func TestRedaction(t *testing.T) {
	key := privateKeyPEM(t)
	ts, f := newTest(t, nil)
	f.cfg.Servers[0].Listeners[0].FilterChains = []config.FilterChainConfig{{TLSContext: &config.TLSConfig{PrivateKey: key, CertChain: "cert"}}}
	for _, p := range []string{"/api/v1/config_dump", "/config_dump", "/api/v1/config_dump?alllisteners", "/api/v1/config_dump?listener=l1"} {
		_, _, body := call(t, ts, "GET", p, "")
		if strings.Contains(body, "PRIVATE KEY") || strings.Contains(body, key[40:80]) || !strings.Contains(body, `"private_key": "[redacted]"`) {
			t.Errorf("%s leaks the key: %.400s", p, body)
		}
		if !strings.Contains(body, `"cert_chain": "cert"`) {
			t.Errorf("%s redacted a certificate", p)
		}
	}
	b, err := RedactedJSON(map[string]any{"api_key": "k", "nested": []any{map[string]any{"password": "p", "ok": "x " + key}}, "empty_key": "", "count": 1})
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	json.Unmarshal(b, &back)
	nested := back["nested"].([]any)[0].(map[string]any)
	if back["api_key"] != Redacted || nested["password"] != Redacted || nested["ok"] != "x "+Redacted+"\n" || back["empty_key"] != "" || back["count"] != 1.0 {
		t.Errorf("%s", b)
	}
	t.Setenv("MOSN_TEST_PLAIN", "visible")
	t.Setenv("MOSN_TEST_API_KEY", "hidden")
	_, _, body := call(t, ts, "GET", "/api/v1/env?key=MOSN_TEST_PLAIN&key=MOSN_TEST_API_KEY&key=MOSN_TEST_NONE", "")
	if !strings.Contains(body, `"MOSN_TEST_PLAIN": "visible"`) || strings.Contains(body, "hidden") || !strings.Contains(body, `"MOSN_TEST_NONE"`) {
		t.Errorf("env: %s", body)
	}
}

func TestBasicAuth(t *testing.T) {
	ts, _ := newTest(t, func(o *Options) { o.Auth = BasicAuth("admin", "s3cret") })
	code, h, _ := call(t, ts, "GET", "/stats", "")
	if code != 401 || !strings.HasPrefix(h.Get("WWW-Authenticate"), "Basic") {
		t.Errorf("no credentials: %d %v", code, h)
	}
	req, _ := http.NewRequest("GET", ts.URL+"/stats", nil)
	for _, c := range []struct {
		pass string
		code int
	}{{"wrong", 401}, {"s3cret", 200}} {
		req.SetBasicAuth("admin", c.pass)
		resp, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.code {
			t.Errorf("password %q: %d", c.pass, resp.StatusCode)
		}
	}
	if code, _, _ := call(t, ts, "GET", "/ready", ""); code != 200 {
		t.Errorf("/ready is exempt: %d", code)
	}
	ts2, _ := newTest(t, func(o *Options) {
		o.Auth = AuthFunc(func(r *http.Request) bool { return r.Header.Get("X-Token") == "t" })
	})
	if code, _, _ := call(t, ts2, "GET", "/stats", ""); code != 403 {
		t.Errorf("AuthFunc refusal: %d", code)
	}
}

func TestPProfSwitch(t *testing.T) {
	off, _ := newTest(t, nil)
	if code, _, _ := call(t, off, "GET", "/debug/pprof/", ""); code != 404 {
		t.Errorf("pprof off: %d", code)
	}
	on, _ := newTest(t, func(o *Options) { o.PProf = true })
	if code, _, body := call(t, on, "GET", "/debug/pprof/goroutine?debug=1", ""); code != 200 || !strings.Contains(body, "goroutine profile") {
		t.Errorf("pprof on: %d", code)
	}
}

func TestStartAndClose(t *testing.T) {
	s, err := New(Options{Address: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get("http://" + s.Addr().String() + "/api/v1/states")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 501 {
		t.Errorf("without a proxy: %d", resp.StatusCode)
	}
	s.Close()
	if _, err := New(Options{Address: "256.0.0.1:0"}); err == nil {
		t.Error("bad address accepted")
	}
}
