package main

import (
	"context"
	"fmt"
	"time"

	"github.com/seed405ffdea/mosn/tools/internal/loadgen"
)

// rateConns is the keep-alive pool of the fixed-rate client.
const rateConns = 50

// rateScenario is HTTP/1.1 at a fixed request rate from the harness's
// open-loop client ("bench load"): latency from each request's scheduled
// send time, so a stall shows in the percentiles instead of slowing the
// client down. It gets two Ps (still on the load CPU) so that its
// scheduling thread never waits for a worker.
func rateScenario(rate int) Scenario {
	return Scenario{
		ID:       "rate",
		Group:    "rate",
		Title:    fmt.Sprintf("HTTP/1.1 at a fixed %s rps, open loop, %d keep-alive connections, 128 B body", thousands(float64(rate)), rateConns),
		Needs:    FeatHTTP1,
		Unit:     "req",
		RateUnit: "rps",
		Latency:  true,
		Run: func(ctx context.Context, e *Env, t *Target, d time.Duration) (loadgen.Result, error) {
			return runSelf(ctx, e, d, 2, "load",
				"-url", "http://"+t.Listen[FeatHTTP1]+"/128",
				"-rate", fmt.Sprint(e.Opts.Rate),
				"-conns", fmt.Sprint(rateConns),
				"-duration", d.String())
		},
	}
}
