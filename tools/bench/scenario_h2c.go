package main

import (
	"context"
	"time"

	"github.com/seed405ffdea/mosn/tools/internal/loadgen"
)

// h2cScenario is cleartext HTTP/2 with prior knowledge downstream, h2load
// with 10 clients of 10 concurrent streams each; upstream is HTTP/2 to the
// h2c origin (nginx through grpc_pass, which is its only HTTP/2 upstream).
func h2cScenario() Scenario {
	return Scenario{
		ID:       "h2c",
		Group:    "h2c",
		Title:    "HTTP/2 cleartext (h2c), h2load -c10 -m10, 128 B body, HTTP/2 upstream (nginx: grpc_pass)",
		Needs:    FeatH2C,
		Tool:     "h2load",
		Unit:     "req",
		RateUnit: "rps",
		Latency:  true,
		Run: func(ctx context.Context, e *Env, t *Target, d time.Duration) (loadgen.Result, error) {
			return runH2load(ctx, e, h2loadRun{URL: "http://" + t.Listen[FeatH2C] + "/128", Clients: 10, Streams: 10, Duration: d})
		},
	}
}
