// Package grpcdial is the control-plane connection the xDS and SDS
// clients share: plaintext gRPC (pilot-agent's unix sockets, or a test
// server) with Envoy-like reconnect backoff.
package grpcdial

import (
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials/insecure"
)

// Default reconnect backoff bounds.
const (
	DefaultBackoffBase = 500 * time.Millisecond
	DefaultBackoffMax  = 30 * time.Second
)

// Backoff fills zero bounds with the defaults.
func Backoff(base, maxDelay time.Duration) (time.Duration, time.Duration) {
	if base <= 0 {
		base = DefaultBackoffBase
	}
	if maxDelay <= 0 {
		maxDelay = DefaultBackoffMax
	}
	return base, maxDelay
}

// Client prepares a connection to target (gRPC connects lazily) with
// reconnects backed off between base and maxDelay; extra options come
// after the defaults.
func Client(target string, base, maxDelay time.Duration, extra ...grpc.DialOption) (*grpc.ClientConn, error) {
	opts := append([]grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: base, Multiplier: 1.6, Jitter: 0.2, MaxDelay: maxDelay},
			MinConnectTimeout: 5 * time.Second,
		}),
	}, extra...)
	return grpc.NewClient(target, opts...)
}
