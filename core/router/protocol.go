package router

// UpstreamProtocol is the route's upstream_protocol: "Http1", "Http2", or
// "" to use the proxy filter's.
func (r *Route) UpstreamProtocol() string { return r.upstreamProto }
