package upstream

import (
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/seed405ffdea/mosn/core/protocol/http1"
	h2 "github.com/seed405ffdea/mosn/core/protocol/http2"
)

// h2Conn is one HTTP/1.1 exchange carried by a stream of a multiplexed
// HTTP/2 connection: the proxy writes an HTTP/1.1 request and reads an
// HTTP/1.1 response, as on a keep-alive connection; the translation to
// HTTP/2 happens here (the mirror of the proxy's streamConn).
//
// Request: the head becomes HEADERS (Host as :authority, hop-by-hop
// fields dropped, names lowercased, "te: trailers" for gRPC), a body with
// Content-Length goes out as DATA, a chunked one is de-chunked into DATA
// and its trailer section into trailing HEADERS. Response: HEADERS become
// the status line and fields; a response that ended with its HEADERS
// gets Content-Length: 0 (so a gRPC trailers-only response stays one); a
// body without content-length is chunked, with the HTTP/2 trailers in the
// trailer section.
type h2Conn struct {
	cc     *h2.ClientConn
	uc     *UpConn
	ucv    UpConn
	doneFn func(bool) // c.done, made once per pooled h2Conn
	st     *h2.Stream
	// ctx is the request's context: when it ends first (the client left),
	// the stream is reset, which cancels the request upstream.
	ctx     context.Context
	stopCtx func() bool
	// duplex, when set, is the request body, sent by a goroutine of its
	// own while the response streams back (DuplexBody).
	duplex     DuplexBody
	idle       time.Duration
	duplexDone atomic.Bool

	head    http1.HeadAccumulator
	req     http1.RequestHead
	kind    http1.BodyKind
	left    int64
	dechunk http1.Dechunker
	reqDone bool
	isHEAD  bool
	rdl     time.Time
	wdl     time.Time

	out       []byte
	ooff      int
	respHead  bool
	respEOF   bool
	chunked   bool
	scratch   []byte
	closeOnce bool
}

// reqLimits bound the request head the proxy wrote (it already checked
// it against the listener's limits).
var reqLimits = http1.Limits{MaxHeaderBytes: 1 << 20, MaxHeaders: 1 << 12}

// h2ConnPool recycles the per-request translation state.
var h2ConnPool = sync.Pool{New: func() any { return new(h2Conn) }}

func newH2UpConn(ctx context.Context, hp *H2Pool, cc *h2.ClientConn) *UpConn {
	c := h2ConnPool.Get().(*h2Conn)
	if c.doneFn == nil {
		c.doneFn = c.done
	}
	c.cc, c.ctx, c.idle = cc, ctx, hp.cfg.StreamIdleTimeout
	c.duplex, _ = ctx.Value(duplexKey{}).(DuplexBody)
	c.ucv = UpConn{Conn: c, pool: hp.p, LocalAddress: cc.LocalAddress, done: c.doneFn}
	c.uc = &c.ucv
	return c.uc
}

// recycle pools c once its exchange is over, keeping its buffers. A
// duplex exchange is not recycled: its pump goroutine may still hold c.
func (c *h2Conn) recycle() {
	if c.duplex != nil {
		return
	}
	req := c.req
	req.Reset()
	clear(req.Headers[:cap(req.Headers)])
	clear(req.ConnectionTokens[:cap(req.ConnectionTokens)])
	*c = h2Conn{req: req, doneFn: c.doneFn, out: c.out[:0], scratch: c.scratch}
	h2ConnPool.Put(c)
}

// errH2NotHTTP1 is returned when what the proxy writes is not a request.
var errH2NotHTTP1 = errors.New("upstream: http2: request bytes are not an HTTP/1.1 request")

// Write implements net.Conn: the proxy's HTTP/1.1 request.
func (c *h2Conn) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if c.reqDone {
			return 0, errH2NotHTTP1
		}
		if c.st == nil {
			used, err := c.writeHead(p)
			if err != nil {
				return 0, c.failed(err)
			}
			p = p[used:]
			continue
		}
		switch c.kind {
		case http1.Length:
			m := int(min(int64(len(p)), c.left))
			c.left -= int64(m)
			c.reqDone = c.left == 0
			if err := c.st.WriteData(p[:m], c.reqDone); err != nil {
				return 0, c.failed(err)
			}
			p = p[m:]
		case http1.ChunkedBody:
			m, done, err := c.dechunk.Feed(p, c.writeData)
			if err != nil {
				return 0, c.failed(err)
			}
			p = p[m:]
			if done {
				c.reqDone = true
				if c.duplex == nil {
					if err := c.endChunked(); err != nil {
						return 0, c.failed(err)
					}
				}
			}
		default:
			return 0, errH2NotHTTP1
		}
	}
	return n, nil
}

