package server_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/seed405ffdea/mosn/core/config"
	"github.com/seed405ffdea/mosn/core/server"
)

// UpdateClusterHosts moves traffic to the new hosts, shows them in the
// running config, and refuses bad hosts naming the field.
func TestUpdateClusterHosts(t *testing.T) {
	a, b := newOrigin(t, "a"), newOrigin(t, "b")
	srv := start(t, proxyConfig(t, a, "", ""), server.Options{})
	addr := srv.ListenerAddr("ingress").String()
	if _, _, body := do(t, "GET", "http://"+addr+"/", ""); body != "a" {
		t.Fatalf("before: %q", body)
	}
	if err := srv.UpdateClusterHosts("backend", []config.HostConfig{{Address: b}}); err != nil {
		t.Fatal(err)
	}
	if _, _, body := do(t, "GET", "http://"+addr+"/", ""); body != "b" {
		t.Fatalf("after: %q", body)
	}
	var running []string
	for _, cc := range srv.RunningConfig().ClusterManager.Clusters {
		if cc.Name == "backend" {
			for _, h := range cc.Hosts {
				running = append(running, h.Address)
			}
		}
	}
	if strings.Join(running, ",") != b {
		t.Errorf("running config hosts %v", running)
	}
	err := srv.UpdateClusterHosts("backend", []config.HostConfig{{Address: b}, {Address: "nowhere"}})
	var fe *config.FieldError
	if !errors.As(err, &fe) || !strings.HasPrefix(fe.Path, "hosts[1].address") {
		t.Fatalf("bad host: %v", err)
	}
	if err := srv.UpdateClusterHosts("ghost", nil); !errors.Is(err, config.ErrNoSuchResource) {
		t.Fatalf("unknown cluster: %v", err)
	}
	if _, _, body := do(t, "GET", "http://"+addr+"/", ""); body != "b" {
		t.Fatalf("a refused update changed traffic: %q", body)
	}
}
