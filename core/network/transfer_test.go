package network

import (
	"context"
	"io"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/seed405ffdea/mosn/api"
)

// moveServer is a pull-model server that can be transferred: it answers
// lines until Transfer, then stops with "left" unread.
type moveServer struct {
	echoFilter // cb is set before Transfer can be called
	move       atomic.Bool
}

func (m *moveServer) Transfer() {
	m.move.Store(true)
	m.cb.Connection().SetReadDeadline(time.Now())
}

func (m *moveServer) Serve(ctx context.Context, c api.Connection) error {
	if m.move.Load() {
		c.SetReadDeadline(time.Now())
	}
	buf := make([]byte, 64)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			c.Write([]byte("got "), buf[:n])
		}
		if m.move.Load() {
			c.(*Conn).SetUnread([]byte("left"))
			return ErrTransferred
		}
		if err != nil {
			return nil
		}
	}
}

// dupConn takes its own copy of c's descriptor as a net.Conn, as the new
// process does with the one it receives.
func dupConn(t *testing.T, c syscall.Conn) net.Conn {
	rc, err := c.SyscallConn()
	if err != nil {
		t.Error(err)
		return nil
	}
	var nfd int
	var derr error
	rc.Control(func(fd uintptr) { nfd, derr = syscall.Dup(int(fd)) })
	if derr != nil {
		t.Error(derr)
		return nil
	}
	f := os.NewFile(uintptr(nfd), "moved")
	defer f.Close()
	nc, err := net.FileConn(f)
	if err != nil {
		t.Error(err)
	}
	return nc
}

// Migrate sends a Transferer's connection with its unread bytes; the
// copy it went to serves the same client.
func TestMigrateSendsConnections(t *testing.T) {
	ms := &moveServer{}
	ln := serve(t, ListenerOptions{Name: "l", Filters: []api.NetworkFilterChainFactory{factoryFunc(func(ctx context.Context, fm api.FilterManager) {
		fm.AddReadFilter(ms)
	})}})
	c := dial(t, ln)
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, "a")
	buf := make([]byte, 5)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "got a" {
		t.Fatalf("%q %v", buf, err)
	}
	var moved net.Conn
	var unread, name string
	err := ln.Migrate(context.Background(), 50*time.Millisecond, func(l string, sc syscall.Conn, u []byte) error {
		name, unread = l, string(u)
		moved = dupConn(t, sc)
		return nil
	})
	if err != nil || moved == nil {
		t.Fatalf("Migrate: %v", err)
	}
	defer moved.Close()
	if name != "l" || unread != "left" || ln.Transferred() != 1 || ln.ActiveConns() != 0 {
		t.Fatalf("sent %q with %q; transferred %d, active %d", name, unread, ln.Transferred(), ln.ActiveConns())
	}
	// The old copy closed without a FIN: the client still talks to the
	// moved one.
	io.WriteString(c, "b")
	moved.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(moved, buf[:1]); err != nil || buf[0] != 'b' {
		t.Fatalf("moved read %q %v", buf[:1], err)
	}
	io.WriteString(moved, "hi")
	if _, err := io.ReadFull(c, buf[:2]); err != nil || string(buf[:2]) != "hi" {
		t.Fatalf("client read %q %v", buf[:2], err)
	}
}

// A connection whose server cannot be transferred is drained instead, and
// a push-model one too; Migrate returns when they closed.
func TestMigrateDrainsOthers(t *testing.T) {
	for _, f := range []func() api.ReadFilter{
		func() api.ReadFilter { return &lineServer{} },
		func() api.ReadFilter { return &echoFilter{} },
	} {
		ln := serve(t, ListenerOptions{Name: "l", Filters: []api.NetworkFilterChainFactory{factoryFunc(func(ctx context.Context, fm api.FilterManager) {
			fm.AddReadFilter(f())
		})}})
		c := dial(t, ln)
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(c, "x")
		io.ReadAtLeast(c, make([]byte, 8), 1)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		sent := 0
		err := ln.Migrate(ctx, 10*time.Millisecond, func(string, syscall.Conn, []byte) error { sent++; return nil })
		cancel()
		if err != nil || sent != 0 {
			t.Fatalf("Migrate: %v, %d sent", err, sent)
		}
	}
}

