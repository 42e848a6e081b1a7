package log

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// logAll logs one record at each MOSN level, with the level name as message.
func logAll(l *slog.Logger) {
	ctx := context.Background()
	for _, n := range levelNames {
		l.Log(ctx, n.level, "msg-"+n.name)
	}
}

// loggedLevels returns the level= values in text output, in order.
func loggedLevels(out string) []string {
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		for _, f := range strings.Fields(line) {
			if v, ok := strings.CutPrefix(f, "level="); ok {
				got = append(got, v)
			}
		}
	}
	return got
}

func TestLevelFiltering(t *testing.T) {
	tests := []struct {
		level string
		want  []string
	}{
		{"FATAL", []string{"FATAL"}},
		{"error", []string{"FATAL", "ERROR"}},
		{"WARN", []string{"FATAL", "ERROR", "WARN"}},
		{"", []string{"FATAL", "ERROR", "WARN", "INFO"}}, // default INFO
		{"INFO", []string{"FATAL", "ERROR", "WARN", "INFO"}},
		{"DEBUG", []string{"FATAL", "ERROR", "WARN", "INFO", "DEBUG"}},
		{"Trace", []string{"FATAL", "ERROR", "WARN", "INFO", "DEBUG", "TRACE"}},
	}
	for _, tt := range tests {
		t.Run("level="+tt.level, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "mosn.log")
			l, err := New(Options{Path: path, Level: tt.level, Roller: "size=10"})
			if err != nil {
				t.Fatal(err)
			}
			logAll(l.Slog())
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			out, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			got := loggedLevels(string(out))
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("logged levels %v, want %v\noutput:\n%s", got, tt.want, out)
			}
			// Messages and level names line up: msg-TRACE is at level=TRACE.
			for _, name := range tt.want {
				if !strings.Contains(string(out), "level="+name+" msg=msg-"+name) {
					t.Errorf("no line with level=%s msg=msg-%s in:\n%s", name, name, out)
				}
			}
		})
	}
}

func TestSetLevel(t *testing.T) {
	var buf bytes.Buffer
	l := newLogger(&buf, nil, LevelError)
	steps := []struct {
		set     string
		wantErr bool
		level   string // Level() afterwards
		logged  []string
	}{
		{"", false, "ERROR", []string{"FATAL", "ERROR"}},
		{"debug", false, "DEBUG", []string{"FATAL", "ERROR", "WARN", "INFO", "DEBUG"}},
		{"VERBOSE", true, "DEBUG", []string{"FATAL", "ERROR", "WARN", "INFO", "DEBUG"}}, // unchanged
		{"TRACE", false, "TRACE", []string{"FATAL", "ERROR", "WARN", "INFO", "DEBUG", "TRACE"}},
		{"FATAL", false, "FATAL", []string{"FATAL"}},
	}
	for _, s := range steps {
		if s.set != "" {
			err := l.SetLevel(s.set)
			if (err != nil) != s.wantErr {
				t.Fatalf("SetLevel(%q) error = %v, wantErr %v", s.set, err, s.wantErr)
			}
			if err != nil && !errors.Is(err, ErrUnknownLevel) {
				t.Fatalf("SetLevel(%q) error %v does not wrap ErrUnknownLevel", s.set, err)
			}
		}
		if got := l.Level(); got != s.level {
			t.Fatalf("after SetLevel(%q): Level() = %q, want %q", s.set, got, s.level)
		}
		buf.Reset()
		logAll(l.Slog())
		if got := loggedLevels(buf.String()); fmt.Sprint(got) != fmt.Sprint(s.logged) {
			t.Fatalf("after SetLevel(%q): logged %v, want %v", s.set, got, s.logged)
		}
	}
}

func TestEnabled(t *testing.T) {
	l := newLogger(io.Discard, nil, LevelInfo)
	if l.Enabled(LevelDebug) || !l.Enabled(LevelInfo) || !l.Enabled(LevelFatal) {
		t.Fatal("Enabled disagrees with level INFO")
	}
}

// TestSetLevelConcurrent changes the level while other goroutines log.
func TestSetLevelConcurrent(t *testing.T) {
	l := newLogger(io.Discard, nil, LevelInfo)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 200 {
				l.Slog().Info("x")
				_ = l.Level()
			}
		})
	}
	for i := range 200 {
		if err := l.SetLevel(levelNames[i%len(levelNames)].name); err != nil {
			t.Error(err)
		}
	}
	wg.Wait()
}

