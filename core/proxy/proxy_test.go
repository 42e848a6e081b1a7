package proxy_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/seed405ffdea/mosn/core/accesslog"
	"github.com/seed405ffdea/mosn/core/proxy"
	"github.com/seed405ffdea/mosn/core/upstream"
	mlog "github.com/seed405ffdea/mosn/pkg/log"
)

func TestGetAndPost(t *testing.T) {
	var seen http.Header
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		seen = r.Header.Clone()
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Upstream", "yes")
		w.Header().Set("Keep-Alive", "timeout=5") // hop-by-hop: must not reach the client
		fmt.Fprintf(w, "%s %s %s", r.Method, r.URL.RequestURI(), b)
	})
	addr := startProxy(t, o.addr(), proxyConf{})
	c := client(t)

	resp, err := c.Get("http://" + addr + "/a/b?x=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "GET /a/b?x=1 " {
		t.Fatalf("GET: %d %q", resp.StatusCode, body)
	}
	if resp.Header.Get("X-Upstream") != "yes" || resp.Header.Get("Keep-Alive") != "" {
		t.Fatalf("response headers: %v", resp.Header)
	}
	if got := seen.Get("X-Forwarded-For"); got != "127.0.0.1" {
		t.Errorf("X-Forwarded-For = %q", got)
	}
	if got := seen.Get("X-Forwarded-Proto"); got != "http" {
		t.Errorf("X-Forwarded-Proto = %q", got)
	}
	if id := seen.Get("X-Request-Id"); len(id) != 36 || id[14] != '4' {
		t.Errorf("X-Request-Id = %q, want a v4 UUID", id)
	}

	resp, err = c.Post("http://"+addr+"/p", "text/plain", strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "POST /p hello" {
		t.Fatalf("POST: %q", body)
	}

	// A client's own X-Request-Id and X-Forwarded-For are kept; ours is
	// appended to the chain.
	req, _ := http.NewRequest("GET", "http://"+addr+"/", nil)
	req.Header.Set("X-Request-Id", "abc")
	req.Header.Set("X-Forwarded-For", "10.0.0.1")
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if seen.Get("X-Request-Id") != "abc" || strings.Join(seen.Values("X-Forwarded-For"), ", ") != "10.0.0.1, 127.0.0.1" {
		t.Fatalf("forwarding headers: %v", seen)
	}
}

func TestDirectResponse(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {})
	addr := startProxy(t, o.addr(), proxyConf{})
	c := dialRaw(t, addr)
	// A body sent to a direct response is read and dropped; the connection
	// stays usable.
	c.send(t, "POST /direct HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
	resp, body := c.response(t, "POST")
	if resp.StatusCode != 200 || body != "direct\n" {
		t.Fatalf("%d %q", resp.StatusCode, body)
	}
	c.send(t, "GET /direct HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp, _ := c.response(t, "GET"); resp.StatusCode != 200 {
		t.Fatalf("second: %d", resp.StatusCode)
	}
	if o.hits.Load() != 0 {
		t.Fatal("direct response reached the upstream")
	}
}

func TestKeepAliveReuse(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	addr := startProxy(t, o.addr(), proxyConf{})
	c := dialRaw(t, addr)
	const n = 50
	for i := 0; i < n; i++ {
		c.send(t, "GET /"+strconv.Itoa(i)+" HTTP/1.1\r\nHost: x\r\n\r\n")
		if resp, body := c.response(t, "GET"); resp.StatusCode != 200 || body != "ok" {
			t.Fatalf("request %d: %d %q", i, resp.StatusCode, body)
		}
	}
	if o.hits.Load() != n || o.conns.Load() != 1 {
		t.Fatalf("upstream saw %d requests on %d connections, want %d on 1", o.hits.Load(), o.conns.Load(), n)
	}
}

func TestPipelining(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s:%s", r.URL.Path, b)
	})
	addr := startProxy(t, o.addr(), proxyConf{})
	c := dialRaw(t, addr)
	c.send(t, "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n"+
		"POST /2 HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi"+
		"POST /3 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"+
		"GET /4 HTTP/1.1\r\nHost: x\r\n\r\n")
	for _, want := range []string{"/1:", "/2:hi", "/3:abc", "/4:"} {
		if _, body := c.response(t, "GET"); body != want {
			t.Fatalf("got %q, want %q", body, want)
		}
	}
}

