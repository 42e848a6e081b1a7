package admin

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/seed405ffdea/mosn/core/config"
	"github.com/seed405ffdea/mosn/core/metrics"
)

// maxBody bounds request bodies of the POST endpoints.
const maxBody = 8 << 20

func (s *Server) mosnRoutes() {
	s.handle("GET", "/api/v1/config_dump", "running config; ?mosnconfig ?allrouters ?allclusters ?alllisteners ?router=N ?cluster=N ?listener=N", s.configDump)
	s.handle("GET", "/api/v1/stats", "metrics, MOSN JSON; ?key=<scope prefix>", s.mosnStats)
	s.handle("GET", "/api/v1/stats_glob", "downstream totals of every proxy, key:value lines", s.statsGlob)
	s.handle("GET", "/api/v1/get_loglevel", "log levels by log path", s.getLogLevel)
	s.handle("POST", "/api/v1/update_loglevel", `set the error log level; body {"log_path": ..., "log_level": "DEBUG"}`, s.updateLogLevel)
	s.handle("POST", "/api/v1/enable_log", "switch a log on; body: its path", s.toggleLog(true))
	s.handle("POST", "/api/v1/disable_log", "switch a log off; body: its path", s.toggleLog(false))
	s.handle("GET", "/api/v1/states", "lifecycle stage", s.states)
	s.handle("GET", "/api/v1/features", "feature gates; ?key=<name> gives true or false", s.features)
	s.handle("GET", "/api/v1/env", "environment variables; ?key=NAME (repeatable)", s.env)
	s.handle("GET", "/api/v1/version", "version and module versions", s.version)
}

// configDump serves the running config with MOSN's query options; one at
// most.
func (s *Server) configDump(w http.ResponseWriter, r *http.Request) {
	if s.o.Config == nil {
		notAvailable(w)
		return
	}
	q := r.URL.Query()
	if len(q) > 1 {
		writeError(w, http.StatusBadRequest, "only support one parameter")
		return
	}
	c := s.o.Config.RunningConfig()
	if len(q) == 0 {
		writeJSON(w, http.StatusOK, c)
		return
	}
	var srv config.ServerConfig
	if len(c.Servers) > 0 {
		srv = c.Servers[0]
	}
	for key, vals := range q {
		val := ""
		if len(vals) > 0 {
			val = vals[0]
		}
		switch key {
		case "mosnconfig":
			writeJSON(w, http.StatusOK, c)
		case "allrouters":
			m := map[string]config.RouterConfig{}
			for _, rc := range srv.Routers {
				m[rc.RouterConfigName] = rc
			}
			writeJSON(w, http.StatusOK, m)
		case "allclusters":
			m := map[string]config.ClusterConfig{}
			for _, cc := range c.ClusterManager.Clusters {
				m[cc.Name] = cc
			}
			writeJSON(w, http.StatusOK, m)
		case "alllisteners":
			m := map[string]config.ListenerConfig{}
			for _, lc := range srv.Listeners {
				m[lc.Name] = lc
			}
			writeJSON(w, http.StatusOK, m)
		case "router":
			for _, rc := range srv.Routers {
				if rc.RouterConfigName == val {
					writeJSON(w, http.StatusOK, rc)
					return
				}
			}
			writeError(w, http.StatusNotFound, fmt.Sprintf("no router named %q", val))
		case "cluster":
			for _, cc := range c.ClusterManager.Clusters {
				if cc.Name == val {
					writeJSON(w, http.StatusOK, cc)
					return
				}
			}
			writeError(w, http.StatusNotFound, fmt.Sprintf("no cluster named %q", val))
		case "listener":
			for _, lc := range srv.Listeners {
				if lc.Name == val {
					writeJSON(w, http.StatusOK, lc)
					return
				}
			}
			writeError(w, http.StatusNotFound, fmt.Sprintf("no listener named %q", val))
		default:
			writeError(w, http.StatusBadRequest, fmt.Sprintf("unknown parameter %q (want mosnconfig, allrouters, allclusters, alllisteners, router, cluster or listener)", key))
		}
	}
}

