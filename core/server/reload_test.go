package server_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed405ffdea/mosn/core/config"
	"github.com/seed405ffdea/mosn/core/server"
)

// reloadFile writes a config file whose one cluster points at origin.
func reloadFile(t *testing.T, path, origin, lbType, logLevel string) {
	t.Helper()
	text := `{
	  "admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": 0}}},
	  "servers": [{"default_log_level": "` + logLevel + `",
	    "routers": [{"router_config_name": "r1", "virtual_hosts": [{"name": "all", "domains": ["*"],
	      "routers": [{"match": {"prefix": "/"}, "route": {"cluster_name": "backend"}}]}]}],
	    "listeners": [{"name": "ingress", "address": "127.0.0.1:0", "bind_port": true,
	      "filter_chains": [{"filters": [{"type": "proxy", "config": {"router_config_name": "r1"}}]}]}]
	  }],
	  "cluster_manager": {"clusters": [{"name": "backend", "lb_type": "` + lbType + `",
	    "hosts": [{"address": "` + origin + `"}]}]}
	}`
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

type reloadAnswer struct {
	Status  string   `json:"status"`
	Changed bool     `json:"changed"`
	Ignored []string `json:"ignored"`
	Error   string   `json:"error"`
	Field   string   `json:"field"`
}

// POST /api/v1/config/reload applies a changed file through the dynamic
// config path, refuses a bad one with the field and keeps the old config,
// and lists what only a restart changes.
func TestReloadConfigFile(t *testing.T) {
	one, two := newOrigin(t, "one"), newOrigin(t, "two")
	path := filepath.Join(t.TempDir(), "mosn.json")
	reloadFile(t, path, one, "LB_ROUNDROBIN", "INFO")
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	srv := start(t, cfg, server.Options{ConfigPath: path})
	addr := "http://" + srv.ListenerAddr("ingress").String() + "/"
	admin := "http://" + srv.AdminAddr().String() + "/api/v1/config/reload"
	expect := func(want string) {
		t.Helper()
		if code, _, body := do(t, "GET", addr, ""); code != 200 || body != want {
			t.Fatalf("GET: %d %q, want 200 %q", code, body, want)
		}
	}
	reload := func(wantCode int) reloadAnswer {
		t.Helper()
		code, body := post(t, admin, "")
		var a reloadAnswer
		if err := json.Unmarshal([]byte(body), &a); err != nil || code != wantCode {
			t.Fatalf("reload: %d %s (%v), want %d", code, body, err, wantCode)
		}
		return a
	}
	expect("one")
	if a := reload(200); a.Changed || len(a.Ignored) != 0 {
		t.Fatalf("reload of the same file: %+v, want no change", a)
	}

	reloadFile(t, path, two, "LB_ROUNDROBIN", "DEBUG")
	a := reload(200)
	if !a.Changed || strings.Join(a.Ignored, ",") != "servers[0].default_log_level" {
		t.Fatalf("reload: %+v, want changed and servers[0].default_log_level ignored", a)
	}
	expect("two")

	reloadFile(t, path, one, "LB_NOPE", "DEBUG")
	a = reload(400)
	if a.Field != "cluster_manager.clusters[0].lb_type" || !strings.Contains(a.Error, `"LB_NOPE"`) {
		t.Fatalf("bad file: %+v", a)
	}
	os.WriteFile(path, []byte(`{"servers": [`), 0o644)
	if a = reload(400); a.Error == "" {
		t.Fatalf("broken file: %+v", a)
	}
	expect("two")
	if got := srv.RunningConfig().ClusterManager.Clusters[0].Hosts[0].Address; got != two {
		t.Fatalf("running config after refusals: host %s, want %s", got, two)
	}
}

// A server started without a file has nothing to reload.
func TestReloadWithoutFile(t *testing.T) {
	srv := start(t, proxyConfig(t, newOrigin(t, "x"), "", ""), server.Options{})
	if _, err := srv.ReloadFile(); err != server.ErrNoConfigFile {
		t.Fatalf("ReloadFile: %v, want ErrNoConfigFile", err)
	}
}
