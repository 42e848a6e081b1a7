package log

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"gopkg.in/natefinch/lumberjack.v2"
)

// OpenWriter opens the log file at path for appending, creating it and its
// directory as needed, and returns a writer that rotates it as r says. It is
// meant for error logs and access logs alike. The writer is safe for
// concurrent use; each Write should be one whole record.
//
// Size-based rotation (r.Interval == 0) is done by lumberjack: rotated files
// are named path-without-ext-2006-01-02T15-04-05.000.ext in local time,
// pruned by r.MaxBackups and r.MaxAge and gzipped if r.Compress. A single
// Write larger than r.MaxSize megabytes fails.
//
// Time-based rotation renames the file to path.2006-01-02_15 (path.2006-01-02
// when r.Interval is 24 h), named after the time the file was started, as
// MOSN does. Rotation happens at the first Write on or after a boundary, so a
// quiet log is not rotated into empty files; a name that is already taken
// gets a ".1", ".2", ... suffix rather than being overwritten.
//
// Open only one writer per path: two writers would rotate the file under
// each other.
func OpenWriter(path string, r Roller) (io.WriteCloser, error) {
	return openWriter(path, r, time.Now)
}

// Reopener is implemented by the writers OpenWriter returns: Reopen
// closes the file and opens it again at its path, for an external rotator
// that moved the file away (logrotate's "create" mode, then SIGUSR1).
type Reopener interface {
	Reopen() error
}

// Reopen reopens w if it is a Reopener (a file from OpenWriter) and does
// nothing otherwise (stdout, stderr, nil).
func Reopen(w any) error {
	if r, ok := w.(Reopener); ok {
		return r.Reopen()
	}
	return nil
}

func openWriter(path string, r Roller, now func() time.Time) (io.WriteCloser, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if path == "" {
		return nil, errors.New("log: empty log file path")
	}
	f, err := openFile(path)
	if err != nil {
		return nil, err
	}
	if r.Interval == 0 {
		// Opened only to report a bad path now rather than at the first
		// write; lumberjack opens the file itself.
		if err := f.Close(); err != nil {
			return nil, fmt.Errorf("log: %w", err)
		}
		return &sizeWriter{lj: newLumberjack(path, r)}, nil
	}
	w := &timeWriter{path: path, interval: r.Interval, now: now, f: f}
	if r.Interval == 24*time.Hour {
		w.layout = "2006-01-02"
	} else {
		w.layout = "2006-01-02_15"
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("log: %w", err)
	}
	// A file that already holds records was started no later than its last
	// write; an empty one is started now.
	w.created = now()
	if st.Size() > 0 {
		w.created = st.ModTime().In(w.created.Location())
	}
	w.next = nextBoundary(w.created, w.interval)
	return w, nil
}

func newLumberjack(path string, r Roller) *lumberjack.Logger {
	size := r.MaxSize
	if size == 0 {
		size = DefaultMaxSize
	}
	return &lumberjack.Logger{
		Filename:   path,
		MaxSize:    size,
		MaxAge:     r.MaxAge,
		MaxBackups: r.MaxBackups,
		Compress:   r.Compress,
		LocalTime:  true, // as MOSN
	}
}

// sizeWriter guards a lumberjack.Logger so that, like timeWriter, it refuses
// writes after Close instead of silently reopening the file.
type sizeWriter struct {
	mu     sync.Mutex
	lj     *lumberjack.Logger
	closed bool
}

func (w *sizeWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return 0, fmt.Errorf("log: write %s: %w", w.lj.Filename, os.ErrClosed)
	}
	n, err := w.lj.Write(p)
	if err != nil {
		return n, fmt.Errorf("log: %w", err)
	}
	return n, nil
}

// Reopen closes the file; lumberjack opens it again, at its path, on the
// next write.
func (w *sizeWriter) Reopen() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return fmt.Errorf("log: reopen %s: %w", w.lj.Filename, os.ErrClosed)
	}
	if err := w.lj.Close(); err != nil {
		return fmt.Errorf("log: reopen %s: %w", w.lj.Filename, err)
	}
	return nil
}

