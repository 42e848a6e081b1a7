// Package http1 parses and writes HTTP/1.1 message heads and finds the end
// of chunked bodies, for a proxy that forwards bytes rather than objects.
//
// It is a pure package: no sockets, no goroutines, no buffering of its own.
// The caller reads into a buffer and pulls:
//
//	n, err := http1.ParseRequest(buf, &head, limits)
//	switch {
//	case err != nil: // answer err.(*http1.Error).Status, then close
//	case n == 0:     // read more, keep buf, call again
//	default:         // head is buf[:n]; the body (see head.Body) follows
//	}
//
// Parsed heads alias the buffer: Method, URI, header names and values are
// sub-slices of buf, valid until the caller modifies or reuses it. Heads are
// reused between messages, so parsing allocates nothing in steady state;
// errors are preallocated sentinels.
//
// A request's body is either Content-Length bytes or chunked; for chunked
// bodies a ChunkedScanner reports where the body ends while the proxy
// forwards the raw bytes unchanged. Responses add bodies delimited by the
// connection's close (see ResponseHead.Body).
//
// The parser follows RFC 9112 (HTTP/1.1) and RFC 9110 (HTTP semantics) and
// is strict wherever a lenient reading could let two parsers disagree on
// where a message ends (request smuggling): bare LF, obs-fold, whitespace
// before a colon, conflicting Content-Length, Content-Length together with
// Transfer-Encoding, and malformed chunk framing are all errors. Each rule
// cites its section where it is enforced; docs/http1.md lists the errors
// and their statuses.
package http1
