// Package admin is the admin API: MOSN's /api/v1/... endpoints and
// Envoy's admin endpoints (/stats, /clusters, /ready, /quitquitquit, ...)
// on one HTTP listener, plus the dynamic config API (POST
// /api/v1/config/...). The running proxy is reached through the small
// interfaces below, which core/server implements.
//
// Read endpoints answer GET (and HEAD); endpoints that change anything
// answer POST only, anything else gets 405 with an Allow header. The
// listener binds loopback unless the config says otherwise (config
// validation fills in 127.0.0.1), an optional Authenticator guards every
// endpoint but /ready, and private keys and secrets are redacted from
// every dump.
package admin

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/seed405ffdea/mosn/core/accesslog"
	"github.com/seed405ffdea/mosn/core/config"
	"github.com/seed405ffdea/mosn/core/metrics"
	"github.com/seed405ffdea/mosn/pkg/featuregate"
)

// ConfigSource gives the running configuration.
type ConfigSource interface {
	// RunningConfig returns a copy of the running configuration, the
	// validated model (defaults filled in).
	RunningConfig() *config.MOSNConfig
}

// Updater applies dynamic configuration.
type Updater interface {
	// Update validates u against the running configuration, as a file is
	// validated, and applies it atomically; on error nothing changed.
	Update(u *config.Update) error
}

// Lifecycle is the proxy's state and the operations on it.
type Lifecycle interface {
	// AdminState reports the state for /api/v1/states, /server_info and
	// /ready.
	AdminState() State
	// SetHealthCheckFailed makes /ready fail (true) or pass again.
	SetHealthCheckFailed(failed bool)
	// DrainListeners starts a graceful drain of every listener: they stop
	// accepting, and connections close after their current request.
	DrainListeners()
	// Quit asks the process to stop gracefully.
	Quit()
}

// Inspector lists what runs.
type Inspector interface {
	ListenerStatuses() []ListenerStatus
	ClusterStatuses() []ClusterStatus
}

// ErrorLog is the proxy's error log as the logging endpoints drive it
// (pkg/log.Logger implements it).
type ErrorLog interface {
	Level() string
	SetLevel(name string) error
	SetEnabled(on bool)
}

// State is the proxy's lifecycle state.
type State struct {
	// Stage is MOSN's stage name ("running") and StageCode its number.
	Stage     string
	StageCode int
	// Running is true once the proxy serves, until it stops or drains.
	Running bool
	// Draining is true during a graceful drain or stop.
	Draining bool
	// HealthCheckFailed is set by /healthcheck/fail.
	HealthCheckFailed bool
	// Started is when the server was created.
	Started time.Time
}

// EnvoyState maps s to Envoy's server state names.
func (s State) EnvoyState() string {
	switch {
	case s.Draining:
		return "DRAINING"
	case s.Running:
		return "LIVE"
	case s.Stage == "initing":
		return "PRE_INITIALIZING"
	}
	return "INITIALIZING"
}

// ListenerStatus is one listener.
type ListenerStatus struct {
	Name    string `json:"name"`
	Address string `json:"address"` // bound "ip:port"
}

// ClusterStatus is one cluster and its hosts.
type ClusterStatus struct {
	Name string `json:"name"`
	// Limits are the circuit-breaker limits (max_connections, ...), 0 for
	// unlimited.
	MaxConnections, MaxPendingRequests, MaxRequests, MaxRetries uint64
	Hosts                                                       []HostStatus
}

// HostStatus is one upstream host.
type HostStatus struct {
	Address, Hostname string
	Weight            uint32
	Healthy, Ejected  bool
	ActiveRequests    int64
	OpenConnections   int64
}

// Authenticator decides whether a request may use the admin API (MOSN's
// admin auth extension point).
type Authenticator interface {
	// Authenticate reports whether r may proceed; when it may not, the
	// API answers 401 (with WWW-Authenticate for BasicAuth) or 403.
	Authenticate(r *http.Request) bool
}

// AuthFunc adapts a function to Authenticator; a refused request gets 403.
type AuthFunc func(r *http.Request) bool

// Authenticate implements Authenticator.
func (f AuthFunc) Authenticate(r *http.Request) bool { return f(r) }

// BasicAuth accepts requests with HTTP basic credentials user:password
// (compared in constant time); others get 401 and a WWW-Authenticate
// challenge.
func BasicAuth(user, password string) Authenticator {
	return basicAuth{user: []byte(user), pass: []byte(password)}
}

type basicAuth struct{ user, pass []byte }

func (b basicAuth) Authenticate(r *http.Request) bool {
	u, p, ok := r.BasicAuth()
	// Both compared, so the time taken does not tell which was wrong.
	uok := subtle.ConstantTimeCompare([]byte(u), b.user)
	pok := subtle.ConstantTimeCompare([]byte(p), b.pass)
	return ok && uok&pok == 1
}

