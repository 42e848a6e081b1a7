package network

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seed405ffdea/mosn/api"
	"github.com/seed405ffdea/mosn/pkg/buffer"
)

var connIDs atomic.Uint64

// connKey keys the *Conn in its own context.
type connKey struct{}

// ListenerName returns the name of the listener serving the connection
// whose context ctx is ("" if none): the accepting listener, or the one it
// handed the connection to (use_original_dst).
func ListenerName(ctx context.Context) string {
	c, _ := ctx.Value(connKey{}).(*Conn)
	if c == nil {
		return ""
	}
	return c.lname
}

// Conn is a connection with its network filter chain. It implements
// api.Connection.
type Conn struct {
	id  uint64
	raw net.Conn
	// sock is the accepted socket; raw becomes the TLS connection after a
	// handshake (on the connection's goroutine, before serving), while
	// Close and Drain, which other goroutines call, use sock.
	sock   net.Conn
	ctx    context.Context
	cancel context.CancelFunc

	readFilters  []api.ReadFilter
	writeFilters []api.WriteFilter
	// inspect is the read filters that see bytes before a ConnectionServer.
	inspect []api.ReadFilter
	inspBuf buffer.Buffer

	mu        sync.Mutex
	listeners []api.ConnectionEventListener
	closed    atomic.Bool
	draining  atomic.Bool
	drainer   api.Drainer

	// event-loop state for chains without a ConnectionServer
	buf      *buffer.Buffer
	resumeAt int

	// srv is the chain's ConnectionServer, kept to resume it after a park.
	srv api.ConnectionServer
	// ln is the accepting listener (nil for client connections).
	ln     *Listener
	parkFD int32

	// info is what listener filters found (nil without any); local and
	// remote override the socket's addresses (original destination,
	// PROXY protocol).
	info          *ConnInfo
	local, remote net.Addr
	// lname is the serving listener's name (ListenerName).
	lname string
	// sec is the TLS connection (a net.Conn) after a handshake, for Close
	// from any goroutine; secure is set with it, before serving.
	sec    atomic.Value
	secure bool
	// xfer is the hot-upgrade transfer state (transfer.go).
	xfer connTransfer
}

var _ api.Connection = (*Conn)(nil)

func newConn(raw net.Conn, listener string) *Conn {
	c := &Conn{id: connIDs.Add(1), raw: raw, sock: raw, lname: listener}
	c.ctx, c.cancel = context.WithCancel(context.WithValue(context.Background(), connKey{}, c))
	return c
}

// NewClientConn wraps a dialled upstream connection (no filters).
func NewClientConn(raw net.Conn) *Conn {
	ctx, cancel := context.WithCancel(context.Background())
	return &Conn{id: connIDs.Add(1), raw: raw, sock: raw, ctx: ctx, cancel: cancel}
}

// ID implements api.Connection.
func (c *Conn) ID() uint64 { return c.id }

// LocalAddr implements api.Connection: the original destination when
// original_dst found one (or a PROXY protocol header named one), else the
// socket's local address.
func (c *Conn) LocalAddr() net.Addr {
	if c.local != nil {
		return c.local
	}
	return c.sock.LocalAddr()
}

// RemoteAddr implements api.Connection: the client's address from a PROXY
// protocol header if there was one, else the socket's peer.
func (c *Conn) RemoteAddr() net.Addr {
	if c.remote != nil {
		return c.remote
	}
	return c.sock.RemoteAddr()
}

// RawConn implements api.Connection.
func (c *Conn) RawConn() net.Conn { return c.raw }

// Context implements api.Connection.
func (c *Conn) Context() context.Context { return c.ctx }

// SetReadDeadline implements api.Connection.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.raw.SetReadDeadline(t) }

// Inspected reports whether read filters see the bytes that Read returns;
// a ConnectionServer that reads the descriptor directly must then use Read
// instead.
func (c *Conn) Inspected() bool { return len(c.inspect) > 0 }

// Draining reports whether the connection was asked to finish and close.
func (c *Conn) Draining() bool { return c.draining.Load() }

// Read implements api.Connection: the read filters placed before a
// ConnectionServer see the bytes first; one that returns Stop closes the
// connection (it refused the bytes).
func (c *Conn) Read(p []byte) (int, error) {
	if len(c.xfer.unread) > 0 {
		return c.readUnread(p), nil
	}
	n, err := c.raw.Read(p)
	if n > 0 && len(c.inspect) > 0 {
		c.inspBuf.Reset()
		c.inspBuf.Write(p[:n])
		for _, f := range c.inspect {
			if f.OnData(&c.inspBuf, false) == api.Stop {
				c.Close(api.NoFlush)
				return 0, errFilterStopped
			}
		}
	}
	return n, err
}

