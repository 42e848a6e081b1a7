package admin

import (
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/seed405ffdea/mosn/core/metrics"
)

func (s *Server) envoyRoutes() {
	s.handle("GET", "/config_dump", "running config (same as /api/v1/config_dump)", s.configDump)
	s.handle("GET", "/stats", "metrics as Envoy's dotted names; ?filter=<regex> ?usedonly ?format=json|prometheus", s.envoyStats)
	s.handle("GET", "/stats/prometheus", "metrics in Prometheus text format", s.prometheus)
	s.handle("GET", "/clusters", "clusters and hosts; ?format=json", s.clusters)
	s.handle("GET", "/listeners", "listeners and their addresses; ?format=json", s.listeners)
	s.handle("GET", "/server_info", "version, state, uptime", s.serverInfo)
	s.handle("GET", "/ready", "200 LIVE when serving, 503 otherwise", s.ready)
	s.handle("POST", "/logging", "?level=trace|debug|info|warning|error|critical|off sets the error log level", s.logging)
	s.handle("POST", "/healthcheck/fail", "make /ready fail", s.healthcheck(true))
	s.handle("POST", "/healthcheck/ok", "make /ready pass again", s.healthcheck(false))
	s.handle("POST", "/drain_listeners", "drain every listener gracefully", s.drainListeners)
	s.handle("POST", "/quitquitquit", "stop the process gracefully", s.quit)
}

func (s *Server) envoyStats(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("format") == "prometheus" {
		s.prometheus(w, r)
		return
	}
	if s.o.Metrics == nil {
		notAvailable(w)
		return
	}
	var filter *regexp.Regexp
	if f := q.Get("filter"); f != "" {
		var err error
		if filter, err = regexp.Compile(f); err != nil {
			writeError(w, http.StatusBadRequest, "filter: "+err.Error())
			return
		}
	}
	_, usedOnly := q["usedonly"]
	stats, hists := s.o.Metrics.Stats()
	// Stats whose zero is a value, not "never written", and the extra
	// ones: always used (pilot-agent's readiness probe reads server.state
	// and listener_manager.workers_started with ?usedonly).
	always := map[string]bool{}
	for _, st := range append(s.lifecycleStats(), s.extraStats()...) {
		stats = append(stats, st)
		always[st.Name] = true
	}
	keep := func(name string, used bool) bool {
		return (filter == nil || filter.MatchString(name)) && (!usedOnly || used || always[name])
	}
	if q.Get("format") == "json" {
		type stat struct {
			Name  string  `json:"name"`
			Value float64 `json:"value"`
		}
		type hist struct {
			Name      string              `json:"name"`
			Count     uint64              `json:"count"`
			Sum       float64             `json:"sum"`
			Quantiles map[string]*float64 `json:"quantiles"`
		}
		out := struct {
			Stats      []stat `json:"stats"`
			Histograms []hist `json:"histograms"`
		}{Stats: []stat{}, Histograms: []hist{}}
		for _, st := range stats {
			if keep(st.Name, st.Value != 0) {
				out.Stats = append(out.Stats, stat{st.Name, st.Value})
			}
		}
		for _, h := range hists {
			if !keep(h.Name, h.Count != 0) {
				continue
			}
			qs := map[string]*float64{}
			for i, v := range h.Quantiles {
				if !math.IsNaN(v) {
					v := v
					qs[metrics.QuantileNames[i]] = &v
				} else {
					qs[metrics.QuantileNames[i]] = nil
				}
			}
			out.Histograms = append(out.Histograms, hist{h.Name, h.Count, h.Sum, qs})
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	var b strings.Builder
	for _, st := range stats {
		if keep(st.Name, st.Value != 0) {
			fmt.Fprintf(&b, "%s: %s\n", st.Name, strconv.FormatFloat(st.Value, 'f', -1, 64))
		}
	}
	for _, h := range hists {
		if keep(h.Name, h.Count != 0) {
			fmt.Fprintf(&b, "%s: %s\n", h.Name, metrics.FormatHistogram(h))
		}
	}
	text(w, http.StatusOK, b.String())
}

// envoyServerStates are Envoy's server.state values.
var envoyServerStates = map[string]float64{"LIVE": 0, "DRAINING": 1, "PRE_INITIALIZING": 2, "INITIALIZING": 3}

// lifecycleStats are Envoy's server.state and
// listener_manager.workers_started.
func (s *Server) lifecycleStats() []metrics.Stat {
	if s.o.Lifecycle == nil {
		return nil
	}
	st := s.o.Lifecycle.AdminState()
	started := 0.0
	if st.Running {
		started = 1
	}
	return []metrics.Stat{
		{Name: "server.state", Type: "server", Scope: "server", Key: "state", Value: envoyServerStates[st.EnvoyState()]},
		{Name: "listener_manager.workers_started", Type: "server", Scope: "listener_manager", Key: "workers_started", Value: started},
	}
}

func (s *Server) extraStats() []metrics.Stat {
	if s.o.ExtraStats == nil {
		return nil
	}
	return s.o.ExtraStats()
}

// prometheus serves the registry in the text exposition format (not
// OpenMetrics, which would rename Envoy's counters with a _total suffix).
func (s *Server) prometheus(w http.ResponseWriter, r *http.Request) {
	if s.o.Gatherer == nil {
		notAvailable(w)
		return
	}
	promhttp.HandlerFor(s.o.Gatherer, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}).ServeHTTP(w, r)
}

// socketAddress is Envoy's address JSON.
type socketAddress struct {
	SocketAddress struct {
		Address   string `json:"address"`
		PortValue int    `json:"port_value"`
	} `json:"socket_address"`
}

func toSocketAddress(a string) socketAddress {
	var sa socketAddress
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		sa.SocketAddress.Address = a
		return sa
	}
	sa.SocketAddress.Address = host
	sa.SocketAddress.PortValue, _ = strconv.Atoi(port)
	return sa
}

