package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed405ffdea/mosn/api"
	"github.com/seed405ffdea/mosn/core/config"
	"github.com/seed405ffdea/mosn/core/server"
)

// freePorts reserves n distinct loopback ports and releases them, for
// configs whose listeners refer to each other by port (chained listeners).
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var lns []net.Listener
	var ports []int
	for i := 0; i < n; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		ln.Close()
	}
	return ports
}

// loadWithPorts loads a config file, replacing the given fixed ports with
// free ones; it returns the config and the port map.
func loadWithPorts(t *testing.T, path string, fixed ...int) (*config.MOSNConfig, map[int]int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	m := map[int]int{}
	for i, p := range freePorts(t, len(fixed)) {
		m[fixed[i]] = p
		text = strings.ReplaceAll(text, strconv.Itoa(fixed[i]), strconv.Itoa(p))
	}
	cfg, err := config.Parse([]byte(text), path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, m
}

func startServer(t *testing.T, cfg *config.MOSNConfig) *server.Server {
	t.Helper()
	srv, err := server.New(server.Options{
		Config:  cfg,
		Logger:  slog.New(slog.DiscardHandler),
		Version: server.VersionInfo{Version: "test"},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	t.Cleanup(func() { srv.Close() })
	return srv
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The original MOSN's default config: three chained listeners, the middle
// one with downstream_protocol "Auto", and an admin block.
func TestMOSNDefaultConfigServesEndToEnd(t *testing.T) {
	cfg, ports := loadWithPorts(t, "../testdata/mosn-configs/mosn_config.json", 2045, 2046, 2047, 34901)
	startServer(t, cfg)
	code, body := get(t, "http://127.0.0.1:"+strconv.Itoa(ports[2045])+"/")
	if code != 200 || body != "Welcome to MOSN!\nThe Cloud-Native Network Proxy Platform.\n" {
		t.Fatalf("%d %q", code, body)
	}
	admin := "http://127.0.0.1:" + strconv.Itoa(ports[34901])
	code, body = get(t, admin+"/api/v1/states")
	var st struct {
		State string `json:"state"`
	}
	if code != 200 || json.Unmarshal([]byte(body), &st) != nil || st.State != "running" {
		t.Fatalf("states: %d %q", code, body)
	}
	code, body = get(t, admin+"/api/v1/version")
	if code != 200 || !strings.Contains(body, `"version": "test"`) {
		t.Fatalf("version: %d %q", code, body)
	}
}

func TestEmbeddedDefaultConfig(t *testing.T) {
	text := string(config.Default())
	ports := freePorts(t, 3)
	for i, p := range []string{"2045", "2046", "34901"} {
		text = strings.ReplaceAll(text, p, strconv.Itoa(ports[i]))
	}
	cfg, err := config.Parse([]byte(text), "default.json")
	if err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, cfg)
	code, body := get(t, "http://127.0.0.1:"+strconv.Itoa(ports[0])+"/anything")
	if code != 200 || body == "" {
		t.Fatalf("%d %q", code, body)
	}
	if srv.Stats().Requests.Load() != 2 {
		t.Fatalf("want 2 proxied requests (two hops), got %d", srv.Stats().Requests.Load())
	}
}

func TestGracefulShutdownFinishesInFlight(t *testing.T) {
	release := make(chan struct{})
	up := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		io.WriteString(w, "finished")
	})}
	uln, _ := net.Listen("tcp", "127.0.0.1:0")
	go up.Serve(uln)
	defer up.Close()

	port := freePorts(t, 1)[0]
	cfg, err := config.Parse([]byte(`{
  "servers": [{
    "graceful_timeout": "5s",
    "routers": [{"router_config_name": "r", "virtual_hosts": [{"name": "v", "domains": ["*"],
      "routers": [{"match": {"prefix": "/"}, "route": {"cluster_name": "c"}}]}]}],
    "listeners": [{"name": "l", "address": "127.0.0.1:`+strconv.Itoa(port)+`", "bind_port": true,
      "filter_chains": [{"filters": [{"type": "proxy", "config": {"downstream_protocol": "Http1", "router_config_name": "r"}}]}]}]
  }],
  "cluster_manager": {"clusters": [{"name": "c", "type": "SIMPLE", "lb_type": "LB_ROUNDROBIN", "hosts": [{"address": "`+uln.Addr().String()+`"}]}]}
}`), "graceful.json")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Options{Config: cfg, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	// One idle keep-alive connection and one request in flight.
	idle, err := net.Dial("tcp", srv.ListenerAddr("l").String())
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	type result struct {
		code  int
		body  string
		close bool
	}
	done := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + srv.ListenerAddr("l").String() + "/")
		if err != nil {
			done <- result{body: err.Error()}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		done <- result{resp.StatusCode, string(b), resp.Close}
	}()
	for srv.Stats().Active.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), srv.GracefulTimeout())
		defer cancel()
		shut <- srv.Shutdown(ctx)
	}()
	// New connections are refused once draining starts.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.Dial("tcp", srv.ListenerAddr("l").String())
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("listener still accepting while draining")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// The idle connection is closed by the drain.
	idle.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := idle.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("idle connection: %v, want EOF", err)
	}
	close(release)
	r := <-done
	if r.code != 200 || r.body != "finished" || !r.close {
		t.Fatalf("in-flight request: %+v", r)
	}
	if err := <-shut; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if srv.Stage() != server.Stopped {
		t.Fatalf("stage %v", srv.Stage())
	}
}

