// Package log is leveled logging on log/slog with MOSN's level names and
// MOSN's rolling log files.
//
// A Logger is built from Options (an output path, a level name and a MOSN
// roller string) and hands out a *slog.Logger. Its level can be changed while
// it runs. OpenWriter gives the same rotating file writer to other users,
// such as access logs.
package log

import (
	"context"
	"io"
	"log/slog"
	"os"
	"sync"
)

// Options configure a Logger.
type Options struct {
	// Path is where records go: "stdout", "stderr" (also "/dev/stdout",
	// "/dev/stderr") or a file path. Empty means stderr.
	Path string
	// Level is the minimum level logged, a MOSN level name: FATAL, ERROR,
	// WARN, INFO, DEBUG or TRACE, in any case. Empty means INFO.
	Level string
	// Roller is MOSN's global_log_roller string (see ParseRoller), used when
	// Path is a file. Empty means DefaultRoller: rotate daily.
	Roller string
}

// Logger is a slog text logger with a run-time adjustable level and an
// output it owns. It is safe for concurrent use.
type Logger struct {
	slog  *slog.Logger
	level *slog.LevelVar
	out   io.Closer // nil for stdout and stderr

	// mu guards disabled and saved: while disabled, level sits above
	// every real level and saved holds the level to return to.
	mu       sync.Mutex
	disabled bool
	saved    slog.Level
}

// New builds a Logger from opts. It fails with an error wrapping
// ErrUnknownLevel or ErrInvalidRoller for bad names, or with the error from
// opening the file.
func New(opts Options) (*Logger, error) {
	level := LevelInfo
	if opts.Level != "" {
		l, err := ParseLevel(opts.Level)
		if err != nil {
			return nil, err
		}
		level = l
	}
	var (
		w   io.Writer
		out io.Closer
	)
	switch opts.Path {
	case "", "stderr", "/dev/stderr":
		w = os.Stderr
	case "stdout", "/dev/stdout":
		w = os.Stdout
	default:
		r, err := ParseRoller(opts.Roller)
		if err != nil {
			return nil, err
		}
		fw, err := OpenWriter(opts.Path, r)
		if err != nil {
			return nil, err
		}
		w, out = fw, fw
	}
	return newLogger(w, out, level), nil
}

func newLogger(w io.Writer, out io.Closer, level slog.Level) *Logger {
	lv := new(slog.LevelVar)
	lv.Set(level)
	h := slog.NewTextHandler(w, &slog.HandlerOptions{
		Level:       lv,
		ReplaceAttr: replaceLevel,
	})
	return &Logger{slog: slog.New(h), level: lv, out: out}
}

// replaceLevel prints MOSN level names, so TRACE and FATAL do not come out
// as slog's "DEBUG-4" and "ERROR+4".
func replaceLevel(groups []string, a slog.Attr) slog.Attr {
	if a.Key == slog.LevelKey && len(groups) == 0 {
		if l, ok := a.Value.Any().(slog.Level); ok {
			a.Value = slog.StringValue(LevelName(l))
		}
	}
	return a
}

// Slog returns the underlying *slog.Logger. Use LevelTrace and LevelFatal
// with its Log method for the levels slog has no method for; logging at
// LevelFatal does not exit the process.
func (l *Logger) Slog() *slog.Logger { return l.slog }

// Enabled reports whether a record at level would be logged; check it on hot
// paths before building attributes.
func (l *Logger) Enabled(level slog.Level) bool {
	return l.slog.Enabled(context.Background(), level)
}

// SetLevel changes the minimum level at run time. The name is a MOSN level
// name as for Options.Level; on error the level is unchanged.
func (l *Logger) SetLevel(name string) error {
	level, err := ParseLevel(name)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.disabled {
		l.saved = level
		return nil
	}
	l.level.Set(level)
	return nil
}

// Level returns the MOSN name of the current minimum level (the level it
// returns to, while disabled).
func (l *Logger) Level() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.disabled {
		return LevelName(l.saved)
	}
	return LevelName(l.level.Level())
}

// levelOff is above every level anyone logs at.
const levelOff = LevelFatal + 1000

// SetEnabled turns the logger off (nothing is written, whatever the level)
// or back on at the level it had (MOSN's admin enable_log/disable_log).
func (l *Logger) SetEnabled(on bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case !on && !l.disabled:
		l.disabled, l.saved = true, l.level.Level()
		l.level.Set(levelOff)
	case on && l.disabled:
		l.disabled = false
		l.level.Set(l.saved)
	}
}

// Disabled reports whether SetEnabled(false) is in effect.
func (l *Logger) Disabled() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.disabled
}

// Reopen closes and reopens the log file at its path, so that a file
// moved away by an external rotator (logrotate, then SIGUSR1) is
// replaced by a fresh one. It does nothing for stdout and stderr.
func (l *Logger) Reopen() error { return Reopen(l.out) }

// Close closes the log file, if the Logger owns one. Records logged after
// Close are dropped with an error from the handler.
func (l *Logger) Close() error {
	if l.out == nil {
		return nil
	}
	return l.out.Close()
}
