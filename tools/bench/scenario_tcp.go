package main

import (
	"context"
	"time"

	"github.com/seed405ffdea/mosn/tools/internal/loadgen"
)

// tcpScenario is bulk TCP throughput: 4 connections writing 64 KiB
// chunks through the proxy's L4 path into the TCP sink. CPU cost is per
// MiB moved.
func tcpScenario() Scenario {
	return Scenario{
		ID:       "tcp",
		Group:    "tcp",
		Title:    "TCP bulk throughput, 4 connections, 64 KiB writes into a sink",
		Needs:    FeatTCP,
		Unit:     "MiB",
		RateUnit: "MiB/s",
		Run: func(ctx context.Context, e *Env, t *Target, d time.Duration) (loadgen.Result, error) {
			return runSelf(ctx, e, d, 1, "tcpload", "-addr", t.Listen[FeatTCP], "-conns", "4", "-duration", d.String())
		},
	}
}
