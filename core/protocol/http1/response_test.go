package http1

import (
	"errors"
	"strings"
	"testing"
)

const typicalResponse = "HTTP/1.1 200 OK\r\n" +
	"Date: Mon, 27 Jul 2009 12:28:53 GMT\r\n" +
	"Server: Apache/2.4.62 (Unix)\r\n" +
	"Last-Modified: Wed, 22 Jul 2009 19:15:56 GMT\r\n" +
	"ETag: \"34aa387-d-1568eb00\"\r\n" +
	"Accept-Ranges: bytes\r\n" +
	"Content-Length: 51\r\n" +
	"Vary: Accept-Encoding\r\n" +
	"Cache-Control: max-age=3600\r\n" +
	"Content-Type: text/html; charset=utf-8\r\n" +
	"Connection: keep-alive\r\n" +
	"\r\n"

func TestParseResponseGood(t *testing.T) {
	tests := []struct {
		name        string
		in          string
		status      int
		reason      string
		minor       int
		headers     []string
		cl          int64
		chunked     bool
		keepAlive   bool
		upgrade     bool
		conflicting bool
	}{
		{"typical", typicalResponse, 200, "OK", 1, nil, 51, false, true, false, false},
		{"no reason no space", "HTTP/1.1 200\r\n\r\n", 200, "", 1, []string{}, -1, false, true, false, false},
		{"empty reason", "HTTP/1.1 204 \r\n\r\n", 204, "", 1, []string{}, -1, false, true, false, false},
		{"reason with spaces and tab", "HTTP/1.1 404 Not\tFound here\r\n\r\n", 404, "Not\tFound here", 1, []string{}, -1, false, true, false, false},
		{"1.0 keep-alive", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", 200, "OK", 0, []string{"Connection=keep-alive", "Content-Length=0"}, 0, false, true, false, false},
		{"1.0 default close", "HTTP/1.0 200 OK\r\n\r\n", 200, "OK", 0, []string{}, -1, false, false, false, false},
		{"1.1 close", "HTTP/1.1 200 OK\r\nconnection: CLOSE\r\n\r\n", 200, "OK", 1, []string{"connection=CLOSE"}, -1, false, false, false, false},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n", 200, "OK", 1, []string{"Transfer-Encoding=Chunked"}, -1, true, true, false, false},
		{"CL and TE: TE wins", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\nTransfer-Encoding: chunked\r\n\r\n", 200, "OK", 1, nil, -1, true, false, false, true},
		{"bad CL ignored under TE", "HTTP/1.1 200 OK\r\nContent-Length: x\r\nTransfer-Encoding: chunked\r\n\r\n", 200, "OK", 1, nil, -1, true, false, false, true},
		{"space before colon removed", "HTTP/1.1 200 OK\r\nContent-Length \t: 3\r\n\r\n", 200, "OK", 1, []string{"Content-Length=3"}, 3, false, true, false, false},
		{"switching protocols", "HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n", 101, "Switching Protocols", 1, nil, -1, false, true, true, false},
		{"status 599", "HTTP/1.1 599 x\r\n\r\n", 599, "x", 1, []string{}, -1, false, true, false, false},
		{"status 100", "HTTP/1.1 100 Continue\r\n\r\n", 100, "Continue", 1, []string{}, -1, false, true, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h ResponseHead
			n, err := ParseResponse([]byte(tt.in+"next"), &h, Limits{})
			if err != nil || n != len(tt.in) {
				t.Fatalf("ParseResponse = %d, %v; want %d", n, err, len(tt.in))
			}
			if h.Status != tt.status || string(h.Reason) != tt.reason || h.Minor != tt.minor {
				t.Errorf("status line = 1.%d %d %q", h.Minor, h.Status, h.Reason)
			}
			if tt.headers != nil {
				if got := headerStrings(h.Headers); strings.Join(got, "|") != strings.Join(tt.headers, "|") {
					t.Errorf("headers = %q, want %q", got, tt.headers)
				}
			}
			if h.ContentLength != tt.cl || h.Chunked != tt.chunked || h.KeepAlive != tt.keepAlive ||
				h.Upgrade != tt.upgrade || h.ConflictingFraming != tt.conflicting {
				t.Errorf("cl=%d chunked=%v keepAlive=%v upgrade=%v conflicting=%v", h.ContentLength, h.Chunked, h.KeepAlive, h.Upgrade, h.ConflictingFraming)
			}
		})
	}
}

func TestParseResponseBad(t *testing.T) {
	const ok = "HTTP/1.1 200 OK\r\n"
	tests := []struct {
		name string
		in   string
		lim  Limits
		err  *Error
	}{
		{"status too short", "HTTP/1.1 20 OK\r\n\r\n", Limits{}, ErrMalformedStatusLine},
		{"status too long", "HTTP/1.1 2000 OK\r\n\r\n", Limits{}, ErrMalformedStatusLine},
		{"status not digits", "HTTP/1.1 2x0 OK\r\n\r\n", Limits{}, ErrMalformedStatusLine},
		{"status 099", "HTTP/1.1 099 x\r\n\r\n", Limits{}, ErrInvalidStatus},
		{"status 600", "HTTP/1.1 600 x\r\n\r\n", Limits{}, ErrInvalidStatus},
		{"no space after version", "HTTP/1.1\r\n\r\n", Limits{}, ErrMalformedStatusLine},
		{"two spaces", "HTTP/1.1  200 OK\r\n\r\n", Limits{}, ErrMalformedStatusLine},
		{"tab after status", "HTTP/1.1 200\tOK\r\n\r\n", Limits{}, ErrMalformedStatusLine},
		{"CTL in reason", "HTTP/1.1 200 O\x01K\r\n\r\n", Limits{}, ErrMalformedStatusLine},
		{"HTTP/0.9 body", "<html>", Limits{}, ErrMalformedVersion},
		{"HTTP/2.0", "HTTP/2.0 200 OK\r\n\r\n", Limits{}, ErrVersionNotSupported},
		{"bare LF status line", "HTTP/1.1 200 OK\n\r\n", Limits{}, ErrBareLF},
		{"bare LF no reason", "HTTP/1.1 200\n\r\n", Limits{}, ErrBareLF},
		{"bare LF header", ok + "X: a\n\r\n", Limits{}, ErrBareLF},
		{"bare CR", ok + "X: a\rb", Limits{}, ErrBareCR},
		{"obs-fold", ok + "X: a\r\n b\r\n\r\n", Limits{}, ErrObsFold},
		{"empty name", ok + ": a\r\n\r\n", Limits{}, ErrEmptyHeaderName},
		{"space in name", ok + "X Y: a\r\n\r\n", Limits{}, ErrInvalidHeaderName},
		{"CTL in value", ok + "X: \x00\r\n\r\n", Limits{}, ErrInvalidHeaderValue},
		{"bad CL", ok + "Content-Length: -5\r\n\r\n", Limits{}, ErrInvalidContentLength},
		{"conflicting CL", ok + "Content-Length: 5\r\nContent-Length: 7\r\n\r\n", Limits{}, ErrConflictingContentLength},
		{"TE gzip", ok + "Transfer-Encoding: gzip\r\n\r\n", Limits{}, ErrUnsupportedTransferCoding},
		{"TE gzip, chunked", ok + "Transfer-Encoding: gzip, chunked\r\n\r\n", Limits{}, ErrUnsupportedTransferCoding},
		{"TE chunked twice", ok + "Transfer-Encoding: chunked, chunked\r\n\r\n", Limits{}, ErrChunkedNotFinal},
		{"TE in 1.0", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", Limits{}, ErrTransferEncodingHTTP10},
		{"too large", ok + "X: " + strings.Repeat("y", 100), Limits{MaxHeaderBytes: 64}, ErrHeaderTooLarge},
		{"too many connection options", ok + "Connection: a, b\r\n\r\n", Limits{MaxHeaders: 1}, ErrTooManyConnectionOptions},
		{"too many", ok + "A: 1\r\nB: 2\r\n\r\n", Limits{MaxHeaders: 1}, ErrTooManyHeaders},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h ResponseHead
			n, err := ParseResponse([]byte(tt.in), &h, tt.lim)
			if n != 0 || err == nil {
				t.Fatalf("ParseResponse = %d, %v; want error %v", n, err, tt.err)
			}
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			var pe *Error
			if !errors.As(err, &pe) || pe.StatusCode() != 502 {
				t.Fatalf("status = %d, want 502", pe.StatusCode())
			}
			if err.Error() != "http1: "+tt.err.Reason {
				t.Fatalf("Error() = %q", err.Error())
			}
		})
	}
}

