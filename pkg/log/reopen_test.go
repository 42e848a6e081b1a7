package log

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An external rotator moves the file away; writes go on into the moved
// file until Reopen, and into a fresh file at the path afterwards.
func TestReopen(t *testing.T) {
	for _, r := range []struct {
		name   string
		roller Roller
	}{
		{"time", DefaultRoller()},
		{"size", Roller{MaxSize: 10}},
	} {
		t.Run(r.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "a.log")
			w, err := OpenWriter(path, r.roller)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			w.Write([]byte("one\n"))
			if err := os.Rename(path, path+".1"); err != nil {
				t.Fatal(err)
			}
			w.Write([]byte("two\n"))
			if err := Reopen(w); err != nil {
				t.Fatal(err)
			}
			w.Write([]byte("three\n"))
			if got := read(t, path+".1"); got != "one\ntwo\n" {
				t.Errorf("moved file %q", got)
			}
			if got := read(t, path); got != "three\n" {
				t.Errorf("new file %q", got)
			}
			w.Close()
			if err := Reopen(w); err == nil {
				t.Error("Reopen after Close succeeded")
			}
		})
	}
	// Non-files are left alone.
	if err := Reopen(os.Stdout); err != nil {
		t.Error(err)
	}
	if err := Reopen(nil); err != nil {
		t.Error(err)
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestLoggerReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "error.log")
	l, err := New(Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.Slog().Info("before")
	os.Rename(path, path+".old")
	if err := l.Reopen(); err != nil {
		t.Fatal(err)
	}
	l.Slog().Info("after")
	if got := read(t, path); !strings.Contains(got, "msg=after") || strings.Contains(got, "before") {
		t.Errorf("new file %q", got)
	}
}

func TestSetEnabled(t *testing.T) {
	var buf bytes.Buffer
	l := newLogger(&buf, nil, LevelInfo)
	l.SetEnabled(false)
	l.Slog().Error("hidden")
	if !l.Disabled() || l.Level() != "INFO" {
		t.Errorf("disabled %t level %s", l.Disabled(), l.Level())
	}
	// A level set while disabled is the one restored.
	if err := l.SetLevel("WARN"); err != nil {
		t.Fatal(err)
	}
	l.SetEnabled(true)
	l.SetEnabled(true)
	l.Slog().Info("still hidden")
	l.Slog().Warn("shown")
	out := buf.String()
	if strings.Contains(out, "hidden") || !strings.Contains(out, "msg=shown") || l.Level() != "WARN" {
		t.Errorf("out %q level %s", out, l.Level())
	}
}
