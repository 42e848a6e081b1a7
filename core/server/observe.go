package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/seed405ffdea/mosn/core/config"
	"github.com/seed405ffdea/mosn/core/metrics"
	mlog "github.com/seed405ffdea/mosn/pkg/log"
)

// setupMetrics builds the metrics on the server's registry as the
// config's metrics block says (names, Istio, Go and process collectors).
func (s *Server) setupMetrics() error {
	if s.reg == nil {
		s.reg = prometheus.NewRegistry()
	}
	mc := s.cfg.Metrics
	if mc == nil {
		mc = &config.MetricsConfig{}
	}
	o := metrics.Options{Naming: mc.Naming, Clusters: s.clusters}
	if is := mc.Istio; is != nil && is.Sidecar {
		o.Istio = &metrics.IstioOptions{
			Reporter:  is.Reporter,
			Workload:  is.Workload,
			Namespace: is.Namespace,
			Principal: is.Principal,
			App:       is.App,
			Version:   is.Version,
			Cluster:   is.Cluster,
		}
	}
	var err error
	if s.metrics, err = metrics.New(s.reg, o); err != nil {
		return fmt.Errorf("server: metrics: %w", err)
	}
	// MOSN's prometheus sink adds the Go and process collectors unless
	// told not to; so do we, whether or not a sink is configured.
	goOn, procOn := true, true
	for _, sk := range mc.Sinks {
		if p := sk.Prometheus; p != nil {
			goOn, procOn = !p.DisableCollectGo, !p.DisableCollectProcess
		}
	}
	for _, c := range []struct {
		on bool
		c  prometheus.Collector
	}{
		{goOn, collectors.NewGoCollector()},
		{procOn, collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})},
	} {
		if !c.on {
			continue
		}
		if err := s.reg.Register(c.c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if !errors.As(err, &are) {
				return fmt.Errorf("server: metrics: %w", err)
			}
		}
	}
	return nil
}

// Registry returns the registry the server's metrics are on.
func (s *Server) Registry() *prometheus.Registry { return s.reg }

// Metrics returns the server's metric handles.
func (s *Server) Metrics() *metrics.Metrics { return s.metrics }

// listenerMetrics connects a listener's counters to the metrics.
func (s *Server) listenerMetrics(ll *liveListener) {
	name := ll.cfg.Name
	s.metrics.Listener(name, ll.ln.Addr().String()).SetSource(ll.ln.ConnCounts)
	built := func() *builtChain {
		s.lnMu.Lock()
		defer s.lnMu.Unlock()
		return ll.built
	}
	if len(ll.built.stats) > 0 {
		s.metrics.HTTP(name).SetSources(ll.ln.ConnCounts, func() (uint64, int64) { return built().requestCounts() })
	}
}

// forgetListenerMetrics drops a removed listener's series.
func (s *Server) forgetListenerMetrics(ll *liveListener) {
	s.metrics.RemoveListener(ll.cfg.Name)
	s.metrics.RemoveHTTP(ll.cfg.Name)
}

// syncLogMetrics exports the lost-line counts of the running listeners'
// access logs.
func (s *Server) syncLogMetrics() {
	logs := map[string]func() uint64{}
	for _, l := range s.AccessLogs() {
		logs[l.Path()] = l.Dropped
	}
	s.metrics.SetAccessLogs(logs)
}

// syncClusterMetrics makes a handle for every cluster and drops those of
// clusters and hosts that are gone.
func (s *Server) syncClusterMetrics() {
	if s.metrics == nil {
		return
	}
	names := s.clusters.Names()
	for _, name := range names {
		c := s.clusters.Get(name)
		if c == nil {
			continue
		}
		mc := s.metrics.Cluster(name)
		hosts := c.Hosts()
		addrs := make([]string, len(hosts))
		for i, h := range hosts {
			addrs[i] = h.Address()
			mc.PrepareHost(addrs[i])
		}
		mc.RetainHosts(addrs)
	}
	s.metrics.RetainClusters(names)
}

// bindMetricsListener binds the prometheus sink's listener, if the config
// has one (Istio scrapes 15090/stats/prometheus).
func (s *Server) bindMetricsListener() error {
	mc := s.cfg.Metrics
	if mc == nil {
		return nil
	}
	for i, sk := range mc.Sinks {
		p := sk.Prometheus
		if p == nil {
			continue
		}
		ln, err := s.listenTCP("metrics", p.ListenAddress())
		if err != nil {
			return fmt.Errorf("server: metrics.sinks[%d]: %w", i, err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET "+p.Endpoint, promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
		s.metricsLn = ln
		s.metricsSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	}
	return nil
}

func (s *Server) startMetricsListener() {
	if s.metricsSrv == nil {
		return
	}
	srv, ln := s.metricsSrv, s.metricsLn
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		srv.Serve(ln)
	}()
	s.log.Info("metrics listening", "address", ln.Addr().String())
}

func (s *Server) closeMetricsListener() {
	if s.metricsSrv != nil {
		s.metricsSrv.Close()
	}
	if s.metricsLn != nil {
		s.metricsLn.Close()
	}
}

// MetricsAddr returns the prometheus sink's address, nil without one.
func (s *Server) MetricsAddr() net.Addr {
	if s.metricsLn == nil {
		return nil
	}
	return s.metricsLn.Addr()
}

// ReopenLogs reopens the error log and every access log file (the CLI
// calls it on SIGUSR1, after an external rotator moved the files away).
// It returns the errors of those that failed; the others are reopened.
func (s *Server) ReopenLogs() error {
	var errs []error
	if s.logger != nil {
		if err := s.logger.Reopen(); err != nil {
			errs = append(errs, err)
		}
	}
	for _, l := range s.AccessLogs() {
		if err := l.Reopen(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// ErrorLog returns the error log the server writes (default_log_path,
// default_log_level); nil when Options.Logger replaced it.
func (s *Server) ErrorLog() *mlog.Logger { return s.logger }

func contextWithTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}