func (c *h2Conn) writeData(p []byte) error { return c.st.WriteData(p, false) }

func (c *h2Conn) endChunked() error {
	if len(c.dechunk.Trailers) == 0 {
		return c.st.WriteData(nil, true)
	}
	return c.st.WriteHeaders(h2.FromHTTP1(c.dechunk.Trailers), true)
}

// writeHead parses the request head and opens the stream with it.
func (c *h2Conn) writeHead(p []byte) (int, error) {
	hl, err := http1.ParseRequest(c.head.Data(p), &c.req, reqLimits)
	if err != nil {
		return 0, err
	}
	if hl == 0 {
		c.head.More(p)
		return len(p), nil
	}
	used := c.head.Done(p, hl)
	r := &c.req
	method := string(r.Method)
	c.isHEAD = method == "HEAD"
	fields := make([]hpack.HeaderField, 0, len(r.Headers)+5)
	fields = append(fields,
		hpack.HeaderField{Name: ":method", Value: method},
		hpack.HeaderField{Name: ":scheme", Value: "http"},
		hpack.HeaderField{Name: ":authority", Value: string(r.Host)},
		hpack.HeaderField{Name: ":path", Value: string(r.URI)},
	)
	grpc := false
	for _, h := range r.Headers {
		if http1.IsHopByHop(h.Name) || r.IsConnectionToken(h.Name) || http1.EqualFold(h.Name, "host") {
			continue
		}
		name := strings.ToLower(string(h.Name))
		if name == "content-type" && strings.HasPrefix(string(h.Value), "application/grpc") {
			grpc = true
		}
		fields = append(fields, hpack.HeaderField{Name: name, Value: string(h.Value)})
	}
	if grpc {
		// gRPC servers may insist on it (the spec requires it).
		fields = append(fields, hpack.HeaderField{Name: "te", Value: "trailers"})
	}
	c.kind, c.left = r.Body()
	end := c.kind == http1.NoBody || (c.kind == http1.Length && c.left == 0)
	c.reqDone = end
	if c.duplex != nil {
		// The body comes from the duplex source; what the proxy writes
		// is an empty chunked body.
		end = false
	}
	cl := int64(-1)
	if c.kind == http1.Length {
		cl = c.left
	}
	st, err := c.cc.NewStream(h2.Request{Method: method, Path: string(r.URI), ContentLength: cl}, fields, end)
	if err != nil {
		return 0, err
	}
	c.st = st
	st.SetReadDeadline(c.rdl)
	st.SetWriteDeadline(c.wdl)
	if c.ctx != nil {
		c.stopCtx = context.AfterFunc(c.ctx, func() { st.Reset(http2.ErrCodeCancel) })
	}
	if c.duplex != nil {
		go c.pumpDuplex()
	}
	return used, nil
}

// pumpDuplex sends the duplex request body: DATA as it arrives, then the
// trailers or END_STREAM. A failure either side resets the stream.
func (c *h2Conn) pumpDuplex() {
	defer c.duplexDone.Store(true)
	buf := make([]byte, 32<<10)
	for {
		if c.idle > 0 {
			c.duplex.SetReadDeadline(time.Now().Add(c.idle))
		}
		n, err := c.duplex.Read(buf)
		if n > 0 {
			if werr := c.st.WriteData(buf[:n], false); werr != nil {
				c.st.Reset(http2.ErrCodeCancel)
				return
			}
		}
		if err == io.EOF {
			if tr := c.duplex.Trailers(); len(tr) > 0 {
				c.st.WriteHeaders(h2.FromHTTP1(tr), true)
			} else {
				c.st.WriteData(nil, true)
			}
			return
		}
		if err != nil {
			c.st.Reset(http2.ErrCodeCancel)
			return
		}
	}
}

// failed marks a refused request retriable: the proxy retries a failed
// exchange on a fresh connection when UpConn.Reused is set and nothing of
// the response arrived, and a refused stream was never processed.
func (c *h2Conn) failed(err error) error {
	// A duplex body may be partly sent already: never retried.
	if errors.Is(err, h2.ErrRefused) && c.duplex == nil {
		c.uc.Reused = true
	}
	return err
}

// Read implements net.Conn: the HTTP/1.1 form of the response.
func (c *h2Conn) Read(p []byte) (int, error) {
	for {
		if c.ooff < len(c.out) {
			n := copy(p, c.out[c.ooff:])
			c.ooff += n
			return n, nil
		}
		if c.respEOF {
			return 0, io.EOF
		}
		if c.st == nil {
			return 0, errH2NotHTTP1
		}
		c.out, c.ooff = c.out[:0], 0
		if !c.respHead {
			if err := c.readHead(); err != nil {
				return 0, c.failed(err)
			}
			continue
		}
		if err := c.readBody(); err != nil {
			return 0, err
		}
	}
}

