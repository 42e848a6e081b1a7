// Package accesslog writes a listener's access logs (MOSN's
// "access_logs": [{"log_path": ..., "log_format": ...}]).
//
// A log_format is compiled once (Compile) into a Format that renders an
// Entry, one finished request, by appending to a byte slice. Format
// accepts MOSN's variables (%start_time%, %request_header_<name>%, ...)
// and Envoy's command operators (%START_TIME%, %REQ(X-HEADER)%, ...); each
// renders as its origin does, so existing configs and log parsers keep
// working. A Logger owns the output (stdout, stderr or a rolling file from
// pkg/log) and buffers lines: logging a request allocates nothing in
// steady state and never waits for the disk.
package accesslog

import (
	"time"

	"github.com/seed405ffdea/mosn/api"
	"github.com/seed405ffdea/mosn/core/network"
)

// DefaultFormat is the format used when log_format is empty: MOSN's
// types.DefaultAccessLogFormat, quoted exactly (%response_code% appears
// twice there too).
const DefaultFormat = "%start_time% %request_received_duration% %response_received_duration% %bytes_sent%" + " " +
	"%bytes_received% %protocol% %response_code% %duration% %response_flag% %response_code% %upstream_local_address%" + " " +
	"%downstream_local_address% %downstream_remote_address% %upstream_host%"

// Entry is one finished request, filled by the proxy and passed to
// Logger.Log or Format.Append.
//
// The byte slices and header maps alias the proxy's buffers: they are valid
// only during the call and are never retained. A zero or empty field is
// "unknown" and renders as described for each variable (mostly "-").
type Entry struct {
	// StartTime is when the first byte of the request arrived.
	StartTime time.Time
	// RequestReceived is the time from StartTime until the request was
	// fully received; zero if unknown.
	RequestReceived time.Duration
	// ResponseReceived is the time from StartTime until the first
	// response byte arrived from upstream; zero if there was none.
	ResponseReceived time.Duration
	// Duration is the time from StartTime until the response was fully
	// sent downstream.
	Duration time.Duration
	// Protocol is the downstream protocol as on the wire, e.g. "HTTP/1.1".
	Protocol string
	// Method, Path and Authority are the request's method, request-target
	// and host (Envoy's :METHOD, :PATH, :AUTHORITY).
	Method, Path, Authority []byte
	// RequestID is the request's X-Request-Id as sent upstream (the proxy
	// generates one when the client sent none).
	RequestID []byte
	// ResponseCode is the status sent downstream; 0 if none was sent.
	ResponseCode int
	// ResponseFlags says why the proxy answered itself; zero when the
	// response came from upstream.
	ResponseFlags api.ResponseFlag
	// BytesReceived and BytesSent count request and response body bytes.
	BytesReceived, BytesSent uint64
	// DownstreamRemoteAddress and DownstreamLocalAddress are the client's
	// address and the listener address it connected to ("ip:port").
	DownstreamRemoteAddress, DownstreamLocalAddress string
	// UpstreamHost is the chosen upstream host ("ip:port"),
	// UpstreamLocalAddress the local address of the upstream connection
	// and UpstreamCluster the cluster's name; empty if none was chosen.
	UpstreamHost, UpstreamLocalAddress, UpstreamCluster string
	// RequestHeaders are the request headers as received, ResponseHeaders
	// the response headers as sent downstream; either may be nil.
	RequestHeaders, ResponseHeaders api.HeaderMap
	// Conn is what the listener learned about the downstream connection
	// (SNI, TLS peer URIs, ALPN, transport); nil if nothing.
	Conn *network.ConnInfo
}
