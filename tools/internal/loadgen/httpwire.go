package loadgen

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// The harness's own HTTP/1.1 clients (fixed-rate, TLS, idle) read
// responses with respReader: a reused buffer, no allocation per response,
// and just the framing of RFC 9112 §6.3 that proxies produce
// (Content-Length, chunked, or close-delimited).

const (
	// bodyChunked marks a chunked response body.
	bodyChunked = -1
	// bodyUntilClose marks a body delimited by the connection's close.
	bodyUntilClose = -2
	// maxResponseHead bounds a response head.
	maxResponseHead = 64 << 10
)

// errResponseHeadTooLarge means no end of head within maxResponseHead.
var errResponseHeadTooLarge = errors.New("http1 client: response head too large")

// respHead is the framing of one response head.
type respHead struct {
	// Status is the status code.
	Status int
	// BodyLen is the Content-Length, bodyChunked or bodyUntilClose.
	BodyLen int64
	// Close is true when the server will close the connection after it.
	Close bool
}

// parseResponseHead parses a response head (status line and fields, up to
// and excluding the blank line). The body length follows §6.3: no body
// for 1xx, 204 and 304 (the harness sends no HEAD requests);
// Transfer-Encoding chunked; Content-Length; else until close.
func parseResponseHead(head []byte) (respHead, error) {
	var h respHead
	lineEnd := bytes.Index(head, []byte("\r\n"))
	if lineEnd < 0 {
		lineEnd = len(head)
	}
	line := head[:lineEnd]
	// status-line = HTTP-version SP status-code SP [reason-phrase] (§4).
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
		return h, fmt.Errorf("http1 client: malformed status line %q", truncate(string(line), 64))
	}
	code, err := strconv.Atoi(string(line[9:12]))
	if err != nil || code < 100 || code > 999 || (len(line) > 12 && line[12] != ' ') {
		return h, fmt.Errorf("http1 client: malformed status line %q", truncate(string(line), 64))
	}
	h.Status = code
	h.Close = line[7] == '0'
	h.BodyLen = bodyUntilClose
	chunked, haveLength := false, false
	rest := head[lineEnd:]
	for len(rest) > 0 {
		rest = bytes.TrimPrefix(rest, []byte("\r\n"))
		i := bytes.Index(rest, []byte("\r\n"))
		if i < 0 {
			i = len(rest)
		}
		field := rest[:i]
		rest = rest[i:]
		if len(field) == 0 {
			continue
		}
		colon := bytes.IndexByte(field, ':')
		if colon <= 0 {
			return h, fmt.Errorf("http1 client: malformed header line %q", truncate(string(field), 64))
		}
		name, value := field[:colon], bytes.Trim(field[colon+1:], " \t")
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			n, err := parseContentLength(value)
			if err != nil {
				return h, err
			}
			h.BodyLen, haveLength = n, true
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = hasToken(value, "chunked")
		case bytes.EqualFold(name, []byte("Connection")):
			if hasToken(value, "close") {
				h.Close = true
			} else if hasToken(value, "keep-alive") {
				h.Close = false
			}
		}
	}
	switch {
	case code < 200 || code == 204 || code == 304:
		h.BodyLen = 0
	case chunked:
		h.BodyLen = bodyChunked
	case !haveLength:
		h.Close = true
	}
	return h, nil
}

// respReader reads consecutive responses from one connection.
type respReader struct {
	r          io.Reader
	buf        []byte
	start, end int
}

func newRespReader(r io.Reader) *respReader {
	return &respReader{r: r, buf: make([]byte, 16<<10)}
}

// fill reads more bytes, compacting or growing the buffer as needed.
func (rr *respReader) fill() error {
	if rr.start > 0 && rr.end == len(rr.buf) {
		copy(rr.buf, rr.buf[rr.start:rr.end])
		rr.end -= rr.start
		rr.start = 0
	}
	if rr.end == len(rr.buf) {
		if len(rr.buf) >= maxResponseHead {
			return errResponseHeadTooLarge
		}
		rr.buf = append(rr.buf, make([]byte, len(rr.buf))...)
	}
	n, err := rr.r.Read(rr.buf[rr.end:])
	rr.end += n
	if n > 0 {
		return nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

// line returns the next CRLF-terminated line (without CRLF), valid until
// the next call.
func (rr *respReader) line() ([]byte, error) {
	for {
		if i := bytes.Index(rr.buf[rr.start:rr.end], []byte("\r\n")); i >= 0 {
			l := rr.buf[rr.start : rr.start+i]
			rr.start += i + 2
			return l, nil
		}
		if err := rr.fill(); err != nil {
			return nil, err
		}
	}
}

// skip discards n bytes.
func (rr *respReader) skip(n int64) error {
	for n > 0 {
		if rr.start == rr.end {
			rr.start, rr.end = 0, 0
			if err := rr.fill(); err != nil {
				return err
			}
		}
		d := min(n, int64(rr.end-rr.start))
		rr.start += int(d)
		n -= d
	}
	return nil
}

// Next reads one final response (skipping 1xx) and discards its body.
func (rr *respReader) Next() (respHead, error) {
	for {
		var end int
		for {
			end = bytes.Index(rr.buf[rr.start:rr.end], []byte("\r\n\r\n"))
			if end >= 0 {
				break
			}
			if err := rr.fill(); err != nil {
				return respHead{}, err
			}
		}
		h, err := parseResponseHead(rr.buf[rr.start : rr.start+end])
		if err != nil {
			return h, err
		}
		rr.start += end + 4
		if h.Status >= 100 && h.Status < 200 {
			continue
		}
		switch {
		case h.BodyLen >= 0:
			err = rr.skip(h.BodyLen)
		case h.BodyLen == bodyChunked:
			err = rr.skipChunked()
		default:
			for err == nil {
				rr.start = rr.end
				err = rr.fill()
			}
			if errors.Is(err, io.EOF) {
				err = nil
			}
		}
		if rr.start == rr.end {
			rr.start, rr.end = 0, 0
		}
		return h, err
	}
}

// skipChunked discards a chunked body and its trailer section (§7.1).
func (rr *respReader) skipChunked() error {
	for {
		l, err := rr.line()
		if err != nil {
			return err
		}
		if i := bytes.IndexByte(l, ';'); i >= 0 {
			l = l[:i]
		}
		size, err := strconv.ParseInt(string(bytes.TrimSpace(l)), 16, 64)
		if err != nil || size < 0 {
			return fmt.Errorf("http1 client: bad chunk size %q", truncate(string(l), 20))
		}
		if size == 0 {
			for {
				t, err := rr.line()
				if err != nil {
					return err
				}
				if len(t) == 0 {
					return nil
				}
			}
		}
		if err := rr.skip(size + 2); err != nil {
			return err
		}
	}
}
