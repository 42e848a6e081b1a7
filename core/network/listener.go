// Package network holds MOSN's listeners and connections: the accept loop,
// the per-connection goroutine and the network filter chain.
package network

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/seed405ffdea/mosn/api"
)

// ListenerOptions configure a Listener.
type ListenerOptions struct {
	// Name is the listener's configured name (for logs and metrics).
	Name string
	// Network is "tcp" (default), "unix" or "udp" (a session per client
	// address; see udp.go).
	Network string
	// Address is "ip:port" or a unix socket path.
	Address string
	// ReusePort sets SO_REUSEPORT so several processes (or listeners) can
	// bind the same port.
	ReusePort bool
	// Filters build each connection's network filter chain, in order.
	Filters []api.NetworkFilterChainFactory
	// Logger receives accept errors; nil discards them.
	Logger *slog.Logger
	// ParkIdleAfter, when positive, parks connections idle this long in an
	// epoll set of the listener's own (MOSN's netpoll mode): no goroutine
	// or buffer is held until bytes arrive. Linux only. Zero means off.
	ParkIdleAfter time.Duration

	// ListenerFilters run on each connection's goroutine before its
	// filter chain is chosen (accept.go). Chains, when set, chooses the
	// chain (and its TLS) per connection instead of Filters. Both are
	// bounded by AcceptTimeout (zero: DefaultAcceptTimeout).
	ListenerFilters []ListenerFilter
	Chains          ChainSelector
	AcceptTimeout   time.Duration
	// Handoff finds the listener that owns a connection's original
	// destination (use_original_dst); nil or a nil result keeps it here.
	Handoff func(dst net.Addr) *Listener
	// Transparent sets IP_TRANSPARENT on the socket (use_original_dst
	// "tproxy"); it needs CAP_NET_ADMIN.
	Transparent bool
	// NoBind makes a listener that binds no socket (bind_port false): it
	// serves only connections handed off to it.
	NoBind bool
	// Inherit, if set, is a listening socket handed over by the process
	// being upgraded: Listen serves on it instead of binding Address.
	Inherit net.Listener
}

// Listener accepts connections and runs each on its own goroutine.
type Listener struct {
	opts   ListenerOptions
	ln     net.Listener
	parker *parker // nil unless ParkIdleAfter > 0

	mu      sync.Mutex
	conns   map[*Conn]struct{}
	closed  bool
	wg      sync.WaitGroup
	drained chan struct{}

	// opened and finished count connections accepted and closed (metrics).
	opened, finished atomic.Uint64
	// xfer is the hot-upgrade transfer state (transfer.go).
	xfer listenerTransfer
}

// Listen binds the listener's address. The socket is open when Listen
// returns, so connects succeed (and queue) before Serve runs.
func Listen(opts ListenerOptions) (*Listener, error) {
	if opts.Network == "" {
		opts.Network = "tcp"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.NoBind {
		return &Listener{opts: opts, ln: newUnbound(opts), conns: make(map[*Conn]struct{})}, nil
	}
	lc := net.ListenConfig{}
	if opts.ReusePort {
		lc.Control = setReusePort
	}
	if opts.Transparent {
		lc.Control = transparentControl(lc.Control)
	}
	ln, err := opts.Inherit, error(nil)
	if ln == nil {
		ln, err = listen(lc, opts.Network, opts.Address)
	}
	if err != nil {
		return nil, fmt.Errorf("network: listener %q: %w", opts.Name, err)
	}
	l := &Listener{opts: opts, ln: ln, conns: make(map[*Conn]struct{})}
	if opts.ParkIdleAfter > 0 {
		if l.parker, err = newParker(); err != nil {
			ln.Close()
			return nil, fmt.Errorf("network: listener %q: %w", opts.Name, err)
		}
	}
	return l, nil
}

func setReusePort(network, address string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, soReusePort, 1)
	})
	if err != nil {
		return err
	}
	return serr
}

// Name returns the listener's name.
func (l *Listener) Name() string { return l.opts.Name }

