package api

import (
	"encoding/json"
	"net"
	"time"
)

// Route is a matched route as filters see it.
type Route interface {
	// Name is the route's configured name (may be empty).
	Name() string
	// ClusterName is the upstream cluster the route sends to; empty for a
	// direct response or redirect.
	ClusterName() string
	// Timeout is the per-request timeout; zero means none.
	Timeout() time.Duration
}

// PerFilterConfigRoute is an optional interface of a Route: MOSN's
// per_filter_config, the configuration a route (else its virtual host)
// gives the stream filter of that type for its requests.
type PerFilterConfigRoute interface {
	// PerFilterConfig returns the raw JSON for filter type name; false
	// when neither the route nor its virtual host has one.
	PerFilterConfig(name string) (json.RawMessage, bool)
}

// RequestInfo is a stream's bookkeeping, read by filters, access logs and
// metrics.
type RequestInfo interface {
	// StartTime is when the first byte of the request arrived.
	StartTime() time.Time
	// Protocol is the downstream protocol.
	Protocol() ProtocolName
	// ResponseCode is the status sent downstream; 0 before one is sent.
	ResponseCode() int
	// BytesReceived counts request body bytes read from downstream.
	BytesReceived() uint64
	// BytesSent counts response body bytes written downstream.
	BytesSent() uint64
	// UpstreamHost is the chosen upstream host; nil before one is chosen.
	UpstreamHost() HostInfo
	// DownstreamRemoteAddress is the client's address.
	DownstreamRemoteAddress() net.Addr
	// ResponseFlags says why the proxy answered itself (bit set of
	// ResponseFlag); zero when the response came from upstream.
	ResponseFlags() ResponseFlag
}

// ResponseFlag says why the proxy produced a response (Envoy's %RESPONSE_FLAGS%).
type ResponseFlag uint32

// Response flags, named as Envoy's access log abbreviations.
const (
	// NoHealthyUpstream (UH): no healthy host in the cluster.
	NoHealthyUpstream ResponseFlag = 1 << iota
	// UpstreamConnectionFailure (UF): the connect failed.
	UpstreamConnectionFailure
	// UpstreamRequestTimeout (UT): the route timeout fired.
	UpstreamRequestTimeout
	// UpstreamRemoteReset (UR): the upstream reset the stream.
	UpstreamRemoteReset
	// DownstreamConnectionTermination (DC): the client went away.
	DownstreamConnectionTermination
	// NoRouteFound (NR): no route matched.
	NoRouteFound
	// UpstreamOverflow (UO): a circuit breaker refused the request.
	UpstreamOverflow
	// DownstreamProtocolError (DPE): the request was malformed.
	DownstreamProtocolError
	// UpstreamProtocolError (UPE): the response was malformed.
	UpstreamProtocolError
	// UpstreamRetryLimitExceeded (URX): the answer stands because the
	// retries allowed were used up.
	UpstreamRetryLimitExceeded
	// UpstreamConnectionTermination (UC): the upstream closed the
	// connection before a response (UR is a reset).
	UpstreamConnectionTermination
)

// ResponseFlagNames are Envoy's abbreviations of the response flags, in
// the order Envoy writes them.
var ResponseFlagNames = [...]struct {
	Flag ResponseFlag
	Name string
}{
	{NoHealthyUpstream, "UH"},
	{UpstreamConnectionFailure, "UF"},
	{UpstreamRequestTimeout, "UT"},
	{UpstreamRemoteReset, "UR"},
	{UpstreamConnectionTermination, "UC"},
	{DownstreamConnectionTermination, "DC"},
	{NoRouteFound, "NR"},
	{UpstreamOverflow, "UO"},
	{DownstreamProtocolError, "DPE"},
	{UpstreamProtocolError, "UPE"},
	{UpstreamRetryLimitExceeded, "URX"},
}

// HostInfo describes an upstream host.
type HostInfo interface {
	// Address is the host's "ip:port" (or unix socket path).
	Address() string
	// Hostname is the configured hostname, empty if none.
	Hostname() string
	// ClusterName is the host's cluster.
	ClusterName() string
	// Weight is the load-balancing weight, at least 1.
	Weight() uint32
	// Metadata is the host's metadata for subset routing (may be nil).
	Metadata() map[string]string
}

// Addr is a convenience net.Addr for addresses known only as strings.
type Addr struct{ Net, Address string }

// Network returns the network name ("tcp", "unix").
func (a Addr) Network() string { return a.Net }

// String returns the address.
func (a Addr) String() string { return a.Address }
