package http1

// BodyKind says how a message's content is delimited (RFC 9112 section
// 6.3).
type BodyKind int

const (
	// NoBody: the message has no content (or a Content-Length of 0).
	NoBody BodyKind = iota
	// Length: the content is exactly the returned number of bytes.
	Length
	// ChunkedBody: the content uses the chunked transfer coding; feed it
	// to a ChunkedScanner to find its end.
	ChunkedBody
	// UntilClose: the content runs until the server closes the
	// connection, which therefore cannot be reused.
	UntilClose
	// Tunnel: a 2xx answer to CONNECT; the connection becomes a tunnel
	// right after the head (RFC 9112 section 6.3 item 2). Only
	// ResponseHead.BodyFor returns it.
	Tunnel
)

// String names the kind.
func (k BodyKind) String() string {
	switch k {
	case NoBody:
		return "NoBody"
	case Length:
		return "Length"
	case ChunkedBody:
		return "Chunked"
	case UntilClose:
		return "UntilClose"
	case Tunnel:
		return "Tunnel"
	}
	return "Unknown"
}

// ResponseHead is a parsed status line and header section. The byte slices
// alias the buffer handed to ParseResponse and are valid as long as that
// buffer is neither modified nor reused. Reuse a ResponseHead to parse
// without allocating.
type ResponseHead struct {
	// Minor is the HTTP minor version: 0 for HTTP/1.0, 1 for HTTP/1.1.
	Minor int
	// Status is the status code, 100 to 599.
	Status int
	// Reason is the reason-phrase (possibly empty).
	Reason []byte
	// Headers are the field lines in wire order. A name that was followed
	// by whitespace before its colon is given without it.
	Headers []Header
	// ContentLength is the Content-Length value, -1 when absent or when
	// Transfer-Encoding overrides it.
	ContentLength int64
	// Chunked is set when the final transfer coding is chunked (the only
	// coding ParseResponse accepts).
	Chunked bool
	// KeepAlive says the server lets the connection persist after this
	// response: HTTP/1.1 unless "Connection: close", HTTP/1.0 only with
	// "Connection: keep-alive" (RFC 9112 section 9.3); false whenever
	// ConflictingFraming is set. A body of kind UntilClose also ends the
	// connection whatever KeepAlive says.
	KeepAlive bool
	// Upgrade is set when Connection has the option "upgrade" and an
	// Upgrade field is present; with Status 101 the connection switches
	// protocols after the head.
	Upgrade bool
	// ConflictingFraming is set when both Content-Length and
	// Transfer-Encoding were received. RFC 9112 section 6.3 item 3:
	// "Transfer-Encoding overrides the Content-Length", and "An
	// intermediary that chooses to forward the message MUST first remove
	// the received Content-Length field". The parser ignores
	// Content-Length; the proxy must drop that field and close the
	// upstream connection after the response (KeepAlive is false).
	ConflictingFraming bool
	// ConnectionTokens are the options listed in Connection fields.
	ConnectionTokens [][]byte
}

// Reset clears h and keeps the capacity of its slices.
func (h *ResponseHead) Reset() {
	*h = ResponseHead{
		Headers:          h.Headers[:0],
		ConnectionTokens: h.ConnectionTokens[:0],
		ContentLength:    -1,
	}
}

// IsConnectionToken reports whether name is listed in a Connection field of
// the response (RFC 9110 section 7.6.1).
func (h *ResponseHead) IsConnectionToken(name []byte) bool {
	return isToken(h.ConnectionTokens, name)
}

// Body says how the response's content is delimited, given whether the
// request was HEAD (RFC 9112 section 6.3 item 1: responses to HEAD and
// 1xx, 204 and 304 responses have none). The length is -1 for ChunkedBody
// and UntilClose.
func (h *ResponseHead) Body(reqMethodIsHEAD bool) (BodyKind, int64) {
	if reqMethodIsHEAD || h.Status < 200 || h.Status == 204 || h.Status == 304 {
		return NoBody, 0
	}
	switch {
	case h.Chunked:
		return ChunkedBody, -1
	case h.ContentLength > 0:
		return Length, h.ContentLength
	case h.ContentLength == 0:
		return NoBody, 0
	}
	// RFC 9112 section 6.3 item 8: "the message body length is determined
	// by the number of octets received prior to the server closing the
	// connection."
	return UntilClose, -1
}