// Addr returns the bound address (with the real port when 0 was asked).
func (l *Listener) Addr() net.Addr { return l.ln.Addr() }

// Serve accepts until Close. It returns nil after Close.
func (l *Listener) Serve() error {
	var delay time.Duration
	for {
		raw, err := l.ln.Accept()
		if err != nil {
			l.mu.Lock()
			closed := l.closed
			l.mu.Unlock()
			if closed || errors.Is(err, net.ErrClosed) {
				return nil
			}
			// Out of file descriptors and the like: back off as net/http does.
			if delay == 0 {
				delay = 5 * time.Millisecond
			} else if delay *= 2; delay > time.Second {
				delay = time.Second
			}
			l.opts.Logger.Warn("accept failed", "listener", l.opts.Name, "err", err, "retry_in", delay)
			time.Sleep(delay)
			continue
		}
		delay = 0
		c := newConn(raw, l.opts.Name)
		c.ln = l
		if !l.track(c) {
			raw.Close()
			return nil
		}
		l.opened.Add(1)
		go l.serveConn(c)
	}
}

func (l *Listener) track(c *Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.xfer.migrating {
		// Accepted as the listener closed for a transfer: move it too.
		c.xfer.asked.Store(true)
	} else if l.closed && l.drained != nil {
		return false
	}
	l.conns[c] = struct{}{}
	l.wg.Add(1)
	return true
}

func (l *Listener) serveConn(c *Conn) {
	fs, err := l.prepare(c)
	if err != nil {
		l.finish(c, err)
		return
	}
	l.finish(c, c.serve(fs))
}

// resume runs a parked connection's server again on this goroutine.
func (l *Listener) resume(c *Conn) {
	l.finish(c, c.runServer())
}

// finish closes c and forgets it, unless its server parked it.
func (l *Listener) finish(c *Conn, err error) {
	if err == ErrParked {
		return
	}
	if l.parker != nil {
		l.parker.forget(c)
	}
	if err == ErrTransferred && l.handoff(c) {
		// This process's copy of the descriptor closes below; the
		// connection lives on in the new process (no FIN: plain close).
		err = nil
	}
	c.Close(api.FlushWrite)
	if err != nil && l.opts.Logger.Enabled(context.Background(), slog.LevelDebug) {
		l.opts.Logger.Debug("connection ended", "listener", l.opts.Name, "remote", c.RemoteAddr().String(), "err", err)
	}
	l.mu.Lock()
	delete(l.conns, c)
	l.mu.Unlock()
	l.finished.Add(1)
	l.wg.Done()
}

// Close stops accepting; live connections go on.
func (l *Listener) Close() error {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	return l.ln.Close()
}

// Shutdown stops accepting, asks every live connection to finish its
// current request and close, and waits for them until ctx ends; then it
// closes the rest. It returns ctx.Err() if connections had to be cut.
func (l *Listener) Shutdown(ctx context.Context) error {
	l.Close()
	l.mu.Lock()
	l.drained = make(chan struct{})
	for c := range l.conns {
		c.Drain()
	}
	l.mu.Unlock()
	go func() { l.wg.Wait(); close(l.drained) }()
	select {
	case <-l.drained:
		if l.parker != nil {
			l.parker.close()
		}
		return nil
	case <-ctx.Done():
		l.CloseConns()
		<-l.drained
		return ctx.Err()
	}
}

// CloseConns closes every live connection at once and stops the parker.
func (l *Listener) CloseConns() {
	if l.parker != nil {
		for _, c := range l.parker.close() {
			l.finish(c, nil)
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for c := range l.conns {
		c.Close(api.NoFlush)
	}
}

// ConnCounts returns how many connections the listener accepted and how
// many of them have closed since it was created (for metrics: the
// difference is the connections open).
func (l *Listener) ConnCounts() (opened, closed uint64) {
	// Closed first: a connection counted closed is always counted opened.
	closed = l.finished.Load()
	return l.opened.Load(), closed
}

// ActiveConns returns the number of live connections.
func (l *Listener) ActiveConns() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns)
}
