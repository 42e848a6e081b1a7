// Package upstream holds clusters, their hosts, load balancers and
// connection pools.
package upstream

import (
	"sync/atomic"

	"github.com/seed405ffdea/mosn/api"
)

// Host is one upstream endpoint with its connection pool.
type Host struct {
	address  string
	hostname string
	cluster  string
	weight   uint32
	metadata map[string]string

	pool *Pool
	// active counts requests in flight (for circuit breakers and, later,
	// least-request balancing).
	active atomic.Int64
}

var _ api.HostInfo = (*Host)(nil)

// Address implements api.HostInfo.
func (h *Host) Address() string { return h.address }

// Hostname implements api.HostInfo.
func (h *Host) Hostname() string { return h.hostname }

// ClusterName implements api.HostInfo.
func (h *Host) ClusterName() string { return h.cluster }

// Weight implements api.HostInfo.
func (h *Host) Weight() uint32 { return h.weight }

// Metadata implements api.HostInfo.
func (h *Host) Metadata() map[string]string { return h.metadata }

// Pool returns the host's HTTP/1 connection pool.
func (h *Host) Pool() *Pool { return h.pool }
