package loadgen

import (
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestParseResponseHead(t *testing.T) {
	tests := []struct {
		name    string
		head    string
		want    respHead
		wantErr string
	}{
		{name: "content-length", head: "HTTP/1.1 200 OK\r\nContent-Length: 128\r\nServer: x", want: respHead{Status: 200, BodyLen: 128}},
		{name: "case and spaces", head: "HTTP/1.1 200 OK\r\ncontent-LENGTH:  42 ", want: respHead{Status: 200, BodyLen: 42}},
		{name: "chunked", head: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked", want: respHead{Status: 200, BodyLen: bodyChunked}},
		{name: "chunked wins over length", head: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: gzip, chunked", want: respHead{Status: 200, BodyLen: bodyChunked}},
		{name: "until close", head: "HTTP/1.1 200 OK\r\nServer: x", want: respHead{Status: 200, BodyLen: bodyUntilClose, Close: true}},
		{name: "connection close", head: "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close", want: respHead{Status: 502, Close: true}},
		{name: "http/1.0 keep-alive", head: "HTTP/1.0 200 OK\r\nContent-Length: 1\r\nConnection: keep-alive", want: respHead{Status: 200, BodyLen: 1}},
		{name: "http/1.0 closes", head: "HTTP/1.0 200 OK\r\nContent-Length: 1", want: respHead{Status: 200, BodyLen: 1, Close: true}},
		{name: "no reason", head: "HTTP/1.1 204\r\nX: y", want: respHead{Status: 204}},
		{name: "304 has no body", head: "HTTP/1.1 304 Not Modified\r\nContent-Length: 10", want: respHead{Status: 304}},
		{name: "100 continue", head: "HTTP/1.1 100 Continue", want: respHead{Status: 100}},
		{name: "garbage", head: "SSH-2.0-OpenSSH", wantErr: "malformed status line"},
		{name: "bad code", head: "HTTP/1.1 2x0 OK", wantErr: "malformed status line"},
		{name: "long code", head: "HTTP/1.1 2000 OK", wantErr: "malformed status line"},
		{name: "bad header", head: "HTTP/1.1 200 OK\r\nnocolon", wantErr: "malformed header line"},
		{name: "bad length", head: "HTTP/1.1 200 OK\r\nContent-Length: -1", wantErr: "bad Content-Length"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseResponseHead([]byte(tt.head))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("parseResponseHead = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

// TestRespReader reads a stream of responses of every framing, one byte
// per Read, so every boundary falls inside a read somewhere.
func TestRespReader(t *testing.T) {
	stream := "HTTP/1.1 100 Continue\r\n\r\n" +
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello" +
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\n" +
		"HTTP/1.1 204 No Content\r\n\r\n" +
		"HTTP/1.1 200 OK\r\nContent-Length: 20000\r\n\r\n" + strings.Repeat("z", 20000) +
		"HTTP/1.1 200 OK\r\n\r\nuntil the end"
	want := []respHead{
		{Status: 200, BodyLen: 5},
		{Status: 200, BodyLen: bodyChunked},
		{Status: 204},
		{Status: 200, BodyLen: 20000},
		{Status: 200, BodyLen: bodyUntilClose, Close: true},
	}
	for _, r := range []struct {
		name string
		r    io.Reader
	}{
		{"whole", strings.NewReader(stream)},
		{"one byte", iotest.OneByteReader(strings.NewReader(stream))},
	} {
		t.Run(r.name, func(t *testing.T) {
			rr := newRespReader(r.r)
			for i, w := range want {
				got, err := rr.Next()
				if err != nil || got != w {
					t.Fatalf("response %d = %+v, %v; want %+v", i, got, err, w)
				}
			}
			if _, err := rr.Next(); err != io.EOF {
				t.Errorf("after the last response: %v, want EOF", err)
			}
		})
	}
}

func TestRespReaderErrors(t *testing.T) {
	tests := []struct {
		name, in, wantErr string
	}{
		{name: "truncated body", in: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", wantErr: "EOF"},
		{name: "bad chunk", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", wantErr: "bad chunk size"},
		{name: "huge head", in: "HTTP/1.1 200 OK\r\nX: " + strings.Repeat("a", 70000), wantErr: "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newRespReader(strings.NewReader(tt.in)).Next()
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %v, want containing %q", err, tt.wantErr)
			}
		})
	}
}
