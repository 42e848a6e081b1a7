package api

import "context"

// LoadBalancer chooses an upstream host for a request.
type LoadBalancer interface {
	// ChooseHost returns a host, or nil when none is available.
	ChooseHost(ctx LBContext) HostInfo
}

// LBContext is what a load balancer may look at.
type LBContext interface {
	// Context is the stream's context.
	Context() context.Context
	// Headers are the request headers (for hash policies).
	Headers() HeaderMap
	// HashKey is the request's hash key for consistent-hash balancers, 0 if
	// the route has no hash policy.
	HashKey() uint64
}

// HostSet is a cluster's current hosts, as a load balancer sees them.
type HostSet interface {
	// Hosts returns the healthy hosts; the slice must not be modified.
	Hosts() []HostInfo
}

// LoadBalancerFactory builds a balancer over a host set. The engine builds
// a new balancer whenever the host set changes.
type LoadBalancerFactory func(hosts HostSet) LoadBalancer