// An adopted connection reads the unread bytes first, in the pull model
// (Conn.Read) and in the push model (the event loop).
func TestAdoptUnread(t *testing.T) {
	for _, c := range []struct {
		f    func() api.ReadFilter
		want string
	}{
		{func() api.ReadFilter { return &lineServer{} }, "got early"},
		{func() api.ReadFilter { return &echoFilter{} }, "early"},
	} {
		ln := serve(t, ListenerOptions{Name: "l", Filters: []api.NetworkFilterChainFactory{factoryFunc(func(ctx context.Context, fm api.FilterManager) {
			fm.AddReadFilter(c.f())
		})}})
		side, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		client, err := net.Dial("tcp", side.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		srv, err := side.Accept()
		side.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := ln.Adopt(srv, []byte("early")); err != nil {
			t.Fatal(err)
		}
		client.SetDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, len(c.want))
		if _, err := io.ReadFull(client, buf); err != nil || string(buf) != c.want {
			t.Fatalf("adopted: %q %v, want %q", buf, err, c.want)
		}
		client.Close()
	}
}

// stuckServer ignores Transfer and Drain: it serves until its connection
// closes.
type stuckServer struct{ echoFilter }

func (s *stuckServer) Transfer() {}
func (s *stuckServer) Drain()    {}
func (s *stuckServer) Serve(ctx context.Context, c api.Connection) error {
	buf := make([]byte, 64)
	for {
		if _, err := c.Read(buf); err != nil {
			return nil
		}
	}
}

// A connection that never reaches a clean point is cut when the
// deadline passes; nothing is left running (TestMain checks goroutines).
func TestMigrateTimeoutCuts(t *testing.T) {
	ln := serve(t, ListenerOptions{Name: "l", Filters: []api.NetworkFilterChainFactory{factoryFunc(func(ctx context.Context, fm api.FilterManager) {
		fm.AddReadFilter(&stuckServer{})
	})}})
	c := dial(t, ln)
	defer c.Close()
	io.WriteString(c, "x")
	for deadline := time.Now().Add(5 * time.Second); ln.ActiveConns() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the connection was not accepted")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := ln.Migrate(ctx, 10*time.Millisecond, func(string, syscall.Conn, []byte) error {
		t.Error("a stuck connection was sent")
		return nil
	})
	if err != context.DeadlineExceeded || ln.ActiveConns() != 0 {
		t.Fatalf("Migrate: %v, %d left", err, ln.ActiveConns())
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("the cut connection still reads")
	}
}

// A unix-domain listener's path survives the old process's migration
// and is removed by the new process's close once it owns it.
func TestUnixListenerPathMovesWithTheSocket(t *testing.T) {
	path := t.TempDir() + "/l.sock"
	old, err := Listen(ListenerOptions{Name: "u", Network: "unix", Address: path})
	if err != nil {
		t.Fatal(err)
	}
	sc, _ := old.Listening()
	rc, _ := sc.SyscallConn()
	var nfd int
	rc.Control(func(fd uintptr) { nfd, _ = syscall.Dup(int(fd)) })
	file := os.NewFile(uintptr(nfd), "inherited")
	inherited, err := net.FileListener(file)
	file.Close()
	if err != nil {
		t.Fatal(err)
	}
	next, err := Listen(ListenerOptions{Name: "u", Network: "unix", Address: path, Inherit: inherited})
	if err != nil {
		t.Fatal(err)
	}
	if err := old.Migrate(context.Background(), 0, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the path went with the old listener: %v", err)
	}
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatalf("dial after the old listener closed: %v", err)
	}
	c.Close()
	next.OwnPath()
	next.Close()
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("the new owner left the path behind: %v", err)
	}
}
