package http2

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// Handler serves one request stream. ServeStream runs on a goroutine of
// its own; when it returns, a stream whose response did not end is reset.
type Handler interface {
	ServeStream(s *Stream)
}

// Conn is one HTTP/2 connection, the server side (NewServerConn) or the
// client side (NewClientConn).
type Conn struct {
	cfg Config
	raw net.Conn
	h   Handler
	fr  *http2.Framer
	bw  *bufio.Writer
	lr  limitedReader

	mu      sync.Mutex
	closed  bool
	err     error
	streams map[uint32]*Stream
	// maxClientID is the highest stream id the client opened: streams at
	// or below it that are not in streams are closed (RFC 9113 5.1.1).
	maxClientID uint32
	// recent remembers the last closed streams, to ignore frames on the
	// ones we reset (the peer may not have seen our RST_STREAM yet).
	recent    [64]closedStream
	recentPos int
	// Our receive windows (what the peer may still send) and the credit
	// read by handlers but not yet given back with WINDOW_UPDATE.
	connRecv, connUnsent int64
	// The peer's settings and our send window on the connection.
	peerMaxFrame      uint32
	peerInitialWindow int64
	connSend          int64
	queuedData        int
	flowCh            chan struct{} // closed and replaced when windows grow
	wq                []wframe
	ctrlQueued        int
	draining          bool
	peerGoAway        bool

	// Client side (client.go).
	client         bool
	nextID         uint32 // the next stream id we open
	peerMaxStreams uint32 // the server's SETTINGS_MAX_CONCURRENT_STREAMS
	reserved       int    // streams promised by Reserve, not opened yet
	goAwayLast     uint32 // after a GOAWAY from the server: its last stream id
	pingAck        chan [8]byte

	// An HTTP/1.1 request upgraded with "Upgrade: h2c" (SetUpgrade).
	upgradeReq   *Request
	settingsSeen chan struct{} // closed at the server's first SETTINGS

	// Read loop only.
	emptyFrames    int
	priorityFrames int
	streamsOpened  int
	rrStart        time.Time
	rrOpened       int
	rrReset        int
	deadlineSet    bool

	work            chan *Stream // streams for idle workers
	wake            chan struct{}
	done            chan struct{}
	writerDone      chan struct{}
	handlers        sync.WaitGroup
	goAwayFlushed   chan struct{} // closed once a final GOAWAY was written
	closeAfterWrite atomic.Bool
}

type closedStream struct {
	id      uint32
	ourself bool // we reset it, or answered before the request ended
}

// limitedReader caps the bytes one ReadFrame may consume: a header block
// spread over CONTINUATION frames (empty ones included) is cut off once
// it runs past the header size limit.
type limitedReader struct {
	r    io.Reader
	left int
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		return 0, errHeaderFlood
	}
	if len(p) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= n
	return n, err
}

// NewServerConn prepares the server side of an HTTP/2 connection on raw.
// r reads the connection's bytes (nil means raw): a protocol detector that
// already read the start of the client preface passes a reader that
// returns those bytes first.
func NewServerConn(raw net.Conn, r io.Reader, cfg Config, h Handler) *Conn {
	cfg = cfg.withDefaults()
	if r == nil {
		r = raw
	}
	c := &Conn{
		cfg:               cfg,
		raw:               raw,
		h:                 h,
		streams:           make(map[uint32]*Stream),
		connRecv:          int64(cfg.InitialConnectionWindowSize),
		peerMaxFrame:      16384,
		peerInitialWindow: 65535,
		connSend:          65535,
		flowCh:            make(chan struct{}),
		wake:              make(chan struct{}, 1),
		work:              make(chan *Stream),
		done:              make(chan struct{}),
		writerDone:        make(chan struct{}),
		goAwayFlushed:     make(chan struct{}),
	}
	c.lr.r = bufio.NewReaderSize(r, 32<<10)
	c.bw = bufio.NewWriterSize(raw, 32<<10)
	c.fr = http2.NewFramer(c.bw, &c.lr)
	c.fr.SetMaxReadFrameSize(cfg.MaxFrameSize)
	c.fr.MaxHeaderListSize = cfg.MaxHeaderListSize
	c.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	return c
}

