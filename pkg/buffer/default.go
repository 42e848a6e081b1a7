package buffer

// Default is the process-wide pool the engine shares between connections.
// Extensions that want their own accounting make their own with NewPool.
var Default = NewPool()

// Get returns a pooled buffer from Default with at least size bytes of
// capacity.
func Get(size int) *Buffer { return Default.GetBuffer(size) }

// Put returns b to Default; b must not be used afterwards.
func Put(b *Buffer) { Default.Put(b) }

// GetBytes returns a pooled byte slice from Default of length size (its
// capacity is that of the size class).
func GetBytes(size int) *[]byte { return Default.GetBytes(size) }

// PutBytes returns a slice obtained from GetBytes (or any slice, which is
// pooled if its capacity fits a size class).
func PutBytes(p *[]byte) { Default.PutBytes(p) }
