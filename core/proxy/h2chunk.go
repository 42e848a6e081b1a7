package proxy

import (
	"bytes"
	"errors"
	"strings"

	"golang.org/x/net/http2/hpack"

	"github.com/seed405ffdea/mosn/core/protocol/http1"
)

// dataWriter takes decoded body bytes (an HTTP/2 stream).
type dataWriter interface {
	WriteData(p []byte, end bool) error
}

// chunkDecoder turns a chunked HTTP/1.1 body (RFC 9112 section 7.1) back
// into its data and trailer fields, fed in pieces of any size. The engine
// has already checked the framing, but the decoder still refuses what it
// cannot read.
type chunkDecoder struct {
	state    int
	left     int64
	line     []byte // a size or trailer line arriving in pieces
	trailers []hpack.HeaderField
}

const (
	cdSize = iota
	cdData
	cdDataEnd
	cdTrailer
)

// maxChunkLine bounds a chunk-size line or a trailer line.
const maxChunkLine = 64 << 10

var errChunkSyntax = errors.New("proxy: malformed chunked response body")

// feed decodes p, sending data to w. It returns how much of p it used and
// whether the body ended (the bytes after the end are not used).
func (d *chunkDecoder) feed(p []byte, w dataWriter) (int, bool, error) {
	used := 0
	for used < len(p) {
		b := p[used:]
		switch d.state {
		case cdData:
			n := int(min(int64(len(b)), d.left))
			if err := w.WriteData(b[:n], false); err != nil {
				return used, false, err
			}
			d.left -= int64(n)
			used += n
			if d.left == 0 {
				d.state = cdDataEnd
			}
			continue
		}
		// The other states read a line.
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			if len(d.line)+len(b) > maxChunkLine {
				return used, false, errChunkSyntax
			}
			d.line = append(d.line, b...)
			return len(p), false, nil
		}
		line := b[:i]
		if len(d.line) > 0 {
			d.line = append(d.line, line...)
			line = d.line
		}
		used += i + 1
		line = bytes.TrimSuffix(line, []byte{'\r'})
		done, err := d.onLine(line)
		d.line = d.line[:0]
		if err != nil || done {
			return used, done, err
		}
	}
	return used, false, nil
}

// onLine handles one line of the chunk framing; done at the empty line
// that ends the trailer section.
func (d *chunkDecoder) onLine(line []byte) (bool, error) {
	switch d.state {
	case cdSize:
		if i := bytes.IndexByte(line, ';'); i >= 0 {
			line = line[:i] // chunk extensions are dropped
		}
		line = bytes.TrimRight(line, " \t")
		if len(line) == 0 || len(line) > 15 {
			return false, errChunkSyntax
		}
		var n int64
		for _, c := range line {
			v := unhexByte(c)
			if v < 0 {
				return false, errChunkSyntax
			}
			n = n<<4 | int64(v)
		}
		d.left = n
		if n == 0 {
			d.state = cdTrailer
		} else {
			d.state = cdData
		}
	case cdDataEnd:
		if len(line) != 0 {
			return false, errChunkSyntax
		}
		d.state = cdSize
	case cdTrailer:
		if len(line) == 0 {
			return true, nil
		}
		name, value, ok := bytes.Cut(line, []byte{':'})
		if !ok || len(name) == 0 {
			return false, errChunkSyntax
		}
		if http1.IsHopByHop(name) || http1.EqualFold(name, "content-length") {
			return false, nil
		}
		d.trailers = append(d.trailers, hpack.HeaderField{
			Name:  strings.ToLower(string(name)),
			Value: string(bytes.Trim(value, " \t")),
		})
	}
	return false, nil
}

func unhexByte(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
