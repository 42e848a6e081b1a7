package http1

import (
	"net/http"
	"testing"
)

func TestEqualFold(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"Content-Length", "content-length", true},
		{"HOST", "host", true},
		{"", "", true},
		{"host", "hos", false},
		{"host", "hosT", true},
		{"a", "b", false},
		// Bytes differing only in bit 0x20 that are not letters.
		{"@", "`", false},
		{"[", "{", false},
		{"^", "~", false},
		{"\x00", " ", false},
		{"\xc1", "\xe1", false},
	}
	for _, tt := range tests {
		if got := EqualFold([]byte(tt.a), tt.b); got != tt.want {
			t.Errorf("EqualFold(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestIsHopByHop(t *testing.T) {
	for _, name := range []string{"Connection", "keep-alive", "Proxy-Connection", "TE", "Transfer-Encoding", "upgrade"} {
		if !IsHopByHop([]byte(name)) {
			t.Errorf("IsHopByHop(%q) = false", name)
		}
	}
	for _, name := range []string{"Host", "Trailer", "Proxy-Authorization", "Proxy-Authenticate", "Content-Length", "T", "tex", "Upgrades"} {
		if IsHopByHop([]byte(name)) {
			t.Errorf("IsHopByHop(%q) = true", name)
		}
	}
}

func TestAppend(t *testing.T) {
	buf := AppendRequestLine(nil, []byte("GET"), []byte("/a?b"))
	buf = AppendHeader(buf, []byte("Host"), []byte("example.com"))
	buf = append(buf, "\r\n"...)
	want := "GET /a?b HTTP/1.1\r\nHost: example.com\r\n\r\n"
	if string(buf) != want {
		t.Fatalf("got %q, want %q", buf, want)
	}
	// What we write, we parse.
	var h RequestHead
	if n, err := ParseRequest(buf, &h, Limits{}); n != len(buf) || err != nil {
		t.Fatalf("reparse: %d %v", n, err)
	}

	tests := []struct {
		status int
		reason string
		want   string
	}{
		{200, "", "HTTP/1.1 200 OK\r\n"},
		{404, "Nope", "HTTP/1.1 404 Nope\r\n"},
		{599, "", "HTTP/1.1 599 \r\n"},
		{431, "", "HTTP/1.1 431 Request Header Fields Too Large\r\n"},
		{1000, "x", "HTTP/1.1 1000 x\r\n"},
	}
	for _, tt := range tests {
		if got := string(AppendStatusLine(nil, tt.status, []byte(tt.reason))); got != tt.want {
			t.Errorf("AppendStatusLine(%d, %q) = %q, want %q", tt.status, tt.reason, got, tt.want)
		}
	}
}

func TestStatusTextMatchesNetHTTP(t *testing.T) {
	for code := 100; code < 600; code++ {
		got, want := StatusText(code), http.StatusText(code)
		switch code {
		case 413, 414, 416, 422:
			// RFC 9110 renamed them; net/http keeps the RFC 7231 names.
			if got == "" {
				t.Errorf("StatusText(%d) empty", code)
			}
			continue
		}
		if got != want {
			t.Errorf("StatusText(%d) = %q, net/http says %q", code, got, want)
		}
	}
}

func TestErrorUnwrap(t *testing.T) {
	if ErrObsFold.Unwrap() != nil {
		t.Fatal("request-side sentinel unwraps")
	}
	up := ErrObsFold.forResponse()
	if up.StatusCode() != 502 || up.Unwrap() != ErrObsFold {
		t.Fatalf("response twin: %d %v", up.StatusCode(), up.Unwrap())
	}
	if ErrInvalidStatus.forResponse() != ErrInvalidStatus {
		t.Fatal("502 sentinel has a twin")
	}
}
