package api

import (
	"context"
	"encoding/json"
)

// StreamFilterStatus tells the stream filter chain what to do next.
type StreamFilterStatus int

const (
	// StreamFilterContinue runs the next filter.
	StreamFilterContinue StreamFilterStatus = iota
	// StreamFilterStop pauses the chain; the filter resumes it later with
	// its handler's Continue, or ends the stream with a reply.
	StreamFilterStop
	// StreamFilterHijack ends the chain because the filter has answered the
	// request itself (SendHijackReply / SendDirectResponse).
	StreamFilterHijack
	// StreamFilterReMatchRoute asks the proxy to match the route again (a
	// filter changed the headers the route depends on).
	StreamFilterReMatchRoute
	// StreamFilterReChooseHost asks the proxy to pick the upstream host
	// again.
	StreamFilterReChooseHost
)

// ReceiverFilterPhase is where in the request path a receiver filter runs.
type ReceiverFilterPhase int

const (
	// BeforeRoute runs before the route is matched.
	BeforeRoute ReceiverFilterPhase = iota
	// AfterRoute runs once the route is known, before a host is chosen.
	AfterRoute
	// AfterChooseHost runs once the upstream host is known.
	AfterChooseHost
)

// String names the phase.
func (p ReceiverFilterPhase) String() string {
	switch p {
	case BeforeRoute:
		return "BeforeRoute"
	case AfterRoute:
		return "AfterRoute"
	case AfterChooseHost:
		return "AfterChooseHost"
	}
	return "Unknown"
}

// StreamReceiverFilter sees a request on its way upstream.
//
// For streaming protocols the proxy calls OnReceive once with the headers;
// data and trailers are nil unless the body was buffered whole (a filter
// asks for that with the BodyBufferer optional interface).
type StreamReceiverFilter interface {
	OnReceive(ctx context.Context, headers HeaderMap, data IoBuffer, trailers HeaderMap) StreamFilterStatus
	// SetReceiveFilterHandler is called once before OnReceive.
	SetReceiveFilterHandler(h StreamReceiverFilterHandler)
	// OnDestroy is called once when the stream ends.
	OnDestroy()
}

// StreamSenderFilter sees a response on its way downstream.
type StreamSenderFilter interface {
	Append(ctx context.Context, headers HeaderMap, data IoBuffer, trailers HeaderMap) StreamFilterStatus
	// SetSenderFilterHandler is called once before Append.
	SetSenderFilterHandler(h StreamSenderFilterHandler)
	// OnDestroy is called once when the stream ends.
	OnDestroy()
}

// BodyBufferer is an optional interface of a StreamReceiverFilter that needs
// the whole request body (up to the given limit in bytes) before OnReceive.
type BodyBufferer interface {
	BufferBodyLimit() int
}

// StreamFilterHandler is what every stream filter can see.
type StreamFilterHandler interface {
	// Route returns the matched route, nil before AfterRoute or if none.
	Route() Route
	// RequestInfo returns the stream's bookkeeping.
	RequestInfo() RequestInfo
	// Connection returns the downstream connection.
	Connection() Connection
}

// StreamReceiverFilterHandler lets a receiver filter steer the stream.
type StreamReceiverFilterHandler interface {
	StreamFilterHandler
	// SendHijackReply answers the request with status code and headers
	// (nil for none) and an empty body; the filter then returns
	// StreamFilterHijack.
	SendHijackReply(code int, headers HeaderMap)
	// SendDirectResponse answers the request with status code, headers
	// (nil for none) and body; the filter then returns StreamFilterHijack.
	SendDirectResponse(code int, headers HeaderMap, body []byte)
	// Continue resumes a chain paused by StreamFilterStop.
	Continue()
}

// StreamSenderFilterHandler lets a sender filter steer the response.
type StreamSenderFilterHandler interface {
	StreamFilterHandler
	// Continue resumes a chain paused by StreamFilterStop.
	Continue()
}

// StreamFilterChainFactoryCallbacks collects one stream's filters.
type StreamFilterChainFactoryCallbacks interface {
	AddStreamReceiverFilter(f StreamReceiverFilter, phase ReceiverFilterPhase)
	AddStreamSenderFilter(f StreamSenderFilter)
}

// StreamFilterChainFactory adds its filters to each new stream. It is built
// once per config and shared, so it must be safe for concurrent use.
type StreamFilterChainFactory interface {
	CreateFilterChain(ctx context.Context, cb StreamFilterChainFactoryCallbacks)
}

// StreamFilterFactory builds a StreamFilterChainFactory from the filter's
// raw "config" object. Decoding is strict: unknown fields are an error.
type StreamFilterFactory func(config json.RawMessage) (StreamFilterChainFactory, error)
