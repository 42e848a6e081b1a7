package proxy

import (
	"context"

	"github.com/seed405ffdea/mosn/api"
	"github.com/seed405ffdea/mosn/core/upstream"
)

// getUpstream takes a connection to host for one exchange: a keep-alive
// HTTP/1.1 connection, or with UpstreamProtocol Http2 a stream of a
// multiplexed HTTP/2 connection that the engine drives as if it were one
// (upstream/h2conn.go).
func (s *serverConn) getUpstream(ctx context.Context, host *upstream.Host) (*upstream.UpConn, error) {
	if s.opts.UpstreamProtocol == api.HTTP2 {
		return host.Pool().H2(s.opts.UpstreamHTTP2).Get(ctx)
	}
	return host.Pool().Get(ctx)
}
