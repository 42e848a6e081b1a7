//go:build linux

package upstream

import (
	"context"
	"errors"
	"net"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// stalledListener returns the address of a 127.0.0.1 socket listening
// with a backlog of 0 and never accepting: once one connection fills its
// queue, Linux drops further SYNs and their connects hang until the
// dialer's timeout.
func stalledListener(t *testing.T) string {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(sa.(*syscall.SockaddrInet4).Port))
	filler, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { filler.Close() })
	return addr
}

// TestMaxPendingRequestsOverflowIsImmediate: requests waiting for a
// connection being dialled are pending; past max_pending_requests the
// next one is refused at once, not queued.
func TestMaxPendingRequestsOverflowIsImmediate(t *testing.T) {
	c := newTestCluster(t, ClusterOptions{
		Hosts:              []HostOptions{{Address: stalledListener(t)}},
		MaxPendingRequests: 2,
		Pool:               PoolOptions{ConnectTimeout: 500 * time.Millisecond},
	})
	p := c.Hosts()[0].Pool()
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := p.Get(context.Background()); !errors.Is(err, ErrConnectFailed) {
				t.Errorf("a stalled dial: %v, want ErrConnectFailed", err)
			}
		}()
	}
	waitFor(t, "two dials pending", func() bool { return c.limits.pending.Load() == 2 })
	start := time.Now()
	if _, err := p.Get(context.Background()); !errors.Is(err, ErrOverflow) {
		t.Fatalf("a third pending request: %v, want ErrOverflow", err)
	}
	if took := time.Since(start); took > 50*time.Millisecond {
		t.Errorf("overflow took %s, want at once", took)
	}
	wg.Wait()
	if n, m := c.limits.pending.Load(), c.limits.conns.Load(); n != 0 || m != 0 {
		t.Fatalf("after the dials failed: %d pending, %d connections counted", n, m)
	}
}
