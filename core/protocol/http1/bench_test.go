package http1

import (
	"bufio"
	"bytes"
	"net/http"
	"testing"

	"github.com/valyala/fasthttp"
)

// The benchmarks parse the same bytes as the allocation tests: a
// browser-like GET with 10 header fields (typicalRequest, 481 bytes) and a
// 10-field response head (typicalResponse, 318 bytes).

func BenchmarkParseRequest(b *testing.B) {
	buf := []byte(typicalRequest)
	var h RequestHead
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		if n, err := ParseRequest(buf, &h, Limits{}); n != len(buf) || err != nil {
			b.Fatal(n, err)
		}
	}
}

func BenchmarkParseResponse(b *testing.B) {
	buf := []byte(typicalResponse)
	var h ResponseHead
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		if n, err := ParseResponse(buf, &h, Limits{}); n != len(buf) || err != nil {
			b.Fatal(n, err)
		}
	}
}

// BenchmarkChunkedScan scans a body of 16 chunks of 1 KiB plus a trailer,
// delivered in 4 KiB reads.
func BenchmarkChunkedScan(b *testing.B) {
	var body []byte
	data := bytes.Repeat([]byte("x"), 1024)
	for i := 0; i < 16; i++ {
		body = append(body, "400;ext=v\r\n"...)
		body = append(body, data...)
		body = append(body, "\r\n"...)
	}
	body = append(body, "0\r\nX-Checksum: abc\r\n\r\n"...)
	var s ChunkedScanner
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		s.Reset()
		p := body
		for len(p) > 0 {
			k := min(len(p), 4096)
			n, done, err := s.Scan(p[:k])
			if err != nil {
				b.Fatal(err)
			}
			p = p[n:]
			if done {
				break
			}
		}
		if len(p) != 0 || !s.Done() {
			b.Fatal("not done")
		}
	}
}

// BenchmarkFasthttpRequestHeader parses the same request head with
// fasthttp's RequestHeader. Its only public entry point reads from a
// bufio.Reader, so the benchmark resets a bytes.Reader and a bufio.Reader
// per iteration (cheap, no allocation) and reuses the RequestHeader, as a
// fasthttp server does.
func BenchmarkFasthttpRequestHeader(b *testing.B) {
	buf := []byte(typicalRequest)
	var h fasthttp.RequestHeader
	rd := bytes.NewReader(buf)
	br := bufio.NewReaderSize(rd, 4096)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		rd.Reset(buf)
		br.Reset(rd)
		if err := h.Read(br); err != nil {
			b.Fatal(err)
		}
	}
	if string(h.Host()) != "www.example.com" {
		b.Fatalf("Host = %q", h.Host())
	}
}

// BenchmarkFasthttpResponseHeader is the response-side counterpart.
func BenchmarkFasthttpResponseHeader(b *testing.B) {
	buf := []byte(typicalResponse)
	var h fasthttp.ResponseHeader
	rd := bytes.NewReader(buf)
	br := bufio.NewReaderSize(rd, 4096)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		rd.Reset(buf)
		br.Reset(rd)
		if err := h.Read(br); err != nil {
			b.Fatal(err)
		}
	}
	if h.ContentLength() != 51 {
		b.Fatalf("ContentLength = %d", h.ContentLength())
	}
}

// BenchmarkNetHTTPReadRequest is the standard library's parser on the same
// bytes, for scale: it builds an http.Request and a map of canonicalized
// header keys each time.
func BenchmarkNetHTTPReadRequest(b *testing.B) {
	buf := []byte(typicalRequest)
	rd := bytes.NewReader(buf)
	br := bufio.NewReaderSize(rd, 4096)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		rd.Reset(buf)
		br.Reset(rd)
		if _, err := http.ReadRequest(br); err != nil {
			b.Fatal(err)
		}
	}
}
