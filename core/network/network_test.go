package network

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/seed405ffdea/mosn/api"
	"github.com/seed405ffdea/mosn/pkg/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

type factoryFunc func(ctx context.Context, fm api.FilterManager)

func (f factoryFunc) CreateFilterChain(ctx context.Context, fm api.FilterManager) { f(ctx, fm) }

// echoFilter is a push-model terminal filter: it writes back what it reads.
type echoFilter struct{ cb api.ReadFilterCallbacks }

func (e *echoFilter) OnNewConnection() api.FilterStatus                        { return api.Continue }
func (e *echoFilter) InitializeReadFilterCallbacks(cb api.ReadFilterCallbacks) { e.cb = cb }
func (e *echoFilter) OnData(buf api.IoBuffer, eof bool) api.FilterStatus {
	e.cb.Connection().Write(buf.Bytes())
	buf.Drain(buf.Len())
	return api.Stop
}

// denyFilter refuses a connection whose bytes contain "evil".
type denyFilter struct{ seen int }

func (d *denyFilter) OnNewConnection() api.FilterStatus                     { return api.Continue }
func (d *denyFilter) InitializeReadFilterCallbacks(api.ReadFilterCallbacks) {}
func (d *denyFilter) OnData(buf api.IoBuffer, eof bool) api.FilterStatus {
	d.seen += buf.Len()
	if strings.Contains(string(buf.Bytes()), "evil") {
		return api.Stop
	}
	return api.Continue
}

// lineServer is a pull-model terminal filter: it answers each line.
type lineServer struct{ echoFilter }

func (l *lineServer) Serve(ctx context.Context, c api.Connection) error {
	buf := make([]byte, 1024)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			c.Write([]byte("got "), buf[:n])
		}
		if err != nil {
			return nil
		}
	}
}

func serve(t *testing.T, opts ListenerOptions) *Listener {
	t.Helper()
	opts.Address = "127.0.0.1:0"
	ln, err := Listen(opts)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); ln.Serve() }()
	t.Cleanup(func() {
		ln.Close()
		ln.CloseConns()
		<-done
	})
	return ln
}

func dial(t *testing.T, ln *Listener) net.Conn {
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(5 * time.Second))
	t.Cleanup(func() { c.Close() })
	return c
}

func TestEventLoopFilters(t *testing.T) {
	ln := serve(t, ListenerOptions{Name: "echo", Filters: []api.NetworkFilterChainFactory{
		factoryFunc(func(ctx context.Context, fm api.FilterManager) {
			if ListenerName(ctx) != "echo" {
				panic("listener name not in context")
			}
			fm.AddReadFilter(&denyFilter{})
			fm.AddReadFilter(&echoFilter{})
		}),
	}})
	c := dial(t, ln)
	io.WriteString(c, "hello")
	b := make([]byte, 5)
	if _, err := io.ReadFull(c, b); err != nil || string(b) != "hello" {
		t.Fatalf("echo: %q %v", b, err)
	}
	// The deny filter stops iteration: nothing is echoed.
	io.WriteString(c, "evil")
	c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if n, _ := c.Read(b); n != 0 {
		t.Fatalf("stopped data reached the next filter: %q", b[:n])
	}
}

func TestConnectionServerAndInspectingFilter(t *testing.T) {
	ln := serve(t, ListenerOptions{Filters: []api.NetworkFilterChainFactory{
		factoryFunc(func(ctx context.Context, fm api.FilterManager) {
			fm.AddReadFilter(&denyFilter{})
			fm.AddReadFilter(&lineServer{})
		}),
	}})
	c := dial(t, ln)
	io.WriteString(c, "a")
	b := make([]byte, 16)
	n, err := c.Read(b)
	if err != nil || string(b[:n]) != "got a" {
		t.Fatalf("%q %v", b[:n], err)
	}
	// A read filter before the server refuses bytes: the connection closes.
	io.WriteString(c, "evil")
	if _, err := io.ReadAll(c); err != nil && !isReset(err) {
		t.Fatalf("want the connection closed, got %v", err)
	}
}

func isReset(err error) bool { return strings.Contains(err.Error(), "reset") }

func TestReusePort(t *testing.T) {
	a, err := Listen(ListenerOptions{Address: "127.0.0.1:0", ReusePort: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Listen(ListenerOptions{Address: a.Addr().String(), ReusePort: true})
	if err != nil {
		t.Fatalf("second bind with SO_REUSEPORT: %v", err)
	}
	b.Close()
	if _, err := Listen(ListenerOptions{Address: a.Addr().String()}); err == nil {
		t.Fatal("bind without SO_REUSEPORT succeeded on a taken port")
	}
}

func TestShutdownDrainsAndCuts(t *testing.T) {
	ln := serve(t, ListenerOptions{Filters: []api.NetworkFilterChainFactory{
		factoryFunc(func(ctx context.Context, fm api.FilterManager) { fm.AddReadFilter(&echoFilter{}) }),
	}})
	c := dial(t, ln)
	io.WriteString(c, "x")
	io.ReadFull(c, make([]byte, 1))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	// Without a Drainer, an idle connection closes when its read wakes.
	if err := ln.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if ln.ActiveConns() != 0 {
		t.Fatal("connections left after shutdown")
	}
	if _, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		t.Fatal("still accepting after shutdown")
	}
}

func TestProbe(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	defer ln.Close()
	c, _ := net.Dial("tcp", ln.Addr().String())
	defer c.Close()
	s, _ := ln.Accept()
	if Probe(c) != ProbeIdle {
		t.Fatal("idle connection not idle")
	}
	s.Write([]byte("x"))
	waitFor(t, func() bool { return Probe(c) == ProbeData })
	io.ReadFull(c, make([]byte, 1))
	s.Close()
	waitFor(t, func() bool { return Probe(c) == ProbeClosed })
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 2s")
		}
		time.Sleep(time.Millisecond)
	}
}
