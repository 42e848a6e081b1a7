package http1

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http/httputil"
	"strings"
	"testing"
	"unsafe"
)

// The seed corpora live in testdata/fuzz/<FuzzName>/ and run as ordinary
// tests. Run a fuzzer with, for example:
//
//	go test -run X -fuzz FuzzParseRequest -fuzztime 30s ./protocol/http1

var fuzzLimits = []Limits{{}, {MaxHeaderBytes: 200, MaxHeaders: 4, MaxChunkLineBytes: 16}}

// splitPoints returns the prefix lengths worth checking: all of them for
// short inputs, a spread (plus those around n) for long ones.
func splitPoints(size, n int) []int {
	if size <= 300 {
		ks := make([]int, size)
		for k := range ks {
			ks[k] = k
		}
		return ks
	}
	var ks []int
	for k := 0; k < size; k += size/64 + 1 {
		ks = append(ks, k)
	}
	for k := n - 2; k <= n+1; k++ {
		if k >= 0 && k < size {
			ks = append(ks, k)
		}
	}
	return ks
}

func summarizeRequest(h *RequestHead) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%q %q 1.%d host=%q cl=%d chunked=%v ka=%v up=%v exp=%v\n",
		h.Method, h.URI, h.Minor, h.Host, h.ContentLength, h.Chunked, h.KeepAlive, h.Upgrade, h.Expect100)
	for _, f := range h.Headers {
		fmt.Fprintf(&sb, "%q: %q\n", f.Name, f.Value)
	}
	for _, t := range h.ConnectionTokens {
		fmt.Fprintf(&sb, "tok %q\n", t)
	}
	return sb.String()
}

func summarizeResponse(h *ResponseHead) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "1.%d %d %q cl=%d chunked=%v ka=%v up=%v conflict=%v\n",
		h.Minor, h.Status, h.Reason, h.ContentLength, h.Chunked, h.KeepAlive, h.Upgrade, h.ConflictingFraming)
	for _, f := range h.Headers {
		fmt.Fprintf(&sb, "%q: %q\n", f.Name, f.Value)
	}
	for _, t := range h.ConnectionTokens {
		fmt.Fprintf(&sb, "tok %q\n", t)
	}
	return sb.String()
}

// checkFields verifies what every accepted field must satisfy and that
// it aliases buf[:n].
func checkFields(t *testing.T, buf []byte, n int, hs []Header) {
	t.Helper()
	for _, f := range hs {
		if len(f.Name) == 0 {
			t.Fatalf("empty name accepted")
		}
		for _, c := range f.Name {
			if charClass[c]&cToken == 0 {
				t.Fatalf("name %q has non-token byte", f.Name)
			}
		}
		for _, c := range f.Value {
			if charClass[c]&cValue == 0 {
				t.Fatalf("value %q has CTL", f.Value)
			}
		}
		if len(f.Value) > 0 && (isOWS(f.Value[0]) || isOWS(f.Value[len(f.Value)-1])) {
			t.Fatalf("value %q not trimmed", f.Value)
		}
		if !within(buf[:n], f.Name) || !within(buf[:n], f.Value) {
			t.Fatalf("field %q: %q does not alias the head", f.Name, f.Value)
		}
	}
	if !bytes.HasSuffix(buf[:n], []byte("\r\n\r\n")) {
		t.Fatalf("head %q does not end in CRLF CRLF", buf[:n])
	}
}

func within(buf, s []byte) bool {
	if len(s) == 0 {
		return true
	}
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(s)))
	return p >= lo && p+uintptr(len(s)) <= lo+uintptr(len(buf))
}

func FuzzParseRequest(f *testing.F) {
	f.Add([]byte(typicalRequest))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, lim := range fuzzLimits {
			var h RequestHead
			n, err := ParseRequest(data, &h, lim)
			if n < 0 || n > len(data) || (n > 0 && err != nil) {
				t.Fatalf("ParseRequest = %d, %v for %d bytes", n, err, len(data))
			}
			var pe *Error
			if err != nil && (!errors.As(err, &pe) || pe.Status < 400) {
				t.Fatalf("error %v is not an *Error with a 4xx/5xx status", err)
			}
			var whole string
			if n > 0 {
				checkFields(t, data, n, h.Headers)
				if n > lim.headerBytes() {
					t.Fatalf("head of %d bytes over the limit", n)
				}
				if len(h.Headers) > lim.headers() {
					t.Fatalf("%d headers over the limit", len(h.Headers))
				}
				if kind, _ := h.Body(); (kind == ChunkedBody) != h.Chunked || kind == UntilClose {
					t.Fatalf("Body() = %v with chunked=%v", kind, h.Chunked)
				}
				if h.Chunked && h.ContentLength >= 0 {
					t.Fatal("chunked request with a Content-Length accepted")
				}
				whole = summarizeRequest(&h)
				if h.Minor == 1 {
					roundTripRequest(t, &h, whole)
				}
			}
			for _, k := range splitPoints(len(data), n) {
				m, e := ParseRequest(data[:k], &h, lim)
				switch {
				case n > 0 && k >= n:
					if m != n || e != nil || summarizeRequest(&h) != whole {
						t.Fatalf("prefix %d of %d: %d, %v; whole %d", k, len(data), m, e, n)
					}
				case m != 0 || (e != nil && e != err):
					t.Fatalf("prefix %d of %d: %d, %v; whole %d, %v", k, len(data), m, e, n, err)
				}
			}
		}
	})
}

