package log

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is an injected clock for time-based rotation. Each Now call
// advances it by step, if set.
type fakeClock struct {
	mu   sync.Mutex
	t    time.Time
	step time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.t
	c.t = c.t.Add(c.step)
	return t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// zone is a fixed non-UTC zone, so tests catch boundaries computed in UTC.
var zone = time.FixedZone("UTC+8", 8*3600)

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04:05", s, zone)
	if err != nil {
		panic(err)
	}
	return t
}

func TestNextBoundary(t *testing.T) {
	tests := []struct {
		now      string
		interval time.Duration
		want     string
	}{
		{"2024-03-01 10:30:00", time.Hour, "2024-03-01 11:00:00"},
		{"2024-03-01 10:00:00", time.Hour, "2024-03-01 11:00:00"}, // on a boundary: the next one
		{"2024-03-01 10:59:59", time.Hour, "2024-03-01 11:00:00"},
		{"2024-03-01 10:30:00", 6 * time.Hour, "2024-03-01 12:00:00"},
		{"2024-03-01 23:30:00", 6 * time.Hour, "2024-03-02 00:00:00"},
		{"2024-03-01 00:00:00", 24 * time.Hour, "2024-03-02 00:00:00"}, // local midnight, not UTC
		{"2024-03-01 07:59:00", 24 * time.Hour, "2024-03-02 00:00:00"},
		{"1969-12-31 22:30:00", time.Hour, "1969-12-31 23:00:00"}, // before the epoch
	}
	for _, tt := range tests {
		got := nextBoundary(at(tt.now), tt.interval)
		if want := at(tt.want); !got.Equal(want) {
			t.Errorf("nextBoundary(%s, %v) = %v, want %v", tt.now, tt.interval, got, want)
		}
	}
}

// step is one write at a clock time.
type step struct {
	at   string
	line string
}

func TestTimeRotation(t *testing.T) {
	tests := []struct {
		name     string
		interval time.Duration
		steps    []step
		want     map[string]string // file name (relative to dir) -> content
	}{
		{
			name:     "hourly",
			interval: time.Hour,
			steps: []step{
				{"2024-03-01 10:30:00", "a"},
				{"2024-03-01 10:59:59", "b"},
				{"2024-03-01 11:00:00", "c"},
				{"2024-03-01 11:45:00", "d"},
				{"2024-03-01 12:10:00", "e"},
			},
			want: map[string]string{
				"app.log.2024-03-01_10": "a\nb\n",
				"app.log.2024-03-01_11": "c\nd\n",
				"app.log":               "e\n",
			},
		},
		{
			name:     "quiet hours are not rotated into empty files",
			interval: time.Hour,
			steps: []step{
				{"2024-03-01 10:30:00", "a"},
				{"2024-03-01 13:10:00", "b"},
				{"2024-03-01 13:20:00", "c"},
				{"2024-03-01 14:00:00", "d"},
			},
			want: map[string]string{
				"app.log.2024-03-01_10": "a\n",
				"app.log.2024-03-01_13": "b\nc\n",
				"app.log":               "d\n",
			},
		},
		{
			name:     "daily at local midnight",
			interval: 24 * time.Hour,
			steps: []step{
				{"2024-03-01 07:00:00", "a"}, // 23:00 UTC the day before
				{"2024-03-01 23:59:59", "b"},
				{"2024-03-02 00:00:01", "c"},
			},
			want: map[string]string{
				"app.log.2024-03-01": "a\nb\n",
				"app.log":            "c\n",
			},
		},
		{
			name:     "six hours",
			interval: 6 * time.Hour,
			steps: []step{
				{"2024-03-01 01:00:00", "a"},
				{"2024-03-01 05:59:00", "b"},
				{"2024-03-01 06:00:00", "c"},
			},
			want: map[string]string{
				"app.log.2024-03-01_01": "a\nb\n",
				"app.log":               "c\n",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "app.log")
			clock := &fakeClock{t: at(tt.steps[0].at)}
			w, err := openWriter(path, Roller{Interval: tt.interval}, clock.Now)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tt.steps {
				clock.Set(at(s.at))
				if _, err := w.Write([]byte(s.line + "\n")); err != nil {
					t.Fatalf("Write at %s: %v", s.at, err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if got := readDir(t, dir); !equalMaps(got, tt.want) {
				t.Fatalf("files:\n%v\nwant:\n%v", got, tt.want)
			}
		})
	}
}

// TestTimeRotationExistingFile: a file left by an earlier run is rotated
// under the hour of its last write, and a taken name is not overwritten.
func TestTimeRotationExistingFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	write(t, path, "old\n")
	mtime := at("2024-03-01 08:15:00")
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	write(t, path+".2024-03-01_08", "taken\n")

	clock := &fakeClock{t: at("2024-03-01 10:30:00")}
	w, err := openWriter(path, Roller{Interval: time.Hour}, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("new\n")); err != nil {
		t.Fatal(err)
	}
	w.Close()
	want := map[string]string{
		"app.log.2024-03-01_08":   "taken\n",
		"app.log.2024-03-01_08.1": "old\n",
		"app.log":                 "new\n",
	}
	if got := readDir(t, dir); !equalMaps(got, want) {
		t.Fatalf("files:\n%v\nwant:\n%v", got, want)
	}
}

// TestTimeRotationRemovedFile: if the file was deleted (say by a cleanup
// script), rotation starts a fresh one instead of writing into the void.
func TestTimeRotationRemovedFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	clock := &fakeClock{t: at("2024-03-01 10:30:00")}
	w, err := openWriter(path, Roller{Interval: time.Hour}, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.Write([]byte("lost\n"))
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	clock.Set(at("2024-03-01 11:00:00"))
	if _, err := w.Write([]byte("kept\n")); err != nil {
		t.Fatalf("Write after removal: %v", err)
	}
	if got, want := readDir(t, dir), map[string]string{"app.log": "kept\n"}; !equalMaps(got, want) {
		t.Fatalf("files: %v, want %v", got, want)
	}
}

func TestWriteAfterClose(t *testing.T) {
	for _, r := range []Roller{{Interval: time.Hour}, {MaxSize: 1}} {
		t.Run(rollerName(r), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "app.log")
			w, err := OpenWriter(path, r)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatalf("second Close: %v", err)
			}
			if _, err := w.Write([]byte("x\n")); !errors.Is(err, os.ErrClosed) {
				t.Fatalf("Write after Close = %v, want os.ErrClosed", err)
			}
		})
	}
}