var errFilterStopped = errors.New("network: read filter stopped the connection")

// Write implements api.Connection: all buffers go out in one writev.
func (c *Conn) Write(bufs ...[]byte) error {
	for _, f := range c.writeFilters {
		if f.OnWrite(bufs) == api.Stop {
			return nil
		}
	}
	if len(bufs) == 1 {
		_, err := c.raw.Write(bufs[0])
		return err
	}
	if c.secure {
		return c.writeCoalesced(bufs)
	}
	nb := net.Buffers(bufs)
	_, err := nb.WriteTo(c.raw)
	return err
}

// WriteBuffers writes bufs with one writev, consuming the slice; it skips
// write filters and exists for the proxy's hot path, where the caller owns
// a reusable net.Buffers.
func (c *Conn) WriteBuffers(bufs *net.Buffers) error {
	if len(c.writeFilters) > 0 {
		return c.Write(*bufs...)
	}
	if c.secure && len(*bufs) > 1 {
		err := c.writeCoalesced(*bufs)
		*bufs = (*bufs)[len(*bufs):]
		return err
	}
	_, err := bufs.WriteTo(c.raw)
	return err
}

// maxCoalesce bounds what writeCoalesced copies; larger writes go out
// buffer by buffer.
const maxCoalesce = 64 << 10

// writeCoalesced writes bufs to a TLS connection with one Write: TLS has
// no writev, and a Write per buffer would cost a record and a system call
// each (a response head and its body would be two).
func (c *Conn) writeCoalesced(bufs [][]byte) error {
	n := 0
	for _, b := range bufs {
		n += len(b)
	}
	if n > maxCoalesce {
		for _, b := range bufs {
			if _, err := c.raw.Write(b); err != nil {
				return err
			}
		}
		return nil
	}
	bp := buffer.GetBytes(n)
	out := (*bp)[:0]
	for _, b := range bufs {
		out = append(out, b...)
	}
	_, err := c.raw.Write(out)
	*bp = out[:0]
	buffer.PutBytes(bp)
	return err
}

// CloseWrite implements api.Connection.
func (c *Conn) CloseWrite() error {
	if cw, ok := c.raw.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.New("network: connection cannot half-close")
}

// Close implements api.Connection. Only the first call has effect.
func (c *Conn) Close(how api.CloseType) error {
	if !c.closed.CompareAndSwap(false, true) {
		return nil
	}
	if how == api.NoFlush {
		if tc, ok := c.sock.(*net.TCPConn); ok {
			tc.SetLinger(0)
		}
	}
	var err error
	if sec, ok := c.sec.Load().(net.Conn); ok && how == api.FlushWrite {
		// A TLS close_notify first: peers such as OpenSSL 3 report a
		// connection closed without one as truncated.
		err = sec.Close()
	} else {
		err = c.sock.Close()
	}
	c.cancel()
	c.event(api.LocalClose)
	return err
}

// closeRemote closes after the peer went away.
func (c *Conn) closeRemote() {
	if !c.closed.CompareAndSwap(false, true) {
		return
	}
	c.sock.Close()
	c.cancel()
	c.event(api.RemoteClose)
}

// Closed reports whether Close ran.
func (c *Conn) Closed() bool { return c.closed.Load() }

// AddConnectionEventListener implements api.Connection.
func (c *Conn) AddConnectionEventListener(l api.ConnectionEventListener) {
	c.mu.Lock()
	c.listeners = append(c.listeners, l)
	c.mu.Unlock()
}

func (c *Conn) event(e api.ConnectionEvent) {
	c.mu.Lock()
	ls := c.listeners
	c.mu.Unlock()
	for _, l := range ls {
		l.OnEvent(e)
	}
}

// Drain asks the connection to finish what it is doing and close: its
// ConnectionServer is told if it implements api.Drainer; otherwise the
// connection closes when its current read returns.
func (c *Conn) Drain() {
	if c.draining.Swap(true) {
		return
	}
	if c.ln != nil && c.ln.parker != nil && c.ln.parker.unpark(c) {
		// Parked: no request in flight, nothing to finish.
		go c.ln.finish(c, nil)
		return
	}
	c.mu.Lock()
	d := c.drainer
	c.mu.Unlock()
	if d != nil {
		d.Drain()
		return
	}
	c.sock.SetReadDeadline(time.Now())
}

// AddReadFilter implements api.FilterManager.
func (c *Conn) AddReadFilter(f api.ReadFilter) { c.readFilters = append(c.readFilters, f) }

