package buffer

import (
	"io"

	"github.com/seed405ffdea/mosn/api"
)

var _ api.IoBuffer = (*Buffer)(nil)

// minRead is the spare capacity ReadOnce guarantees before reading, so that a
// full buffer does not degrade into one-byte reads.
const minRead = 512

// Buffer is a growable byte buffer with a read offset. Unread bytes are
// buf[off:]; writes append at len(buf).
//
// The zero value is an empty buffer ready to use. A Buffer is not safe for
// concurrent use. Slices returned by Bytes are valid until the next call that
// mutates the buffer (Write, WriteString, Drain, Reset, Grow, ReadOnce) or
// until the buffer is returned to its pool.
type Buffer struct {
	buf []byte
	off int
}

// New returns an empty Buffer with at least capacity bytes of room. It does
// not come from, and need not go back to, a Pool.
func New(capacity int) *Buffer {
	if capacity < 0 {
		capacity = 0
	}
	return &Buffer{buf: make([]byte, 0, capacity)}
}

// Bytes returns the unread bytes. The slice aliases the buffer's storage.
func (b *Buffer) Bytes() []byte { return b.buf[b.off:] }

// Len returns the number of unread bytes.
func (b *Buffer) Len() int { return len(b.buf) - b.off }

// Cap returns the capacity of the underlying storage, including bytes
// already drained.
func (b *Buffer) Cap() int { return cap(b.buf) }

// Drain discards the first n unread bytes. An n larger than Len drains all;
// a negative n does nothing.
func (b *Buffer) Drain(n int) {
	if n <= 0 {
		return
	}
	if n >= b.Len() {
		b.Reset()
		return
	}
	b.off += n
}

// Write appends p to the buffer, growing it as needed. It always returns
// len(p), nil.
func (b *Buffer) Write(p []byte) (int, error) {
	b.Grow(len(p))
	b.buf = append(b.buf, p...)
	return len(p), nil
}

// WriteString appends s to the buffer, growing it as needed. It always
// returns len(s), nil.
func (b *Buffer) WriteString(s string) (int, error) {
	b.Grow(len(s))
	b.buf = append(b.buf, s...)
	return len(s), nil
}

// Reset empties the buffer and keeps its capacity.
func (b *Buffer) Reset() {
	b.buf = b.buf[:0]
	b.off = 0
}

// Grow makes room for at least n more bytes after the unread ones without
// another allocation. It first reclaims drained space by moving the unread
// bytes to the front, and reallocates only when that is not enough. A
// negative n does nothing.
func (b *Buffer) Grow(n int) {
	if n <= 0 || cap(b.buf)-len(b.buf) >= n {
		return
	}
	unread := b.Len()
	if unread+n <= cap(b.buf) {
		// Enough room once the drained prefix is reclaimed.
		copy(b.buf, b.buf[b.off:])
		b.buf = b.buf[:unread]
		b.off = 0
		return
	}
	newCap := 2*cap(b.buf) + n
	if newCap < unread+n {
		newCap = unread + n
	}
	nb := make([]byte, unread, newCap)
	copy(nb, b.buf[b.off:])
	b.buf = nb
	b.off = 0
}

// ReadOnce performs a single Read from r into the buffer's spare capacity and
// appends what was read. If fewer than 512 bytes are spare it grows first, so
// a full buffer never turns into tiny reads. It returns what r.Read returned;
// io.EOF is passed through unchanged.
func (b *Buffer) ReadOnce(r io.Reader) (int, error) {
	if cap(b.buf)-len(b.buf) < minRead {
		b.Grow(minRead)
	}
	n, err := r.Read(b.buf[len(b.buf):cap(b.buf)])
	if n < 0 {
		n = 0
	}
	b.buf = b.buf[:len(b.buf)+n]
	return n, err
}
