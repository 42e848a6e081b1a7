package admin

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/seed405ffdea/mosn/core/metrics"
)

// Options.Handlers add endpoints and replace built-in ones of the same
// path (the xDS adapter serves Envoy's /config_dump).
func TestExtraHandlers(t *testing.T) {
	s, err := New(Options{Address: "127.0.0.1:0", Handlers: map[string]http.Handler{
		"/config_dump": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "envoy dump") }),
		"/xds/status":  http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "status") }),
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for path, want := range map[string]string{"/config_dump": "envoy dump", "/xds/status": "status"} {
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != 200 || rec.Body.String() != want {
			t.Errorf("%s: %d %q", path, rec.Code, rec.Body.String())
		}
	}
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/config_dump", nil))
	if rec.Body.String() == "envoy dump" {
		t.Error("the MOSN dump was replaced too")
	}
}

// pilot-agent's readiness probe: /stats?usedonly with a filter must show
// server.state (0 when LIVE) and listener_manager.workers_started even
// at zero, and the extra (xDS) stats.
func TestReadinessStats(t *testing.T) {
	ts, f := newTest(t, func(o *Options) {
		o.ExtraStats = func() []metrics.Stat {
			return []metrics.Stat{{Name: "cluster_manager.cds.update_success", Value: 2}, {Name: "listener_manager.lds.update_rejected", Value: 0}}
		}
	})
	_, _, body := call(t, ts, "GET", `/stats?usedonly&filter=^(server\.state|listener_manager\.workers_started)`, "")
	if body != "server.state: 0\nlistener_manager.workers_started: 1\n" {
		t.Errorf("readiness stats:\n%s", body)
	}
	_, _, body = call(t, ts, "GET", `/stats?usedonly&filter=^(cluster_manager\.cds|listener_manager\.lds)\.(update_success|update_rejected)$`, "")
	if body != "cluster_manager.cds.update_success: 2\nlistener_manager.lds.update_rejected: 0\n" {
		t.Errorf("xDS stats:\n%s", body)
	}
	f.state = State{Stage: "initing"}
	_, _, body = call(t, ts, "GET", `/stats?filter=^server\.state$`, "")
	if body != "server.state: 2\n" {
		t.Errorf("initing: %s", body)
	}
}
