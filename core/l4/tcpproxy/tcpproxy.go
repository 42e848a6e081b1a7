// Package tcpproxy is the "tcp_proxy" network filter: each downstream
// connection is joined to one upstream connection of a cluster chosen by
// the connection's addresses, and bytes are copied both ways until both
// sides are done (half-closes are passed on), either side fails, or
// nothing moved for the idle timeout.
//
// The filter is an api.ConnectionServer: it gets the connection's
// goroutine, which copies downstream to upstream; a second goroutine
// copies the other way. When no read filter needs to see the bytes and no
// write filter needs to change them, the copy is kernel to kernel (splice
// on Linux, through (*net.TCPConn).ReadFrom / WriteTo); otherwise it goes
// through the connection's Read and Write.
package tcpproxy

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/seed405ffdea/mosn/api"
	"github.com/seed405ffdea/mosn/core/accesslog"
	"github.com/seed405ffdea/mosn/core/l4"
	"github.com/seed405ffdea/mosn/core/metrics"
	"github.com/seed405ffdea/mosn/core/upstream"
)

// Options configure a tcp_proxy filter.
type Options struct {
	// StatPrefix labels the filter in logs.
	StatPrefix string
	// Router picks each connection's cluster (required).
	Router *l4.Router
	// Clusters resolves cluster names (required).
	Clusters *upstream.Manager
	// IdleTimeout closes both sides when no byte moved either way for
	// this long; zero means never.
	IdleTimeout time.Duration
	// MaxConnectAttempts is how many connects are tried, each to a host
	// chosen anew (avoiding hosts already tried); below 1 means 1.
	MaxConnectAttempts int
	// AccessLogs receive one entry per connection when it ends.
	AccessLogs []*accesslog.Logger
	// Metrics, if set, receives bytes and failures per cluster.
	Metrics *metrics.Metrics
	// Stats counts connections; nil means counters of the factory's own.
	Stats *Stats
	// Logger receives per-connection failures at debug level; nil
	// discards.
	Logger *slog.Logger
}

// Stats are a tcp_proxy filter's counters, shared by its connections.
type Stats struct {
	// Connections counts downstream connections handled; Active those
	// open now.
	Connections atomic.Uint64
	Active      atomic.Int64
	// NoRoute counts connections no route and no default cluster took
	// (or whose cluster does not exist); NoHealthy those whose cluster had
	// no host; Overflow those a circuit breaker refused; ConnectFailures
	// failed connect attempts; Failed connections closed after every
	// attempt failed.
	NoRoute, NoHealthy, Overflow, ConnectFailures, Failed atomic.Uint64
	// IdleTimeouts counts connections closed by the idle timeout.
	IdleTimeouts atomic.Uint64
	// BytesReceived and BytesSent count bytes from and to downstream.
	BytesReceived, BytesSent atomic.Uint64
}

// Factory adds a tcp_proxy filter to each connection. It implements
// api.NetworkFilterChainFactory.
type Factory struct {
	opts Options
}

var _ api.NetworkFilterChainFactory = (*Factory)(nil)

