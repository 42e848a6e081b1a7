package http1

import (
	"strings"
	"testing"
)

func rangeString(m *HeaderMap) string {
	var sb strings.Builder
	m.Range(func(k, v string) bool {
		sb.WriteString(k + "=" + v + "|")
		return true
	})
	return sb.String()
}

func TestHeaderMap(t *testing.T) {
	var h RequestHead
	in := "GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\nx-a: 2\r\nEmpty:\r\nX-B: 3\r\n\r\n"
	if _, err := ParseRequest([]byte(in), &h, Limits{}); err != nil {
		t.Fatal(err)
	}
	m := NewHeaderMap(&h.Headers)

	if v, ok := m.Get("X-a"); !ok || v != "1" {
		t.Fatalf("Get(X-a) = %q, %v", v, ok)
	}
	if v, ok := m.Get("empty"); !ok || v != "" {
		t.Fatalf("Get(empty) = %q, %v", v, ok)
	}
	if _, ok := m.Get("missing"); ok {
		t.Fatal("Get(missing) found")
	}

	m.Set("X-A", "new")
	if got, want := rangeString(m), "Host=a|x-A=new|Empty=|X-B=3|"; got != strings.Replace(want, "x-A", "X-A", 1) {
		t.Fatalf("after Set: %q", got)
	}
	m.Set("X-C", "c")
	m.Add("x-b", "4")
	m.Del("EMPTY")
	if got, want := rangeString(m), "Host=a|X-A=new|X-B=3|X-C=c|x-b=4|"; got != want {
		t.Fatalf("after Set/Add/Del: %q, want %q", got, want)
	}
	// The change is in the RequestHead's slice, ready to be written out.
	if len(h.Headers) != 5 || string(h.Headers[3].Name) != "X-C" {
		t.Fatalf("RequestHead.Headers not updated: %q", headerStrings(h.Headers))
	}
	m.Del("x-B")
	if got, want := rangeString(m), "Host=a|X-A=new|X-C=c|"; got != want {
		t.Fatalf("after Del: %q, want %q", got, want)
	}

	// Range stops when f returns false.
	calls := 0
	m.Range(func(k, v string) bool { calls++; return false })
	if calls != 1 {
		t.Fatalf("Range calls = %d", calls)
	}

	// Values set earlier survive arena growth.
	for i := 0; i < 100; i++ {
		m.Add("X-Fill", strings.Repeat("z", i))
	}
	if v, _ := m.Get("x-a"); v != "new" {
		t.Fatalf("after growth: %q", v)
	}

	// Copies: mutating the caller's data afterwards changes nothing.
	key := []byte("K")
	m.Set(string(key), "v")
	key[0] = 'Q'
	if v, ok := m.Get("k"); !ok || v != "v" {
		t.Fatalf("Get(k) = %q, %v", v, ok)
	}
}

func TestHeaderMapZeroAndOwn(t *testing.T) {
	var m HeaderMap
	if _, ok := m.Get("a"); ok {
		t.Fatal("zero map has a")
	}
	m.Range(func(string, string) bool { t.Fatal("zero map ranged"); return false })
	m.Del("a")
	m.Set("A", "1")
	if v, _ := m.Get("a"); v != "1" || len(m.Headers()) != 1 {
		t.Fatalf("zero map after Set: %q %d", v, len(m.Headers()))
	}
	m.Reset(nil)
	if len(m.Headers()) != 0 {
		t.Fatal("Reset(nil) kept headers")
	}
}

func TestHeaderMapNoAlloc(t *testing.T) {
	hs := make([]Header, 0, 16)
	var m HeaderMap
	// Warm the arena.
	m.Reset(&hs)
	m.Set("X-Request-Id", "0123456789abcdef")
	m.Add("X-Forwarded-For", "10.0.0.1")
	host := Header{Name: []byte("Host"), Value: []byte("a")}
	allocs := testing.AllocsPerRun(100, func() {
		hs = hs[:0]
		m.Reset(&hs)
		hs = append(hs, host) // the parser's work
		m.Set("X-Request-Id", "0123456789abcdef")
		m.Add("X-Forwarded-For", "10.0.0.1")
		if v, ok := m.Get("host"); !ok || v != "a" {
			t.Fatal("Get")
		}
		m.Del("x-forwarded-for")
		m.Range(func(k, v string) bool { return true })
	})
	if allocs != 0 {
		t.Fatalf("HeaderMap allocates %.1f times per stream", allocs)
	}
}
