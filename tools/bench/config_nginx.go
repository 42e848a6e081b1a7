package main

import (
	"fmt"
	"path/filepath"
	"strings"
)

// nginxConfig returns nginx.conf for the features in c.Listen: one worker,
// error log only (access log off), upstream keep-alive with enough idle
// connections for the highest concurrency, no per-connection request cap,
// enough worker_connections and descriptors for the idle scenario. HTTP/2
// and gRPC go to their origins with grpc_pass (nginx cannot proxy_pass to
// an HTTP/2 upstream; grpc_pass speaks plain HTTP/2 to it); TCP needs the
// stream module, which Debian ships as a dynamic module.
func nginxConfig(c proxyConfig) (string, error) {
	if err := c.check("nginx"); err != nil {
		return "", err
	}
	if c.Listen[FeatTCP] != "" && c.StreamModule == "" {
		return "", fmt.Errorf("nginx config: a TCP listener needs the stream module")
	}
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	if c.Listen[FeatTCP] != "" {
		w("load_module %s;", c.StreamModule)
	}
	w("worker_processes 1;")
	w("worker_rlimit_nofile %d;", c.NoFile)
	w("daemon off;")
	w("pid %s;", filepath.Join(c.Dir, "nginx.pid"))
	w("error_log stderr error;")
	// worker_connections counts client and upstream connections.
	w("events { worker_connections %d; }", min(2*c.MaxConns+512, c.NoFile-64))
	w("http {")
	w("  access_log off;")
	w("  keepalive_timeout 300s;")
	w("  keepalive_requests 1000000;")
	for _, d := range []string{"client_body", "proxy", "fastcgi", "uwsgi", "scgi"} {
		w("  %s_temp_path %s;", d, filepath.Join(c.Dir, d))
	}
	w("  upstream origin_http1 { server %s; keepalive 256; keepalive_requests 1000000; keepalive_timeout 300s; }", c.Up.HTTP1)
	w("  server {")
	w("    listen %s;", c.Listen[FeatHTTP1])
	w("    location / { proxy_pass http://origin_http1; proxy_http_version 1.1; proxy_set_header Connection \"\"; }")
	w("  }")
	if a := c.Listen[FeatH2C]; a != "" {
		w("  upstream origin_h2c { server %s; keepalive 256; keepalive_requests 1000000; keepalive_timeout 300s; }", c.Up.H2C)
		w("  server {")
		w("    listen %s http2;", a)
		w("    location / { grpc_pass grpc://origin_h2c; }")
		w("  }")
	}
	if a := c.Listen[FeatGRPC]; a != "" {
		w("  upstream origin_grpc { server %s; keepalive 256; keepalive_requests 1000000; keepalive_timeout 300s; }", c.Up.GRPC)
		w("  server {")
		w("    listen %s http2;", a)
		w("    location / { grpc_pass grpc://origin_grpc; }")
		w("  }")
	}
	if a := c.Listen[FeatTLS]; a != "" {
		w("  server {")
		w("    listen %s ssl;", a)
		w("    ssl_certificate %s;", c.TLS.Cert)
		w("    ssl_certificate_key %s;", c.TLS.Key)
		w("    ssl_protocols TLSv1.2 TLSv1.3;")
		w("    ssl_ecdh_curve X25519:prime256v1;")
		// Full handshakes only: no session cache, no tickets.
		w("    ssl_session_cache off;")
		w("    ssl_session_tickets off;")
		w("    location / { proxy_pass http://origin_http1; proxy_http_version 1.1; proxy_set_header Connection \"\"; }")
		w("  }")
	}
	w("}")
	if a := c.Listen[FeatTCP]; a != "" {
		w("stream {")
		w("  server { listen %s; proxy_pass %s; }", a, c.Up.TCP)
		w("}")
	}
	return b.String(), nil
}
