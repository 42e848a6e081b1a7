package http1

import (
	"errors"
	"strings"
	"testing"
)

const typicalRequest = "GET /index.html?q=go&lang=en HTTP/1.1\r\n" +
	"Host: www.example.com\r\n" +
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n" +
	"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n" +
	"Accept-Language: en-US,en;q=0.5\r\n" +
	"Accept-Encoding: gzip, deflate, br, zstd\r\n" +
	"Connection: keep-alive\r\n" +
	"Cookie: session=0123456789abcdef; theme=dark; _ga=GA1.2.1234567890.1700000000\r\n" +
	"Upgrade-Insecure-Requests: 1\r\n" +
	"Sec-Fetch-Dest: document\r\n" +
	"Sec-Fetch-Mode: navigate\r\n" +
	"\r\n"

func TestParseRequestGood(t *testing.T) {
	type want struct {
		method, uri string
		minor       int
		headers     []string // "name=value"
		host        string
		cl          int64
		chunked     bool
		keepAlive   bool
		upgrade     bool
		expect100   bool
		tokens      []string
		extra       int // bytes after the head
	}
	tests := []struct {
		name string
		in   string
		want want
	}{
		{
			name: "minimal 1.1",
			in:   "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
			want: want{method: "GET", uri: "/", minor: 1, headers: []string{"Host=a"}, host: "a", cl: -1, keepAlive: true},
		},
		{
			name: "1.0 without host closes",
			in:   "GET /x HTTP/1.0\r\n\r\n",
			want: want{method: "GET", uri: "/x", cl: -1},
		},
		{
			name: "1.0 keep-alive",
			in:   "GET / HTTP/1.0\r\nconnection: Keep-Alive\r\n\r\n",
			want: want{method: "GET", uri: "/", headers: []string{"connection=Keep-Alive"}, cl: -1, keepAlive: true, tokens: []string{"Keep-Alive"}},
		},
		{
			name: "1.1 close among tokens",
			in:   "GET / HTTP/1.1\r\nHost: a\r\nConnection: X-Foo, , close\r\nX-Foo: 1\r\n\r\n",
			want: want{method: "GET", uri: "/", minor: 1, headers: []string{"Host=a", "Connection=X-Foo, , close", "X-Foo=1"}, host: "a", cl: -1, tokens: []string{"X-Foo", "close"}},
		},
		{
			name: "header casings and OWS",
			in:   "POST /up HTTP/1.1\r\nhOsT:\texample.com:8080 \r\nCONTENT-length:   12\t\r\nX-Empty:\r\nX-Tab: a\tb\r\n\r\n",
			want: want{method: "POST", uri: "/up", minor: 1, headers: []string{"hOsT=example.com:8080", "CONTENT-length=12", "X-Empty=", "X-Tab=a\tb"}, host: "example.com:8080", cl: 12, keepAlive: true},
		},
		{
			name: "identical content-length list and repeat",
			in:   "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5,5\r\nContent-Length: 5\r\n\r\n",
			want: want{method: "POST", uri: "/", minor: 1, headers: []string{"Host=a", "Content-Length=5, 5,5", "Content-Length=5"}, host: "a", cl: 5, keepAlive: true},
		},
		{
			name: "max int64 content-length",
			in:   "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9223372036854775807\r\n\r\n",
			want: want{method: "POST", uri: "/", minor: 1, headers: []string{"Host=a", "Content-Length=9223372036854775807"}, host: "a", cl: 1<<63 - 1, keepAlive: true},
		},
		{
			name: "chunked any case with empty list elements",
			in:   "POST / HTTP/1.1\r\nHost: a\r\ntransfer-ENCODING: , CHUNKED ,\r\n\r\n",
			want: want{method: "POST", uri: "/", minor: 1, headers: []string{"Host=a", "transfer-ENCODING=, CHUNKED ,"}, host: "a", cl: -1, chunked: true, keepAlive: true},
		},
		{
			name: "upgrade websocket",
			in:   "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
			want: want{method: "GET", uri: "/ws", minor: 1, headers: []string{"Host=a", "Connection=Upgrade", "Upgrade=websocket"}, host: "a", cl: -1, keepAlive: true, upgrade: true, tokens: []string{"Upgrade"}},
		},
		{
			name: "upgrade header without connection option",
			in:   "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n",
			want: want{method: "GET", uri: "/ws", minor: 1, headers: []string{"Host=a", "Upgrade=websocket"}, host: "a", cl: -1, keepAlive: true},
		},
		{
			name: "expect 100-continue",
			in:   "PUT /f HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\nabc",
			want: want{method: "PUT", uri: "/f", minor: 1, headers: []string{"Host=a", "Expect=100-Continue", "Content-Length=3"}, host: "a", cl: 3, keepAlive: true, expect100: true, extra: 3},
		},
		{
			name: "expect ignored in 1.0",
			in:   "PUT /f HTTP/1.0\r\nExpect: 100-continue\r\n\r\n",
			want: want{method: "PUT", uri: "/f", headers: []string{"Expect=100-continue"}, cl: -1},
		},
		{
			name: "leading empty lines skipped",
			in:   "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
			want: want{method: "GET", uri: "/", minor: 1, headers: []string{"Host=a"}, host: "a", cl: -1, keepAlive: true},
		},
		{
			name: "absolute-form, authority-form and asterisk targets",
			in:   "OPTIONS * HTTP/1.1\r\nHost: [::1]:80\r\n\r\n",
			want: want{method: "OPTIONS", uri: "*", minor: 1, headers: []string{"Host=[::1]:80"}, host: "[::1]:80", cl: -1, keepAlive: true},
		},
		{
			name: "empty host is valid",
			in:   "CONNECT example.com:443 HTTP/1.1\r\nHost:\r\n\r\n",
			want: want{method: "CONNECT", uri: "example.com:443", minor: 1, headers: []string{"Host="}, host: "", cl: -1, keepAlive: true},
		},
		{
			name: "obs-text in value and target",
			in:   "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\nX: \xff\x80\r\n\r\n",
			want: want{method: "GET", uri: "/caf\xc3\xa9", minor: 1, headers: []string{"Host=a", "X=\xff\x80"}, host: "a", cl: -1, keepAlive: true},
		},
		{
			name: "extension method",
			in:   "M-SEARCH! * HTTP/1.1\r\nHost: a\r\n\r\n",
			want: want{method: "M-SEARCH!", uri: "*", minor: 1, headers: []string{"Host=a"}, host: "a", cl: -1, keepAlive: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h RequestHead
			n, err := ParseRequest([]byte(tt.in), &h, Limits{})
			if err != nil {
				t.Fatalf("ParseRequest: %v", err)
			}
			w := tt.want
			if n != len(tt.in)-w.extra {
				t.Fatalf("n = %d, want %d", n, len(tt.in)-w.extra)
			}
			if string(h.Method) != w.method || string(h.URI) != w.uri || h.Minor != w.minor {
				t.Errorf("line = %q %q 1.%d, want %q %q 1.%d", h.Method, h.URI, h.Minor, w.method, w.uri, w.minor)
			}
			if got := headerStrings(h.Headers); strings.Join(got, "|") != strings.Join(w.headers, "|") {
				t.Errorf("headers = %q, want %q", got, w.headers)
			}
			if string(h.Host) != w.host || (w.host == "" && !hasHost(tt.in) && h.Host != nil) {
				t.Errorf("Host = %q, want %q", h.Host, w.host)
			}
			if h.ContentLength != w.cl || h.Chunked != w.chunked || h.KeepAlive != w.keepAlive ||
				h.Upgrade != w.upgrade || h.Expect100 != w.expect100 {
				t.Errorf("cl=%d chunked=%v keepAlive=%v upgrade=%v expect100=%v, want %d %v %v %v %v",
					h.ContentLength, h.Chunked, h.KeepAlive, h.Upgrade, h.Expect100,
					w.cl, w.chunked, w.keepAlive, w.upgrade, w.expect100)
			}
			var toks []string
			for _, tok := range h.ConnectionTokens {
				toks = append(toks, string(tok))
			}
			if strings.Join(toks, "|") != strings.Join(w.tokens, "|") {
				t.Errorf("tokens = %q, want %q", toks, w.tokens)
			}
		})
	}
}

