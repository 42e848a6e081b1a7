package server_test

import (
	"encoding/json"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed405ffdea/mosn/core/config"
	"github.com/seed405ffdea/mosn/core/server"
)

// updateError is the admin API's answer to a refused update.
type updateError struct {
	Error string `json:"error"`
	Field string `json:"field"`
}

// A bad update is refused with the field and the reason, and traffic
// keeps flowing on the old config meanwhile.
func TestBadUpdateRefusedWhileTrafficFlows(t *testing.T) {
	origin := newOrigin(t, "hello")
	srv := start(t, proxyConfig(t, origin, "", ""), server.Options{})
	addr := srv.ListenerAddr("ingress").String()
	admin := "http://" + srv.AdminAddr().String()
	before := srv.RunningConfig()

	// Traffic runs during the updates; every request must succeed.
	var stop atomic.Bool
	var wg sync.WaitGroup
	var ok, bad atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		for !stop.Load() {
			code, _, body := do(t, "GET", "http://"+addr+"/", "")
			if code == 200 && body == "hello" {
				ok.Add(1)
			} else {
				bad.Add(1)
			}
		}
	}()
	for _, c := range []struct {
		path, body string
		code       int
		field, err string
	}{
		{"/api/v1/config/cluster", `{"name": "backend", "lb_type": "LB_NOPE", "hosts": [{"address": "` + origin + `"}]}`,
			400, "lb_type", `lb_type: unknown load balancer "LB_NOPE"`},
		{"/api/v1/config/cluster", `{"name": "backend", "hosts": [{"address": "nowhere"}]}`,
			400, "hosts[0].address", "hosts[0].address: "},
		{"/api/v1/config/cluster", `{"name": "backend", "hostz": []}`,
			400, "hostz", "hostz: unknown field"},
		{"/api/v1/config/listener", `{"name": "ingress", "address": "not-an-address", "bind_port": true, "filter_chains": [{"filters": [{"type": "proxy", "config": {"router_config_name": "r1"}}]}]}`,
			400, "address", `address: invalid address "not-an-address"`},
		{"/api/v1/config/router", `{"router_config_name": "r1", "virtual_hosts": [{"name": "v", "domains": ["*"], "routers": [{"match": {"prefix": "/"}, "route": {"cluster_name": "ghost"}}]}]}`,
			400, "virtual_hosts[0].routers[0].route.cluster_name", `"ghost"`},
		{"/api/v1/config/cluster/remove", `{"name": "backend"}`, // still used by r1
			400, "servers[0].routers[0].virtual_hosts[0].routers[0].route.cluster_name", `unknown cluster "backend"`},
		{"/api/v1/config/cluster/remove", `{"name": "ghost"}`,
			404, "", `no cluster named "ghost"`},
		{"/api/v1/config/hosts", `{"cluster_name": "ghost", "hosts": []}`,
			404, "cluster_name", `no cluster named "ghost"`},
		{"/api/v1/config/update", `{"clusters": [{"name": "ok2", "hosts": [{"address": "127.0.0.1:1"}]}], "listeners": [{"name": "l2", "address": "127.0.0.1:0", "bind_port": true, "filter_chains": [{"filters": [{"type": "proxy", "config": {"router_config_name": "nope"}}]}]}]}`,
			400, "listeners[0].filter_chains[0].filters[0].config.router_config_name", "nope"},
	} {
		code, body := post(t, admin+c.path, c.body)
		var e updateError
		json.Unmarshal([]byte(body), &e)
		if code != c.code || e.Field != c.field || !strings.Contains(e.Error, c.err) {
			t.Errorf("%s %s:\n got %d %s\nwant %d field %q error containing %q", c.path, c.body, code, body, c.code, c.field, c.err)
		}
	}
	time.Sleep(50 * time.Millisecond) // let traffic overlap the last refusal
	stop.Store(true)
	wg.Wait()
	if bad.Load() != 0 || ok.Load() == 0 {
		t.Errorf("traffic during refused updates: %d ok, %d failed", ok.Load(), bad.Load())
	}
	// The running config is the old one, the very same snapshot.
	if srv.RunningConfig() != before {
		t.Error("a refused update replaced the running config")
	}
	if _, _, body := do(t, "GET", admin+"/api/v1/config_dump?cluster=ok2", ""); !strings.Contains(body, "no cluster named") {
		t.Errorf("half of a refused update was applied: %s", body)
	}
}

