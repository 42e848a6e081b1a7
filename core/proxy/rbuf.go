package proxy

import (
	"io"

	"github.com/seed405ffdea/mosn/pkg/buffer"
)

// rbuf is a read buffer with a window [r, w) of unconsumed bytes. Slices
// of the window (parsed heads) stay valid until the next fill or compact.
type rbuf struct {
	p    *[]byte
	b    []byte
	r, w int
}

func (b *rbuf) init() {
	if b.p == nil {
		b.p = buffer.GetBytes(readBufSize)
		b.b = (*b.p)[:cap(*b.p)]
	}
}

func (b *rbuf) free() {
	if b.p != nil {
		*b.p = b.b[:0]
		buffer.PutBytes(b.p)
		b.p, b.b = nil, nil
	}
	b.r, b.w = 0, 0
}

// data returns the unconsumed bytes.
func (b *rbuf) data() []byte { return b.b[b.r:b.w] }

func (b *rbuf) len() int { return b.w - b.r }

func (b *rbuf) consume(n int) {
	b.r += n
	if b.r == b.w {
		b.r, b.w = 0, 0
	}
}

// fill reads once into the free space, first moving the window to the
// front when the tail is full, and growing the buffer up to limit bytes
// when the window itself fills it.
func (b *rbuf) fill(rd io.Reader, limit int) (int, error) {
	b.init()
	if b.w == len(b.b) {
		if b.r > 0 {
			n := copy(b.b, b.b[b.r:b.w])
			b.r, b.w = 0, n
		} else if len(b.b) < limit {
			nb := make([]byte, min(2*len(b.b), limit))
			copy(nb, b.b[:b.w])
			*b.p = b.b[:0]
			buffer.PutBytes(b.p)
			b.b = nb
			b.p = &nb
		} else {
			return 0, errBufferFull
		}
	}
	n, err := rd.Read(b.b[b.w:])
	b.w += n
	return n, err
}

// compact moves the window to the front (before parsing a new head, so the
// head has the whole buffer to grow into).
func (b *rbuf) compact() {
	if b.r > 0 {
		n := copy(b.b, b.b[b.r:b.w])
		b.r, b.w = 0, n
	}
}
