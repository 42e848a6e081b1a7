package proxy

import (
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/seed405ffdea/mosn/api"
	"github.com/seed405ffdea/mosn/core/protocol/http1"
	h2 "github.com/seed405ffdea/mosn/core/protocol/http2"
)

// streamConn is an HTTP/2 stream seen by the HTTP/1 request engine as a
// connection carrying one HTTP/1.1 request: Read yields the request head
// built from the HTTP/2 one, then the body (as received when it has a
// content-length, else chunked with the trailers in the trailer section);
// Write takes the HTTP/1.1 response the engine produces and sends it as
// HEADERS, DATA and trailing HEADERS frames.
type streamConn struct {
	st       *h2.Stream
	down     api.Connection
	opts     *Options
	raw      streamRaw
	sc       *serverConn // the engine serving the stream
	grpc     bool        // a gRPC request (content-type application/grpc...)
	bodyRead bool        // the engine has read some of the body
	diverted bool        // the body goes upstream by itself (divert)

	out     []byte // request bytes not yet read: the head, chunk framing
	ooff    int
	chunked bool
	bodyEnd bool // the request body was read to its end
	scratch []byte

	resp respWriter
}

var _ api.Connection = (*streamConn)(nil)

// init prepares c for st, building the HTTP/1.1 request head. A request
// the engine cannot carry (CONNECT) is answered here and init reports
// false.
func (c *streamConn) init(st *h2.Stream, down api.Connection, opts *Options) bool {
	req := st.Request()
	if req.Method == "CONNECT" {
		// CONNECT tunnels over HTTP/2 are not proxied.
		st.WriteHeaders([]hpack.HeaderField{{Name: ":status", Value: "405"}, {Name: "content-length", Value: "0"}}, true)
		return false
	}
	c.st, c.down, c.opts = st, down, opts
	c.raw.c = c
	c.resp.c = c
	c.resp.isHEAD = req.Method == "HEAD"
	if ct, _ := req.Get("content-type"); strings.HasPrefix(ct, "application/grpc") {
		c.grpc = true
	}
	ended := st.RequestEnded()
	// A gRPC body always goes chunked, so that it can be diverted to a
	// full-duplex upstream stream (divert).
	c.chunked = !ended && (req.ContentLength < 0 || c.grpc)
	c.bodyEnd = ended
	c.out = appendH1Head(c.out[:0], req, c.chunked, c.grpc)
	c.ooff = 0
	return true
}

// divert takes a gRPC request's body away from the engine, which has not
// read any of it yet: the engine reads the chunked body's end at once,
// and the body goes to the upstream stream through a duplexBody. It
// reports whether it did.
func (c *streamConn) divert() bool {
	if !c.grpc || c.bodyEnd || c.bodyRead || c.diverted || c.ooff < len(c.out) {
		return false
	}
	if c.st.EndReceived() {
		// The whole body is here (a unary call, usually): the engine
		// sends it before reading the response, no goroutine needed.
		return false
	}
	c.diverted = true
	c.bodyEnd = true
	c.out = append(c.out[:0], "0\r\n\r\n"...)
	c.ooff = 0
	return true
}

// duplexBody is the downstream stream as an upstream.DuplexBody.
type duplexBody struct{ st *h2.Stream }

func (d duplexBody) Read(p []byte) (int, error)  { return d.st.Read(p) }
func (d duplexBody) SetReadDeadline(t time.Time) { d.st.SetReadDeadline(t) }
func (d duplexBody) Trailers() []http1.Field     { return h2.ToHTTP1(d.st.Trailers()) }

// appendH1Head writes the HTTP/1.1 form of an HTTP/2 request head:
// :authority becomes Host (RFC 9113 8.3.1: it "MUST" be used instead of
// Host when both are there), split cookie fields are joined with "; "
// (8.2.3), TE is dropped (it is hop-by-hop in HTTP/1.1).
func appendH1Head(h []byte, req *h2.Request, chunked, noLength bool) []byte {
	h = append(h, req.Method...)
	h = append(h, ' ')
	h = append(h, req.Path...)
	h = append(h, " HTTP/1.1\r\n"...)
	host := req.Authority
	if host == "" {
		host, _ = req.Get("host")
	}
	if host != "" {
		h = append(h, "host: "...)
		h = append(h, host...)
		h = append(h, "\r\n"...)
	}
	cookies := 0
	for _, f := range req.Fields {
		switch f.Name {
		case "host", "te":
			continue
		case "content-length":
			if noLength {
				continue
			}
		case "cookie":
			cookies++
			continue
		}
		h = append(h, f.Name...)
		h = append(h, ": "...)
		h = append(h, f.Value...)
		h = append(h, "\r\n"...)
	}
	if cookies > 0 {
		h = append(h, "cookie: "...)
		first := true
		for _, f := range req.Fields {
			if f.Name == "cookie" {
				if !first {
					h = append(h, "; "...)
				}
				first = false
				h = append(h, f.Value...)
			}
		}
		h = append(h, "\r\n"...)
	}
	if chunked {
		h = append(h, "transfer-encoding: chunked\r\n"...)
	}
	return append(h, "\r\n"...)
}

