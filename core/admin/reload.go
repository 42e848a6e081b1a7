package admin

import (
	"errors"
	"net/http"

	"github.com/seed405ffdea/mosn/core/config"
)

// Reloader reads the configuration file again and applies it; core/server
// implements it. It is found on the Updater by type assertion.
type Reloader interface {
	// ReloadConfig applies the file: the result says whether anything
	// changed and which fields only a restart changes. On error nothing
	// changed.
	ReloadConfig() (changed bool, ignored []string, err error)
}

// reloadAnswer is the answer to a successful reload.
type reloadAnswer struct {
	Status  string   `json:"status"`
	Changed bool     `json:"changed"`
	Ignored []string `json:"ignored,omitempty"`
}

// reload handles POST /api/v1/config/reload.
func (s *Server) reload(w http.ResponseWriter, r *http.Request) {
	rl, ok := s.o.Updater.(Reloader)
	if !ok {
		notAvailable(w)
		return
	}
	changed, ignored, err := rl.ReloadConfig()
	if err != nil {
		var fe *config.FieldError
		field := ""
		if errors.As(err, &fe) {
			field = fe.Path
		}
		s.o.Logger.Warn("admin: config reload refused", "err", RedactText(err.Error()))
		writeUpdateError(w, http.StatusBadRequest, field, err.Error())
		return
	}
	s.o.Logger.Info("admin: config reloaded", "changed", changed, "ignored", ignored)
	writeJSON(w, http.StatusOK, reloadAnswer{Status: "ok", Changed: changed, Ignored: ignored})
}
