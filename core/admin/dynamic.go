package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/seed405ffdea/mosn/core/config"
)

// The dynamic config API. Every endpoint takes a JSON body, validates it
// against the running configuration exactly as a config file is
// validated, and applies it atomically: on any error nothing changes and
// the answer names the field and the reason.
func (s *Server) configRoutes() {
	s.handle("POST", "/api/v1/config/update", "apply a change set: {listeners, clusters, routers, hosts, remove_listeners, remove_clusters, remove_routers}", s.update(""))
	s.handle("POST", "/api/v1/config/listener", "add or replace a listener; body: a listener", s.update("listeners"))
	s.handle("POST", "/api/v1/config/listener/remove", `remove a listener; body {"name": ...}`, s.remove("remove_listeners"))
	s.handle("POST", "/api/v1/config/cluster", "add or replace a cluster; body: a cluster", s.update("clusters"))
	s.handle("POST", "/api/v1/config/cluster/remove", `remove a cluster; body {"name": ...}`, s.remove("remove_clusters"))
	s.handle("POST", "/api/v1/config/hosts", `replace a cluster's hosts; body {"cluster_name": ..., "hosts": [...]}`, s.update("hosts"))
	s.handle("POST", "/api/v1/config/router", "add or replace a route table; body: a router config", s.update("routers"))
	s.handle("POST", "/api/v1/config/router/remove", `remove a route table; body {"name": ...}`, s.remove("remove_routers"))
	s.handle("POST", "/api/v1/config/reload", "read the config file again and apply its listeners, routers and clusters", s.reload)
}

// update applies a change set. With key set, the body is one resource of
// that kind, and error paths are relative to it.
func (s *Server) update(key string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, ok := readBody(w, r)
		if !ok {
			return
		}
		data := body
		if key != "" {
			data = wrap(key, "["+string(bytes.TrimSpace(body))+"]")
		}
		s.apply(w, data, key)
	}
}

// remove removes the resource named in the body, {"name": "..."}.
func (s *Server) remove(key string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, ok := readBody(w, r)
		if !ok {
			return
		}
		var b struct {
			Name string `json:"name"`
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&b); err != nil || b.Name == "" {
			writeUpdateError(w, http.StatusBadRequest, "name", `body must be {"name": "<name>"}`)
			return
		}
		name, _ := json.Marshal(b.Name)
		s.apply(w, wrap(key, "["+string(name)+"]"), key)
	}
}

func wrap(key, value string) []byte {
	return []byte(`{"` + key + `": ` + value + `}`)
}

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		writeUpdateError(w, http.StatusBadRequest, "", "read body: "+err.Error())
		return nil, false
	}
	if len(body) > maxBody {
		writeUpdateError(w, http.StatusRequestEntityTooLarge, "", "body too large")
		return nil, false
	}
	if len(bytes.TrimSpace(body)) == 0 {
		writeUpdateError(w, http.StatusBadRequest, "", "empty body")
		return nil, false
	}
	return body, true
}

func (s *Server) apply(w http.ResponseWriter, data []byte, key string) {
	if s.o.Updater == nil {
		notAvailable(w)
		return
	}
	u, err := config.ParseUpdate(data)
	if err == nil && u.Empty() {
		writeUpdateError(w, http.StatusBadRequest, "", "the update changes nothing")
		return
	}
	if err == nil {
		err = s.o.Updater.Update(u)
	}
	if err != nil {
		status := http.StatusConflict // the config is fine; applying it failed
		var fe *config.FieldError
		isField := errors.As(err, &fe)
		switch {
		case errors.Is(err, config.ErrNoSuchResource):
			status = http.StatusNotFound
		case isField:
			status = http.StatusBadRequest
		}
		field := ""
		msg := err.Error()
		if fe != nil {
			field = relative(fe.Path, key)
			msg = fe.Msg
			if field != "" {
				msg = field + ": " + fe.Msg
			}
		}
		s.o.Logger.Warn("admin: config update refused", "err", RedactText(msg))
		writeUpdateError(w, status, field, msg)
		return
	}
	s.o.Logger.Info("admin: config updated", "kind", key)
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// relative makes a path of a single-resource endpoint relative to the
// resource: "listeners[0].address" becomes "address".
func relative(path, key string) string {
	if key == "" {
		return path
	}
	p := key + "[0]"
	switch {
	case path == p:
		return ""
	case strings.HasPrefix(path, p+"."):
		return path[len(p)+1:]
	case strings.HasPrefix(path, p+"["):
		return path[len(p):]
	}
	return path
}

// updateError is the answer to a refused update.
type updateError struct {
	Error string `json:"error"`
	// Field is the path of the bad field, when there is one.
	Field string `json:"field,omitempty"`
}

func writeUpdateError(w http.ResponseWriter, status int, field, msg string) {
	writeJSON(w, status, updateError{Error: RedactText(msg), Field: field})
}