// Options configure New.
type Options struct {
	// Address is the listen address "ip:port" (required; the config
	// defaults the IP to 127.0.0.1).
	Address string
	// The proxy. Any of them may be nil: their endpoints then answer 501.
	Config    ConfigSource
	Updater   Updater
	Lifecycle Lifecycle
	Inspector Inspector
	ErrorLog  ErrorLog
	// ErrorLogPath is the error log's path as configured (default_log_path),
	// the name the MOSN logging endpoints use for it.
	ErrorLogPath string
	// AccessLogs returns the access logs (for enable_log/disable_log).
	AccessLogs func() []*accesslog.Logger
	// Metrics and Gatherer serve /stats, /api/v1/stats and
	// /stats/prometheus.
	Metrics  *metrics.Metrics
	Gatherer prometheus.Gatherer
	// Features is listed by /api/v1/features.
	Features *featuregate.Gate
	// Version is what /api/v1/version and /server_info report.
	Version any
	// VersionString is the version for /server_info.
	VersionString string
	// Auth, if set, guards every endpoint but /ready.
	Auth Authenticator
	// PProf serves Go's profiles under /debug/pprof/.
	PProf bool
	// Logger records every change made through the API; nil discards.
	Logger *slog.Logger
	// Listener, if set, is served instead of binding Address (a socket
	// inherited in a hot upgrade).
	Listener net.Listener
	// ExtraStats are stats from outside core's metrics (the xDS client's
	// update counters), added to /stats and always reported as used.
	ExtraStats func() []metrics.Stat
	// Handlers are extra GET endpoints by path (the xDS adapter's Envoy
	// config_dump); one whose path is a built-in endpoint replaces it.
	Handlers map[string]http.Handler
}

// Server is the admin HTTP server.
type Server struct {
	o       Options
	ln      net.Listener
	srv     *http.Server
	mux     *http.ServeMux
	done    chan struct{}
	started bool
	help    []endpoint
}

type endpoint struct{ method, path, help string }

// New binds the admin listener; nothing is served until Start.
func New(o Options) (*Server, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	ln, err := o.Listener, error(nil)
	if ln == nil {
		ln, err = net.Listen("tcp", o.Address)
	}
	if err != nil {
		return nil, fmt.Errorf("admin: %w", err)
	}
	s := &Server{o: o, ln: ln, mux: http.NewServeMux(), done: make(chan struct{})}
	s.routes()
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	return s, nil
}

// Handler returns the API's handler (with authentication), for tests and
// for embedding.
func (s *Server) Handler() http.Handler { return s }

// ServeHTTP authenticates and dispatches.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if a := s.o.Auth; a != nil && r.URL.Path != "/ready" && !a.Authenticate(r) {
		if _, basic := a.(basicAuth); basic {
			w.Header().Set("WWW-Authenticate", `Basic realm="mosn admin"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	s.mux.ServeHTTP(w, r)
}

func (s *Server) handle(method, path, help string, h http.HandlerFunc) {
	if x, ok := s.o.Handlers[path]; ok && method == "GET" {
		h = x.ServeHTTP
	}
	s.mux.HandleFunc(method+" "+path, h)
	s.help = append(s.help, endpoint{method, path, help})
}

func (s *Server) routes() {
	s.mosnRoutes()
	s.envoyRoutes()
	s.configRoutes()
	if s.o.PProf {
		s.handle("GET", "/debug/pprof/", "Go profiles (pprof switch on)", pprof.Index)
		s.mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
		s.mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		s.mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
		s.mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	}
	for path, h := range s.o.Handlers {
		if !s.registered(path) {
			s.handle("GET", path, "added by the distro", h.ServeHTTP)
		}
	}
	s.handle("GET", "/help", "this list", s.helpPage)
	s.mux.HandleFunc("GET /{$}", s.helpPage)
}

func (s *Server) registered(path string) bool {
	for _, e := range s.help {
		if e.path == path && e.method == "GET" {
			return true
		}
	}
	return false
}

func (s *Server) helpPage(w http.ResponseWriter, r *http.Request) {
	eps := append([]endpoint(nil), s.help...)
	sort.Slice(eps, func(i, j int) bool { return eps[i].path < eps[j].path })
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "admin commands are:")
	for _, e := range eps {
		fmt.Fprintf(w, "  %-4s %-32s %s\n", e.method, e.path, e.help)
	}
}

// Addr returns the bound address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Start serves in a goroutine of its own until Close.
func (s *Server) Start() {
	s.started = true
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.o.Logger.Error("admin: serve", "err", err)
		}
	}()
}

// Close stops the server, letting requests in progress finish for up to
// a second.
func (s *Server) Close() {
	if !s.started {
		s.ln.Close()
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		s.srv.Close()
	}
	select {
	case <-s.done:
	case <-ctx.Done():
	}
}

// writeJSON writes v indented, after redacting secrets.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := RedactedJSON(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

// errorBody is the JSON error answer: MOSN's {"error": "..."}.
type errorBody struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b, _ := json.Marshal(errorBody{RedactText(msg)})
	w.Write(append(b, '\n'))
}

func notAvailable(w http.ResponseWriter) {
	writeError(w, http.StatusNotImplemented, "not available in this process")
}

func text(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	io.WriteString(w, body)
}
