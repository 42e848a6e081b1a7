// Package http2 is the proxy's HTTP/2 codec (RFC 9113) on the frame layer
// and HPACK of golang.org/x/net/http2: the server side of a connection
// (h2c with prior knowledge, h2 after ALPN, h2c after an HTTP/1.1
// Upgrade), with per-stream and per-connection flow control, trailers,
// CONTINUATION, and the defences a public-facing HTTP/2 endpoint needs
// (rapid reset, CONTINUATION and HPACK floods, control-frame floods, empty
// frames, streams stalled on a zero window).
//
// The model is push for frames and pull for bodies: one goroutine reads and
// dispatches frames, one writes them, and every request stream runs its
// Handler on a goroutine of its own, reading the request body and writing
// the response through the Stream, which blocks on flow control. Nothing
// is buffered beyond the advertised windows.
package http2
