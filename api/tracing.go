package api

import (
	"context"
	"time"
)

// Tracer starts spans for requests.
type Tracer interface {
	// Start begins a span for a request, continuing the trace whose context
	// the request headers carry, if any.
	Start(ctx context.Context, headers HeaderMap, start time.Time) Span
}

// Span is one traced operation.
type Span interface {
	// TraceID returns the trace's id in its wire form.
	TraceID() string
	// SetOperation names the span.
	SetOperation(name string)
	// SetTag attaches a key/value tag.
	SetTag(key, value string)
	// InjectContext writes the span's context into outgoing headers.
	InjectContext(headers HeaderMap)
	// Finish ends the span at t.
	Finish(t time.Time)
}

// TracerFactory builds a Tracer from its raw config object.
type TracerFactory func(config []byte) (Tracer, error)

// ChildSpanner is an optional interface of a Span: StartChild begins a
// child span (the proxy's upstream span under its downstream span).
type ChildSpanner interface {
	StartChild(operation string, start time.Time) Span
}
