package main

import (
	"context"
	"time"

	"github.com/seed405ffdea/mosn/tools/internal/loadgen"
)

// tlsScenarios are TLS termination in front of HTTP/1.1 with the run's
// self-signed ECDSA P-256 certificate: new connections with a full
// handshake (X25519, no resumption) and one request each, from the
// harness's client ("bench tlsload", 10 at a time); and keep-alive HTTP/1.1
// over TLS with wrk (50 connections), where the cost is the record layer.
func tlsScenarios() []Scenario {
	return []Scenario{{
		ID:       "tls-handshake",
		Group:    "tls",
		Title:    "TLS full handshakes, one request per connection, 10 in parallel",
		Needs:    FeatTLS,
		Unit:     "handshake",
		RateUnit: "handshakes/s",
		Latency:  true,
		Run: func(ctx context.Context, e *Env, t *Target, d time.Duration) (loadgen.Result, error) {
			return runSelf(ctx, e, d, 1, "tlsload", "-addr", t.Listen[FeatTLS], "-ca", e.TLS.Cert, "-c", "10", "-path", "/128", "-duration", d.String())
		},
	}, {
		ID:       "tls-http1",
		Group:    "tls",
		Title:    "HTTP/1.1 over TLS, keep-alive, 50 connections, 128 B body (wrk)",
		Needs:    FeatTLS,
		Tool:     "wrk",
		Unit:     "req",
		RateUnit: "rps",
		Latency:  true,
		Run: func(ctx context.Context, e *Env, t *Target, d time.Duration) (loadgen.Result, error) {
			return runWrk(ctx, e, wrkRun{URL: "https://" + t.Listen[FeatTLS] + "/128", Conns: 50, Duration: d})
		},
	}}
}