func TestChunkedBothWays(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		if len(r.TransferEncoding) == 0 || r.TransferEncoding[0] != "chunked" {
			http.Error(w, "request was not chunked", 500)
			return
		}
		b, _ := io.ReadAll(r.Body)
		for i := 0; i < 3; i++ {
			fmt.Fprintf(w, "%s-%d;", b, i)
			w.(http.Flusher).Flush()
		}
	})
	addr := startProxy(t, o.addr(), proxyConf{})
	pr, pw := io.Pipe()
	go func() {
		for i := 0; i < 3; i++ {
			fmt.Fprintf(pw, "part%d", i)
		}
		pw.Close()
	}()
	req, _ := http.NewRequest("POST", "http://"+addr+"/", pr)
	resp, err := client(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	want := "part0part1part2-0;part0part1part2-1;part0part1part2-2;"
	if string(b) != want || len(resp.TransferEncoding) == 0 {
		t.Fatalf("got %q (TE %v)", b, resp.TransferEncoding)
	}
}

// pattern is an endless deterministic byte stream.
type pattern struct{ n int64 }

func (p *pattern) Read(b []byte) (int, error) {
	for i := range b {
		b[i] = byte(p.n * 7)
		p.n++
	}
	return len(b), nil
}

func TestLargeBodiesStreamWithFlatMemory(t *testing.T) {
	const size = 100 << 20
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "POST" {
			h := sha256.New()
			n, _ := io.Copy(h, r.Body)
			fmt.Fprintf(w, "%d %x", n, h.Sum(nil))
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(size))
		io.CopyN(w, &pattern{}, size)
	})
	addr := startProxy(t, o.addr(), proxyConf{timeout: 2 * time.Minute})

	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
		}
	}()
	c := client(t)
	// Upload: 100 MiB, chunked from the client, hashed by the upstream.
	want := sha256.New()
	io.CopyN(want, &pattern{}, size)
	req, _ := http.NewRequest("POST", "http://"+addr+"/up", io.LimitReader(&pattern{}, size))
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != fmt.Sprintf("%d %x", size, want.Sum(nil)) {
		t.Fatalf("upload: upstream saw %q", b)
	}
	// Download: 100 MiB with Content-Length.
	resp, err = c.Get("http://" + addr + "/down")
	if err != nil {
		t.Fatal(err)
	}
	got := sha256.New()
	n, err := io.Copy(got, resp.Body)
	resp.Body.Close()
	if err != nil || n != size || string(got.Sum(nil)) != string(want.Sum(nil)) {
		t.Fatalf("download: %d bytes, err %v", n, err)
	}
	close(stop)
	<-done
	// Client, proxy and upstream share this process; 100 MiB buffered
	// anywhere would show.
	if p := peak.Load(); p > 48<<20 {
		t.Fatalf("heap in use peaked at %d MiB while streaming 100 MiB", p>>20)
	}
}

func TestExpectContinue(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "got %s", b)
	})
	addr := startProxy(t, o.addr(), proxyConf{})
	c := dialRaw(t, addr)
	c.send(t, "PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
	line, err := c.r.ReadString('\n')
	if err != nil || line != "HTTP/1.1 100 Continue\r\n" {
		t.Fatalf("want 100 Continue, got %q %v", line, err)
	}
	c.r.ReadString('\n')
	c.send(t, "body")
	if resp, body := c.response(t, "PUT"); resp.StatusCode != 200 || body != "got body" {
		t.Fatalf("%d %q", resp.StatusCode, body)
	}
}

