package proxy

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/seed405ffdea/mosn/api"
	"github.com/seed405ffdea/mosn/core/accesslog"
	"github.com/seed405ffdea/mosn/core/network"
	"github.com/seed405ffdea/mosn/core/protocol/http1"
	"github.com/seed405ffdea/mosn/core/router"
	"github.com/seed405ffdea/mosn/core/upstream"
)

var (
	errBufferFull   = errors.New("proxy: read buffer full")
	errClientGone   = errors.New("proxy: client closed the connection")
	errBodyTooLarge = errors.New("proxy: request body too large")
)

// stream is one request's state, reset for each request.
type stream struct {
	start     time.Time
	route     *router.Route
	cluster   *upstream.Cluster
	host      *upstream.Host
	uc        *upstream.UpConn
	deadline  time.Time // route timeout
	status    int
	flags     api.ResponseFlag
	bodyKind  http1.BodyKind
	bodyLeft  int64  // Length bodies: bytes not yet forwarded
	first     []byte // body bytes that arrived with the head
	bodyDone  bool   // request body fully read from downstream
	streamed  bool   // body bytes beyond the first buffer were forwarded
	sent100   bool
	linger    bool // answered with request bytes possibly unread
	closeDown bool // close the downstream connection after this response
	isHEAD    bool
	switched  bool // the request upgraded the connection to h2c
	bytesIn   uint64
	bytesOut  uint64
	filters   *filterChain
	span      api.Span       // the request's span, with a tracer driver
	upSpan    api.Span       // its upstream child span, if the driver makes them
	upIndex   int            // LB_REQUEST_ROUNDROBIN's position for this request, -1 before the first pick
	rreq      router.Request // what the router sees (route.go)
	rs        *routeScratch  // only for routes with header mutations
	// retries (retry.go)
	retry          *router.RetryPolicy
	tryDeadline    time.Time // the attempt's deadline: route or per-try timeout
	triedHosts     [maxTried]*upstream.Host
	nTried         uint8
	retries        uint8
	retryHeld      uint8 // retry breaker slots to release
	perTryTimeouts uint8
	retryOverflow  bool
	// for access logs, set only when the listener has some
	upCluster  string
	upLocal    string
	reqIDSeen  []byte // the client's X-Request-Id
	reqDoneAt  time.Time
	respHeadAt time.Time
}