// NewFactory returns a factory.
func NewFactory(o Options) *Factory {
	if o.MaxConnectAttempts < 1 {
		o.MaxConnectAttempts = 1
	}
	if o.Stats == nil {
		o.Stats = &Stats{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Factory{opts: o}
}

// Stats returns the filter's counters.
func (f *Factory) Stats() *Stats { return f.opts.Stats }

// CreateFilterChain implements api.NetworkFilterChainFactory.
func (f *Factory) CreateFilterChain(_ context.Context, fm api.FilterManager) {
	fm.AddReadFilter(&session{opts: &f.opts})
}

// session is one downstream connection.
type session struct {
	l4.Passive
	opts     *Options
	draining atomic.Bool
}

var (
	_ api.ReadFilter       = (*session)(nil)
	_ api.ConnectionServer = (*session)(nil)
	_ api.Drainer          = (*session)(nil)
)

// Drain implements api.Drainer. A TCP stream has no request boundary to
// stop at, so, as Envoy's tcp_proxy, the connection goes on until it ends,
// idles out or the drain deadline cuts it.
func (s *session) Drain() { s.draining.Store(true) }

// Serve implements api.ConnectionServer.
func (s *session) Serve(ctx context.Context, conn api.Connection) error {
	o := s.opts
	st := o.Stats
	st.Connections.Add(1)
	st.Active.Add(1)
	defer st.Active.Add(-1)
	res := l4.Outcome{Start: time.Now()}
	defer s.finish(conn, &res)

	res.Cluster = o.Router.Cluster(conn.RemoteAddr(), conn.LocalAddr())
	var cl *upstream.Cluster
	if res.Cluster != "" {
		cl = o.Clusters.Get(res.Cluster)
	}
	if cl == nil {
		res.Flags |= api.NoRouteFound
		st.NoRoute.Add(1)
		return nil
	}
	uc, host := s.connect(ctx, cl, conn, &res)
	if uc == nil {
		return nil
	}
	defer host.EndRequest()
	res.Host, res.UpstreamLocal = host.Address(), uc.LocalAddress
	p := newPipe(conn, uc.Conn, o.IdleTimeout)
	err := p.run()
	res.Received, res.Sent = uint64(p.down.n.Load()), uint64(p.up.n.Load())
	switch {
	case p.idled.Load():
		st.IdleTimeouts.Add(1)
	case p.down.err != nil:
		res.Flags |= api.DownstreamConnectionTermination
	case p.up.err != nil:
		res.Flags |= api.UpstreamRemoteReset
	}
	uc.Pool().Discard(uc)
	if err != nil && o.Logger.Enabled(ctx, slog.LevelDebug) {
		o.Logger.Debug("tcp_proxy: connection failed", "stat_prefix", o.StatPrefix, "cluster", res.Cluster,
			"upstream", res.Host, "err", err)
	}
	return nil
}

// connect opens the upstream connection: up to MaxConnectAttempts
// connects, each to a host the balancer picks, avoiding hosts that
// already failed when the cluster has others. The returned host's request
// count is held until the caller's EndRequest.
func (s *session) connect(ctx context.Context, cl *upstream.Cluster, conn api.Connection, res *l4.Outcome) (*upstream.UpConn, *upstream.Host) {
	o := s.opts
	st := o.Stats
	lb := &l4.LBContext{Ctx: ctx, Dst: conn.LocalAddr().String()}
	var tried []*upstream.Host
	for attempt := 0; attempt < o.MaxConnectAttempts; attempt++ {
		host := pick(cl, lb, tried)
		if host == nil {
			if attempt == 0 {
				res.Flags |= api.NoHealthyUpstream
				st.NoHealthy.Add(1)
			}
			break
		}
		res.Host = host.Address()
		host.BeginRequest()
		uc, err := host.Pool().Dial(ctx)
		if err == nil {
			host.RecordResult(0, nil)
			res.Flags &^= api.UpstreamConnectionFailure
			return uc, host
		}
		host.EndRequest()
		if errors.Is(err, upstream.ErrOverflow) {
			res.Flags |= api.UpstreamOverflow
			st.Overflow.Add(1)
			return nil, nil
		}
		host.RecordResult(0, err)
		res.Flags |= api.UpstreamConnectionFailure
		st.ConnectFailures.Add(1)
		if o.Metrics != nil {
			o.Metrics.ConnectFailure(cl.Name())
		}
		if o.Logger.Enabled(ctx, slog.LevelDebug) {
			o.Logger.Debug("tcp_proxy: connect failed", "stat_prefix", o.StatPrefix, "cluster", cl.Name(),
				"host", host.Address(), "attempt", attempt+1, "err", err)
		}
		if ctx.Err() != nil {
			break // the client went away
		}
		tried = append(tried, host)
	}
	if res.Flags&api.UpstreamConnectionFailure != 0 {
		st.Failed.Add(1)
	}
	return nil, nil
}

// pick asks the balancer for a host, asking again (a few times) when it
// answers with one already tried.
func pick(cl *upstream.Cluster, lb *l4.LBContext, tried []*upstream.Host) *upstream.Host {
	var h *upstream.Host
	for i := 0; i < 4; i++ {
		h = cl.ChooseHost(lb)
		if h == nil || !contains(tried, h) {
			return h
		}
	}
	return h
}

func contains(hs []*upstream.Host, h *upstream.Host) bool {
	for _, x := range hs {
		if x.Address() == h.Address() {
			return true
		}
	}
	return false
}

// finish counts a connection's bytes and reports it.
func (s *session) finish(conn api.Connection, res *l4.Outcome) {
	o := s.opts
	o.Stats.BytesReceived.Add(res.Received)
	o.Stats.BytesSent.Add(res.Sent)
	res.Report(conn, o.AccessLogs, o.Metrics)
}
