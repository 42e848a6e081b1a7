package loadgen

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// TCPLoadConfig configures the bulk TCP writer.
type TCPLoadConfig struct {
	// Addr is the target, host:port.
	Addr string
	// Conns is the number of connections written in parallel.
	Conns int
	// Duration is how long to write.
	Duration time.Duration
	// Chunk is the size of one write.
	Chunk int
}

// RunTCPLoad writes as fast as the path accepts for Duration and counts
// the bytes written. The bytes still in socket buffers at the end (a few
// MiB) are a negligible part of what a run moves.
func RunTCPLoad(ctx context.Context, cfg TCPLoadConfig) (Result, error) {
	conns := make([]net.Conn, cfg.Conns)
	for i := range conns {
		c, err := net.DialTimeout("tcp", cfg.Addr, 5*time.Second)
		if err != nil {
			for _, c := range conns[:i] {
				c.Close()
			}
			return Result{}, err
		}
		conns[i] = c
	}
	start := time.Now()
	deadline := start.Add(cfg.Duration)
	var total, errs atomic.Int64
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			buf := make([]byte, cfg.Chunk)
			c.SetWriteDeadline(deadline)
			for ctx.Err() == nil {
				n, err := c.Write(buf)
				total.Add(int64(n))
				if err != nil {
					if !errors.Is(err, context.DeadlineExceeded) && !isTimeout(err) {
						errs.Add(1)
					}
					return
				}
			}
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return Result{}, ctx.Err()
	}
	r := Result{Count: total.Load(), Errors: errs.Load(), Seconds: time.Since(start).Seconds()}
	if r.Count == 0 {
		return r, errors.New("no byte written")
	}
	return r, nil
}

// isTimeout reports whether err is a network timeout.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
