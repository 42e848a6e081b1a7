package proxy

import (
	"context"
	"strconv"
	"time"

	"github.com/seed405ffdea/mosn/api"
	"github.com/seed405ffdea/mosn/core/protocol/http1"
	"github.com/seed405ffdea/mosn/core/tracing"
)

// startTrace makes the request a hop of its trace before it goes
// upstream: with a tracer driver, a span for the request and an upstream
// child span whose context is injected; without one, the built-in
// propagation of traceparent, uber-trace-id and B3 (see core/tracing).
// Requests without a trace context cost one pass over the header names.
func (s *serverConn) startTrace(ctx context.Context) {
	st := &s.st
	if t := s.opts.Tracer; t != nil {
		s.trHdr.Reset(&s.req.Headers)
		st.span = t.Start(ctx, &s.trHdr, st.start)
		st.span.SetOperation(string(s.req.Method))
		st.span.SetTag("http.url", string(s.req.URI))
		st.span.SetTag("upstream_cluster", st.cluster.Name())
		up := st.span
		if cs, ok := st.span.(api.ChildSpanner); ok {
			st.upSpan = cs.StartChild("upstream "+st.cluster.Name(), time.Now())
			up = st.upSpan
		}
		up.InjectContext(&s.trHdr)
		return
	}
	if hasTraceContext(s.req.Headers) {
		s.trHdr.Reset(&s.req.Headers)
		tracing.Propagate(&s.trHdr, tracing.NewSpanID())
	}
}

// hasTraceContext looks for the headers tracing.Propagate rewrites.
func hasTraceContext(hs []http1.Header) bool {
	for _, h := range hs {
		if len(h.Name) == 0 {
			continue
		}
		switch h.Name[0] | 0x20 {
		case 't', 'u', 'b', 'x':
			if http1.EqualFold(h.Name, tracing.TraceParent) || http1.EqualFold(h.Name, tracing.UberTraceID) ||
				http1.EqualFold(h.Name, tracing.B3Single) || http1.EqualFold(h.Name, tracing.B3SpanID) {
				return true
			}
		}
	}
	return false
}

// finishTrace ends the request's spans.
func (s *serverConn) finishTrace() {
	st := &s.st
	now := time.Now()
	code := strconv.Itoa(st.status)
	if st.upSpan != nil {
		if st.host != nil {
			st.upSpan.SetTag("upstream_host", st.host.Address())
		}
		st.upSpan.SetTag("http.status_code", code)
		st.upSpan.Finish(now)
	}
	st.span.SetTag("http.status_code", code)
	if st.flags != 0 {
		st.span.SetTag("error", "true")
	}
	st.span.Finish(now)
}
