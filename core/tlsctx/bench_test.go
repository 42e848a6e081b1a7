package tlsctx

import (
	"context"
	"crypto/tls"
	"net"
	"testing"

	"github.com/seed405ffdea/mosn/core/tlsctx/tlstest"
)

// BenchmarkSelect is the SNI/ALPN choice among a listener's contexts,
// once per handshake.
func BenchmarkSelect(b *testing.B) {
	ca := tlstest.NewCA(b, "ca")
	var cfgs []Config
	for _, n := range []string{"default.test", "api.example.com", "*.example.com", "*.svc.cluster.local"} {
		l := ca.Leaf(b, tlstest.LeafOptions{DNS: []string{n}})
		cfgs = append(cfgs, Config{Status: true, CertChain: string(l.CertPEM), PrivateKey: string(l.KeyPEM)})
	}
	s, err := NewServer(cfgs, Options{NoWatch: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	alpn := []string{"h2", "http/1.1"}
	for _, sni := range []string{"api.example.com", "reviews.svc.cluster.local", "nomatch.test"} {
		b.Run(sni, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s.Select(sni, alpn)
			}
		})
	}
}

// BenchmarkHandshake is one full TLS handshake (server and client side,
// ECDSA P-256 certificate) over an in-memory pipe, without resumption.
func BenchmarkHandshake(b *testing.B) {
	ca := tlstest.NewCA(b, "ca")
	leaf := ca.Leaf(b, tlstest.LeafOptions{DNS: []string{"a.test"}})
	s, err := NewServer([]Config{{Status: true, CertChain: string(leaf.CertPEM), PrivateKey: string(leaf.KeyPEM)}}, Options{NoWatch: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		b.Run(tls.VersionName(v), func(b *testing.B) {
			cc := &tls.Config{RootCAs: ca.Pool(), ServerName: "a.test", MaxVersion: v}
			b.ReportAllocs()
			for b.Loop() {
				c1, c2 := net.Pipe()
				done := make(chan error, 1)
				go func() {
					_, err := s.Server(context.Background(), c1)
					done <- err
				}()
				if err := tls.Client(c2, cc).Handshake(); err != nil {
					b.Fatal(err)
				}
				if err := <-done; err != nil {
					b.Fatal(err)
				}
				c1.Close()
				c2.Close()
			}
		})
	}
}
