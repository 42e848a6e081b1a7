package http2

import (
	"errors"

	"golang.org/x/net/http2"
)

// Errors a connection ends with. A peer that breaks the protocol gets a
// GOAWAY with the code of its ConnectionError.
var (
	// ErrStreamReset is returned by Stream reads and writes after the
	// stream was reset (by either side) or its connection closed.
	ErrStreamReset = errors.New("http2: stream reset")
	// ErrStreamDone is returned by writes after the response ended.
	ErrStreamDone = errors.New("http2: response already ended")

	errControlFlood   = errors.New("http2: too many queued control frames (peer floods and does not read)")
	errHeaderFlood    = errors.New("http2: header block beyond the header size limit (CONTINUATION flood)")
	errBadPreface     = errors.New("http2: bad client connection preface")
	errRapidReset     = errors.New("http2: too many streams reset by the client (rapid reset)")
	errEmptyFrames    = errors.New("http2: too many consecutive empty frames")
	errPriorityFlood  = errors.New("http2: too many PRIORITY frames")
	errConnClosed     = errors.New("http2: connection closed")
	errIdle           = errors.New("http2: connection idle")
	errDrained        = errors.New("http2: connection drained")
	errPushPromise    = errors.New("http2: PUSH_PROMISE from a client")
	errStreamIDs      = errors.New("http2: bad stream identifier")
	errStreamClosed   = errors.New("http2: frame on a closed stream")
	errFlowControl    = errors.New("http2: flow-control window exceeded")
	errWindowOverflow = errors.New("http2: flow-control window above 2^31-1")
)

// ConnError is a connection error (RFC 9113 5.4.1): the connection ends
// with a GOAWAY carrying Code.
type ConnError struct {
	Code   http2.ErrCode
	Reason error
}

func (e *ConnError) Error() string {
	return "http2: connection error " + e.Code.String() + ": " + e.Reason.Error()
}

func (e *ConnError) Unwrap() error { return e.Reason }

func connErr(code http2.ErrCode, reason error) error { return &ConnError{Code: code, Reason: reason} }
