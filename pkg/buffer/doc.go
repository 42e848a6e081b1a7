// Package buffer implements api.IoBuffer as a byte slice with a read offset,
// and a size-classed pool of buffers and raw byte slices.
//
// Ownership: a Buffer obtained from a Pool belongs to the caller until it is
// handed to Pool.Put; after that the caller must not touch it nor any slice
// returned by its Bytes method. A slice from Pool.GetBytes likewise belongs to
// the caller until Pool.PutBytes.
package buffer