func TestParseResponseIncremental(t *testing.T) {
	for _, in := range []string{typicalResponse, "HTTP/1.1 200\r\n\r\n", "HTTP/1.1 304 \r\nETag: x\r\n\r\n"} {
		var h ResponseHead
		for k := 0; k < len(in); k++ {
			if n, err := ParseResponse([]byte(in[:k]), &h, Limits{}); n != 0 || err != nil {
				t.Fatalf("prefix %q: %d, %v", in[:k], n, err)
			}
		}
		if n, err := ParseResponse([]byte(in), &h, Limits{}); n != len(in) || err != nil {
			t.Fatalf("whole: %d, %v", n, err)
		}
	}
}

func TestResponseBody(t *testing.T) {
	tests := []struct {
		in     string
		method string
		kind   BodyKind
		size   int64
	}{
		{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", "GET", Length, 5},
		{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", "HEAD", NoBody, 0},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "HEAD", NoBody, 0},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "GET", ChunkedBody, -1},
		{"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "GET", NoBody, 0},
		{"HTTP/1.1 200 OK\r\n\r\n", "GET", UntilClose, -1},
		{"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", "GET", NoBody, 0},
		{"HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n", "GET", NoBody, 0},
		{"HTTP/1.1 100 Continue\r\n\r\n", "POST", NoBody, 0},
		{"HTTP/1.1 101 Switching Protocols\r\n\r\n", "GET", NoBody, 0},
		{"HTTP/1.1 200 Connection established\r\n\r\n", "CONNECT", Tunnel, -1},
		{"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 2\r\n\r\n", "CONNECT", Length, 2},
	}
	for _, tt := range tests {
		var h ResponseHead
		if _, err := ParseResponse([]byte(tt.in), &h, Limits{}); err != nil {
			t.Fatal(err)
		}
		if kind, size := h.BodyFor([]byte(tt.method)); kind != tt.kind || size != tt.size {
			t.Errorf("%q for %s: BodyFor = %v, %d; want %v, %d", tt.in, tt.method, kind, size, tt.kind, tt.size)
		}
		if tt.method != "CONNECT" {
			if kind, size := h.Body(tt.method == "HEAD"); kind != tt.kind || size != tt.size {
				t.Errorf("%q for %s: Body = %v, %d; want %v, %d", tt.in, tt.method, kind, size, tt.kind, tt.size)
			}
		}
	}
}

func TestResponseConnectionToken(t *testing.T) {
	var h ResponseHead
	if _, err := ParseResponse([]byte("HTTP/1.1 200 OK\r\nConnection: x-a\r\n\r\n"), &h, Limits{}); err != nil {
		t.Fatal(err)
	}
	if !h.IsConnectionToken([]byte("X-A")) || h.IsConnectionToken([]byte("x-b")) {
		t.Fatal("IsConnectionToken")
	}
}
