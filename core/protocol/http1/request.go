package http1

// RequestHead is a parsed request line and header section. The byte slices
// alias the buffer handed to ParseRequest and are valid as long as that
// buffer is neither modified nor reused. A RequestHead is meant to be
// reused: ParseRequest keeps the capacity of Headers and ConnectionTokens,
// so parsing allocates nothing once they have grown.
type RequestHead struct {
	// Method and URI are the request line's method and request-target.
	Method, URI []byte
	// Minor is the HTTP minor version: 0 for HTTP/1.0, 1 for HTTP/1.1.
	Minor int
	// Headers are the field lines in wire order.
	Headers []Header
	// Host is the Host field's value; nil when absent.
	Host []byte
	// ContentLength is the Content-Length value, -1 when absent.
	ContentLength int64
	// Chunked is set when Transfer-Encoding is present; a request accepted
	// by ParseRequest then always ends in (exactly one) chunked coding.
	Chunked bool
	// KeepAlive says the client lets the connection persist after this
	// request: HTTP/1.1 unless "Connection: close"; HTTP/1.0 only with
	// "Connection: keep-alive" (RFC 9112 section 9.3).
	KeepAlive bool
	// Upgrade is set when Connection has the option "upgrade" and an
	// Upgrade field is present (RFC 9110 section 7.8).
	Upgrade bool
	// Expect100 is set for "Expect: 100-continue" in an HTTP/1.1 request;
	// RFC 9110 section 10.1.1: "A server that receives a 100-continue
	// expectation in an HTTP/1.0 request MUST ignore that expectation."
	Expect100 bool
	// ConnectionTokens are the options listed in Connection fields (OWS
	// trimmed, empty elements skipped). Fields named by them are
	// hop-by-hop: see IsConnectionToken.
	ConnectionTokens [][]byte
}

// Reset clears h and keeps the capacity of its slices.
func (h *RequestHead) Reset() {
	*h = RequestHead{
		Headers:          h.Headers[:0],
		ConnectionTokens: h.ConnectionTokens[:0],
		ContentLength:    -1,
	}
}

// IsConnectionToken reports whether name is listed in a Connection field of
// the request. RFC 9110 section 7.6.1: intermediaries MUST "for each
// connection-option in this field, remove any header or trailer field(s)
// from the message with the same name as the connection-option".
func (h *RequestHead) IsConnectionToken(name []byte) bool {
	return isToken(h.ConnectionTokens, name)
}

// Body says how the request's content is framed (RFC 9112 section 6.3): a
// chunked body, a body of Content-Length bytes, or none. A request never
// reads until close. Content-Length: 0 is reported as NoBody.
func (h *RequestHead) Body() (BodyKind, int64) {
	switch {
	case h.Chunked:
		return ChunkedBody, -1
	case h.ContentLength > 0:
		return Length, h.ContentLength
	}
	return NoBody, 0
}

// ParseRequest parses the request head at the start of buf into h.
//
// It returns the head's length (request line through the empty line) when
// the head is complete; bytes after it belong to the body or to the next
// pipelined request. It returns (0, nil) when buf holds a valid but
// incomplete head shorter than lim.MaxHeaderBytes: call again with more
// bytes (from the start of the head). Otherwise it returns (0, *Error) with
// the status to answer and the connection must be closed after answering.
// h is meaningful only after a complete parse.
//
// Empty lines before the request line are skipped (RFC 9112 section 2.2:
// a server "SHOULD ignore at least one empty line (CRLF) received prior to
// the request-line"); they count towards the head's length.
//
// ParseRequest does not allocate once h's slices have grown.
func ParseRequest(buf []byte, h *RequestHead, lim Limits) (int, error) {
	h.Reset()
	max := lim.headerBytes()
	b := buf
	if len(b) > max {
		b = b[:max]
	}
	n, e := parseRequest(b, h, lim.headers())
	if e != nil {
		return 0, e
	}
	if n == 0 && len(buf) >= max {
		return 0, ErrHeaderTooLarge
	}
	return n, nil
}

