package loadgen

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
)

// RateConfig configures the open-loop HTTP/1.1 client.
type RateConfig struct {
	// Addr and Path are the target; Host is sent as the Host header.
	Addr, Path string
	// Rate is requests per second on a fixed timeline.
	Rate float64
	// Conns is the pool of keep-alive connections the requests go out on.
	Conns int
	// Duration is the length of the timeline.
	Duration time.Duration
	// Timeout bounds one request; a late response counts as an error and
	// its connection is replaced.
	Timeout time.Duration
	// CDF asks for the latency distribution in the result.
	CDF bool
}

// SplitURL splits "http://host:port/path" into address and path.
func SplitURL(u string) (addr, path string, err error) {
	rest, ok := strings.CutPrefix(u, "http://")
	if !ok {
		return "", "", fmt.Errorf("want an http:// URL, got %q", u)
	}
	addr, path, _ = strings.Cut(rest, "/")
	if addr == "" {
		return "", "", fmt.Errorf("no host in %q", u)
	}
	return addr, "/" + path, nil
}

// RunRate sends Rate requests per second for Duration on a fixed timeline
// (request i is due at start + i/Rate) over a pool of keep-alive
// connections. A due request waits for a free connection if all are busy,
// and its latency is measured from the time it was due, not from when it
// went out: a slow response delays the requests queued behind it, and
// that delay is counted (no coordinated omission).
func RunRate(ctx context.Context, cfg RateConfig) (Result, error) {
	n := int(cfg.Rate * cfg.Duration.Seconds())
	if n < 1 {
		n = 1
	}
	interval := time.Duration(float64(time.Second) / cfg.Rate)
	req := []byte("GET " + cfg.Path + " HTTP/1.1\r\nHost: " + cfg.Addr + "\r\nUser-Agent: bench-load\r\n\r\n")

	conns := make([]net.Conn, cfg.Conns)
	for i := range conns {
		c, err := net.DialTimeout("tcp", cfg.Addr, cfg.Timeout)
		if err != nil {
			for _, c := range conns[:i] {
				c.Close()
			}
			return Result{}, err
		}
		conns[i] = c
	}

	type job struct{ due, sent time.Time }
	jobs := make(chan job, n)
	type tally struct {
		lat, lag []float64
		errs     int64
		last     time.Time
	}
	tallies := make([]tally, cfg.Conns)
	// Give the workers time to park on the channel before the first send.
	start := time.Now().Add(20 * time.Millisecond)

	var wg sync.WaitGroup
	for w := range cfg.Conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := &tallies[w]
			t.lat = make([]float64, 0, n/cfg.Conns+16)
			c := conns[w]
			var rr *respReader
			if c != nil {
				rr = newRespReader(c)
			}
			defer func() {
				if c != nil {
					c.Close()
				}
			}()
			for j := range jobs {
				if ctx.Err() != nil {
					continue // drain
				}
				if c == nil {
					var err error
					if c, err = net.DialTimeout("tcp", cfg.Addr, cfg.Timeout); err != nil {
						c = nil
						t.errs++
						continue
					}
					rr = newRespReader(c)
				}
				c.SetDeadline(time.Now().Add(cfg.Timeout))
				_, err := c.Write(req)
				var h respHead
				if err == nil {
					h, err = rr.Next()
				}
				now := time.Now()
				t.lag = append(t.lag, float64(j.sent.Sub(j.due))/1e3)
				if err != nil || h.Close {
					c.Close()
					c = nil
				}
				if err != nil || h.Status < 200 || h.Status > 299 {
					t.errs++
					continue
				}
				t.lat = append(t.lat, float64(now.Sub(j.due))/1e3)
				t.last = now
			}
		}()
	}

	// The schedule runs on its own locked thread; it needs a second P so
	// that the workers keep running while it sleeps in clock_nanosleep.
	if runtime.GOMAXPROCS(0) < 2 {
		runtime.GOMAXPROCS(2)
	}
	paced := make(chan error, 1)
	go func() {
		defer close(jobs)
		p, err := newPacer()
		if err != nil {
			paced <- err
			return
		}
		for i := range n {
			if ctx.Err() != nil {
				break
			}
			due := start.Add(time.Duration(i) * interval)
			if time.Until(due) > 0 {
				p.sleepUntil(due)
			}
			jobs <- job{due: due, sent: time.Now()}
		}
		paced <- nil
	}()
	wg.Wait()
	if err := <-paced; err != nil {
		return Result{}, err
	}
	if ctx.Err() != nil {
		return Result{}, ctx.Err()
	}

	var r Result
	var lat, lag []float64
	last := start
	for _, t := range tallies {
		lat = append(lat, t.lat...)
		lag = append(lag, t.lag...)
		r.Errors += t.errs
		if t.last.After(last) {
			last = t.last
		}
	}
	if len(lat) == 0 {
		return Result{}, errors.New("no successful response")
	}
	r.Count = int64(len(lat))
	// The schedule's own length, or longer when responses lagged behind it.
	r.Seconds = max(last.Sub(start), time.Duration(n)*interval).Seconds()
	r.Summarize(lat, cfg.CDF)
	slices.Sort(lag)
	r.LagP99 = Percentile(lag, 0.99)
	return r, nil
}
