package loadgen

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestScanRequest(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    reqFrame
		wantErr string
	}{
		{name: "get", in: "GET /128 HTTP/1.1\r\nHost: x\r\n\r\n", want: reqFrame{HeadLen: 30, Path: []byte("/128")}},
		{name: "pipelined: first only", in: "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n", want: reqFrame{HeadLen: 19, Path: []byte("/a")}},
		{name: "body", in: "POST /up HTTP/1.1\r\ncontent-length: 11\r\n\r\nhello world", want: reqFrame{HeadLen: 41, BodyLen: 11, Path: []byte("/up")}},
		{name: "same length twice", in: "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n", want: reqFrame{HeadLen: 57, BodyLen: 3, Path: []byte("/")}},
		{name: "close", in: "GET / HTTP/1.1\r\nConnection: keep-alive, Close\r\n\r\n", want: reqFrame{HeadLen: 49, Close: true, Path: []byte("/")}},
		{name: "http/1.0", in: "GET / HTTP/1.0\r\n\r\n", want: reqFrame{HeadLen: 18, Close: true, Path: []byte("/")}},
		{name: "http/1.0 keep-alive", in: "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", want: reqFrame{HeadLen: 42, Path: []byte("/")}},
		{name: "leading blank line", in: "\r\nGET / HTTP/1.1\r\n\r\n", want: reqFrame{HeadLen: 20, Path: []byte("/")}},
		{name: "incomplete", in: "GET / HTTP/1.1\r\nHost: x\r\n", wantErr: errIncomplete.Error()},
		{name: "too large", in: "GET / HTTP/1.1\r\nX: " + strings.Repeat("a", maxRequestHead), wantErr: errHeadTooLarge.Error()},
		{name: "chunked", in: "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", wantErr: errChunked.Error()},
		{name: "conflicting lengths", in: "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", wantErr: "conflicting Content-Length"},
		{name: "signed length", in: "POST / HTTP/1.1\r\nContent-Length: +3\r\n\r\n", wantErr: "bad Content-Length"},
		{name: "huge length", in: "POST / HTTP/1.1\r\nContent-Length: 99999999999999999\r\n\r\n", wantErr: "bad Content-Length"},
		{name: "no version", in: "GET /\r\n\r\n", wantErr: "malformed request line"},
		{name: "http/2 preface", in: "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", wantErr: "unsupported version"},
		{name: "header without colon", in: "GET / HTTP/1.1\r\nbroken\r\n\r\n", wantErr: "malformed header line"},
		{name: "only blank lines", in: "\r\n\r\n", wantErr: "empty request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := scanRequest([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.HeadLen != tt.want.HeadLen || got.BodyLen != tt.want.BodyLen || got.Close != tt.want.Close || !bytes.Equal(got.Path, tt.want.Path) {
				t.Errorf("scanRequest = %+v (path %q), want %+v (path %q)", got, got.Path, tt.want, tt.want.Path)
			}
		})
	}
}

// FuzzScanRequest checks that scanRequest never panics and that what it
// accepts is self-consistent. Seeds: testdata/fuzz/FuzzScanRequest.
func FuzzScanRequest(f *testing.F) {
	f.Add([]byte("GET / HTTP/1.1\r\nHost: a\r\n\r\n"))
	f.Add([]byte("POST /x HTTP/1.0\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nab"))
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := scanRequest(b)
		if err != nil {
			return
		}
		if fr.HeadLen < 4 || fr.HeadLen > len(b) || fr.HeadLen > maxRequestHead {
			t.Fatalf("HeadLen %d outside the input of %d bytes", fr.HeadLen, len(b))
		}
		if !bytes.HasSuffix(b[:fr.HeadLen], []byte("\r\n\r\n")) {
			t.Fatalf("head %q does not end with a blank line", b[:fr.HeadLen])
		}
		if fr.BodyLen < 0 || fr.BodyLen > maxBody {
			t.Fatalf("BodyLen %d", fr.BodyLen)
		}
		if len(fr.Path) == 0 || !bytes.Contains(b[:fr.HeadLen], fr.Path) {
			t.Fatalf("path %q not in head", fr.Path)
		}
	})
}

