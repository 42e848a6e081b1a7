package server

import (
	"github.com/seed405ffdea/mosn/core/config"
	h2 "github.com/seed405ffdea/mosn/core/protocol/http2"
)

// http2Config maps a proxy filter's HTTP/2 options and head limits onto
// the codec's settings.
func http2Config(p *config.ProxyConfig) h2.Config {
	c := h2.Config{
		MaxHeaderListSize: p.MaxRequestHeadersKB << 10,
		MaxHeaderCount:    int(p.MaxHeadersCount),
		WriteTimeout:      p.StreamIdleTimeout.Duration,
	}
	if o := p.HTTP2; o != nil {
		c.MaxConcurrentStreams = o.MaxConcurrentStreams
		c.InitialStreamWindowSize = o.InitialStreamWindowSize
		c.InitialConnectionWindowSize = o.InitialConnectionWindowSize
		c.MaxOutboundControlFrames = int(o.MaxOutboundControlFrames)
		c.MaxConsecutiveEmptyFrames = int(o.MaxConsecutiveInboundFramesWithEmptyPayload)
		c.MaxPriorityFramesPerStream = int(o.MaxInboundPriorityFramesPerStream)
	}
	return c
}

// upstreamHTTP2Config is http2Config for upstream connections, with the
// keepalive.
func upstreamHTTP2Config(p *config.ProxyConfig) h2.ClientConfig {
	c := h2.ClientConfig{Config: http2Config(p)}
	if o := p.HTTP2; o != nil && o.ConnectionKeepalive != nil {
		c.PingInterval = o.ConnectionKeepalive.Interval.Duration
		c.PingTimeout = o.ConnectionKeepalive.Timeout.Duration
	}
	return c
}
