package admin

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
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
