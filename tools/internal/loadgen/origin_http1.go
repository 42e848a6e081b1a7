package loadgen

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"strconv"
)

// The raw HTTP/1.1 origin answers every request with a fixed response
// whose body size the path selects. It does the least work that is still
// correct framing (RFC 9112): find the end of the head, read Content-Length,
// skip that many body bytes, write the prepared response. Pipelined
// requests read together are answered with one write. A request costs a
// few microseconds, so the origin stays cheap next to the proxy under test.

// maxRequestHead bounds a request head; a longer one gets 431 and a close.
const maxRequestHead = 32 << 10

// maxBody bounds a Content-Length the origin accepts.
const maxBody = 1 << 40

var (
	// errIncomplete means the buffer does not yet hold a whole head.
	errIncomplete = errors.New("http1: incomplete request head")
	// errHeadTooLarge means no end of head within maxRequestHead bytes.
	errHeadTooLarge = errors.New("http1: request head too large")
	// errChunked means a request body with Transfer-Encoding, which this
	// origin does not decode.
	errChunked = errors.New("http1: transfer-encoding not supported")
)

// reqFrame is what scanRequest learns about one request.
type reqFrame struct {
	// HeadLen is the length of the head, up to and including the blank line.
	HeadLen int
	// BodyLen is the Content-Length, 0 without one.
	BodyLen int64
	// Close is true for "Connection: close", and for HTTP/1.0 without
	// "Connection: keep-alive".
	Close bool
	// Path is the request target; it aliases the scanned buffer.
	Path []byte
}

// scanRequest finds the first request head in buf and returns its framing.
// It returns errIncomplete when more bytes are needed, and another error
// for a request the origin refuses.
func scanRequest(buf []byte) (reqFrame, error) {
	var f reqFrame
	end := bytes.Index(buf, []byte("\r\n\r\n"))
	if end < 0 {
		if len(buf) >= maxRequestHead {
			return f, errHeadTooLarge
		}
		return f, errIncomplete
	}
	if end+4 > maxRequestHead {
		return f, errHeadTooLarge
	}
	f.HeadLen = end + 4
	head := buf[:end+2]
	// RFC 9112 §2.2: a server SHOULD ignore at least one empty line
	// received prior to the request-line.
	for bytes.HasPrefix(head, []byte("\r\n")) {
		head = head[2:]
	}
	lineEnd := bytes.Index(head, []byte("\r\n"))
	if lineEnd < 0 {
		return f, fmt.Errorf("http1: empty request")
	}
	// request-line = method SP request-target SP HTTP-version (§3).
	line := head[:lineEnd]
	sp1 := bytes.IndexByte(line, ' ')
	sp2 := bytes.LastIndexByte(line, ' ')
	if sp1 <= 0 || sp2 <= sp1+1 {
		return f, fmt.Errorf("http1: malformed request line %q", truncate(string(line), 64))
	}
	f.Path = line[sp1+1 : sp2]
	switch string(line[sp2+1:]) {
	case "HTTP/1.1":
	case "HTTP/1.0":
		f.Close = true
	default:
		return f, fmt.Errorf("http1: unsupported version %q", truncate(string(line[sp2+1:]), 16))
	}
	seenLength := false
	for rest := head[lineEnd+2:]; len(rest) > 0; {
		i := bytes.Index(rest, []byte("\r\n"))
		field := rest[:i]
		rest = rest[i+2:]
		colon := bytes.IndexByte(field, ':')
		if colon <= 0 {
			return f, fmt.Errorf("http1: malformed header line %q", truncate(string(field), 64))
		}
		name, value := field[:colon], bytes.Trim(field[colon+1:], " \t")
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			n, err := parseContentLength(value)
			if err != nil {
				return f, err
			}
			// §6.3: differing repeated Content-Length values are an
			// unrecoverable error.
			if seenLength && n != f.BodyLen {
				return f, fmt.Errorf("http1: conflicting Content-Length")
			}
			f.BodyLen, seenLength = n, true
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			return f, errChunked
		case bytes.EqualFold(name, []byte("Connection")):
			if hasToken(value, "close") {
				f.Close = true
			} else if hasToken(value, "keep-alive") {
				f.Close = false
			}
		}
	}
	return f, nil
}