func TestNew(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	write(t, file, "")
	tests := []struct {
		name    string
		opts    Options
		wantErr string
		owns    bool // Close closes a file
	}{
		{"stderr by default", Options{}, "", false},
		{"stderr", Options{Path: "stderr", Level: "warn"}, "", false},
		{"dev stderr", Options{Path: "/dev/stderr"}, "", false},
		{"stdout", Options{Path: "stdout", Roller: "nonsense"}, "", false}, // roller unused
		{"dev stdout", Options{Path: "/dev/stdout"}, "", false},
		{"file default roller", Options{Path: filepath.Join(dir, "a", "b.log")}, "", true},
		{"file time roller", Options{Path: filepath.Join(dir, "c.log"), Roller: "time=1"}, "", true},
		{"unknown level", Options{Level: "NOTICE"}, `log: unknown level "NOTICE"`, false},
		{"bad roller", Options{Path: filepath.Join(dir, "d.log"), Roller: "size=big"}, `log: invalid roller: size "big"`, false},
		{"unknown roller key", Options{Path: filepath.Join(dir, "d.log"), Roller: "rotate=1"}, `log: invalid roller: unknown key "rotate"`, false},
		{"unopenable path", Options{Path: filepath.Join(file, "x.log")}, "not a directory", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := New(tt.opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("New error = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (l.out != nil) != tt.owns {
				t.Errorf("owns a file = %v, want %v", l.out != nil, tt.owns)
			}
			if err := l.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
		})
	}
}

// TestConcurrentWrites logs from many goroutines through both kinds of
// rotating writer while the injected clock, a minute per write, forces a
// time rotation every 60 records; every record must land whole in exactly
// one file.
func TestConcurrentWrites(t *testing.T) {
	const goroutines, perG = 8, 200
	tests := []struct {
		name      string
		open      func(path string, clock *fakeClock) (io.WriteCloser, error)
		wantFiles int
	}{
		{"time", func(path string, clock *fakeClock) (io.WriteCloser, error) {
			return openWriter(path, Roller{Interval: time.Hour}, clock.Now)
		}, 1 + goroutines*perG/60},
		{"size", func(path string, _ *fakeClock) (io.WriteCloser, error) {
			return OpenWriter(path, Roller{MaxSize: 1})
		}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			clock := &fakeClock{t: at("2024-03-01 10:00:00"), step: time.Minute}
			w, err := tt.open(filepath.Join(dir, "app.log"), clock)
			if err != nil {
				t.Fatal(err)
			}
			l := newLogger(w, w, LevelInfo)
			var wg sync.WaitGroup
			for g := range goroutines {
				wg.Go(func() {
					for i := range perG {
						l.Slog().Info("record", "g", g, "i", i)
					}
				})
			}
			wg.Wait()
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			files := readDir(t, dir)
			if len(files) != tt.wantFiles {
				t.Errorf("%d files, want %d: %v", len(files), tt.wantFiles, keys(files))
			}
			seen := make(map[string]bool)
			for name, content := range files {
				for _, line := range strings.Split(strings.TrimSuffix(content, "\n"), "\n") {
					if line == "" {
						continue
					}
					if !strings.HasPrefix(line, "time=") || !strings.Contains(line, "level=INFO msg=record g=") {
						t.Fatalf("%s: torn or foreign line %q", name, line)
					}
					key := line[strings.Index(line, " g="):]
					if seen[key] {
						t.Fatalf("record%s written twice", key)
					}
					seen[key] = true
				}
			}
			if len(seen) != goroutines*perG {
				t.Fatalf("found %d records, want %d", len(seen), goroutines*perG)
			}
		})
	}
}

func BenchmarkLoggerFiltered(b *testing.B) {
	l := newLogger(io.Discard, nil, LevelInfo)
	b.ReportAllocs()
	for b.Loop() {
		if l.Enabled(LevelDebug) {
			l.Slog().Debug("hidden", "n", 1)
		}
	}
}

func BenchmarkLoggerInfo(b *testing.B) {
	l := newLogger(io.Discard, nil, LevelInfo)
	b.ReportAllocs()
	for b.Loop() {
		l.Slog().Info("request", "status", 200)
	}
}

func BenchmarkTimeWriter(b *testing.B) {
	w, err := OpenWriter(filepath.Join(b.TempDir(), "app.log"), Roller{Interval: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	line := []byte("time=2024-03-01T10:00:00Z level=INFO msg=request status=200\n")
	b.ReportAllocs()
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if _, err := w.Write(line); err != nil {
			b.Fatal(err)
		}
	}
}