// Read implements api.Connection: the request head, then the body.
func (c *streamConn) Read(p []byte) (int, error) {
	if c.ooff < len(c.out) {
		n := copy(p, c.out[c.ooff:])
		c.ooff += n
		return n, nil
	}
	if c.bodyEnd {
		return 0, io.EOF
	}
	c.bodyRead = true
	if !c.chunked {
		n, err := c.st.Read(p)
		if err == io.EOF {
			c.bodyEnd = true
			if n > 0 {
				err = nil
			}
		}
		return n, err
	}
	if c.scratch == nil {
		c.scratch = make([]byte, readBufSize)
	}
	out, eof, err := c.st.ReadChunked(c.out[:0], c.scratch)
	c.out, c.ooff = out, 0
	if err != nil {
		return 0, err
	}
	c.bodyEnd = eof
	m := copy(p, c.out)
	c.ooff = m
	return m, nil
}

// Write implements api.Connection: the engine's HTTP/1.1 response.
func (c *streamConn) Write(bufs ...[]byte) error {
	for _, b := range bufs {
		if err := c.resp.write(b); err != nil {
			return err
		}
	}
	return nil
}

// ClientGone tells the engine, waiting for a slow upstream, that the
// client reset the stream or its connection closed.
func (c *streamConn) ClientGone() bool {
	select {
	case <-c.st.Context().Done():
		return !c.resp.done
	default:
		return false
	}
}

// finish ends the stream after the engine returned: a response that was
// not completed resets the stream (the HTTP/2 way to say "incomplete").
func (c *streamConn) finish(err error) {
	r := &c.resp
	switch {
	case r.done:
	case r.headSent && r.kind == http1.UntilClose && err == nil:
		c.st.WriteData(nil, true)
	default:
		c.st.Reset(http2.ErrCodeInternal)
	}
}

// ID implements api.Connection (the downstream connection's).
func (c *streamConn) ID() uint64 { return c.down.ID() }

// LocalAddr implements api.Connection.
func (c *streamConn) LocalAddr() net.Addr { return c.down.LocalAddr() }

// RemoteAddr implements api.Connection.
func (c *streamConn) RemoteAddr() net.Addr { return c.down.RemoteAddr() }

// Close implements api.Connection: the stream is reset unless its
// response is complete.
func (c *streamConn) Close(api.CloseType) error {
	if !c.resp.done {
		c.st.Reset(http2.ErrCodeCancel)
	}
	return nil
}

// CloseWrite implements api.Connection: a response delimited by the
// close ends here.
func (c *streamConn) CloseWrite() error {
	if c.resp.headSent && !c.resp.done && c.resp.kind == http1.UntilClose {
		c.resp.done = true
		return c.st.WriteData(nil, true)
	}
	return nil
}

// SetReadDeadline implements api.Connection.
func (c *streamConn) SetReadDeadline(t time.Time) error {
	c.st.SetReadDeadline(t)
	return nil
}

// AddConnectionEventListener implements api.Connection on the downstream
// connection.
func (c *streamConn) AddConnectionEventListener(l api.ConnectionEventListener) {
	c.down.AddConnectionEventListener(l)
}

// Context implements api.Connection: the stream's context.
func (c *streamConn) Context() context.Context { return c.st.Context() }

// RawConn implements api.Connection: a net.Conn view of the stream, for
// the engine's write deadlines.
func (c *streamConn) RawConn() net.Conn { return &c.raw }

// streamRaw is the net.Conn view of a streamConn.
type streamRaw struct{ c *streamConn }

func (r *streamRaw) Read(p []byte) (int, error) { return r.c.Read(p) }
func (r *streamRaw) Write(p []byte) (int, error) {
	if err := r.c.Write(p); err != nil {
		return 0, err
	}
	return len(p), nil
}
func (r *streamRaw) Close() error         { return r.c.Close(api.NoFlush) }
func (r *streamRaw) LocalAddr() net.Addr  { return r.c.LocalAddr() }
func (r *streamRaw) RemoteAddr() net.Addr { return r.c.RemoteAddr() }
func (r *streamRaw) SetDeadline(t time.Time) error {
	r.c.st.SetReadDeadline(t)
	r.c.st.SetWriteDeadline(t)
	return nil
}
func (r *streamRaw) SetReadDeadline(t time.Time) error {
	r.c.st.SetReadDeadline(t)
	return nil
}
func (r *streamRaw) SetWriteDeadline(t time.Time) error {
	r.c.st.SetWriteDeadline(t)
	return nil
}

