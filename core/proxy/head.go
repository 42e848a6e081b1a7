package proxy

import (
	"math/rand/v2"

	"github.com/seed405ffdea/mosn/api"
	"strconv"
	"time"

	"github.com/seed405ffdea/mosn/core/protocol/http1"
	"github.com/seed405ffdea/mosn/core/router"
)

// appendRequestHead builds the upstream request head: the request line in
// origin form with the route's path rewrite, the client's headers minus
// hop-by-hop ones (RFC 9110 7.6.1) with the route's Host rewrite and
// header mutations, and the forwarding headers Envoy adds at the edge.
func (s *serverConn) appendRequestHead(h []byte, upgrade bool) []byte {
	st := &s.st
	r := st.route
	rq := &st.rreq
	rq.Headers = s.req.Headers
	h = append(h, s.req.Method...)
	h = append(h, ' ')
	if r.RewritesTarget() {
		h = r.AppendTarget(h, rq)
	} else {
		h = append(h, rq.Target...)
	}
	h = append(h, " HTTP/1.1\r\n"...)
	mut := s.requestMutator()
	var hasProto, hasID, hasHost bool
	for _, f := range s.req.Headers {
		name := f.Name
		if http1.IsHopByHop(name) || s.req.IsConnectionToken(name) {
			if upgrade && http1.EqualFold(name, "upgrade") {
				h = http1.AppendHeader(h, name, f.Value)
			}
			continue
		}
		switch {
		case http1.EqualFold(name, "expect"):
			// We answer 100-continue ourselves (Envoy's default).
			continue
		case http1.EqualFold(name, "host"):
			if !hasHost {
				hasHost = true
				h = s.appendHost(h, name)
			}
			continue
		case http1.EqualFold(name, "x-forwarded-proto"):
			hasProto = true
		case http1.EqualFold(name, "x-request-id"):
			hasID = true
			st.reqIDSeen = f.Value
		}
		if mut != nil && !mut.Keep(name) {
			continue
		}
		h = http1.AppendHeader(h, name, f.Value)
	}
	if !hasHost && (len(rq.Host) > 0 || r.RewritesHost()) {
		h = s.appendHost(h, hostName)
	}
	if s.req.Chunked {
		h = append(h, "Transfer-Encoding: chunked\r\n"...)
	}
	if upgrade {
		h = append(h, "Connection: upgrade\r\n"...)
	}
	if s.clientIP != nil && (mut == nil || mut.KeepString("x-forwarded-for")) {
		// A second X-Forwarded-For field is equivalent to appending to the
		// first (RFC 9110 5.3), without rewriting it.
		h = append(h, "X-Forwarded-For: "...)
		h = append(h, s.clientIP...)
		h = append(h, "\r\n"...)
	}
	if !hasProto && (mut == nil || mut.KeepString("x-forwarded-proto")) {
		if s.overTLS {
			h = append(h, "X-Forwarded-Proto: https\r\n"...)
		} else {
			h = append(h, "X-Forwarded-Proto: http\r\n"...)
		}
	}
	if !hasID {
		appendUUID(s.reqID[:0]) // for the access log, even if a route drops it
		if mut == nil || mut.KeepString("x-request-id") {
			h = append(h, "X-Request-Id: "...)
			h = append(h, s.reqID[:]...)
			h = append(h, "\r\n"...)
		}
	}
	if mut != nil {
		h = mut.AppendAdded(h)
	}
	return append(h, "\r\n"...)
}

var hostName = []byte("Host")

// appendHost writes the upstream Host field: the route's rewrite, else
// the request's host (the Host header, or the authority of an
// absolute-form target).
func (s *serverConn) appendHost(h, name []byte) []byte {
	st := &s.st
	h = append(h, name...)
	h = append(h, ": "...)
	if st.route.RewritesHost() {
		if out, ok := st.route.AppendHost(h, &st.rreq, s.upstreamHostname()); ok {
			return append(out, "\r\n"...)
		}
	}
	h = append(h, st.rreq.Host...)
	return append(h, "\r\n"...)
}

// appendResponseHead builds the downstream response head from the
// upstream's, minus hop-by-hop headers, with the route's header mutations.
func (s *serverConn) appendResponseHead(h []byte, kind http1.BodyKind, dechunk bool) []byte {
	h = http1.AppendStatusLine(h, s.resp.Status, s.resp.Reason)
	tunnel := s.resp.Status == 101
	mut := s.responseMutator(s.resp.Status, true)
	for _, f := range s.resp.Headers {
		name := f.Name
		if http1.IsHopByHop(name) || s.resp.IsConnectionToken(name) {
			if tunnel && http1.EqualFold(name, "upgrade") {
				h = http1.AppendHeader(h, name, f.Value)
			}
			continue
		}
		if (dechunk || s.resp.ConflictingFraming) && http1.EqualFold(name, "content-length") {
			continue
		}
		if mut != nil && !mut.Keep(name) {
			continue
		}
		h = http1.AppendHeader(h, name, f.Value)
	}
	if mut != nil {
		h = mut.AppendAdded(h)
	}
	switch {
	case tunnel:
		h = append(h, "Connection: upgrade\r\n"...)
	case kind == http1.ChunkedBody && !dechunk:
		h = append(h, "Transfer-Encoding: chunked\r\n"...)
	}
	if !tunnel {
		h = s.appendConnection(h)
	}
	return append(h, "\r\n"...)
}

