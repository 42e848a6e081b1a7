package http1

// Error is a malformed-message error that carries the HTTP status the proxy
// answers with. It implements api.ProtocolError.
//
// Errors found while parsing a request (or a request body) carry 4xx/5xx
// statuses meant for the downstream client. The same faults found in a
// response from upstream carry 502 (Bad Gateway): the proxy discards the
// response and answers 502 itself (RFC 9112 section 6.3 item 5, section
// 5.2). A response-side error unwraps to the request-side sentinel of the
// same fault, so errors.Is(err, ErrObsFold) holds for both.
//
// The parser only returns the package's sentinel values, so returning an
// error never allocates.
type Error struct {
	// Status is the HTTP status code to answer with.
	Status int
	// Reason says what was wrong, in lowercase without punctuation.
	Reason string

	upstream *Error // the 502 twin of a request-side sentinel
	base     *Error // for a 502 twin: the request-side sentinel
}

// Error returns "http1: " followed by the reason.
func (e *Error) Error() string { return "http1: " + e.Reason }

// StatusCode returns the status to answer with.
func (e *Error) StatusCode() int { return e.Status }

// Unwrap returns, for an error found in a response, the request-side
// sentinel of the same fault; otherwise nil.
func (e *Error) Unwrap() error {
	if e.base == nil {
		return nil
	}
	return e.base
}

// forResponse returns the 502 twin of e (e itself if it has none).
func (e *Error) forResponse() *Error {
	if e.upstream != nil {
		return e.upstream
	}
	return e
}

// newError builds a sentinel together with its 502 twin for responses.
func newError(status int, reason string) *Error {
	e := &Error{Status: status, Reason: reason}
	if status != 502 {
		e.upstream = &Error{Status: 502, Reason: reason, base: e}
	}
	return e
}

// Sentinel errors. Compare with errors.Is; Status on a response-side error
// is 502 whatever the sentinel's Status says.
var (
	// ErrHeaderTooLarge: the head is longer than Limits.MaxHeaderBytes.
	ErrHeaderTooLarge = newError(431, "header section too large")
	// ErrTooManyHeaders: more than Limits.MaxHeaders field lines (also for
	// the trailer section).
	ErrTooManyHeaders = newError(431, "too many header fields")
	// ErrTrailerTooLarge: a chunked body's trailer section is longer than
	// Limits.MaxHeaderBytes.
	ErrTrailerTooLarge = newError(431, "trailer section too large")

	// ErrBareLF: an LF not preceded by CR where CRLF is required.
	ErrBareLF = newError(400, "bare LF where CRLF is required")
	// ErrBareCR: a CR not followed by LF.
	ErrBareCR = newError(400, "CR not followed by LF")
	// ErrObsFold: a field line starting with whitespace (obsolete line
	// folding, or whitespace before the first field line).
	ErrObsFold = newError(400, "obsolete line folding")
	// ErrSpaceBeforeColon: whitespace between a field name and its colon.
	ErrSpaceBeforeColon = newError(400, "whitespace between field name and colon")
	// ErrEmptyHeaderName: a field line starting with a colon.
	ErrEmptyHeaderName = newError(400, "empty field name")
	// ErrInvalidHeaderName: a field name with a character that is not a
	// token character, or a field line without a colon.
	ErrInvalidHeaderName = newError(400, "invalid character in field name")
	// ErrInvalidHeaderValue: a control character (other than HTAB) in a
	// field value.
	ErrInvalidHeaderValue = newError(400, "invalid character in field value")

	// ErrInvalidMethod: an empty method or one with a non-token character.
	ErrInvalidMethod = newError(400, "invalid method")
	// ErrInvalidRequestTarget: an empty request-target or one with a
	// control character.
	ErrInvalidRequestTarget = newError(400, "invalid request-target")
	// ErrMalformedRequestLine: the request line is not
	// "method SP request-target SP HTTP-version CRLF".
	ErrMalformedRequestLine = newError(400, "malformed request line")
	// ErrMalformedVersion: the HTTP-version is not "HTTP/" DIGIT "." DIGIT.
	ErrMalformedVersion = newError(400, "malformed http version")
	// ErrVersionNotSupported: a well-formed version other than HTTP/1.0
	// and HTTP/1.1.
	ErrVersionNotSupported = newError(505, "http version not supported")

	// ErrInvalidContentLength: Content-Length is not a non-negative decimal
	// that fits in int64.
	ErrInvalidContentLength = newError(400, "invalid content-length")
	// ErrConflictingContentLength: several Content-Length values that
	// differ.
	ErrConflictingContentLength = newError(400, "conflicting content-length values")
	// ErrContentLengthWithTransferEncoding: a request with both
	// Content-Length and Transfer-Encoding.
	ErrContentLengthWithTransferEncoding = newError(400, "content-length together with transfer-encoding")
	// ErrChunkedNotFinal: Transfer-Encoding whose final coding is not
	// chunked, or chunked applied twice.
	ErrChunkedNotFinal = newError(400, "transfer-encoding does not end in a single chunked")
	// ErrUnsupportedTransferCoding: a transfer coding other than chunked.
	ErrUnsupportedTransferCoding = newError(501, "unsupported transfer coding")
	// ErrTransferEncodingHTTP10: Transfer-Encoding in an HTTP/1.0 request.
	ErrTransferEncodingHTTP10 = newError(400, "transfer-encoding in http/1.0 message")

	// ErrTooManyConnectionOptions: Connection fields list more options
	// than Limits.MaxHeaders.
	ErrTooManyConnectionOptions = newError(400, "too many connection options")

	// ErrMissingHost: an HTTP/1.1 request without Host.
	ErrMissingHost = newError(400, "missing host")
	// ErrMultipleHost: more than one Host field line.
	ErrMultipleHost = newError(400, "more than one host")
	// ErrInvalidHost: a Host value with characters not allowed in
	// uri-host [ ":" port ].
	ErrInvalidHost = newError(400, "invalid host")

	// ErrMalformedStatusLine: a response's status line is not
	// "HTTP-version SP 3DIGIT [SP reason-phrase] CRLF".
	ErrMalformedStatusLine = newError(502, "malformed status line")
	// ErrInvalidStatus: a status code outside 100-599.
	ErrInvalidStatus = newError(502, "status code out of range")

	// ErrInvalidChunkSize: a chunk-size line that does not start with
	// HEXDIG or has an unexpected character after it.
	ErrInvalidChunkSize = newError(400, "invalid chunk size")
	// ErrChunkSizeOverflow: a chunk size above 2^62 or with more than 16
	// hex digits.
	ErrChunkSizeOverflow = newError(400, "chunk size too large")
	// ErrChunkLineTooLong: a chunk-size line (with extensions) longer than
	// Limits.MaxChunkLineBytes.
	ErrChunkLineTooLong = newError(400, "chunk line too long")
	// ErrInvalidChunkExtension: a control character in a chunk extension.
	ErrInvalidChunkExtension = newError(400, "invalid chunk extension")
	// ErrMissingChunkCRLF: chunk data not followed by CRLF.
	ErrMissingChunkCRLF = newError(400, "chunk data not followed by CRLF")
)
