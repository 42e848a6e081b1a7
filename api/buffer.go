package api

// IoBuffer is a growable byte buffer with a read cursor. The bytes returned
// by Bytes are valid until the next call that mutates the buffer (Write,
// Drain, Reset, Grow or returning the buffer to its pool).
type IoBuffer interface {
	// Bytes returns the unread bytes.
	Bytes() []byte
	// Len returns the number of unread bytes.
	Len() int
	// Drain discards the first n unread bytes; n larger than Len drains all.
	Drain(n int)
	// Write appends p; it never returns an error.
	Write(p []byte) (int, error)
	// WriteString appends s; it never returns an error.
	WriteString(s string) (int, error)
	// Reset empties the buffer and keeps its capacity.
	Reset()
}

// BufferPool hands out IoBuffers and takes them back. A buffer handed to Put
// must not be used again by the caller.
type BufferPool interface {
	// Get returns an empty buffer with at least size bytes of capacity.
	Get(size int) IoBuffer
	// Put returns buf to the pool.
	Put(buf IoBuffer)
}
