// Package upstream holds clusters, their hosts, load balancers, health
// checking, outlier detection, circuit breakers and connection pools.
package upstream

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seed405ffdea/mosn/api"
)

// Host is one upstream endpoint. Its address, weight and metadata never
// change, so balancers read them without locks; its health, counters and
// connection pool live in a state that every Host value for the same
// address in the same cluster shares, so a host update that keeps an
// address keeps its connections, health and statistics.
type Host struct {
	address  string
	hostname string
	cluster  string
	weight   uint32
	metadata map[string]string
	// tlsDisable: plaintext to this host in a TLS cluster.
	tlsDisable bool
	st         *hostState
}

// Health flags: a host is healthy when none is set.
const (
	flagFailedActiveHC uint32 = 1 << iota // active health check failed
	flagEjected                           // outlier detection ejected it
)

// hostState is the mutable part of a host.
type hostState struct {
	owner *Cluster
	pool  atomic.Pointer[Pool]
	// poolAdopted is set when a newer cluster with the same name took the
	// pool over (Manager.Update); closing this cluster leaves it open.
	poolAdopted atomic.Bool
	// addedAt is when the address joined the cluster (slow start).
	addedAt time.Time
	flags   atomic.Uint32
	// active counts requests in flight (BeginRequest/EndRequest).
	active atomic.Int64

	// Outlier detection (see outlier.go).
	consecutive5xx     atomic.Uint32
	consecutiveGateway atomic.Uint32
	ejections          atomic.Uint32
	ejectedAt          atomic.Int64 // unix nanoseconds; valid while flagEjected

	// Peak EWMA of response latency in nanoseconds, as float64 bits, and
	// when it was last updated (unix nanoseconds; 0 before any sample).
	ewmaMu    sync.Mutex
	ewma      atomic.Uint64
	ewmaStamp atomic.Int64

	// used is set on each pick of an ORIGINAL_DST host (cleanup sweep).
	used atomic.Bool
	// stopCheck stops the host's health-check goroutine; guarded by the
	// cluster's mutex.
	stopCheck context.CancelFunc
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

// Metadata implements api.HostInfo: the host's "mosn.lb" metadata, used
// by subset load balancing. It must not be modified.
func (h *Host) Metadata() map[string]string { return h.metadata }

// Pool returns the host's HTTP/1 connection pool.
func (h *Host) Pool() *Pool { return h.st.pool.Load() }

// Healthy reports whether the host passes its active health check and is
// not ejected by outlier detection.
func (h *Host) Healthy() bool { return h.st.flags.Load() == 0 }

// Ejected reports whether outlier detection has ejected the host.
func (h *Host) Ejected() bool { return h.st.flags.Load()&flagEjected != 0 }

// BeginRequest counts a request to the host as in flight, for the
// least-request and peak-EWMA balancers. The proxy calls it once a host is
// chosen and calls EndRequest when the exchange ends, whatever its result.
func (h *Host) BeginRequest() { h.st.active.Add(1) }

// EndRequest ends a request counted by BeginRequest.
func (h *Host) EndRequest() { h.st.active.Add(-1) }

// ActiveRequests returns the number of requests in flight.
func (h *Host) ActiveRequests() int64 { return h.st.active.Load() }

// OpenConnections returns the number of open connections in the host's
// pool, idle and busy.
func (h *Host) OpenConnections() int64 { return h.Pool().openCount.Load() }

// ewmaDecay is the peak-EWMA time constant: a sample's weight falls to 1/e
// after this long (Finagle's and Linkerd's default).
const ewmaDecay = 10 * time.Second

// RecordLatency feeds one response latency (request sent to response
// head received) into the host's peak EWMA, for LB_PEAKEWMA. A sample
// above the average replaces it at once ("peak"); lower ones decay it.
func (h *Host) RecordLatency(d time.Duration) {
	if d < 0 {
		return
	}
	now := h.st.owner.clock.Now().UnixNano()
	st := h.st
	st.ewmaMu.Lock()
	cur := math.Float64frombits(st.ewma.Load())
	stamp := st.ewmaStamp.Load()
	rtt := float64(d)
	switch {
	case stamp == 0, rtt > cur:
		cur = rtt
	default:
		w := math.Exp(-float64(max(now-stamp, 0)) / float64(ewmaDecay))
		cur = cur*w + rtt*(1-w)
	}
	st.ewma.Store(math.Float64bits(cur))
	st.ewmaStamp.Store(now)
	st.ewmaMu.Unlock()
}

// ewmaPenalty is the cost of a host with requests in flight but no latency
// sample yet, so that a new host is not flooded before it answers once.
const ewmaPenalty = float64(time.Hour)

// peakEWMACost is the host's latency EWMA, decayed to now, times its
// requests in flight plus one.
func (st *hostState) peakEWMACost(now int64) float64 {
	active := float64(max(st.active.Load(), 0))
	stamp := st.ewmaStamp.Load()
	if stamp == 0 {
		if active > 0 {
			return ewmaPenalty + active
		}
		return 0
	}
	e := math.Float64frombits(st.ewma.Load())
	if now > stamp {
		e *= math.Exp(-float64(now-stamp) / float64(ewmaDecay))
	}
	return e * (active + 1)
}

// RecordResult reports the outcome of one request to the host for outlier
// detection: the response status, or err when the exchange failed before
// a response (connect failure, reset, timeout), which counts as a gateway
// failure. 502, 503 and 504 are gateway failures; every 5xx counts towards
// consecutive_5xx; anything else resets both counts. It does nothing when
// the cluster has no outlier_detection.
func (h *Host) RecordResult(status int, err error) {
	if d := h.st.owner.outlier; d != nil {
		d.record(h, status, err)
	}
}

// setFlag sets or clears a health flag and reports whether it changed.
func (st *hostState) setFlag(flag uint32, on bool) bool {
	for {
		old := st.flags.Load()
		next := old &^ flag
		if on {
			next = old | flag
		}
		if next == old {
			return false
		}
		if st.flags.CompareAndSwap(old, next) {
			return true
		}
	}
}

// hostOf returns the *Host behind a balancer's answer.
func hostOf(hi api.HostInfo) *Host {
	h, _ := hi.(*Host)
	return h
}
