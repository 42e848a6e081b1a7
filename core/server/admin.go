package server

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"time"
)

// adminServer serves the admin API. This issue provides the lifecycle
// endpoints; the full MOSN and Envoy admin API arrives with observability.
type adminServer struct {
	ln      net.Listener
	srv     *http.Server
	done    chan struct{}
	started bool
}

func newAdmin(s *Server, addr string) (*adminServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/version", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, s.version)
	})
	mux.HandleFunc("GET /api/v1/states", func(w http.ResponseWriter, r *http.Request) {
		st := s.Stage()
		writeJSON(w, struct {
			State string `json:"state"`
			Code  int    `json:"code"`
		}{st.String(), int(st)})
	})
	a := &adminServer{
		ln:   ln,
		srv:  &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second},
		done: make(chan struct{}),
	}
	return a, nil
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func (a *adminServer) addr() net.Addr { return a.ln.Addr() }

func (a *adminServer) start() {
	a.started = true
	go func() {
		defer close(a.done)
		if err := a.srv.Serve(a.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return
		}
	}()
}

func (a *adminServer) close() {
	if !a.started {
		a.ln.Close()
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := a.srv.Shutdown(ctx); err != nil {
		a.srv.Close()
	}
	select {
	case <-a.done:
	case <-ctx.Done():
	}
}
