package http2

import "time"

// Defaults for Config fields left zero. The window sizes and the stream
// limit are Envoy 1.36's HTTP/2 defaults; the flood limits follow Envoy's
// http2_protocol_options.
const (
	DefaultMaxConcurrentStreams        = 1024
	DefaultInitialStreamWindowSize     = 16 << 20
	DefaultInitialConnectionWindowSize = 24 << 20
	DefaultMaxFrameSize                = 16384
	DefaultMaxHeaderListSize           = 60 << 10
	DefaultMaxHeaderCount              = 100
	DefaultMaxOutboundControlFrames    = 1000
	DefaultMaxConsecutiveEmptyFrames   = 1
	DefaultMaxPriorityFramesPerStream  = 100
	DefaultRapidResetMinStreams        = 500
	DefaultStreamIdleTimeout           = 5 * time.Minute
	// maxWindow is the largest flow-control window (RFC 9113 6.9.1).
	maxWindow = 1<<31 - 1
)

// Config holds a connection's HTTP/2 settings and limits. Zero fields take
// the defaults above.
type Config struct {
	// MaxConcurrentStreams is SETTINGS_MAX_CONCURRENT_STREAMS: more open
	// streams are refused with REFUSED_STREAM.
	MaxConcurrentStreams uint32
	// InitialStreamWindowSize is SETTINGS_INITIAL_WINDOW_SIZE, in bytes:
	// how much request body one stream may have in flight before the
	// handler reads it. At most 2^31-1.
	InitialStreamWindowSize uint32
	// InitialConnectionWindowSize bounds the request body bytes in flight
	// on the whole connection. At most 2^31-1.
	InitialConnectionWindowSize uint32
	// MaxFrameSize is the largest frame payload accepted
	// (SETTINGS_MAX_FRAME_SIZE, 16384 to 16777215).
	MaxFrameSize uint32
	// MaxHeaderListSize bounds a decoded header list (RFC 7541 sizes,
	// SETTINGS_MAX_HEADER_LIST_SIZE); larger requests get 431, and a
	// header block whose encoded size runs far beyond it closes the
	// connection.
	MaxHeaderListSize uint32
	// MaxHeaderCount bounds the number of request header fields; more get
	// 431.
	MaxHeaderCount int
	// MaxOutboundControlFrames bounds the control frames (SETTINGS and
	// PING acknowledgements, RST_STREAM, WINDOW_UPDATE) waiting to be
	// written: a peer that floods them and does not read is cut off.
	MaxOutboundControlFrames int
	// MaxConsecutiveEmptyFrames is how many DATA frames in a row with an
	// empty payload and no END_STREAM are tolerated before the connection
	// is closed.
	MaxConsecutiveEmptyFrames int
	// MaxPriorityFramesPerStream bounds PRIORITY frames: at most this many
	// times (1 + streams opened).
	MaxPriorityFramesPerStream int
	// RapidResetMinStreams: within one second, when at least this many
	// streams were opened and more than half of them were reset by the
	// client before they finished, the connection is closed
	// (CVE-2023-44487).
	RapidResetMinStreams int
	// IdleTimeout closes a connection with no open stream for this long
	// (after a GOAWAY). Zero means never.
	IdleTimeout time.Duration
	// WriteTimeout bounds one write to the socket; a peer that stops
	// reading is cut off after it. Zero means DefaultStreamIdleTimeout.
	WriteTimeout time.Duration
	// StreamIdleTimeout bounds a stream's wait for send window when no
	// write deadline is set: a client that never opens its window
	// (zero-window stall) gets the stream reset. Zero means
	// DefaultStreamIdleTimeout.
	StreamIdleTimeout time.Duration
}

func (c Config) withDefaults() Config {
	if c.MaxConcurrentStreams == 0 {
		c.MaxConcurrentStreams = DefaultMaxConcurrentStreams
	}
	if c.InitialStreamWindowSize == 0 {
		c.InitialStreamWindowSize = DefaultInitialStreamWindowSize
	}
	if c.InitialConnectionWindowSize == 0 {
		c.InitialConnectionWindowSize = DefaultInitialConnectionWindowSize
	}
	c.InitialStreamWindowSize = min(c.InitialStreamWindowSize, maxWindow)
	c.InitialConnectionWindowSize = min(max(c.InitialConnectionWindowSize, 65535), maxWindow)
	if c.MaxFrameSize == 0 {
		c.MaxFrameSize = DefaultMaxFrameSize
	}
	c.MaxFrameSize = min(max(c.MaxFrameSize, 16384), 1<<24-1)
	if c.MaxHeaderListSize == 0 {
		c.MaxHeaderListSize = DefaultMaxHeaderListSize
	}
	if c.MaxHeaderCount == 0 {
		c.MaxHeaderCount = DefaultMaxHeaderCount
	}
	if c.MaxOutboundControlFrames == 0 {
		c.MaxOutboundControlFrames = DefaultMaxOutboundControlFrames
	}
	if c.MaxConsecutiveEmptyFrames == 0 {
		c.MaxConsecutiveEmptyFrames = DefaultMaxConsecutiveEmptyFrames
	}
	if c.MaxPriorityFramesPerStream == 0 {
		c.MaxPriorityFramesPerStream = DefaultMaxPriorityFramesPerStream
	}
	if c.RapidResetMinStreams == 0 {
		c.RapidResetMinStreams = DefaultRapidResetMinStreams
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = DefaultStreamIdleTimeout
	}
	if c.StreamIdleTimeout == 0 {
		c.StreamIdleTimeout = DefaultStreamIdleTimeout
	}
	return c
}
