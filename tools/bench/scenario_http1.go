package main

import (
	"context"
	"fmt"
	"time"

	"github.com/seed405ffdea/mosn/tools/internal/loadgen"
)

// http1Scenarios are the closed-loop HTTP/1.1 keep-alive scenarios: wrk
// with one thread at 50 and 200 connections, 128-byte and 4 KiB bodies.
// wrk's latencies are closed-loop (a slow response delays the next
// request), so throughput and CPU per request are the figures to compare.
func http1Scenarios() []Scenario {
	var out []Scenario
	for _, conns := range []int{50, 200} {
		for _, size := range []int{128, 4096} {
			label := fmt.Sprintf("%d B", size)
			id := fmt.Sprintf("http1-c%d-%d", conns, size)
			if size == 4096 {
				label, id = "4 KiB", fmt.Sprintf("http1-c%d-4k", conns)
			}
			out = append(out, Scenario{
				ID:       id,
				Group:    "http1",
				Title:    fmt.Sprintf("HTTP/1.1 keep-alive, %d connections, %s body (wrk)", conns, label),
				Needs:    FeatHTTP1,
				Tool:     "wrk",
				Unit:     "req",
				RateUnit: "rps",
				Latency:  true,
				Run: func(ctx context.Context, e *Env, t *Target, d time.Duration) (loadgen.Result, error) {
					return runWrk(ctx, e, wrkRun{URL: fmt.Sprintf("http://%s/%d", t.Listen[FeatHTTP1], size), Conns: conns, Duration: d})
				},
			})
		}
	}
	return out
}
