package server_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seed405ffdea/mosn/core/config"
	"github.com/seed405ffdea/mosn/core/server"
)

// tcpServer is a real TCP server answering each connection with
// handle.
func tcpServer(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); handle(c) }()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String()
}

// udpEchoServer answers each datagram with "echo:" and the datagram.
func udpEchoServer(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 65535)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo(append([]byte("echo:"), buf[:n]...), from)
		}
	}()
	t.Cleanup(func() { pc.Close(); <-done })
	return pc.LocalAddr().String()
}

// A MOSN config with every L4 piece: tcp_proxy with routes and an access
// log, udp_proxy, and a unix listener each for tcp_proxy and the HTTP
// proxy, run by the real server.
func TestL4EndToEnd(t *testing.T) {
	echo := tcpServer(t, func(c net.Conn) {
		b, _ := io.ReadAll(c)
		c.Write(append([]byte("echo:"), b...))
	})
	other := tcpServer(t, func(c net.Conn) { io.ReadAll(c); c.Write([]byte("other")) })
	udp := udpEchoServer(t)
	web := newOrigin(t, "hello over unix")
	dir := t.TempDir()
	tcpSock, httpSock := filepath.Join(dir, "tcp.sock"), filepath.Join(dir, "http.sock")
	accessLog := filepath.Join(dir, "access.log")
	text := fmt.Sprintf(`{
	  "admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": 0}}},
	  "servers": [{
	    "routers": [{"router_config_name": "r1", "virtual_hosts": [{"name": "all", "domains": ["*"],
	      "routers": [{"match": {"prefix": "/"}, "route": {"cluster_name": "web"}}]}]}],
	    "listeners": [
	      {"name": "tcp", "address": "127.0.0.1:0", "bind_port": true,
	       "access_logs": [{"log_path": %q, "log_format": "%%upstream_cluster%% %%bytes_received%% %%bytes_sent%% %%upstream_host%%"}],
	       "filter_chains": [{"filters": [{"type": "tcp_proxy", "config": {
	         "stat_prefix": "tcp", "cluster": "echo", "idle_timeout": "10s", "max_connect_attempts": 2,
	         "routes": [{"cluster": "other", "source_addrs": [{"address": "127.0.0.3", "length": 32}]}]}}]}]},
	      {"name": "udp", "address": "127.0.0.1:0", "bind_port": true, "network": "udp",
	       "filter_chains": [{"filters": [{"type": "udp_proxy", "config": {"cluster": "udp", "idle_timeout": "5s"}}]}]},
	      {"name": "unix-tcp", "address": %q, "bind_port": true, "network": "unix",
	       "filter_chains": [{"filters": [{"type": "tcp_proxy", "config": {"cluster": "echo"}}]}]},
	      {"name": "unix-http", "address": %q, "bind_port": true, "network": "unix",
	       "filter_chains": [{"filters": [{"type": "proxy", "config": {"router_config_name": "r1"}}]}]}
	    ]
	  }],
	  "cluster_manager": {"clusters": [
	    {"name": "echo", "hosts": [{"address": %q}]},
	    {"name": "other", "hosts": [{"address": %q}]},
	    {"name": "udp", "hosts": [{"address": %q}]},
	    {"name": "web", "hosts": [{"address": %q}]}
	  ]}
	}`, accessLog, tcpSock, httpSock, echo, other, udp, web)
	cfg, err := config.Parse([]byte(text), "l4.json")
	if err != nil {
		t.Fatal(err)
	}
	srv := start(t, cfg, server.Options{})

	// tcp_proxy: the default cluster, and a route by source address.
	tcpAddr := srv.ListenerAddr("tcp").String()
	if got := tcpExchange(t, "tcp", tcpAddr, nil, "ping"); got != "echo:ping" {
		t.Fatalf("tcp: %q", got)
	}
	if got := tcpExchange(t, "tcp", tcpAddr, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 3)}, "x"); got != "other" {
		t.Fatalf("tcp from 127.0.0.3: %q", got)
	}

	// udp_proxy.
	uc, err := net.Dial("udp", srv.ListenerAddr("udp").String())
	if err != nil {
		t.Fatal(err)
	}
	defer uc.Close()
	for _, msg := range []string{"a", "bb", strings.Repeat("c", 4000)} {
		uc.Write([]byte(msg))
		uc.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 65535)
		n, err := uc.Read(buf)
		if err != nil || string(buf[:n]) != "echo:"+msg {
			t.Fatalf("udp %q: %q %v", msg[:1], buf[:min(n, 10)], err)
		}
	}

	// A unix listener with tcp_proxy, and one with the HTTP proxy.
	if got := tcpExchange(t, "unix", tcpSock, nil, "over unix"); got != "echo:over unix" {
		t.Fatalf("unix tcp_proxy: %q", got)
	}
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", httpSock)
		},
	}}
	for i := 0; i < 2; i++ { // a keep-alive connection, twice
		resp, err := hc.Get("http://mosn/")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != "hello over unix" {
			t.Fatalf("unix http: %d %q", resp.StatusCode, b)
		}
	}
	hc.CloseIdleConnections()

	// Metrics: bytes per cluster, upstream connections from the pool.
	fams, _ := scrape(t, "http://"+srv.AdminAddr().String()+"/stats/prometheus")
	eventually(t, "tcp bytes in metrics", func() bool {
		fams, _ = scrape(t, "http://"+srv.AdminAddr().String()+"/stats/prometheus")
		v, _ := sample(fams, "envoy_cluster_upstream_cx_tx_bytes_total", map[string]string{"envoy_cluster_name": "echo"})
		return v == float64(len("ping")+len("over unix"))
	})
	if v, _ := sample(fams, "envoy_cluster_upstream_cx_rx_bytes_total", map[string]string{"envoy_cluster_name": "echo"}); v != float64(len("echo:ping")+len("echo:over unix")) {
		t.Errorf("echo rx bytes %v", v)
	}
	if v, _ := sample(fams, "envoy_cluster_upstream_cx_total", map[string]string{"envoy_cluster_name": "echo"}); v != 2 {
		t.Errorf("echo upstream connections %v", v)
	}

	// The access log has a line per tcp_proxy connection.
	srv.Close()
	b, err := os.ReadFile(accessLog)
	if err != nil {
		t.Fatal(err)
	}
	want := "echo 4 9 " + echo + "\nother 1 5 " + other + "\n"
	if string(b) != want {
		t.Fatalf("access log:\n%s\nwant:\n%s", b, want)
	}
}

