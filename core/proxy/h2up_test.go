package proxy_test

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/seed405ffdea/mosn/api"
	"github.com/seed405ffdea/mosn/core/proxy"
)

// h2Origin is an x/net/http2 server speaking h2c (prior knowledge) on
// connections it tracks: Kill closes them all (a crash), Shutdown sends
// GOAWAY on each (a graceful stop).
type h2Origin struct {
	addr  string
	ln    net.Listener
	srv   *http.Server // the base config, for graceful shutdown
	h2    *http2.Server
	conns atomic.Int64

	mu   sync.Mutex
	live map[net.Conn]bool
	wg   sync.WaitGroup
}

func newH2Origin(t *testing.T, maxStreams uint32, h http.HandlerFunc) *h2Origin {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return serveH2Origin(t, ln, maxStreams, h)
}

func serveH2Origin(t *testing.T, ln net.Listener, maxStreams uint32, h http.HandlerFunc) *h2Origin {
	o := &h2Origin{addr: ln.Addr().String(), ln: ln, srv: &http.Server{}, h2: &http2.Server{MaxConcurrentStreams: maxStreams}, live: map[net.Conn]bool{}}
	http2.ConfigureServer(o.srv, o.h2)
	o.wg.Add(1)
	go func() {
		defer o.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			o.conns.Add(1)
			o.mu.Lock()
			o.live[c] = true
			o.mu.Unlock()
			o.wg.Add(1)
			go func() {
				defer o.wg.Done()
				o.h2.ServeConn(c, &http2.ServeConnOpts{BaseConfig: o.srv, Handler: h})
				c.Close()
				o.mu.Lock()
				delete(o.live, c)
				o.mu.Unlock()
			}()
		}
	}()
	t.Cleanup(o.Kill)
	return o
}

// Kill closes the listener and every connection.
func (o *h2Origin) Kill() {
	o.ln.Close()
	o.mu.Lock()
	for c := range o.live {
		c.Close()
	}
	o.mu.Unlock()
	o.wg.Wait()
}

func h2Upstream(down api.ProtocolName) func(*proxy.Options) {
	return func(o *proxy.Options) {
		o.Protocol = down
		o.UpstreamProtocol = api.HTTP2
	}
}

// echoH2 answers with the protocol it saw, the body, and trailers.
func echoH2(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Proto", r.Proto)
	w.Header().Set("X-Host", r.Host)
	w.Header().Set("Trailer", "X-Len, X-Got-Trailer")
	b, _ := io.ReadAll(r.Body)
	w.Write(b)
	w.Header().Set("X-Len", itoa(len(b)))
	w.Header().Set("X-Got-Trailer", r.Trailer.Get("X-Req-Trailer"))
}

func TestH2ToH2Upstream(t *testing.T) {
	o := newH2Origin(t, 0, echoH2)
	addr := startProxy(t, o.addr, proxyConf{opts: h2Upstream(api.HTTP2)})
	c := h2cClient(t)
	body := strings.Repeat("0123456789abcdef", 1<<16) // 1 MiB
	req, _ := http.NewRequest("POST", "http://"+addr+"/x", io.NopCloser(strings.NewReader(body)))
	req.Host = "svc.local"
	req.Trailer = http.Header{"X-Req-Trailer": []string{"v"}}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(got) != body {
		t.Fatalf("status %d, %d bytes", resp.StatusCode, len(got))
	}
	if resp.Header.Get("X-Proto") != "HTTP/2.0" || resp.Header.Get("X-Host") != "svc.local" {
		t.Fatalf("origin saw %v", resp.Header)
	}
	if resp.Trailer.Get("X-Len") != itoa(len(body)) || resp.Trailer.Get("X-Got-Trailer") != "v" {
		t.Fatalf("trailers %v", resp.Trailer)
	}
}

// TestHTTP1ToH2Upstream: an HTTP/1.1 client, chunked request body with a
// trailer, to an HTTP/2 upstream; the response's trailers come back in
// the chunked trailer section.
func TestHTTP1ToH2Upstream(t *testing.T) {
	o := newH2Origin(t, 0, echoH2)
	addr := startProxy(t, o.addr, proxyConf{opts: h2Upstream(api.HTTP1)})
	rc := dialRaw(t, addr)
	rc.send(t, "POST /y HTTP/1.1\r\nHost: h1.local\r\nTransfer-Encoding: chunked\r\nTrailer: X-Req-Trailer\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\nX-Req-Trailer: t\r\n\r\n")
	// The response as bytes: its trailers are in the chunked trailer
	// section (an HTTP/2 response cannot announce them with Trailer).
	var raw bytes.Buffer
	for !strings.HasSuffix(raw.String(), "\r\n0\r\nx-len: 11\r\nx-got-trailer: t\r\n\r\n") {
		b, err := rc.r.ReadByte()
		if err != nil {
			t.Fatalf("%v after %q", err, raw.String())
		}
		raw.WriteByte(b)
	}
	if !strings.HasPrefix(raw.String(), "HTTP/1.1 200 OK\r\n") || !strings.Contains(raw.String(), "x-proto: HTTP/2.0\r\n") ||
		!strings.Contains(raw.String(), "Transfer-Encoding: chunked\r\n") || !strings.Contains(raw.String(), "hello world") {
		t.Fatalf("response %q", raw.String())
	}
	// Keep-alive: a second request on the same client connection, with
	// a Content-Length body.
	rc.send(t, "POST /z HTTP/1.1\r\nHost: h1.local\r\nContent-Length: 3\r\n\r\nabc")
	resp, body := rc.response(t, "POST")
	if resp.StatusCode != 200 || body != "abc" {
		t.Fatalf("second: %d %q", resp.StatusCode, body)
	}
	// HEAD and an empty 204.
	rc.send(t, "HEAD /h HTTP/1.1\r\nHost: a\r\n\r\n")
	if resp, _ = rc.response(t, "HEAD"); resp.StatusCode != 200 {
		t.Fatalf("HEAD: %d", resp.StatusCode)
	}
	if o.conns.Load() != 1 {
		t.Fatalf("%d upstream connections, want 1", o.conns.Load())
	}
}

