package log

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

// MOSN's six levels as slog levels. DEBUG, INFO, WARN and ERROR are slog's
// own; TRACE sits one step (4) below DEBUG and FATAL one step above ERROR, so
// slog's arithmetic between levels keeps working.
const (
	LevelTrace = slog.LevelDebug - 4
	LevelDebug = slog.LevelDebug
	LevelInfo  = slog.LevelInfo
	LevelWarn  = slog.LevelWarn
	LevelError = slog.LevelError
	LevelFatal = slog.LevelError + 4
)

// ErrUnknownLevel is wrapped by errors for level names MOSN does not know.
var ErrUnknownLevel = errors.New("log: unknown level")

var levelNames = []struct {
	name  string
	level slog.Level
}{
	{"FATAL", LevelFatal},
	{"ERROR", LevelError},
	{"WARN", LevelWarn},
	{"INFO", LevelInfo},
	{"DEBUG", LevelDebug},
	{"TRACE", LevelTrace},
}

// ParseLevel maps a MOSN level name (FATAL, ERROR, WARN, INFO, DEBUG, TRACE;
// any case, surrounding spaces ignored) to its slog level.
func ParseLevel(name string) (slog.Level, error) {
	s := strings.TrimSpace(name)
	for _, l := range levelNames {
		if strings.EqualFold(s, l.name) {
			return l.level, nil
		}
	}
	return 0, fmt.Errorf("%w %q (want one of FATAL, ERROR, WARN, INFO, DEBUG, TRACE)", ErrUnknownLevel, name)
}

// LevelName returns the MOSN name of l. Levels between the named ones are
// printed relative to the nearest named level below, as slog does: "INFO+2".
func LevelName(l slog.Level) string {
	for _, n := range levelNames {
		if l >= n.level {
			if l == n.level {
				return n.name
			}
			return fmt.Sprintf("%s%+d", n.name, l-n.level)
		}
	}
	return fmt.Sprintf("TRACE%+d", l-LevelTrace)
}
