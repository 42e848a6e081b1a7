package tlsctx

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/seed405ffdea/mosn/api"
)

// serve runs an echo server whose handshakes p performs; it returns the
// address and the channel of each connection's identity.
func serve(t testing.TB, p api.TLSProvider) (string, chan api.PeerIdentity) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ids := make(chan api.PeerIdentity, 64)
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			raw, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer raw.Close()
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				c, err := p.Server(ctx, raw)
				if err != nil {
					return
				}
				select {
				case ids <- c.(api.PeerIdentity):
				default:
				}
				c.SetDeadline(time.Now().Add(10 * time.Second))
				io.Copy(c, c)
			}()
		}
	}()
	return ln.Addr().String(), ids
}

// dial handshakes with cfg and checks an echo round trip.
func dial(t testing.TB, addr string, cfg *tls.Config) (*tls.Conn, error) {
	t.Helper()
	d := &net.Dialer{Timeout: 5 * time.Second}
	c, err := tls.DialWithDialer(d, "tcp", addr, cfg)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(5 * time.Second))
	// TLS 1.3 reports a refused client certificate only on the first read.
	if _, err := c.Write([]byte("ping")); err != nil {
		return nil, err
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(c, buf); err != nil {
		return nil, err
	}
	if string(buf) != "ping" {
		t.Fatalf("echo %q", buf)
	}
	return c, nil
}