// Serve runs the connection until it closes and every stream handler has
// returned. A clean end (the client closed, a drain or idle timeout
// finished) returns nil.
func (c *Conn) Serve(ctx context.Context) error {
	go c.writeLoop()
	settings := []http2.Setting{
		{ID: http2.SettingMaxConcurrentStreams, Val: c.cfg.MaxConcurrentStreams},
		{ID: http2.SettingInitialWindowSize, Val: c.cfg.InitialStreamWindowSize},
		{ID: http2.SettingMaxHeaderListSize, Val: c.cfg.MaxHeaderListSize},
	}
	if c.cfg.MaxFrameSize != 16384 {
		settings = append(settings, http2.Setting{ID: http2.SettingMaxFrameSize, Val: c.cfg.MaxFrameSize})
	}
	c.enqueue(wframe{kind: wSettings, set: settings})
	if inc := int64(c.cfg.InitialConnectionWindowSize) - 65535; inc > 0 {
		c.enqueue(wframe{kind: wWindowUpdate, n: uint32(inc)})
	}
	if c.upgradeReq != nil {
		// RFC 7540 3.2: "The HTTP/1.1 request that is sent prior to
		// upgrade is assigned a stream identifier of 1 ... with default
		// priority values. Stream 1 is implicitly "half-closed" from the
		// client toward the server".
		c.maxClientID = 1
		c.streamsOpened++
		st := c.newStream(ctx, 1, *c.upgradeReq, true)
		c.mu.Lock()
		c.streams[1] = st
		c.mu.Unlock()
		c.handlers.Add(1)
		go c.worker(st)
	}
	err := c.readLoop(ctx)
	var ce *ConnError
	switch {
	case errors.As(err, &ce):
		c.goAway(ce.Code, err)
	case errors.Is(err, errIdle), errors.Is(err, errDrained):
		c.goAway(http2.ErrCodeNo, err)
		err = nil
	case err == io.EOF, errors.Is(err, net.ErrClosed):
		err = nil
	}
	c.fail(err)
	<-c.writerDone
	c.handlers.Wait()
	return err
}

// goAway queues a GOAWAY, gives the writer a moment to send it, then
// closes politely: the write side first, and what the client still sends
// is read and dropped for a moment, so that a TCP reset (closing with
// unread input) does not destroy the GOAWAY in the client's buffer.
func (c *Conn) goAway(code http2.ErrCode, reason error) {
	c.mu.Lock()
	last := c.maxClientID
	c.mu.Unlock()
	c.closeAfterWrite.Store(true)
	if !c.enqueue(wframe{kind: wGoAway, n: last, code: code}) {
		return
	}
	t := time.NewTimer(time.Second)
	defer t.Stop()
	select {
	case <-c.goAwayFlushed:
	case <-c.done:
		return
	case <-t.C:
		c.fail(reason)
		return
	}
	if cw, ok := c.raw.(interface{ CloseWrite() error }); ok && cw.CloseWrite() == nil {
		c.raw.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		var buf [4096]byte
		for total := 0; total < 1<<20; {
			n, err := c.lr.r.Read(buf[:])
			total += n
			if err != nil {
				break
			}
		}
	}
}

// fail closes the connection: streams are reset, waiters woken.
func (c *Conn) fail(err error) {
	c.mu.Lock()
	c.failLocked(err)
	c.mu.Unlock()
}

func (c *Conn) failLocked(err error) {
	if c.closed {
		return
	}
	c.closed = true
	c.err = err
	close(c.done)
	for id, st := range c.streams {
		st.closed = true
		st.cancel()
		st.wakeLocked()
		delete(c.streams, id)
	}
	c.signalFlowLocked()
	c.raw.Close()
}

// signalFlowLocked wakes the streams waiting for send window.
func (c *Conn) signalFlowLocked() {
	close(c.flowCh)
	c.flowCh = make(chan struct{})
}

// Drain starts a graceful close: a GOAWAY tells the client no new stream
// is accepted; the connection closes once the open streams finish.
func (c *Conn) Drain() {
	c.mu.Lock()
	if c.draining || c.closed {
		c.mu.Unlock()
		return
	}
	c.draining = true
	last := c.maxClientID
	idle := len(c.streams) == 0
	c.mu.Unlock()
	c.enqueue(wframe{kind: wGoAway, n: last, code: http2.ErrCodeNo})
	if idle {
		c.raw.SetReadDeadline(time.Now())
	}
}

// RemoteAddr returns the client's address.
func (c *Conn) RemoteAddr() net.Addr { return c.raw.RemoteAddr() }