// BodyFor is Body for a request with the given method; it also reports
// Tunnel for a 2xx response to CONNECT.
func (h *ResponseHead) BodyFor(method []byte) (BodyKind, int64) {
	if h.Status >= 200 && h.Status < 300 && string(method) == "CONNECT" {
		return Tunnel, -1
	}
	return h.Body(string(method) == "HEAD")
}

// ParseResponse parses the response head at the start of buf into h. It
// returns like ParseRequest: (head length, nil), (0, nil) for more, or
// (0, *Error). Every error carries status 502 (Bad Gateway), the answer the
// proxy gives downstream when the upstream response is malformed, and
// unwraps to the sentinel of the fault (errors.Is(err, ErrObsFold)).
func ParseResponse(buf []byte, h *ResponseHead, lim Limits) (int, error) {
	h.Reset()
	max := lim.headerBytes()
	b := buf
	if len(b) > max {
		b = b[:max]
	}
	n, e := parseResponse(b, h, lim.headers())
	if e != nil {
		return 0, e.forResponse()
	}
	if n == 0 && len(buf) >= max {
		return 0, ErrHeaderTooLarge.forResponse()
	}
	return n, nil
}

func parseResponse(b []byte, h *ResponseHead, maxHeaders int) (int, *Error) {
	// RFC 9112 section 4: status-line = HTTP-version SP status-code SP
	// [ reason-phrase ]. We also accept a status line that ends right
	// after the status code: servers that omit the empty reason's SP exist
	// and nothing is ambiguous about it.
	major, minor, i, e := parseVersion(b)
	if i == 0 {
		return 0, e
	}
	if i >= len(b) {
		return 0, nil
	}
	if b[i] != ' ' {
		return 0, ErrMalformedStatusLine
	}
	i++
	status := 0
	for k := 0; k < 3; k, i = k+1, i+1 {
		if i >= len(b) {
			return 0, nil
		}
		if c := b[i]; c >= '0' && c <= '9' {
			status = status*10 + int(c-'0')
		} else {
			return 0, ErrMalformedStatusLine
		}
	}
	if i >= len(b) {
		return 0, nil
	}
	reason := i
	switch b[i] {
	case ' ':
		i++
		reason = i
		i = scanValue(b, i)
		if i >= len(b) {
			return 0, nil
		}
		if b[i] != '\r' {
			if b[i] == '\n' {
				return 0, ErrBareLF
			}
			return 0, ErrMalformedStatusLine
		}
	case '\r':
	case '\n':
		return 0, ErrBareLF
	default:
		return 0, ErrMalformedStatusLine
	}
	h.Reason = b[reason:i:i]
	if i+1 >= len(b) {
		return 0, nil
	}
	if b[i+1] != '\n' {
		return 0, ErrBareCR
	}
	i += 2
	if major != 1 || minor > 1 {
		return 0, ErrVersionNotSupported
	}
	if status < 100 || status > 599 {
		return 0, ErrInvalidStatus
	}
	h.Minor, h.Status = minor, status

	var end int
	h.Headers, end, e = scanFields(b, i, maxHeaders, h.Headers, true)
	if end == 0 {
		return 0, e
	}

	f := interpret(h.Headers, &h.ConnectionTokens, maxHeaders)
	if f.tokensErr != nil {
		return 0, f.tokensErr
	}
	h.ContentLength = f.contentLength
	if minor == 1 {
		h.KeepAlive = !f.connClose
	} else {
		h.KeepAlive = f.connKeepAlive && !f.connClose
	}
	h.Upgrade = f.connUpgrade && f.upgrade
	if f.te {
		// RFC 9112 section 6.1: a recipient of an HTTP/1.0 message with
		// Transfer-Encoding "MUST treat the message as if the framing is
		// faulty".
		if minor == 0 {
			return 0, ErrTransferEncodingHTTP10
		}
		// We forward content as received and decode no coding but
		// chunked, so a response with another coding is refused (nginx
		// answers 502 to an upstream's unknown Transfer-Encoding too).
		if f.teOther {
			return 0, ErrUnsupportedTransferCoding
		}
		if !f.teChunkedLast || f.teChunkedDup {
			return 0, ErrChunkedNotFinal
		}
		h.Chunked = true
		if f.contentLength >= 0 || f.clErr != nil {
			h.ConflictingFraming = true
			h.KeepAlive = false
		}
		h.ContentLength = -1
	} else if f.clErr != nil {
		// RFC 9112 section 6.3 item 5: "If this is a response message
		// received by a proxy, the proxy MUST close the connection to the
		// server, discard the received response, and send a 502 (Bad
		// Gateway) response to the client."
		return 0, f.clErr
	}
	return end, nil
}