// AddWriteFilter implements api.FilterManager.
func (c *Conn) AddWriteFilter(f api.WriteFilter) { c.writeFilters = append(c.writeFilters, f) }

// Connection implements api.ReadFilterCallbacks.
func (c *Conn) Connection() api.Connection { return c }

// ContinueReading implements api.ReadFilterCallbacks: iteration resumes
// after the filter that stopped, over the bytes still buffered.
func (c *Conn) ContinueReading() {
	if c.buf != nil {
		c.runReadFilters(c.resumeAt, false)
	}
}

// serve builds the filter chain and runs the connection until it ends or
// is parked (ErrParked). The caller closes it afterwards unless parked.
func (c *Conn) serve(factories []api.NetworkFilterChainFactory) error {
	for _, f := range factories {
		f.CreateFilterChain(c.ctx, c)
	}
	for _, f := range c.readFilters {
		f.InitializeReadFilterCallbacks(c)
	}
	for _, f := range c.readFilters {
		if f.OnNewConnection() == api.Stop {
			break
		}
	}
	if n := len(c.readFilters); n > 0 {
		if srv, ok := c.readFilters[n-1].(api.ConnectionServer); ok {
			c.inspect = c.readFilters[:n-1]
			c.srv = srv
			if d, ok := srv.(api.Drainer); ok {
				c.mu.Lock()
				c.drainer = d
				c.mu.Unlock()
				if c.draining.Load() {
					d.Drain()
				}
			}
			c.registerTransferer(srv)
			return c.runServer()
		}
	}
	c.registerTransferer(nil)
	return c.eventLoop()
}

// runServer gives the goroutine to the ConnectionServer (again, after a
// park).
func (c *Conn) runServer() error {
	err := c.srv.Serve(c.ctx, c)
	if err == ErrParked || err == ErrTransferred {
		return err
	}
	if err != nil && !c.closed.Load() {
		c.closeRemote()
	}
	return err
}

// ErrParked is returned by a ConnectionServer's Serve after a successful
// Conn.Park: the connection lives on without a goroutine, and Serve is
// called again on a new goroutine when bytes arrive.
var ErrParked = errors.New("network: connection parked")

// ParkAfter is how long a ConnectionServer should wait for the next
// request before parking the connection; zero means parking is off.
func (c *Conn) ParkAfter() time.Duration {
	if c.ln == nil || c.ln.parker == nil {
		return 0
	}
	return c.ln.opts.ParkIdleAfter
}

// Park hands an idle connection to the listener's parker: the calling
// ConnectionServer must release its buffers, then return ErrParked from
// Serve when Park returns nil. The connection closes at deadline (zero:
// never) unless bytes arrive first. Park fails when parking is off, the
// parker is closed, or the connection is draining; the caller then goes
// on waiting itself.
func (c *Conn) Park(deadline time.Time) error {
	if c.ln == nil || c.ln.parker == nil {
		return errors.New("network: parking is off")
	}
	l := c.ln
	if err := l.parker.park(c, deadline, func() { l.resume(c) }, func() {
		c.event(api.OnReadTimeout)
		l.finish(c, nil)
	}); err != nil {
		return err
	}
	// A drain or transfer that began meanwhile may have missed the parked
	// connection.
	if (c.draining.Load() || c.xfer.asked.Load()) && l.parker.unpark(c) {
		return errors.New("network: connection draining")
	}
	return nil
}

// eventLoop feeds read bytes to the read filters (protocols that work on
// whole frames: XProtocol, HTTP/2).
func (c *Conn) eventLoop() error {
	c.buf = buffer.Get(16 << 10)
	defer func() { buffer.Put(c.buf); c.buf = nil }()
	if u := c.TakeUnread(); len(u) > 0 {
		c.buf.Write(u) // bytes an adopted connection brought along
		c.runReadFilters(0, false)
	}
	for {
		_, err := c.buf.ReadOnce(c.raw)
		eof := err == io.EOF
		if err != nil && !eof {
			c.closeRemote()
			return err
		}
		if c.draining.Load() && c.buf.Len() == 0 {
			return nil
		}
		c.runReadFilters(0, eof)
		if eof {
			c.closeRemote()
			return nil
		}
		if c.closed.Load() {
			return nil
		}
	}
}

func (c *Conn) runReadFilters(from int, eof bool) {
	for i := from; i < len(c.readFilters); i++ {
		if c.readFilters[i].OnData(c.buf, eof) == api.Stop {
			c.resumeAt = i + 1
			return
		}
	}
}
