package network

import (
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

func proxyV2(cmd, fam byte, addrs []byte) []byte {
	b := append([]byte{}, proxyV2Sig...)
	b = append(b, 0x20|cmd, fam, 0, 0)
	binary.BigEndian.PutUint16(b[14:], uint16(len(addrs)))
	return append(b, addrs...)
}

func TestParseProxyHeader(t *testing.T) {
	v4 := proxyV2(1, 0x11, []byte{192, 0, 2, 1, 198, 51, 100, 7, 0x30, 0x39, 0x01, 0xbb})
	v6 := proxyV2(1, 0x21, append(append(net.ParseIP("2001:db8::1").To16(), net.ParseIP("2001:db8::2").To16()...), 0, 80, 1, 187))
	tlv := append(proxyV2(1, 0x11, []byte{10, 0, 0, 1, 10, 0, 0, 2, 0, 1, 0, 2, 0x20, 0, 1, 0x7}), "rest"...)
	binary.BigEndian.PutUint16(tlv[14:], 16)
	tests := []struct {
		name     string
		in       string
		src, dst string
		n        int
		local    bool
		err      string
	}{
		{"v1 tcp4", "PROXY TCP4 192.0.2.1 198.51.100.7 12345 443\r\nGET", "192.0.2.1:12345", "198.51.100.7:443", 45, false, ""},
		{"v1 tcp6", "PROXY TCP6 2001:db8::1 2001:db8::2 80 443\r\n", "[2001:db8::1]:80", "[2001:db8::2]:443", 43, false, ""},
		{"v1 unknown", "PROXY UNKNOWN ffff::1 ffff::2 1 2\r\nx", "", "", 35, true, ""},
		{"v1 partial", "PROXY TCP4 192.0.2.1", "", "", 0, false, "incomplete"},
		{"v1 prefix", "PRO", "", "", 0, false, "incomplete"},
		{"v1 bad port", "PROXY TCP4 192.0.2.1 198.51.100.7 012 443\r\n", "", "", 0, false, `invalid port "012"`},
		{"v1 family mismatch", "PROXY TCP6 192.0.2.1 198.51.100.7 1 443\r\n", "", "", 0, false, "do not match TCP6"},
		{"v1 no crlf", "PROXY TCP4 " + strings.Repeat("1", 120), "", "", 0, false, "no CRLF in the first 107 bytes"},
		{"v1 fields", "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", "", "", 0, false, "malformed line"},
		{"not proxy", "GET / HTTP/1.1\r\n", "", "", 0, false, "no proxy protocol header"},
		{"v2 tcp4", string(v4) + "data", "192.0.2.1:12345", "198.51.100.7:443", 28, false, ""},
		{"v2 tcp6", string(v6), "[2001:db8::1]:80", "[2001:db8::2]:443", 52, false, ""},
		{"v2 tlv", string(tlv), "10.0.0.1:1", "10.0.0.2:2", 32, false, ""},
		{"v2 local", string(proxyV2(0, 0, nil)), "", "", 16, true, ""},
		{"v2 unix", string(proxyV2(1, 0x31, make([]byte, 216))), "", "", 232, true, ""},
		{"v2 short", string(v4[:20]), "", "", 0, false, "incomplete"},
		{"v2 sig only", string(proxyV2Sig[:5]), "", "", 0, false, "incomplete"},
		{"v2 bad version", string(append(append([]byte{}, proxyV2Sig...), 0x11, 0x11, 0, 0)), "", "", 0, false, "version 1"},
		{"v2 bad command", string(proxyV2(2, 0x11, make([]byte, 12))), "", "", 0, false, "command 2"},
		{"v2 short addrs", string(proxyV2(1, 0x11, make([]byte, 4))), "", "", 0, false, "short IPv4"},
		{"v2 too long", string(append(append([]byte{}, proxyV2Sig...), 0x21, 0x11, 0xff, 0xff)), "", "", 0, false, "too long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, n, err := ParseProxyHeader([]byte(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if n != tt.n || h.Local != tt.local {
				t.Fatalf("n=%d local=%v", n, h.Local)
			}
			if !tt.local && (h.Source.String() != tt.src || h.Destination.String() != tt.dst) {
				t.Fatalf("src %v dst %v", h.Source, h.Destination)
			}
		})
	}
}

func FuzzParseProxyHeader(f *testing.F) {
	f.Add([]byte("PROXY TCP4 192.0.2.1 198.51.100.7 12345 443\r\n"))
	f.Add([]byte("PROXY UNKNOWN\r\n"))
	f.Add(proxyV2(1, 0x11, []byte{192, 0, 2, 1, 198, 51, 100, 7, 0x30, 0x39, 0x01, 0xbb}))
	f.Add(proxyV2(1, 0x21, make([]byte, 36)))
	f.Add(proxyV2(0, 0, nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, n, err := ParseProxyHeader(b)
		if err != nil {
			return
		}
		if n <= 0 || n > len(b) {
			t.Fatalf("length %d of %d bytes", n, len(b))
		}
		if !h.Local && (h.Source == nil || h.Destination == nil) {
			t.Fatal("PROXY header without addresses")
		}
		// A header parses the same with anything after it.
		_, n2, err := ParseProxyHeader(append(b[:n:n], "trailing"...))
		if err != nil || n2 != n {
			t.Fatalf("with trailing bytes: %d %v", n2, err)
		}
	})
}

