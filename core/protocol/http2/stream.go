package http2

import (
	"context"
	"io"
	"net"
	"os"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/seed405ffdea/mosn/pkg/buffer"
)

// Stream is one request and its response. The handler reads the request
// body with Read and answers with WriteHeaders, WriteData and
// WriteTrailers; all of them may block on flow control and honour the
// deadlines set with SetReadDeadline and SetWriteDeadline.
type Stream struct {
	c      *Conn
	id     uint32
	req    Request
	ctx    context.Context
	cancel context.CancelFunc

	// Guarded by c.mu.
	rbuf       []byte // request body received and not yet read, from roff
	roff       int
	recvDone   bool // END_STREAM received
	trailers   []hpack.HeaderField
	recvWindow int64
	recvUnsent int64
	received   int64
	recvCL     int64 // the content-length of what we receive, -1 if none
	sendWindow int64
	sentHead   bool
	sendDone   bool
	closed     bool
	peerReset  bool
	resetCode  http2.ErrCode
	refused    bool                // client: the server did not process the request
	resp       []hpack.HeaderField // client: the response head
	rdl, wdl   time.Time
	stall      time.Time // without wdl: when waiting for window gives up
	rwake      chan struct{}
}

func (c *Conn) newStream(ctx context.Context, id uint32, req Request, ended bool) *Stream {
	st := &Stream{
		c:          c,
		id:         id,
		req:        req,
		recvDone:   ended,
		recvCL:     req.ContentLength,
		recvWindow: int64(c.cfg.InitialStreamWindowSize),
		rwake:      make(chan struct{}, 1),
	}
	c.mu.Lock()
	st.sendWindow = c.peerInitialWindow
	c.mu.Unlock()
	st.ctx, st.cancel = context.WithCancel(ctx)
	return st
}

func (st *Stream) wakeLocked() {
	select {
	case st.rwake <- struct{}{}:
	default:
	}
}

// ID returns the stream identifier.
func (st *Stream) ID() uint32 { return st.id }

// Request returns the request head.
func (st *Stream) Request() *Request { return &st.req }

// Context is done when the stream ends: reset by the client, its
// connection closed, or the exchange finished.
func (st *Stream) Context() context.Context { return st.ctx }

// RemoteAddr returns the client's address.
func (st *Stream) RemoteAddr() net.Addr { return st.c.raw.RemoteAddr() }

// LocalAddr returns the connection's local address.
func (st *Stream) LocalAddr() net.Addr { return st.c.raw.LocalAddr() }

// RequestEnded reports whether the request arrived whole with its head
// (END_STREAM on HEADERS: no body).
func (st *Stream) RequestEnded() bool {
	st.c.mu.Lock()
	defer st.c.mu.Unlock()
	return st.recvDone && len(st.rbuf) == st.roff
}

// EndReceived reports whether the peer ended its side (END_STREAM
// arrived), whatever is still buffered for Read.
func (st *Stream) EndReceived() bool {
	st.c.mu.Lock()
	defer st.c.mu.Unlock()
	return st.recvDone
}

// Trailers returns the request's trailer fields, once Read returned
// io.EOF (nil when there were none).
func (st *Stream) Trailers() []hpack.HeaderField {
	st.c.mu.Lock()
	defer st.c.mu.Unlock()
	return st.trailers
}

// SetReadDeadline bounds the wait of Read; zero means none.
func (st *Stream) SetReadDeadline(t time.Time) {
	st.c.mu.Lock()
	st.rdl = t
	st.c.mu.Unlock()
	st.wake()
}

// SetWriteDeadline bounds the waits of the writes for window; zero means
// none.
func (st *Stream) SetWriteDeadline(t time.Time) {
	st.c.mu.Lock()
	st.wdl = t
	st.c.signalFlowLocked()
	st.c.mu.Unlock()
}

func (st *Stream) wake() {
	select {
	case st.rwake <- struct{}{}:
	default:
	}
}

// Read reads request body bytes; io.EOF follows the last of them. The
// bytes read go back to the client as flow-control window. After a reset
// it returns ErrStreamReset; past the read deadline
// os.ErrDeadlineExceeded.
func (st *Stream) Read(p []byte) (int, error) {
	c := st.c
	c.mu.Lock()
	for {
		if n := len(st.rbuf) - st.roff; n > 0 {
			n = copy(p, st.rbuf[st.roff:])
			st.roff += n
			if st.roff == len(st.rbuf) {
				st.rbuf, st.roff = st.rbuf[:0], 0
			}
			c.creditConnLocked(int64(n))
			c.creditStreamLocked(st, int64(n))
			c.mu.Unlock()
			return n, nil
		}
		switch {
		case st.closed && !(st.recvDone && !st.peerReset && !c.closed):
			err := st.errLocked()
			c.mu.Unlock()
			return 0, err
		case st.recvDone:
			c.mu.Unlock()
			return 0, io.EOF
		}
		dl := st.rdl
		c.mu.Unlock()
		if err := st.wait(st.rwake, dl); err != nil {
			return 0, err
		}
		c.mu.Lock()
	}
}