// appendConnection says whether the downstream connection stays open.
func (s *serverConn) appendConnection(h []byte) []byte {
	if s.draining.Load() {
		s.st.closeDown = true
	}
	switch {
	case s.st.closeDown:
		return append(h, "Connection: close\r\n"...)
	case s.req.Minor == 0:
		return append(h, "Connection: keep-alive\r\n"...)
	}
	return h
}

// localReply answers the request from the proxy itself. close forces the
// connection closed afterwards. The error is the write's.
func (s *serverConn) localReply(status int, body []byte, close bool) error {
	return s.reply(status, nil, body, close)
}

// reply is localReply with extra headers (a filter's hijack reply); the
// framing headers among them are ignored, since the proxy frames the body.
func (s *serverConn) reply(status int, extra api.HeaderMap, body []byte, close bool) error {
	return s.replyTo(status, extra, nil, body, close)
}

// replyTo is reply with a Location for a redirect (rd non-nil). Once a
// route has matched, its response header mutations apply.
func (s *serverConn) replyTo(status int, extra api.HeaderMap, rd *router.Redirect, body []byte, close bool) error {
	st := &s.st
	st.status = status
	if close {
		st.closeDown = true
	}
	if !st.bodyDone && !st.closeDown {
		s.discardRequestBody()
	}
	st.linger = st.closeDown && !st.bodyDone
	if st.filters != nil && !close {
		st.filters.sendLocal(status)
	}
	mut := s.responseMutator(status, false)
	h := http1.AppendStatusLine(s.headBuf(), status, nil)
	if extra != nil {
		extra.Range(func(k, v string) bool {
			switch {
			case http1.EqualFold([]byte(k), "content-length"), http1.EqualFold([]byte(k), "transfer-encoding"),
				http1.EqualFold([]byte(k), "connection"):
			case mut != nil && !mut.KeepString(k):
			default:
				h = append(h, k...)
				h = append(h, ": "...)
				h = append(h, v...)
				h = append(h, "\r\n"...)
			}
			return true
		})
	}
	if rd != nil && (mut == nil || mut.KeepString("location")) {
		h = append(h, "Location: "...)
		h = rd.AppendLocation(h, &st.rreq)
		h = append(h, "\r\n"...)
	}
	if len(body) > 0 && (mut == nil || mut.KeepString("content-type")) {
		h = append(h, "Content-Type: text/plain\r\n"...)
	}
	if mut != nil {
		h = mut.AppendAdded(h)
	}
	h = append(h, "Content-Length: "...)
	h = strconv.AppendInt(h, int64(len(body)), 10)
	h = append(h, "\r\n"...)
	h = s.appendConnection(h)
	h = append(h, "\r\n"...)
	s.head = h
	if st.isHEAD {
		body = nil
	}
	st.bytesOut += uint64(len(body))
	s.iov = append(s.iovArr[:0], h, body)
	return s.writeDown()
}

// maxDiscard is how much unread request body the proxy reads and throws
// away to keep a connection alive after answering early; a longer body
// closes the connection instead.
const maxDiscard = 256 << 10

// discardRequestBody reads the rest of a request body that will not be
// forwarded, or marks the connection to close when that is not sensible.
func (s *serverConn) discardRequestBody() {
	st := &s.st
	if s.req.Expect100 && !st.sent100 {
		// The client waits for our go-ahead and may never send the body.
		st.closeDown = true
		return
	}
	if st.bodyKind == http1.Length && st.bodyLeft > maxDiscard {
		st.closeDown = true
		return
	}
	if st.bodyKind == http1.ChunkedBody && st.bytesIn == 0 {
		s.cs.Reset()
	}
	s.conn.SetReadDeadline(time.Now().Add(s.opts.HeadersTimeout))
	defer s.conn.SetReadDeadline(time.Time{})
	var total int
	for !st.bodyDone {
		if s.in.len() == 0 {
			if n, _ := s.in.fill(s.conn, readBufSize); n == 0 {
				st.closeDown = true
				return
			}
		}
		n, err := s.bodyPart(s.in.data())
		if err != nil {
			st.closeDown = true
			return
		}
		s.in.consume(n)
		if total += n; total > maxDiscard {
			st.closeDown = true
			return
		}
	}
}

const hexDigits = "0123456789abcdef"

// appendUUID appends a random (version 4) UUID, Envoy's x-request-id form.
func appendUUID(h []byte) []byte {
	var b [16]byte
	a, c := rand.Uint64(), rand.Uint64()
	for i := 0; i < 8; i++ {
		b[i] = byte(a >> (8 * i))
		b[8+i] = byte(c >> (8 * i))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	for i, x := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			h = append(h, '-')
		}
		h = append(h, hexDigits[x>>4], hexDigits[x&0xf])
	}
	return h
}
