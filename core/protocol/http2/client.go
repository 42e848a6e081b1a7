package http2

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// Client-side errors. ErrRefused means the server did not process the
// request (REFUSED_STREAM, or a stream above a GOAWAY's last stream id):
// it is safe to retry on another connection whatever the method.
var (
	ErrRefused     = errors.New("http2: request refused by the server, not processed")
	ErrNoCapacity  = errors.New("http2: no stream available on the connection")
	errGoAway      = errors.New("http2: server sent GOAWAY")
	errPingTimeout = errors.New("http2: keepalive PING not answered")
)

// ClientConfig configures the client side of a connection.
type ClientConfig struct {
	Config
	// PingInterval sends a keepalive PING this often; zero means none.
	PingInterval time.Duration
	// PingTimeout closes the connection when a PING is not answered
	// within it. Zero means 10s.
	PingTimeout time.Duration
}

// ClientConn is the client side of a connection: it opens streams (one
// per request) up to the server's SETTINGS_MAX_CONCURRENT_STREAMS and our
// own MaxConcurrentStreams.
type ClientConn struct {
	*Conn
	served   chan struct{}
	settings chan struct{}
	// LocalAddress is the connection's local "ip:port".
	LocalAddress string
}

// WaitSettings waits for the server's first SETTINGS (its stream limit
// among them) before streams are opened on a new connection, so that a
// burst does not open more than the server allows.
func (cc *ClientConn) WaitSettings(ctx context.Context) error {
	select {
	case <-cc.settings:
		return nil
	case <-cc.done:
		return errConnClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// NewClientConn starts the client side of HTTP/2 on raw (already
// connected): it sends the preface and settings and runs the connection
// until Close, a GOAWAY with no stream left, or an error.
func NewClientConn(raw net.Conn, cfg ClientConfig) *ClientConn {
	cc := &ClientConn{}
	c := NewServerConn(raw, nil, cfg.Config, nil)
	c.client = true
	c.nextID = 1
	c.peerMaxStreams = 100 // until the server's SETTINGS say otherwise (RFC 9113 6.5.2 suggests no less)
	c.pingAck = make(chan [8]byte, 1)
	c.settingsSeen = make(chan struct{})
	cc.settings = c.settingsSeen
	c.bw.WriteString(http2.ClientPreface)
	// The settings are queued before any stream can be: "the first frame
	// ... MUST be a SETTINGS frame" (RFC 9113 3.4).
	c.enqueue(wframe{kind: wSettings, set: []http2.Setting{
		{ID: http2.SettingEnablePush, Val: 0},
		{ID: http2.SettingInitialWindowSize, Val: c.cfg.InitialStreamWindowSize},
		{ID: http2.SettingMaxHeaderListSize, Val: c.cfg.MaxHeaderListSize},
	}})
	if inc := int64(c.cfg.InitialConnectionWindowSize) - 65535; inc > 0 {
		c.enqueue(wframe{kind: wWindowUpdate, n: uint32(inc)})
	}
	cc.Conn, cc.served = c, make(chan struct{})
	cc.LocalAddress = raw.LocalAddr().String()
	go cc.serve(cfg)
	return cc
}

func (cc *ClientConn) serve(cfg ClientConfig) {
	defer close(cc.served)
	c := cc.Conn
	go c.writeLoop()
	if cfg.PingInterval > 0 {
		go cc.keepalive(cfg.PingInterval, cfg.PingTimeout)
	}
	err := c.readLoop(context.Background())
	var ce *ConnError
	if errors.As(err, &ce) {
		c.goAway(ce.Code, err)
	}
	c.fail(err)
	<-c.writerDone
}

// keepalive sends a PING every interval and closes the connection when
// one is not answered within timeout.
func (cc *ClientConn) keepalive(interval, timeout time.Duration) {
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	var n byte
	for {
		select {
		case <-cc.done:
			return
		case <-t.C:
		}
		n++
		data := [8]byte{'k', 'a', n}
		cc.mu.Lock()
		ok := cc.enqueueLocked(wframe{kind: wPingReq, ping: data})
		cc.mu.Unlock()
		if !ok {
			return
		}
		deadline := time.NewTimer(timeout)
	wait:
		for {
			select {
			case got := <-cc.pingAck:
				if got == data {
					break wait
				}
			case <-cc.done:
				deadline.Stop()
				return
			case <-deadline.C:
				cc.fail(errPingTimeout)
				return
			}
		}
		deadline.Stop()
	}
}

// Close closes the connection at once; open streams fail.
func (cc *ClientConn) Close() {
	cc.fail(errConnClosed)
	<-cc.served
}

// Done is closed when the connection is closed.
func (cc *ClientConn) Done() <-chan struct{} { return cc.done }

// Available returns how many more streams the connection can open now:
// none after a GOAWAY or once closed.
func (cc *ClientConn) Available() int {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return cc.availableLocked()
}

func (cc *ClientConn) availableLocked() int {
	if cc.closed || cc.peerGoAway || cc.nextID > maxWindow-2 {
		return 0
	}
	limit := int(min(cc.peerMaxStreams, cc.cfg.MaxConcurrentStreams))
	return limit - len(cc.streams) - cc.reserved
}

// Idle reports whether the connection has no stream open or promised.
func (cc *ClientConn) Idle() bool {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return len(cc.streams) == 0 && cc.reserved == 0
}

// LocalAddr returns the connection's local address.
func (cc *ClientConn) LocalAddr() net.Addr { return cc.raw.LocalAddr() }

// Reserve promises one stream to a coming NewStream, so that requests
// that pick this connection at the same time do not exceed its limit.
// It reports false when the connection has no stream left.
func (cc *ClientConn) Reserve() bool {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.availableLocked() <= 0 {
		return false
	}
	cc.reserved++
	return true
}

// Unreserve gives back a reservation that will not be used.
func (cc *ClientConn) Unreserve() {
	cc.mu.Lock()
	cc.reserved--
	cc.mu.Unlock()
}

// NewStream opens a stream with the request head fields (pseudo-header
// fields first) using a reservation from Reserve; end means the request
// has no body. req describes the request for the stream's bookkeeping.
func (cc *ClientConn) NewStream(req Request, fields []hpack.HeaderField, end bool) (*Stream, error) {
	c := cc.Conn
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reserved--
	if c.closed || c.peerGoAway {
		return nil, ErrRefused
	}
	id := c.nextID
	c.nextID += 2
	st := &Stream{
		c:          c,
		id:         id,
		req:        req,
		recvCL:     -1,
		recvWindow: int64(c.cfg.InitialStreamWindowSize),
		sendWindow: c.peerInitialWindow,
		rwake:      make(chan struct{}, 1),
	}
	st.ctx, st.cancel = context.WithCancel(context.Background())
	c.streams[id] = st
	if !c.enqueueLocked(wframe{kind: wHeaders, stream: id, end: end, fields: fields}) {
		return nil, ErrRefused
	}
	if end {
		st.sendDone = true
	}
	return st, nil
}

// onResponseHeaders takes a response head or trailers.
func (c *Conn) onResponseHeaders(f *http2.MetaHeadersFrame) error {
	c.mu.Lock()
	st := c.streams[f.StreamID]
	if st == nil {
		idle := c.isIdle(f.StreamID)
		c.mu.Unlock()
		if idle {
			return connErr(http2.ErrCodeProtocol, errStreamIDs)
		}
		return nil // a stream we reset
	}
	status := f.PseudoValue("status")
	switch {
	case st.resp == nil && (status == "" || len(status) != 3):
		c.mu.Unlock()
		c.resetStream(st.id, st, http2.ErrCodeProtocol)
		return nil
	case st.resp == nil && status[0] == '1':
		// Interim responses are dropped: the proxy answers 100-continue
		// itself.
		c.mu.Unlock()
		return nil
	case st.resp == nil:
		st.resp = f.Fields
		for _, hf := range f.RegularFields() {
			if hf.Name == "content-length" {
				if n, err := strconv.ParseInt(hf.Value, 10, 64); err == nil && n >= 0 && st.req.Method != "HEAD" {
					st.recvCL = n
				}
			}
		}
	case !f.StreamEnded() || checkTrailers(f.Fields) != nil:
		c.mu.Unlock()
		c.resetStream(st.id, st, http2.ErrCodeProtocol)
		return nil
	default:
		st.trailers = f.Fields
	}
	if f.StreamEnded() {
		st.recvDone = true
		if st.sendDone {
			c.closeStreamLocked(st, false)
		}
	}
	st.wakeLocked()
	c.mu.Unlock()
	return nil
}

// onGoAway: the server processes no stream above LastStreamID; those fail
// as refused (retriable), the others finish, and no new stream is opened.
func (c *Conn) onGoAway(f *http2.GoAwayFrame) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.peerGoAway = true
	c.goAwayLast = f.LastStreamID
	for id, st := range c.streams {
		if id > f.LastStreamID {
			st.refused = true
			st.peerReset = true
			c.closeStreamLocked(st, false)
		}
	}
	if len(c.streams) == 0 {
		c.failLocked(errGoAway)
	}
	return nil
}

// Response waits for the response head, until the read deadline. The
// fields start with ":status".
func (st *Stream) Response() ([]hpack.HeaderField, error) {
	c := st.c
	c.mu.Lock()
	for {
		if st.resp != nil {
			c.mu.Unlock()
			return st.resp, nil
		}
		if st.closed || c.closed {
			err := st.errLocked()
			c.mu.Unlock()
			return nil, err
		}
		dl := st.rdl
		c.mu.Unlock()
		if err := st.wait(st.rwake, dl); err != nil {
			return nil, err
		}
		c.mu.Lock()
	}
}

// errLocked says why a stream ended early: ErrRefused when the server
// never processed it.
func (st *Stream) errLocked() error {
	if st.refused || st.resetCode == http2.ErrCodeRefusedStream {
		return ErrRefused
	}
	return ErrStreamReset
}

// Status parses a response head's :status.
func Status(fields []hpack.HeaderField) int {
	for _, f := range fields {
		if f.Name == ":status" {
			n := 0
			for _, c := range f.Value {
				if c < '0' || c > '9' {
					return 0
				}
				n = n*10 + int(c-'0')
			}
			return n
		}
		if !strings.HasPrefix(f.Name, ":") {
			break
		}
	}
	return 0
}
