// Package server assembles a running proxy from a validated config:
// logging, clusters, routers, listeners with their filter chains, and the
// admin listener. It owns the lifecycle: start, graceful drain, stop.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/seed405ffdea/mosn/api"
	"github.com/seed405ffdea/mosn/core/accesslog"
	"github.com/seed405ffdea/mosn/core/config"
	"github.com/seed405ffdea/mosn/core/network"
	"github.com/seed405ffdea/mosn/core/protocol/http1"
	"github.com/seed405ffdea/mosn/core/proxy"
	"github.com/seed405ffdea/mosn/core/router"
	"github.com/seed405ffdea/mosn/core/upstream"
	mlog "github.com/seed405ffdea/mosn/pkg/log"
)

// DefaultGracefulTimeout is how long a graceful stop waits for in-flight
// requests when the config sets no graceful_timeout (MOSN's default).
const DefaultGracefulTimeout = 30 * time.Second

// Registries are the extension points a distro fills before New.
type Registries struct {
	StreamFilters  *api.Registry[api.StreamFilterFactory]
	NetworkFilters *api.Registry[api.NetworkFilterFactory]
	LoadBalancers  *api.Registry[api.LoadBalancerFactory]
}

// NewRegistries returns registries holding the built-in extensions.
func NewRegistries() *Registries {
	return &Registries{
		StreamFilters:  api.NewRegistry[api.StreamFilterFactory]("stream filter"),
		NetworkFilters: api.NewRegistry[api.NetworkFilterFactory]("network filter"),
		LoadBalancers:  upstream.NewLoadBalancerRegistry(),
	}
}

// Known returns the filter types the registries support, for
// config.ValidateWith.
func (r *Registries) Known() config.Known {
	k := config.Builtins()
	for _, id := range r.StreamFilters.IDs() {
		k.StreamFilters[id] = true
	}
	for _, id := range r.NetworkFilters.IDs() {
		k.NetworkFilters[id] = true
	}
	return k
}

// Options configure New.
type Options struct {
	// Config is the configuration to run; it is validated again by New.
	Config *config.MOSNConfig
	// Registries hold the extensions; nil means the built-ins only.
	Registries *Registries
	// Logger overrides the logger the config describes (tests).
	Logger *slog.Logger
	// Version is reported by the admin API.
	Version VersionInfo
}

// VersionInfo is what /api/v1/version reports.
type VersionInfo struct {
	Version string            `json:"version"`
	Modules map[string]string `json:"modules,omitempty"`
}

// Server is a running proxy.
type Server struct {
	cfg      *config.MOSNConfig
	regs     *Registries
	log      *slog.Logger
	logger   *mlog.Logger
	version  VersionInfo
	clusters *upstream.Manager
	routers  *router.Set
	stats    *proxy.Stats

	listeners  []*network.Listener
	pprof      *http.Server
	pprofLn    net.Listener
	accessLogs []*accesslog.Logger
	admin      *adminServer
	stage      stage
	wg         sync.WaitGroup
	updateMu   sync.Mutex
}

// New builds a server from cfg and binds its listeners, so that an address
// in use is reported here and connects queue from this moment on. Nothing
// is served until Start.
func New(o Options) (_ *Server, err error) {
	if o.Config == nil {
		return nil, errors.New("server: no config")
	}
	if o.Registries == nil {
		o.Registries = NewRegistries()
	}
	if err := o.Config.ValidateWith(o.Registries.Known()); err != nil {
		return nil, err
	}
	s := &Server{
		cfg:      o.Config,
		regs:     o.Registries,
		version:  o.Version,
		clusters: upstream.NewManager(),
		routers:  router.NewSet(),
		stats:    &proxy.Stats{},
	}
	s.stage.set(Initing)
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	var srv config.ServerConfig
	if len(o.Config.Servers) > 0 {
		srv = o.Config.Servers[0]
	}
	if o.Logger != nil {
		s.log = o.Logger
	} else {
		s.logger, err = mlog.New(mlog.Options{Path: srv.DefaultLogPath, Level: srv.DefaultLogLevel, Roller: srv.GlobalLogRoller})
		if err != nil {
			return nil, fmt.Errorf("server: servers[0]: %w", err)
		}
		s.log = s.logger.Slog()
	}
	if err := s.ApplyClusters(o.Config.ClusterManager.Clusters); err != nil {
		return nil, err
	}
	if err := s.ApplyRouters(srv.Routers); err != nil {
		return nil, err
	}
	roller := mlog.DefaultRoller()
	if srv.GlobalLogRoller != "" {
		if roller, err = mlog.ParseRoller(srv.GlobalLogRoller); err != nil {
			return nil, fmt.Errorf("server: servers[0].global_log_roller: %w", err)
		}
	}
	var parkAfter time.Duration
	if srv.UseNetpollMode {
		parkAfter = srv.NetpollParkAfter.Duration
	}
	for i, lc := range srv.Listeners {
		ln, err := s.buildListener(lc, roller, parkAfter)
		if err != nil {
			return nil, fmt.Errorf("server: servers[0].listeners[%d]: %w", i, err)
		}
		s.listeners = append(s.listeners, ln)
	}
	if pp := o.Config.PProf; pp != nil && pp.Debug {
		port := pp.PortValue
		if port == 0 {
			port = config.DefaultPProfPort
		}
		if s.pprof, s.pprofLn, err = startPProf(port); err != nil {
			return nil, fmt.Errorf("server: pprof: %w", err)
		}
	}
	if o.Config.Admin != nil {
		s.admin, err = newAdmin(s, o.Config.Admin.Addr())
		if err != nil {
			return nil, fmt.Errorf("server: admin: %w", err)
		}
	}
	return s, nil
}