// serveOne serves one request. keep reports whether the connection may
// carry another.
func (s *serverConn) serveOne(ctx context.Context) (keep bool, err error) {
	if s.transfer.Load() && s.nc != nil {
		// Hot upgrade, between requests: bytes of the next one already
		// read go along with the connection.
		if s.in.len() > 0 {
			s.nc.SetUnread(s.in.data())
		}
		return false, network.ErrTransferred
	}
	// Wait for the next request's first byte.
	if s.in.len() == 0 {
		if ok, err := s.waitRequest(); !ok {
			return false, err
		}
	}
	if s.opts.Protocol == api.Auto && !s.sniffed && !s.h2stream {
		if err := s.sniffH2(); err != nil {
			return false, err
		}
	}
	st := &s.st
	*st = stream{start: time.Now(), upIndex: -1}
	s.opts.Stats.Requests.Add(1)
	s.opts.Stats.Active.Add(1)
	defer s.opts.Stats.Active.Add(-1)
	defer s.finish()

	// Read the head, bounded by the headers timeout.
	s.in.compact()
	timed := false
	var hl int
	for {
		hl, err = http1.ParseRequest(s.in.data(), &s.req, s.opts.Limits)
		if err != nil {
			st.flags |= api.DownstreamProtocolError
			return false, s.localReply(errStatus(err), nil, true)
		}
		if hl > 0 {
			break
		}
		if !timed {
			s.conn.SetReadDeadline(st.start.Add(s.opts.HeadersTimeout))
			timed = true
		}
		n, rerr := s.in.fill(s.conn, s.opts.Limits.MaxHeaderBytes+1)
		if n == 0 && rerr != nil {
			if rerr == errBufferFull {
				return false, s.localReply(431, nil, true)
			}
			// A timeout or a close in the middle of a head: nothing sensible
			// can be answered (Envoy closes too); say 408 when we can.
			if isTimeout(rerr) {
				s.localReply(408, nil, true)
			}
			return false, nil
		}
	}
	if timed {
		s.conn.SetReadDeadline(time.Time{})
	}
	s.in.consume(hl)
	st.isHEAD = string(s.req.Method) == "HEAD"
	st.bodyKind, st.bodyLeft = s.req.Body()
	if st.bodyKind == http1.NoBody {
		st.bodyDone = true
	}
	if s.opts.Protocol == api.Auto && s.wantsH2C() {
		// Not a request of this HTTP/1 connection: stream 1 of its
		// HTTP/2 successor (h2c.go).
		st.switched = true
		s.opts.Stats.Requests.Add(^uint64(0))
		return false, errSwitchH2C
	}
	if !s.req.KeepAlive || s.draining.Load() {
		st.closeDown = true
	}
	if s.opts.MaxRequestBody > 0 && st.bodyKind == http1.Length && st.bodyLeft > s.opts.MaxRequestBody {
		return false, s.localReply(413, nil, true)
	}
	if st.first, err = s.firstBody(); err != nil {
		st.flags |= api.DownstreamProtocolError
		return false, s.localReply(errStatus(err), nil, true)
	}
	if s.bodyOverLimit() {
		return false, s.localReply(413, nil, true)
	}

	if err := s.proxyRequest(ctx); err != nil {
		return false, err
	}
	return !st.closeDown && !s.draining.Load(), nil
}

// proxyRequest routes the request and runs it against an upstream, or
// answers it locally. It returns an error only when the connection must be
// dropped without a response.
func (s *serverConn) proxyRequest(ctx context.Context) error {
	st := &s.st
	if len(s.opts.StreamFilters) > 0 {
		st.filters = s.newFilterChain(ctx)
		defer st.filters.destroy()
		if done, err := st.filters.receive(api.BeforeRoute); done {
			return err
		}
	}
	s.routeRequest()
	var route *router.Route
	if t := s.opts.Routers.Get(s.opts.RouterName); t != nil {
		route = t.Match(&st.rreq)
	}
	if route == nil {
		st.flags |= api.NoRouteFound
		return s.localReply(404, nil, false)
	}
	st.route = route
	if route.RequestHeaders() != nil || route.ResponseHeaders() != nil {
		st.rs = getScratch()
		defer s.putScratch()
	}
	if st.filters != nil {
		if done, err := st.filters.receive(api.AfterRoute); done {
			return err
		}
		st.rreq.Headers = s.req.Headers // filters may have changed them
	}
	switch {
	case route.Direct != nil:
		return s.localReply(route.Direct.Status, route.Direct.Body, false)
	case route.Redirect != nil:
		return s.replyTo(route.Redirect.Code, nil, route.Redirect, nil, false)
	}
	timeout := route.Timeout()
	if timeout <= 0 {
		timeout = DefaultRouteTimeout
	}
	timeout = s.grpcTimeout(timeout)
	st.deadline = st.start.Add(timeout)
	cl := s.opts.Clusters.Get(route.Cluster(&st.rreq))
	if cl == nil {
		return s.localReply(503, []byte("no cluster"), false)
	}
	st.cluster = cl // also for the overflow metric below
	if !cl.Acquire() {
		st.flags |= api.UpstreamOverflow
		return s.localReply(503, bodyOverflow, false)
	}
	defer cl.Release()
	s.startTrace(ctx)
	return s.forward(ctx)
}

