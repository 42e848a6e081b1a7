package server

import (
	"errors"
	"log/slog"
	"testing"

	"github.com/seed405ffdea/mosn/core/config"
)

// A change to one cluster leaves the others running as they are: same
// object, so health checks and pools are not restarted.
func TestUpdateKeepsUnchangedClusters(t *testing.T) {
	cfg, err := config.Parse([]byte(`{"servers": [{"routers": [{"router_config_name": "r", "virtual_hosts": [{"name": "v", "domains": ["*"],
	    "routers": [{"match": {"prefix": "/"}, "route": {"cluster_name": "a"}}]}]}],
	  "listeners": [{"name": "l", "address": "127.0.0.1:0", "bind_port": true,
	    "filter_chains": [{"filters": [{"type": "proxy", "config": {"router_config_name": "r"}}]}]}]}],
	  "cluster_manager": {"clusters": [{"name": "a", "hosts": [{"address": "127.0.0.1:1"}]}, {"name": "b", "hosts": [{"address": "127.0.0.1:2"}]}]}}`), "c.json")
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Config: cfg, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a, b := s.clusters.Get("a"), s.clusters.Get("b")
	if err := s.Update(&config.Update{Clusters: []config.ClusterConfig{{Name: "b", LbType: "LB_RANDOM", Hosts: []config.HostConfig{{Address: "127.0.0.1:3"}}}}}); err != nil {
		t.Fatal(err)
	}
	if s.clusters.Get("a") != a {
		t.Error("unchanged cluster a was rebuilt")
	}
	if s.clusters.Get("b") == b {
		t.Error("changed cluster b was not rebuilt")
	}
	// A hosts update changes the live cluster in place.
	b = s.clusters.Get("b")
	if err := s.Update(&config.Update{Hosts: []config.ClusterHosts{{Cluster: "b", Hosts: []config.HostConfig{{Address: "127.0.0.1:4"}}}}}); err != nil {
		t.Fatal(err)
	}
	if s.clusters.Get("b") != b || b.Hosts()[0].Address() != "127.0.0.1:4" {
		t.Errorf("hosts update: same %t, hosts %v", s.clusters.Get("b") == b, b.Hosts())
	}
	// The EDS entry point does the same.
	if err := s.UpdateClusterHosts("b", []config.HostConfig{{Address: "127.0.0.1:5", Weight: 3}, {Address: "127.0.0.1:6"}}); err != nil {
		t.Fatal(err)
	}
	if hs := b.Hosts(); s.clusters.Get("b") != b || len(hs) != 2 || hs[0].Address() != "127.0.0.1:5" || hs[0].Weight() != 3 {
		t.Errorf("UpdateClusterHosts: hosts %v", hs)
	}
	if err := s.UpdateClusterHosts("nope", nil); !errors.Is(err, config.ErrNoSuchResource) {
		t.Errorf("unknown cluster: %v, want ErrNoSuchResource", err)
	}
	if err := s.UpdateClusterHosts("b", []config.HostConfig{{Address: "bad"}}); err == nil || len(b.Hosts()) != 2 {
		t.Errorf("bad host accepted (%v); hosts now %v", err, b.Hosts())
	}
	// An update that changes nothing is accepted and rebuilds nothing.
	if err := s.Update(&config.Update{Clusters: []config.ClusterConfig{s.RunningConfig().ClusterManager.Clusters[0]}}); err != nil {
		t.Fatal(err)
	}
	if s.clusters.Get("a") != a {
		t.Error("re-sending cluster a rebuilt it")
	}
}