func hasHost(s string) bool { return strings.Contains(strings.ToLower(s), "\nhost:") }

func headerStrings(hs []Header) []string {
	var out []string
	for _, f := range hs {
		out = append(out, string(f.Name)+"="+string(f.Value))
	}
	return out
}

func TestParseRequestBad(t *testing.T) {
	const line = "GET / HTTP/1.1\r\n"
	const host = "Host: a\r\n"
	tests := []struct {
		name   string
		in     string
		lim    Limits
		err    *Error
		status int
	}{
		// limits
		{"head too large, incomplete", line + host + "X: " + strings.Repeat("a", 70<<10), Limits{}, ErrHeaderTooLarge, 431},
		{"head too large, complete", line + host + "X: 0123456789\r\n\r\n", Limits{MaxHeaderBytes: 40}, ErrHeaderTooLarge, 431},
		{"request line alone too large", "GET /" + strings.Repeat("a", 100), Limits{MaxHeaderBytes: 64}, ErrHeaderTooLarge, 431},
		{"too many headers", line + host + "A: 1\r\nB: 2\r\n\r\n", Limits{MaxHeaders: 2}, ErrTooManyHeaders, 431},
		{"too many headers default", line + host + strings.Repeat("X: y\r\n", 100) + "\r\n", Limits{}, ErrTooManyHeaders, 431},

		// line endings
		{"bare LF after request line", "GET / HTTP/1.1\nHost: a\r\n\r\n", Limits{}, ErrBareLF, 400},
		{"bare LF after header", line + "Host: a\n\r\n", Limits{}, ErrBareLF, 400},
		{"bare LF ends head", line + host + "\n", Limits{}, ErrBareLF, 400},
		{"bare LF in name", line + "Host\n", Limits{}, ErrBareLF, 400},
		{"bare LF leading line", "\nGET / HTTP/1.1\r\n", Limits{}, ErrBareLF, 400},
		{"bare CR in request line", "GET / HTTP/1.1\rX", Limits{}, ErrBareCR, 400},
		{"bare CR in value", line + "X: a\rb\r\n\r\n", Limits{}, ErrBareCR, 400},
		{"bare CR ends head", line + host + "\rX", Limits{}, ErrBareCR, 400},

		// field syntax
		{"obs-fold", line + host + "X: a\r\n b\r\n\r\n", Limits{}, ErrObsFold, 400},
		{"obs-fold tab", line + host + "X: a\r\n\tb\r\n\r\n", Limits{}, ErrObsFold, 400},
		{"whitespace before first field", line + " Host: a\r\n\r\n", Limits{}, ErrObsFold, 400},
		{"space before colon", line + "Host : a\r\n\r\n", Limits{}, ErrSpaceBeforeColon, 400},
		{"tab before colon", line + "Host\t: a\r\n\r\n", Limits{}, ErrSpaceBeforeColon, 400},
		{"empty field name", line + ": a\r\n\r\n", Limits{}, ErrEmptyHeaderName, 400},
		{"no colon", line + "Host\r\n\r\n", Limits{}, ErrInvalidHeaderName, 400},
		{"bad name char", line + "Ho(st: a\r\n\r\n", Limits{}, ErrInvalidHeaderName, 400},
		{"non-ASCII name", line + "H\xc3\xb6: a\r\n\r\n", Limits{}, ErrInvalidHeaderName, 400},
		{"NUL in name", line + "X\x00: a\r\n\r\n", Limits{}, ErrInvalidHeaderName, 400},
		{"NUL in value", line + "X: a\x00b\r\n\r\n", Limits{}, ErrInvalidHeaderValue, 400},
		{"DEL in value", line + "X: a\x7fb\r\n\r\n", Limits{}, ErrInvalidHeaderValue, 400},
		{"CTL in value", line + "X: \x01\r\n\r\n", Limits{}, ErrInvalidHeaderValue, 400},

		// request line
		{"bad method char", "G(T / HTTP/1.1\r\n", Limits{}, ErrInvalidMethod, 400},
		{"empty method", " / HTTP/1.1\r\n", Limits{}, ErrInvalidMethod, 400},
		{"TLS handshake", "\x16\x03\x01\x02\x00\x01\x00\x01", Limits{}, ErrInvalidMethod, 400},
		{"method alone", "GET\r\n", Limits{}, ErrMalformedRequestLine, 400},
		{"tab after method", "GET\t/ HTTP/1.1\r\n", Limits{}, ErrMalformedRequestLine, 400},
		{"double space", "GET  / HTTP/1.1\r\n", Limits{}, ErrInvalidRequestTarget, 400},
		{"empty target", "GET  HTTP/1.1\r\n", Limits{}, ErrInvalidRequestTarget, 400},
		{"CTL in target", "GET /a\x01b HTTP/1.1\r\n", Limits{}, ErrInvalidRequestTarget, 400},
		{"tab in target", "GET /a\tb HTTP/1.1\r\n", Limits{}, ErrInvalidRequestTarget, 400},
		{"HTTP/0.9", "GET /\r\n", Limits{}, ErrMalformedRequestLine, 400},
		{"trailing space", "GET / HTTP/1.1 \r\n", Limits{}, ErrMalformedRequestLine, 400},
		{"lowercase version", "GET / http/1.1\r\n", Limits{}, ErrMalformedVersion, 400},
		{"short version", "GET / HTTP/1\r\n", Limits{}, ErrMalformedVersion, 400},
		{"two-digit minor", "GET / HTTP/1.10\r\n", Limits{}, ErrMalformedVersion, 400},
		{"HTTP/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", Limits{}, ErrVersionNotSupported, 505},
		{"HTTP/1.2", "GET / HTTP/1.2\r\n", Limits{}, ErrVersionNotSupported, 505},
		{"HTTP/0.9 version", "GET / HTTP/0.9\r\n", Limits{}, ErrVersionNotSupported, 505},

		// Content-Length
		{"CL not a number", line + host + "Content-Length: abc\r\n\r\n", Limits{}, ErrInvalidContentLength, 400},
		{"CL negative", line + host + "Content-Length: -1\r\n\r\n", Limits{}, ErrInvalidContentLength, 400},
		{"CL plus sign", line + host + "Content-Length: +1\r\n\r\n", Limits{}, ErrInvalidContentLength, 400},
		{"CL empty", line + host + "Content-Length:\r\n\r\n", Limits{}, ErrInvalidContentLength, 400},
		{"CL inner space", line + host + "Content-Length: 1 2\r\n\r\n", Limits{}, ErrInvalidContentLength, 400},
		{"CL hex", line + host + "Content-Length: 0x10\r\n\r\n", Limits{}, ErrInvalidContentLength, 400},
		{"CL overflow", line + host + "Content-Length: 9223372036854775808\r\n\r\n", Limits{}, ErrInvalidContentLength, 400},
		{"CL trailing comma", line + host + "Content-Length: 5,\r\n\r\n", Limits{}, ErrInvalidContentLength, 400},
		{"CL empty second field", line + host + "Content-Length: 5\r\nContent-Length:\r\n\r\n", Limits{}, ErrInvalidContentLength, 400},
		{"CL differing list", line + host + "Content-Length: 5, 6\r\n\r\n", Limits{}, ErrConflictingContentLength, 400},
		{"CL differing fields", line + host + "Content-Length: 5\r\ncontent-length: 6\r\n\r\n", Limits{}, ErrConflictingContentLength, 400},

		// Transfer-Encoding
		{"CL and TE", line + host + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", Limits{}, ErrContentLengthWithTransferEncoding, 400},
		{"TE and bad CL", line + host + "Transfer-Encoding: chunked\r\nContent-Length: x\r\n\r\n", Limits{}, ErrContentLengthWithTransferEncoding, 400},
		{"TE not chunked", line + host + "Transfer-Encoding: gzip\r\n\r\n", Limits{}, ErrChunkedNotFinal, 400},
		{"TE chunked not final", line + host + "Transfer-Encoding: chunked, gzip\r\n\r\n", Limits{}, ErrChunkedNotFinal, 400},
		{"TE chunked twice", line + host + "Transfer-Encoding: chunked, chunked\r\n\r\n", Limits{}, ErrChunkedNotFinal, 400},
		{"TE chunked twice in two fields", line + host + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", Limits{}, ErrChunkedNotFinal, 400},
		{"TE chunked then gzip field", line + host + "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n", Limits{}, ErrChunkedNotFinal, 400},
		{"TE empty", line + host + "Transfer-Encoding: \r\n\r\n", Limits{}, ErrChunkedNotFinal, 400},
		{"TE chunked with parameter", line + host + "Transfer-Encoding: chunked;q=1\r\n\r\n", Limits{}, ErrChunkedNotFinal, 400},
		{"TE unknown coding before chunked", line + host + "Transfer-Encoding: gzip, chunked\r\n\r\n", Limits{}, ErrUnsupportedTransferCoding, 501},
		{"TE in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", Limits{}, ErrTransferEncodingHTTP10, 400},

		// Connection
		{"too many connection options", line + host + "Connection: " + strings.Repeat("a, ", 101) + "\r\n\r\n", Limits{}, ErrTooManyConnectionOptions, 400},
		{"connection options over a small limit", line + host + "Connection: a\r\nConnection: b, c, d\r\n\r\n", Limits{MaxHeaders: 3}, ErrTooManyConnectionOptions, 400},

		// Host
		{"missing host", line + "X: a\r\n\r\n", Limits{}, ErrMissingHost, 400},
		{"two hosts", line + host + "host: b\r\n\r\n", Limits{}, ErrMultipleHost, 400},
		{"two hosts in 1.0", "GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n", Limits{}, ErrMultipleHost, 400},
		{"host with space", line + "Host: a b\r\n\r\n", Limits{}, ErrInvalidHost, 400},
		{"host with slash", line + "Host: a/b\r\n\r\n", Limits{}, ErrInvalidHost, 400},
		{"host with userinfo", line + "Host: u@a\r\n\r\n", Limits{}, ErrInvalidHost, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h RequestHead
			n, err := ParseRequest([]byte(tt.in), &h, tt.lim)
			if n != 0 || err == nil {
				t.Fatalf("ParseRequest = %d, %v; want error %v", n, err, tt.err)
			}
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			var pe *Error
			if !errors.As(err, &pe) || pe.StatusCode() != tt.status {
				t.Fatalf("status = %d, want %d", pe.StatusCode(), tt.status)
			}
			if got := err.Error(); got != "http1: "+tt.err.Reason {
				t.Fatalf("Error() = %q", got)
			}
		})
	}
}

func TestParseRequestLimitBoundary(t *testing.T) {
	in := "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n"
	var h RequestHead
	if n, err := ParseRequest([]byte(in), &h, Limits{MaxHeaderBytes: len(in), MaxHeaders: 3}); n != len(in) || err != nil {
		t.Fatalf("head of exactly the limits: %d, %v", n, err)
	}
	// As many Connection options as the field limit allows.
	co := "GET / HTTP/1.1\r\nHost: a\r\nConnection: a, b\r\n\r\n"
	if n, err := ParseRequest([]byte(co), &h, Limits{MaxHeaders: 2}); n != len(co) || err != nil {
		t.Fatalf("connection options at the limit: %d, %v", n, err)
	}
	// One byte short of the limit and incomplete: more is needed.
	if n, err := ParseRequest([]byte(in[:len(in)-1]), &h, Limits{MaxHeaderBytes: len(in)}); n != 0 || err != nil {
		t.Fatalf("incomplete below the limit: %d, %v", n, err)
	}
	// The limit reached without completing the head.
	if _, err := ParseRequest([]byte(in[:len(in)-1]), &h, Limits{MaxHeaderBytes: len(in) - 1}); err != ErrHeaderTooLarge {
		t.Fatalf("incomplete at the limit: %v", err)
	}
	// A limit that cuts the head short is an error even with the rest in buf.
	if _, err := ParseRequest([]byte(in+"GET"), &h, Limits{MaxHeaderBytes: len(in) - 1}); err != ErrHeaderTooLarge {
		t.Fatalf("complete beyond the limit: %v", err)
	}
}

func TestParseRequestIncremental(t *testing.T) {
	inputs := []string{
		typicalRequest,
		"\r\nPOST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nX:  \r\n\r\n",
		"GET / HTTP/1.0\r\n\r\n",
	}
	for _, in := range inputs {
		var h RequestHead
		for k := 0; k < len(in); k++ {
			n, err := ParseRequest([]byte(in[:k]), &h, Limits{})
			if n != 0 || err != nil {
				t.Fatalf("prefix %q: %d, %v; want 0, nil", in[:k], n, err)
			}
		}
		n, err := ParseRequest([]byte(in), &h, Limits{})
		if n != len(in) || err != nil {
			t.Fatalf("whole %q: %d, %v", in, n, err)
		}
	}
}

func TestParseRequestPipelined(t *testing.T) {
	first := "POST /one HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n"
	second := "GET /two HTTP/1.1\r\nHost: b\r\n\r\n"
	buf := []byte(first + "hello" + second + "GET /thr")
	var h RequestHead
	n, err := ParseRequest(buf, &h, Limits{})
	if err != nil || n != len(first) {
		t.Fatalf("first: %d, %v", n, err)
	}
	kind, size := h.Body()
	if kind != Length || size != 5 || string(h.URI) != "/one" {
		t.Fatalf("first: body %v %d uri %q", kind, size, h.URI)
	}
	buf = buf[n+int(size):]
	n, err = ParseRequest(buf, &h, Limits{})
	if err != nil || n != len(second) || string(h.URI) != "/two" || string(h.Host) != "b" {
		t.Fatalf("second: %d, %v, %q", n, err, h.URI)
	}
	if kind, _ := h.Body(); kind != NoBody {
		t.Fatalf("second: body %v", kind)
	}
	if n, err = ParseRequest(buf[n:], &h, Limits{}); n != 0 || err != nil {
		t.Fatalf("third, incomplete: %d, %v", n, err)
	}
}

func TestRequestBody(t *testing.T) {
	tests := []struct {
		in   string
		kind BodyKind
		size int64
	}{
		{"GET / HTTP/1.1\r\nHost: a\r\n\r\n", NoBody, 0},
		{"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", NoBody, 0},
		{"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 7\r\n\r\n", Length, 7},
		{"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", ChunkedBody, -1},
	}
	for _, tt := range tests {
		var h RequestHead
		if _, err := ParseRequest([]byte(tt.in), &h, Limits{}); err != nil {
			t.Fatal(err)
		}
		if kind, size := h.Body(); kind != tt.kind || size != tt.size {
			t.Errorf("%q: Body() = %v, %d; want %v, %d", tt.in, kind, size, tt.kind, tt.size)
		}
	}
}

func TestRequestHeadReuse(t *testing.T) {
	var h RequestHead
	if _, err := ParseRequest([]byte("POST / HTTP/1.1\r\nHost: a\r\nConnection: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n"), &h, Limits{}); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseRequest([]byte("GET / HTTP/1.0\r\n\r\n"), &h, Limits{}); err != nil {
		t.Fatal(err)
	}
	if h.ContentLength != -1 || h.Expect100 || h.Host != nil || len(h.Headers) != 0 || len(h.ConnectionTokens) != 0 || h.Minor != 0 {
		t.Fatalf("state leaked from previous parse: %+v", h)
	}
}

func TestIsConnectionToken(t *testing.T) {
	var h RequestHead
	in := "GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, X-Secret\r\nConnection: x-other\r\n\r\n"
	if _, err := ParseRequest([]byte(in), &h, Limits{}); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{"x-secret": true, "X-SECRET": true, "X-Other": true, "keep-alive": true, "x-secre": false, "host": false} {
		if got := h.IsConnectionToken([]byte(name)); got != want {
			t.Errorf("IsConnectionToken(%q) = %v, want %v", name, got, want)
		}
	}
}