func (w *sizeWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	if err := w.lj.Close(); err != nil {
		return fmt.Errorf("log: %w", err)
	}
	return nil
}

func openFile(path string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("log: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("log: %w", err)
	}
	return f, nil
}

// nextBoundary returns the first rotation boundary after t. Boundaries are
// multiples of interval counted from the Unix epoch in t's local wall-clock
// time, as MOSN computes them, so daily rotation happens at local midnight
// and hourly rotation on the hour.
func nextBoundary(t time.Time, interval time.Duration) time.Time {
	_, offset := t.Zone()
	period := int64(interval / time.Second)
	local := t.Unix() + int64(offset)
	start := local - mod(local, period)
	return time.Unix(start+period-int64(offset), 0).In(t.Location())
}

func mod(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}

// timeWriter appends to a file and renames it aside when a rotation boundary
// passes.
type timeWriter struct {
	path     string
	layout   string
	interval time.Duration
	now      func() time.Time

	mu      sync.Mutex
	f       *os.File  // nil once closed
	created time.Time // when the current file was started
	next    time.Time // first boundary after created
}

// Write appends p to the file, rotating first if a boundary has passed. If
// the rotation fails, p is still written to the current file and the rotation
// error is returned with n == len(p).
func (w *timeWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return 0, fmt.Errorf("log: write %s: %w", w.path, os.ErrClosed)
	}
	var rotErr error
	if now := w.now(); !now.Before(w.next) {
		rotErr = w.rotate(now)
	}
	n, err := w.f.Write(p)
	if err != nil {
		return n, fmt.Errorf("log: %w", err)
	}
	return n, rotErr
}

// rotate renames the current file after the time it was started and opens a
// fresh one. On failure the current file stays in use until the next
// boundary, so a persistent error is not retried on every write.
func (w *timeWriter) rotate(now time.Time) error {
	created := w.created
	w.created = now
	w.next = nextBoundary(now, w.interval)

	target, err := freeName(w.path + "." + created.Format(w.layout))
	if err != nil {
		return fmt.Errorf("log: rotate %s: %w", w.path, err)
	}
	// A file removed from under us has nothing to rename: start afresh.
	if err := os.Rename(w.path, target); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("log: rotate %s: %w", w.path, err)
	}
	f, err := openFile(w.path)
	if err != nil {
		// Keep appending to the renamed file rather than losing records.
		return fmt.Errorf("log: rotate %s: %w", w.path, err)
	}
	old := w.f
	w.f = f
	if err := old.Close(); err != nil {
		return fmt.Errorf("log: rotate %s: %w", w.path, err)
	}
	return nil
}

// freeName returns name, or name.1, name.2, ... if taken.
func freeName(name string) (string, error) {
	candidate := name
	for i := 1; ; i++ {
		_, err := os.Lstat(candidate)
		if errors.Is(err, os.ErrNotExist) {
			return candidate, nil
		}
		if err != nil {
			return "", err
		}
		candidate = name + "." + strconv.Itoa(i)
	}
}

// Reopen opens the file at its path again (creating it if it was moved
// away) and closes the old descriptor. The rotation schedule is kept. On
// failure the old file stays in use.
func (w *timeWriter) Reopen() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return fmt.Errorf("log: reopen %s: %w", w.path, os.ErrClosed)
	}
	f, err := openFile(w.path)
	if err != nil {
		return fmt.Errorf("log: reopen %s: %w", w.path, err)
	}
	old := w.f
	w.f = f
	if err := old.Close(); err != nil {
		return fmt.Errorf("log: reopen %s: %w", w.path, err)
	}
	return nil
}

// Close closes the file. Writes after Close fail with os.ErrClosed.
func (w *timeWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	if err != nil {
		return fmt.Errorf("log: %w", err)
	}
	return nil
}
