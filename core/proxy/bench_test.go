package proxy_test

import (
	"bufio"
	"bytes"
	"net"
	"strconv"
	"testing"
)

// rawOrigin is a minimal keep-alive HTTP/1.1 origin: for each request head
// it writes one fixed response, so that benchmarks measure the proxy, not
// net/http.
func rawOrigin(t testing.TB, body []byte) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	resp := append([]byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"), body...)
	done := make(chan struct{})
	conns := make(chan net.Conn, 64)
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns <- c
			go func() {
				buf := make([]byte, 16<<10)
				have := 0
				for {
					n, err := c.Read(buf[have:])
					if err != nil {
						c.Close()
						return
					}
					have += n
					for {
						i := bytes.Index(buf[:have], []byte("\r\n\r\n"))
						if i < 0 {
							break
						}
						copy(buf, buf[i+4:have])
						have -= i + 4
						if _, err := c.Write(resp); err != nil {
							c.Close()
							return
						}
					}
				}
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		close(conns)
		for c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// roundTripper sends GETs on one keep-alive connection and reads the
// fixed-size responses without allocating.
type roundTripper struct {
	c    net.Conn
	r    *bufio.Reader
	req  []byte
	want int
}

func newRoundTripper(t testing.TB, addr string, bodyLen int) *roundTripper {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &roundTripper{
		c:    c,
		r:    bufio.NewReaderSize(c, 32<<10),
		req:  []byte("GET /bench HTTP/1.1\r\nHost: bench\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n"),
		want: bodyLen,
	}
}

func (rt *roundTripper) do(t testing.TB) {
	if _, err := rt.c.Write(rt.req); err != nil {
		t.Fatal(err)
	}
	// Read the head line by line, find Content-Length, then the body.
	cl := -1
	for {
		line, err := rt.r.ReadSlice('\n')
		if err != nil {
			t.Fatal(err)
		}
		if len(line) == 2 {
			break
		}
		if len(line) > 16 && (line[0] == 'C' || line[0] == 'c') && bytes.EqualFold(line[:15], []byte("content-length:")) {
			cl = 0
			for _, ch := range bytes.TrimSpace(line[15:]) {
				cl = cl*10 + int(ch-'0')
			}
		}
	}
	if cl != rt.want {
		t.Fatalf("content-length %d, want %d", cl, rt.want)
	}
	if _, err := rt.r.Discard(cl); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkProxyKeepAlive is the full proxy path over loopback: client ->
// proxy -> origin and back, one keep-alive connection each way. allocs/op
// counts the whole process (client and origin allocate nothing per
// request).
func BenchmarkProxyKeepAlive(b *testing.B) {
	for _, size := range []int{128, 4096} {
		b.Run(strconv.Itoa(size)+"B", func(b *testing.B) {
			body := bytes.Repeat([]byte("x"), size)
			addr := startProxyTB(b, rawOrigin(b, body))
			rt := newRoundTripper(b, addr, size)
			rt.do(b)
			b.ReportAllocs()
			b.SetBytes(int64(size))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				rt.do(b)
			}
		})
	}
}

// TestProxyPathAllocs guards the steady-state allocation budget of a
// proxied request: zero, counted over the whole process.
func TestProxyPathAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation budgets are checked without -race (sync.Pool drops items under the race detector)")
	}
	addr := startProxyTB(t, rawOrigin(t, []byte("hello")))
	rt := newRoundTripper(t, addr, 5)
	for i := 0; i < 100; i++ {
		rt.do(t)
	}
	// Other goroutines (the origin's, the runtime's) run concurrently, so
	// allow a stray allocation per hundred requests, not one per request.
	allocs := testing.AllocsPerRun(200, func() { rt.do(t) })
	if allocs >= 0.5 {
		t.Fatalf("%.2f allocations per proxied request, want 0", allocs)
	}
}
