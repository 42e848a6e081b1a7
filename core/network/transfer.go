package network

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sync/atomic"
	"syscall"
	"time"
)

// Connection transfer (hot upgrade): after the new process took over, a
// listener of the old one stops accepting and moves each live connection
// to the new process at a random moment of the transfer window
// (Migrate); the new process adopts it (Adopt).

// ErrTransferred is returned by a ConnectionServer's Serve when it
// stopped at a clean point because Transfer asked it to: no request in
// flight, every response written. The listener then sends the
// connection to the new process instead of closing it.
var ErrTransferred = errors.New("network: connection transferred")

// Transferer is implemented by a ConnectionServer that can stop at a
// clean point and let its connection move to another process (the HTTP/1
// proxy between requests). Transfer is called from another goroutine; it
// must not block. Serve then returns ErrTransferred, after handing any
// bytes it read but did not process to Conn.SetUnread.
//
// A connection whose server is no Transferer is drained instead
// (api.Drainer): that is where HTTP/2 sends GOAWAY.
type Transferer interface {
	Transfer()
}

// TransferFunc sends a connection to the new process: c's descriptor (c
// stays open; the listener closes its own copy afterwards), the name of
// the listener that accepted it and the bytes read but not processed.
type TransferFunc func(listener string, c syscall.Conn, unread []byte) error

// connTransfer is a connection's transfer state.
type connTransfer struct {
	asked  atomic.Bool
	t      Transferer // guarded by Conn.mu
	served bool       // the chain is built; guarded by Conn.mu
	unread []byte
}

// listenerTransfer is a listener's transfer state, guarded by its mu.
type listenerTransfer struct {
	send      TransferFunc
	migrating bool
	moved     atomic.Uint64
}

// SetUnread keeps b (copied) to be sent with the connection when it is
// transferred, or, on an adopted connection, to be read first.
func (c *Conn) SetUnread(b []byte) {
	c.xfer.unread = append([]byte(nil), b...)
}

// TakeUnread returns the bytes read from the connection by the process it
// came from and not processed (an adopted connection), once; a
// ConnectionServer that reads the descriptor directly must process them
// first.
func (c *Conn) TakeUnread() []byte {
	b := c.xfer.unread
	c.xfer.unread = nil
	return b
}

// readUnread serves Read from the unread bytes first.
func (c *Conn) readUnread(p []byte) int {
	n := copy(p, c.xfer.unread)
	c.xfer.unread = c.xfer.unread[n:]
	if len(c.xfer.unread) == 0 {
		c.xfer.unread = nil
	}
	return n
}

// Transfer asks the connection to move to the new process at its next
// clean point: at once when it is parked, through its Transferer when its
// server has one, and by a drain when not.
func (c *Conn) Transfer() {
	if c.xfer.asked.Swap(true) {
		return
	}
	if c.ln != nil && c.ln.parker != nil && c.ln.parker.unpark(c) {
		// Parked: idle, with no goroutine; send it from here.
		go c.ln.finish(c, ErrTransferred)
		return
	}
	c.mu.Lock()
	t, served := c.xfer.t, c.xfer.served
	c.mu.Unlock()
	switch {
	case t != nil:
		t.Transfer()
	case served:
		c.Drain()
	}
	// Not served yet: registerTransferer will see asked.
}

// Transferring reports whether Transfer was called.
func (c *Conn) Transferring() bool { return c.xfer.asked.Load() }

// registerTransferer records the chain's server (srv may be nil) once the
// chain is built, and passes on a Transfer that came first.
//
// A TLS connection is never transferred (its session state cannot go
// with the descriptor): it is drained.
func (c *Conn) registerTransferer(srv any) {
	t, _ := srv.(Transferer)
	if c.secure {
		t = nil
	}
	c.mu.Lock()
	c.xfer.t, c.xfer.served = t, true
	asked := c.xfer.asked.Load()
	c.mu.Unlock()
	if asked {
		if t != nil {
			t.Transfer()
		} else {
			c.Drain()
		}
	}
}

// Listening returns the listening socket, for handing it over.
func (l *Listener) Listening() (syscall.Conn, bool) {
	sc, ok := l.ln.(syscall.Conn)
	return sc, ok
}

// Network and Address are the listener's configured network and address.
func (l *Listener) Network() string { return l.opts.Network }

// Address is the configured address (":0" stays as configured).
func (l *Listener) Address() string { return l.opts.Address }

// Transferred returns how many connections were sent to another process.
func (l *Listener) Transferred() uint64 { return l.xfer.moved.Load() }

// Migrate stops accepting (the socket itself lives on in the new
// process) and moves every live connection with send, each at a random
// moment within window; a connection that is busy moves after its
// current response. It returns when no connection is left, or when ctx
// ends: the rest are closed then and ctx.Err() returned.
func (l *Listener) Migrate(ctx context.Context, window time.Duration, send TransferFunc) error {
	if ul, ok := l.ln.(*net.UnixListener); ok {
		ul.SetUnlinkOnClose(false) // the path is the new process's now
	}
	l.mu.Lock()
	l.xfer.send = send
	l.xfer.migrating = true
	l.mu.Unlock()
	l.Close()
	l.mu.Lock()
	drained := make(chan struct{})
	l.drained = drained
	var timers []*time.Timer
	for c := range l.conns {
		var d time.Duration
		if window > 0 {
			d = rand.N(window)
		}
		timers = append(timers, time.AfterFunc(d, c.Transfer))
	}
	l.mu.Unlock()
	defer func() {
		for _, t := range timers {
			t.Stop()
		}
	}()
	go func() { l.wg.Wait(); close(drained) }()
	select {
	case <-drained:
		if l.parker != nil {
			l.parker.close()
		}
		return nil
	case <-ctx.Done():
		l.CloseConns()
		<-drained
		return ctx.Err()
	}
}

// handoff sends c with the listener's TransferFunc; false means it could
// not be sent and is closed as usual.
func (l *Listener) handoff(c *Conn) bool {
	l.mu.Lock()
	send := l.xfer.send
	l.mu.Unlock()
	sc, ok := c.raw.(syscall.Conn)
	if send == nil || !ok || c.closed.Load() {
		return false
	}
	if l.parker != nil {
		l.parker.detach(c)
	}
	if err := send(l.opts.Name, sc, c.TakeUnread()); err != nil {
		l.opts.Logger.Warn("connection transfer failed, closing it", "listener", l.opts.Name, "err", err)
		return false
	}
	l.xfer.moved.Add(1)
	return true
}

// Adopt serves a connection transferred from another process, with the
// bytes that process read from it but did not process.
func (l *Listener) Adopt(raw net.Conn, unread []byte) error {
	c := newConn(raw, l.opts.Name)
	c.ln = l
	if len(unread) > 0 {
		c.SetUnread(unread)
	}
	if !l.track(c) {
		raw.Close()
		return fmt.Errorf("network: listener %q is closed", l.opts.Name)
	}
	l.opened.Add(1)
	go l.serveConn(c)
	return nil
}

// OwnPath makes an inherited unix-domain listener remove its socket file
// when it closes, as one this process bound would: the new process owns
// the path once the old one has handed over (before that, a new process
// that fails must leave the file to the old one).
func (l *Listener) OwnPath() {
	if ul, ok := l.ln.(*net.UnixListener); ok {
		ul.SetUnlinkOnClose(true)
	}
}
