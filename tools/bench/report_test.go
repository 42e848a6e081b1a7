package main

import (
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seed405ffdea/mosn/tools/internal/loadgen"
)

// fakeOutcomes builds outcomes for three targets over three rounds:
// nginx 100k rps at 10 µs/req, haproxy 80k at 12.5, mosn 90k at 11, with
// mosn's round 2 failed; plus the fixed-rate scenario with CDFs and an h2c
// scenario mosn does not support.
func fakeOutcomes() []Outcome {
	var out []Outcome
	http1 := http1Scenarios()[0]
	run := func(round int, rps, cpuPerReq float64) Measure {
		n := rps * 5
		return Measure{Round: round, Result: loadgen.Result{Count: int64(n), Seconds: 5, P50: 400, P90: 600, P99: 1000, Max: 3000},
			CPU: time.Duration(cpuPerReq * n * float64(time.Microsecond)), RSS: 10 << 20}
	}
	oc := Outcome{Scenario: http1}
	oc.Targets = []TargetOutcome{
		{Target: "mosn", Runs: []Measure{run(1, 90000, 11), {Round: 2, Err: "wrk: connection refused"}, run(3, 90000, 11)}},
		{Target: "nginx", Runs: []Measure{run(1, 100000, 10), run(2, 100000, 10), run(3, 100000, 10)}},
		{Target: "haproxy", Runs: []Measure{run(1, 80000, 12.5), run(2, 80000, 12.5), run(3, 80000, 12.5)}},
	}
	out = append(out, oc)
	rate := rateScenario(5000)
	rc := Outcome{Scenario: rate}
	for _, name := range []string{"mosn", "nginx", "haproxy"} {
		var runs []Measure
		for r := 1; r <= 3; r++ {
			m := run(r, 5000, 30)
			var lat []float64
			for i := 1; i <= 1000; i++ {
				lat = append(lat, float64(100+i*r))
			}
			m.Result.Summarize(lat, true)
			runs = append(runs, m)
		}
		rc.Targets = append(rc.Targets, TargetOutcome{Target: name, Runs: runs})
	}
	out = append(out, rc)
	h2 := Outcome{Scenario: h2cScenario(), Targets: []TargetOutcome{
		{Target: "mosn", NA: "n/a (not supported)"},
		{Target: "nginx", Err: "warm-up: h2load: no successful request"},
		{Target: "haproxy", Runs: []Measure{run(1, 50000, 20)}},
	}}
	return append(out, h2)
}

func TestSummarizeRatios(t *testing.T) {
	sums := summarize(fakeOutcomes()[0])
	byName := map[string]Summary{}
	for _, s := range sums {
		byName[s.Target] = s
	}
	m := byName["mosn"]
	if m.Rounds != 2 || m.Failed != 1 || m.FirstErr != "wrk: connection refused" {
		t.Errorf("mosn rounds %d failed %d err %q", m.Rounds, m.Failed, m.FirstErr)
	}
	near := func(a, b float64) bool { return a > b-1e-9 && a < b+1e-9 }
	if !near(m.Rate, 90000) || !near(m.CPU, 11) {
		t.Errorf("mosn medians rate %v cpu %v", m.Rate, m.CPU)
	}
	if !near(m.VsNginx.Rate, 0.9) || !near(m.VsNginx.CPU, 1.1) || !near(m.VsHAProxy.Rate, 1.125) || !near(m.VsHAProxy.CPU, 0.88) {
		t.Errorf("mosn ratios %+v %+v", m.VsNginx, m.VsHAProxy)
	}
	// A reference target has no ratio to itself ("—" in the report).
	if n := byName["nginx"]; n.VsNginx.Rate != 0 || !near(n.VsHAProxy.Rate, 1.25) {
		t.Errorf("nginx ratios %+v %+v", n.VsNginx, n.VsHAProxy)
	}
}

func TestRoundRatioPairsRounds(t *testing.T) {
	s := http1Scenarios()[0]
	m := func(round int, count int64) Measure {
		return Measure{Round: round, Result: loadgen.Result{Count: count, Seconds: 1}}
	}
	oc := Outcome{Scenario: s, Targets: []TargetOutcome{
		// Round 2 of a is missing; round 3 of b failed: only round 1 pairs.
		{Target: "a", Runs: []Measure{m(1, 50), m(3, 999)}},
		{Target: "b", Runs: []Measure{m(1, 100), m(2, 100), {Round: 3, Err: "x"}}},
	}}
	if got := roundRatio(oc, "a", "b", func(m Measure) float64 { return m.Rate(s) }); got != 0.5 {
		t.Errorf("roundRatio = %v, want 0.5 from round 1 only", got)
	}
	if got := roundRatio(oc, "a", "nginx", func(m Measure) float64 { return m.Rate(s) }); got != 0 {
		t.Errorf("ratio to an absent target = %v, want 0", got)
	}
}