func TestBadConfigRefused(t *testing.T) {
	cfg, err := config.Parse([]byte(`{"servers":[{"listeners":[{"name":"l","address":"127.0.0.1:0","bind_port":true,
	  "filter_chains":[{"filters":[{"type":"proxy","config":{"router_config_name":"nope"}}]}]}]}]}`), "bad.json")
	if err == nil {
		_, err = server.New(server.Options{Config: cfg, Logger: slog.New(slog.DiscardHandler)})
	}
	if err == nil || !strings.Contains(err.Error(), `router_config_name`) {
		t.Fatalf("want an error naming router_config_name, got %v", err)
	}
}

func TestAccessLogFormatValidated(t *testing.T) {
	cfg, err := config.Parse([]byte(`{"servers":[{"routers":[{"router_config_name":"r","virtual_hosts":[{"name":"v","domains":["*"],
	  "routers":[{"match":{"prefix":"/"},"direct_response":{"status":200}}]}]}],
	  "listeners":[{"name":"l","address":"127.0.0.1:0","bind_port":true,
	  "access_logs":[{"log_path":"stdout","log_format":"%nope%"}],
	  "filter_chains":[{"filters":[{"type":"proxy","config":{"router_config_name":"r"}}]}]}]}]}`), "al.json")
	if err == nil {
		err = cfg.Validate()
	}
	if err == nil || !strings.Contains(err.Error(), `servers[0].listeners[0].access_logs[0].log_format: unknown variable "nope"`) {
		t.Fatalf("got %v", err)
	}
}

func TestProxyLimitsFromConfig(t *testing.T) {
	cfg, err := config.Parse([]byte(`{"servers":[{"routers":[{"router_config_name":"r","virtual_hosts":[{"name":"v","domains":["*"],
	  "routers":[{"match":{"prefix":"/"},"direct_response":{"status":200,"body":"ok"}}]}]}],
	  "listeners":[{"name":"l","address":"127.0.0.1:0","bind_port":true,
	  "filter_chains":[{"filters":[{"type":"proxy","config":{"router_config_name":"r",
	    "max_request_headers_kb":1,"max_headers_count":3,"max_request_body_bytes":10}}]}]}]}]}`), "limits.json")
	if err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, cfg)
	addr := srv.ListenerAddr("l").String()
	cases := []struct {
		name, req string
		status    int
	}{
		{"head over 1 KiB", "GET / HTTP/1.1\r\nHost: x\r\nX-A: " + strings.Repeat("a", 1100) + "\r\n\r\n", 431},
		{"4 headers", "GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", 431},
		{"body over 10 bytes", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world", 413},
		{"within limits", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(5 * time.Second))
			io.WriteString(conn, c.req)
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, c.status)
			}
		})
	}
	for _, bad := range []struct{ field, value, want string }{
		{"max_request_headers_kb", "9000", "max_request_headers_kb: at most 8192, got 9000"},
		{"max_request_body_bytes", "-1", "max_request_body_bytes: must not be negative, got -1"},
		{"request_headers_timeout", `"-1s"`, "request_headers_timeout: must not be negative, got -1s"},
	} {
		cfg, err := config.Parse([]byte(`{"servers":[{"routers":[{"router_config_name":"r","virtual_hosts":[{"name":"v","domains":["*"],
		  "routers":[{"match":{"prefix":"/"},"direct_response":{"status":200}}]}]}],
		  "listeners":[{"name":"l","address":"127.0.0.1:0","bind_port":true,
		  "filter_chains":[{"filters":[{"type":"proxy","config":{"router_config_name":"r","`+bad.field+`":`+bad.value+`}}]}]}]}]}`), "bad.json")
		if err == nil {
			err = cfg.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), "servers[0].listeners[0].filter_chains[0].filters[0].config."+bad.want) {
			t.Errorf("%s: got %v", bad.field, err)
		}
	}
}

