package upstream

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seed405ffdea/mosn/api"
	"github.com/seed405ffdea/mosn/core/network"
)

// ErrOverflow is returned at once when a circuit breaker refuses a new
// connection: max_connections (the cluster's or the pool's) or
// max_pending_requests (requests waiting for a connection being dialled).
// Nothing queues: the caller answers 503 with the UO flag.
var ErrOverflow = errors.New("upstream: connection limit reached")

// ErrConnectFailed wraps a failed or timed-out dial.
var ErrConnectFailed = errors.New("upstream: connect failed")

// PoolOptions configure a host's connection pool.
type PoolOptions struct {
	// Network is "tcp" or "unix".
	Network string
	// ConnectTimeout bounds a dial; zero means 3s.
	ConnectTimeout time.Duration
	// MaxRequestsPerConn closes a connection after this many requests; zero
	// means unlimited.
	MaxRequestsPerConn uint32
	// MaxConns bounds this pool's open connections (idle and busy); zero
	// means unlimited. A cluster's max_connections is cluster-wide instead
	// (ClusterOptions.MaxConnections).
	MaxConns int
	// IdleTimeout closes connections idle longer than this; zero means 60s.
	IdleTimeout time.Duration
	// TLS, when set, performs a client handshake on each new connection
	// (cluster tls_context), bounded by ConnectTimeout; nil is plaintext.
	TLS api.TLSProvider
}

// staleCheckAfter: a connection idle longer than this is probed (a
// non-blocking peek) before reuse, since the server may have closed it.
// Shorter idles skip the probe: it costs a syscall, and a request that
// races a close is retried by the proxy on a fresh connection.
const staleCheckAfter = 500 * time.Millisecond

// Pool keeps keep-alive connections to one host for one-request-at-a-time
// protocols (HTTP/1). Idle connections are reused newest first, so that a
// burst's extra connections age out.
type Pool struct {
	addr string
	opts PoolOptions

	mu     sync.Mutex
	idle   []*UpConn
	open   int
	closed bool
	// lim is the cluster-wide breaker state (nil for a bare pool); every
	// open connection of the pool is counted in lim.conns. Guarded by mu.
	lim *connLimits

	// openCount mirrors open for lock-free readers (LB_LEAST_CONNECTION).
	openCount atomic.Int64
	// dials and drops count connections since the pool was made: dials
	// started and connections dropped (metrics: upstream_cx_total and
	// upstream_cx_destroy).
	dials, drops atomic.Uint64
	// h2 is the host's HTTP/2 pool, made on first use (h2pool.go).
	h2 atomic.Pointer[H2Pool]
}

// connLimits are a cluster's connection circuit breakers, shared by the
// pools of its hosts. Zero limits mean unlimited.
type connLimits struct {
	maxConns   int64
	maxPending int64
	conns      atomic.Int64
	pending    atomic.Int64
}

func (l *connLimits) reserve(n *atomic.Int64, limit int64) bool {
	if v := n.Add(1); limit > 0 && v > limit {
		n.Add(-1)
		return false
	}
	return true
}

// NewPool returns an empty pool for addr.
func NewPool(addr string, opts PoolOptions) *Pool {
	if opts.Network == "" {
		opts.Network = "tcp"
	}
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = 3 * time.Second
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = 60 * time.Second
	}
	return &Pool{addr: addr, opts: opts}
}

// newPool is NewPool for a cluster's host: its connections count against
// the cluster's breakers.
func newPool(addr string, opts PoolOptions, lim *connLimits) *Pool {
	p := NewPool(addr, opts)
	p.lim = lim
	return p
}

// UpConn is one pooled upstream connection.
type UpConn struct {
	net.Conn
	pool      *Pool
	requests  uint32
	idleSince time.Time
	// LocalAddress is the connection's local "ip:port", for access logs.
	LocalAddress string
	// Reused is true when the connection served an earlier request: a
	// failure before any response byte may then be a race with the
	// server's keep-alive close, and the request can be retried.
	Reused bool
	// done ends an HTTP/2 stream's exchange in place of Put (h2conn.go).
	done func(reusable bool)
}

// Get returns an idle connection or dials a new one.
func (p *Pool) Get(ctx context.Context) (*UpConn, error) {
	now := time.Now()
	p.mu.Lock()
	for len(p.idle) > 0 {
		c := p.idle[len(p.idle)-1]
		p.idle[len(p.idle)-1] = nil
		p.idle = p.idle[:len(p.idle)-1]
		idleFor := now.Sub(c.idleSince)
		if idleFor > p.opts.IdleTimeout {
			p.dropLocked(1)
			p.mu.Unlock()
			c.Conn.Close()
			p.mu.Lock()
			continue
		}
		p.mu.Unlock()
		// An idle HTTP/1 connection must have nothing to read: EOF, an
		// error or stray bytes all mean it can't be reused.
		if idleFor > staleCheckAfter && network.Probe(c.Conn) != network.ProbeIdle {
			c.Conn.Close()
			p.mu.Lock()
			p.dropLocked(1)
			continue
		}
		c.Reused = true
		return c, nil
	}
	return p.dialLocked(ctx)
}

