package proxy_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed405ffdea/mosn/api"
	"github.com/seed405ffdea/mosn/core/proxy"
)

// Without a driver the proxy is still a hop: same trace id, new span id,
// the client's span as parent.
func TestTraceContextPropagation(t *testing.T) {
	var mu sync.Mutex
	var seen http.Header
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = r.Header.Clone()
		mu.Unlock()
	})
	addr := startProxy(t, o.addr(), proxyConf{})
	const (
		trace = "4bf92f3577b34da6a3ce929d0e0e4736"
		span  = "00f067aa0ba902b7"
	)
	c := dialRaw(t, addr)
	c.send(t, "GET / HTTP/1.1\r\nHost: x\r\n"+
		"traceparent: 00-"+trace+"-"+span+"-01\r\n"+
		"uber-trace-id: "+trace+":"+span+":0:1\r\n"+
		"X-B3-TraceId: "+trace+"\r\nX-B3-SpanId: "+span+"\r\nX-B3-Sampled: 1\r\n"+
		"b3: "+trace+"-"+span+"-1\r\n\r\n")
	c.response(t, "GET")
	mu.Lock()
	defer mu.Unlock()
	tp := strings.Split(seen.Get("traceparent"), "-")
	if len(tp) != 4 || tp[1] != trace || tp[2] == span || len(tp[2]) != 16 || tp[3] != "01" {
		t.Fatalf("traceparent upstream: %q", seen.Get("traceparent"))
	}
	newSpan := tp[2]
	if got := seen.Get("uber-trace-id"); got != trace+":"+newSpan+":"+span+":1" {
		t.Errorf("uber-trace-id upstream: %q", got)
	}
	if seen.Get("X-B3-TraceId") != trace || seen.Get("X-B3-SpanId") != newSpan || seen.Get("X-B3-ParentSpanId") != span {
		t.Errorf("B3 upstream: %v", seen)
	}
	if got := seen.Get("b3"); got != trace+"-"+newSpan+"-1-"+span {
		t.Errorf("b3 upstream: %q", got)
	}
}

// recordingTracer is a driver that records its spans.
type recordingTracer struct {
	mu    sync.Mutex
	spans []*recSpan
}

type recSpan struct {
	t        *recordingTracer
	op       string
	tags     map[string]string
	finished bool
	child    bool
}

func (r *recordingTracer) Start(ctx context.Context, h api.HeaderMap, start time.Time) api.Span {
	return r.newSpan(false)
}

func (r *recordingTracer) newSpan(child bool) *recSpan {
	s := &recSpan{t: r, tags: map[string]string{}, child: child}
	r.mu.Lock()
	r.spans = append(r.spans, s)
	r.mu.Unlock()
	return s
}

func (s *recSpan) TraceID() string               { return "t1" }
func (s *recSpan) SetOperation(name string)      { s.t.mu.Lock(); s.op = name; s.t.mu.Unlock() }
func (s *recSpan) SetTag(k, v string)            { s.t.mu.Lock(); s.tags[k] = v; s.t.mu.Unlock() }
func (s *recSpan) InjectContext(h api.HeaderMap) { h.Set("x-rec-trace", "t1") }
func (s *recSpan) Finish(time.Time)              { s.t.mu.Lock(); s.finished = true; s.t.mu.Unlock() }
func (s *recSpan) StartChild(op string, _ time.Time) api.Span {
	c := s.t.newSpan(true)
	c.op = op
	return c
}

func TestTracerDriverSpans(t *testing.T) {
	var mu sync.Mutex
	var injected string
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		injected = r.Header.Get("x-rec-trace")
		mu.Unlock()
	})
	rec := &recordingTracer{}
	stats := &proxy.Stats{}
	addr := startProxy(t, o.addr(), proxyConf{opts: func(o *proxy.Options) { o.Tracer = rec; o.Stats = stats }})
	c := dialRaw(t, addr)
	c.send(t, "GET /traced HTTP/1.1\r\nHost: x\r\n\r\n")
	c.response(t, "GET")
	for deadline := time.Now().Add(5 * time.Second); stats.Active.Load() != 0 || stats.Requests.Load() != 1; {
		if time.Now().After(deadline) {
			t.Fatal("request not finished")
		}
		time.Sleep(time.Millisecond)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	mu.Lock()
	defer mu.Unlock()
	if injected != "t1" {
		t.Errorf("context not injected upstream: %q", injected)
	}
	if len(rec.spans) != 2 || rec.spans[0].child || !rec.spans[1].child {
		t.Fatalf("spans: %+v", rec.spans)
	}
	root, up := rec.spans[0], rec.spans[1]
	if root.op != "GET" || root.tags["http.status_code"] != "200" || !root.finished {
		t.Errorf("request span: %+v", root)
	}
	if up.op != "upstream c" || up.tags["upstream_host"] != o.addr() || !up.finished {
		t.Errorf("upstream span: %+v", up)
	}
}