func BenchmarkScanRequest(b *testing.B) {
	req := []byte("GET /128 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: wrk\r\nX-Forwarded-For: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n")
	b.ReportAllocs()
	b.SetBytes(int64(len(req)))
	for b.Loop() {
		if _, err := scanRequest(req); err != nil {
			b.Fatal(err)
		}
	}
}

func TestScanRequestAllocs(t *testing.T) {
	req := []byte("GET /128 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n")
	if n := testing.AllocsPerRun(100, func() { scanRequest(req) }); n != 0 {
		t.Errorf("scanRequest allocates %v times per request, want 0", n)
	}
}

// TestHTTP1Origin talks to the raw origin over a socket with net/http's
// parser on the client side: pipelining, request bodies split across
// writes, body-size selection by path, and the close paths.
func TestHTTP1Origin(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go ServeHTTP1(ln, NewHTTP1Responses([]int{128, 4096}))

	dial := func(t *testing.T) (net.Conn, *bufio.Reader) {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.SetDeadline(time.Now().Add(5 * time.Second))
		return c, bufio.NewReader(c)
	}
	read := func(t *testing.T, br *bufio.Reader, status, size int) *http.Response {
		t.Helper()
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != status || len(body) != size {
			t.Fatalf("got %d with %d bytes, want %d with %d", resp.StatusCode, len(body), status, size)
		}
		return resp
	}

	t.Run("pipelined and split", func(t *testing.T) {
		c, br := dial(t)
		stream := "GET /4096 HTTP/1.1\r\nHost: x\r\n\r\n" +
			"POST /128 HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789" +
			"GET /other HTTP/1.1\r\nHost: x\r\n\r\n"
		// Byte by byte in places: the head and the body both straddle reads.
		for i, chunk := range []string{stream[:10], stream[10:45], stream[45:90], stream[90:]} {
			if _, err := io.WriteString(c, chunk); err != nil {
				t.Fatalf("write %d: %v", i, err)
			}
			time.Sleep(5 * time.Millisecond)
		}
		read(t, br, 200, 4096)
		read(t, br, 200, 128)
		read(t, br, 200, 128)
	})
	t.Run("connection close", func(t *testing.T) {
		c, br := dial(t)
		io.WriteString(c, "GET /128 HTTP/1.1\r\nConnection: close\r\n\r\nGET /128 HTTP/1.1\r\n\r\n")
		if resp := read(t, br, 200, 128); !resp.Close {
			t.Error("response to Connection: close does not close")
		}
		if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
			t.Errorf("after close: %v, want EOF", err)
		}
	})
	t.Run("refused", func(t *testing.T) {
		c, br := dial(t)
		io.WriteString(c, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")
		read(t, br, 501, 0)
	})
	t.Run("too large", func(t *testing.T) {
		c, br := dial(t)
		go io.WriteString(c, "GET / HTTP/1.1\r\nX: "+strings.Repeat("a", 70000))
		read(t, br, 431, 0)
	})
}

func TestSizeForPath(t *testing.T) {
	sizes := []int{128, 4096}
	for path, want := range map[string]int{"/": 128, "/4096": 4096, "/4096?x=1": 4096, "/128": 128, "/99": 128, "/abc": 128, "": 128} {
		if got := sizeForPath(path, sizes); got != want {
			t.Errorf("sizeForPath(%q) = %d, want %d", path, got, want)
		}
	}
}

func TestParseSizes(t *testing.T) {
	if got, err := ParseSizes("128, 4096"); err != nil || len(got) != 2 || got[1] != 4096 {
		t.Errorf("ParseSizes = %v, %v", got, err)
	}
	for _, bad := range []string{"", "x", "-1", "128,", "99999999999"} {
		if _, err := ParseSizes(bad); err == nil {
			t.Errorf("ParseSizes(%q) accepted", bad)
		}
	}
}