func (c *h2Conn) readHead() error {
	fields, err := c.st.Response()
	if err != nil {
		return err
	}
	status := h2.Status(fields)
	c.respHead = true
	h := append(c.out, "HTTP/1.1 "...)
	h = strconv.AppendInt(h, int64(status), 10)
	h = append(h, ' ')
	h = append(h, http1.StatusText(status)...)
	h = append(h, "\r\n"...)
	hasLength, hasTrailer := false, false
	for _, f := range fields {
		switch f.Name {
		case "content-length":
			hasLength = true
		case "trailer":
			hasTrailer = true
		}
	}
	if hasTrailer {
		// Trailers are announced: they need the chunked trailer section,
		// so the body goes chunked even with a length.
		hasLength = false
	}
	for _, f := range fields {
		if strings.HasPrefix(f.Name, ":") || (hasTrailer && f.Name == "content-length") {
			continue
		}
		h = append(h, f.Name...)
		h = append(h, ": "...)
		h = append(h, f.Value...)
		h = append(h, "\r\n"...)
	}
	bodiless := c.isHEAD || status == 204 || status == 304
	switch {
	case bodiless:
		c.respEOF = true
	case hasLength:
	case c.st.RequestEnded() && len(c.st.Trailers()) == 0:
		// The response ended with its HEADERS (a gRPC trailers-only
		// response, an empty body).
		h = append(h, "content-length: 0\r\n"...)
		c.respEOF = true
	default:
		h = append(h, "transfer-encoding: chunked\r\n"...)
		c.chunked = true
	}
	c.out = append(h, "\r\n"...)
	return nil
}

func (c *h2Conn) readBody() error {
	if c.scratch == nil {
		c.scratch = make([]byte, 16<<10)
	}
	if c.chunked {
		out, eof, err := c.st.ReadChunked(c.out, c.scratch)
		c.out, c.respEOF = out, eof
		return err
	}
	n, err := c.st.Read(c.scratch)
	c.out = append(c.out, c.scratch[:n]...)
	switch {
	case err == io.EOF:
		c.respEOF = true
		return nil
	case n > 0:
		return nil
	}
	return err
}

// done ends the exchange (Pool.Put/Discard): a stream not finished both
// ways is cancelled.
func (c *h2Conn) done(reusable bool) {
	if c.closeOnce {
		return
	}
	c.closeOnce = true
	if c.st == nil {
		c.cc.Unreserve()
		c.recycle()
		return
	}
	if c.stopCtx != nil {
		c.stopCtx()
	}
	if !reusable || !c.reqDone || !c.respEOF || (c.duplex != nil && !c.duplexDone.Load()) {
		c.st.Reset(http2.ErrCodeCancel)
	}
	c.recycle()
}

// Close implements net.Conn.
func (c *h2Conn) Close() error {
	c.done(false)
	return nil
}

// LocalAddr implements net.Conn.
func (c *h2Conn) LocalAddr() net.Addr { return c.cc.LocalAddr() }

// RemoteAddr implements net.Conn.
func (c *h2Conn) RemoteAddr() net.Addr { return c.cc.RemoteAddr() }

// SetDeadline implements net.Conn.
func (c *h2Conn) SetDeadline(t time.Time) error {
	c.SetReadDeadline(t)
	return c.SetWriteDeadline(t)
}

// SetReadDeadline implements net.Conn.
func (c *h2Conn) SetReadDeadline(t time.Time) error {
	c.rdl = t
	if c.st != nil {
		c.st.SetReadDeadline(t)
	}
	return nil
}

// SetWriteDeadline implements net.Conn.
func (c *h2Conn) SetWriteDeadline(t time.Time) error {
	c.wdl = t
	if c.st != nil {
		c.st.SetWriteDeadline(t)
	}
	return nil
}

// DuplexBody is a request body that an HTTP/2 upstream stream sends by
// itself, concurrently with the response coming back: a gRPC
// bidirectional stream between two HTTP/2 peers, where the proxy's
// exchange (request body first, then the response) would deadlock. The
// proxy hands it over with WithDuplexBody and writes the request head
// without a body.
type DuplexBody interface {
	// Read reads body bytes; io.EOF after the last.
	Read(p []byte) (int, error)
	// SetReadDeadline bounds the wait of Read.
	SetReadDeadline(t time.Time)
	// Trailers returns the trailer fields once Read returned io.EOF.
	Trailers() []http1.Field
}

type duplexKey struct{}

// WithDuplexBody returns ctx carrying b for the HTTP/2 upstream stream
// the request will use.
func WithDuplexBody(ctx context.Context, b DuplexBody) context.Context {
	return context.WithValue(ctx, duplexKey{}, b)
}