// ApplyClusters validates and builds clusters and swaps them in as one
// snapshot; on error the running clusters are untouched. It is the public
// path for every config source (file, admin API, xDS).
func (s *Server) ApplyClusters(ccs []config.ClusterConfig) error {
	s.updateMu.Lock()
	defer s.updateMu.Unlock()
	built := make([]*upstream.Cluster, 0, len(ccs))
	for i, cc := range ccs {
		c, err := upstream.NewCluster(clusterOptions(cc), s.regs.LoadBalancers)
		if err != nil {
			for _, b := range built {
				b.Close()
			}
			return fmt.Errorf("server: cluster_manager.clusters[%d]: %w", i, err)
		}
		built = append(built, c)
	}
	s.clusters.Update(built)
	return nil
}

func clusterOptions(cc config.ClusterConfig) upstream.ClusterOptions {
	o := upstream.ClusterOptions{
		Name:   cc.Name,
		LBType: cc.LbType,
		Pool: upstream.PoolOptions{
			MaxRequestsPerConn: cc.MaxRequestPerConn,
		},
	}
	if cc.ConnectTimeout != nil {
		o.Pool.ConnectTimeout = cc.ConnectTimeout.Duration
	}
	if cb := cc.CircuitBreakers; cb != nil && len(cb.Thresholds) > 0 {
		t := cb.Thresholds[0]
		o.Pool.MaxConns = int(t.MaxConnections)
		o.MaxRequests = int64(t.MaxRequests)
	}
	for _, h := range cc.Hosts {
		o.Hosts = append(o.Hosts, upstream.HostOptions{Address: h.Address, Hostname: h.Hostname, Weight: h.Weight})
	}
	return o
}

// ApplyRouters builds route tables and swaps them in as one snapshot.
func (s *Server) ApplyRouters(rcs []config.RouterConfig) error {
	s.updateMu.Lock()
	defer s.updateMu.Unlock()
	tables := make([]*router.Table, 0, len(rcs))
	for _, rc := range rcs {
		t, err := router.Build(rc)
		if err != nil {
			return fmt.Errorf("server: %w", err)
		}
		tables = append(tables, t)
	}
	s.routers.Update(tables)
	return nil
}

