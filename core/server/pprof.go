package server

import (
	"net"
	"net/http"
	"net/http/pprof"
	"strconv"
	"time"
)

// startPProf serves Go's profiling endpoints (MOSN's "pprof" block) on
// loopback only.
func (s *Server) startPProf(port int) (*http.Server, net.Listener, error) {
	ln, err := s.listenTCP("pprof", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return nil, nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return srv, ln, nil
}