// mosnStats serves the metrics grouped as MOSN's console sink does:
// {"downstream": {"listener.l1": {"connection_total": "3"}}, ...}.
func (s *Server) mosnStats(w http.ResponseWriter, r *http.Request) {
	if s.o.Metrics == nil {
		notAvailable(w)
		return
	}
	key := r.URL.Query().Get("key")
	stats, hists := s.o.Metrics.Stats()
	out := map[string]map[string]map[string]string{}
	put := func(typ, scope, k, v string) {
		if key != "" && scope != key && !strings.HasPrefix(scope, key+".") {
			return
		}
		if out[typ] == nil {
			out[typ] = map[string]map[string]string{}
		}
		if out[typ][scope] == nil {
			out[typ][scope] = map[string]string{}
		}
		out[typ][scope][k] = v
	}
	for _, st := range stats {
		put(st.Type, st.Scope, st.Key, strconv.FormatFloat(st.Value, 'f', -1, 64))
	}
	for _, h := range hists {
		put(h.Type, h.Scope, h.Key, metrics.FormatHistogram(h))
	}
	if key != "" && len(out) == 0 {
		text(w, http.StatusOK, "no metrics key: "+key+"\n")
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// statsGlob sums the downstream counters of every proxy filter, MOSN's
// "proxy total" view.
func (s *Server) statsGlob(w http.ResponseWriter, r *http.Request) {
	if s.o.Metrics == nil {
		notAvailable(w)
		return
	}
	stats, _ := s.o.Metrics.Stats()
	sums := map[string]float64{}
	for _, st := range stats {
		if st.Type == "downstream" && strings.HasPrefix(st.Scope, "proxy.") {
			sums["downstream_"+st.Key] += st.Value
		}
	}
	keys := make([]string, 0, len(sums))
	for k := range sums {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s:%s\n", k, strconv.FormatFloat(sums[k], 'f', -1, 64))
	}
	text(w, http.StatusOK, b.String())
}

// errorLogName is how the MOSN endpoints name the error log.
func (s *Server) errorLogName() string {
	if s.o.ErrorLogPath == "" {
		return "stderr"
	}
	return s.o.ErrorLogPath
}

func (s *Server) getLogLevel(w http.ResponseWriter, r *http.Request) {
	if s.o.ErrorLog == nil {
		notAvailable(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{s.errorLogName(): s.o.ErrorLog.Level()})
}

// logLevelData is the body of update_loglevel (MOSN's LogLevelData).
type logLevelData struct {
	LogPath  string `json:"log_path"`
	LogLevel string `json:"log_level"`
}

func (s *Server) updateLogLevel(w http.ResponseWriter, r *http.Request) {
	if s.o.ErrorLog == nil {
		notAvailable(w)
		return
	}
	var d logLevelData
	if err := decodeBody(r, &d); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if d.LogPath != "" && d.LogPath != s.errorLogName() && d.LogPath != s.o.ErrorLogPath {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("log_path: no error log %q (the error log is %q)", d.LogPath, s.errorLogName()))
		return
	}
	if err := s.o.ErrorLog.SetLevel(d.LogLevel); err != nil {
		writeError(w, http.StatusBadRequest, "log_level: "+strings.TrimPrefix(err.Error(), "log: "))
		return
	}
	s.o.Logger.Info("admin: log level changed", "level", s.o.ErrorLog.Level())
	text(w, http.StatusOK, "update logger success\n")
}

// toggleLog switches a log, named by its path in the body, on or off: the
// error log or an access log.
func (s *Server) toggleLog(on bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
		if err != nil {
			writeError(w, http.StatusBadRequest, "read body error")
			return
		}
		path := strings.TrimSpace(string(b))
		found := false
		if s.o.ErrorLog != nil && (path == s.errorLogName() || (path != "" && path == s.o.ErrorLogPath)) {
			s.o.ErrorLog.SetEnabled(on)
			found = true
		}
		if s.o.AccessLogs != nil {
			for _, l := range s.o.AccessLogs() {
				if l.Path() == path {
					l.SetEnabled(on)
					found = true
				}
			}
		}
		verb := "enable"
		if !on {
			verb = "disable"
		}
		if !found {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("%s logger failed: no log %q", verb, path))
			return
		}
		s.o.Logger.Info("admin: "+verb+" log", "path", path)
		text(w, http.StatusOK, verb+" logger success\n")
	}
}

func (s *Server) states(w http.ResponseWriter, r *http.Request) {
	if s.o.Lifecycle == nil {
		notAvailable(w)
		return
	}
	st := s.o.Lifecycle.AdminState()
	writeJSON(w, http.StatusOK, struct {
		State string `json:"state"`
		Code  int    `json:"code"`
		Pid   int    `json:"pid"`
	}{st.Stage, st.StageCode, os.Getpid()})
}

func (s *Server) features(w http.ResponseWriter, r *http.Request) {
	if s.o.Features == nil {
		writeJSON(w, http.StatusOK, []any{})
		return
	}
	if key := r.URL.Query().Get("key"); key != "" {
		if !s.o.Features.Known(key) {
			writeError(w, http.StatusNotFound, fmt.Sprintf("unknown feature %q", key))
			return
		}
		text(w, http.StatusOK, strconv.FormatBool(s.o.Features.Enabled(key)))
		return
	}
	writeJSON(w, http.StatusOK, s.o.Features.Features())
}

// env answers MOSN's /api/v1/env?key=A&key=B. Values of variables whose
// names look secret (…_KEY, …_SECRET, …_TOKEN, …_PASSWORD) are redacted.
func (s *Server) env(w http.ResponseWriter, r *http.Request) {
	keys, ok := r.URL.Query()["key"]
	if !ok || len(keys) == 0 {
		writeError(w, http.StatusBadRequest, "no env key")
		return
	}
	out := struct {
		Env      map[string]string `json:"env"`
		NotFound []string          `json:"not_found,omitempty"`
	}{Env: map[string]string{}}
	for _, k := range keys {
		v, found := os.LookupEnv(k)
		switch {
		case !found:
			out.NotFound = append(out.NotFound, k)
		case secretKey(k) && v != "":
			out.Env[k] = Redacted
		default:
			out.Env[k] = v
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) version(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.o.Version)
}

// levelNames maps Envoy's level names to MOSN's.
var envoyLevels = map[string]string{
	"trace": "TRACE", "debug": "DEBUG", "info": "INFO", "warning": "WARN", "warn": "WARN",
	"error": "ERROR", "critical": "FATAL", "off": "off",
}

// mosnToEnvoyLevel names a MOSN level as Envoy does.
func mosnToEnvoyLevel(l string) string {
	switch l {
	case "WARN":
		return "warning"
	case "FATAL":
		return "critical"
	}
	return strings.ToLower(l)
}
