package udpproxy_test

import (
	"net"
	"testing"
	"time"

	"github.com/seed405ffdea/mosn/core/l4/udpproxy"
)

// BenchmarkDatagramRoundTrip: one 512-byte datagram to the upstream
// through the proxy and its answer back, on one session.
func BenchmarkDatagramRoundTrip(b *testing.B) {
	up := plainEcho(b)
	ln, _ := startUDPProxy(b, up, udpproxy.Options{})
	c := client(b, ln.Addr().String())
	msg := make([]byte, 512)
	buf := make([]byte, 2048)
	c.SetReadDeadline(time.Now().Add(time.Minute))
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Write(msg); err != nil {
			b.Fatal(err)
		}
		if _, err := c.Read(buf); err != nil {
			b.Fatal(err)
		}
	}
}

// plainEcho answers each datagram with itself (no allocation of its own).
func plainEcho(t testing.TB) string {
	t.Helper()
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 65535)
		for {
			n, from, err := pc.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			pc.WriteToUDPAddrPort(buf[:n], from)
		}
	}()
	t.Cleanup(func() { pc.Close(); <-done })
	return pc.LocalAddr().String()
}