// Dial always opens a new connection, counted against the pool's and the
// cluster's breakers like one Get dials: for a caller that keeps it to
// itself (tcp_proxy) and gives it back with Discard.
func (p *Pool) Dial(ctx context.Context) (*UpConn, error) {
	p.mu.Lock()
	return p.dialLocked(ctx)
}

// dialLocked dials with p.mu held; it unlocks.
func (p *Pool) dialLocked(ctx context.Context) (*UpConn, error) {
	if p.closed {
		p.mu.Unlock()
		return nil, errors.New("upstream: pool closed")
	}
	if p.opts.MaxConns > 0 && p.open >= p.opts.MaxConns {
		p.mu.Unlock()
		return nil, ErrOverflow
	}
	// A request that dials is pending until its connection is up.
	lim := p.lim
	if lim != nil {
		if !lim.reserve(&lim.conns, lim.maxConns) {
			p.mu.Unlock()
			return nil, ErrOverflow
		}
		if !lim.reserve(&lim.pending, lim.maxPending) {
			lim.conns.Add(-1)
			p.mu.Unlock()
			return nil, ErrOverflow
		}
	}
	p.open++
	p.openCount.Store(int64(p.open))
	p.dials.Add(1)
	p.mu.Unlock()

	d := net.Dialer{Timeout: p.opts.ConnectTimeout}
	raw, err := d.DialContext(ctx, p.opts.Network, p.addr)
	if lim != nil {
		lim.pending.Add(-1)
	}
	if err != nil {
		p.mu.Lock()
		p.dropLocked(1)
		p.mu.Unlock()
		return nil, fmt.Errorf("%w: %s: %w", ErrConnectFailed, p.addr, err)
	}
	if tc, ok := raw.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	local := raw.LocalAddr().String()
	if p.opts.TLS != nil {
		hctx, cancel := context.WithTimeout(ctx, p.opts.ConnectTimeout)
		sec, err := p.opts.TLS.Client(hctx, raw, "")
		cancel()
		if err != nil {
			raw.Close()
			p.mu.Lock()
			p.dropLocked(1)
			p.mu.Unlock()
			return nil, fmt.Errorf("%w: %s: tls: %w", ErrConnectFailed, p.addr, err)
		}
		raw = sec
	}
	return &UpConn{Conn: raw, pool: p, LocalAddress: local}, nil
}

// Put gives c back after a request. reusable is false when the response
// was not read to its end or the server asked to close.
func (p *Pool) Put(c *UpConn, reusable bool) {
	if c.done != nil {
		c.done(reusable)
		return
	}
	c.requests++
	if reusable && p.opts.MaxRequestsPerConn > 0 && c.requests >= p.opts.MaxRequestsPerConn {
		reusable = false
	}
	p.mu.Lock()
	if !reusable || p.closed {
		p.dropLocked(1)
		p.mu.Unlock()
		c.Conn.Close()
		return
	}
	c.idleSince = time.Now()
	c.Reused = false
	p.idle = append(p.idle, c)
	p.mu.Unlock()
}

// Discard closes c without returning it (a failed request).
func (p *Pool) Discard(c *UpConn) { p.Put(c, false) }

// Open returns the number of open connections (idle and busy).
func (p *Pool) Open() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.open
}

// Close drains the pool: it closes the idle connections and refuses new
// ones; busy ones finish their request and close when they are put back.
func (p *Pool) Close() {
	if hp := p.h2.Load(); hp != nil {
		hp.Close()
	}
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
	p.dropLocked(len(idle))
	p.closed = true
	p.mu.Unlock()
	for _, c := range idle {
		c.Conn.Close()
	}
}

// dropLocked forgets n closed connections.
func (p *Pool) dropLocked(n int) {
	p.open -= n
	p.openCount.Store(int64(p.open))
	p.drops.Add(uint64(n))
	if p.lim != nil {
		p.lim.conns.Add(int64(-n))
	}
}

// setLimits moves the pool's connections to another cluster's breakers
// (a pool taken over by a newer cluster of the same name).
func (p *Pool) setLimits(l *connLimits) {
	p.mu.Lock()
	if p.lim != nil {
		p.lim.conns.Add(int64(-p.open))
	}
	if l != nil {
		l.conns.Add(int64(p.open))
	}
	p.lim = l
	p.mu.Unlock()
}

// ConnCounts returns the connections the pool opened (dials started) and
// dropped since it was made.
func (p *Pool) ConnCounts() (opened, closed uint64) {
	closed = p.drops.Load()
	return p.dials.Load(), closed
}

// Pool returns the pool c belongs to.
func (c *UpConn) Pool() *Pool { return c.pool }
