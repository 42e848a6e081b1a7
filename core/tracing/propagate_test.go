package tracing

import (
	"strings"
	"testing"
)

// mapHeaders is a minimal api.HeaderMap for tests.
type mapHeaders map[string]string

func (m mapHeaders) Get(k string) (string, bool) { v, ok := m[strings.ToLower(k)]; return v, ok }
func (m mapHeaders) Set(k, v string)             { m[strings.ToLower(k)] = v }
func (m mapHeaders) Add(k, v string)             { m[strings.ToLower(k)] = v }
func (m mapHeaders) Del(k string)                { delete(m, strings.ToLower(k)) }
func (m mapHeaders) Range(f func(k, v string) bool) {
	for k, v := range m {
		if !f(k, v) {
			return
		}
	}
}

func TestPropagate(t *testing.T) {
	const tr, sp, ns = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", "1111111111111111"
	cases := []struct {
		name      string
		in, want  mapHeaders
		wantTrace string
	}{
		{"traceparent", mapHeaders{"traceparent": "00-" + tr + "-" + sp + "-01"}, mapHeaders{"traceparent": "00-" + tr + "-" + ns + "-01"}, tr},
		{"bad traceparent kept", mapHeaders{"traceparent": "00-xyz-" + sp + "-01"}, mapHeaders{"traceparent": "00-xyz-" + sp + "-01"}, ""},
		{"version ff refused", mapHeaders{"traceparent": "ff-" + tr + "-" + sp + "-01"}, mapHeaders{"traceparent": "ff-" + tr + "-" + sp + "-01"}, ""},
		{"uber", mapHeaders{"uber-trace-id": "abc:def:0:1"}, mapHeaders{"uber-trace-id": "abc:" + ns + ":def:1"}, "abc"},
		{"b3 single", mapHeaders{"b3": tr + "-" + sp}, mapHeaders{"b3": tr + "-" + ns + "-" + sp}, tr},
		{"b3 sampling only", mapHeaders{"b3": "1"}, mapHeaders{"b3": "1"}, ""},
		{"b3 multi", mapHeaders{"x-b3-traceid": tr, "x-b3-spanid": sp}, mapHeaders{"x-b3-traceid": tr, "x-b3-spanid": ns, "x-b3-parentspanid": sp}, tr},
		{"none", mapHeaders{"sw8": "1-abc"}, mapHeaders{"sw8": "1-abc"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Propagate(c.in, ns)
			if got != c.wantTrace {
				t.Errorf("trace id %q, want %q", got, c.wantTrace)
			}
			for k, v := range c.want {
				if c.in[k] != v {
					t.Errorf("%s = %q, want %q", k, c.in[k], v)
				}
			}
		})
	}
	if id := NewSpanID(); len(id) != 16 || !isHex(id) || id == NewSpanID() {
		t.Errorf("NewSpanID %q", id)
	}
}