// respWriter turns the engine's HTTP/1.1 response bytes into frames.
type respWriter struct {
	c        *streamConn
	isHEAD   bool
	head     http1.HeadAccumulator // a response head arriving in pieces
	resp     http1.ResponseHead
	headSent bool
	done     bool
	kind     http1.BodyKind
	left     int64
	chunks   http1.Dechunker
	// A reply the proxy made itself to a gRPC request becomes a gRPC
	// status: its body is collected for grpc-message.
	grpcLocal bool
	grpcCode  int
	grpcMsg   []byte
}

var errResponseAfterEnd = errors.New("proxy: response bytes after the end of the response")

func (r *respWriter) write(b []byte) error {
	for len(b) > 0 {
		if r.done {
			return errResponseAfterEnd
		}
		if !r.headSent {
			n, err := r.writeHead(b)
			if err != nil || n == 0 {
				return err
			}
			b = b[n:]
			continue
		}
		if r.grpcLocal {
			n := int(min(int64(len(b)), r.left))
			r.grpcMsg = append(r.grpcMsg, b[:n]...)
			r.left -= int64(n)
			b = b[n:]
			if r.left == 0 {
				if err := r.grpcReply(); err != nil {
					return err
				}
			}
			continue
		}
		switch r.kind {
		case http1.Length:
			n := int(min(int64(len(b)), r.left))
			r.left -= int64(n)
			r.done = r.left == 0
			if err := r.c.st.WriteData(b[:n], r.done); err != nil {
				return err
			}
			b = b[n:]
		case http1.ChunkedBody:
			n, done, err := r.chunks.Feed(b, r.writeData)
			if err != nil {
				return err
			}
			b = b[n:]
			if done {
				r.done = true
				return r.endChunked()
			}
		default: // UntilClose
			if err := r.c.st.WriteData(b, false); err != nil {
				return err
			}
			b = nil
		}
	}
	return nil
}

// writeHead parses the response head at the front of b (or what
// accumulated before it) and sends it; it returns how much of b it used.
func (r *respWriter) writeHead(b []byte) (int, error) {
	hl, err := http1.ParseResponse(r.head.Data(b), &r.resp, r.c.opts.Limits)
	if err != nil {
		return 0, err
	}
	if hl == 0 {
		r.head.More(b)
		return len(b), nil
	}
	used := r.head.Done(b, hl)
	fields := make([]hpack.HeaderField, 0, len(r.resp.Headers)+1)
	fields = append(fields, hpack.HeaderField{Name: ":status", Value: strconv.Itoa(r.resp.Status)})
	for _, h := range r.resp.Headers {
		if http1.IsHopByHop(h.Name) {
			continue
		}
		fields = append(fields, hpack.HeaderField{Name: strings.ToLower(string(h.Name)), Value: string(h.Value)})
	}
	if r.resp.Status < 200 {
		// An interim response (100 Continue): informational HEADERS.
		return used, r.c.st.WriteHeaders(fields, false)
	}
	r.kind, r.left = r.resp.Body(r.isHEAD)
	r.headSent = true
	if r.c.grpc && r.resp.Status != 200 && r.c.sc != nil && r.c.sc.st.uc == nil && r.kind == http1.Length {
		// A local reply (no route, no upstream, timeout ...) to a gRPC
		// call: HTTP 200 with a trailers-only gRPC status, as Envoy does.
		r.grpcLocal, r.grpcCode = true, grpcStatus(r.resp.Status)
		if r.left == 0 {
			return used, r.grpcReply()
		}
		return used, nil
	}
	if r.kind == http1.NoBody || (r.kind == http1.Length && r.left == 0) {
		r.done = true
	}
	if r.kind == http1.ChunkedBody {
		r.chunks = http1.Dechunker{}
	}
	return used, r.c.st.WriteHeaders(fields, r.done)
}

// grpcReply sends a local reply to a gRPC call as a trailers-only
// response.
func (r *respWriter) grpcReply() error {
	r.done = true
	return r.c.st.WriteHeaders([]hpack.HeaderField{
		{Name: ":status", Value: "200"},
		{Name: "content-type", Value: "application/grpc"},
		{Name: "grpc-status", Value: strconv.Itoa(r.grpcCode)},
		{Name: "grpc-message", Value: grpcMessage(r.grpcMsg)},
	}, true)
}

// endChunked ends a chunked response: its trailer section, if any, as the
// trailing HEADERS frame, else an empty DATA frame with END_STREAM.
func (r *respWriter) endChunked() error {
	if len(r.chunks.Trailers) > 0 {
		return r.c.st.WriteHeaders(h2.FromHTTP1(r.chunks.Trailers), true)
	}
	return r.c.st.WriteData(nil, true)
}

func (r *respWriter) writeData(p []byte) error { return r.c.st.WriteData(p, false) }
