package main

import (
	"strings"
	"testing"

	"github.com/seed405ffdea/mosn/tools/internal/loadgen"
)

const h2loadSample = `starting benchmark...
spawning thread #0: 10 total client(s). Timing-based test with 0s of warm-up time and 5s of main duration for measurements.
Main benchmark duration is over for thread #0. Stopping all clients.
Stopped all clients for thread #0

finished in 5.00s, 63342.60 req/s, 10.02MB/s
requests: 316713 total, 316813 started, 316713 done, 316713 succeeded, 0 failed, 0 errored, 0 timeout
status codes: 316713 2xx, 0 3xx, 0 4xx, 0 5xx
traffic: 50.12MB (52553014) total, 1.21MB (1267152) headers (space savings 95.12%), 40.55MB (42519552) data
`

func TestParseH2load(t *testing.T) {
	tests := []struct {
		name    string
		out     string
		want    loadgen.Result
		wantErr string
	}{
		{name: "ok", out: h2loadSample, want: loadgen.Result{Count: 316713, Seconds: 5}},
		{
			name: "milliseconds and failures",
			out:  "finished in 800.50ms, 10.00 req/s, 1KB/s\nrequests: 10 total, 10 started, 10 done, 8 succeeded, 2 failed, 1 errored, 1 timeout\n",
			want: loadgen.Result{Count: 8, Errors: 4, Seconds: 0.8005},
		},
		{
			name: "non-2xx",
			out:  "finished in 1.00s, 10.00 req/s, 1KB/s\nrequests: 10 total, 10 started, 10 done, 10 succeeded, 0 failed, 0 errored, 0 timeout\nstatus codes: 7 2xx, 0 3xx, 3 4xx, 0 5xx\n",
			want: loadgen.Result{Count: 7, Errors: 3, Seconds: 1},
		},
		{name: "no summary", out: "connect to 127.0.0.1:1 failed\n", wantErr: `no "finished in" line`},
		{name: "no requests line", out: "finished in 1.00s, 0.00 req/s, 0B/s\n", wantErr: `no "requests:" line`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseH2load([]byte(tt.out))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Count != tt.want.Count || got.Errors != tt.want.Errors || got.Seconds != tt.want.Seconds {
				t.Errorf("parseH2load = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseH2loadLog(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []float64
		wantErr string
	}{
		{name: "ok", in: "1795320877689409\t200\t835\n1795320877689410\t200\t868\n", want: []float64{835, 868}},
		{name: "skips non-2xx and blank lines", in: "1\t503\t10\n\n2\t204\t20\n", want: []float64{20}},
		{name: "empty", in: "", want: nil},
		{name: "short line", in: "1\t200\n", wantErr: "want 3 tab-separated fields"},
		{name: "bad number", in: "1\t200\tx\n", wantErr: "line 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseH2loadLog([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
}
