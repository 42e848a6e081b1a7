package main

import (
	"fmt"

	"github.com/seed405ffdea/mosn/tools/internal/loadgen"
)

// Listeners maps each feature a target proxies to the loopback address it
// listens on for it.
type Listeners map[Feature]string

// features returns the features in l in allFeatures order.
func (l Listeners) features() []Feature {
	var out []Feature
	for _, f := range allFeatures {
		if l[f] != "" {
			out = append(out, f)
		}
	}
	return out
}

// Upstreams are the addresses of the harness's origins.
type Upstreams struct {
	// HTTP1 is the raw HTTP/1.1 origin.
	HTTP1 string
	// H2C is the cleartext HTTP/2 origin.
	H2C string
	// GRPC is the gRPC origin.
	GRPC string
	// TCP is the TCP sink.
	TCP string
}

// proxyConfig is what every config generator needs.
type proxyConfig struct {
	// Dir is the target's own directory: pid file, temp paths, its config.
	Dir string
	// Listen are the listeners to configure, one per supported feature.
	Listen Listeners
	// Up are the origins.
	Up Upstreams
	// TLS is the certificate for the FeatTLS listener.
	TLS loadgen.TLSFiles
	// StreamModule is the path of nginx's dynamic stream module; empty when
	// it is built in or absent (then nginx gets no FeatTCP listener).
	StreamModule string
	// MaxConns is how many client connections the proxy must hold at once
	// (the idle scenario's connections plus headroom).
	MaxConns int
	// NoFile is the descriptor limit (RLIMIT_NOFILE) the proxy runs with;
	// a proxy is never configured beyond it.
	NoFile int
}

// idleCapacity is how many idle client connections a proxy of the kind
// can hold within nofile descriptors. HAProxy reserves two descriptors per
// connection (maxsock = 2 × maxconn + a few) and refuses to start when the
// limit is lower; the others need one per client connection plus their
// upstream connections.
func idleCapacity(kind string, nofile int) int {
	if kind == "haproxy" {
		return haproxyMaxconn(nofile) - 64
	}
	return nofile - 512
}

// haproxyMaxconn is the highest maxconn HAProxy accepts within nofile.
func haproxyMaxconn(nofile int) int {
	return (nofile - 100) / 2
}

// check returns an error when l asks for a feature the kind lacks.
func (c proxyConfig) check(kind string) error {
	if c.Listen[FeatHTTP1] == "" {
		return fmt.Errorf("%s config: no HTTP/1 listener", kind)
	}
	for _, f := range c.Listen.features() {
		if !supports(kind, f) {
			return fmt.Errorf("%s config: feature %q is not supported", kind, f)
		}
	}
	if c.MaxConns < 1 || c.NoFile < 1024 {
		return fmt.Errorf("%s config: MaxConns must be positive and NoFile at least 1024", kind)
	}
	return nil
}