// roundTripRequest writes h back out with the append helpers and checks
// the result parses to the same head.
func roundTripRequest(t *testing.T, h *RequestHead, want string) {
	t.Helper()
	out := AppendRequestLine(nil, h.Method, h.URI)
	for _, f := range h.Headers {
		out = AppendHeader(out, f.Name, f.Value)
	}
	out = append(out, "\r\n"...)
	var h2 RequestHead
	n, err := ParseRequest(out, &h2, Limits{MaxHeaderBytes: 1 << 20, MaxHeaders: 1 << 20})
	if n != len(out) || err != nil {
		t.Fatalf("rewritten head %q: %d, %v", out, n, err)
	}
	if got := summarizeRequest(&h2); got != want {
		t.Fatalf("rewritten head parses differently:\n%s\nwant\n%s", got, want)
	}
}

func FuzzParseResponse(f *testing.F) {
	f.Add([]byte(typicalResponse))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, lim := range fuzzLimits {
			var h ResponseHead
			n, err := ParseResponse(data, &h, lim)
			if n < 0 || n > len(data) || (n > 0 && err != nil) {
				t.Fatalf("ParseResponse = %d, %v for %d bytes", n, err, len(data))
			}
			var pe *Error
			if err != nil && (!errors.As(err, &pe) || pe.Status != 502) {
				t.Fatalf("error %v is not an *Error with status 502", err)
			}
			var whole string
			if n > 0 {
				checkFields(t, data, n, h.Headers)
				if h.Status < 100 || h.Status > 599 || h.Minor > 1 {
					t.Fatalf("status line 1.%d %d accepted", h.Minor, h.Status)
				}
				if h.Chunked && h.ContentLength >= 0 {
					t.Fatal("Content-Length kept beside chunked")
				}
				if h.ConflictingFraming && h.KeepAlive {
					t.Fatal("conflicting framing kept alive")
				}
				whole = summarizeResponse(&h)
				if len(h.Reason) > 0 && h.Minor == 1 {
					out := AppendStatusLine(nil, h.Status, h.Reason)
					for _, f := range h.Headers {
						out = AppendHeader(out, f.Name, f.Value)
					}
					out = append(out, "\r\n"...)
					var h2 ResponseHead
					if m, e := ParseResponse(out, &h2, Limits{MaxHeaderBytes: 1 << 20, MaxHeaders: 1 << 20}); m != len(out) || e != nil {
						t.Fatalf("rewritten head %q: %d, %v", out, m, e)
					}
					if got := summarizeResponse(&h2); got != whole {
						t.Fatalf("rewritten head parses differently:\n%s\nwant\n%s", got, whole)
					}
				}
			}
			for _, k := range splitPoints(len(data), n) {
				m, e := ParseResponse(data[:k], &h, lim)
				switch {
				case n > 0 && k >= n:
					if m != n || e != nil || summarizeResponse(&h) != whole {
						t.Fatalf("prefix %d of %d: %d, %v; whole %d", k, len(data), m, e, n)
					}
				case m != 0 || (e != nil && e != err):
					t.Fatalf("prefix %d of %d: %d, %v; whole %d, %v", k, len(data), m, e, n, err)
				}
			}
		}
	})
}

func FuzzChunked(f *testing.F) {
	f.Add([]byte("5\r\nhello\r\n0\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, lim := range fuzzLimits {
			n, done, body, err := scanAll(data, 0, lim, false)
			if n < 0 || n > len(data) || (done && err != nil) {
				t.Fatalf("Scan = %d, %v, %v", n, done, err)
			}
			if err != nil {
				if _, ok := err.(*Error); !ok {
					t.Fatalf("error %T", err)
				}
			}
			if !done && err == nil && n != len(data) {
				t.Fatalf("not done but consumed %d of %d", n, len(data))
			}
			// Any split gives the same answer: one byte at a time, and
			// pieces of a size taken from the input.
			steps := []int{1}
			if len(data) > 0 {
				steps = append(steps, int(data[0]%13)+2)
			}
			for _, step := range steps {
				n2, done2, body2, err2 := scanAll(data, step, lim, false)
				if n2 != n || done2 != done || body2 != body || err2 != err {
					t.Fatalf("step %d: %d %v %q %v; whole %d %v %q %v", step, n2, done2, body2, err2, n, done, body, err)
				}
			}
			if done {
				if !bytes.HasSuffix(data[:n], []byte("\r\n\r\n")) && !bytes.HasSuffix(data[:n], []byte("\r\n")) {
					t.Fatalf("body %q does not end in CRLF", data[:n])
				}
				// Whatever we accept, net/http's chunked reader reads to
				// the same data.
				// Known differences, where net/http is stricter: it does not
				// allow the BWS before ";" of RFC 9112 section 7.1.1 (a
				// recipient "MUST parse for such bad whitespace"), counts
				// its 4 KiB line limit differently and caps the
				// extension-to-data ratio.
				got, err := io.ReadAll(httputil.NewChunkedReader(bytes.NewReader(data[:n])))
				if err != nil && !strings.Contains(err.Error(), "too long") && !strings.Contains(err.Error(), "too much non-data") &&
					!(strings.Contains(err.Error(), "invalid byte in chunk length") && bytes.ContainsAny(data[:n], " \t")) {
					t.Fatalf("accepted body %q rejected by net/http: %v", data[:n], err)
				}
				if err == nil && string(got) != body {
					t.Fatalf("net/http decodes %q, we saw %q", got, body)
				}
			}
		}
	})
}
