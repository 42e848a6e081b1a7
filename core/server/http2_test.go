package server_test

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/h2c"

	"github.com/seed405ffdea/mosn/core/config"
)

// TestHTTP2FromConfig: downstream_protocol "Http2" and
// http2_protocol_options reach the listener's codec (its SETTINGS), and
// requests are served.
func TestHTTP2FromConfig(t *testing.T) {
	cfg, err := config.Parse([]byte(`{"servers":[{"routers":[{"router_config_name":"r","virtual_hosts":[{"name":"v","domains":["*"],
	  "routers":[{"match":{"prefix":"/"},"direct_response":{"status":200,"body":"ok"}}]}]}],
	  "listeners":[{"name":"l","address":"127.0.0.1:0","bind_port":true,
	  "filter_chains":[{"filters":[{"type":"proxy","config":{"router_config_name":"r","downstream_protocol":"Http2",
	    "http2_protocol_options":{"max_concurrent_streams":7,"initial_stream_window_size":70000}}}]}]}]}]}`), "h2.json")
	if err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, cfg)
	addr := srv.ListenerAddr("l").String()
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(conn, http2.ClientPreface)
	fr := http2.NewFramer(conn, conn)
	fr.WriteSettings()
	f, err := fr.ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	sf, ok := f.(*http2.SettingsFrame)
	if !ok {
		t.Fatalf("first frame %v, want SETTINGS", f)
	}
	if v, _ := sf.Value(http2.SettingMaxConcurrentStreams); v != 7 {
		t.Errorf("max concurrent streams %d, want 7", v)
	}
	if v, _ := sf.Value(http2.SettingInitialWindowSize); v != 70000 {
		t.Errorf("initial window %d, want 70000", v)
	}
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http2.Transport{AllowHTTP: true,
		DialTLSContext: func(ctx context.Context, n, a string, _ *tls.Config) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, n, a)
		}}}
	resp, err := c.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.ProtoMajor != 2 || resp.StatusCode != 200 || string(b) != "ok" {
		t.Fatalf("got %s %d %q", resp.Proto, resp.StatusCode, b)
	}
}

// TestHTTP2UpstreamFromConfig: upstream_protocol "Http2" speaks h2c to
// the cluster's hosts.
func TestHTTP2UpstreamFromConfig(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	origin := &http.Server{Handler: h2c.NewHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(r.Proto))
	}), &http2.Server{})}
	served := make(chan struct{})
	go func() { defer close(served); origin.Serve(ln) }()
	t.Cleanup(func() { origin.Close(); <-served })
	cfg, err := config.Parse([]byte(`{"servers":[{"routers":[{"router_config_name":"r","virtual_hosts":[{"name":"v","domains":["*"],
	  "routers":[{"match":{"prefix":"/"},"route":{"cluster_name":"o"}}]}]}],
	  "listeners":[{"name":"l","address":"127.0.0.1:0","bind_port":true,
	  "filter_chains":[{"filters":[{"type":"proxy","config":{"router_config_name":"r","upstream_protocol":"Http2",
	    "http2_protocol_options":{"connection_keepalive":{"interval":"10s","timeout":"1s"}}}}]}]}]}],
	  "cluster_manager":{"clusters":[{"name":"o","type":"SIMPLE","lb_type":"LB_ROUNDROBIN","hosts":[{"address":"`+ln.Addr().String()+`"}]}]}}`), "h2up.json")
	if err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, cfg)
	status, body := get(t, "http://"+srv.ListenerAddr("l").String()+"/")
	if status != 200 || body != "HTTP/2.0" {
		t.Fatalf("%d %q", status, body)
	}
}
