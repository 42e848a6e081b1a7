package upstream

import (
	"net"
	"strconv"
	"testing"
)

// FuzzStatusCode: the HTTP health check reads a status line from the
// upstream, which may send anything.
func FuzzStatusCode(f *testing.F) {
	for _, s := range []string{"HTTP/1.1 200 OK\r\n", "HTTP/1.0 503\r\n", "HTTP/1.1 20 OK\r\n", "HTTP/2 200\r\n", "HTTP/1.1 2000\r\n", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		code, err := statusCode(line)
		if err != nil {
			return
		}
		if code < 100 || code > 999 || string(line[9:12]) != strconv.Itoa(code) {
			t.Fatalf("%q: code %d", line, code)
		}
	})
}

// FuzzNormalizeDst: an ORIGINAL_DST cluster may take its destination from
// a request header, which the client chooses.
func FuzzNormalizeDst(f *testing.F) {
	for _, s := range []string{"10.0.0.1:80", "backend.local", "[::1]:8080", "::1", "a b:80", "host:0", "host:99999", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, dst string) {
		addr, ok := normalizeDst(dst)
		if !ok {
			return
		}
		host, port, err := net.SplitHostPort(addr)
		if err != nil || host == "" {
			t.Fatalf("%q: normalized to %q, not host:port", dst, addr)
		}
		if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
			t.Fatalf("%q: port %q", dst, port)
		}
	})
}

func TestStatusCode(t *testing.T) {
	for line, want := range map[string]int{
		"HTTP/1.1 200 OK\r\n": 200, "HTTP/1.0 503\r\n": 503, "HTTP/1.1 204 \r\n": 204,
		"HTTP/1.1 20 OK\r\n": 0, "HTTP/2 200 OK\r\n": 0, "HTTP/1.1 2000\r\n": 0, "HTTP/1.1 099 x\r\n": 0, "HTTP/1.x 200\r\n": 0,
	} {
		got, err := statusCode([]byte(line))
		if (err != nil) != (want == 0) || got != want {
			t.Errorf("%q: %d, %v; want %d", line, got, err, want)
		}
	}
}
