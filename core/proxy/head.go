package proxy

import (
	"math/rand/v2"

	"github.com/seed405ffdea/mosn/api"
	"strconv"
	"time"

	"github.com/seed405ffdea/mosn/core/protocol/http1"
)

// appendRequestHead builds the upstream request head: the request line in
// origin form, the client's headers minus hop-by-hop ones (RFC 9110 7.6.1),
// and the forwarding headers Envoy adds at the edge.
func (s *serverConn) appendRequestHead(h []byte, upgrade bool) []byte {
	uri := s.req.URI
	if len(uri) > 0 && uri[0] != '/' {
		if i := indexScheme(uri); i > 0 {
			// Absolute form (RFC 9112 3.2.2): the origin gets the path.
			rest := uri[i:]
			j := 0
			for j < len(rest) && rest[j] != '/' && rest[j] != '?' {
				j++
			}
			uri = rest[j:]
			if len(uri) == 0 {
				uri = slash
			}
		}
	}
	h = http1.AppendRequestLine(h, s.req.Method, uri)
	var hasProto, hasID bool
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
		case http1.EqualFold(name, "x-forwarded-proto"):
			hasProto = true
		case http1.EqualFold(name, "x-request-id"):
			hasID = true
			s.st.reqIDSeen = f.Value
		}
		h = http1.AppendHeader(h, name, f.Value)
	}
	if s.req.Chunked {
		h = append(h, "Transfer-Encoding: chunked\r\n"...)
	}
	if upgrade {
		h = append(h, "Connection: upgrade\r\n"...)
	}
	if s.clientIP != nil {
		// A second X-Forwarded-For field is equivalent to appending to the
		// first (RFC 9110 5.3), without rewriting it.
		h = append(h, "X-Forwarded-For: "...)
		h = append(h, s.clientIP...)
		h = append(h, "\r\n"...)
	}
	if !hasProto {
		h = append(h, "X-Forwarded-Proto: http\r\n"...)
	}
	if !hasID {
		h = append(h, "X-Request-Id: "...)
		n := len(h)
		h = appendUUID(h)
		copy(s.reqID[:], h[n:])
		h = append(h, "\r\n"...)
	}
	return append(h, "\r\n"...)
}

// appendResponseHead builds the downstream response head from the
// upstream's, minus hop-by-hop headers.
func (s *serverConn) appendResponseHead(h []byte, kind http1.BodyKind, dechunk bool) []byte {
	h = http1.AppendStatusLine(h, s.resp.Status, s.resp.Reason)
	tunnel := s.resp.Status == 101
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
		h = http1.AppendHeader(h, name, f.Value)
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
	h := http1.AppendStatusLine(s.headBuf(), status, nil)
	if extra != nil {
		extra.Range(func(k, v string) bool {
			switch {
			case http1.EqualFold([]byte(k), "content-length"), http1.EqualFold([]byte(k), "transfer-encoding"),
				http1.EqualFold([]byte(k), "connection"):
			default:
				h = append(h, k...)
				h = append(h, ": "...)
				h = append(h, v...)
				h = append(h, "\r\n"...)
			}
			return true
		})
	}
	if len(body) > 0 {
		h = append(h, "Content-Type: text/plain\r\n"...)
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
