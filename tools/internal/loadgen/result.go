package loadgen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// ResultPrefix starts the one line a load generator prints with its Result.
const ResultPrefix = "RESULT "

// Result is what one load run measured, as printed by the harness's own
// load generators and the wrk Lua hook, and as parsed from h2load.
type Result struct {
	// Count is the number of completed units: requests, TLS handshakes, or
	// bytes for the TCP scenario.
	Count int64 `json:"count"`
	// Errors counts failed units: connect, read and write errors,
	// timeouts, and responses that are not 2xx.
	Errors int64 `json:"errors"`
	// Seconds is the wall time the Count was measured over.
	Seconds float64 `json:"seconds"`
	// P50, P90, P99 and Max are latency percentiles in microseconds; 0
	// when the scenario measures none.
	P50 float64 `json:"p50_us"`
	P90 float64 `json:"p90_us"`
	P99 float64 `json:"p99_us"`
	Max float64 `json:"max_us"`
	// LagP99 is the open-loop client's own lateness in sending (µs, 99th
	// percentile), already included in the latencies; 0 for closed loops.
	LagP99 float64 `json:"lag_p99_us,omitempty"`
	// CDF samples the latency distribution (fixed-rate scenario only).
	CDF []CDFPoint `json:"cdf,omitempty"`
	// Detail carries generator-specific counters (wrk's error kinds).
	Detail map[string]int64 `json:"detail,omitempty"`
}

// Rate returns Count per second, 0 when nothing was measured.
func (r Result) Rate() float64 {
	if r.Seconds <= 0 {
		return 0
	}
	return float64(r.Count) / r.Seconds
}

// WriteResult prints r as one RESULT line.
func WriteResult(w io.Writer, r Result) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s%s\n", ResultPrefix, b)
	return err
}

// ParseResult finds the last RESULT line in out and decodes it.
func ParseResult(out []byte) (Result, error) {
	var line []byte
	for l := range bytes.SplitSeq(out, []byte("\n")) {
		if rest, ok := bytes.CutPrefix(bytes.TrimSpace(l), []byte(ResultPrefix)); ok {
			line = rest
		}
	}
	if line == nil {
		return Result{}, fmt.Errorf("result: no %q line in output %q", ResultPrefix, truncate(string(out), 200))
	}
	var r Result
	if err := json.Unmarshal(line, &r); err != nil {
		return Result{}, fmt.Errorf("result: %w in %q", err, truncate(string(line), 200))
	}
	if r.Count < 0 || r.Errors < 0 || r.Seconds < 0 {
		return Result{}, fmt.Errorf("result: negative figure in %q", truncate(string(line), 200))
	}
	return r, nil
}

// truncate shortens s to n bytes for an error message.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
