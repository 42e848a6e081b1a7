package config

// HTTP2Options are the proxy filter's HTTP/2 settings, under
// "http2_protocol_options" in its config (Envoy's field names and
// defaults, Envoy 1.36; MOSN has no knob for them). Zero fields take the
// defaults.
type HTTP2Options struct {
	// MaxConcurrentStreams is SETTINGS_MAX_CONCURRENT_STREAMS: streams
	// beyond it are refused with REFUSED_STREAM. Zero means 1024; 1 to
	// 2147483647.
	MaxConcurrentStreams uint32 `json:"max_concurrent_streams,omitempty"`
	// InitialStreamWindowSize is the flow-control window of each stream,
	// in bytes: how much request body may be in flight per stream. Zero
	// means 16 MiB (16777216); 65535 to 2147483647.
	InitialStreamWindowSize uint32 `json:"initial_stream_window_size,omitempty"`
	// InitialConnectionWindowSize is the connection's flow-control
	// window, in bytes. Zero means 24 MiB (25165824); 65535 to
	// 2147483647.
	InitialConnectionWindowSize uint32 `json:"initial_connection_window_size,omitempty"`
	// MaxOutboundControlFrames bounds the control frames (PING and
	// SETTINGS acknowledgements, RST_STREAM, WINDOW_UPDATE) queued for a
	// client that does not read them; beyond it the connection is closed.
	// Zero means 1000.
	MaxOutboundControlFrames uint32 `json:"max_outbound_control_frames,omitempty"`
	// MaxConsecutiveInboundFramesWithEmptyPayload is how many DATA frames
	// in a row without payload and END_STREAM are tolerated. Zero means 1.
	MaxConsecutiveInboundFramesWithEmptyPayload uint32 `json:"max_consecutive_inbound_frames_with_empty_payload,omitempty"`
	// MaxInboundPriorityFramesPerStream bounds PRIORITY frames to this
	// many times (1 + streams opened). Zero means 100.
	MaxInboundPriorityFramesPerStream uint32 `json:"max_inbound_priority_frames_per_stream,omitempty"`
	// ConnectionKeepalive sends PINGs on upstream HTTP/2 connections
	// (upstream_protocol "Http2") and closes one that does not answer.
	// Nil means no keepalive.
	ConnectionKeepalive *KeepaliveConfig `json:"connection_keepalive,omitempty"`
}

// KeepaliveConfig is Envoy's connection_keepalive.
type KeepaliveConfig struct {
	// Interval between PINGs (required, > 0).
	Interval Duration `json:"interval"`
	// Timeout for the PING's acknowledgement. Zero means 10s.
	Timeout Duration `json:"timeout,omitempty"`
}

// validate checks the ranges Envoy enforces.
func (o *HTTP2Options) validate(path string) error {
	if o == nil {
		return nil
	}
	const maxWindow = 1<<31 - 1
	switch {
	case o.MaxConcurrentStreams > maxWindow:
		return fieldErr(path+".max_concurrent_streams", "at most 2147483647, got %d", o.MaxConcurrentStreams)
	case o.InitialStreamWindowSize != 0 && (o.InitialStreamWindowSize < 65535 || o.InitialStreamWindowSize > maxWindow):
		return fieldErr(path+".initial_stream_window_size", "must be between 65535 and 2147483647, got %d", o.InitialStreamWindowSize)
	case o.InitialConnectionWindowSize != 0 && (o.InitialConnectionWindowSize < 65535 || o.InitialConnectionWindowSize > maxWindow):
		return fieldErr(path+".initial_connection_window_size", "must be between 65535 and 2147483647, got %d", o.InitialConnectionWindowSize)
	}
	if k := o.ConnectionKeepalive; k != nil {
		switch {
		case k.Interval.Duration <= 0:
			return fieldErr(path+".connection_keepalive.interval", "must be positive, got %s", k.Interval)
		case k.Timeout.Duration < 0:
			return fieldErr(path+".connection_keepalive.timeout", "must not be negative, got %s", k.Timeout)
		}
	}
	return nil
}
