package accesslog

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/seed405ffdea/mosn/pkg/log"
)

// memWriter is an output that records what it gets. It can fail, write
// short, or block until released.
type memWriter struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	writes  int
	closed  int
	err     error         // returned by every Write
	n       int           // with err: bytes taken before failing; without: short write length if > 0
	release chan struct{} // if non-nil, each Write waits for it
}

func (w *memWriter) Write(p []byte) (int, error) {
	if w.release != nil {
		<-w.release
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes++
	n := len(p)
	if w.err != nil || w.n > 0 {
		n = min(w.n, len(p))
	}
	w.buf.Write(p[:n])
	return n, w.err
}

func (w *memWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed++
	return nil
}

func (w *memWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func mustCompile(t testing.TB, format string) *Format {
	t.Helper()
	f, err := Compile(format)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		t.Fatalf("%s does not end with a newline: %q", path, data)
	}
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

func TestLoggerFile(t *testing.T) {
	rollers := []struct {
		name   string
		roller string
	}{
		{"daily", ""},             // log.DefaultRoller: time-based writer
		{"size", "size=1 keep=2"}, // lumberjack
	}
	for _, r := range rollers {
		t.Run(r.name, func(t *testing.T) {
			roller, err := log.ParseRoller(r.roller)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "logs", "access.log") // directory created by New
			l, err := New(path, "%response_code% %REQ(:PATH)% %upstream_cluster%\n", roller)
			if err != nil {
				t.Fatal(err)
			}
			e := testEntry()
			var want []string
			for code := 200; code < 205; code++ {
				e.ResponseCode = code
				l.Log(e)
				want = append(want, strconv.Itoa(code)+" /api/v1/items?id=7 reviews")
			}
			if err := l.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if got := readLines(t, path); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("file holds\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if n := l.Dropped(); n != 0 {
				t.Errorf("Dropped() = %d before Close, want 0", n)
			}

			// After Close: dropped and counted, the file is left alone.
			l.Log(e)
			if n := l.Dropped(); n != 1 {
				t.Errorf("Dropped() = %d after logging once after Close, want 1", n)
			}
			if err := l.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}
			if got := readLines(t, path); len(got) != len(want) {
				t.Errorf("file has %d lines after a Log after Close, want %d", len(got), len(want))
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, format string
		roller             log.Roller
		want               string // error prefix
		is                 error
	}{
		{"bad format", filepath.Join(dir, "a.log"), "%nope%", log.Roller{}, `accesslog: unknown variable "nope" in log_format`, ErrInvalidFormat},
		{"empty path", "", "", log.Roller{}, "accesslog: empty log_path", nil},
		{"directory is a file", filepath.Join(file, "a.log"), "", log.Roller{}, `accesslog: log_path "` + filepath.Join(file, "a.log") + `": log: mkdir`, nil},
		{"bad roller", filepath.Join(dir, "b.log"), "", log.Roller{Interval: 90 * time.Minute}, `accesslog: log_path "` + filepath.Join(dir, "b.log") + `": log: invalid roller`, log.ErrInvalidRoller},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := New(tt.path, tt.format, tt.roller)
			if err == nil {
				l.Close()
				t.Fatalf("New succeeded, want error %q", tt.want)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error %q, want prefix %q", err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v does not match %v", err, tt.is)
			}
		})
	}
}