func (s *Server) buildListener(lc config.ListenerConfig, roller mlog.Roller, parkAfter time.Duration) (*network.Listener, error) {
	var logs []*accesslog.Logger
	for i, al := range lc.AccessLogs {
		l, err := accesslog.New(al.Path, al.Format, roller)
		if err != nil {
			return nil, fmt.Errorf("access_logs[%d]: %w", i, err)
		}
		s.accessLogs = append(s.accessLogs, l)
		logs = append(logs, l)
	}
	var sfs []api.StreamFilterChainFactory
	for i, fc := range lc.StreamFilters {
		f, ok := s.regs.StreamFilters.Get(fc.Type)
		if !ok {
			return nil, fmt.Errorf("stream_filters[%d]: stream filter type %q is not supported", i, fc.Type)
		}
		sf, err := f(fc.Config)
		if err != nil {
			return nil, fmt.Errorf("stream_filters[%d].config: %w", i, err)
		}
		sfs = append(sfs, sf)
	}
	var nfs []api.NetworkFilterChainFactory
	for ci, chain := range lc.FilterChains {
		for fi, fc := range chain.Filters {
			if fc.Type == "proxy" && fc.Proxy != nil {
				o := proxy.Options{
					RouterName:    fc.Proxy.RouterConfigName,
					Routers:       s.routers,
					Clusters:      s.clusters,
					StreamFilters: sfs,
					Logger:        s.log,
					Stats:         s.stats,
					AccessLogs:    logs,
					Limits: http1.Limits{
						MaxHeaderBytes: int(fc.Proxy.MaxRequestHeadersKB) << 10,
						MaxHeaders:     int(fc.Proxy.MaxHeadersCount),
					},
					MaxRequestBody:    fc.Proxy.MaxRequestBodyBytes,
					HeadersTimeout:    fc.Proxy.RequestHeadersTimeout.Duration,
					StreamIdleTimeout: fc.Proxy.StreamIdleTimeout.Duration,
				}
				if lc.ConnectionIdleTimeout != nil {
					o.IdleTimeout = lc.ConnectionIdleTimeout.Duration
				} else {
					o.IdleTimeout = config.DefaultConnectionIdleTimeout
				}
				nfs = append(nfs, proxy.NewFactory(o))
				continue
			}
			f, ok := s.regs.NetworkFilters.Get(fc.Type)
			if !ok {
				return nil, fmt.Errorf("filter_chains[%d].filters[%d]: filter type %q is not supported", ci, fi, fc.Type)
			}
			nf, err := f(fc.Config)
			if err != nil {
				return nil, fmt.Errorf("filter_chains[%d].filters[%d].config: %w", ci, fi, err)
			}
			nfs = append(nfs, nf)
		}
	}
	netw := lc.Network
	if netw == "" {
		netw = "tcp"
	}
	return network.Listen(network.ListenerOptions{
		Name:      lc.Name,
		Network:   netw,
		Address:   lc.Address,
		ReusePort: lc.ReusePort,
		Filters:   nfs,
		Logger:    s.log,
		// Only listeners whose last filter serves the connection itself
		// can park it.
		ParkIdleAfter: parkAfter,
	})
}

// Start serves every listener and the admin API.
func (s *Server) Start() {
	s.stage.set(Starting)
	for _, ln := range s.listeners {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := ln.Serve(); err != nil {
				s.log.Error("listener stopped", "listener", ln.Name(), "err", err)
			}
		}()
		s.log.Info("listening", "listener", ln.Name(), "address", ln.Addr().String())
	}
	if s.admin != nil {
		s.admin.start()
		s.log.Info("admin listening", "address", s.admin.addr().String())
	}
	s.stage.set(Running)
}

// Stage returns the lifecycle stage.
func (s *Server) Stage() Stage { return s.stage.get() }

// Listeners returns the listeners in config order.
func (s *Server) Listeners() []*network.Listener { return s.listeners }

// ListenerAddr returns the bound address of the named listener, or nil.
func (s *Server) ListenerAddr(name string) net.Addr {
	for _, ln := range s.listeners {
		if ln.Name() == name {
			return ln.Addr()
		}
	}
	return nil
}

// PProfAddr returns the profiling endpoint's address, nil when off.
func (s *Server) PProfAddr() net.Addr {
	if s.pprofLn == nil {
		return nil
	}
	return s.pprofLn.Addr()
}

// AdminAddr returns the admin listener's address, nil without admin.
func (s *Server) AdminAddr() net.Addr {
	if s.admin == nil {
		return nil
	}
	return s.admin.addr()
}

// Stats returns the proxy counters shared by all listeners.
func (s *Server) Stats() *proxy.Stats { return s.stats }

// GracefulTimeout is the configured graceful_timeout or its default.
func (s *Server) GracefulTimeout() time.Duration {
	if len(s.cfg.Servers) > 0 && s.cfg.Servers[0].GracefulTimeout.Duration > 0 {
		return s.cfg.Servers[0].GracefulTimeout.Duration
	}
	return DefaultGracefulTimeout
}

// Shutdown stops accepting, lets in-flight requests finish (keep-alive
// connections close after their current response) until ctx ends, then
// closes what remains. The admin API answers until the end.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stage.set(GracefulStopping)
	var wg sync.WaitGroup
	errs := make([]error, len(s.listeners))
	for i, ln := range s.listeners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = ln.Shutdown(ctx)
		}()
	}
	wg.Wait()
	s.Close()
	return errors.Join(errs...)
}

// Close stops everything at once.
func (s *Server) Close() error {
	for _, ln := range s.listeners {
		ln.Close()
		ln.CloseConns()
	}
	s.wg.Wait()
	if s.admin != nil {
		s.admin.close()
	}
	if s.pprof != nil {
		s.pprof.Close()
		s.pprof = nil
	}
	s.clusters.Close()
	for _, l := range s.accessLogs {
		l.Close()
	}
	s.accessLogs = nil
	s.stage.set(Stopped)
	if s.logger != nil {
		s.logger.Close()
	}
	return nil
}
