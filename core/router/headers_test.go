package router

import (
	"strings"
	"testing"

	"github.com/seed405ffdea/mosn/core/accesslog"
	"github.com/seed405ffdea/mosn/core/protocol/http1"
)

const mutationTable = `{"router_config_name": "r",
	"request_headers_to_add": [{"header": {"key": "x-table", "value": "t"}}],
	"request_headers_to_remove": ["x-drop-table"],
	"response_headers_to_add": [{"header": {"key": "x-resp-table", "value": "t"}}],
	"virtual_hosts": [{"domains": ["*"],
		"request_headers_to_add": [
			{"header": {"key": "x-vh", "value": "v"}},
			{"header": {"key": "x-route-set", "value": "from-vh"}, "append": false}],
		"request_headers_to_remove": ["x-route-added-removed"],
		"response_headers_to_remove": ["server"],
		"routers": [
		{"match": {"prefix": "/m"}, "route": {"cluster_name": "a",
			"request_headers_to_add": [
				{"header": {"key": "x-route", "value": "r"}},
				{"header": {"key": "x-route-added-removed", "value": "gone"}},
				{"header": {"key": "x-route-set", "value": "from-route"}},
				{"header": {"key": "x-multi", "value": "1"}},
				{"header": {"key": "x-multi", "value": "2"}, "append": true},
				{"header": {"key": "X-Replace", "value": "new"}, "append": false},
				{"header": {"key": "x-dyn", "value": "in=%REQ(X-In)%"}},
				{"header": {"key": "x-empty", "value": "%REQ(x-missing)%"}},
				{"header": {"key": "x-keep", "value": "%REQ(x-missing)%"}, "append": false},
				{"header": {"key": "x-addr", "value": "%DOWNSTREAM_REMOTE_ADDRESS%"}},
				{"header": {"key": "x-mosn", "value": "%request_header_x-in%"}},
				{"header": {"key": "x-literal", "value": "100\\%"}}],
			"request_headers_to_remove": ["x-secret"]}},
		{"match": {"prefix": "/plain"}, "route": {"cluster_name": "a"}}
	]}]}`

// apply runs m over hs the way the proxy does: the fields that stay, then
// the added ones.
func apply(m *HeaderMutations, e *accesslog.Entry, hs ...string) string {
	var x Mutator
	x.Reset(m, e)
	var out []byte
	for _, h := range hs {
		k, _, _ := strings.Cut(h, ": ")
		if x.Keep([]byte(k)) {
			out = append(out, h+"\r\n"...)
		}
	}
	return string(x.AppendAdded(out))
}

func TestHeaderMutations(t *testing.T) {
	tb := load(t, mutationTable)
	rq := req("GET h /m", "x-secret: s", "X-REPLACE: old", "x-multi: 0", "x-in: val", "x-drop-table: d", "x-keep: k")
	r := tb.Match(rq)
	e := &accesslog.Entry{DownstreamRemoteAddress: "1.2.3.4:5", RequestHeaders: http1.NewHeaderMap(&rq.Headers)}
	got := apply(r.RequestHeaders(), e, "x-secret: s", "X-REPLACE: old", "x-multi: 0", "x-in: val", "x-drop-table: d", "x-keep: k")
	want := "x-multi: 0\r\nx-in: val\r\nx-keep: k\r\n" + // kept
		"x-route: r\r\nx-multi: 1\r\nx-multi: 2\r\nX-Replace: new\r\nx-dyn: in=val\r\n" +
		"x-addr: 1.2.3.4:5\r\nx-mosn: val\r\nx-literal: 100%\r\n" + // the route's, minus what later levels drop
		"x-vh: v\r\nx-route-set: from-vh\r\n" + // the virtual host's
		"x-table: t\r\n" // the table's
	if got != want {
		t.Errorf("request headers:\n got %q\nwant %q", got, want)
	}

	// A route without mutations of its own gets its host's and table's.
	r = tb.Match(req("GET h /plain"))
	if got, want := apply(r.RequestHeaders(), nil, "x-route-added-removed: 1", "x-drop-table: 2", "a: b"),
		"a: b\r\nx-vh: v\r\nx-route-set: from-vh\r\nx-table: t\r\n"; got != want {
		t.Errorf("inherited request headers:\n got %q\nwant %q", got, want)
	}
	if got, want := apply(r.ResponseHeaders(), nil, "Server: upstream", "content-type: x"),
		"content-type: x\r\nx-resp-table: t\r\n"; got != want {
		t.Errorf("response headers:\n got %q\nwant %q", got, want)
	}
	if r.RequestHeaders().Dynamic() {
		t.Error("static mutations reported dynamic")
	}

	// Without any mutations, routes have none and a Mutator is a no-op.
	tb = load(t, `{"router_config_name": "r", "virtual_hosts": [{"domains": ["*"], "routers": [{"route": {"cluster_name": "a"}}]}]}`)
	r = tb.Match(req("GET h /"))
	if r.RequestHeaders() != nil || r.ResponseHeaders() != nil {
		t.Fatal("mutations without configuration")
	}
	if got := apply(nil, nil, "a: b"); got != "a: b\r\n" {
		t.Errorf("no-op mutator: %q", got)
	}
}

// TestMutatorAllocs: applying mutations allocates nothing once the
// Mutator's buffers have grown.
func TestMutatorAllocs(t *testing.T) {
	tb := load(t, mutationTable)
	rq := req("GET h /m", "x-secret: s", "x-in: val")
	r := tb.Match(rq)
	hm := http1.NewHeaderMap(&rq.Headers)
	e := &accesslog.Entry{DownstreamRemoteAddress: "1.2.3.4:5", RequestHeaders: hm}
	var x Mutator
	buf := make([]byte, 0, 1024)
	if n := testing.AllocsPerRun(100, func() {
		x.Reset(r.RequestHeaders(), e)
		buf = buf[:0]
		for _, f := range rq.Headers {
			if x.Keep(f.Name) {
				buf = http1.AppendHeader(buf, f.Name, f.Value)
			}
		}
		buf = x.AppendAdded(buf)
	}); n != 0 {
		t.Errorf("%v allocs per application", n)
	}
}