func TestStdStreamsNotClosed(t *testing.T) {
	for _, path := range []string{"stdout", "/dev/stdout", "stderr", "/dev/stderr"} {
		t.Run(path, func(t *testing.T) {
			l, err := New(path, "", log.Roller{})
			if err != nil {
				t.Fatal(err)
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			for _, f := range []*os.File{os.Stdout, os.Stderr} {
				if _, err := f.Stat(); err != nil {
					t.Errorf("%s after Close: %v", f.Name(), err)
				}
			}
		})
	}
}

func TestFlushEverySecond(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := &memWriter{}
		l := newLogger(mustCompile(t, "%response_code%"), w, w)
		l.Log(testEntry())
		synctest.Wait()
		if got := w.String(); got != "" {
			t.Fatalf("written before the flush interval: %q", got)
		}
		time.Sleep(flushInterval - time.Nanosecond)
		synctest.Wait()
		if got := w.String(); got != "" {
			t.Fatalf("written before the flush interval: %q", got)
		}
		time.Sleep(time.Nanosecond)
		synctest.Wait()
		if got := w.String(); got != "503\n" {
			t.Fatalf("after %v: written %q, want %q", flushInterval, got, "503\n")
		}

		// Nothing buffered: a tick writes nothing.
		time.Sleep(flushInterval)
		synctest.Wait()
		if w.writes != 1 {
			t.Errorf("%d writes after an idle tick, want 1", w.writes)
		}

		// Close flushes the rest and closes the output.
		l.Log(testEntry())
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if got := w.String(); got != "503\n503\n" {
			t.Errorf("after Close: written %q, want %q", got, "503\n503\n")
		}
		if w.closed != 1 {
			t.Errorf("output closed %d times, want 1", w.closed)
		}
	})
}

func TestFlushWhenFull(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := &memWriter{}
		l := newLogger(mustCompile(t, "%bytes_sent% "+strings.Repeat("x", 100)), w, w)
		e := testEntry()
		var logged int
		for logged < flushSize-200 {
			e.BytesSent = uint64(logged)
			l.Log(e)
			logged += len(strconv.Itoa(logged)) + 102
		}
		synctest.Wait()
		if got := w.String(); got != "" {
			t.Fatalf("%d bytes written with %d buffered, want none below %d", len(got), logged, flushSize)
		}
		for logged < flushSize {
			e.BytesSent = uint64(logged)
			l.Log(e)
			logged += len(strconv.Itoa(logged)) + 102
		}
		synctest.Wait() // no time passes: the write is the full buffer's
		if got := w.String(); len(got) != logged {
			t.Fatalf("%d bytes written with %d buffered, want all of them once the buffer is full", len(got), logged)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	})
}

func TestWriteErrorsCounted(t *testing.T) {
	errDisk := errors.New("disk full")
	tests := []struct {
		name        string
		w           *memWriter
		wantDropped uint64
		wantErr     error
	}{
		{"write fails", &memWriter{err: errDisk}, 5, errDisk},
		{"fails after two lines", &memWriter{err: errDisk, n: 8}, 3, errDisk},
		{"fails mid line", &memWriter{err: errDisk, n: 9}, 3, errDisk},
		{"short write", &memWriter{n: 3}, 5, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				l := newLogger(mustCompile(t, "%response_code%"), tt.w, tt.w)
				for range 5 {
					l.Log(testEntry())
				}
				time.Sleep(flushInterval)
				synctest.Wait()
				if got := l.Dropped(); got != tt.wantDropped {
					t.Errorf("Dropped() = %d, want %d", got, tt.wantDropped)
				}
				// Close reports the error of its own last write.
				l.Log(testEntry())
				err := l.Close()
				if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Errorf("Close() = %v, want %v", err, tt.wantErr)
				}
			})
		})
	}
}

// A stuck output makes Log drop lines, never wait.
func TestStuckOutputDropsInsteadOfBlocking(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := &memWriter{release: make(chan struct{})}
		l := newLogger(mustCompile(t, "%bytes_sent% "+strings.Repeat("x", 200)), w, w)
		e := testEntry()
		const total = 2 * (flushSize + maxBuffered) / 200
		for i := range total {
			e.BytesSent = uint64(i)
			l.Log(e) // if Log blocked, synctest would report a deadlock
		}
		dropped := l.Dropped()
		if dropped == 0 {
			t.Fatalf("logged %d lines of ~200 bytes into a stuck output: nothing dropped", total)
		}
		close(w.release)
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(w.String(), "\n"), "\n")
		if uint64(len(lines))+dropped != total {
			t.Errorf("%d lines written + %d dropped, want %d logged", len(lines), dropped, total)
		}
		// What was kept is the oldest lines, whole and in order.
		for i, line := range lines {
			seq, rest, _ := strings.Cut(line, " ")
			if seq != strconv.Itoa(i) || len(rest) != 200 {
				t.Fatalf("line %d is %q", i, line)
			}
		}
	})
}