func TestHEADAndNoBodyStatuses(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/204":
			w.WriteHeader(204)
		case "/304":
			w.WriteHeader(304)
		default:
			w.Header().Set("Content-Length", "11")
			io.WriteString(w, "hello world")
		}
	})
	addr := startProxy(t, o.addr(), proxyConf{})
	c := dialRaw(t, addr)
	c.send(t, "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, body := c.response(t, "HEAD")
	if resp.StatusCode != 200 || body != "" || resp.ContentLength != 11 {
		t.Fatalf("HEAD: %d %q cl=%d", resp.StatusCode, body, resp.ContentLength)
	}
	for _, p := range []string{"/204", "/304", "/"} {
		c.send(t, "GET "+p+" HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, body := c.response(t, "GET")
		if p == "/" && body != "hello world" {
			t.Fatalf("after %s: %q", p, body)
		}
		if p != "/" && (body != "" || strconv.Itoa(resp.StatusCode) != p[1:]) {
			t.Fatalf("%s: %d %q", p, resp.StatusCode, body)
		}
	}
}

func TestRouteTimeoutIs504(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	addr := startProxy(t, o.addr(), proxyConf{timeout: 200 * time.Millisecond})
	c := dialRaw(t, addr)
	c.send(t, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, body := c.response(t, "GET")
	if resp.StatusCode != 504 || body != "upstream request timeout" {
		t.Fatalf("%d %q", resp.StatusCode, body)
	}
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestUpstreamDownIs503(t *testing.T) {
	addr := startProxy(t, freeAddr(t), proxyConf{})
	c := dialRaw(t, addr)
	c.send(t, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, body := c.response(t, "GET")
	if resp.StatusCode != 503 || !strings.Contains(body, "connection failure") {
		t.Fatalf("%d %q", resp.StatusCode, body)
	}
	// The connection stays usable.
	c.send(t, "GET /direct HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp, _ := c.response(t, "GET"); resp.StatusCode != 200 {
		t.Fatalf("after 503: %d", resp.StatusCode)
	}
}

func TestUpstreamResetBeforeHeadersIs502(t *testing.T) {
	// A reset (RST) is UR; a plain close before any response byte is UC.
	for _, tc := range []struct {
		name, flag string
		linger     bool
	}{{"reset", "UR", true}, {"close", "UC", false}} {
		t.Run(tc.name, func(t *testing.T) {
			o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
				conn, _, _ := w.(http.Hijacker).Hijack()
				if tc.linger {
					conn.(*net.TCPConn).SetLinger(0)
				}
				conn.Close()
			})
			path := t.TempDir() + "/access.log"
			l, err := accesslog.New(path, "%RESPONSE_CODE% %RESPONSE_FLAGS%", mlog.DefaultRoller())
			if err != nil {
				t.Fatal(err)
			}
			stats := &proxy.Stats{}
			addr := startProxy(t, o.addr(), proxyConf{opts: func(o *proxy.Options) {
				o.AccessLogs = []*accesslog.Logger{l}
				o.Stats = stats
			}})
			c := dialRaw(t, addr)
			c.send(t, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			resp, body := c.response(t, "GET")
			if resp.StatusCode != 502 {
				t.Fatalf("got %d %q, want 502", resp.StatusCode, body)
			}
			for deadline := time.Now().Add(5 * time.Second); stats.Requests.Load() != 1 || stats.Active.Load() != 0; {
				if time.Now().After(deadline) {
					t.Fatal("request not finished")
				}
				time.Sleep(time.Millisecond)
			}
			l.Close()
			if b, _ := os.ReadFile(path); strings.TrimSpace(string(b)) != "502 "+tc.flag {
				t.Errorf("access log %q, want \"502 %s\"", b, tc.flag)
			}
		})
	}
}

func TestUpstreamResetMidResponseClosesClient(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		conn, buf, _ := w.(http.Hijacker).Hijack()
		buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial")
		buf.Flush()
		conn.Close()
	})
	addr := startProxy(t, o.addr(), proxyConf{})
	resp, err := client(t).Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err == nil || string(b) != "partial" {
		t.Fatalf("want a truncated body and an error, got %q %v", b, err)
	}
}

func TestClientDisconnectCancelsUpstream(t *testing.T) {
	cancelled := make(chan struct{})
	started := make(chan struct{})
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		close(started)
		select {
		case <-r.Context().Done():
			close(cancelled)
		case <-time.After(10 * time.Second):
		}
	})
	addr := startProxy(t, o.addr(), proxyConf{opts: func(o *proxy.Options) { o.ClientCheck = 50 * time.Millisecond }})
	c := dialRaw(t, addr)
	c.send(t, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	<-started
	c.Close()
	select {
	case <-cancelled:
	case <-time.After(5 * time.Second):
		t.Fatal("upstream request not cancelled after the client left")
	}
}

