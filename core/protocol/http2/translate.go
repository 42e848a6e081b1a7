package http2

import (
	"io"
	"strconv"

	"golang.org/x/net/http2/hpack"

	"github.com/seed405ffdea/mosn/core/protocol/http1"
)

// Helpers for the HTTP/1.1 <-> HTTP/2 translation the proxy does on both
// sides.

// ReadChunked reads the next piece of what the stream receives (using
// scratch) and appends it to dst in HTTP/1.1 chunked form; at the end it
// appends the last chunk and the trailers as the trailer section and
// reports eof. An error comes back only when nothing was read.
func (st *Stream) ReadChunked(dst, scratch []byte) (out []byte, eof bool, err error) {
	n, err := st.Read(scratch)
	if n > 0 {
		dst = strconv.AppendInt(dst, int64(n), 16)
		dst = append(dst, "\r\n"...)
		dst = append(dst, scratch[:n]...)
		dst = append(dst, "\r\n"...)
	}
	switch {
	case err == io.EOF:
		dst = append(dst, "0\r\n"...)
		for _, f := range st.Trailers() {
			dst = append(dst, f.Name...)
			dst = append(dst, ": "...)
			dst = append(dst, f.Value...)
			dst = append(dst, "\r\n"...)
		}
		return append(dst, "\r\n"...), true, nil
	case err != nil && n == 0:
		return dst, false, err
	}
	return dst, false, nil
}

// FromHTTP1 converts header fields (lowercase names) to HPACK fields.
func FromHTTP1(fs []http1.Field) []hpack.HeaderField {
	out := make([]hpack.HeaderField, len(fs))
	for i, f := range fs {
		out[i] = hpack.HeaderField{Name: f.Name, Value: f.Value}
	}
	return out
}

// ToHTTP1 converts HPACK fields to http1 fields.
func ToHTTP1(fs []hpack.HeaderField) []http1.Field {
	out := make([]http1.Field, len(fs))
	for i, f := range fs {
		out[i] = http1.Field{Name: f.Name, Value: f.Value}
	}
	return out
}
