// Package api holds the stable extension contracts of MOSN in Go.
//
// Third parties pin this module alone to write network filters, stream
// filters, protocols, load balancers, tracers and TLS providers. It imports
// the standard library only. A released interface never gains a method: new
// capabilities arrive as new, optional interfaces found by type assertion.
//
// The request path these contracts describe:
//
//	listener -> Connection -> network ReadFilter chain
//	  -> proxy: stream codec -> StreamReceiverFilter phases -> Route
//	  -> upstream -> StreamSenderFilter chain -> codec -> Connection
package api