func (s *Server) clusters(w http.ResponseWriter, r *http.Request) {
	if s.o.Inspector == nil {
		notAvailable(w)
		return
	}
	cs := s.o.Inspector.ClusterStatuses()
	hostStats := func(cluster, addr string) metrics.HostStats {
		if s.o.Metrics == nil {
			return metrics.HostStats{}
		}
		return s.o.Metrics.HostStats(cluster, addr)
	}
	if r.URL.Query().Get("format") == "json" {
		type nv struct {
			Name  string `json:"name"`
			Value uint64 `json:"value"`
			Type  string `json:"type,omitempty"`
		}
		type hostJSON struct {
			Address      socketAddress `json:"address"`
			Stats        []nv          `json:"stats"`
			HealthStatus struct {
				FailedActiveHealthCheck bool   `json:"failed_active_health_check,omitempty"`
				FailedOutlierCheck      bool   `json:"failed_outlier_check,omitempty"`
				EdsHealthStatus         string `json:"eds_health_status"`
			} `json:"health_status"`
			Weight   uint32 `json:"weight"`
			Hostname string `json:"hostname,omitempty"`
		}
		type clusterJSON struct {
			Name         string     `json:"name"`
			HostStatuses []hostJSON `json:"host_statuses"`
		}
		out := struct {
			ClusterStatuses []clusterJSON `json:"cluster_statuses"`
		}{ClusterStatuses: []clusterJSON{}}
		for _, c := range cs {
			cj := clusterJSON{Name: c.Name, HostStatuses: []hostJSON{}}
			for _, h := range c.Hosts {
				hs := hostStats(c.Name, h.Address)
				hj := hostJSON{Address: toSocketAddress(h.Address), Weight: h.Weight, Hostname: h.Hostname}
				hj.Stats = []nv{
					{"cx_active", uint64(h.OpenConnections), "GAUGE"},
					{"rq_active", uint64(h.ActiveRequests), "GAUGE"},
					{"rq_total", hs.RqTotal, ""},
					{"rq_success", hs.RqSuccess, ""},
					{"rq_error", hs.RqError, ""},
					{"rq_timeout", hs.RqTimeout, ""},
				}
				hj.HealthStatus.FailedOutlierCheck = h.Ejected
				hj.HealthStatus.FailedActiveHealthCheck = !h.Healthy && !h.Ejected
				hj.HealthStatus.EdsHealthStatus = "HEALTHY"
				if !h.Healthy {
					hj.HealthStatus.EdsHealthStatus = "UNHEALTHY"
				}
				cj.HostStatuses = append(cj.HostStatuses, hj)
			}
			out.ClusterStatuses = append(out.ClusterStatuses, cj)
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	var b strings.Builder
	for _, c := range cs {
		fmt.Fprintf(&b, "%s::default_priority::max_connections::%d\n", c.Name, c.MaxConnections)
		fmt.Fprintf(&b, "%s::default_priority::max_pending_requests::%d\n", c.Name, c.MaxPendingRequests)
		fmt.Fprintf(&b, "%s::default_priority::max_requests::%d\n", c.Name, c.MaxRequests)
		fmt.Fprintf(&b, "%s::default_priority::max_retries::%d\n", c.Name, c.MaxRetries)
		for _, h := range c.Hosts {
			hs := hostStats(c.Name, h.Address)
			p := c.Name + "::" + h.Address + "::"
			fmt.Fprintf(&b, "%scx_active::%d\n", p, h.OpenConnections)
			fmt.Fprintf(&b, "%srq_active::%d\n", p, h.ActiveRequests)
			fmt.Fprintf(&b, "%srq_total::%d\n", p, hs.RqTotal)
			fmt.Fprintf(&b, "%srq_success::%d\n", p, hs.RqSuccess)
			fmt.Fprintf(&b, "%srq_error::%d\n", p, hs.RqError)
			fmt.Fprintf(&b, "%srq_timeout::%d\n", p, hs.RqTimeout)
			flags := "healthy"
			switch {
			case h.Ejected:
				flags = "/failed_outlier_check"
			case !h.Healthy:
				flags = "/failed_active_hc"
			}
			fmt.Fprintf(&b, "%shealth_flags::%s\n", p, flags)
			fmt.Fprintf(&b, "%sweight::%d\n", p, h.Weight)
			fmt.Fprintf(&b, "%shostname::%s\n", p, h.Hostname)
		}
	}
	text(w, http.StatusOK, b.String())
}

func (s *Server) listeners(w http.ResponseWriter, r *http.Request) {
	if s.o.Inspector == nil {
		notAvailable(w)
		return
	}
	ls := s.o.Inspector.ListenerStatuses()
	if r.URL.Query().Get("format") == "json" {
		type lj struct {
			Name         string        `json:"name"`
			LocalAddress socketAddress `json:"local_address"`
		}
		out := struct {
			ListenerStatuses []lj `json:"listener_statuses"`
		}{ListenerStatuses: []lj{}}
		for _, l := range ls {
			out.ListenerStatuses = append(out.ListenerStatuses, lj{l.Name, toSocketAddress(l.Address)})
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	var b strings.Builder
	for _, l := range ls {
		fmt.Fprintf(&b, "%s::%s\n", l.Name, l.Address)
	}
	text(w, http.StatusOK, b.String())
}

func (s *Server) serverInfo(w http.ResponseWriter, r *http.Request) {
	if s.o.Lifecycle == nil {
		notAvailable(w)
		return
	}
	st := s.o.Lifecycle.AdminState()
	up := time.Since(st.Started).Truncate(time.Second)
	writeJSON(w, http.StatusOK, map[string]any{
		"version":              s.o.VersionString,
		"state":                st.EnvoyState(),
		"hot_restart_version":  "disabled",
		"uptime_current_epoch": fmt.Sprintf("%ds", int64(up/time.Second)),
		"uptime_all_epochs":    fmt.Sprintf("%ds", int64(up/time.Second)),
		"command_line_options": map[string]any{},
		"node":                 map[string]any{},
		"mosn_stage":           st.Stage,
		"health_check_failed":  st.HealthCheckFailed,
	})
}

// ready answers 200 "LIVE" while the proxy serves and /healthcheck/fail
// was not called; 503 with the state otherwise.
func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	if s.o.Lifecycle == nil {
		notAvailable(w)
		return
	}
	st := s.o.Lifecycle.AdminState()
	state := st.EnvoyState()
	switch {
	case st.HealthCheckFailed:
		text(w, http.StatusServiceUnavailable, "HEALTH_CHECK_FAILED\n")
	case state != "LIVE":
		text(w, http.StatusServiceUnavailable, state+"\n")
	default:
		text(w, http.StatusOK, "LIVE\n")
	}
}

// logging is Envoy's POST /logging?level=...: it sets the error log's
// level ("off" switches it off); without a level it lists the level.
func (s *Server) logging(w http.ResponseWriter, r *http.Request) {
	if s.o.ErrorLog == nil {
		notAvailable(w)
		return
	}
	if lv := r.URL.Query().Get("level"); lv != "" {
		mosn, ok := envoyLevels[strings.ToLower(lv)]
		if !ok {
			text(w, http.StatusBadRequest, "error: unknown logger level\n")
			return
		}
		if mosn == "off" {
			s.o.ErrorLog.SetEnabled(false)
		} else {
			if err := s.o.ErrorLog.SetLevel(mosn); err != nil {
				text(w, http.StatusBadRequest, "error: "+err.Error()+"\n")
				return
			}
			s.o.ErrorLog.SetEnabled(true)
		}
		s.o.Logger.Info("admin: log level changed", "level", lv)
	}
	text(w, http.StatusOK, "active loggers:\n  mosn: "+mosnToEnvoyLevel(s.o.ErrorLog.Level())+"\n")
}

func (s *Server) healthcheck(fail bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.o.Lifecycle == nil {
			notAvailable(w)
			return
		}
		s.o.Lifecycle.SetHealthCheckFailed(fail)
		s.o.Logger.Info("admin: health check", "failed", fail)
		text(w, http.StatusOK, "OK\n")
	}
}

func (s *Server) drainListeners(w http.ResponseWriter, r *http.Request) {
	if s.o.Lifecycle == nil {
		notAvailable(w)
		return
	}
	s.o.Lifecycle.DrainListeners()
	s.o.Logger.Info("admin: draining listeners")
	text(w, http.StatusOK, "OK\n")
}

func (s *Server) quit(w http.ResponseWriter, r *http.Request) {
	if s.o.Lifecycle == nil {
		notAvailable(w)
		return
	}
	s.o.Logger.Info("admin: quitquitquit")
	text(w, http.StatusOK, "OK\n")
	s.o.Lifecycle.Quit()
}

// decodeBody decodes a JSON body strictly into v.
func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("invalid body: %v", err)
	}
	return nil
}
