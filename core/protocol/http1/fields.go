package http1

import "encoding/binary"

// Limits bounds what the parser accepts from a peer. A zero field means its
// default (see DefaultLimits); negative values mean the default too.
type Limits struct {
	// MaxHeaderBytes bounds the whole head: request or status line, field
	// lines and the final CRLF. It also bounds a chunked body's trailer
	// section on its own. Default 60 KiB (Envoy's max_request_headers_kb).
	MaxHeaderBytes int
	// MaxHeaders bounds the number of field lines in the head (and in a
	// trailer section). Default 100 (Envoy's max_headers_count).
	MaxHeaders int
	// MaxChunkLineBytes bounds one chunk-size line of a chunked body,
	// chunk extensions and CRLF included. Default 4 KiB.
	MaxChunkLineBytes int
}

// Defaults used for zero Limits fields.
const (
	DefaultMaxHeaderBytes    = 60 << 10
	DefaultMaxHeaders        = 100
	DefaultMaxChunkLineBytes = 4 << 10
)

// DefaultLimits returns the limits used for zero fields: 60 KiB of head,
// 100 field lines, 4 KiB per chunk-size line.
func DefaultLimits() Limits {
	return Limits{
		MaxHeaderBytes:    DefaultMaxHeaderBytes,
		MaxHeaders:        DefaultMaxHeaders,
		MaxChunkLineBytes: DefaultMaxChunkLineBytes,
	}
}

func (l *Limits) headerBytes() int {
	if l.MaxHeaderBytes <= 0 {
		return DefaultMaxHeaderBytes
	}
	return l.MaxHeaderBytes
}

func (l *Limits) headers() int {
	if l.MaxHeaders <= 0 {
		return DefaultMaxHeaders
	}
	return l.MaxHeaders
}

func (l *Limits) chunkLineBytes() int {
	if l.MaxChunkLineBytes <= 0 {
		return DefaultMaxChunkLineBytes
	}
	return l.MaxChunkLineBytes
}

// Header is one field line. Name and Value alias the buffer given to the
// parser and are valid as long as that buffer is neither modified nor
// reused. Value has leading and trailing whitespace (OWS) removed.
type Header struct{ Name, Value []byte }

// Character classes.
const (
	cToken  = 1 << iota // tchar, RFC 9110 section 5.6.2
	cValue              // field-vchar / SP / HTAB, RFC 9110 section 5.5
	cTarget             // request-target octets: anything but CTL and SP
	cHost               // uri-host [ ":" port ], RFC 3986 section 3.2.2
)

var charClass = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		if c > 0x20 && c != 0x7f {
			t[c] |= cValue | cTarget
		}
	}
	t[' '] |= cValue
	t['\t'] |= cValue
	for _, c := range []byte("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
		t[c] |= cToken
	}
	// unreserved / pct-encoded / sub-delims, ":" for the port and "[]"
	// around an IP-literal.
	for _, c := range []byte("-._~%!$&'()*+,;=:[]0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
		t[c] |= cHost
	}
	return t
}()

func isOWS(c byte) bool { return c == ' ' || c == '\t' }

