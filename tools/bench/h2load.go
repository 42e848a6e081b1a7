package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	"github.com/seed405ffdea/mosn/tools/internal/loadgen"
)

// h2loadRun is one h2load invocation (nghttp2's HTTP/2 load generator).
type h2loadRun struct {
	// URL is the target; http:// means h2c with prior knowledge.
	URL string
	// Clients is -c, Streams is -m (concurrent streams per client).
	Clients, Streams int
	// Duration is -D.
	Duration time.Duration
	// LogFile receives h2load's per-request log (--log-file), from which
	// the latency percentiles are computed.
	LogFile string
}

// argv returns h2load's command line.
func (h h2loadRun) argv() []string {
	secs := max(1, int(h.Duration.Round(time.Second)/time.Second))
	return []string{"h2load", "-t1", "-c" + strconv.Itoa(h.Clients), "-m" + strconv.Itoa(h.Streams),
		"-D", strconv.Itoa(secs), "--log-file=" + h.LogFile, h.URL}
}

var (
	h2loadFinished = regexp.MustCompile(`(?m)^finished in ([0-9.]+)(ms|s|m),`)
	h2loadRequests = regexp.MustCompile(`(?m)^requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout`)
	h2loadStatus   = regexp.MustCompile(`(?m)^status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx`)
)

// parseH2load reads h2load's summary: Count is the requests that
// succeeded with a 2xx status, Errors the failed, errored and timed-out
// ones plus non-2xx statuses, Seconds the "finished in" time.
func parseH2load(out []byte) (loadgen.Result, error) {
	var r loadgen.Result
	m := h2loadFinished.FindSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("h2load: no \"finished in\" line in %q", truncate(string(out), 300))
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	switch string(m[2]) {
	case "ms":
		v /= 1000
	case "m":
		v *= 60
	}
	r.Seconds = v
	m = h2loadRequests.FindSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("h2load: no \"requests:\" line")
	}
	n := make([]int64, len(m))
	for i := 1; i < len(m); i++ {
		n[i], _ = strconv.ParseInt(string(m[i]), 10, 64)
	}
	succeeded, failed, errored, timeout := n[4], n[5], n[6], n[7]
	r.Errors = failed + errored + timeout
	r.Count = succeeded
	if s := h2loadStatus.FindSubmatch(out); s != nil {
		ok, _ := strconv.ParseInt(string(s[1]), 10, 64)
		if ok < r.Count {
			r.Errors += r.Count - ok
			r.Count = ok
		}
	}
	return r, nil
}

// parseH2loadLog reads h2load's --log-file: tab-separated lines of start
// time (µs since the epoch), status code and duration (µs). It returns
// the durations of the 2xx responses.
func parseH2loadLog(data []byte) ([]float64, error) {
	var lat []float64
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		f := bytes.Split(sc.Bytes(), []byte("\t"))
		if len(f) < 3 {
			if len(bytes.TrimSpace(sc.Bytes())) == 0 {
				continue
			}
			return nil, fmt.Errorf("h2load log: line %d: want 3 tab-separated fields, got %q", line, truncate(sc.Text(), 80))
		}
		status, err1 := strconv.Atoi(string(f[1]))
		us, err2 := strconv.ParseFloat(string(bytes.TrimSpace(f[2])), 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("h2load log: line %d: %q", line, truncate(sc.Text(), 80))
		}
		if status >= 200 && status <= 299 {
			lat = append(lat, us)
		}
	}
	return lat, sc.Err()
}

// runH2load runs h2load on the load CPU and returns its result with the
// latency percentiles from its request log.
func runH2load(ctx context.Context, e *Env, h h2loadRun) (loadgen.Result, error) {
	h.LogFile = filepath.Join(e.Dir, "h2load.log")
	defer os.Remove(h.LogFile)
	out, err := e.Procs.Run(ctx, Spec{Name: "h2load", Argv: h.argv(), CPU: e.Opts.LoadCPU}, runTimeout(h.Duration))
	if err != nil {
		return loadgen.Result{}, err
	}
	r, err := parseH2load(out)
	if err != nil {
		return r, err
	}
	if r.Count == 0 {
		return r, fmt.Errorf("h2load: no successful request (%d errors)", r.Errors)
	}
	log, err := os.ReadFile(h.LogFile)
	if err != nil {
		return r, fmt.Errorf("h2load: %w", err)
	}
	lat, err := parseH2loadLog(log)
	if err != nil {
		return r, err
	}
	r.Summarize(lat, false)
	return r, nil
}
