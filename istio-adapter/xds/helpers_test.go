package xds

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"

	"github.com/seed405ffdea/mosn/core/config"
	"github.com/seed405ffdea/mosn/core/server"
	"github.com/seed405ffdea/mosn/istio-adapter/xdstest"
)

// newProxy starts a core server with no listeners or clusters, the way
// an Istio sidecar starts before xDS arrives.
func newProxy(t *testing.T) *server.Server {
	cfg := &config.MOSNConfig{Servers: []config.ServerConfig{{ServerName: "xds-test", Listeners: []config.ListenerConfig{}, Routers: []config.RouterConfig{}}}}
	srv, err := server.New(server.Options{Config: cfg, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	t.Cleanup(func() { srv.Close() })
	return srv
}

// startClient connects a client for srv to cp.
func startClient(t *testing.T, srv *server.Server, cp *xdstest.ControlPlane, delta bool) (*Client, *Controller) {
	ctrl := NewController(ControllerOptions{Target: srv, WarmTimeout: 5 * time.Second})
	c, err := NewClient(Options{
		Target: cp.Target(), Node: &corev3.Node{Id: xdstest.NodeID, Cluster: "app.default"}, Delta: delta,
		Controller: ctrl, BackoffBase: 50 * time.Millisecond, BackoffMax: 200 * time.Millisecond,
		InitialFetchTimeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	c.Start()
	t.Cleanup(func() { c.Close() })
	return c, ctrl
}

var httpClient = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

// get returns the body of GET http://addr/ or the error.
func get(addr string) (string, error) {
	resp, err := httpClient.Get("http://" + addr + "/")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return "", fmt.Errorf("status %d: %s", resp.StatusCode, strings.TrimSpace(string(b)))
	}
	return string(b), err
}

// eventually polls cond every 20ms for up to 10s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// split sends n requests and counts the answers by body.
func split(t *testing.T, addr string, n int) map[string]int {
	t.Helper()
	out := map[string]int{}
	for i := 0; i < n; i++ {
		b, err := get(addr)
		if err != nil {
			out["error: "+err.Error()]++
			continue
		}
		out[b]++
	}
	return out
}

func timeout(t *testing.T) <-chan time.Time { return time.After(10 * time.Second) }
