package http1

import (
	"bytes"
	"errors"
	"strings"
)

// Field is a header field with its name in lowercase (the HTTP/2 form).
type Field struct{ Name, Value string }

// Dechunker turns a chunked body (RFC 9112 section 7.1) back into its
// data and trailer fields, fed in pieces of any size: the translation of
// an HTTP/1.1 body into HTTP/2 DATA frames and trailers. Chunk extensions
// are dropped; hop-by-hop and content-length trailers too.
type Dechunker struct {
	state int
	left  int64
	line  []byte // a size or trailer line arriving in pieces
	// Trailers holds the trailer fields once Feed reported done.
	Trailers []Field
}

const (
	cdSize = iota
	cdData
	cdDataEnd
	cdTrailer
)

// maxChunkLine bounds a chunk-size line or a trailer line.
const maxChunkLine = 64 << 10

// ErrChunkSyntax is returned by Dechunker.Feed for input that is not a
// chunked body.
var ErrChunkSyntax = errors.New("http1: malformed chunked body")

// Feed decodes p, passing the chunk data to data. It returns how much of
// p it used and whether the body ended (the bytes after its end are not
// used); data's error stops it and is returned.
func (d *Dechunker) Feed(p []byte, data func([]byte) error) (int, bool, error) {
	used := 0
	for used < len(p) {
		b := p[used:]
		switch d.state {
		case cdData:
			n := int(min(int64(len(b)), d.left))
			if err := data(b[:n]); err != nil {
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
				return used, false, ErrChunkSyntax
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
func (d *Dechunker) onLine(line []byte) (bool, error) {
	switch d.state {
	case cdSize:
		if i := bytes.IndexByte(line, ';'); i >= 0 {
			line = line[:i] // chunk extensions are dropped
		}
		line = bytes.TrimRight(line, " \t")
		if len(line) == 0 || len(line) > 15 {
			return false, ErrChunkSyntax
		}
		var n int64
		for _, c := range line {
			v := unhex(c)
			if v < 0 {
				return false, ErrChunkSyntax
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
			return false, ErrChunkSyntax
		}
		d.state = cdSize
	case cdTrailer:
		if len(line) == 0 {
			return true, nil
		}
		name, value, ok := bytes.Cut(line, []byte{':'})
		if !ok || len(name) == 0 {
			return false, ErrChunkSyntax
		}
		if IsHopByHop(name) || EqualFold(name, "content-length") {
			return false, nil
		}
		d.Trailers = append(d.Trailers, Field{
			Name:  strings.ToLower(string(name)),
			Value: string(bytes.Trim(value, " \t")),
		})
	}
	return false, nil
}
