package server

import (
	"fmt"
	"net/http"
	"sort"

	"github.com/seed405ffdea/mosn/core/accesslog"
	"github.com/seed405ffdea/mosn/core/admin"
	"github.com/seed405ffdea/mosn/core/config"
	"github.com/seed405ffdea/mosn/core/metrics"
)

// The server is the admin API's view of the proxy.
var (
	_ admin.ConfigSource = (*Server)(nil)
	_ admin.Updater      = (*Server)(nil)
	_ admin.Lifecycle    = (*Server)(nil)
	_ admin.Inspector    = (*Server)(nil)
	_ admin.Reloader     = (*Server)(nil)
)

// newAdmin binds the admin API on addr.
func (s *Server) newAdmin(addr string, auth admin.Authenticator, handlers map[string]http.Handler, stats func() []metrics.Stat) (*admin.Server, error) {
	o := admin.Options{
		Address:       addr,
		Config:        s,
		Updater:       s,
		Lifecycle:     s,
		Inspector:     s,
		AccessLogs:    s.AccessLogs,
		Metrics:       s.metrics,
		Gatherer:      s.reg,
		Features:      s.features,
		Version:       s.version,
		VersionString: s.version.Version,
		Auth:          auth,
		PProf:         s.cfg.PProf != nil && s.cfg.PProf.Debug,
		Logger:        s.log,
		Handlers:      handlers,
		ExtraStats:    stats,
	}
	if s.logger != nil {
		o.ErrorLog = s.logger
	}
	var err error
	if o.Listener, err = s.listenTCP("admin", addr); err != nil {
		return nil, fmt.Errorf("admin: %w", err)
	}
	s.adminLn = o.Listener
	if len(s.cfg.Servers) > 0 {
		o.ErrorLogPath = s.cfg.Servers[0].DefaultLogPath
	}
	return admin.New(o)
}

// RunningConfig implements admin.ConfigSource: the configuration the
// server runs, validated, as the last successful Update left it. It must
// not be modified.
func (s *Server) RunningConfig() *config.MOSNConfig {
	s.cfgMu.Lock()
	defer s.cfgMu.Unlock()
	return s.cfg
}

// AdminState implements admin.Lifecycle.
func (s *Server) AdminState() admin.State {
	st := s.Stage()
	draining := s.draining.Load() || st == GracefulStopping || st == Upgrading || st == Stopped
	return admin.State{
		Stage:             st.String(),
		StageCode:         int(st),
		Running:           st == Running && !draining,
		Draining:          draining,
		HealthCheckFailed: s.healthFailed.Load(),
		Started:           s.started,
	}
}

// SetHealthCheckFailed implements admin.Lifecycle: /ready fails while set.
func (s *Server) SetHealthCheckFailed(failed bool) { s.healthFailed.Store(failed) }

// DrainListeners implements admin.Lifecycle: every listener stops
// accepting and its connections close after their current request,
// within graceful_timeout. It returns at once.
func (s *Server) DrainListeners() {
	s.draining.Store(true)
	timeout := s.GracefulTimeout()
	for _, ln := range s.Listeners() {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			ctx, cancel := contextWithTimeout(timeout)
			defer cancel()
			s.shutdownListener(ctx, ln)
		}()
	}
}

// Quit implements admin.Lifecycle: it asks whoever runs the server (the
// CLI) to stop it gracefully, through QuitRequested.
func (s *Server) Quit() { s.quitOnce.Do(func() { close(s.quit) }) }

// QuitRequested is closed when the admin API asked the process to stop
// (/quitquitquit). The CLI's main loop waits on it with its signals.
func (s *Server) QuitRequested() <-chan struct{} { return s.quit }

// ListenerStatuses implements admin.Inspector.
func (s *Server) ListenerStatuses() []admin.ListenerStatus {
	var out []admin.ListenerStatus
	for _, ln := range s.Listeners() {
		out = append(out, admin.ListenerStatus{Name: ln.Name(), Address: ln.Addr().String()})
	}
	return out
}

// ClusterStatuses implements admin.Inspector.
func (s *Server) ClusterStatuses() []admin.ClusterStatus {
	limits := map[string]config.Thresholds{}
	for _, cc := range s.RunningConfig().ClusterManager.Clusters {
		if cb := cc.CircuitBreakers; cb != nil && len(cb.Thresholds) > 0 {
			limits[cc.Name] = cb.Thresholds[0]
		}
	}
	names := s.clusters.Names()
	sort.Strings(names)
	out := make([]admin.ClusterStatus, 0, len(names))
	for _, name := range names {
		c := s.clusters.Get(name)
		if c == nil {
			continue
		}
		t := limits[name]
		cs := admin.ClusterStatus{
			Name:               name,
			MaxConnections:     uint64(t.MaxConnections),
			MaxPendingRequests: uint64(t.MaxPendingRequests),
			MaxRequests:        uint64(t.MaxRequests),
			MaxRetries:         uint64(t.MaxRetries),
		}
		for _, h := range c.Hosts() {
			cs.Hosts = append(cs.Hosts, admin.HostStatus{
				Address:         h.Address(),
				Hostname:        h.Hostname(),
				Weight:          h.Weight(),
				Healthy:         h.Healthy(),
				Ejected:         h.Ejected(),
				ActiveRequests:  h.ActiveRequests(),
				OpenConnections: h.OpenConnections(),
			})
		}
		out = append(out, cs)
	}
	return out
}

// AccessLogs returns the access logs of the running listeners.
func (s *Server) AccessLogs() []*accesslog.Logger {
	s.lnMu.Lock()
	defer s.lnMu.Unlock()
	var out []*accesslog.Logger
	for _, ll := range s.listeners {
		out = append(out, ll.built.logs...)
	}
	return out
}
