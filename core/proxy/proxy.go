// Package proxy is the HTTP proxy network filter ("type": "proxy"): it
// decodes requests from a downstream connection, routes them, forwards them
// to an upstream host and relays the response.
//
// HTTP/1 runs on the downstream connection's own goroutine, one request at
// a time (pipelined requests wait their turn): read the head, route, take a
// pooled upstream connection, write the rewritten head and the body bytes
// already read in one writev, stream the rest of the body, read the
// response head, write it with the body bytes already read in one writev,
// stream the rest. No per-request goroutine, channel or allocation.
package proxy

import (
	"context"
	"log/slog"
	"net"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/seed405ffdea/mosn/api"
	"github.com/seed405ffdea/mosn/core/accesslog"
	"github.com/seed405ffdea/mosn/core/metrics"
	"github.com/seed405ffdea/mosn/core/network"
	"github.com/seed405ffdea/mosn/core/protocol/http1"
	h2 "github.com/seed405ffdea/mosn/core/protocol/http2"
	"github.com/seed405ffdea/mosn/core/router"
	"github.com/seed405ffdea/mosn/core/upstream"
	"github.com/seed405ffdea/mosn/pkg/buffer"
)

// Defaults for Options fields left zero.
const (
	// DefaultRouteTimeout bounds a whole upstream exchange when the route
	// sets no timeout (Envoy's route timeout default).
	DefaultRouteTimeout = 15 * time.Second
	// DefaultHeadersTimeout bounds the arrival of a request head once its
	// first byte arrived (slowloris protection).
	DefaultHeadersTimeout = 10 * time.Second
	// DefaultStreamIdleTimeout bounds the gap between body reads (Envoy's
	// stream_idle_timeout default).
	DefaultStreamIdleTimeout = 5 * time.Minute
	// DefaultClientCheck is how often a request waiting on a slow upstream
	// checks that its client is still connected.
	DefaultClientCheck = 500 * time.Millisecond
)

// Options configure a proxy filter.
type Options struct {
	// RouterName names the router config (router_config_name).
	RouterName string
	Routers    *router.Set
	Clusters   *upstream.Manager
	// Limits bound request and response heads; zero fields take
	// http1.DefaultLimits.
	Limits http1.Limits
	// MaxRequestBody answers 413 to larger request bodies; zero means
	// unlimited.
	MaxRequestBody int64
	// IdleTimeout closes a keep-alive connection idle this long
	// (connection_idle_timeout); zero means never.
	IdleTimeout time.Duration
	// HeadersTimeout, StreamIdleTimeout, ClientCheck: zero takes the
	// defaults above.
	HeadersTimeout    time.Duration
	StreamIdleTimeout time.Duration
	ClientCheck       time.Duration
	// StreamFilters build each request's stream filter chain.
	StreamFilters []api.StreamFilterChainFactory
	// Logger receives per-connection errors at debug level.
	Logger *slog.Logger
	// Stats counts requests; may be nil.
	Stats *Stats
	// Tracer starts a span per request; nil means the built-in trace
	// context propagation only.
	Tracer api.Tracer
	// AccessLogs receive one entry per finished request.
	AccessLogs []*accesslog.Logger
	// Protocol is the downstream protocol: api.HTTP1 (or empty),
	// api.HTTP2 (h2c with prior knowledge) or api.Auto (HTTP/1.1 and h2c
	// told apart by the first bytes). TLS connections that negotiate "h2"
	// by ALPN speak HTTP/2 whatever it says.
	Protocol api.ProtocolName
	// HTTP2 holds the HTTP/2 settings and limits; zero fields take the
	// codec's defaults.
	HTTP2 h2.Config
	// UpstreamProtocol is api.HTTP2 to speak HTTP/2 (h2c) to upstream
	// hosts over multiplexed connections; anything else is HTTP/1.1.
	UpstreamProtocol api.ProtocolName
	// UpstreamHTTP2 configures the upstream HTTP/2 connections.
	UpstreamHTTP2 h2.ClientConfig
}

// Stats are the proxy's counters, shared by its connections.
type Stats struct {
	Requests       atomic.Uint64
	Active         atomic.Int64
	Responses2xx   atomic.Uint64
	Responses3xx   atomic.Uint64
	Responses4xx   atomic.Uint64
	Responses5xx   atomic.Uint64
	UpstreamErrors atomic.Uint64
	// Mirror counts request_mirror_policies copies.
	Mirror MirrorStats

	// Metrics, when set, records every finished request: at this proxy
	// filter (the HTTP connection manager), its cluster and host. Set it
	// before the factory serves connections.
	Metrics *metrics.HTTP
}

