package udpproxy_test

import (
	"testing"
	"time"

	"github.com/seed405ffdea/mosn/core/l4/udpproxy"
)

// BenchmarkDatagramRoundTrip: one 512-byte datagram to the upstream
// through the proxy and its answer back, on one session.
func BenchmarkDatagramRoundTrip(b *testing.B) {
	up := udpEcho(b, false)
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