// target returns the request's host and its target in origin form (path
// and query), accepting the absolute form a client sends to a proxy:
// RFC 9112 section 3.2.2, a proxy "MUST ignore the received Host header
// field (if any) and instead replace it with the host information of the
// request-target".
func (s *serverConn) target() (host, target []byte) {
	host, target = s.req.Host, s.req.URI
	if len(target) > 0 && target[0] != '/' {
		if i := indexScheme(target); i > 0 {
			rest := target[i:]
			j := 0
			for j < len(rest) && rest[j] != '/' && rest[j] != '?' {
				j++
			}
			host, target = rest[:j], rest[j:]
			switch {
			case len(target) == 0:
				target = slash
			case target[0] == '?':
				// "http://h?q": the path is "/" (RFC 9112 section 3.2.1).
				target = append([]byte{'/'}, target...)
			}
		}
	}
	return host, target
}

var slash = []byte("/")

// indexScheme returns the index after "http://" or "https://", or -1.
func indexScheme(u []byte) int {
	switch {
	case len(u) > 7 && http1.EqualFold(u[:7], "http://"):
		return 7
	case len(u) > 8 && http1.EqualFold(u[:8], "https://"):
		return 8
	}
	return -1
}

func isTimeout(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }

func errStatus(err error) int {
	var pe api.ProtocolError
	if errors.As(err, &pe) && pe.StatusCode() != 0 {
		return pe.StatusCode()
	}
	return 400
}

// finish records the finished stream.
func (s *serverConn) finish() {
	st := &s.st
	if st.switched {
		return
	}
	if st.status != 0 {
		s.opts.Stats.count(st.status)
	}
	if s.opts.Stats.Metrics != nil {
		s.opts.Stats.record(st)
	}
	if len(s.opts.AccessLogs) > 0 {
		s.writeAccessLog()
	}
	if st.span != nil {
		s.finishTrace()
	}
}

// writeAccessLog fills the connection's entry and hands it to each log.
func (s *serverConn) writeAccessLog() {
	st := &s.st
	e := &s.log
	now := time.Now()
	*e = accesslog.Entry{
		StartTime:               st.start,
		Duration:                now.Sub(st.start),
		Protocol:                "HTTP/1.1",
		Method:                  s.req.Method,
		Path:                    s.req.URI,
		Authority:               s.req.Host,
		RequestID:               st.reqIDSeen,
		ResponseCode:            st.status,
		ResponseFlags:           st.flags,
		BytesReceived:           st.bytesIn,
		BytesSent:               st.bytesOut,
		DownstreamRemoteAddress: s.remoteAddr,
		DownstreamLocalAddress:  s.localAddr,
		Conn:                    s.connInfo,
		UpstreamCluster:         st.upCluster,
		UpstreamLocalAddress:    st.upLocal,
	}
	if s.req.Minor == 0 {
		e.Protocol = "HTTP/1.0"
	}
	if s.h2stream {
		e.Protocol = "HTTP/2"
	}
	if e.RequestID == nil && st.route != nil && st.route.Direct == nil && st.host != nil {
		e.RequestID = s.reqID[:]
	}
	if st.host != nil {
		e.UpstreamHost = st.host.Address()
	}
	if !st.reqDoneAt.IsZero() {
		e.RequestReceived = st.reqDoneAt.Sub(st.start)
	}
	if !st.respHeadAt.IsZero() {
		e.ResponseReceived = st.respHeadAt.Sub(st.start)
	}
	s.logReq.Reset(&s.req.Headers)
	e.RequestHeaders = &s.logReq
	if st.respHeadAt.IsZero() {
		e.ResponseHeaders = nil
	} else {
		s.logResp.Reset(&s.resp.Headers)
		e.ResponseHeaders = &s.logResp
	}
	for _, l := range s.opts.AccessLogs {
		l.Log(e)
	}
}

// clientGone reports whether the downstream peer has closed.
func (s *serverConn) clientGone() bool {
	if g, ok := s.conn.(interface{ ClientGone() bool }); ok {
		return g.ClientGone() // an HTTP/2 stream (h2stream.go)
	}
	return network.Probe(s.conn.RawConn()) == network.ProbeClosed
}
