package proxy

import (
	"net"
	"sync"

	"github.com/seed405ffdea/mosn/core/accesslog"
	"github.com/seed405ffdea/mosn/core/protocol/http1"
	"github.com/seed405ffdea/mosn/core/router"
)

// routeRequest fills the request the router matches: host and target
// (origin form), method, headers, and whether the client is internal
// (loopback or a private address, for require_tls "EXTERNAL_ONLY"), and
// whether it arrived over TLS.
func (s *serverConn) routeRequest() {
	st := &s.st
	host, target := s.target()
	st.rreq = router.Request{
		Method:   s.req.Method,
		Host:     host,
		Target:   target,
		Headers:  s.req.Headers,
		Internal: s.clientInternal(),
		TLS:      s.overTLS,
	}
}

func (s *serverConn) clientInternal() bool {
	switch a := s.conn.RemoteAddr().(type) {
	case *net.TCPAddr:
		return a.IP.IsLoopback() || a.IP.IsPrivate()
	case *net.UnixAddr:
		return true
	}
	return false
}

// routeScratch is what applying a route's header mutations needs. It is
// pooled rather than kept per connection: most routes have none, and a
// connection that never meets one should not carry it.
type routeScratch struct {
	req, resp   router.Mutator
	entry       accesslog.Entry
	reqHeaders  http1.HeaderMap
	respHeaders http1.HeaderMap
}

var scratchPool = sync.Pool{New: func() any { return new(routeScratch) }}

func getScratch() *routeScratch { return scratchPool.Get().(*routeScratch) }

// putScratch returns the stream's scratch, dropping what points into the
// connection.
func (s *serverConn) putScratch() {
	rs := s.st.rs
	s.st.rs = nil
	rs.entry = accesslog.Entry{}
	rs.reqHeaders.Reset(nil)
	rs.respHeaders.Reset(nil)
	rs.req.Reset(nil, nil)
	rs.resp.Reset(nil, nil)
	scratchPool.Put(rs)
}

// requestMutator returns the route's request header mutations ready to
// apply, or nil when there are none.
func (s *serverConn) requestMutator() *router.Mutator {
	st := &s.st
	if st.rs == nil || st.route.RequestHeaders() == nil {
		return nil
	}
	m := st.route.RequestHeaders()
	var e *accesslog.Entry
	if m.Dynamic() {
		e = s.mutationEntry(false)
	}
	st.rs.req.Reset(m, e)
	return &st.rs.req
}

// responseMutator is requestMutator for the response head being written;
// upstream says whether the response came from the upstream (else it is
// a local reply).
func (s *serverConn) responseMutator(status int, upstream bool) *router.Mutator {
	st := &s.st
	if st.rs == nil || st.route == nil || st.route.ResponseHeaders() == nil {
		return nil
	}
	m := st.route.ResponseHeaders()
	var e *accesslog.Entry
	if m.Dynamic() {
		e = s.mutationEntry(upstream)
		e.ResponseCode = status
	}
	st.rs.resp.Reset(m, e)
	return &st.rs.resp
}

// mutationEntry describes the request so far for the variables in
// header values (%DOWNSTREAM_REMOTE_ADDRESS%, %REQ(x)%, %UPSTREAM_HOST%,
// ...), the same fields an access log sees.
func (s *serverConn) mutationEntry(withResponse bool) *accesslog.Entry {
	st := &s.st
	if s.remoteAddr == "" {
		// Once per connection; access logs fill these at Serve.
		s.remoteAddr = s.conn.RemoteAddr().String()
		s.localAddr = s.conn.LocalAddr().String()
	}
	rs := st.rs
	rs.reqHeaders.Reset(&s.req.Headers)
	e := &rs.entry
	*e = accesslog.Entry{
		StartTime:               st.start,
		Protocol:                "HTTP/1.1",
		Method:                  s.req.Method,
		Path:                    s.req.URI,
		Authority:               st.rreq.Host,
		RequestID:               st.reqIDSeen,
		ResponseFlags:           st.flags,
		BytesReceived:           st.bytesIn,
		DownstreamRemoteAddress: s.remoteAddr,
		DownstreamLocalAddress:  s.localAddr,
		Conn:                    s.connInfo,
		RequestHeaders:          &rs.reqHeaders,
	}
	if s.req.Minor == 0 {
		e.Protocol = "HTTP/1.0"
	}
	if s.h2stream {
		e.Protocol = "HTTP/2"
	}
	if st.cluster != nil {
		e.UpstreamCluster = st.cluster.Name()
	}
	if st.host != nil {
		e.UpstreamHost = st.host.Address()
	}
	if st.uc != nil {
		e.UpstreamLocalAddress = st.uc.LocalAddress
	}
	if withResponse {
		rs.respHeaders.Reset(&s.resp.Headers)
		e.ResponseHeaders = &rs.respHeaders
	}
	if e.RequestID == nil && withResponse {
		e.RequestID = s.reqID[:] // generated with the upstream request head
	}
	return e
}

// upstreamHostname is the name auto_host_rewrite puts in Host: the chosen
// host's hostname, else its address.
func (s *serverConn) upstreamHostname() string {
	if h := s.st.host; h != nil {
		if n := h.Hostname(); n != "" {
			return n
		}
		return h.Address()
	}
	return ""
}
