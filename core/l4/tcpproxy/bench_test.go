package tcpproxy_test

import (
	"io"
	"net"
	"sync/atomic"
	"testing"
)

// benchThroughput pushes bytes one way through the proxy into a sink.
func benchThroughput(b *testing.B, filtered bool) {
	var got atomic.Int64
	sunk := make(chan struct{}, 1)
	up := serveTCP(b, func(c net.Conn) {
		n, _ := io.Copy(io.Discard, c)
		got.Add(n)
		sunk <- struct{}{}
	})
	m := clusters(b, nil, map[string][]string{"c": {up}})
	po := proxyOpts{cluster: "c"}
	if filtered {
		po.filters = counting(new(atomic.Int64))
	}
	ln, _ := startProxy(b, m, po)
	c := dial(b, ln.Addr().String())
	chunk := make([]byte, 1<<20)
	b.SetBytes(int64(len(chunk)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Write(chunk); err != nil {
			b.Fatal(err)
		}
	}
	c.CloseWrite()
	<-sunk
	b.StopTimer()
	if got.Load() != int64(b.N)*int64(len(chunk)) {
		b.Fatalf("sink got %d bytes, want %d", got.Load(), b.N*len(chunk))
	}
}

// BenchmarkThroughput: bulk bytes through the spliced path (MB/s).
func BenchmarkThroughput(b *testing.B) { benchThroughput(b, false) }

// BenchmarkThroughputFiltered: the same through Read and a pooled buffer,
// as when a read filter precedes tcp_proxy.
func BenchmarkThroughputFiltered(b *testing.B) { benchThroughput(b, true) }

// BenchmarkConnectionSetup: one proxied connection per op: accept, route,
// upstream connect, one byte each way, both closes.
func BenchmarkConnectionSetup(b *testing.B) {
	up := serveTCP(b, echo)
	m := clusters(b, nil, map[string][]string{"c": {up}})
	ln, _ := startProxy(b, m, proxyOpts{cluster: "c"})
	addr := ln.Addr().String()
	buf := make([]byte, 1)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		c.Write(buf)
		if _, err := io.ReadFull(c, buf); err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
}
