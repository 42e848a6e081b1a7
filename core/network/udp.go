package network

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seed405ffdea/mosn/pkg/buffer"
)

// A listener with Network "udp" serves datagrams the way the rest of the
// package serves streams, as MOSN's udp listener does: each client
// address is a session, a net.Conn that the listener's accept loop
// creates on the client's first datagram and that then runs its filter
// chain on a goroutine of its own. A session's Read returns one datagram
// and its Write sends one, so boundaries are kept.

const (
	// maxUDPSessions bounds the client addresses a udp listener tracks at
	// once; datagrams from further clients are dropped. It guards memory:
	// filters (udp_proxy's max_sessions) set the working bound.
	maxUDPSessions = 1 << 16
	// udpQueueLen is how many datagrams may wait for a session's reader;
	// more are dropped, as a full socket buffer drops them.
	udpQueueLen = 64
	// maxDatagram is the largest UDP payload (IPv4: 65535 - 8 - 20).
	maxDatagram = 65535
	// udpReadBuffer is the receive buffer asked for a udp listener.
	udpReadBuffer = 4 << 20
)

// listen binds a stream or a datagram listener.
func listen(lc net.ListenConfig, network, address string) (net.Listener, error) {
	switch network {
	case "udp", "udp4", "udp6":
	default:
		return lc.Listen(context.Background(), network, address)
	}
	pc, err := lc.ListenPacket(context.Background(), network, address)
	if err != nil {
		return nil, err
	}
	uc := pc.(*net.UDPConn)
	// A proxy's one socket takes every client's datagrams: ask for a
	// larger receive buffer than the default (the kernel caps it at
	// net.core.rmem_max).
	uc.SetReadBuffer(udpReadBuffer)
	return &udpListener{pc: uc, sessions: map[netip.AddrPort]*udpConn{}, buf: make([]byte, maxDatagram)}, nil
}

// udpListener demultiplexes one UDP socket into sessions, one per client
// address. Accept reads datagrams, hands each to its session and returns
// when a datagram starts a new one.
type udpListener struct {
	pc  *net.UDPConn
	buf []byte // Accept's read buffer: Accept runs on one goroutine

	mu       sync.Mutex
	sessions map[netip.AddrPort]*udpConn
	closed   bool

	// dropped counts datagrams dropped: a full session queue, or too many
	// sessions.
	dropped atomic.Uint64
}

// Accept implements net.Listener.
func (l *udpListener) Accept() (net.Conn, error) {
	for {
		n, from, err := l.pc.ReadFromUDPAddrPort(l.buf)
		if err != nil {
			return nil, err
		}
		from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			return nil, net.ErrClosed
		}
		s := l.sessions[from]
		fresh := s == nil
		if fresh {
			if len(l.sessions) >= maxUDPSessions {
				l.mu.Unlock()
				l.dropped.Add(1)
				continue
			}
			s = newUDPConn(l, from)
			l.sessions[from] = s
		}
		l.mu.Unlock()
		if !s.deliver(l.buf[:n]) {
			l.dropped.Add(1)
		}
		if fresh {
			return s, nil
		}
	}
}

// Close implements net.Listener: the socket closes and every session
// ends (its reads return io.EOF), since nothing can reach it any more.
func (l *udpListener) Close() error {
	l.mu.Lock()
	l.closed = true
	ss := make([]*udpConn, 0, len(l.sessions))
	for _, s := range l.sessions {
		ss = append(ss, s)
	}
	l.mu.Unlock()
	for _, s := range ss {
		s.Close()
	}
	return l.pc.Close()
}

// Addr implements net.Listener.
func (l *udpListener) Addr() net.Addr { return l.pc.LocalAddr() }

// forget removes a closed session, so that the client's next datagram
// starts a new one.
func (l *udpListener) forget(s *udpConn) {
	l.mu.Lock()
	if l.sessions[s.from] == s {
		delete(l.sessions, s.from)
	}
	l.mu.Unlock()
}

// udpConn is one client's session on a udp listener.
type udpConn struct {
	l      *udpListener
	from   netip.AddrPort
	remote *net.UDPAddr
	queue  chan *[]byte // pooled datagrams
	done   chan struct{}
	once   sync.Once
	rd     deadline
}

var _ net.Conn = (*udpConn)(nil)

func newUDPConn(l *udpListener, from netip.AddrPort) *udpConn {
	return &udpConn{
		l: l, from: from, remote: net.UDPAddrFromAddrPort(from),
		queue: make(chan *[]byte, udpQueueLen), done: make(chan struct{}),
		rd: newDeadline(),
	}
}