// TestH2UpstreamMoreConnsWhenStreamsRunOut: an upstream allowing 2
// streams per connection gets a new connection for the third concurrent
// request.
func TestH2UpstreamMoreConnsWhenStreamsRunOut(t *testing.T) {
	var inflight sync.WaitGroup
	inflight.Add(5)
	release := make(chan struct{})
	o := newH2Origin(t, 2, func(w http.ResponseWriter, r *http.Request) {
		inflight.Done()
		<-release
		w.Write([]byte("ok"))
	})
	addr := startProxy(t, o.addr, proxyConf{opts: h2Upstream(api.HTTP2)})
	c := h2cClient(t)
	errs := make(chan error, 5)
	for i := 0; i < 5; i++ {
		go func() {
			resp, err := c.Get("http://" + addr + "/")
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			errs <- err
		}()
	}
	waitGroup(t, &inflight)
	close(release)
	for i := 0; i < 5; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n := o.conns.Load(); n != 3 {
		t.Fatalf("%d upstream connections for 5 streams at 2 per connection, want 3", n)
	}
}

func waitGroup(t *testing.T, wg *sync.WaitGroup) {
	t.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("requests did not all reach the origin")
	}
}

// TestH2UpstreamGoAwayMidLoad: the origin shuts down gracefully (GOAWAY)
// while requests flow, and a new origin takes its place on the same
// address; no request fails.
func TestH2UpstreamGoAwayMidLoad(t *testing.T) {
	o := newH2Origin(t, 0, func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(time.Millisecond)
		w.Write([]byte("ok"))
	})
	addr := startProxy(t, o.addr, proxyConf{opts: h2Upstream(api.HTTP2)})
	c := h2cClient(t)
	var failed, done atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := c.Get("http://" + addr + "/")
				if err != nil {
					failed.Add(1)
					continue
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || string(b) != "ok" {
					failed.Add(1)
					continue
				}
				done.Add(1)
			}
		}()
	}
	time.Sleep(100 * time.Millisecond)
	// Graceful shutdown sends GOAWAY on the live connection; a second
	// server on the same address takes the new connections.
	o.ln.Close()
	ln2, err := net.Listen("tcp", o.addr)
	if err != nil {
		t.Skipf("cannot rebind the origin's address: %v", err)
	}
	o2 := serveH2Origin(t, ln2, 0, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	o.srv.Shutdown(t.Context())
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
	if failed.Load() > 0 || done.Load() == 0 {
		t.Fatalf("%d requests failed, %d succeeded", failed.Load(), done.Load())
	}
	if o2.conns.Load() == 0 {
		t.Fatal("no connection moved to the new origin after GOAWAY")
	}
	t.Logf("%d requests, none failed", done.Load())
}

// TestH2UpstreamRestart: after the origin dies and comes back, the first
// request succeeds and nothing hangs.
func TestH2UpstreamRestart(t *testing.T) {
	o := newH2Origin(t, 0, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("one")) })
	addr := startProxy(t, o.addr, proxyConf{opts: h2Upstream(api.HTTP1), timeout: 5 * time.Second})
	get := func() (int, string) {
		resp, err := client(t).Get("http://" + addr + "/")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(b)
	}
	if s, b := get(); s != 200 || b != "one" {
		t.Fatalf("%d %q", s, b)
	}
	o.Kill()
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		t.Skipf("cannot rebind the origin's address: %v", err)
	}
	serveH2Origin(t, ln, 0, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("two")) })
	if s, b := get(); s != 200 || b != "two" {
		t.Fatalf("first request after restart: %d %q", s, b)
	}
}

// TestH2UpstreamRefusedStreamRetried: a stream the upstream refuses
// (RST_STREAM REFUSED_STREAM: not processed) is retried, even a POST.
func TestH2UpstreamRefusedStreamRetried(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var refused atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.CopyN(io.Discard, c, int64(len(http2.ClientPreface)))
		fr := http2.NewFramer(c, c)
		fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
		fr.WriteSettings()
		for {
			f, err := fr.ReadFrame()
			if err != nil {
				return
			}
			switch f := f.(type) {
			case *http2.SettingsFrame:
				if !f.IsAck() {
					fr.WriteSettingsAck()
				}
			case *http2.MetaHeadersFrame:
				if refused.Add(1) == 1 {
					fr.WriteRSTStream(f.StreamID, http2.ErrCodeRefusedStream)
					continue
				}
			case *http2.DataFrame:
				if f.StreamEnded() && refused.Load() > 1 {
					var hb bytes.Buffer
					e := hpack.NewEncoder(&hb)
					e.WriteField(hpack.HeaderField{Name: ":status", Value: "200"})
					e.WriteField(hpack.HeaderField{Name: "content-length", Value: "2"})
					fr.WriteHeaders(http2.HeadersFrameParam{StreamID: f.StreamID, BlockFragment: hb.Bytes(), EndHeaders: true})
					fr.WriteData(f.StreamID, true, []byte("ok"))
				}
			}
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	addr := startProxy(t, ln.Addr().String(), proxyConf{opts: h2Upstream(api.HTTP1)})
	resp, err := client(t).Post("http://"+addr+"/", "text/plain", strings.NewReader("body"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "ok" || refused.Load() != 2 {
		t.Fatalf("%d %q after %d streams", resp.StatusCode, b, refused.Load())
	}
}
