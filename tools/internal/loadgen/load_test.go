package loadgen

import (
	"context"
	"crypto/tls"
	"net"
	"strings"
	"testing"
	"time"
)

// The load generators run in-process against the origins here, so the
// race detector sees both sides.

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

func TestRunRate(t *testing.T) {
	ln := listen(t)
	go ServeHTTP1(ln, NewHTTP1Responses([]int{128}))
	cfg := RateConfig{Addr: ln.Addr().String(), Path: "/128", Rate: 1000, Conns: 4, Duration: 300 * time.Millisecond, Timeout: 2 * time.Second, CDF: true}
	r, err := RunRate(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if r.Count != 300 || r.Errors != 0 {
		t.Errorf("count %d, errors %d; want 300 requests on the schedule and no error", r.Count, r.Errors)
	}
	if r.Seconds < 0.3 || r.Rate() > 1000 {
		t.Errorf("seconds %v, rate %v: the schedule must not run faster than asked", r.Seconds, r.Rate())
	}
	if r.P50 <= 0 || r.P99 < r.P50 || r.Max < r.P99 || len(r.CDF) == 0 {
		t.Errorf("latencies %+v", r)
	}
}

// TestRunRateCountsStalls checks the open loop: an origin that stalls
// every response for 30 ms must show up in the latency of the requests
// queued behind it, not just in the one that hit it.
func TestRunRateCountsStalls(t *testing.T) {
	ln := listen(t)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 4096)
				resp := NewHTTP1Responses([]int{0}).ForPath(nil, false)
				for {
					if _, err := c.Read(buf); err != nil {
						return
					}
					time.Sleep(30 * time.Millisecond)
					c.Write(resp)
				}
			}()
		}
	}()
	// 200 rps on one connection that serves at most ~33 rps: requests
	// queue, and their waiting time counts.
	cfg := RateConfig{Addr: ln.Addr().String(), Path: "/", Rate: 200, Conns: 1, Duration: 200 * time.Millisecond, Timeout: 5 * time.Second}
	r, err := RunRate(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if r.Count != 40 {
		t.Fatalf("count %d, want 40", r.Count)
	}
	// The last request is due at 195 ms and completes after 40 × 30 ms.
	if r.Max < 900e3 {
		t.Errorf("max latency %.0f µs: queueing behind the stalls was not counted", r.Max)
	}
	if r.Rate() > 60 {
		t.Errorf("rate %.0f: the achieved rate must reflect the slow server", r.Rate())
	}
}

func TestRunGRPCLoad(t *testing.T) {
	ln := listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ServeGRPC(ctx, ln, 64) }()
	defer func() {
		cancel()
		<-done
	}()
	r, err := RunGRPCLoad(context.Background(), GRPCLoadConfig{Addr: ln.Addr().String(), Concurrency: 8, Conns: 2, Duration: 300 * time.Millisecond, Size: 32})
	if err != nil {
		t.Fatal(err)
	}
	if r.Count == 0 || r.Errors != 0 || r.P50 <= 0 || r.P99 < r.P50 {
		t.Errorf("result %+v", r)
	}
}

func TestRunTCPLoad(t *testing.T) {
	ln := listen(t)
	go ServeTCP(ln, false)
	r, err := RunTCPLoad(context.Background(), TCPLoadConfig{Addr: ln.Addr().String(), Conns: 2, Duration: 200 * time.Millisecond, Chunk: 32 << 10})
	if err != nil {
		t.Fatal(err)
	}
	if r.Count < 1<<20 || r.Errors != 0 || r.Seconds < 0.2 {
		t.Errorf("result %+v: want at least a MiB through loopback", r)
	}
}

func TestTCPEcho(t *testing.T) {
	ln := listen(t)
	go ServeTCP(ln, true)
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	c.Write([]byte("ping"))
	buf := make([]byte, 4)
	if _, err := c.Read(buf); err != nil || string(buf) != "ping" {
		t.Errorf("echo = %q, %v", buf, err)
	}
}

func TestRunTLSLoad(t *testing.T) {
	files, err := WriteSelfSigned(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.LoadX509KeyPair(files.Cert, files.Key)
	if err != nil {
		t.Fatal(err)
	}
	ln := tls.NewListener(listen(t), &tls.Config{Certificates: []tls.Certificate{cert}})
	go ServeHTTP1(ln, NewHTTP1Responses([]int{128}))
	r, err := RunTLSLoad(context.Background(), TLSLoadConfig{Addr: ln.Addr().String(), Path: "/128", CA: files.Cert, Concurrency: 2, Duration: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if r.Count == 0 || r.Errors != 0 || r.P50 <= 0 {
		t.Errorf("result %+v", r)
	}
	// A client that does not trust the certificate fails every handshake.
	other, err := WriteSelfSigned(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := RunTLSLoad(context.Background(), TLSLoadConfig{Addr: ln.Addr().String(), Path: "/", CA: other.Cert, Concurrency: 1, Duration: 50 * time.Millisecond}); err == nil {
		t.Error("handshakes with an untrusted certificate succeeded")
	}
}

func TestOpenIdle(t *testing.T) {
	ln := listen(t)
	go ServeHTTP1(ln, NewHTTP1Responses([]int{128}))
	conns, r := OpenIdle(context.Background(), IdleConfig{Addr: ln.Addr().String(), Path: "/128", Conns: 50, Parallel: 5})
	defer CloseAbortive(conns)
	if r.Count != 50 || len(conns) != 50 || r.Errors != 0 {
		t.Errorf("opened %d (result %+v), want 50", len(conns), r)
	}
	// The connections are still usable keep-alive connections.
	conns[0].SetDeadline(time.Now().Add(5 * time.Second))
	conns[0].Write([]byte("GET /128 HTTP/1.1\r\n\r\n"))
	if h, err := newRespReader(conns[0]).Next(); err != nil || h.Status != 200 {
		t.Errorf("second request: %+v, %v", h, err)
	}
}

func TestSplitURL(t *testing.T) {
	tests := []struct{ in, addr, path, err string }{
		{in: "http://127.0.0.1:80/128", addr: "127.0.0.1:80", path: "/128"},
		{in: "http://127.0.0.1:80", addr: "127.0.0.1:80", path: "/"},
		{in: "https://x/", err: "want an http:// URL"},
		{in: "http:///x", err: "no host"},
	}
	for _, tt := range tests {
		addr, path, err := SplitURL(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("SplitURL(%q) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || addr != tt.addr || path != tt.path {
			t.Errorf("SplitURL(%q) = %q, %q, %v", tt.in, addr, path, err)
		}
	}
}