// Add a cluster, a route table and a listener; repoint a route; replace
// hosts; change a listener in place; remove what was added.
func TestDynamicUpdates(t *testing.T) {
	o1, o2 := newOrigin(t, "one"), newOrigin(t, "two")
	srv := start(t, proxyConfig(t, o1, "", ""), server.Options{})
	addr := srv.ListenerAddr("ingress").String()
	admin := "http://" + srv.AdminAddr().String()
	mustPost := func(path, body string) {
		t.Helper()
		if code, resp := post(t, admin+path, body); code != 200 {
			t.Fatalf("%s: %d %s", path, code, resp)
		}
	}
	get := func(a string) string {
		t.Helper()
		code, _, body := do(t, "GET", "http://"+a+"/", "")
		if code != 200 {
			t.Fatalf("GET via %s: %d %s", a, code, body)
		}
		return body
	}
	if get(addr) != "one" {
		t.Fatal("before")
	}

	// A new cluster, route table and listener in one change set.
	mustPost("/api/v1/config/update", `{
	  "clusters": [{"name": "second", "hosts": [{"address": "`+o2+`"}]}],
	  "routers": [{"router_config_name": "r2", "virtual_hosts": [{"name": "v", "domains": ["*"],
	    "routers": [{"match": {"prefix": "/"}, "route": {"cluster_name": "second"}}]}]}],
	  "listeners": [{"name": "l2", "address": "127.0.0.1:0", "bind_port": true,
	    "filter_chains": [{"filters": [{"type": "proxy", "config": {"router_config_name": "r2"}}]}]}]}`)
	addr2 := srv.ListenerAddr("l2")
	if addr2 == nil {
		t.Fatal("l2 not listening")
	}
	if get(addr2.String()) != "two" || get(addr) != "one" {
		t.Fatal("after adding l2")
	}

	// Repoint r1: traffic on ingress now reaches the second origin.
	mustPost("/api/v1/config/router", `{"router_config_name": "r1", "virtual_hosts": [{"name": "all", "domains": ["*"],
	  "routers": [{"match": {"prefix": "/"}, "route": {"cluster_name": "second"}}]}]}`)
	if get(addr) != "two" {
		t.Fatal("after repointing r1")
	}

	// Hosts of backend replaced in place; route r1 back to backend.
	mustPost("/api/v1/config/hosts", `{"cluster_name": "backend", "hosts": [{"address": "`+o2+`"}]}`)
	mustPost("/api/v1/config/router", `{"router_config_name": "r1", "virtual_hosts": [{"name": "all", "domains": ["*"],
	  "routers": [{"match": {"prefix": "/"}, "route": {"cluster_name": "backend"}}]}]}`)
	if get(addr) != "two" {
		t.Fatal("after replacing backend's hosts")
	}
	if _, _, body := do(t, "GET", admin+"/api/v1/config_dump?cluster=backend", ""); !strings.Contains(body, o2) || strings.Contains(body, o1) {
		t.Errorf("config dump after the hosts update: %s", body)
	}

	// An in-place listener change keeps the socket and a live keep-alive
	// connection working.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	keepAlive(t, conn, "two")
	mustPost("/api/v1/config/listener", `{"name": "ingress", "address": "127.0.0.1:0", "bind_port": true,
	  "connection_idle_timeout": "30s",
	  "filter_chains": [{"filters": [{"type": "proxy", "config": {"router_config_name": "r1"}}]}]}`)
	if srv.ListenerAddr("ingress").String() != addr {
		t.Fatalf("in-place update moved the listener to %v", srv.ListenerAddr("ingress"))
	}
	keepAlive(t, conn, "two")
	if get(addr) != "two" {
		t.Fatal("after the in-place listener update")
	}

	// Remove l2, its route table and cluster.
	mustPost("/api/v1/config/update", `{"remove_listeners": ["l2"], "remove_routers": ["r2"], "remove_clusters": ["second"]}`)
	if srv.ListenerAddr("l2") != nil {
		t.Fatal("l2 still listed")
	}
	eventually(t, "l2 closed", func() bool {
		c, err := net.DialTimeout("tcp", addr2.String(), time.Second)
		if err != nil {
			return true
		}
		c.Close()
		return false
	})
	cfg := srv.RunningConfig()
	if len(cfg.Servers[0].Listeners) != 1 || len(cfg.Servers[0].Routers) != 1 || len(cfg.ClusterManager.Clusters) != 1 {
		t.Errorf("running config: %d listeners, %d routers, %d clusters", len(cfg.Servers[0].Listeners), len(cfg.Servers[0].Routers), len(cfg.ClusterManager.Clusters))
	}
	if _, _, body := do(t, "GET", admin+"/stats/prometheus", ""); strings.Contains(body, `envoy_cluster_name="second"`) {
		t.Error("metrics of a removed cluster still exported")
	}
}

func keepAlive(t *testing.T, conn net.Conn, want string) {
	t.Helper()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	n, err := conn.Read(buf)
	if err != nil || !strings.HasPrefix(string(buf[:n]), "HTTP/1.1 200") || !strings.HasSuffix(string(buf[:n]), want) {
		t.Fatalf("keep-alive request: %q %v", buf[:n], err)
	}
}

// A listener whose address is taken is refused at build time (409) and
// nothing of the update is applied.
func TestUpdateBindFailureLeavesConfig(t *testing.T) {
	origin := newOrigin(t, "hello")
	srv := start(t, proxyConfig(t, origin, "", ""), server.Options{})
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	before := srv.RunningConfig()
	err = srv.Update(&config.Update{
		Clusters: []config.ClusterConfig{{Name: "extra", Hosts: []config.HostConfig{{Address: "127.0.0.1:1"}}}},
		Listeners: []config.ListenerConfig{{Name: "l2", Address: taken.Addr().String(), BindPort: true,
			FilterChains: []config.FilterChainConfig{{Filters: []config.FilterConfig{{Type: "proxy", Config: json.RawMessage(`{"router_config_name":"r1"}`)}}}}}},
	})
	if err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("got %v", err)
	}
	if srv.RunningConfig() != before || srv.ListenerAddr("l2") != nil {
		t.Error("a failed update changed the server")
	}
	code, _, body := do(t, "POST", "http://"+srv.AdminAddr().String()+"/api/v1/config/listener",
		`{"name": "l2", "address": "`+taken.Addr().String()+`", "bind_port": true, "filter_chains": [{"filters": [{"type": "proxy", "config": {"router_config_name": "r1"}}]}]}`)
	if code != 409 || !strings.Contains(body, "address already in use") {
		t.Errorf("admin: %d %s", code, body)
	}
}
