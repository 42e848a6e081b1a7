package loadgen

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"
)

// IdleConfig configures the idle-connection holder.
type IdleConfig struct {
	// Addr is the target, host:port.
	Addr string
	// Path is requested once on every connection.
	Path string
	// Conns is how many connections to open and hold.
	Conns int
	// Parallel is how many connections are being opened at once, which
	// also bounds the proxy's upstream connections.
	Parallel int
	// Hold is the longest the connections are held before exiting anyway.
	Hold time.Duration
}

// OpenIdle opens cfg.Conns connections, each carrying one request and its
// response, and returns the ones that succeeded.
func OpenIdle(ctx context.Context, cfg IdleConfig) ([]net.Conn, Result) {
	req := []byte("GET " + cfg.Path + " HTTP/1.1\r\nHost: " + cfg.Addr + "\r\nUser-Agent: bench-idle\r\n\r\n")
	start := time.Now()
	var mu sync.Mutex
	var conns []net.Conn
	var errs int64
	next := make(chan struct{})
	var wg sync.WaitGroup
	for range cfg.Parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range next {
				c, err := idleOne(cfg.Addr, req)
				mu.Lock()
				if err != nil {
					errs++
				} else {
					conns = append(conns, c)
				}
				mu.Unlock()
			}
		}()
	}
	for range cfg.Conns {
		if ctx.Err() != nil {
			break
		}
		next <- struct{}{}
	}
	close(next)
	wg.Wait()
	return conns, Result{Count: int64(len(conns)), Errors: errs, Seconds: time.Since(start).Seconds()}
}

// CheckHTTP1 makes one GET request for path on a new connection to addr
// and returns an error unless the answer is a 2xx keep-alive response.
func CheckHTTP1(addr, path string) error {
	c, err := idleOne(addr, []byte("GET "+path+" HTTP/1.1\r\nHost: "+addr+"\r\nUser-Agent: bench-check\r\n\r\n"))
	if err != nil {
		return err
	}
	return c.Close()
}

// idleOne opens one connection and completes one request on it.
func idleOne(addr string, req []byte) (net.Conn, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write(req); err != nil {
		c.Close()
		return nil, err
	}
	h, err := newRespReader(c).Next()
	if err == nil && (h.Status < 200 || h.Status > 299 || h.Close) {
		err = fmt.Errorf("status %d, close %v", h.Status, h.Close)
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	c.SetDeadline(time.Time{})
	return c, nil
}

// CloseAbortive closes connections with a reset, leaving no TIME_WAIT.
func CloseAbortive(conns []net.Conn) {
	for _, c := range conns {
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetLinger(0)
		}
		c.Close()
	}
}
