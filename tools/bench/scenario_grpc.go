package main

import (
	"context"
	"time"

	"github.com/seed405ffdea/mosn/tools/internal/loadgen"
)

// grpcScenario is gRPC unary calls from the harness's grpc-go client
// ("bench grpcload"): 50 calls in flight over 10 HTTP/2 connections,
// 128-byte request and reply.
func grpcScenario() Scenario {
	return Scenario{
		ID:       "grpc",
		Group:    "grpc",
		Title:    "gRPC unary, grpc-go client, 50 calls in flight over 10 connections, 128 B messages",
		Needs:    FeatGRPC,
		Unit:     "req",
		RateUnit: "rps",
		Latency:  true,
		Run: func(ctx context.Context, e *Env, t *Target, d time.Duration) (loadgen.Result, error) {
			return runSelf(ctx, e, d, 1, "grpcload", "-addr", t.Listen[FeatGRPC], "-c", "50", "-conns", "10", "-duration", d.String())
		},
	}
}