func TestBuildReport(t *testing.T) {
	o, _ := parseOptions(nil, nil)
	info := ReportInfo{
		Command:  "go run ./tools/bench -rounds 3",
		Date:     time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC),
		Wall:     9 * time.Minute,
		Machine:  Machine{CPUModel: "Test CPU", Cores: 2, Kernel: "6.1", LoadStart: [3]float64{0.5, 0.4, 0.3}},
		Versions: []Version{{"nginx", "nginx/1.22.1"}, {"wrk", ""}},
		Opts:     o,
		Targets:  []*Target{{Name: "mosn", Command: "mosn start -c x"}, {Name: "nginx", Unavailable: "nginx missing"}},
		Pinned:   true,
		Images:   map[string]string{"http1-c50-128": "img/bench-http1-c50-128.png", "rate-cdf": "img/bench-rate-cdf.png"},
	}
	mem := []MemOutcome{
		{Target: "mosn", RSSStart: 8 << 20, RSSBefore: 10 << 20, RSSIdle: 110 << 20, Conns: 10000, PerConn: 10485.76},
		{Target: "haproxy", RSSBefore: 10 << 20, RSSIdle: 20 << 20, Conns: 9886, PerConn: 1000, Note: "9,886 connections: the descriptor limit is 20,000"},
		{Target: "nginx", NA: "n/a (nginx missing)"},
	}
	rep := buildReport(info, fakeOutcomes(), mem)
	for _, want := range []string{
		"go run ./tools/bench -rounds 3\n",
		"Test CPU, 2 CPUs",
		"Load average at the start 0.50 0.40 0.30",
		"nginx: nginx/1.22.1.",
		"| http1-c50-128 | mosn | 90,000 rps (1 failed round) | 0.40 | 1.00 | 11.00 /req | 10.0 | 0.90 | 1.12 | 1.10 | 0.88 |",
		"| h2c | mosn | n/a (not supported) |",
		"| h2c | nginx | error: warm-up: h2load: no successful request |",
		"| mosn | 8.0 | 10.0 | 110.0 | 10,486 |",
		"9,886 connections: the descriptor limit is 20,000",
		"![latency distribution at 5,000 rps](img/bench-rate-cdf.png)",
		"![http1-c50-128: throughput and CPU per req](img/bench-http1-c50-128.png)",
		"| mosn | 2 | error: wrk: connection refused |",
		"- nginx: nginx missing",
	} {
		if !strings.Contains(rep, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(rep, "wrk: ;") || strings.Contains(rep, markerBegin) {
		t.Errorf("report has an empty version or a marker:\n%s", rep)
	}
}

func TestFormatting(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 999.4: "999", 1000: "1,000", 1234567.8: "1,234,568", -1500: "-1,500"} {
		if got := thousands(v); got != want {
			t.Errorf("thousands(%v) = %q, want %q", v, got, want)
		}
	}
	for us, want := range map[float64]string{0: "—", 412: "0.41", 1090: "1.09", 15012: "15.0", 250000: "250"} {
		if got := ms(us); got != want {
			t.Errorf("ms(%v) = %q, want %q", us, got, want)
		}
	}
	if got := ratio(0); got != "—" {
		t.Errorf("ratio(0) = %q", got)
	}
	if got := mdEscape("a|b\nc"); got != `a\|b c` {
		t.Errorf("mdEscape = %q", got)
	}
}

func TestWritePlots(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, plotPrefix+"old.png")
	other := filepath.Join(dir, "diagram.png")
	os.WriteFile(stale, []byte("x"), 0o644)
	os.WriteFile(other, []byte("x"), 0o644)
	files, err := writePlots(dir, fakeOutcomes())
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"http1-c50-128", "rate", "rate-cdf", "h2c"} {
		name := files[id]
		if name == "" {
			t.Errorf("no plot for %s (got %v)", id, files)
			continue
		}
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if b := img.Bounds(); b.Dx() < 500 || b.Dy() < 250 {
			t.Errorf("%s is %v", name, b)
		}
	}
	if _, err := os.Stat(stale); err == nil {
		t.Error("the previous run's plot was not removed")
	}
	if _, err := os.Stat(other); err != nil {
		t.Error("an image the harness does not own was removed")
	}
}

func TestMedianP99Run(t *testing.T) {
	to := TargetOutcome{Runs: []Measure{
		{Round: 1, Result: loadgen.Result{P99: 30}}, {Round: 2, Result: loadgen.Result{P99: 10}}, {Round: 3, Err: "x"}, {Round: 4, Result: loadgen.Result{P99: 20}},
	}}
	if m, ok := medianP99Run(to); !ok || m.Round != 4 {
		t.Errorf("medianP99Run = round %d, %v; want round 4", m.Round, ok)
	}
	if _, ok := medianP99Run(TargetOutcome{}); ok {
		t.Error("medianP99Run of no runs reported one")
	}
}

func TestNinesTicks(t *testing.T) {
	var got []string
	for _, tk := range ninesTicks(1, 20000) {
		got = append(got, tk.Label)
	}
	if strings.Join(got, " ") != "0% 50% 90% 99% 99.9% 99.99%" {
		t.Errorf("ticks %v", got)
	}
	var vals []float64
	for _, tk := range oneTwoFive(0.15, 12) {
		vals = append(vals, tk.Value)
	}
	if fmt.Sprint(vals) != "[0.2 0.5 1 2 5 10]" {
		t.Errorf("oneTwoFive = %v", vals)
	}
}

func TestCleanVersion(t *testing.T) {
	tests := []struct{ line, prefix, cut, want string }{
		{"HAProxy version 2.6.12-1+deb12u4 2026/10/17 - https://haproxy.org/", "HAProxy version ", " ", "2.6.12-1+deb12u4"},
		{"nginx version: nginx/1.22.1", "nginx version: nginx/", "", "1.22.1"},
		{"wrk debian/4.1.0-3+b2 [epoll] Copyright (C) 2012 Will Glozer", "wrk ", " ", "debian/4.1.0-3+b2"},
		{"go version go1.26.8 linux/amd64", "go version ", "", "go1.26.8 linux/amd64"},
		{"h2load nghttp2/1.52.0", "h2load nghttp2/", "", "1.52.0"},
		{"", "x", " ", ""},
	}
	for _, tt := range tests {
		if got := cleanVersion(tt.line, tt.prefix, tt.cut); got != tt.want {
			t.Errorf("cleanVersion(%q) = %q, want %q", tt.line, got, tt.want)
		}
	}
}
