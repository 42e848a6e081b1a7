package upstream

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	h2 "github.com/seed405ffdea/mosn/core/protocol/http2"
)

// H2Pool keeps multiplexed HTTP/2 connections to one host: a request
// takes a stream on the first connection with one free (each connection
// offers at most the server's SETTINGS_MAX_CONCURRENT_STREAMS and our
// MaxConcurrentStreams), and a new connection is dialled only when every
// one is full or going away. Its connections count against the host pool's
// and the cluster's connection limits.
//
// A connection that receives GOAWAY takes no new stream: its streams
// below the GOAWAY's last stream id finish, the others fail as refused
// (h2.ErrRefused), which the proxy retries on another connection; the
// connection closes once empty.
type H2Pool struct {
	p   *Pool
	cfg h2.ClientConfig

	mu      sync.Mutex
	conns   []*h2.ClientConn
	dialing chan struct{} // closed when the dial in progress ends
	closed  bool
	wg      sync.WaitGroup // connection watchers
}

// H2 returns the host's HTTP/2 pool, made with cfg on first use.
func (p *Pool) H2(cfg h2.ClientConfig) *H2Pool {
	if hp := p.h2.Load(); hp != nil {
		return hp
	}
	hp := &H2Pool{p: p, cfg: cfg}
	if p.h2.CompareAndSwap(nil, hp) {
		return hp
	}
	return p.h2.Load()
}

// Get returns a stream's connection: an *UpConn whose reads and writes
// are one HTTP/1.1 exchange translated to a stream of a multiplexed
// HTTP/2 connection (see h2conn.go). Put or Discard ends the stream.
func (hp *H2Pool) Get(ctx context.Context) (*UpConn, error) {
	for {
		hp.mu.Lock()
		if hp.closed {
			hp.mu.Unlock()
			return nil, errors.New("upstream: pool closed")
		}
		for _, cc := range hp.conns {
			if cc.Reserve() {
				hp.mu.Unlock()
				return newH2UpConn(ctx, hp, cc), nil
			}
		}
		if ch := hp.dialing; ch != nil {
			hp.mu.Unlock()
			select {
			case <-ch:
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		ch := make(chan struct{})
		hp.dialing = ch
		hp.mu.Unlock()
		cc, err := hp.dial(ctx)
		hp.mu.Lock()
		hp.dialing = nil
		close(ch)
		if err != nil {
			hp.mu.Unlock()
			return nil, err
		}
		hp.conns = append(hp.conns, cc)
		hp.wg.Add(1)
		hp.mu.Unlock()
		go hp.watch(cc)
	}
}

// dial opens a connection within the pool's and the cluster's limits
// (Pool.Dial: breakers, connect timeout, TLS) and waits for the server's
// SETTINGS.
func (hp *H2Pool) dial(ctx context.Context) (*h2.ClientConn, error) {
	p := hp.p
	uc, err := p.Dial(ctx)
	if err != nil {
		return nil, err
	}
	raw := uc.Conn
	cc := h2.NewClientConn(raw, hp.cfg)
	wctx, cancel := context.WithTimeout(ctx, p.opts.ConnectTimeout)
	defer cancel()
	if err := cc.WaitSettings(wctx); err != nil {
		cc.Close()
		p.mu.Lock()
		p.dropLocked(1)
		p.mu.Unlock()
		return nil, fmt.Errorf("%w: %s: no HTTP/2 settings from the server: %w", ErrConnectFailed, p.addr, err)
	}
	return cc, nil
}

// watch forgets cc once it closed, or closes it after IdleTimeout with no
// stream open.
func (hp *H2Pool) watch(cc *h2.ClientConn) {
	defer hp.wg.Done()
	idle := hp.p.opts.IdleTimeout
	t := time.NewTimer(idle)
	defer t.Stop()
	for done := false; !done; {
		select {
		case <-cc.Done():
			done = true
		case <-t.C:
			if cc.Idle() {
				cc.Close()
				done = true
			} else {
				t.Reset(idle)
			}
		}
	}
	hp.mu.Lock()
	for i, c := range hp.conns {
		if c == cc {
			hp.conns = append(hp.conns[:i], hp.conns[i+1:]...)
			break
		}
	}
	hp.mu.Unlock()
	hp.p.mu.Lock()
	hp.p.dropLocked(1)
	hp.p.mu.Unlock()
}

// Close closes every connection; streams in flight fail.
func (hp *H2Pool) Close() {
	hp.mu.Lock()
	hp.closed = true
	conns := append([]*h2.ClientConn(nil), hp.conns...)
	hp.mu.Unlock()
	for _, cc := range conns {
		cc.Close()
	}
	hp.wg.Wait()
}

// Conns returns the number of open connections.
func (hp *H2Pool) Conns() int {
	hp.mu.Lock()
	defer hp.mu.Unlock()
	return len(hp.conns)
}