func TestWebSocketEcho(t *testing.T) {
	up := websocket.Upgrader{}
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		for {
			mt, msg, err := ws.ReadMessage()
			if err != nil {
				return
			}
			ws.WriteMessage(mt, append([]byte("echo:"), msg...))
		}
	})
	addr := startProxy(t, o.addr(), proxyConf{})
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	ws, resp, err := d.Dial("ws://"+addr+"/ws", nil)
	if err != nil {
		t.Fatalf("dial: %v (%v)", err, resp)
	}
	defer ws.Close()
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	for i := 0; i < 5; i++ {
		msg := strings.Repeat("x", i*1000+1)
		if err := ws.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		_, got, err := ws.ReadMessage()
		if err != nil || string(got) != "echo:"+msg {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
}

func TestCurl(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl not installed (.ci/run installs it)")
	}
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "curl %s %d", r.Method, len(b))
	})
	addr := startProxy(t, o.addr(), proxyConf{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, curl, "-sS", "--max-time", "5",
		"-d", strings.Repeat("a", 5000), "http://"+addr+"/c",
		"--next", "-sS", "http://"+addr+"/direct").CombinedOutput()
	if err != nil || string(out) != "curl POST 5000direct\n" {
		t.Fatalf("curl: %q %v", out, err)
	}
}

func TestBadRequests(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "reached") })
	addr := startProxy(t, o.addr(), proxyConf{})
	manyHeaders := "GET / HTTP/1.1\r\nHost: x\r\n" + strings.Repeat("X-A: b\r\n", 101) + "\r\n"
	cases := []struct {
		name, req string
		status    int
	}{
		{"cl and te", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 400},
		{"headers too large", "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 61<<10) + "\r\n\r\n", 431},
		{"too many headers", manyHeaders, 431},
		{"bad chunk size", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", 400},
		{"bare lf", "GET / HTTP/1.1\nHost: x\n\n", 400},
		{"obs-fold", "GET / HTTP/1.1\r\nHost: x\r\nX-A: b\r\n c\r\n\r\n", 400},
		{"differing content-length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400},
		{"space before colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400},
		{"no host", "GET / HTTP/1.1\r\n\r\n", 400},
		{"bad version", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := o.hits.Load()
			c := dialRaw(t, addr)
			c.send(t, tc.req)
			resp, _ := c.response(t, "GET")
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if !resp.Close {
				t.Error("response does not say Connection: close")
			}
			if !c.closed() {
				t.Error("connection left open after a bad request")
			}
			if o.hits.Load() != before {
				t.Error("bad request reached the upstream")
			}
		})
	}
}

func TestBodyLimitIs413(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "reached") })
	addr := startProxy(t, o.addr(), proxyConf{opts: func(o *proxy.Options) { o.MaxRequestBody = 10 }})
	c := dialRaw(t, addr)
	c.send(t, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n01234567890")
	if resp, _ := c.response(t, "POST"); resp.StatusCode != 413 {
		t.Fatalf("got %d", resp.StatusCode)
	}
	c = dialRaw(t, addr)
	c.send(t, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nb\r\n01234567890\r\n0\r\n\r\n")
	if resp, _ := c.response(t, "POST"); resp.StatusCode != 413 {
		t.Fatalf("chunked: got %d", resp.StatusCode)
	}
	if o.hits.Load() != 0 {
		t.Fatal("reached the upstream")
	}
}

func TestSlowlorisIsCut(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {})
	addr := startProxy(t, o.addr(), proxyConf{opts: func(o *proxy.Options) { o.HeadersTimeout = 200 * time.Millisecond }})
	c := dialRaw(t, addr)
	c.send(t, "GET / HTTP/1.1\r\nHost: x\r\n")
	start := time.Now()
	resp, _ := c.response(t, "GET")
	if resp.StatusCode != 408 {
		t.Fatalf("got %d, want 408", resp.StatusCode)
	}
	if !c.closed() || time.Since(start) > 3*time.Second {
		t.Fatal("slow client not cut off in time")
	}
}

