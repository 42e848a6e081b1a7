package proxy

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"golang.org/x/net/http2"

	"github.com/seed405ffdea/mosn/api"
	h2 "github.com/seed405ffdea/mosn/core/protocol/http2"
)

// h2Preface is the HTTP/2 client connection preface (RFC 9113 3.4).
const h2Preface = http2.ClientPreface

// errSwitchH2 tells Serve that the connection speaks HTTP/2.
var errSwitchH2 = errors.New("proxy: connection speaks HTTP/2")

// alpnH2 reports whether TLS negotiated "h2" on conn: the hook through
// which a TLS listener hands HTTP/2 connections to the codec. It accepts a
// connection that exposes NegotiatedProtocol itself, or whose raw
// connection is a *tls.Conn.
func alpnH2(conn api.Connection) bool {
	if p, ok := conn.(interface{ NegotiatedProtocol() string }); ok {
		return p.NegotiatedProtocol() == "h2"
	}
	if pi, ok := conn.RawConn().(api.PeerIdentity); ok {
		return pi.NegotiatedProtocol() == "h2"
	}
	if tc, ok := conn.RawConn().(*tls.Conn); ok {
		return tc.ConnectionState().NegotiatedProtocol == "h2"
	}
	return false
}

// sniffH2 looks at the first bytes of an Auto connection: errSwitchH2 when
// they are the HTTP/2 preface, nil when they are something else (HTTP/1).
// It reads until it can tell, within the headers timeout.
func (s *serverConn) sniffH2() error {
	s.sniffed = true
	deadline := false
	for {
		data := s.in.data()
		n := min(len(data), len(h2Preface))
		if string(data[:n]) != h2Preface[:n] {
			break
		}
		if n == len(h2Preface) {
			return errSwitchH2
		}
		if !deadline {
			s.conn.SetReadDeadline(time.Now().Add(s.opts.HeadersTimeout))
			deadline = true
		}
		if m, err := s.in.fill(s.conn, readBufSize); m == 0 && err != nil {
			return err
		}
	}
	if deadline {
		s.conn.SetReadDeadline(time.Time{})
	}
	return nil
}

// serveH2 serves the connection as HTTP/2; the bytes already read (the
// preface, when detected) are replayed to the codec first.
func (s *serverConn) serveH2(ctx context.Context) error {
	var r io.Reader = connReader{s.conn}
	if s.in.len() > 0 {
		pre := bytes.Clone(s.in.data())
		r = io.MultiReader(bytes.NewReader(pre), r)
	}
	s.release()
	sc := h2.NewServerConn(connAdapter{s.conn}, r, s.opts.HTTP2, &h2Handler{opts: s.opts, conn: s.conn})
	s.h2.Store(sc)
	if s.draining.Load() || s.transfer.Load() {
		sc.Drain()
	}
	return sc.Serve(ctx)
}

// h2Handler runs each HTTP/2 stream through the HTTP/1 request engine over
// a streamConn (see docs/architecture.md, "HTTP/2").
type h2Handler struct {
	opts *Options
	conn api.Connection
}

// ServeStream implements http2.Handler.
func (h *h2Handler) ServeStream(st *h2.Stream) {
	w := h2workPool.Get().(*h2work)
	defer w.release()
	c := &w.c
	if !c.init(st, h.conn, h.opts) {
		return // answered already (CONNECT)
	}
	sc := &w.sc
	sc.opts, sc.h2stream = h.opts, true
	c.sc = sc
	err := sc.Serve(st.Context(), c)
	c.finish(err)
}

// h2work is what serving one stream takes, pooled: the engine's state
// and the stream's connection view are a few KiB that every stream would
// otherwise allocate.
type h2work struct {
	sc serverConn
	c  streamConn
}

var h2workPool = sync.Pool{New: func() any { return new(h2work) }}

// release drops every reference into the finished stream and pools w,
// keeping the stream buffers.
func (w *h2work) release() {
	// The parsed heads keep their field slices' capacity, so that the
	// next stream's parses do not grow them again.
	reqH, reqT := w.sc.req.Headers[:0], w.sc.req.ConnectionTokens[:0]
	respH, respT := w.sc.resp.Headers[:0], w.sc.resp.ConnectionTokens[:0]
	myH, myT := w.c.resp.resp.Headers[:0], w.c.resp.resp.ConnectionTokens[:0]
	clear(reqH[:cap(reqH)])
	clear(respH[:cap(respH)])
	clear(myH[:cap(myH)])
	clear(reqT[:cap(reqT)])
	clear(respT[:cap(respT)])
	clear(myT[:cap(myT)])
	w.sc = serverConn{}
	w.sc.req.Headers, w.sc.req.ConnectionTokens = reqH, reqT
	w.sc.resp.Headers, w.sc.resp.ConnectionTokens = respH, respT
	w.c = streamConn{out: w.c.out[:0], scratch: w.c.scratch}
	w.c.resp.resp.Headers, w.c.resp.resp.ConnectionTokens = myH, myT
	h2workPool.Put(w)
}

// connReader reads an api.Connection (read filters see the bytes).
type connReader struct{ c api.Connection }

func (r connReader) Read(p []byte) (int, error) { return r.c.Read(p) }

// connAdapter is an api.Connection as the net.Conn the codec writes to:
// writes go through the connection's write filters.
type connAdapter struct{ c api.Connection }

func (a connAdapter) Read(p []byte) (int, error) { return a.c.Read(p) }
func (a connAdapter) Write(p []byte) (int, error) {
	if err := a.c.Write(p); err != nil {
		return 0, err
	}
	return len(p), nil
}
func (a connAdapter) Close() error                       { return a.c.Close(api.FlushWrite) }
func (a connAdapter) LocalAddr() net.Addr                { return a.c.LocalAddr() }
func (a connAdapter) RemoteAddr() net.Addr               { return a.c.RemoteAddr() }
func (a connAdapter) SetDeadline(t time.Time) error      { return a.c.RawConn().SetDeadline(t) }
func (a connAdapter) SetReadDeadline(t time.Time) error  { return a.c.SetReadDeadline(t) }
func (a connAdapter) SetWriteDeadline(t time.Time) error { return a.c.RawConn().SetWriteDeadline(t) }

// CloseWrite lets the codec close politely after its last GOAWAY (FIN,
// then read and drop what the client still sends): a plain Close with
// unread input sends a TCP reset, which destroys the GOAWAY and the
// REFUSED_STREAMs in the client's buffer, so the client sees a reset
// instead of a refusal it may retry (hot upgrade, drain).
func (a connAdapter) CloseWrite() error { return a.c.CloseWrite() }
