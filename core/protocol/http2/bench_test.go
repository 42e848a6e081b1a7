package http2

import (
	"bytes"
	"testing"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

var benchFields = []hpack.HeaderField{
	{Name: ":method", Value: "GET"}, {Name: ":scheme", Value: "http"},
	{Name: ":path", Value: "/api/v1/items?id=42"}, {Name: ":authority", Value: "service.example.com"},
	{Name: "user-agent", Value: "bench/1.0"}, {Name: "accept", Value: "application/json"},
	{Name: "x-request-id", Value: "0b8e1f2c-7d3a-4c5e-9f10-2a3b4c5d6e7f"},
}

// BenchmarkHeaderEncode encodes a request head with a warm HPACK table.
func BenchmarkHeaderEncode(b *testing.B) {
	var buf bytes.Buffer
	enc := hpack.NewEncoder(&buf)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf.Reset()
		for _, f := range benchFields {
			enc.WriteField(f)
		}
	}
}

// BenchmarkHeaderDecode reads a HEADERS frame through the framer (HPACK
// decoding and the header checks) and checks it as a request.
func BenchmarkHeaderDecode(b *testing.B) {
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	var wire bytes.Buffer
	fr := http2.NewFramer(&wire, nil)
	firstLen := 0
	for i := 0; i < 2; i++ { // the second block uses the dynamic table
		hb.Reset()
		for _, f := range benchFields {
			enc.WriteField(f)
		}
		fr.WriteHeaders(http2.HeadersFrameParam{StreamID: uint32(2*i + 1), BlockFragment: hb.Bytes(), EndStream: true, EndHeaders: true})
		if i == 0 {
			firstLen = wire.Len()
		}
	}
	warm := bytes.Clone(wire.Bytes()[firstLen:])
	rd := bytes.NewReader(nil)
	rfr := http2.NewFramer(nil, rd)
	rfr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	rd.Reset(wire.Bytes())
	rfr.ReadFrame()
	rfr.ReadFrame()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rd.Reset(warm)
		f, err := rfr.ReadFrame()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := parseRequest(f.(*http2.MetaHeadersFrame).Fields, 100); err != nil {
			b.Fatal(err)
		}
	}
}
