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
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/seed405ffdea/mosn/api"
	"github.com/seed405ffdea/mosn/core/accesslog"
	"github.com/seed405ffdea/mosn/core/admin"
	"github.com/seed405ffdea/mosn/core/config"
	"github.com/seed405ffdea/mosn/core/metrics"
	"github.com/seed405ffdea/mosn/core/network"
	"github.com/seed405ffdea/mosn/core/proxy"
	"github.com/seed405ffdea/mosn/core/router"
	"github.com/seed405ffdea/mosn/core/tlsctx"
	"github.com/seed405ffdea/mosn/core/tracing"
	"github.com/seed405ffdea/mosn/core/upstream"
	"github.com/seed405ffdea/mosn/pkg/featuregate"
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
	// Tracers are tracing drivers by name (the config's tracing.driver).
	Tracers *api.Registry[api.TracerFactory]
	// TLSProviders are the tls_context types (crypto/tls under "default";
	// a GM-TLS module adds "gm").
	TLSProviders *api.Registry[api.TLSProviderFactory]
}

// NewRegistries returns registries holding the built-in extensions.
func NewRegistries() *Registries {
	return &Registries{
		StreamFilters:  api.NewRegistry[api.StreamFilterFactory]("stream filter"),
		NetworkFilters: api.NewRegistry[api.NetworkFilterFactory]("network filter"),
		LoadBalancers:  upstream.NewLoadBalancerRegistry(),
		Tracers:        tracing.NewRegistry(),
		TLSProviders:   tlsctx.NewRegistry(),
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
	if r.Tracers != nil {
		for _, id := range r.Tracers.IDs() {
			k.Tracers[id] = true
		}
	}
	if r.TLSProviders != nil {
		k.TLSProviders = map[string]bool{}
		for _, id := range r.TLSProviders.IDs() {
			k.TLSProviders[id] = true
		}
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
	// Registry receives the metrics; nil means a registry of the
	// server's own (Registry()). Two servers must not share one.
	Registry *prometheus.Registry
	// Features is the feature gate, listed by /api/v1/features; nil means
	// none.
	Features *featuregate.Gate
	// AdminAuth, if set, guards the admin API (admin.BasicAuth, or any
	// admin.Authenticator).
	AdminAuth admin.Authenticator
	// Secrets supplies the certificates tls_context sds_source names
	// (the xDS client's SDS); nil means none.
	Secrets api.SecretProvider
	// ConfigPath is the file Config was read from, read again by
	// ReloadFile (POST /api/v1/config/reload); empty disables reloads.
	ConfigPath string
	// Inherited are listening sockets handed over by the process being
	// upgraded, by socket name (upgrade.go); New serves on them instead
	// of binding and closes those it does not use.
	Inherited map[string]net.Listener
	// TransferTimeout is the window over which Takeover moves live
	// connections to the new process (MOSN's TransferTimeout); zero means
	// DefaultTransferTimeout.
	TransferTimeout time.Duration
	// AdminHandlers add GET endpoints to the admin API, by path; one
	// whose path is built in replaces it (admin.Options.Handlers).
	AdminHandlers map[string]http.Handler
	// AdminStats adds stats to the admin API's /stats
	// (admin.Options.ExtraStats).
	AdminStats func() []metrics.Stat
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

	// lnMu guards listeners, running and closed; the dynamic config API
	// adds and removes listeners while the server runs.
	lnMu      sync.Mutex
	listeners []*liveListener
	running   bool
	closed    bool
	// retired are access logs of removed or replaced listeners, closed
	// with the server (connections that outlive a drain may still log);
	// retiredLns are those listeners, draining.
	retired    []*accesslog.Logger
	retiredLns []*network.Listener
	// drains holds, per listener being shut down, a channel closed when
	// its Shutdown returns: a listener is shut down once (drain, then
	// server shutdown, must not run it twice).
	drains map[*network.Listener]chan struct{}

	roller    mlog.Roller
	parkAfter time.Duration
	secrets   api.SecretProvider
	// clusterTLSs are the clusters' TLS providers.
	clusterTLSs clusterTLSCache

	pprof    *http.Server
	pprofLn  net.Listener
	admin    *admin.Server
	stage    stage
	wg       sync.WaitGroup
	updateMu sync.Mutex

	// cfgMu serialises dynamic updates; cfg is replaced, never modified.
	cfgMu sync.Mutex

	reg        *prometheus.Registry
	metrics    *metrics.Metrics
	tracer     api.Tracer // nil without tracing.enable
	metricsSrv *http.Server
	metricsLn  net.Listener

	features     *featuregate.Gate
	started      time.Time
	healthFailed atomic.Bool
	draining     atomic.Bool
	quit         chan struct{}
	quitOnce     sync.Once

	cfgPath   string
	inherited map[string]net.Listener
	adminLn   net.Listener
	transfer  time.Duration
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
		secrets:  o.Secrets,
		version:  o.Version,
		clusters: upstream.NewManager(),
		routers:  router.NewSet(),
		reg:      o.Registry,
		features: o.Features,
		started:  time.Now(),
		quit:     make(chan struct{}),
		cfgPath:  o.ConfigPath,
		transfer: o.TransferTimeout,
	}
	s.inherited = o.Inherited
	defer s.closeInherited()
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
	if err := s.setupMetrics(); err != nil {
		return nil, err
	}
	if t := o.Config.Tracing; t != nil && t.Enable {
		driver := t.Driver
		if driver == "" {
			driver = t.Tracer
		}
		if s.tracer, err = tracing.Build(s.regs.Tracers, driver, t.Config); err != nil {
			return nil, fmt.Errorf("server: tracing: %w", err)
		}
	}
	if err := s.ApplyClusters(o.Config.ClusterManager.Clusters); err != nil {
		return nil, err
	}
	if err := s.ApplyRouters(srv.Routers); err != nil {
		return nil, err
	}
	s.roller = mlog.DefaultRoller()
	if srv.GlobalLogRoller != "" {
		if s.roller, err = mlog.ParseRoller(srv.GlobalLogRoller); err != nil {
			return nil, fmt.Errorf("server: servers[0].global_log_roller: %w", err)
		}
	}
	if srv.UseNetpollMode {
		s.parkAfter = srv.NetpollParkAfter.Duration
	}
	for i, lc := range srv.Listeners {
		ll, err := s.buildListener(lc)
		if err != nil {
			return nil, fmt.Errorf("server: servers[0].listeners[%d]: %w", i, err)
		}
		s.listeners = append(s.listeners, ll)
		s.listenerMetrics(ll)
	}
	s.syncLogMetrics()
	if pp := o.Config.PProf; pp != nil && pp.Debug {
		port := pp.PortValue
		if port == 0 {
			port = config.DefaultPProfPort
		}
		if s.pprof, s.pprofLn, err = s.startPProf(port); err != nil {
			return nil, fmt.Errorf("server: pprof: %w", err)
		}
	}
	if err := s.bindMetricsListener(); err != nil {
		return nil, err
	}
	if o.Config.Admin != nil {
		s.admin, err = s.newAdmin(o.Config.Admin.Addr(), o.AdminAuth, o.AdminHandlers, o.AdminStats)
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
		o, err := s.clusterOptionsLogged(cc)
		var c *upstream.Cluster
		if err == nil {
			c, err = upstream.NewCluster(o, s.regs.LoadBalancers)
		}
		if err != nil {
			for _, b := range built {
				b.Close()
			}
			return fmt.Errorf("server: cluster_manager.clusters[%d]: %w", i, err)
		}
		built = append(built, c)
	}
	s.clusters.Update(built)
	s.syncClusterMetrics()
	return nil
}

// clusterOptions with the server's logger, so health-check and DNS events
// are logged.
func (s *Server) clusterOptionsLogged(cc config.ClusterConfig) (upstream.ClusterOptions, error) {
	o := clusterOptions(cc)
	o.Logger = s.log
	var err error
	o.Pool.TLS, err = s.clusterTLS(cc)
	return o, err
}

func clusterOptions(cc config.ClusterConfig) upstream.ClusterOptions {
	o := upstream.ClusterOptions{
		Name:   cc.Name,
		Type:   cc.Type,
		LBType: cc.LbType,
		Pool: upstream.PoolOptions{
			MaxRequestsPerConn: cc.MaxRequestPerConn,
		},
	}
	if cc.ConnectTimeout != nil {
		o.Pool.ConnectTimeout = cc.ConnectTimeout.Duration
	}
	if cc.IdleTimeout != nil {
		o.Pool.IdleTimeout = cc.IdleTimeout.Duration
	}
	if cb := cc.CircuitBreakers; cb != nil && len(cb.Thresholds) > 0 {
		// MOSN's limits are cluster-wide.
		t := cb.Thresholds[0]
		o.MaxConnections = int64(t.MaxConnections)
		o.MaxPendingRequests = int64(t.MaxPendingRequests)
		o.MaxRequests = int64(t.MaxRequests)
		o.MaxRetries = int64(t.MaxRetries)
	}
	o.Hosts = hostOptions(cc.Hosts)
	if lc := cc.LbConfig; lc != nil {
		o.LB = upstream.LBOptions{
			ChoiceCount:       int(lc.ChoiceCount),
			ActiveRequestBias: lc.ActiveRequestBias,
			MinRingSize:       lc.MinimumRingSize,
			MaxRingSize:       lc.MaximumRingSize,
		}
	}
	if ss := cc.SlowStart; ss != nil && ss.SlowStartDuration != nil {
		o.SlowStart = &upstream.SlowStartOptions{
			Window:           ss.SlowStartDuration.Duration,
			Aggression:       ss.Aggression,
			MinWeightPercent: ss.MinWeightPercent,
		}
	}
	if sc := cc.LBSubsetConfig; sc != nil && len(sc.SubsetSelectors) > 0 {
		o.Subset = &upstream.SubsetOptions{
			FallbackPolicy: upstream.SubsetFallback(sc.FallBackPolicy),
			DefaultSubset:  sc.DefaultSubset,
			Selectors:      sc.SubsetSelectors,
		}
	}
	o.HealthCheck = healthCheckOptions(cc.HealthCheck)
	o.Outlier = outlierOptions(cc.OutlierDetection)
	if cc.Type == "STRICT_DNS" {
		o.DNS = upstream.DNSOptions{RespectTTL: cc.RespectDNSTTL, LookupFamily: cc.DNSLookupFamily}
		if cc.DNSRefreshRate != nil {
			o.DNS.RefreshRate = cc.DNSRefreshRate.Duration
		}
		if r := cc.DNSResolvers; r != nil && len(r.Servers) > 0 {
			// Validate wrote every server as ip:port.
			o.DNS.Resolver = upstream.NewResolver(r.Servers, time.Duration(r.Timeout)*time.Second, r.Attempts)
		}
	}
	if od := cc.LBOriDstConfig; od != nil {
		o.OriginalDst = upstream.OriginalDstOptions{UseHeader: od.UseHeader, HeaderName: od.HeaderName}
	}
	return o
}

// hostOptions maps validated hosts, for NewCluster and for
// Cluster.UpdateHosts (EDS endpoints).
func hostOptions(hs []config.HostConfig) []upstream.HostOptions {
	var out []upstream.HostOptions
	for _, h := range hs {
		ho := upstream.HostOptions{Address: h.Address, Hostname: h.Hostname, Weight: h.Weight, TLSDisable: h.TLSDisable}
		if h.Metadata != nil {
			ho.Metadata = h.Metadata.LB
		}
		out = append(out, ho)
	}
	return out
}

// healthCheckOptions maps MOSN's health_check, which is active only with a
// service_name; nil means no health checking.
func healthCheckOptions(hc *config.HealthCheckConfig) *upstream.HealthCheckOptions {
	if hc == nil || hc.ServiceName == "" {
		return nil
	}
	o := &upstream.HealthCheckOptions{
		Protocol:           upstream.HealthCheckTCP,
		HealthyThreshold:   hc.HealthyThreshold,
		UnhealthyThreshold: hc.UnhealthyThreshold,
		EventLogPath:       hc.EventLogPath,
	}
	for _, d := range []struct {
		from *config.Duration
		to   *time.Duration
	}{
		{hc.Timeout, &o.Timeout},
		{hc.Interval, &o.Interval},
		{hc.IntervalJitter, &o.IntervalJitter},
		{hc.InitialDelaySeconds, &o.InitialDelay},
	} {
		if d.from != nil {
			*d.to = d.from.Duration
		}
	}
	// As MOSN: an Http1 check without http_check_config connects only.
	p := strings.ToLower(hc.Protocol)
	if hc.CheckConfig != nil && hc.CheckConfig.HTTPCheckConfig != nil && (p == "http1" || p == "http") {
		h := hc.CheckConfig.HTTPCheckConfig
		o.Protocol = upstream.HealthCheckHTTP
		o.HTTP = upstream.HTTPHealthCheck{Path: h.Path, Host: h.Host, Port: h.Port, ExpectedStatuses: h.ExpectedStatuses}
		if h.Timeout != nil {
			o.Timeout = h.Timeout.Duration
		}
	}
	return o
}

// outlierOptions maps Envoy's outlier_detection onto Envoy's defaults.
func outlierOptions(od *config.OutlierDetectionConfig) *upstream.OutlierOptions {
	if od == nil {
		return nil
	}
	o := upstream.DefaultOutlierOptions()
	for _, u := range []struct {
		from *uint32
		to   *uint32
	}{
		{od.Consecutive5xx, &o.Consecutive5xx},
		{od.ConsecutiveGatewayFailure, &o.ConsecutiveGatewayFailure},
		{od.EnforcingConsecutive5xx, &o.EnforcingConsecutive5xx},
		{od.EnforcingConsecutiveGatewayFailure, &o.EnforcingConsecutiveGatewayFailure},
		{od.MaxEjectionPercent, &o.MaxEjectionPercent},
	} {
		if u.from != nil {
			*u.to = *u.from
		}
	}
	for _, d := range []struct {
		from *config.Duration
		to   *time.Duration
	}{
		{od.Interval, &o.Interval},
		{od.BaseEjectionTime, &o.BaseEjectionTime},
		{od.MaxEjectionTime, &o.MaxEjectionTime},
	} {
		if d.from != nil {
			*d.to = d.from.Duration
		}
	}
	if od.MaxEjectionTime == nil {
		o.MaxEjectionTime = max(o.MaxEjectionTime, o.BaseEjectionTime)
	}
	return &o
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

// Start serves every listener, the admin API and the metrics listener.
func (s *Server) Start() {
	s.stage.set(Starting)
	s.lnMu.Lock()
	s.running = true
	for _, ll := range s.listeners {
		s.serveListener(ll)
	}
	s.lnMu.Unlock()
	if s.admin != nil {
		s.admin.Start()
		s.log.Info("admin listening", "address", s.admin.Addr().String())
	}
	s.startMetricsListener()
	s.stage.set(Running)
}

// serveListener serves ll on a goroutine of its own. s.lnMu is held.
func (s *Server) serveListener(ll *liveListener) {
	ll.served = make(chan struct{})
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(ll.served)
		if err := ll.ln.Serve(); err != nil {
			s.log.Error("listener stopped", "listener", ll.ln.Name(), "err", err)
		}
	}()
	s.log.Info("listening", "listener", ll.ln.Name(), "address", ll.ln.Addr().String())
}

// Stage returns the lifecycle stage.
func (s *Server) Stage() Stage { return s.stage.get() }

// Listeners returns the listeners in config order.
func (s *Server) Listeners() []*network.Listener {
	s.lnMu.Lock()
	defer s.lnMu.Unlock()
	out := make([]*network.Listener, len(s.listeners))
	for i, ll := range s.listeners {
		out[i] = ll.ln
	}
	return out
}

// ListenerAddr returns the bound address of the named listener, or nil.
func (s *Server) ListenerAddr(name string) net.Addr {
	for _, ln := range s.Listeners() {
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
	return s.admin.Addr()
}

// Stats returns the proxy counters of all listeners added up, at the
// moment of the call.
func (s *Server) Stats() *proxy.Stats {
	sum := &proxy.Stats{}
	s.lnMu.Lock()
	defer s.lnMu.Unlock()
	for _, ll := range s.listeners {
		for _, st := range ll.built.stats {
			sum.Requests.Add(st.Requests.Load())
			sum.Active.Add(st.Active.Load())
			sum.Responses2xx.Add(st.Responses2xx.Load())
			sum.Responses3xx.Add(st.Responses3xx.Load())
			sum.Responses4xx.Add(st.Responses4xx.Load())
			sum.Responses5xx.Add(st.Responses5xx.Load())
			sum.UpstreamErrors.Add(st.UpstreamErrors.Load())
		}
	}
	return sum
}

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
	lns := s.Listeners()
	var wg sync.WaitGroup
	errs := make([]error, len(lns))
	for i, ln := range lns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.shutdownListener(ctx, ln)
		}()
	}
	wg.Wait()
	s.Close()
	return errors.Join(errs...)
}

// Close stops everything at once.
func (s *Server) Close() error {
	s.lnMu.Lock()
	s.closed = true
	var lns []*network.Listener
	for _, ll := range s.listeners {
		lns = append(lns, ll.ln)
	}
	lns = append(lns, s.retiredLns...)
	s.lnMu.Unlock()
	for _, ln := range lns {
		ln.Close()
		ln.CloseConns()
	}
	s.closeMetricsListener()
	s.wg.Wait()
	if s.admin != nil {
		s.admin.Close()
	}
	if s.pprof != nil {
		s.pprof.Close()
		s.pprof = nil
	}
	s.clusters.Close()
	s.clusterTLSs.close()
	s.lnMu.Lock()
	for _, ll := range s.listeners {
		ll.built.closeLogs(nil)
	}
	for _, l := range s.retired {
		l.Close()
	}
	s.retired = nil
	s.lnMu.Unlock()
	s.stage.set(Stopped)
	if s.logger != nil {
		s.logger.Close()
	}
	return nil
}