func TestConcurrentLogging(t *testing.T) {
	path := filepath.Join(t.TempDir(), "access.log")
	l, err := New(path, "%bytes_sent% %bytes_received% %REQ(:PATH)% %request_header_user-agent%", log.DefaultRoller())
	if err != nil {
		t.Fatal(err)
	}
	const goroutines, perGoroutine = 8, 2000
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			e := testEntry()
			e.BytesSent = uint64(g)
			for i := range perGoroutine {
				e.BytesReceived = uint64(i)
				l.Log(e)
			}
		})
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	next := make([]int, goroutines) // each goroutine's lines appear in order
	lines := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines++
		var g, i int
		var path, ua string
		if n, err := fmt.Sscanf(sc.Text(), "%d %d %s %s", &g, &i, &path, &ua); n != 4 || err != nil ||
			path != "/api/v1/items?id=7" || ua != "curl/8.5.0" || g < 0 || g >= goroutines {
			t.Fatalf("line %d is mangled: %q", lines, sc.Text())
		}
		if i < next[g] {
			t.Fatalf("line %d: goroutine %d line %d after line %d", lines, g, i, next[g]-1)
		}
		next[g] = i + 1
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if got := uint64(lines) + l.Dropped(); got != goroutines*perGoroutine {
		t.Errorf("%d lines written + %d dropped, want %d", lines, l.Dropped(), goroutines*perGoroutine)
	}
	t.Logf("%d lines written, %d dropped", lines, l.Dropped())
}

func TestLogAllocs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "access.log")
	l, err := New(path, `%start_time% [%START_TIME%] "%REQ(:METHOD)% %REQ(:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% `+
		`%bytes_received% %bytes_sent% %duration% %DURATION% %downstream_remote_address% %upstream_host% %upstream_cluster% `+
		`"%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" %response_header_content-type%`, log.DefaultRoller())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	e := testEntry()
	// Enough runs to hand several full buffers to the flusher.
	allocs := testing.AllocsPerRun(5000, func() { l.Log(e) })
	if allocs != 0 {
		t.Errorf("Log allocates %.2f times per call, want 0", allocs)
	}
}

func BenchmarkLog(b *testing.B) {
	l, err := New(filepath.Join(b.TempDir(), "access.log"), "", log.DefaultRoller())
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	e := testEntry()
	b.ReportAllocs()
	for b.Loop() {
		l.Log(e)
	}
	reportDropped(b, l)
}

// reportDropped reports lines the output could not keep up with, which
// would otherwise flatter the figure.
func reportDropped(b *testing.B, l *Logger) {
	if err := l.Close(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(l.Dropped())/float64(b.N), "dropped/op")
}

func BenchmarkLogEnvoyFormat(b *testing.B) {
	l, err := New(filepath.Join(b.TempDir(), "access.log"),
		`[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" `+
			`%RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% `+
			`%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" `+
			`"%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"`+"\n", log.DefaultRoller())
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	e := testEntry()
	b.ReportAllocs()
	for b.Loop() {
		l.Log(e)
	}
	reportDropped(b, l)
}

func BenchmarkLogParallel(b *testing.B) {
	l, err := New(filepath.Join(b.TempDir(), "access.log"), "", log.DefaultRoller())
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		e := testEntry()
		for pb.Next() {
			l.Log(e)
		}
	})
	reportDropped(b, l)
}

func BenchmarkAppend(b *testing.B) {
	f := mustCompile(b, "")
	e := testEntry()
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		buf = f.Append(buf[:0], e)
	}
}
