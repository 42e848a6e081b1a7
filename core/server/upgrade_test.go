package server_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/seed405ffdea/mosn/core/config"
	"github.com/seed405ffdea/mosn/core/server"
	"github.com/seed405ffdea/mosn/core/upgrade"
)

// slowOrigin answers /slow after 300 ms and anything else at once.
func slowOrigin(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			time.Sleep(300 * time.Millisecond)
		}
		io.WriteString(w, "ok")
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// upgradeConfig proxies to origin; every response says which process
// (x-server: name) answered.
func upgradeConfig(t *testing.T, origin, name string, netpoll bool) *config.MOSNConfig {
	text := `{"servers": [{"use_netpoll_mode": ` + fmt.Sprint(netpoll) + `, "netpoll_park_after": "10ms", "graceful_timeout": "5s",
	    "routers": [{"router_config_name": "r1", "virtual_hosts": [{"name": "all", "domains": ["*"],
	      "response_headers_to_add": [{"header": {"key": "x-server", "value": "` + name + `"}, "append": false}],
	      "routers": [{"match": {"prefix": "/"}, "route": {"cluster_name": "backend"}}]}]}],
	    "listeners": [{"name": "ingress", "address": "127.0.0.1:0", "bind_port": true,
	      "filter_chains": [{"filters": [{"type": "proxy", "config": {"router_config_name": "r1"}}]}]}]}],
	  "cluster_manager": {"clusters": [{"name": "backend", "hosts": [{"address": "` + origin + `"}]}]}}`
	cfg, err := config.Parse([]byte(text), "upgrade.json")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// exchange sends one request on a keep-alive connection and returns who
// answered.
func exchange(t *testing.T, c net.Conn, r *bufio.Reader, path string) string {
	t.Helper()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path)
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "ok" || resp.Close {
		t.Fatalf("GET %s: %d %q close=%v", path, resp.StatusCode, b, resp.Close)
	}
	return resp.Header.Get("x-server")
}

// Two servers in one process play the old and the new process: the
// listening socket moves, an idle keep-alive connection (parked, in
// netpoll mode) moves, a busy one finishes its request in the old server
// first (no Connection: close) and then moves, and the old server closes
// itself when none is left.
func TestUpgradeMovesListenersAndConnections(t *testing.T) {
	for _, netpoll := range []bool{false, true} {
		t.Run(fmt.Sprintf("netpoll=%v", netpoll), func(t *testing.T) {
			origin := slowOrigin(t)
			dir := t.TempDir()
			a := start(t, upgradeConfig(t, origin, "A", netpoll), server.Options{TransferTimeout: 200 * time.Millisecond})
			us, err := upgrade.Serve(upgrade.ServerOptions{Dir: dir, Source: a})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(us.Close)
			addr := a.ListenerAddr("ingress").String()

			idle, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer idle.Close()
			idleR := bufio.NewReader(idle)
			busy, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer busy.Close()
			busyR := bufio.NewReader(busy)
			if exchange(t, idle, idleR, "/") != "A" || exchange(t, busy, busyR, "/") != "A" {
				t.Fatal("not served by A")
			}

			// A successor that fails changes nothing.
			cl, err := upgrade.Dial(dir, time.Second, nil)
			if err != nil {
				t.Fatal(err)
			}
			h, err := cl.Hello()
			if err != nil {
				t.Fatal(err)
			}
			if a.Stage() != server.Upgrading {
				t.Fatalf("stage during the handoff: %s", a.Stage())
			}
			h.Close()
			cl.Abort(errors.New("config error"))
			deadline := time.Now().Add(5 * time.Second)
			for a.Stage() != server.Running && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if a.Stage() != server.Running || exchange(t, idle, idleR, "/") != "A" {
				t.Fatalf("after a failed successor: stage %s", a.Stage())
			}
			time.Sleep(30 * time.Millisecond) // parked again (netpoll)

			cl, err = upgrade.Dial(dir, time.Second, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(cl.Close)
			if h, err = cl.Hello(); err != nil {
				t.Fatal(err)
			}
			b, err := server.New(server.Options{Config: upgradeConfig(t, origin, "B", netpoll), Inherited: h.Listeners,
				Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { b.Close() })
			b.Start()
			if got := b.ListenerAddr("ingress").String(); got != addr {
				t.Fatalf("B listens on %s, want the inherited %s", got, addr)
			}
			// A request in flight on the busy connection at takeover, and
			// the next one pipelined behind it: read by A, not processed.
			busy.SetDeadline(time.Now().Add(5 * time.Second))
			io.WriteString(busy, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n")
			time.Sleep(50 * time.Millisecond)
			if err := cl.Takeover(b.AdoptConn); err != nil {
				t.Fatal(err)
			}
			resp, err := http.ReadResponse(busyR, nil)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.Header.Get("x-server") != "A" || resp.Close {
				t.Fatalf("in-flight request: from %q, close=%v; want A finishing it without closing", resp.Header.Get("x-server"), resp.Close)
			}
			// The pipelined request moved with the connection as unread
			// bytes.
			resp, err = http.ReadResponse(busyR, nil)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || resp.Header.Get("x-server") != "B" {
				t.Fatalf("pipelined request: %d from %q, want B", resp.StatusCode, resp.Header.Get("x-server"))
			}
			select {
			case <-us.Done():
			case <-time.After(5 * time.Second):
				t.Fatal("the old server did not finish")
			}
			if a.Stage() != server.Stopped {
				t.Fatalf("old server stage: %s", a.Stage())
			}
			for _, c := range []struct {
				conn net.Conn
				r    *bufio.Reader
			}{{idle, idleR}, {busy, busyR}} {
				if got := exchange(t, c.conn, c.r, "/"); got != "B" {
					t.Fatalf("moved connection served by %q", got)
				}
			}
			fresh, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer fresh.Close()
			if got := exchange(t, fresh, bufio.NewReader(fresh), "/"); got != "B" {
				t.Fatalf("new connection served by %q", got)
			}
			if b.Stats().Requests.Load() != 4 {
				t.Fatalf("B served %d requests, want 4", b.Stats().Requests.Load())
			}
		})
	}
}

// A connection that arrives with bytes the old process read but did not
// process is served from those bytes first.
func TestAdoptedConnectionUnreadBytes(t *testing.T) {
	b := start(t, upgradeConfig(t, slowOrigin(t), "B", false), server.Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	srvSide, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	// The first request arrives whole as unread bytes, the second's head
	// half there and half on the socket.
	b.AdoptConn("ingress", srvSide, []byte("GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\n"))
	client.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(client)
	for i := 1; i <= 2; i++ {
		if i == 2 {
			io.WriteString(client, "Host: x\r\n\r\n")
		}
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatalf("response %d: %v", i, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("x-server") != "B" {
			t.Fatalf("response %d: %d from %q", i, resp.StatusCode, resp.Header.Get("x-server"))
		}
	}
	// An unknown listener closes the connection.
	c2, _ := net.Dial("tcp", ln.Addr().String())
	defer c2.Close()
	s2, _ := ln.Accept()
	b.AdoptConn("nope", s2, nil)
	c2.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := c2.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("connection for an unknown listener: read %d %v, want EOF", n, err)
	}
}