// readLoop reads and dispatches frames until the connection ends.
func (c *Conn) readLoop(ctx context.Context) error {
	// RFC 9113 3.4: the client preface is the 24 octets of ClientPreface
	// followed by a SETTINGS frame.
	c.raw.SetReadDeadline(time.Now().Add(10 * time.Second))
	if !c.client {
		var pre [len(http2.ClientPreface)]byte
		c.lr.left = len(pre)
		if _, err := io.ReadFull(&c.lr, pre[:]); err != nil {
			return err
		}
		if string(pre[:]) != http2.ClientPreface {
			return connErr(http2.ErrCodeProtocol, errBadPreface)
		}
	}
	first := true
	c.deadlineSet = true
	budget := int(c.cfg.MaxFrameSize) + 9 + 2*int(c.cfg.MaxHeaderListSize) + 4096
	for {
		if err := c.setReadDeadline(); err != nil {
			return err
		}
		c.lr.left = budget
		f, err := c.fr.ReadFrame()
		if err != nil {
			if err = c.readError(err); err != nil {
				return err
			}
			continue
		}
		if first {
			// "The first frame ... MUST be a SETTINGS frame" (3.4).
			if sf, ok := f.(*http2.SettingsFrame); !ok || sf.IsAck() {
				return connErr(http2.ErrCodeProtocol, errBadPreface)
			}
			first = false
		}
		if err := c.dispatch(ctx, f); err != nil {
			return err
		}
	}
}

// setReadDeadline arms the idle timeout while no stream is open, and
// notices a finished drain.
func (c *Conn) setReadDeadline() error {
	c.mu.Lock()
	idle := len(c.streams) == 0
	draining := c.draining
	c.mu.Unlock()
	switch {
	case idle && draining:
		return errDrained
	case idle && c.cfg.IdleTimeout > 0:
		c.deadlineSet = true
		return c.raw.SetReadDeadline(time.Now().Add(c.cfg.IdleTimeout))
	case c.deadlineSet:
		c.deadlineSet = false
		return c.raw.SetReadDeadline(time.Time{})
	}
	return nil
}

// readError turns a frame-reading error into the response it calls for:
// nil after a stream error (the stream was reset and the connection goes
// on), else the error that ends the connection.
func (c *Conn) readError(err error) error {
	var se http2.StreamError
	var ce http2.ConnectionError
	switch {
	case errors.As(err, &se):
		c.mu.Lock()
		if !c.client && se.StreamID > c.maxClientID && se.StreamID%2 == 1 {
			// A malformed HEADERS frame opened and closed the stream.
			c.maxClientID = se.StreamID
		}
		st := c.streams[se.StreamID]
		c.mu.Unlock()
		c.resetStream(se.StreamID, st, se.Code)
		return nil
	case errors.As(err, &ce):
		return connErr(http2.ErrCode(ce), err)
	case errors.Is(err, http2.ErrFrameTooLarge):
		return connErr(http2.ErrCodeFrameSize, err)
	case errors.Is(err, errHeaderFlood):
		return connErr(http2.ErrCodeEnhanceYourCalm, err)
	case errors.Is(err, os.ErrDeadlineExceeded):
		c.mu.Lock()
		idle := len(c.streams) == 0
		draining := c.draining
		c.mu.Unlock()
		if idle && draining {
			return errDrained
		}
		if idle {
			return errIdle
		}
		return nil // a drain woke us early; look again
	}
	return err
}

// dispatch handles one frame.
func (c *Conn) dispatch(ctx context.Context, f http2.Frame) error {
	if df, ok := f.(*http2.DataFrame); ok {
		return c.onData(df)
	}
	c.emptyFrames = 0
	switch f := f.(type) {
	case *http2.MetaHeadersFrame:
		if c.client {
			return c.onResponseHeaders(f)
		}
		return c.onHeaders(ctx, f)
	case *http2.SettingsFrame:
		return c.onSettings(f)
	case *http2.WindowUpdateFrame:
		return c.onWindowUpdate(f)
	case *http2.RSTStreamFrame:
		return c.onRSTStream(f)
	case *http2.PingFrame:
		if !f.IsAck() {
			c.enqueue(wframe{kind: wPing, ping: f.Data})
		} else if c.pingAck != nil {
			select {
			case c.pingAck <- f.Data:
			default:
			}
		}
	case *http2.PriorityFrame:
		c.priorityFrames++
		if c.priorityFrames > c.cfg.MaxPriorityFramesPerStream*(1+c.streamsOpened) {
			return connErr(http2.ErrCodeEnhanceYourCalm, errPriorityFlood)
		}
		if f.StreamDep == f.StreamID {
			// 5.3.1: "A stream cannot depend on itself. An endpoint MUST
			// treat this as a stream error of type PROTOCOL_ERROR."
			c.mu.Lock()
			st := c.streams[f.StreamID]
			c.mu.Unlock()
			c.resetStream(f.StreamID, st, http2.ErrCodeProtocol)
		}
	case *http2.GoAwayFrame:
		if c.client {
			return c.onGoAway(f)
		}
		c.mu.Lock()
		c.peerGoAway = true
		c.mu.Unlock()
	case *http2.PushPromiseFrame:
		// 8.4: "A client cannot push. Thus, servers MUST treat the
		// receipt of a PUSH_PROMISE frame as a connection error".
		return connErr(http2.ErrCodeProtocol, errPushPromise)
	}
	// Unknown frame types are ignored (5.5); CONTINUATION frames are
	// consumed by the frame reader with their HEADERS.
	return nil
}

