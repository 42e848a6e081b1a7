package proxy

import (
	"context"

	"github.com/seed405ffdea/mosn/api"
	"github.com/seed405ffdea/mosn/core/upstream"
)

// getUpstream takes a connection to host for one exchange: a keep-alive
// HTTP/1.1 connection, or, when the route's upstream_protocol (else the
// proxy's) is Http2, a stream of a multiplexed HTTP/2 connection that the
// engine drives as if it were one (upstream/h2conn.go).
//
// A gRPC call arriving on an HTTP/2 stream and going to an HTTP/2
// upstream is relayed full duplex: its body is diverted here, before the
// engine reads any of it, to the upstream stream (upstream.DuplexBody),
// and the engine sees the body end at once.
func (s *serverConn) getUpstream(ctx context.Context, host *upstream.Host) (*upstream.UpConn, error) {
	proto := s.opts.UpstreamProtocol
	if r := s.st.route; r != nil {
		switch p := api.ProtocolName(r.UpstreamProtocol()); p {
		case api.HTTP1, api.HTTP2:
			proto = p
		}
	}
	if proto != api.HTTP2 {
		return host.Pool().Get(ctx)
	}
	if c, ok := s.conn.(*streamConn); ok && c.divert() {
		ctx = upstream.WithDuplexBody(ctx, duplexBody{c.st})
	}
	return host.Pool().H2(s.opts.UpstreamHTTP2).Get(ctx)
}
