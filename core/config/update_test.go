package config

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
)

func loaded(t *testing.T, edits ...edit) *MOSNConfig {
	t.Helper()
	c, err := load(base(t, edits...), "c.json", Builtins())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Clone is a deep copy that validates to the same configuration, for
// every MOSN example that loads.
func TestCloneRoundTrip(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(compatDir, "*"))
	n := 0
	for _, path := range files {
		if compatTable[filepath.Base(path)] != "loads" {
			continue
		}
		n++
		c, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		cl, err := c.Clone()
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if err := cl.Validate(); err != nil {
			t.Fatalf("%s: clone does not validate: %v", path, err)
		}
		a, _ := json.Marshal(c)
		b, _ := json.Marshal(cl)
		if string(a) != string(b) {
			t.Errorf("%s: clone differs:\n%s\n%s", path, a, b)
		}
	}
	if n == 0 {
		t.Fatal("no example loads")
	}
}

func TestApply(t *testing.T) {
	c := loaded(t)
	before, _ := json.Marshal(c)
	u, err := ParseUpdate([]byte(`{
	  "clusters": [{"name": "c2", "hosts": [{"address": "127.0.0.1:9000"}]}],
	  "routers": [{"router_config_name": "r2", "virtual_hosts": [{"name": "v", "domains": ["*"],
	    "routers": [{"match": {"prefix": "/"}, "route": {"cluster_name": "c2"}}]}]}],
	  "listeners": [{"address": "127.0.0.1:2050", "bind_port": true,
	    "filter_chains": [{"filters": [{"type": "proxy", "config": {"router_config_name": "r2"}}]}]}],
	  "hosts": [{"cluster_name": "c1", "hosts": [{"address": "127.0.0.1:8081", "weight": 0}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	next, err := c.Apply(u, Builtins())
	if err != nil {
		t.Fatal(err)
	}
	after, _ := json.Marshal(c)
	if string(before) != string(after) {
		t.Fatal("Apply modified its receiver")
	}
	s := next.Servers[0]
	if len(s.Listeners) != 2 || s.Listeners[1].Name != "127.0.0.1:2050" || s.Listeners[1].FilterChains[0].Filters[0].Proxy == nil {
		t.Errorf("listeners %+v", s.Listeners)
	}
	if len(next.ClusterManager.Clusters) != 2 || next.ClusterManager.Clusters[0].Hosts[0].Address != "127.0.0.1:8081" ||
		next.ClusterManager.Clusters[0].Hosts[0].Weight != 1 {
		t.Errorf("clusters %+v", next.ClusterManager.Clusters)
	}
	// Replace by name, then remove.
	u2, _ := ParseUpdate([]byte(`{"remove_listeners": ["127.0.0.1:2050"], "remove_routers": ["r2"], "remove_clusters": ["c2"]}`))
	again, err := next.Apply(u2, Builtins())
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Servers[0].Listeners) != 1 || len(again.Servers[0].Routers) != 1 || len(again.ClusterManager.Clusters) != 1 {
		t.Errorf("after removal: %+v", again)
	}
	if (&Update{}).Empty() != true || u.Empty() {
		t.Error("Empty")
	}
}

func TestApplyErrors(t *testing.T) {
	c := loaded(t)
	for _, tt := range []struct {
		update   string
		path     string
		msg      string
		notFound bool
	}{
		{`{"listeners": [{"name": "l1", "address": "", "bind_port": true}]}`, "listeners[0].address", "required", false},
		{`{"clusters": [{"name": "c1", "lb_type": "LB_X"}]}`, "clusters[0].lb_type", "", false},
		{`{"hosts": [{"cluster_name": "c1", "hosts": [{"address": "x"}]}]}`, "hosts[0].hosts[0].address", "", false},
		{`{"hosts": [{"cluster_name": "", "hosts": []}]}`, "hosts[0].cluster_name", "required", false},
		{`{"hosts": [{"cluster_name": "zz", "hosts": []}]}`, "hosts[0].cluster_name", `no cluster named "zz"`, true},
		{`{"remove_clusters": ["zz"]}`, "remove_clusters[0]", `no cluster named "zz"`, true},
		{`{"remove_routers": ["zz"]}`, "remove_routers[0]", `no router named "zz"`, true},
		{`{"remove_listeners": ["zz"]}`, "remove_listeners[0]", `no listener named "zz"`, true},
		// Removing a cluster a route uses: the path is the route's.
		{`{"remove_clusters": ["c1"]}`, "servers[0].routers[0].virtual_hosts[0].routers[0].route.cluster_name", `unknown cluster "c1"`, false},
	} {
		u, err := ParseUpdate([]byte(tt.update))
		if err != nil {
			t.Fatalf("%s: %v", tt.update, err)
		}
		_, err = c.Apply(u, Builtins())
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Path != tt.path || (tt.msg != "" && fe.Msg != tt.msg) || errors.Is(err, ErrNoSuchResource) != tt.notFound {
			t.Errorf("%s: got %v, want %s: %s", tt.update, err, tt.path, tt.msg)
		}
	}
	if _, err := ParseUpdate([]byte(`{"listeners": [{"adress": "x"}]}`)); err == nil || err.Error() != "listeners[0].adress: unknown field" {
		t.Errorf("strict decoding: %v", err)
	}
}
