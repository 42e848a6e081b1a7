package main

import (
	"fmt"
	"strings"
)

// haproxyConfig returns haproxy.cfg for the features in c.Listen: one
// thread, no logging, server-side keep-alive with connection reuse, HTTP/2
// both ways for h2c and gRPC, mode tcp for TCP, TLS with full handshakes
// only.
func haproxyConfig(c proxyConfig) (string, error) {
	if err := c.check("haproxy"); err != nil {
		return "", err
	}
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("global")
	w("  nbthread 1")
	w("  maxconn %d", min(2*c.MaxConns+512, haproxyMaxconn(c.NoFile)))
	// Full handshakes only: no session cache.
	w("  tune.ssl.cachesize 0")
	w("defaults")
	w("  mode http")
	w("  timeout connect 5s")
	w("  timeout client 300s")
	w("  timeout server 300s")
	w("  timeout http-keep-alive 300s")
	w("  http-reuse always")
	w("frontend http1")
	w("  bind %s", c.Listen[FeatHTTP1])
	w("  default_backend origin_http1")
	w("backend origin_http1")
	w("  server o %s", c.Up.HTTP1)
	if a := c.Listen[FeatH2C]; a != "" {
		w("frontend h2c")
		w("  bind %s proto h2", a)
		w("  default_backend origin_h2c")
		w("backend origin_h2c")
		w("  server o %s proto h2", c.Up.H2C)
	}
	if a := c.Listen[FeatGRPC]; a != "" {
		w("frontend grpc")
		w("  bind %s proto h2", a)
		w("  default_backend origin_grpc")
		w("backend origin_grpc")
		w("  server o %s proto h2", c.Up.GRPC)
	}
	if a := c.Listen[FeatTLS]; a != "" {
		w("frontend tls")
		w("  bind %s ssl crt %s no-tls-tickets curves X25519:P-256", a, c.TLS.Combined)
		w("  default_backend origin_http1")
	}
	if a := c.Listen[FeatTCP]; a != "" {
		w("frontend tcp")
		w("  mode tcp")
		w("  bind %s", a)
		w("  default_backend origin_tcp")
		w("backend origin_tcp")
		w("  mode tcp")
		w("  server o %s", c.Up.TCP)
	}
	return b.String(), nil
}