// tcpExchange sends msg, half-closes and returns the whole answer.
func tcpExchange(t *testing.T, network, addr string, local net.Addr, msg string) string {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: local}
	c, err := d.Dial(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	c.Write([]byte(msg))
	c.(interface{ CloseWrite() error }).CloseWrite()
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The MOSN examples for tcp_proxy and udp_proxy run as they are.
func TestMOSNL4Examples(t *testing.T) {
	upTCP := tcpServer(t, func(c net.Conn) { io.Copy(c, c) })
	upUDP := udpEchoServer(t)
	for _, tc := range []struct {
		file, network string
		fixed         []int
		upstream      string
	}{
		{"tcpproxy-sample__config.json", "tcp", []int{2045}, upTCP},
		{"udpproxy-sample__config.json", "udp", []int{5301}, upUDP},
	} {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile("../testdata/mosn-configs/" + tc.file)
			if err != nil {
				t.Fatal(err)
			}
			port := freePorts(t, 1)[0]
			text := strings.NewReplacer(
				fmt.Sprintf("127.0.0.1:%d", tc.fixed[0]), fmt.Sprintf("127.0.0.1:%d", port),
				"127.0.0.1:8080", tc.upstream, "127.0.0.1:5300", tc.upstream,
				`"default_log_path": "stdout"`, `"default_log_path": "stderr"`,
			).Replace(string(data))
			cfg, err := config.Parse([]byte(text), tc.file)
			if err != nil {
				t.Fatal(err)
			}
			startServer(t, cfg)
			c, err := net.Dial(tc.network, fmt.Sprintf("127.0.0.1:%d", port))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			c.Write([]byte("mosn"))
			buf := make([]byte, 64)
			n, err := c.Read(buf)
			if err != nil || !strings.HasSuffix(string(buf[:n]), "mosn") {
				t.Fatalf("%q %v", buf[:n], err)
			}
		})
	}
}