// parseContentLength parses a Content-Length value: digits only (§6.2).
func parseContentLength(v []byte) (int64, error) {
	if len(v) == 0 || len(v) > 13 {
		return 0, fmt.Errorf("http1: bad Content-Length %q", truncate(string(v), 20))
	}
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("http1: bad Content-Length %q", v)
		}
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil || n > maxBody {
		return 0, fmt.Errorf("http1: bad Content-Length %q", v)
	}
	return n, nil
}

// hasToken reports whether the comma-separated list v holds tok, ignoring case.
func hasToken(v []byte, tok string) bool {
	for p := range bytes.SplitSeq(v, []byte(",")) {
		if bytes.EqualFold(bytes.TrimSpace(p), []byte(tok)) {
			return true
		}
	}
	return false
}

// HTTP1Responses holds the prepared responses, one per body size.
type HTTP1Responses struct {
	sizes     []int
	keepAlive map[int][]byte
	closing   map[int][]byte
}

// NewHTTP1Responses prepares a 200 response with a body of 'x' bytes for
// each size; sizes must not be empty, and its first size is the default.
func NewHTTP1Responses(sizes []int) *HTTP1Responses {
	r := &HTTP1Responses{sizes: sizes, keepAlive: map[int][]byte{}, closing: map[int][]byte{}}
	for _, n := range sizes {
		body := bytes.Repeat([]byte("x"), n)
		r.keepAlive[n] = fmt.Appendf(nil, "HTTP/1.1 200 OK\r\nServer: bench-origin\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s", n, body)
		r.closing[n] = fmt.Appendf(nil, "HTTP/1.1 200 OK\r\nServer: bench-origin\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", n, body)
	}
	return r
}

// ForPath returns the prepared response for a request target; closing
// selects the variant with "Connection: close".
func (r *HTTP1Responses) ForPath(path []byte, closing bool) []byte {
	n := r.sizes[0]
	if len(r.sizes) > 1 {
		n = sizeForPath(string(path), r.sizes)
	}
	if closing {
		return r.closing[n]
	}
	return r.keepAlive[n]
}

// errorResponse is sent, with a close, for a refused request.
func errorResponse(err error) []byte {
	status := "400 Bad Request"
	switch {
	case errors.Is(err, errHeadTooLarge):
		status = "431 Request Header Fields Too Large"
	case errors.Is(err, errChunked):
		status = "501 Not Implemented"
	}
	return []byte("HTTP/1.1 " + status + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
}

// ServeHTTP1 accepts connections on ln until it is closed.
func ServeHTTP1(ln net.Listener, resp *HTTP1Responses) error {
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		go serveHTTP1Conn(c, resp)
	}
}

// serveHTTP1Conn answers the requests of one connection.
func serveHTTP1Conn(c net.Conn, resp *HTTP1Responses) {
	defer c.Close()
	buf := make([]byte, 64<<10)
	var out []byte
	start, end := 0, 0
	var skip int64 // request body bytes still to discard
	for {
		n, err := c.Read(buf[end:])
		if n == 0 && err != nil {
			return
		}
		end += n
		closing := false
		for start < end && !closing {
			if skip > 0 {
				d := int(min(skip, int64(end-start)))
				start += d
				skip -= int64(d)
				continue
			}
			f, err := scanRequest(buf[start:end])
			if errors.Is(err, errIncomplete) {
				break
			}
			if err != nil {
				out = append(out, errorResponse(err)...)
				closing = true
				break
			}
			closing = f.Close
			out = append(out, resp.ForPath(f.Path, closing)...)
			start += f.HeadLen
			skip = f.BodyLen
		}
		if len(out) > 0 {
			if _, err := c.Write(out); err != nil {
				return
			}
			out = out[:0]
		}
		if closing {
			return
		}
		if start == end {
			start, end = 0, 0
		} else if end == len(buf) {
			copy(buf, buf[start:end])
			end -= start
			start = 0
		}
	}
}
