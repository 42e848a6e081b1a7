// Package tracing makes the proxy a hop in distributed traces. Without a
// tracer driver it still propagates the common trace contexts — W3C
// traceparent, Jaeger's uber-trace-id and Zipkin's B3 (multi-header and
// single "b3") — as a new span: the upstream request carries the same
// trace id, a new span id, and the client's span as parent. SkyWalking's
// sw8 is forwarded unchanged (its segment model needs a real agent).
//
// With a driver (an api.Tracer registered under a name and selected by
// the config's tracing block), the driver's spans take over: the proxy
// starts a span per request and an upstream child span, and the driver
// injects its own context.
package tracing

import (
	"encoding/hex"
	"math/rand/v2"
	"strings"

	"github.com/seed405ffdea/mosn/api"
)

// Header names of the contexts Propagate understands.
const (
	TraceParent  = "traceparent"
	UberTraceID  = "uber-trace-id"
	B3Single     = "b3"
	B3TraceID    = "x-b3-traceid"
	B3SpanID     = "x-b3-spanid"
	B3ParentSpan = "x-b3-parentspanid"
)

// NewSpanID returns a random non-zero 64-bit span id in lowercase hex.
func NewSpanID() string {
	var b [8]byte
	for {
		v := rand.Uint64()
		if v == 0 {
			continue
		}
		for i := range b {
			b[i] = byte(v >> (8 * i))
		}
		return hex.EncodeToString(b[:])
	}
}

// Propagate rewrites: the proxy calls it on every request, so it looks at
// the first letter of each name before comparing.
func HasContext(h api.HeaderMap) bool {
	found := false
	h.Range(func(k, _ string) bool {
		if k == "" {
			return true
		}
		switch k[0] | 0x20 {
		case 't', 'u', 'b', 'x':
			if strings.EqualFold(k, TraceParent) || strings.EqualFold(k, UberTraceID) ||
				strings.EqualFold(k, B3Single) || strings.EqualFold(k, B3SpanID) {
				found = true
				return false
			}
		}
		return true
	})
	return found
}

// Propagate rewrites the trace contexts in h so that the upstream request
// is a child of the client's span, with spanID (16 hex digits) as its own
// span id. Malformed contexts are left as they are (and the trace starts
// over at the next hop that understands it). It returns the trace id it
// propagated, empty if none.
func Propagate(h api.HeaderMap, spanID string) (traceID string) {
	if v, ok := h.Get(TraceParent); ok {
		// W3C Trace Context: version-traceid(32)-parentid(16)-flags(2).
		p := strings.Split(strings.TrimSpace(v), "-")
		if len(p) >= 4 && len(p[0]) == 2 && len(p[1]) == 32 && len(p[2]) == 16 && len(p[3]) == 2 &&
			isHex(p[1]) && isHex(p[2]) && p[0] != "ff" {
			h.Set(TraceParent, p[0]+"-"+p[1]+"-"+spanID+"-"+p[3])
			traceID = p[1]
		}
	}
	if v, ok := h.Get(UberTraceID); ok {
		// Jaeger: trace-id:span-id:parent-span-id:flags.
		p := strings.Split(strings.TrimSpace(v), ":")
		if len(p) == 4 && isHex(p[0]) && isHex(p[1]) {
			h.Set(UberTraceID, p[0]+":"+spanID+":"+p[1]+":"+p[3])
			if traceID == "" {
				traceID = p[0]
			}
		}
	}
	if v, ok := h.Get(B3Single); ok {
		// b3: traceid-spanid[-sampled[-parentspanid]]; a lone "0"/"1"/"d"
		// is a sampling decision only.
		p := strings.Split(strings.TrimSpace(v), "-")
		if len(p) >= 2 && isHex(p[0]) && isHex(p[1]) {
			nv := p[0] + "-" + spanID
			if len(p) >= 3 {
				nv += "-" + p[2]
			}
			h.Set(B3Single, nv+"-"+p[1])
			if traceID == "" {
				traceID = p[0]
			}
		}
	}
	tid, okT := h.Get(B3TraceID)
	sid, okS := h.Get(B3SpanID)
	if okT && okS && isHex(tid) && isHex(sid) {
		h.Set(B3ParentSpan, sid)
		h.Set(B3SpanID, spanID)
		if traceID == "" {
			traceID = tid
		}
	}
	return traceID
}

func isHex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if !('0' <= s[i] && s[i] <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
