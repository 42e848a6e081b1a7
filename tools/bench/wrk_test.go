package main

import (
	"fmt"
	"net"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/seed405ffdea/mosn/tools/internal/loadgen"
)

func TestParseResult(t *testing.T) {
	tests := []struct {
		name    string
		out     string
		want    loadgen.Result
		wantErr string
	}{
		{
			name: "wrk with banner",
			out: "Running 10s test @ http://127.0.0.1:4000/128\n  1 threads and 50 connections\n" +
				`RESULT {"count":951234,"errors":3,"seconds":10.002311,"p50_us":480.0,"p90_us":700.5,"p99_us":1090.0,"max_us":15012.0,"detail":{"connect":0,"read":0,"write":0,"status":3,"timeout":0,"bytes":180000000}}` + "\n",
			want: loadgen.Result{Count: 951234, Errors: 3, Seconds: 10.002311, P50: 480, P90: 700.5, P99: 1090, Max: 15012,
				Detail: map[string]int64{"connect": 0, "read": 0, "write": 0, "status": 3, "timeout": 0, "bytes": 180000000}},
		},
		{
			name: "last line wins",
			out:  "RESULT {\"count\":1,\"seconds\":1}\nRESULT {\"count\":2,\"seconds\":1}\n",
			want: loadgen.Result{Count: 2, Seconds: 1},
		},
		{
			name: "no newline at end",
			out:  `RESULT {"count":5,"seconds":0.5}`,
			want: loadgen.Result{Count: 5, Seconds: 0.5},
		},
		{name: "missing", out: "Running 10s test\nunable to connect to 127.0.0.1:1 Connection refused\n", wantErr: "no \"RESULT \" line"},
		{name: "bad json", out: "RESULT {count:1}\n", wantErr: "invalid character"},
		{name: "negative", out: `RESULT {"count":-1,"seconds":1}`, wantErr: "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := loadgen.ParseResult([]byte(tt.out))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("loadgen.ParseResult error = %v, want containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Count != tt.want.Count || got.Errors != tt.want.Errors || got.Seconds != tt.want.Seconds ||
				got.P50 != tt.want.P50 || got.P90 != tt.want.P90 || got.P99 != tt.want.P99 || got.Max != tt.want.Max ||
				len(got.Detail) != len(tt.want.Detail) || got.Detail["status"] != tt.want.Detail["status"] {
				t.Errorf("loadgen.ParseResult = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestWrkScriptFormat renders the Lua hook's format string the way Lua's
// string.format does (its %d and %.Nf match Go's) and parses the line.
func TestWrkScriptFormat(t *testing.T) {
	lits := regexp.MustCompile(`'([^']*)'`).FindAllStringSubmatch(wrkScript, -1)
	var format string
	for _, l := range lits {
		format += l[1]
	}
	format = strings.ReplaceAll(format, `\n`, "\n")
	if !strings.HasPrefix(format, loadgen.ResultPrefix) {
		t.Fatalf("format %q does not start with %q", format, loadgen.ResultPrefix)
	}
	line := fmt.Sprintf(format, 1000, 2, 2.5, 410.0, 600.0, 1200.0, 5000.0, 0, 1, 0, 1, 0, 123456)
	r, err := loadgen.ParseResult([]byte(line))
	if err != nil {
		t.Fatalf("loadgen.ParseResult(%q): %v", line, err)
	}
	if r.Count != 1000 || r.Errors != 2 || r.Seconds != 2.5 || r.P99 != 1200 || r.Detail["status"] != 1 || r.Detail["bytes"] != 123456 {
		t.Errorf("parsed %+v from %q", r, line)
	}
}

// TestWrkRealRun runs wrk with the hook against the raw origin.
func TestWrkRealRun(t *testing.T) {
	if _, err := exec.LookPath("wrk"); err != nil {
		t.Skip("wrk not installed")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go loadgen.ServeHTTP1(ln, loadgen.NewHTTP1Responses([]int{128}))
	defer ln.Close()
	script, err := writeWrkScript(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	run := wrkRun{URL: "http://" + ln.Addr().String() + "/128", Conns: 4, Duration: time.Second}
	argv := run.argv(script)
	out, err := exec.Command(argv[0], argv[1:]...).Output()
	if err != nil {
		t.Fatalf("wrk: %v\n%s", err, out)
	}
	r, err := loadgen.ParseResult(out)
	if err != nil {
		t.Fatal(err)
	}
	if r.Count <= 0 || r.Errors != 0 || r.Seconds < 0.9 || r.P50 <= 0 || r.P99 < r.P50 || r.Max < r.P99 {
		t.Errorf("implausible wrk result %+v", r)
	}
	if want := r.Count * int64(len(loadgen.NewHTTP1Responses([]int{128}).ForPath([]byte("/128"), false))); r.Detail["bytes"] != want {
		t.Errorf("bytes = %d, want %d (count × response size)", r.Detail["bytes"], want)
	}
}

func TestWrkArgv(t *testing.T) {
	run := wrkRun{URL: "http://127.0.0.1:9/128", Conns: 200, Duration: 2500 * time.Millisecond}
	got := strings.Join(run.argv("/t/s.lua"), " ")
	want := "wrk -t1 -c200 -d3s --timeout 5s -s /t/s.lua http://127.0.0.1:9/128"
	if got != want {
		t.Errorf("argv = %q, want %q", got, want)
	}
	short := wrkRun{Duration: 100 * time.Millisecond}
	if got := short.argv("s")[3]; got != "-d1s" {
		t.Errorf("short duration gives %q, want -d1s", got)
	}
}

func TestRunTimeout(t *testing.T) {
	if got := runTimeout(5 * time.Second); got != 10*time.Second {
		t.Errorf("runTimeout(5s) = %v", got)
	}
	if got := runTimeout(15 * time.Second); got != maxRun {
		t.Errorf("runTimeout(15s) = %v, want the cap %v", got, maxRun)
	}
}
