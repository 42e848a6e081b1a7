package loadgen

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"
)

// TLSLoadConfig configures the TLS handshake client.
type TLSLoadConfig struct {
	// Addr is the target, host:port.
	Addr string
	// Path is requested once on every connection.
	Path string
	// CA is the PEM file of the certificate to trust.
	CA string
	// Concurrency is the number of connections being set up at once.
	Concurrency int
	// Duration is how long new connections are started.
	Duration time.Duration
}

// tlsClientConfig trusts the PEM certificate in caFile. Every connection
// makes a full handshake: no session cache, so no resumption. X25519 only,
// so the client's cost is the same against every target.
func tlsClientConfig(caFile string) (*tls.Config, error) {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("no certificate in %s", caFile)
	}
	return &tls.Config{
		RootCAs:          pool,
		ServerName:       "localhost",
		MinVersion:       tls.VersionTLS12,
		CurvePreferences: []tls.CurveID{tls.X25519},
	}, nil
}

// RunTLSLoad opens connections in a closed loop: connect, full TLS
// handshake, one GET, read the response, abortive close (RST, so neither
// side keeps TIME_WAIT sockets). One completed connection is one handshake.
func RunTLSLoad(ctx context.Context, cfg TLSLoadConfig) (Result, error) {
	tcfg, err := tlsClientConfig(cfg.CA)
	if err != nil {
		return Result{}, err
	}
	req := []byte("GET " + cfg.Path + " HTTP/1.1\r\nHost: localhost\r\nUser-Agent: bench-tlsload\r\n\r\n")
	start := time.Now()
	deadline := start.Add(cfg.Duration)
	lats := make([][]float64, cfg.Concurrency)
	errs := make([]int64, cfg.Concurrency)
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for w := range cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				t0 := time.Now()
				if t0.After(deadline) {
					return
				}
				if err := tlsOnce(cfg.Addr, tcfg, req); err != nil {
					errs[w]++
					once.Do(func() { firstErr = err })
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
		return Result{}, fmt.Errorf("no successful handshake: %w", firstErr)
	}
	r.Count = int64(len(all))
	r.Seconds = elapsed.Seconds()
	r.Summarize(all, false)
	return r, nil
}

// tlsOnce makes one connection, handshake and request.
func tlsOnce(addr string, cfg *tls.Config, req []byte) error {
	raw, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer func() {
		raw.(*net.TCPConn).SetLinger(0)
		raw.Close()
	}()
	raw.SetDeadline(time.Now().Add(5 * time.Second))
	c := tls.Client(raw, cfg)
	if err := c.Handshake(); err != nil {
		return err
	}
	if _, err := c.Write(req); err != nil {
		return err
	}
	h, err := newRespReader(c).Next()
	if err != nil {
		return err
	}
	if h.Status < 200 || h.Status > 299 {
		return errors.New("status " + fmt.Sprint(h.Status))
	}
	return nil
}
