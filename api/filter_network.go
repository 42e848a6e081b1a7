package api

import (
	"context"
	"encoding/json"
)

// FilterStatus tells a network filter chain whether to go on.
type FilterStatus int

const (
	// Continue passes the data or event to the next filter.
	Continue FilterStatus = iota
	// Stop ends iteration for this event; a read filter that returns Stop
	// from OnNewConnection or OnData holds the data until it calls
	// ReadFilterCallbacks.ContinueReading (or closes the connection).
	Stop
)

// ReadFilter sees a connection's read side.
type ReadFilter interface {
	// OnNewConnection runs once, before the first read.
	OnNewConnection() FilterStatus
	// OnData receives bytes read from the connection. A filter that
	// consumes bytes drains them from buf; buf is valid only during the call.
	OnData(buf IoBuffer, endOfStream bool) FilterStatus
	// InitializeReadFilterCallbacks hands the filter its callbacks once,
	// before OnNewConnection.
	InitializeReadFilterCallbacks(cb ReadFilterCallbacks)
}

// ReadFilterCallbacks are what a ReadFilter may do to its connection.
type ReadFilterCallbacks interface {
	// Connection returns the filter's connection.
	Connection() Connection
	// ContinueReading resumes iteration after a filter returned Stop.
	ContinueReading()
}

// WriteFilter sees a connection's write side.
type WriteFilter interface {
	// OnWrite sees buffers about to be written; Stop drops them.
	OnWrite(bufs [][]byte) FilterStatus
}

// ConnectionServer is an optional interface of the last ReadFilter in a
// chain: a filter that drives its connection's reads itself (an HTTP/1
// proxy, tcp_proxy). The connection then gives its goroutine to Serve
// instead of calling OnData on this filter; read filters before it still see
// every byte through Connection.Read. Serve returns when the connection is
// done with; the connection is closed afterwards.
type ConnectionServer interface {
	Serve(ctx context.Context, conn Connection) error
}

// FilterManager collects the filters of one connection's chain.
type FilterManager interface {
	// AddReadFilter appends a read filter.
	AddReadFilter(f ReadFilter)
	// AddWriteFilter appends a write filter.
	AddWriteFilter(f WriteFilter)
}

// NetworkFilterChainFactory adds one configured network filter to each new
// connection's chain. It is built once per config and shared by
// connections, so it must be safe for concurrent use.
type NetworkFilterChainFactory interface {
	CreateFilterChain(ctx context.Context, fm FilterManager)
}

// NetworkFilterFactory builds a NetworkFilterChainFactory from the filter's
// raw "config" object. Decoding is strict: unknown fields are an error.
type NetworkFilterFactory func(config json.RawMessage) (NetworkFilterChainFactory, error)

// Drainer is an optional interface of a ConnectionServer: Drain asks it to
// finish the request in progress, not to start another, and return from
// Serve (graceful shutdown). It may be called from any goroutine.
type Drainer interface {
	Drain()
}