// onHeaders opens a stream or takes a stream's trailers.
func (c *Conn) onHeaders(ctx context.Context, f *http2.MetaHeadersFrame) error {
	id := f.StreamID
	if id%2 == 0 {
		return connErr(http2.ErrCodeProtocol, errStreamIDs)
	}
	c.mu.Lock()
	st := c.streams[id]
	if st != nil {
		c.mu.Unlock()
		return c.onTrailers(st, f)
	}
	if id <= c.maxClientID {
		ours := c.recentlyReset(id)
		c.mu.Unlock()
		if ours {
			return nil
		}
		// 5.1: frames after END_STREAM or RST_STREAM on a closed stream.
		return connErr(http2.ErrCodeStreamClosed, errStreamClosed)
	}
	c.maxClientID = id
	if c.draining || len(c.streams) >= int(c.cfg.MaxConcurrentStreams) {
		c.mu.Unlock()
		// 5.1.2: "An endpoint that receives a HEADERS frame that causes
		// its advertised concurrent stream limit to be exceeded MUST treat
		// this as a stream error of type PROTOCOL_ERROR or
		// REFUSED_STREAM"; REFUSED_STREAM tells the client to retry.
		c.resetStream(id, nil, http2.ErrCodeRefusedStream)
		return nil
	}
	c.mu.Unlock()
	if f.HasPriority() && f.Priority.StreamDep == id {
		c.resetStream(id, nil, http2.ErrCodeProtocol)
		return nil
	}
	c.streamsOpened++
	if err := c.countOpened(); err != nil {
		return err
	}
	if f.Truncated {
		c.refuseHeaders(id, f.StreamEnded(), 431)
		return nil
	}
	req, err := parseRequest(f.Fields, c.cfg.MaxHeaderCount)
	switch {
	case err == errTooManyHeaders:
		c.refuseHeaders(id, f.StreamEnded(), 431)
		return nil
	case err != nil, f.StreamEnded() && req.ContentLength > 0:
		c.resetStream(id, nil, http2.ErrCodeProtocol)
		return nil
	}
	st = c.newStream(ctx, id, req, f.StreamEnded())
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return errConnClosed
	}
	c.streams[id] = st
	c.mu.Unlock()
	select {
	case c.work <- st: // an idle worker takes it
	default:
		c.handlers.Add(1)
		go c.worker(st)
	}
	return nil
}

// workerIdle is how long a stream goroutine waits for the next stream
// before it exits. Reusing goroutines saves their creation and, mostly,
// growing a fresh stack through the request path on every stream.
const workerIdle = time.Second

// worker serves st, then the streams handed to it while it is idle.
func (c *Conn) worker(st *Stream) {
	defer c.handlers.Done()
	var t *time.Timer
	for {
		c.h.ServeStream(st)
		st.finish()
		if t == nil {
			t = time.NewTimer(workerIdle)
		} else {
			t.Reset(workerIdle)
		}
		select {
		case st = <-c.work:
			t.Stop()
		case <-c.done:
			t.Stop()
			return
		case <-t.C:
			return
		}
	}
}

// onTrailers takes the trailer section of a stream's request.
func (c *Conn) onTrailers(st *Stream, f *http2.MetaHeadersFrame) error {
	c.mu.Lock()
	ended := st.recvDone
	c.mu.Unlock()
	switch {
	case ended:
		// 5.1 half-closed (remote): "If an endpoint receives additional
		// frames, other than WINDOW_UPDATE, PRIORITY, or RST_STREAM ... it
		// MUST respond with a stream error of type STREAM_CLOSED."
		c.resetStream(st.id, st, http2.ErrCodeStreamClosed)
	case !f.StreamEnded(), checkTrailers(f.Fields) != nil:
		// 8.1: a trailer section "MUST ... carry END_STREAM" and no
		// pseudo-header fields; the request is malformed.
		c.resetStream(st.id, st, http2.ErrCodeProtocol)
	default:
		c.mu.Lock()
		if st.recvCL >= 0 && st.received != st.recvCL {
			c.mu.Unlock()
			c.resetStream(st.id, st, http2.ErrCodeProtocol)
			return nil
		}
		st.trailers = f.Fields
		st.recvDone = true
		st.wakeLocked()
		c.mu.Unlock()
	}
	return nil
}