// wait blocks until ch is signalled, the deadline passes or the stream
// ends.
func (st *Stream) wait(ch <-chan struct{}, dl time.Time) error {
	if dl.IsZero() {
		select {
		case <-ch:
		case <-st.ctx.Done():
			st.wake() // let the caller look at the state once more
		}
		return nil
	}
	d := time.Until(dl)
	if d <= 0 {
		return os.ErrDeadlineExceeded
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ch:
	case <-st.ctx.Done():
	case <-t.C:
		return os.ErrDeadlineExceeded
	}
	return nil
}

// WriteHeaders sends the response head (fields start with ":status") or,
// after it, a trailer section; end ends the response.
func (st *Stream) WriteHeaders(fields []hpack.HeaderField, end bool) error {
	c := st.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if st.closed {
		return ErrStreamReset
	}
	if st.sendDone {
		return ErrStreamDone
	}
	if len(fields) > 0 && fields[0].Name == ":status" && fields[0].Value[0] != '1' {
		st.sentHead = true
	}
	if !c.enqueueLocked(wframe{kind: wHeaders, stream: st.id, end: end, fields: fields}) {
		return ErrStreamReset
	}
	if end {
		st.endSendLocked()
	}
	return nil
}

// WriteData sends response body bytes in DATA frames as the send windows
// allow; end ends the response (with an empty DATA frame when p is
// empty). p is copied before WriteData returns.
func (st *Stream) WriteData(p []byte, end bool) error {
	c := st.c
	for {
		c.mu.Lock()
		if st.closed {
			c.mu.Unlock()
			return ErrStreamReset
		}
		if st.sendDone {
			c.mu.Unlock()
			return ErrStreamDone
		}
		if len(p) == 0 {
			if end {
				c.enqueueLocked(wframe{kind: wData, stream: st.id, end: true})
				st.endSendLocked()
			}
			c.mu.Unlock()
			return nil
		}
		avail := min(st.sendWindow, c.connSend, int64(maxQueuedData-c.queuedData), int64(c.peerMaxFrame), int64(len(p)))
		if avail <= 0 {
			ch, dl := c.flowCh, st.wdl
			if dl.IsZero() {
				if st.stall.IsZero() {
					st.stall = time.Now().Add(c.cfg.StreamIdleTimeout)
				}
				dl = st.stall
			}
			c.mu.Unlock()
			if err := st.wait(ch, dl); err != nil {
				return err
			}
			continue
		}
		n := int(avail)
		st.stall = time.Time{}
		st.sendWindow -= avail
		c.connSend -= avail
		c.queuedData += n
		buf := buffer.GetBytes(n)
		data := append((*buf)[:0], p[:n]...)
		p = p[n:]
		last := end && len(p) == 0
		c.enqueueLocked(wframe{kind: wData, stream: st.id, end: last, data: data, buf: buf})
		if last {
			st.endSendLocked()
			c.mu.Unlock()
			return nil
		}
		c.mu.Unlock()
		if len(p) == 0 {
			return nil
		}
	}
}

// endSendLocked marks the response ended. A request still arriving is
// cut short with RST_STREAM(NO_ERROR) (RFC 9113 8.1: the server "can
// request that the client abort transmission of a request without error").
func (st *Stream) endSendLocked() {
	st.sendDone = true
	if st.c.client {
		if st.recvDone {
			st.c.closeStreamLocked(st, false)
		}
		return
	}
	if !st.recvDone {
		st.c.enqueueLocked(wframe{kind: wRST, stream: st.id, code: http2.ErrCodeNo})
	}
	st.c.closeStreamLocked(st, !st.recvDone)
}

// Reset abandons the stream with RST_STREAM(code).
func (st *Stream) Reset(code http2.ErrCode) {
	c := st.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if st.closed {
		return
	}
	st.sendDone = true
	c.closeStreamLocked(st, true)
	c.enqueueLocked(wframe{kind: wRST, stream: st.id, code: code})
}

// ResponseStarted reports whether a final response head was sent.
func (st *Stream) ResponseStarted() bool {
	st.c.mu.Lock()
	defer st.c.mu.Unlock()
	return st.sentHead
}

// finish resets a stream its handler left unfinished.
func (st *Stream) finish() {
	st.Reset(http2.ErrCodeInternal)
	st.cancel()
}
