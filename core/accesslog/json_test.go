package accesslog

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/seed405ffdea/mosn/pkg/log"
)

// envoyJSON is a json_format as Envoy users write it, with one MOSN
// variable and a mixed value.
var envoyJSON = map[string]string{
	"start_time":     "%START_TIME%",
	"method":         "%REQ(:METHOD)%",
	"path":           "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%",
	"protocol":       "%PROTOCOL%",
	"response_code":  "%RESPONSE_CODE%",
	"response_flags": "%RESPONSE_FLAGS%",
	"bytes_received": "%BYTES_RECEIVED%",
	"bytes_sent":     "%BYTES_SENT%",
	"duration":       "%DURATION%",
	"upstream_host":  "%UPSTREAM_HOST%",
	"user_agent":     "%REQ(USER-AGENT)%",
	"missing":        "%REQ(X-NOT-THERE)%",
	"req_duration":   "%REQUEST_DURATION%",
	"proxy_answered": "%response_flag%",
	"mosn_duration":  "%duration%",
	"line":           "%REQ(:METHOD)% %REQ(:PATH)%",
	"constant":       "mosn",
}

func TestJSONFormat(t *testing.T) {
	j, err := CompileJSON(envoyJSON)
	if err != nil {
		t.Fatal(err)
	}
	got := string(j.Append(nil, testEntry()))
	want := `{"bytes_received":123,"bytes_sent":4567,"constant":"mosn","duration":2345,` +
		`"line":"GET /api/v1/items?id=7","method":"GET","missing":null,"mosn_duration":"2.345678s",` +
		`"path":"/api/v1/items?id=7","protocol":"HTTP/1.1","proxy_answered":true,"req_duration":1,` +
		`"response_code":503,"response_flags":"UH,UO","start_time":"2024-03-09T14:05:06.789Z",` +
		`"upstream_host":"10.0.0.7:80","user_agent":"curl/8.5.0"}`
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	// Unknown values of typed operators are null, not "-".
	e := testEntry()
	e.RequestReceived, e.UpstreamHost = 0, ""
	var m map[string]any
	if err := json.Unmarshal(j.Append(nil, e), &m); err != nil {
		t.Fatal(err)
	}
	if m["req_duration"] != nil || m["upstream_host"] != nil || m["response_code"] != 503.0 {
		t.Errorf("%v", m)
	}
}

// Whatever a client puts in a header, the line stays one valid JSON
// object: quotes, backslashes, control characters, invalid UTF-8.
func TestJSONEscaping(t *testing.T) {
	j, err := CompileJSON(map[string]string{"ua": "%REQ(USER-AGENT)%", `we"ird\key`: "a\tb %REQ(X-A)%"})
	if err != nil {
		t.Fatal(err)
	}
	for _, ua := range []string{
		`say "hi" \o/`,
		"bell\x07 and del\x7f",
		"caf\xc3\xa9 \xff\xfe end",
		"\xe2\x82", // truncated rune
		`"}{"injected":1`,
		"",
	} {
		e := testEntry()
		e.RequestHeaders = headers("User-Agent", ua, "X-A", "é\"")
		line := j.Append([]byte("prefix"), e)
		if !strings.HasPrefix(string(line), "prefix{") {
			t.Fatalf("dst not kept: %q", line)
		}
		line = line[len("prefix"):]
		var m map[string]string
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("ua %q: invalid JSON %s: %v", ua, line, err)
		}
		if len(m) != 2 || m[`we"ird\key`] != "a\tb é\"" {
			t.Errorf("ua %q: %v", ua, m)
		}
		want := perByteValid(ua)
		// Control characters come escaped by the format (as in text logs).
		want = strings.NewReplacer("\x07", `\x07`, "\x7f", `\x7f`).Replace(want)
		if ua == "" {
			want = "-"
		}
		if m["ua"] != want && !(ua == "" && m["ua"] == "") {
			t.Errorf("ua %q: got %q want %q", ua, m["ua"], want)
		}
	}
}

// perByteValid replaces each invalid byte with U+FFFD, as encoding/json
// does.
func perByteValid(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func TestCompileJSONErrors(t *testing.T) {
	for _, tt := range []struct {
		in   map[string]string
		want string
	}{
		{nil, "accesslog: json_format has no keys"},
		{map[string]string{"a": "%NOPE%"}, `accesslog: json_format key "a": unknown variable "NOPE" in log_format`},
	} {
		_, err := CompileJSON(tt.in)
		if err == nil || err.Error() != tt.want || !errors.Is(err, ErrInvalidFormat) {
			t.Errorf("got %v, want %q", err, tt.want)
		}
	}
}

func TestNewJSONLogger(t *testing.T) {
	path := filepath.Join(t.TempDir(), "access.json")
	l, err := NewJSON(path, map[string]string{"code": "%RESPONSE_CODE%", "path": "%REQ(:PATH)%"}, log.DefaultRoller())
	if err != nil {
		t.Fatal(err)
	}
	if l.Format() != nil || l.JSONFormat() == nil || l.Path() != path {
		t.Fatal("accessors")
	}
	l.Log(testEntry())
	e := testEntry()
	e.ResponseCode, e.Path = 200, []byte("/x")
	l.Log(e)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	got := readLines(t, path)
	if strings.Join(got, "\n") != `{"code":503,"path":"/api/v1/items?id=7"}`+"\n"+`{"code":200,"path":"/x"}` {
		t.Errorf("%q", got)
	}
}

func TestJSONLogAllocs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "access.json")
	l, err := NewJSON(path, envoyJSON, log.DefaultRoller())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	e := testEntry()
	if allocs := testing.AllocsPerRun(5000, func() { l.Log(e) }); allocs != 0 {
		t.Errorf("Log allocates %.2f times per call, want 0", allocs)
	}
}

func TestReopenAndDisable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "access.log")
	l, err := New(path, "%RESPONSE_CODE%", log.DefaultRoller())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	e := testEntry()
	l.Log(e)
	l.SetEnabled(false)
	l.Log(e) // discarded
	if l.Enabled() || l.Dropped() != 0 {
		t.Fatalf("enabled %t dropped %d", l.Enabled(), l.Dropped())
	}
	l.SetEnabled(true)
	// Flush what is buffered, move the file away as logrotate does, and
	// reopen: later lines go to a new file at the path.
	l.flush(true)
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	if err := l.Reopen(); err != nil {
		t.Fatal(err)
	}
	e.ResponseCode = 200
	l.Log(e)
	l.Close()
	if got := readLines(t, path+".1"); strings.Join(got, ",") != "503" {
		t.Errorf("old file %q", got)
	}
	if got := readLines(t, path); strings.Join(got, ",") != "200" {
		t.Errorf("new file %q", got)
	}
}

func BenchmarkLogJSON(b *testing.B) {
	l, err := NewJSON(filepath.Join(b.TempDir(), "access.json"), envoyJSON, log.DefaultRoller())
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	e := testEntry()
	b.ReportAllocs()
	for b.Loop() {
		l.Log(e)
	}
}