// countOpened tracks streams opened and reset by the client in the current
// second (CVE-2023-44487, rapid reset).
func (c *Conn) countOpened() error {
	now := time.Now()
	if now.Sub(c.rrStart) > time.Second {
		c.rrStart, c.rrOpened, c.rrReset = now, 0, 0
	}
	c.rrOpened++
	return c.checkRapidReset()
}

func (c *Conn) checkRapidReset() error {
	if c.rrOpened >= c.cfg.RapidResetMinStreams && 2*c.rrReset > c.rrOpened {
		return connErr(http2.ErrCodeEnhanceYourCalm, errRapidReset)
	}
	return nil
}

// refuseHeaders answers a request whose head is too large with status,
// before any handler sees it.
func (c *Conn) refuseHeaders(id uint32, ended bool, status int) {
	c.enqueue(wframe{kind: wHeaders, stream: id, end: true, fields: []hpack.HeaderField{{Name: ":status", Value: strconv.Itoa(status)}}})
	if !ended {
		c.enqueue(wframe{kind: wRST, stream: id, code: http2.ErrCodeNo})
	}
	c.mu.Lock()
	c.rememberClosedLocked(id, true)
	c.mu.Unlock()
}

// resetStream sends RST_STREAM for id and closes st (may be nil).
func (c *Conn) resetStream(id uint32, st *Stream, code http2.ErrCode) {
	c.mu.Lock()
	if st != nil && !st.closed {
		c.closeStreamLocked(st, true)
	} else if st == nil {
		c.rememberClosedLocked(id, true)
	}
	c.mu.Unlock()
	c.enqueue(wframe{kind: wRST, stream: id, code: code})
}

// closeStreamLocked removes st from the connection; unread request body
// bytes go back to the connection's window.
func (c *Conn) closeStreamLocked(st *Stream, ourself bool) {
	if st.closed {
		return
	}
	st.closed = true
	delete(c.streams, st.id)
	c.rememberClosedLocked(st.id, ourself)
	if !c.client || ourself || st.peerReset || !st.recvDone {
		// Nobody will read what is buffered (a client keeps a complete
		// response for its reader).
		if n := len(st.rbuf) - st.roff; n > 0 {
			c.creditConnLocked(int64(n))
		}
		st.rbuf, st.roff = nil, 0
	}
	st.cancel()
	st.wakeLocked()
	c.signalFlowLocked()
	if len(c.streams) == 0 && c.draining {
		c.raw.SetReadDeadline(time.Now())
	}
	if c.client && c.peerGoAway && len(c.streams) == 0 {
		c.failLocked(errGoAway)
	}
}

func (c *Conn) rememberClosedLocked(id uint32, ourself bool) {
	c.recent[c.recentPos] = closedStream{id: id, ourself: ourself}
	c.recentPos = (c.recentPos + 1) % len(c.recent)
}

func (c *Conn) recentlyReset(id uint32) bool {
	for _, r := range c.recent {
		if r.id == id {
			return r.ourself
		}
	}
	return false
}

// ServerConn is the server side of a connection.
type ServerConn = Conn

// SetUpgrade makes the connection one upgraded from HTTP/1.1 ("Upgrade:
// h2c", RFC 7540 3.2): req, which had no body, becomes stream 1, and
// settings (the HTTP2-Settings field, base64url) are the client's first
// settings. Call it before Serve.
func (c *Conn) SetUpgrade(req Request, settings string) error {
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(settings, "="))
	if err != nil || len(payload)%6 != 0 {
		return fmt.Errorf("http2: bad HTTP2-Settings %q", settings)
	}
	for i := 0; i < len(payload); i += 6 {
		s := http2.Setting{ID: http2.SettingID(binary.BigEndian.Uint16(payload[i:])), Val: binary.BigEndian.Uint32(payload[i+2:])}
		if err := s.Valid(); err != nil {
			return fmt.Errorf("http2: bad HTTP2-Settings: %w", err)
		}
		switch s.ID {
		case http2.SettingInitialWindowSize:
			c.peerInitialWindow = int64(s.Val)
		case http2.SettingMaxFrameSize:
			c.peerMaxFrame = s.Val
		case http2.SettingHeaderTableSize:
			c.enqueue(wframe{kind: wTableSize, n: s.Val})
		}
	}
	c.upgradeReq = &req
	return nil
}