// scanFields parses field lines from b[i:] up to and including the empty
// line that ends the section, appending them to hs. It returns hs, the index
// just past that empty line, 0 if b ends first, or an error.
//
// RFC 9112 section 5: field-line = field-name ":" OWS field-value OWS,
// each line ending in CRLF; the section ends with an empty line.
//
// lenientColon accepts whitespace between a response's field name and the
// colon and leaves it out of Name: RFC 9112 section 5.1, "A proxy MUST
// remove any such whitespace from a response message before forwarding the
// message downstream." The proxy rebuilds heads from Header values, so the
// whitespace is gone once Name excludes it.
func scanFields(b []byte, i, maxHeaders int, hs []Header, lenientColon bool) ([]Header, int, *Error) {
	for {
		if i >= len(b) {
			return hs, 0, nil
		}
		switch c := b[i]; c {
		case '\r':
			if i+1 >= len(b) {
				return hs, 0, nil
			}
			if b[i+1] != '\n' {
				return hs, 0, ErrBareCR
			}
			return hs, i + 2, nil
		case '\n':
			// RFC 9112 section 2.2 lets a recipient accept a bare LF as a
			// line terminator; we refuse it, because a peer on the other
			// side of the proxy may not, and disagreeing about where a line
			// ends is how requests get smuggled.
			return hs, 0, ErrBareLF
		case ' ', '\t':
			// RFC 9112 section 5.2: "A server that receives an obs-fold in
			// a request message ... MUST either reject the message by
			// sending a 400 (Bad Request) ... or replace each received
			// obs-fold with one or more SP octets". Section 2.2: whitespace
			// before the first field line "MUST either reject the message
			// as invalid or consume each whitespace-preceded line". For a
			// response, a proxy "MUST either discard the message and
			// replace it with a 502 (Bad Gateway) response ... or replace
			// each received obs-fold with one or more SP octets".
			return hs, 0, ErrObsFold
		}
		if len(hs) >= maxHeaders {
			return hs, 0, ErrTooManyHeaders
		}

		// field-name = token
		start := i
		for i < len(b) && charClass[b[i]]&cToken != 0 {
			i++
		}
		if i >= len(b) {
			return hs, 0, nil
		}
		nameEnd := i
		if b[i] != ':' {
			if !isOWS(b[i]) {
				if b[i] == '\n' {
					return hs, 0, ErrBareLF
				}
				return hs, 0, ErrInvalidHeaderName
			}
			if !lenientColon {
				// RFC 9112 section 5.1: "A server MUST reject, with a
				// response status code of 400 (Bad Request), any received
				// request message that contains whitespace between a
				// header field name and colon."
				return hs, 0, ErrSpaceBeforeColon
			}
			for i < len(b) && isOWS(b[i]) {
				i++
			}
			if i >= len(b) {
				return hs, 0, nil
			}
			if b[i] != ':' {
				return hs, 0, ErrInvalidHeaderName
			}
		}
		if nameEnd == start {
			return hs, 0, ErrEmptyHeaderName
		}
		i++ // ':'

		for i < len(b) && isOWS(b[i]) {
			i++
		}
		vStart := i
		i = scanValue(b, i)
		if i >= len(b) {
			return hs, 0, nil
		}
		if b[i] != '\r' {
			if b[i] == '\n' {
				return hs, 0, ErrBareLF
			}
			// RFC 9110 section 5.5: "Field values containing CR, LF, or NUL
			// characters are invalid and dangerous ... a recipient MUST
			// either reject the message or replace each of those characters
			// with SP". We reject every CTL but HTAB.
			return hs, 0, ErrInvalidHeaderValue
		}
		if i+1 >= len(b) {
			return hs, 0, nil
		}
		if b[i+1] != '\n' {
			return hs, 0, ErrBareCR
		}
		vEnd := i
		for vEnd > vStart && isOWS(b[vEnd-1]) {
			vEnd--
		}
		hs = append(hs, Header{Name: b[start:nameEnd:nameEnd], Value: b[vStart:vEnd:vEnd]})
		i += 2
	}
}

// scanValue returns the index of the first byte at or after i that is not
// a field-value octet (field-vchar, SP or HTAB), or len(b).
func scanValue(b []byte, i int) int {
	// Eight bytes at a time while none is a CTL; the word holding the CR
	// (or an HTAB) is finished byte by byte.
	for ; i+8 <= len(b); i += 8 {
		if hasCTL(binary.LittleEndian.Uint64(b[i:])) {
			break
		}
	}
	for i < len(b) && charClass[b[i]]&cValue != 0 {
		i++
	}
	return i
}

// scanTarget is scanValue for request-target octets (no SP, no HTAB).
func scanTarget(b []byte, i int) int {
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		if hasCTL(x) || hasZero(x^0x2020202020202020) {
			break
		}
	}
	for i < len(b) && charClass[b[i]]&cTarget != 0 {
		i++
	}
	return i
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// hasCTL reports whether a byte of x is below 0x20 or is 0x7f (DEL). The
// expressions are the classic "has less than" and "has zero byte" tests
// (Hacker's Delight 6-1): exact as booleans, and bytes >= 0x80 never match.
func hasCTL(x uint64) bool {
	return (x-0x20*lsb)&^x&msb != 0 || hasZero(x^0x7f*lsb)
}

func hasZero(x uint64) bool { return (x-lsb)&^x&msb != 0 }

// framing is what the header section says about connection management and
// message framing, gathered in one pass over the parsed fields.
type framing struct {
	contentLength int64 // -1: absent
	clErr         *Error
	te            bool // a Transfer-Encoding field is present
	teChunkedLast bool // the final transfer coding is chunked
	teChunkedDup  bool // chunked appears twice or before another coding
	teOther       bool // a coding other than chunked appears
	connClose     bool
	connKeepAlive bool
	connUpgrade   bool
	upgrade       bool // an Upgrade field is present
	host          []byte
	hostCount     int
	hostInvalid   bool
	expect100     bool
	maxTokens     int
	tokensErr     *Error
}

