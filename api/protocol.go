package api

import (
	"context"
	"errors"
)

// ProtocolName names a protocol as MOSN's config spells it.
type ProtocolName string

// Protocol names used in listener and cluster config.
const (
	HTTP1 ProtocolName = "Http1"
	HTTP2 ProtocolName = "Http2"
	// Auto detects the downstream protocol from the first bytes.
	Auto ProtocolName = "Auto"
	// XProtocol is the family of multiplexed RPC protocols (bolt, Dubbo);
	// the sub-protocol is named separately.
	XProtocol ProtocolName = "X"
)

// MatchResult is the answer of a ProtocolMatcher.
type MatchResult int

const (
	// MatchFailed: the bytes are not this protocol.
	MatchFailed MatchResult = iota
	// MatchSuccess: the bytes are this protocol.
	MatchSuccess
	// MatchAgain: too few bytes to tell; call again with more.
	MatchAgain
)

// ProtocolMatcher tells whether a connection's first bytes belong to a
// protocol. It must not retain data.
type ProtocolMatcher func(data []byte) MatchResult

// ErrNeedMoreData is returned by decoders that need more input; callers may
// instead receive a nil frame and nil error, as each decoder documents.
var ErrNeedMoreData = errors.New("api: need more data")

// ProtocolError is a malformed-input error that carries the response it
// calls for: an HTTP status for HTTP/1, an HTTP/2 error code, or an
// XProtocol status.
type ProtocolError interface {
	error
	// StatusCode is the status to answer with (400, 413, 431 ...), or 0
	// when the connection must simply be closed.
	StatusCode() int
}

// StreamSender writes one stream's message parts in order; endStream on a
// call means no more parts follow.
type StreamSender interface {
	AppendHeaders(ctx context.Context, headers HeaderMap, endStream bool) error
	AppendData(ctx context.Context, data IoBuffer, endStream bool) error
	AppendTrailers(ctx context.Context, trailers HeaderMap) error
}

// StreamReceiveListener receives a decoded stream's message parts; the
// arguments are valid until the call returns unless the codec documents
// otherwise.
type StreamReceiveListener interface {
	OnReceive(ctx context.Context, headers HeaderMap, data IoBuffer, trailers HeaderMap)
	// OnDecodeError is called with a ProtocolError; headers may be nil.
	OnDecodeError(ctx context.Context, err error, headers HeaderMap)
}

// StreamConnection is a codec bound to one connection (the server or client
// side of HTTP/2, an XProtocol connection). The read loop feeds it bytes.
type StreamConnection interface {
	// Dispatch decodes as much of buf as forms whole frames and drains it.
	Dispatch(buf IoBuffer) error
	// Protocol names the codec's protocol.
	Protocol() ProtocolName
	// GoAway starts a graceful close: no new streams are accepted.
	GoAway()
}

// PoolMode says how upstream connections of a protocol are shared.
type PoolMode int

const (
	// PingPong: one request at a time per connection (HTTP/1, some RPC).
	PingPong PoolMode = iota
	// Multiplex: many concurrent requests per connection (HTTP/2, bolt).
	Multiplex
)

// XFrame is one decoded message of an XProtocol (bolt, Dubbo).
type XFrame interface {
	HeaderMap
	// RequestID correlates a response with its request.
	RequestID() uint64
	// SetRequestID rewrites the id (the proxy remaps ids per upstream
	// connection).
	SetRequestID(id uint64)
	// IsHeartbeat reports a protocol-level keepalive frame.
	IsHeartbeat() bool
	// Kind says whether the frame is a request, a one-way request or a
	// response.
	Kind() FrameKind
	// Body returns the payload (may be nil).
	Body() IoBuffer
}

// FrameKind classifies an XFrame.
type FrameKind int

const (
	// Request expects a response.
	Request FrameKind = iota
	// RequestOneway expects none.
	RequestOneway
	// Response answers a request.
	Response
)

// XProtocolCodec encodes and decodes one XProtocol. Implementations are
// stateless and safe for concurrent use.
type XProtocolCodec interface {
	// Name is the sub-protocol name ("bolt", "dubbo").
	Name() string
	// Decode decodes one frame from the front of buf and drains it. A nil
	// frame and nil error mean more data is needed.
	Decode(ctx context.Context, buf IoBuffer) (XFrame, error)
	// Encode appends frame's wire form to dst.
	Encode(ctx context.Context, frame XFrame, dst IoBuffer) error
	// PoolMode says how upstream connections are shared.
	PoolMode() PoolMode
	// Matcher detects the protocol from a connection's first bytes.
	Matcher() ProtocolMatcher
	// Reply builds the response to request carrying status (a
	// protocol-specific code mapped from the HTTP-like status given).
	Reply(request XFrame, httpStatus int) (XFrame, error)
}