// record hands a finished stream to the metrics. It allocates nothing.
func (s *Stats) record(st *stream) {
	r := metrics.Request{
		Status:        st.status,
		Flags:         st.flags,
		Duration:      time.Since(st.start),
		BytesReceived: st.bytesIn,
		BytesSent:     st.bytesOut,
	}
	if st.cluster != nil {
		r.Cluster = st.cluster.Name()
	}
	if st.host != nil {
		r.Host = st.host.Address()
	}
	r.Retries, r.PerTryTimeouts, r.RetryOverflow = st.retries, st.perTryTimeouts, st.retryOverflow
	s.Metrics.Record(&r)
}

func (s *Stats) count(status int) {
	switch {
	case status >= 500:
		s.Responses5xx.Add(1)
	case status >= 400:
		s.Responses4xx.Add(1)
	case status >= 300:
		s.Responses3xx.Add(1)
	default:
		s.Responses2xx.Add(1)
	}
}

// Factory adds a proxy filter to each connection. It implements
// api.NetworkFilterChainFactory.
type Factory struct {
	opts Options
}

var _ api.NetworkFilterChainFactory = (*Factory)(nil)

// NewFactory returns a factory; zero options take their defaults.
func NewFactory(o Options) *Factory {
	d := http1.DefaultLimits()
	if o.Limits.MaxHeaderBytes <= 0 {
		o.Limits.MaxHeaderBytes = d.MaxHeaderBytes
	}
	if o.Limits.MaxHeaders <= 0 {
		o.Limits.MaxHeaders = d.MaxHeaders
	}
	if o.HeadersTimeout <= 0 {
		o.HeadersTimeout = DefaultHeadersTimeout
	}
	if o.StreamIdleTimeout <= 0 {
		o.StreamIdleTimeout = DefaultStreamIdleTimeout
	}
	if o.ClientCheck <= 0 {
		o.ClientCheck = DefaultClientCheck
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.HTTP2.IdleTimeout == 0 {
		o.HTTP2.IdleTimeout = o.IdleTimeout
	}
	if o.HTTP2.WriteTimeout == 0 {
		o.HTTP2.WriteTimeout = o.StreamIdleTimeout
	}
	if o.HTTP2.StreamIdleTimeout == 0 {
		o.HTTP2.StreamIdleTimeout = o.StreamIdleTimeout
	}
	if o.Stats == nil {
		o.Stats = &Stats{}
	}
	return &Factory{opts: o}
}

// CreateFilterChain implements api.NetworkFilterChainFactory.
func (f *Factory) CreateFilterChain(ctx context.Context, fm api.FilterManager) {
	fm.AddReadFilter(&serverConn{opts: &f.opts})
}

// readBufSize is the size of the downstream and upstream read buffers;
// heads larger than this grow the buffer up to the head limit.
const readBufSize = 16 << 10

// serverConn is one downstream connection's proxy state. Everything here is
// reused from request to request.
type serverConn struct {
	opts *Options
	conn api.Connection
	nc   *network.Conn // conn, when it is ours (hot-path writev)

	in    rbuf // downstream bytes
	up    rbuf // upstream bytes
	head  []byte
	headp *[]byte // the pooled slice head came from
	iov   net.Buffers
	// iovArr backs iov: WriteTo consumes iov from the front, so each
	// write starts again from this array instead of reallocating.
	iovArr [2][]byte

	req   http1.RequestHead
	resp  http1.ResponseHead
	cs    http1.ChunkedScanner // request body
	rcs   http1.ChunkedScanner // response body
	plain []byte               // de-chunked response data for HTTP/1.0 clients

	lbHdr http1.HeaderMap // the request headers as load balancers see them
	trHdr http1.HeaderMap // the request headers as tracing sees them

	// rc reads the descriptor directly while idle (see readIdle); nil
	// when read filters must see the bytes or there is no descriptor.
	rc          syscall.RawConn
	readReadyFn func(uintptr) bool
	readN       int
	readErr     error

	clientIP []byte
	// reqID holds a generated X-Request-Id for the access log.
	reqID [36]byte
	// log is the access log entry, filled only when access logs exist.
	log                   accesslog.Entry
	logReq, logResp       http1.HeaderMap
	remoteAddr, localAddr string
	// connInfo is what the listener learned about the connection (TLS
	// peer, SNI, ALPN), for access logs; nil if nothing.
	connInfo *network.ConnInfo
	// overTLS: the connection was terminated by a TLS provider
	// (X-Forwarded-Proto https, require_tls).
	overTLS  bool
	draining atomic.Bool
	idle     atomic.Bool

	// HTTP/2 (h2.go): sniffed once Auto detection ran; h2 is the codec
	// serving the connection; h2stream marks a serverConn that serves one
	// HTTP/2 stream over a streamConn.
	sniffed  bool
	h2stream bool
	h2       atomic.Pointer[h2.ServerConn]
	transfer atomic.Bool // hot upgrade: move at the next idle point (transfer.go)

	st stream
}

var (
	_ api.ReadFilter       = (*serverConn)(nil)
	_ api.ConnectionServer = (*serverConn)(nil)
	_ api.Drainer          = (*serverConn)(nil)
	_ network.Transferer   = (*serverConn)(nil)
)

// OnNewConnection implements api.ReadFilter.
func (s *serverConn) OnNewConnection() api.FilterStatus { return api.Continue }

// OnData implements api.ReadFilter; Serve reads for itself, so it is not
// called.
func (s *serverConn) OnData(api.IoBuffer, bool) api.FilterStatus { return api.Continue }

// InitializeReadFilterCallbacks implements api.ReadFilter. It runs before
// the connection can be drained, so Drain always sees s.conn.
func (s *serverConn) InitializeReadFilterCallbacks(cb api.ReadFilterCallbacks) {
	s.conn = cb.Connection()
}

// Drain implements api.Drainer: an idle connection is woken and closes; a
// busy one closes after its response, which carries Connection: close.
func (s *serverConn) Drain() {
	s.draining.Store(true)
	if sc := s.h2.Load(); sc != nil {
		sc.Drain()
	}
	if s.idle.Load() {
		s.conn.SetReadDeadline(time.Now())
	}
}

// Serve implements api.ConnectionServer.
func (s *serverConn) Serve(ctx context.Context, conn api.Connection) error {
	if s.conn == nil {
		s.conn = conn
	}
	if !s.h2stream && (s.opts.Protocol == api.HTTP2 || alpnH2(conn)) {
		return s.serveH2(ctx)
	}
	s.nc, _ = conn.(*network.Conn)
	s.connInfo = network.ConnInfoFrom(ctx)
	_, s.overTLS = conn.RawConn().(api.PeerIdentity)
	if ta, ok := conn.RemoteAddr().(*net.TCPAddr); ok && s.clientIP == nil {
		s.clientIP = []byte(ta.IP.String())
	}
	if len(s.opts.AccessLogs) > 0 && s.remoteAddr == "" {
		s.remoteAddr = conn.RemoteAddr().String()
		s.localAddr = conn.LocalAddr().String()
	}
	s.rcs.Response = true // response framing errors are the upstream's: 502
	if s.rc == nil && s.nc != nil && !s.nc.Inspected() {
		if sc, ok := s.nc.RawConn().(syscall.Conn); ok {
			if rc, err := sc.SyscallConn(); err == nil {
				s.rc, s.readReadyFn = rc, s.readReady
			}
		}
	}
	s.in.init()
	if s.nc != nil {
		s.loadUnread(s.nc.TakeUnread())
	}
	for {
		keep, err := s.serveOne(ctx)
		if err == errSwitchH2 {
			return s.serveH2(ctx)
		}
		if err == errSwitchH2C {
			return s.serveH2C(ctx)
		}
		if err == network.ErrParked {
			// Another goroutine may already be serving the connection:
			// touch nothing (the buffers went back before parking).
			return err
		}
		if err != nil || !keep {
			if err == nil && s.st.linger {
				s.lingerClose()
			}
			s.release()
			return err
		}
	}
}

// lingerClose closes after a response sent while request bytes may still
// be arriving (a refused request): closing with unread input would send a
// TCP reset that can destroy the response in the client's receive buffer,
// so the write side is shut first and the input drained for a moment.
func (s *serverConn) lingerClose() {
	if s.conn.CloseWrite() != nil {
		return
	}
	s.conn.SetReadDeadline(time.Now().Add(time.Second))
	for total := 0; total < 1<<20; {
		s.in.r, s.in.w = 0, 0
		n, err := s.in.fill(s.conn, readBufSize)
		total += n
		if err != nil {
			return
		}
	}
}

func (s *serverConn) release() {
	s.in.free()
	s.up.free()
	if s.headp != nil {
		*s.headp = s.head[:0]
		buffer.PutBytes(s.headp)
		s.headp, s.head = nil, nil
	}
}
