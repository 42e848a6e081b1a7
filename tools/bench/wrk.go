package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/seed405ffdea/mosn/tools/internal/loadgen"
)

// wrkScript is wrk's Lua done() hook: it prints one RESULT line the
// harness parses with loadgen.ParseResult (latencies are in microseconds, wrk's
// unit; duration too).
const wrkScript = `-- written by tools/bench
done = function(summary, latency, requests)
  local e = summary.errors
  local errs = e.connect + e.read + e.write + e.status + e.timeout
  io.write(string.format(
    'RESULT {"count":%d,"errors":%d,"seconds":%.6f,"p50_us":%.1f,"p90_us":%.1f,"p99_us":%.1f,"max_us":%.1f,' ..
    '"detail":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"bytes":%d}}\n',
    summary.requests, errs, summary.duration / 1e6,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout, summary.bytes))
end
`

// wrkRun is one wrk invocation.
type wrkRun struct {
	// URL is the target, http:// or https://.
	URL string
	// Conns is wrk's -c; wrk runs one thread (-t1) on the load CPU.
	Conns int
	// Duration is wrk's -d.
	Duration time.Duration
}

// argv returns wrk's command line; script is the path of wrkScript.
func (w wrkRun) argv(script string) []string {
	secs := max(1, int(w.Duration.Round(time.Second)/time.Second))
	return []string{"wrk", "-t1", "-c" + strconv.Itoa(w.Conns), "-d" + strconv.Itoa(secs) + "s",
		"--timeout", "5s", "-s", script, w.URL}
}

// writeWrkScript writes the Lua hook into dir and returns its path.
func writeWrkScript(dir string) (string, error) {
	p := filepath.Join(dir, "bench-done.lua")
	return p, os.WriteFile(p, []byte(wrkScript), 0o644)
}

// runWrk runs wrk on the load CPU and parses its result. Status errors
// (non-2xx) are counted as errors, and a run without a single good
// request is an error.
func runWrk(ctx context.Context, e *Env, w wrkRun) (loadgen.Result, error) {
	out, err := e.Procs.Run(ctx, Spec{Name: "wrk", Argv: w.argv(e.WrkScript), CPU: e.Opts.LoadCPU}, runTimeout(w.Duration))
	if err != nil {
		return loadgen.Result{}, err
	}
	r, err := loadgen.ParseResult(out)
	if err != nil {
		return r, fmt.Errorf("wrk: %w", err)
	}
	if r.Count-r.Detail["status"] <= 0 {
		return r, fmt.Errorf("wrk: no successful request (%d errors)", r.Errors)
	}
	return r, nil
}

// runTimeout bounds a load run of length d: its start-up and the drain of
// in-flight requests, never more than maxRun.
func runTimeout(d time.Duration) time.Duration {
	return min(d+5*time.Second, maxRun)
}