func parseRequest(b []byte, h *RequestHead, maxHeaders int) (int, *Error) {
	i := 0
	for {
		if i >= len(b) {
			return 0, nil
		}
		if b[i] == '\r' {
			if i+1 >= len(b) {
				return 0, nil
			}
			if b[i+1] != '\n' {
				return 0, ErrBareCR
			}
			i += 2
			continue
		}
		if b[i] == '\n' {
			return 0, ErrBareLF
		}
		break
	}

	// RFC 9112 section 3: request-line = method SP request-target SP
	// HTTP-version. We take the grammar literally: one SP each, no other
	// whitespace ("Recipients of an invalid request-line SHOULD respond
	// with either a 400 (Bad Request) error or a 301 (Moved Permanently)
	// redirect").
	start := i
	for i < len(b) && charClass[b[i]]&cToken != 0 {
		i++
	}
	if i >= len(b) {
		return 0, nil
	}
	if b[i] != ' ' || i == start {
		if i > start && (b[i] == '\r' || b[i] == '\n' || b[i] == '\t') {
			return 0, ErrMalformedRequestLine
		}
		return 0, ErrInvalidMethod
	}
	h.Method = b[start:i:i]
	i++

	start = i
	i = scanTarget(b, i)
	if i >= len(b) {
		return 0, nil
	}
	if b[i] != ' ' {
		if b[i] == '\r' || b[i] == '\n' {
			// No version: an HTTP/0.9 request, or a target with no space
			// after it.
			return 0, ErrMalformedRequestLine
		}
		return 0, ErrInvalidRequestTarget
	}
	if i == start {
		return 0, ErrInvalidRequestTarget
	}
	h.URI = b[start:i:i]
	i++

	major, minor, n, e := parseVersion(b[i:])
	if n == 0 {
		return 0, e
	}
	i += n
	if i >= len(b) {
		return 0, nil
	}
	switch b[i] {
	case '\r':
	case '\n':
		return 0, ErrBareLF
	default:
		if b[i] >= '0' && b[i] <= '9' {
			return 0, ErrMalformedVersion
		}
		return 0, ErrMalformedRequestLine
	}
	if i+1 >= len(b) {
		return 0, nil
	}
	if b[i+1] != '\n' {
		return 0, ErrBareCR
	}
	i += 2
	// RFC 9110 section 2.5: a server "MAY send a 505 (HTTP Version Not
	// Supported) response if it cannot send a response using the major
	// version used in the client's request". We also refuse minor versions
	// above 1: no HTTP/1.2 exists to be compatible with.
	if major != 1 || minor > 1 {
		return 0, ErrVersionNotSupported
	}
	h.Minor = minor

	var end int
	h.Headers, end, e = scanFields(b, i, maxHeaders, h.Headers, false)
	if end == 0 {
		return 0, e
	}

	f := interpret(h.Headers, &h.ConnectionTokens, maxHeaders)
	if f.tokensErr != nil {
		return 0, f.tokensErr
	}
	if e := f.checkRequest(minor); e != nil {
		return 0, e
	}
	h.Host = f.host
	h.ContentLength = f.contentLength
	h.Chunked = f.te
	if minor == 1 {
		h.KeepAlive = !f.connClose
		h.Expect100 = f.expect100
	} else {
		h.KeepAlive = f.connKeepAlive && !f.connClose
	}
	h.Upgrade = f.connUpgrade && f.upgrade
	return end, nil
}

// checkRequest applies the request-only rules on framing and Host.
func (f *framing) checkRequest(minor int) *Error {
	if f.te {
		// RFC 9112 section 6.1: "A server or client that receives an
		// HTTP/1.0 message containing a Transfer-Encoding header field MUST
		// treat the message as if the framing is faulty".
		if minor == 0 {
			return ErrTransferEncodingHTTP10
		}
		// RFC 9112 section 6.3 item 4: "If a Transfer-Encoding header field
		// is present in a request and the chunked transfer coding is not
		// the final encoding, the message body length cannot be determined
		// reliably; the server MUST respond with the 400 (Bad Request)
		// status code and then close the connection."
		if !f.teChunkedLast || f.teChunkedDup {
			return ErrChunkedNotFinal
		}
		// RFC 9112 section 6.1: "A server that receives a request message
		// with a transfer coding it does not understand SHOULD respond with
		// 501 (Not Implemented)." We decode no coding but chunked, and
		// forwarding one we did not apply would mislabel the body.
		if f.teOther {
			return ErrUnsupportedTransferCoding
		}
		// RFC 9112 section 6.3 item 3: a message with both "ought to be
		// handled as an error"; section 6.1: the server "MAY reject the
		// request as invalid ... or ... MUST close the connection after
		// responding". We reject: a proxy must not forward it.
		if f.contentLength >= 0 || f.clErr != nil {
			return ErrContentLengthWithTransferEncoding
		}
	}
	if f.clErr != nil {
		// RFC 9112 section 6.3 item 5: "If this is a request message, the
		// server MUST respond with a 400 (Bad Request) status code and then
		// close the connection."
		return f.clErr
	}
	// RFC 9112 section 3.2: "A server MUST respond with a 400 (Bad Request)
	// status code to any HTTP/1.1 request message that lacks a Host header
	// field and to any request message that contains more than one Host
	// header field line or a Host header field with an invalid field
	// value."
	switch {
	case f.hostCount > 1:
		return ErrMultipleHost
	case f.hostCount == 0 && minor == 1:
		return ErrMissingHost
	case f.hostInvalid:
		return ErrInvalidHost
	}
	return nil
}

// parseVersion parses HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112
// section 2.3; HTTP-name is case-sensitive) at the start of b. It returns
// n = 8 when complete; n = 0 with a nil error when b is a valid prefix.
func parseVersion(b []byte) (major, minor, n int, e *Error) {
	const pattern = "HTTP/0.0"
	for k := 0; k < len(pattern); k++ {
		if k >= len(b) {
			return 0, 0, 0, nil
		}
		c := b[k]
		if pattern[k] == '0' {
			if c < '0' || c > '9' {
				return 0, 0, 0, ErrMalformedVersion
			}
		} else if c != pattern[k] {
			return 0, 0, 0, ErrMalformedVersion
		}
	}
	return int(b[5] - '0'), int(b[7] - '0'), len(pattern), nil
}

func isToken(tokens [][]byte, name []byte) bool {
	for _, t := range tokens {
		if equalFold(name, t) {
			return true
		}
	}
	return false
}