func TestIdleTimeoutClosesConnection(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {})
	addr := startProxy(t, o.addr(), proxyConf{opts: func(o *proxy.Options) { o.IdleTimeout = 100 * time.Millisecond }})
	c := dialRaw(t, addr)
	if !c.closed() {
		t.Fatal("idle connection not closed")
	}
}

func TestHTTP10ClientGetsDechunkedBody(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "one,")
		w.(http.Flusher).Flush()
		io.WriteString(w, "two")
	})
	addr := startProxy(t, o.addr(), proxyConf{})
	c := dialRaw(t, addr)
	c.send(t, "GET / HTTP/1.0\r\nHost: x\r\n\r\n")
	resp, body := c.response(t, "GET")
	if resp.StatusCode != 200 || body != "one,two" || len(resp.TransferEncoding) != 0 {
		t.Fatalf("%d %q %v", resp.StatusCode, body, resp.TransferEncoding)
	}
}

func TestLoadBalancingAcrossHosts(t *testing.T) {
	a := newOrigin(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "a") })
	b := newOrigin(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "b") })
	addr := startProxy(t, "", proxyConf{hosts: []string{a.addr(), b.addr()}})
	c := dialRaw(t, addr)
	for i := 0; i < 10; i++ {
		c.send(t, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		c.response(t, "GET")
	}
	if a.hits.Load() != 5 || b.hits.Load() != 5 {
		t.Fatalf("round robin: a=%d b=%d", a.hits.Load(), b.hits.Load())
	}
}

func TestAccessLog(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Up", "u1")
		io.WriteString(w, "hello")
	})
	path := t.TempDir() + "/access.log"
	l, err := accesslog.New(path, "%REQ(:METHOD)% %REQ(:PATH)% %RESPONSE_CODE% %BYTES_SENT% %RESPONSE_FLAGS% %UPSTREAM_CLUSTER% %request_header_x-who% %RESP(X-UP)% %request_id%", mlog.DefaultRoller())
	if err != nil {
		t.Fatal(err)
	}
	stats := &proxy.Stats{}
	addr := startProxy(t, freeAddr(t), proxyConf{hosts: []string{o.addr()}, opts: func(o *proxy.Options) {
		o.AccessLogs = []*accesslog.Logger{l}
		o.Stats = stats
	}})
	c := dialRaw(t, addr)
	c.send(t, "GET /a?b HTTP/1.1\r\nHost: x\r\nX-Who: me\r\nX-Request-Id: rid-1\r\n\r\n")
	c.response(t, "GET")
	c.send(t, "GET /direct HTTP/1.1\r\nHost: x\r\n\r\n")
	c.response(t, "GET")
	// The log line is written once the response is out; wait for it.
	for deadline := time.Now().Add(5 * time.Second); stats.Requests.Load() != 2 || stats.Active.Load() != 0; {
		if time.Now().After(deadline) {
			t.Fatal("requests not finished")
		}
		time.Sleep(time.Millisecond)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := "GET /a?b 200 5 - c me u1 rid-1\nGET /direct 200 7 - - - - -\n"
	if string(b) != want {
		t.Fatalf("access log:\n%s\nwant:\n%s", b, want)
	}
}

// The proxy reports each exchange's outcome to its host: a host that keeps
// failing is ejected by outlier detection and traffic moves to the others.
func TestOutlierEjectionMovesTraffic(t *testing.T) {
	good := newOrigin(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "good") })
	bad := newOrigin(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) })
	addr := startProxy(t, "", proxyConf{hosts: []string{good.addr(), bad.addr()}, cluster: func(o *upstream.ClusterOptions) {
		od := upstream.DefaultOutlierOptions()
		od.Consecutive5xx = 3
		od.MaxEjectionPercent = 50
		o.Outlier = &od
	}})
	c := dialRaw(t, addr)
	var fails int
	for i := 0; i < 40; i++ {
		c.send(t, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		if resp, _ := c.response(t, "GET"); resp.StatusCode != 200 {
			fails++
		}
	}
	// Round robin sends every other request to the bad host until it has
	// failed three times in a row; after that it is ejected for 30 s.
	if fails != 3 || bad.hits.Load() != 3 {
		t.Fatalf("%d failed requests, bad host hit %d times; want 3 and 3", fails, bad.hits.Load())
	}
}