func TestNetpollModeFromConfig(t *testing.T) {
	cfg, err := config.Parse([]byte(`{"servers":[{"use_netpoll_mode":true,"netpoll_park_after":"10ms",
	  "routers":[{"router_config_name":"r","virtual_hosts":[{"name":"v","domains":["*"],
	  "routers":[{"match":{"prefix":"/"},"direct_response":{"status":200,"body":"ok"}}]}]}],
	  "listeners":[{"name":"l","address":"127.0.0.1:0","bind_port":true,
	  "filter_chains":[{"filters":[{"type":"proxy","config":{"router_config_name":"r"}}]}]}]}]}`), "netpoll.json")
	if err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, cfg)
	conn, err := net.Dial("tcp", srv.ListenerAddr("l").String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(conn)
	for i := 0; i < 3; i++ {
		io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		time.Sleep(40 * time.Millisecond) // parked by now
	}
	if srv.Stats().Requests.Load() != 3 {
		t.Fatalf("%d requests", srv.Stats().Requests.Load())
	}
}

func TestPProfEndpoint(t *testing.T) {
	port := freePorts(t, 1)[0]
	cfg, err := config.Parse([]byte(`{"pprof":{"debug":true,"port_value":`+strconv.Itoa(port)+`},
	  "servers":[{"routers":[{"router_config_name":"r","virtual_hosts":[{"name":"v","domains":["*"],
	  "routers":[{"match":{"prefix":"/"},"direct_response":{"status":200}}]}]}],
	  "listeners":[{"name":"l","address":"127.0.0.1:0","bind_port":true,
	  "filter_chains":[{"filters":[{"type":"proxy","config":{"router_config_name":"r"}}]}]}]}]}`), "pprof.json")
	if err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, cfg)
	if srv.PProfAddr().String() != "127.0.0.1:"+strconv.Itoa(port) {
		t.Fatalf("pprof on %v", srv.PProfAddr())
	}
	code, body := get(t, "http://"+srv.PProfAddr().String()+"/debug/pprof/goroutine?debug=1")
	if code != 200 || !strings.Contains(body, "goroutine profile") {
		t.Fatalf("%d %.100q", code, body)
	}
}

type nopSpan struct{}

func (nopSpan) TraceID() string               { return "" }
func (nopSpan) SetOperation(string)           {}
func (nopSpan) SetTag(string, string)         {}
func (nopSpan) InjectContext(h api.HeaderMap) { h.Set("x-test-trace", "on") }
func (nopSpan) Finish(time.Time)              {}

func TestTracingDriverFromConfig(t *testing.T) {
	regs := server.NewRegistries()
	var traced atomic.Int64
	if err := regs.Tracers.Register("tracer.test", func(cfg []byte) (api.Tracer, error) {
		if string(cfg) != `{"rate":1}` {
			return nil, fmt.Errorf("config %s", cfg)
		}
		return tracerFunc(func() api.Span { traced.Add(1); return nopSpan{} }), nil
	}); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse([]byte(`{"tracing":{"enable":true,"driver":"tracer.test","config":{"rate":1}},
	  "servers":[{"routers":[{"router_config_name":"r","virtual_hosts":[{"name":"v","domains":["*"],
	  "routers":[{"match":{"prefix":"/"},"direct_response":{"status":200}}]}]}],
	  "listeners":[{"name":"l","address":"127.0.0.1:0","bind_port":true,
	  "filter_chains":[{"filters":[{"type":"proxy","config":{"router_config_name":"r"}}]}]}]}]}`), "trace.json")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Options{Config: cfg, Registries: regs, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv.Close()
	// The same config without the driver registered is refused by name.
	cfg2, _ := config.Parse([]byte(`{"tracing":{"enable":true,"driver":"tracer.nope"},"servers":[{"routers":[],"listeners":[]}]}`), "t2.json")
	_, err = server.New(server.Options{Config: cfg2, Logger: slog.New(slog.DiscardHandler)})
	if err == nil || !strings.Contains(err.Error(), `tracing.driver: unknown tracer "tracer.nope"`) {
		t.Fatalf("got %v", err)
	}
}

type tracerFunc func() api.Span

func (f tracerFunc) Start(context.Context, api.HeaderMap, time.Time) api.Span { return f() }