// TestProxyProtocolListener: v1 and v2 headers over real sockets replace
// the remote address; the bytes after the header reach the filters; a
// connection without a header is closed unless allowed.
func TestProxyProtocolListener(t *testing.T) {
	ln := serve(t, ListenerOptions{Name: "pp", ListenerFilters: []ListenerFilter{ProxyProtocol{}},
		Chains: selectorFunc(func(*ConnInfo) *FilterChain { return &FilterChain{Factories: whoamiChain("pp", nil)} })})
	for name, hdr := range map[string][]byte{
		"v1": []byte("PROXY TCP4 192.0.2.1 198.51.100.7 12345 443\r\n"),
		"v2": proxyV2(1, 0x11, []byte{192, 0, 2, 1, 198, 51, 100, 7, 0x30, 0x39, 0x01, 0xbb}),
	} {
		t.Run(name, func(t *testing.T) {
			c := dial(t, ln)
			// The header in two writes: the filter waits for the rest.
			c.Write(hdr[:10])
			time.Sleep(10 * time.Millisecond)
			c.Write(hdr[10:])
			got := ask(t, c)
			if !strings.Contains(got, "local=198.51.100.7:443 remote=192.0.2.1:12345 line=hello") {
				t.Fatalf("answer %q", got)
			}
		})
	}
	c := dial(t, ln)
	io.WriteString(c, "GET / HTTP/1.1\r\n\r\n")
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("connection without a header served")
	}

	allow := serve(t, ListenerOptions{Name: "pp2", ListenerFilters: []ListenerFilter{ProxyProtocol{AllowWithout: true}},
		Chains: selectorFunc(func(*ConnInfo) *FilterChain { return &FilterChain{Factories: whoamiChain("pp", nil)} })})
	c = dial(t, allow)
	got := ask(t, c)
	if !strings.Contains(got, "remote="+c.LocalAddr().String()) {
		t.Fatalf("answer %q", got)
	}
}

// clientHello captures the first flight of a crypto/tls client.
func clientHello(t testing.TB, cfg *tls.Config) []byte {
	c1, c2 := net.Pipe()
	defer c1.Close()
	go func() {
		tls.Client(c2, cfg).Handshake()
		c2.Close()
	}()
	c1.SetReadDeadline(time.Now().Add(5 * time.Second))
	hdr := make([]byte, 5)
	if _, err := io.ReadFull(c1, hdr); err != nil {
		t.Fatal(err)
	}
	body := make([]byte, int(hdr[3])<<8|int(hdr[4]))
	if _, err := io.ReadFull(c1, body); err != nil {
		t.Fatal(err)
	}
	return append(hdr, body...)
}

func TestParseClientHello(t *testing.T) {
	b := clientHello(t, &tls.Config{ServerName: "Www.Example.COM", NextProtos: []string{"h2", "http/1.1"}})
	h, err := ParseClientHello(b)
	if err != nil {
		t.Fatal(err)
	}
	if h.ServerName != "www.example.com" || strings.Join(h.ALPN, ",") != "h2,http/1.1" {
		t.Fatalf("%+v", h)
	}
	h, err = ParseClientHello(clientHello(t, &tls.Config{InsecureSkipVerify: true}))
	if err != nil || h.ServerName != "" || h.ALPN != nil {
		t.Fatalf("%+v %v", h, err)
	}
	for i := 0; i < len(b); i++ {
		if _, err := ParseClientHello(b[:i]); err == nil {
			t.Fatalf("truncated to %d bytes: accepted", i)
		}
	}
	if _, err := ParseClientHello([]byte("GET / HTTP/1.1\r\n")); err != ErrNotClientHello {
		t.Fatal(err)
	}
}

func FuzzParseClientHello(f *testing.F) {
	f.Add(clientHello(f, &tls.Config{ServerName: "a.example.com", NextProtos: []string{"h2"}}))
	f.Add(clientHello(f, &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS12}))
	f.Add([]byte{0x16, 3, 1, 0, 4, 1, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseClientHello(b)
		if err != nil {
			return
		}
		if len(h.ServerName) > len(b) {
			t.Fatal("server name longer than the input")
		}
		for _, p := range h.ALPN {
			if p == "" || !bytes.Contains(b, []byte(p)) {
				t.Fatalf("protocol %q not in the input", p)
			}
		}
	})
}

// BenchmarkInspectorAccept is a TLS-inspected plaintext connection:
// accept, peek, choose the chain (no handshake).
func BenchmarkParseClientHello(b *testing.B) {
	hello := clientHello(b, &tls.Config{ServerName: "reviews.default.svc.cluster.local", NextProtos: []string{"h2", "http/1.1"}})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseClientHello(hello); err != nil {
			b.Fatal(err)
		}
	}
}
