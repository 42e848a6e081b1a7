package loadgen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// GRPCLoadConfig configures the closed-loop gRPC unary client.
type GRPCLoadConfig struct {
	// Addr is the target, host:port.
	Addr string
	// Concurrency is the number of calls in flight (one goroutine each).
	Concurrency int
	// Conns is the number of HTTP/2 connections the calls share.
	Conns int
	// Duration is how long new calls are started.
	Duration time.Duration
	// Size is the request message size in bytes.
	Size int
}

// RunGRPCLoad keeps Concurrency unary calls in flight over Conns
// connections for Duration and measures each call's latency.
func RunGRPCLoad(ctx context.Context, cfg GRPCLoadConfig) (Result, error) {
	registerRawCodec()
	conns := make([]*grpc.ClientConn, cfg.Conns)
	defer func() {
		for _, cc := range conns {
			if cc != nil {
				cc.Close()
			}
		}
	}()
	req := bytes.Repeat([]byte("q"), cfg.Size)
	for i := range conns {
		cc, err := grpc.NewClient("passthrough:///"+cfg.Addr,
			grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithDefaultCallOptions(grpc.CallContentSubtype(rawCodec{}.Name())))
		if err != nil {
			return Result{}, err
		}
		conns[i] = cc
		// One untimed call per connection establishes it.
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		var resp []byte
		err = cc.Invoke(cctx, grpcMethod, req, &resp)
		cancel()
		if err != nil {
			return Result{}, fmt.Errorf("first call: %w", err)
		}
	}
	start := time.Now()
	deadline := start.Add(cfg.Duration)
	lats := make([][]float64, cfg.Concurrency)
	errs := make([]int64, cfg.Concurrency)
	var wg sync.WaitGroup
	for w := range cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cc := conns[w%len(conns)]
			var resp []byte
			for ctx.Err() == nil {
				t0 := time.Now()
				if t0.After(deadline) {
					return
				}
				cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				err := cc.Invoke(cctx, grpcMethod, req, &resp)
				cancel()
				if err != nil {
					errs[w]++
					continue
				}
				lats[w] = append(lats[w], float64(time.Since(t0))/1e3)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if ctx.Err() != nil {
		return Result{}, ctx.Err()
	}
	var r Result
	var all []float64
	for w := range lats {
		all = append(all, lats[w]...)
		r.Errors += errs[w]
	}
	if len(all) == 0 {
		return Result{}, errors.New("no successful call")
	}
	r.Count = int64(len(all))
	r.Seconds = elapsed.Seconds()
	r.Summarize(all, false)
	return r, nil
}