// deliver queues a copy of a datagram; false when it was dropped.
func (c *udpConn) deliver(p []byte) bool {
	bp := buffer.GetBytes(len(p))
	copy(*bp, p)
	select {
	case <-c.done:
	case c.queue <- bp:
		return true
	default:
	}
	buffer.PutBytes(bp)
	return false
}

// ReadDatagram returns the next datagram in a pooled buffer, which the
// caller gives back with buffer.PutBytes: no copy, and no buffer held
// while waiting. It returns io.EOF once the session is closed and
// os.ErrDeadlineExceeded at the read deadline.
func (c *udpConn) ReadDatagram() (*[]byte, error) {
	select {
	case bp := <-c.queue:
		return bp, nil
	default:
	}
	select {
	case bp := <-c.queue:
		return bp, nil
	case <-c.done:
		return nil, io.EOF
	case <-c.rd.wait():
		return nil, os.ErrDeadlineExceeded
	}
}

// Read implements net.Conn: one datagram per call; a datagram larger
// than p is truncated, as a UDP socket truncates it.
func (c *udpConn) Read(p []byte) (int, error) {
	bp, err := c.ReadDatagram()
	if err != nil {
		return 0, err
	}
	n := copy(p, *bp)
	buffer.PutBytes(bp)
	return n, nil
}

// Write implements net.Conn: p is sent to the client as one datagram.
func (c *udpConn) Write(p []byte) (int, error) {
	select {
	case <-c.done:
		return 0, net.ErrClosed
	default:
	}
	return c.l.pc.WriteToUDPAddrPort(p, c.from)
}

// Close implements net.Conn. The listener's socket stays open.
func (c *udpConn) Close() error {
	c.once.Do(func() {
		close(c.done)
		c.l.forget(c)
		for {
			select {
			case bp := <-c.queue:
				buffer.PutBytes(bp)
			default:
				return
			}
		}
	})
	return nil
}

// LocalAddr implements net.Conn: the listener's address.
func (c *udpConn) LocalAddr() net.Addr { return c.l.pc.LocalAddr() }

// RemoteAddr implements net.Conn: the client's address.
func (c *udpConn) RemoteAddr() net.Addr { return c.remote }

// SetDeadline implements net.Conn; only reads wait.
func (c *udpConn) SetDeadline(t time.Time) error { return c.SetReadDeadline(t) }

// SetReadDeadline implements net.Conn.
func (c *udpConn) SetReadDeadline(t time.Time) error {
	c.rd.set(t)
	return nil
}

// SetWriteDeadline implements net.Conn: a datagram write does not wait.
func (c *udpConn) SetWriteDeadline(time.Time) error { return nil }

// deadline is a settable point in time with a channel closed when it
// passes.
type deadline struct {
	mu     sync.Mutex
	timer  *time.Timer
	passed chan struct{}
}

func newDeadline() deadline { return deadline{passed: make(chan struct{})} }

// set moves the deadline; zero means none.
func (d *deadline) set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil && !d.timer.Stop() {
		<-d.passed // the timer fired: wait until it closed the channel
	}
	d.timer = nil
	closed := isClosed(d.passed)
	if t.IsZero() {
		if closed {
			d.passed = make(chan struct{})
		}
		return
	}
	if dur := time.Until(t); dur > 0 {
		if closed {
			d.passed = make(chan struct{})
		}
		ch := d.passed
		d.timer = time.AfterFunc(dur, func() { close(ch) })
		return
	}
	if !closed {
		close(d.passed)
	}
}

// wait returns a channel closed once the deadline has passed.
func (d *deadline) wait() chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.passed
}

func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// UDPDropped returns how many datagrams a udp listener dropped (a full
// session queue, too many sessions); 0 for other listeners.
func (l *Listener) UDPDropped() uint64 {
	if u, ok := l.ln.(*udpListener); ok {
		return u.dropped.Load()
	}
	return 0
}

// errNotDatagram is returned for datagram reads on stream connections.
var errNotDatagram = errors.New("network: not a datagram connection")

// ReadDatagram reads one datagram of a udp session into a pooled buffer
// the caller gives back with buffer.PutBytes; read filters do not see it
// (udp listeners run one filter). Stream connections return an error.
func (c *Conn) ReadDatagram() (*[]byte, error) {
	if u, ok := c.raw.(*udpConn); ok {
		return u.ReadDatagram()
	}
	return nil, errNotDatagram
}
