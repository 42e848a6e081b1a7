package accesslog

import (
	"errors"
	"strings"
	"testing"
)

// FuzzCompile checks that Compile never panics, that its errors are its
// own, and that a compiled format renders safely: text without % comes out
// as written, and values from the wire never add a line.
func FuzzCompile(f *testing.F) {
	// Seeds: testdata/fuzz/FuzzCompile.
	hostile := testEntry()
	hostile.Path = []byte("/a\nb\r\x00%duration%")
	hostile.RequestHeaders = headers("User-Agent", "x\ny", "X-Request-Id", "%%\n")
	hostile.UpstreamCluster = "c\n"
	f.Fuzz(func(t *testing.T, format string) {
		fm, err := Compile(format)
		if err != nil {
			if !errors.Is(err, ErrInvalidFormat) || !strings.HasPrefix(err.Error(), "accesslog: ") {
				t.Fatalf("Compile(%q) error %q: not an accesslog format error", format, err)
			}
			return
		}
		src := format
		if src == "" {
			src = DefaultFormat
		}
		if fm.String() != src {
			t.Fatalf("String() = %q, want %q", fm.String(), src)
		}
		text := strings.TrimSuffix(src, "\n")
		out := fm.Append(nil, hostile)
		if !strings.Contains(text, "%") && string(out) != text {
			t.Fatalf("Compile(%q) renders %q, want the text unchanged", format, out)
		}
		if !strings.Contains(text, "\n") && strings.Contains(string(out), "\n") {
			t.Fatalf("Compile(%q) renders a newline from a value: %q", format, out)
		}
		if got := fm.Append([]byte("prefix"), hostile); string(got) != "prefix"+string(out) {
			t.Fatalf("Append to a prefix gives %q, want %q", got, "prefix"+string(out))
		}
		fm.Append(nil, &Entry{})
	})
}
