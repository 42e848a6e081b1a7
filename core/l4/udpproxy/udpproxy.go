// Package udpproxy is the "udp_proxy" network filter (Envoy's udp_proxy
// in MOSN's config form). It runs on a udp listener (core/network), which
// makes a session per client address: for each session the filter picks a
// host of the cluster its routes name, opens a connected UDP socket to it,
// and relays datagrams both ways, one write per datagram so that
// boundaries are kept, until the session has been idle for the idle
// timeout.
package udpproxy

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/seed405ffdea/mosn/api"
	"github.com/seed405ffdea/mosn/core/accesslog"
	"github.com/seed405ffdea/mosn/core/l4"
	"github.com/seed405ffdea/mosn/core/metrics"
	"github.com/seed405ffdea/mosn/core/network"
	"github.com/seed405ffdea/mosn/core/upstream"
	"github.com/seed405ffdea/mosn/pkg/buffer"
)

// Defaults for Options fields left zero.
const (
	DefaultIdleTimeout = time.Minute
	DefaultMaxSessions = 10000
)

// maxDatagram is the largest UDP payload.
const maxDatagram = 65535

// Options configure a udp_proxy filter.
type Options struct {
	// StatPrefix labels the filter in logs.
	StatPrefix string
	// Router picks each session's cluster by the client's address
	// (required).
	Router *l4.Router
	// Clusters resolves cluster names (required).
	Clusters *upstream.Manager
	// IdleTimeout ends a session without a datagram either way for this
	// long; zero means DefaultIdleTimeout.
	IdleTimeout time.Duration
	// MaxSessions bounds live sessions; datagrams that would start more
	// are dropped. Zero means DefaultMaxSessions.
	MaxSessions int
	// AccessLogs receive one entry per session when it ends.
	AccessLogs []*accesslog.Logger
	// Metrics, if set, receives bytes and failures per cluster.
	Metrics *metrics.Metrics
	// Stats counts sessions; nil means counters of the factory's own.
	Stats *Stats
	// Logger receives per-session failures at debug level.
	Logger *slog.Logger
}

// Stats are a udp_proxy filter's counters.
type Stats struct {
	// Sessions counts sessions started; Active those alive.
	Sessions atomic.Uint64
	Active   atomic.Int64
	// Overflow counts sessions refused by MaxSessions; NoRoute,
	// NoHealthy and ConnectFailures those that found no upstream.
	Overflow, NoRoute, NoHealthy, ConnectFailures atomic.Uint64
	// IdleTimeouts counts sessions ended by the idle timeout.
	IdleTimeouts atomic.Uint64
	// DatagramsReceived/Sent count datagrams from/to clients;
	// BytesReceived/Sent their payload bytes.
	DatagramsReceived, DatagramsSent atomic.Uint64
	BytesReceived, BytesSent         atomic.Uint64
	// UpstreamErrors counts datagrams that could not be sent upstream
	// (ICMP errors of the connected socket, such as port unreachable).
	UpstreamErrors atomic.Uint64
}

// Factory adds a udp_proxy filter to each session. It implements
// api.NetworkFilterChainFactory.
type Factory struct {
	opts Options
}

var _ api.NetworkFilterChainFactory = (*Factory)(nil)