func rollerName(r Roller) string {
	if r.Interval > 0 {
		return "time"
	}
	return "size"
}

func TestOpenWriterErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	write(t, file, "")
	tests := []struct {
		name    string
		path    string
		r       Roller
		wantErr string
	}{
		{"empty path", "", Roller{}, "log: empty log file path"},
		{"parent is a file", filepath.Join(file, "app.log"), Roller{}, "not a directory"},
		{"parent is a file, time", filepath.Join(file, "app.log"), Roller{Interval: time.Hour}, "not a directory"},
		{"invalid roller", filepath.Join(dir, "app.log"), Roller{Interval: time.Minute}, "log: invalid roller: time 1m0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := OpenWriter(tt.path, tt.r)
			if err == nil {
				w.Close()
				t.Fatal("OpenWriter succeeded, want error")
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("OpenWriter error = %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestSizeRollerMapping(t *testing.T) {
	tests := []struct {
		name string
		r    Roller
		want [4]int // MaxSize, MaxAge, MaxBackups, Compress (0/1)
	}{
		{"mosn example", Roller{MaxSize: 100, MaxAge: 10, MaxBackups: 10}, [4]int{100, 10, 10, 0}},
		{"compress", Roller{MaxSize: 5, MaxAge: 0, MaxBackups: 3, Compress: true}, [4]int{5, 0, 3, 1}},
		{"zero size means default", Roller{}, [4]int{DefaultMaxSize, 0, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := OpenWriter(filepath.Join(t.TempDir(), "app.log"), tt.r)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			sw, ok := w.(*sizeWriter)
			if !ok {
				t.Fatalf("OpenWriter returned %T, want *sizeWriter", w)
			}
			lj := sw.lj
			compress := 0
			if lj.Compress {
				compress = 1
			}
			got := [4]int{lj.MaxSize, lj.MaxAge, lj.MaxBackups, compress}
			if got != tt.want || !lj.LocalTime {
				t.Fatalf("lumberjack {size, age, keep, compress} = %v LocalTime=%v, want %v LocalTime=true", got, lj.LocalTime, tt.want)
			}
		})
	}
}

// TestSizeRotation writes 1.5 MB through a size=1 roller and expects one
// rotated file. lumberjack's unit is the megabyte, so this needs real bytes.
func TestSizeRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	r, err := ParseRoller("size=1 keep=5 compress=off")
	if err != nil {
		t.Fatal(err)
	}
	w, err := OpenWriter(path, r)
	if err != nil {
		t.Fatal(err)
	}
	chunk := append(bytes.Repeat([]byte("x"), 512<<10-1), '\n')
	for range 3 {
		if _, err := w.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	files := readDir(t, dir)
	if len(files) != 2 {
		t.Fatalf("got files %v, want app.log and one backup", keys(files))
	}
	if n := len(files["app.log"]); n != len(chunk) {
		t.Errorf("app.log holds %d bytes, want %d", n, len(chunk))
	}
	for name, content := range files {
		if name == "app.log" {
			continue
		}
		if !strings.HasPrefix(name, "app-") || !strings.HasSuffix(name, ".log") {
			t.Errorf("backup %q, want app-<timestamp>.log", name)
		}
		if len(content) != 2*len(chunk) {
			t.Errorf("backup holds %d bytes, want %d", len(content), 2*len(chunk))
		}
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := make(map[string]string, len(entries))
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		m[e.Name()] = string(b)
	}
	return m
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func keys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