// interpret reads the fields that govern framing and connection handling.
// Connection options are appended to *tokens, at most maxTokens of them.
func interpret(hs []Header, tokens *[][]byte, maxTokens int) framing {
	f := framing{contentLength: -1, maxTokens: maxTokens}
	for k := range hs {
		name, v := hs[k].Name, hs[k].Value
		switch len(name) {
		case 4:
			if EqualFold(name, "host") {
				f.hostCount++
				f.host = v
				if !validHost(v) {
					f.hostInvalid = true
				}
			}
		case 6:
			if EqualFold(name, "expect") && EqualFold(v, "100-continue") {
				f.expect100 = true
			}
		case 7:
			if EqualFold(name, "upgrade") {
				f.upgrade = true
			}
		case 10:
			if EqualFold(name, "connection") {
				f.connection(v, tokens)
			}
		case 14:
			if EqualFold(name, "content-length") {
				f.addContentLength(v)
			}
		case 17:
			if EqualFold(name, "transfer-encoding") {
				f.addTransferEncoding(v)
			}
		}
	}
	return f
}

// addContentLength folds one Content-Length field into f.
//
// RFC 9110 section 8.6: Content-Length = 1*DIGIT. RFC 9112 section 6.3
// item 5: a list of identical valid values (or several identical field
// lines) may be taken as that one value; anything else is an unrecoverable
// framing error.
func (f *framing) addContentLength(v []byte) {
	if f.clErr != nil {
		return
	}
	for {
		var elem []byte
		elem, v = nextElement(v)
		n, ok := parseDecimal(elem)
		if !ok {
			f.clErr = ErrInvalidContentLength
			return
		}
		if f.contentLength >= 0 && f.contentLength != n {
			f.clErr = ErrConflictingContentLength
			return
		}
		f.contentLength = n
		if v == nil {
			return
		}
	}
}

// addTransferEncoding folds one Transfer-Encoding field into f; several
// field lines form one list in order (RFC 9110 section 5.3).
func (f *framing) addTransferEncoding(v []byte) {
	f.te = true
	for len(v) > 0 {
		var elem []byte
		elem, v = nextElement(v)
		if len(elem) == 0 {
			// RFC 9110 section 5.6.1: empty list elements are ignored.
			continue
		}
		if EqualFold(elem, "chunked") {
			// RFC 9112 section 6.1: "A sender MUST NOT apply the chunked
			// transfer coding more than once to a message body".
			if f.teChunkedLast {
				f.teChunkedDup = true
			}
			f.teChunkedLast = true
			continue
		}
		if f.teChunkedLast {
			// chunked followed by another coding
			f.teChunkedDup = true
		}
		f.teOther = true
		f.teChunkedLast = false
	}
}

// connection records the options of a Connection field (RFC 9110 section
// 7.6.1).
func (f *framing) connection(v []byte, tokens *[][]byte) {
	for len(v) > 0 {
		var elem []byte
		elem, v = nextElement(v)
		switch {
		case len(elem) == 0:
			continue
		case EqualFold(elem, "close"):
			f.connClose = true
		case EqualFold(elem, "keep-alive"):
			f.connKeepAlive = true
		case EqualFold(elem, "upgrade"):
			f.connUpgrade = true
		}
		// Each option names a field to drop, so more options than the
		// field limit serve no purpose; bounding them keeps a 60 KiB
		// Connection field from growing a reused token slice tenfold.
		if len(*tokens) >= f.maxTokens {
			f.tokensErr = ErrTooManyConnectionOptions
			return
		}
		*tokens = append(*tokens, elem)
	}
}

// nextElement splits the first element off a comma-separated list and
// trims its OWS.
func nextElement(v []byte) (elem, rest []byte) {
	end := len(v)
	for k, c := range v {
		if c == ',' {
			end = k
			rest = v[k+1:]
			break
		}
	}
	elem = v[:end]
	for len(elem) > 0 && isOWS(elem[0]) {
		elem = elem[1:]
	}
	for len(elem) > 0 && isOWS(elem[len(elem)-1]) {
		elem = elem[:len(elem)-1]
	}
	return elem, rest
}

// parseDecimal parses 1*DIGIT into a non-negative int64.
func parseDecimal(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if n > (1<<63-1-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

func validHost(v []byte) bool {
	for _, c := range v {
		if charClass[c]&cHost == 0 {
			return false
		}
	}
	return true
}