// NewFactory returns a factory; zero options take their defaults.
func NewFactory(o Options) *Factory {
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.MaxSessions <= 0 {
		o.MaxSessions = DefaultMaxSessions
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

type session struct {
	l4.Passive
	opts *Options
	last atomic.Int64 // unix nanoseconds of the last datagram either way
}

var (
	_ api.ReadFilter       = (*session)(nil)
	_ api.ConnectionServer = (*session)(nil)
	_ api.Drainer          = (*session)(nil)
)

// Drain implements api.Drainer: a session has no request to finish; it
// lives until it idles out or its listener closes.
func (s *session) Drain() {}

// datagramReader is what a udp listener's connection offers.
type datagramReader interface {
	ReadDatagram() (*[]byte, error)
}

// Serve implements api.ConnectionServer.
func (s *session) Serve(ctx context.Context, conn api.Connection) error {
	o := s.opts
	st := o.Stats
	if n := st.Active.Add(1); n > int64(o.MaxSessions) {
		st.Active.Add(-1)
		st.Overflow.Add(1)
		return nil // the datagram is dropped; the client may try again
	}
	defer st.Active.Add(-1)
	st.Sessions.Add(1)
	res := l4.Outcome{Start: time.Now()}
	var rx, tx atomic.Uint64
	defer func() {
		res.Received, res.Sent = rx.Load(), tx.Load()
		res.Report(conn, o.AccessLogs, o.Metrics)
	}()
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
	host := cl.ChooseHost(&l4.LBContext{Ctx: ctx, Dst: conn.LocalAddr().String()})
	if host == nil {
		res.Flags |= api.NoHealthyUpstream
		st.NoHealthy.Add(1)
		return nil
	}
	res.Host = host.Address()
	var d net.Dialer
	uc, err := d.DialContext(ctx, "udp", host.Address())
	if err != nil {
		host.RecordResult(0, err)
		res.Flags |= api.UpstreamConnectionFailure
		st.ConnectFailures.Add(1)
		if o.Metrics != nil {
			o.Metrics.ConnectFailure(res.Cluster)
		}
		return nil
	}
	up := uc.(*net.UDPConn)
	res.UpstreamLocal = up.LocalAddr().String()
	host.BeginRequest()
	defer host.EndRequest()
	s.touch()

	done := make(chan struct{})
	go func() {
		defer close(done)
		s.fromUpstream(up, conn, &tx)
	}()
	idled := s.toUpstream(conn, up, &rx)
	if idled {
		st.IdleTimeouts.Add(1)
	}
	up.Close()
	<-done
	return nil
}

// toUpstream relays client datagrams until the session idles out (true)
// or its connection closes.
func (s *session) toUpstream(conn api.Connection, up *net.UDPConn, rx *atomic.Uint64) (idled bool) {
	o := s.opts
	st := o.Stats
	dr, _ := conn.(datagramReader)
	if nc, ok := conn.(*network.Conn); ok && nc.Inspected() {
		dr = nil // read filters must see the bytes: go through Read
	}
	window := o.IdleTimeout / 4
	if window <= 0 {
		window = o.IdleTimeout
	}
	// The deadline is moved once per window, not per datagram: a busy
	// session pays nothing for the idle check.
	conn.SetReadDeadline(time.Now().Add(window))
	for {
		var bp *[]byte
		var err error
		if dr != nil {
			bp, err = dr.ReadDatagram()
		} else {
			bp = buffer.GetBytes(maxDatagram)
			var n int
			n, err = conn.Read(*bp)
			*bp = (*bp)[:n]
			if err != nil {
				buffer.PutBytes(bp)
				bp = nil
			}
		}
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				if time.Duration(time.Now().UnixNano()-s.last.Load()) < o.IdleTimeout {
					conn.SetReadDeadline(time.Now().Add(window))
					continue
				}
				return true
			}
			return false // closed (io.EOF) or failed
		}
		s.touch()
		st.DatagramsReceived.Add(1)
		st.BytesReceived.Add(uint64(len(*bp)))
		rx.Add(uint64(len(*bp)))
		if _, err := up.Write(*bp); err != nil {
			st.UpstreamErrors.Add(1)
		}
		buffer.PutBytes(bp)
	}
}

// fromUpstream relays the upstream's datagrams to the client until the
// upstream socket closes. It waits without a buffer: one is taken from
// the pool only when a datagram is there.
func (s *session) fromUpstream(up *net.UDPConn, conn api.Connection, tx *atomic.Uint64) {
	st := s.opts.Stats
	// Without write filters the datagram goes straight to the session's
	// socket (Connection.Write's variadic slice would cost an allocation).
	write := func(p []byte) error { return conn.Write(p) }
	if nc, ok := conn.(*network.Conn); ok && !nc.WriteFiltered() {
		raw := nc.RawConn()
		write = func(p []byte) error { _, err := raw.Write(p); return err }
	}
	rc, err := up.SyscallConn()
	if err != nil {
		return
	}
	var bp *[]byte
	var n int
	var rerr error
	read := func(fd uintptr) bool {
		bp = buffer.GetBytes(maxDatagram)
		for {
			n, rerr = syscall.Read(int(fd), *bp) // connected: no address
			if rerr == syscall.EINTR {
				continue
			}
			if rerr == syscall.EAGAIN {
				buffer.PutBytes(bp)
				bp = nil
				return false
			}
			return true
		}
	}
	for {
		if err := rc.Read(read); err != nil {
			return // closed
		}
		if rerr != nil {
			if bp != nil {
				buffer.PutBytes(bp)
				bp = nil
			}
			// ICMP errors (port unreachable) arrive on the connected
			// socket as read errors; the session goes on, as Envoy's.
			st.UpstreamErrors.Add(1)
			continue
		}
		s.touch()
		if err := write((*bp)[:n]); err != nil {
			buffer.PutBytes(bp)
			bp = nil
			if errors.Is(err, net.ErrClosed) || errors.Is(err, io.EOF) {
				return
			}
			continue
		}
		st.DatagramsSent.Add(1)
		st.BytesSent.Add(uint64(n))
		tx.Add(uint64(n))
		buffer.PutBytes(bp)
		bp = nil
	}
}

func (s *session) touch() { s.last.Store(time.Now().UnixNano()) }
