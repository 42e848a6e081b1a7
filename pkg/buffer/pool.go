package buffer

import (
	"sync"

	"github.com/seed405ffdea/mosn/api"
)

var _ api.BufferPool = (*Pool)(nil)

// classSizes are the capacities a Pool hands out, smallest first. They are
// picked for a proxy's traffic: small headers (512 B), typical HTTP/1 reads
// and HTTP/2 frames (2 KiB, 4 KiB, 16 KiB, the default HTTP/2 max frame
// size) and bulk body reads (64 KiB).
var classSizes = [...]int{512, 2 << 10, 4 << 10, 16 << 10, 64 << 10}

// MaxPooledSize is the capacity of the largest size class. Requests above it
// are allocated directly, and buffers or slices whose capacity exceeds it are
// dropped by Put and PutBytes instead of pooled.
const MaxPooledSize = 64 << 10

// Pool is a set of sync.Pools, one per size class, for Buffers and for raw
// byte slices. Get and Put, and GetBytes and PutBytes, do not allocate once
// the pool is warm.
//
// The zero value is ready to use. A Pool is safe for concurrent use and must
// not be copied after first use.
type Pool struct {
	bufs  [len(classSizes)]sync.Pool // of *Buffer
	bytes [len(classSizes)]sync.Pool // of *[]byte
}

// NewPool returns an empty Pool.
func NewPool() *Pool { return new(Pool) }

// classFor returns the index of the smallest class holding size bytes, or -1
// if size is larger than every class.
func classFor(size int) int {
	for i, c := range classSizes {
		if size <= c {
			return i
		}
	}
	return -1
}

// classOf returns the index of the largest class not exceeding capacity, so
// that a pooled item always has at least its class's capacity; -1 means the
// item is too small or too large to pool.
func classOf(capacity int) int {
	if capacity > MaxPooledSize {
		return -1
	}
	for i := len(classSizes) - 1; i >= 0; i-- {
		if capacity >= classSizes[i] {
			return i
		}
	}
	return -1
}

// Get returns an empty *Buffer with at least size bytes of capacity. A size
// above MaxPooledSize gets a fresh buffer of exactly that capacity.
func (p *Pool) Get(size int) api.IoBuffer { return p.GetBuffer(size) }

// GetBuffer is Get with the concrete type, for callers that need Grow or
// ReadOnce without a type assertion.
func (p *Pool) GetBuffer(size int) *Buffer {
	i := classFor(size)
	if i < 0 {
		return New(size)
	}
	if b, ok := p.bufs[i].Get().(*Buffer); ok {
		return b
	}
	return New(classSizes[i])
}

// Put resets buf and returns it to the pool. Buffers that were not made by
// this package, nil, and buffers whose capacity is outside the size classes
// are dropped. The caller must not use buf afterwards.
func (p *Pool) Put(buf api.IoBuffer) {
	b, ok := buf.(*Buffer)
	if !ok || b == nil {
		return
	}
	i := classOf(cap(b.buf))
	if i < 0 {
		return
	}
	b.Reset()
	p.bufs[i].Put(b)
}

// GetBytes returns a pointer to a byte slice of length size whose capacity is
// that of the smallest class holding size. A size above MaxPooledSize gets a
// fresh slice; a negative size is treated as zero. The contents are not
// zeroed: they may hold bytes from an earlier user.
func (p *Pool) GetBytes(size int) *[]byte {
	if size < 0 {
		size = 0
	}
	i := classFor(size)
	if i < 0 {
		s := make([]byte, size)
		return &s
	}
	if bp, ok := p.bytes[i].Get().(*[]byte); ok {
		*bp = (*bp)[:size]
		return bp
	}
	s := make([]byte, size, classSizes[i])
	return &s
}

// PutBytes returns a slice obtained from GetBytes (or any slice whose
// capacity falls in a size class) to the pool. nil and slices outside the
// classes are dropped. The caller must not use the slice afterwards.
func (p *Pool) PutBytes(bp *[]byte) {
	if bp == nil {
		return
	}
	i := classOf(cap(*bp))
	if i < 0 {
		return
	}
	p.bytes[i].Put(bp)
}
