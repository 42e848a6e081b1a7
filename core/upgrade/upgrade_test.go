package upgrade_test

import (
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/seed405ffdea/mosn/core/upgrade"
	"github.com/seed405ffdea/mosn/pkg/leakcheck"
)

// TestMain checks for leaked goroutines; the fuzzing engine's signal
// watcher is not ours.
func TestMain(m *testing.M) { leakcheck.Main(m, "os/signal.signal_recv") }

// fakeSource is an old process: one listening socket and the
// connections it accepted, moved at takeover.
type fakeSource struct {
	ln    *net.TCPListener
	conns []*net.TCPConn

	mu      sync.Mutex
	began   int
	aborted []error
	moved   int
}

func (f *fakeSource) UpgradeSockets() []upgrade.Listening {
	return []upgrade.Listening{{Socket: upgrade.Socket{Name: "listener/in", Network: "tcp", Address: "configured"}, Conn: f.ln}}
}
func (f *fakeSource) UpgradeConfig() ([]byte, error) { return []byte(`{"servers": []}`), nil }
func (f *fakeSource) UpgradeBegin()                  { f.mu.Lock(); f.began++; f.mu.Unlock() }
func (f *fakeSource) UpgradeAbort(err error) {
	f.mu.Lock()
	f.aborted = append(f.aborted, err)
	f.mu.Unlock()
}
func (f *fakeSource) Takeover(send upgrade.SendConn) {
	f.ln.Close()
	for _, c := range f.conns {
		if send("in", c, []byte("GET /unread")) == nil {
			f.mu.Lock()
			f.moved++
			f.mu.Unlock()
		}
		c.Close()
	}
}

func (f *fakeSource) abortCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.aborted)
}

func newSource(t *testing.T) *fakeSource {
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return &fakeSource{ln: ln}
}

func serve(t *testing.T, dir string, src upgrade.Source) *upgrade.Server {
	t.Helper()
	s, err := upgrade.Serve(upgrade.ServerOptions{Dir: dir, Source: src, HelloTimeout: 300 * time.Millisecond, TakeoverTimeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// A whole session: the listening socket arrives and accepts, the live
// connection arrives with its unread bytes and still talks to its peer.
func TestSessionMovesSocketsAndConnections(t *testing.T) {
	dir := t.TempDir()
	src := newSource(t)
	peer, err := net.Dial("tcp", src.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	c, err := src.ln.AcceptTCP()
	if err != nil {
		t.Fatal(err)
	}
	src.conns = []*net.TCPConn{c}
	old := serve(t, dir, src)

	cl, err := upgrade.Dial(dir, time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	h, err := cl.Hello()
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if h.PID != os.Getpid() || string(h.Config) != `{"servers":[]}` {
		t.Fatalf("handoff: pid %d config %s", h.PID, h.Config)
	}
	ln := h.Listeners[upgrade.Key("listener/in", "tcp", "configured")]
	if ln == nil || ln.Addr().String() != src.ln.Addr().String() {
		t.Fatalf("inherited listeners: %v", h.Listeners)
	}
	// The inherited socket accepts while the old one still could.
	d, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	if a, err := ln.Accept(); err != nil {
		t.Fatal(err)
	} else {
		a.Close()
	}

	type adopted struct {
		listener string
		conn     net.Conn
		unread   string
	}
	got := make(chan adopted, 1)
	if err := cl.Takeover(func(l string, c net.Conn, u []byte) { got <- adopted{l, c, string(u)} }); err != nil {
		t.Fatal(err)
	}
	var a adopted
	select {
	case a = <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("no connection arrived")
	}
	defer a.conn.Close()
	if a.listener != "in" || a.unread != "GET /unread" {
		t.Fatalf("adopted %q with unread %q", a.listener, a.unread)
	}
	// The moved connection talks to the same peer, both ways.
	peer.Write([]byte("ping"))
	buf := make([]byte, 4)
	a.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(a.conn, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("read on the moved connection: %q %v", buf, err)
	}
	a.conn.Write([]byte("pong"))
	peer.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(peer, buf); err != nil || string(buf) != "pong" {
		t.Fatalf("peer read: %q %v", buf, err)
	}
	for _, ch := range []<-chan struct{}{old.Done(), cl.Done()} {
		select {
		case <-ch:
		case <-time.After(5 * time.Second):
			t.Fatal("session not done")
		}
	}
	// The old process released the path: the new one binds it.
	if _, err := os.Stat(old.Path()); !os.IsNotExist(err) {
		t.Fatalf("old socket file after takeover: %v", err)
	}
	serve(t, dir, newSource(t))
}

// A new process that gives up (or dies, or stalls) leaves the old one
// serving: its socket stays and the next session works.
func TestFailedSuccessorLeavesOldServing(t *testing.T) {
	dir := t.TempDir()
	src := newSource(t)
	old := serve(t, dir, src)

	cl, err := upgrade.Dial(dir, time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	h, err := cl.Hello()
	if err != nil {
		t.Fatal(err)
	}
	h.Close()
	cl.Abort(errors.New("config error"))
	waitAborts(t, src, 1)

	// One that dies after hello.
	cl, _ = upgrade.Dial(dir, time.Second, nil)
	h, err = cl.Hello()
	if err != nil {
		t.Fatal(err)
	}
	h.Close()
	cl.Close()
	waitAborts(t, src, 2)

	// One that connects and says nothing: the hello times out.
	raw, err := net.Dial("unix", old.Path())
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	raw.Close()

	// One that takes the sockets and never takes over.
	cl, _ = upgrade.Dial(dir, time.Second, nil)
	h, err = cl.Hello()
	if err != nil {
		t.Fatal(err)
	}
	h.Close()
	waitAborts(t, src, 3) // the takeover timeout
	cl.Close()

	if _, err := os.Stat(old.Path()); err != nil {
		t.Fatalf("the old process's socket is gone: %v", err)
	}
	select {
	case <-old.Done():
		t.Fatal("the old server says it was taken over")
	default:
	}
	cl, err = upgrade.Dial(dir, time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	h, err = cl.Hello()
	if err != nil {
		t.Fatal(err)
	}
	h.Close()
	cl.Close()
}

func waitAborts(t *testing.T, src *fakeSource, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for src.abortCount() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d aborts, want %d", src.abortCount(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A socket file left by a crashed process does not block the next start;
// a live one does, and Dial finds it.
func TestStaleSocket(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, upgrade.SocketName)
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	l.SetUnlinkOnClose(false)
	l.Close() // as a crash leaves it
	if _, err := upgrade.Dial(dir, time.Second, nil); !errors.Is(err, upgrade.ErrNoProcess) {
		t.Fatalf("Dial on a stale socket: %v, want ErrNoProcess", err)
	}
	serve(t, dir, newSource(t))
	if _, err := upgrade.Serve(upgrade.ServerOptions{Dir: dir, Source: newSource(t)}); !errors.Is(err, upgrade.ErrRunning) {
		t.Fatalf("second Serve: %v, want ErrRunning", err)
	}
	// A file that is no socket is not removed.
	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, upgrade.SocketName), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := upgrade.Serve(upgrade.ServerOptions{Dir: other, Source: newSource(t)}); err == nil {
		t.Fatal("Serve replaced a regular file")
	}
}

// Messages carry at most one descriptor, and a bad or missing message
// is an error, not a hang; any error ends the session.
func TestChannelRefusesBadInput(t *testing.T) {
	pair := func() (*net.UnixConn, *upgrade.Channel, *upgrade.Channel) {
		a, b, err := socketPair()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Close(); b.Close() })
		return a, upgrade.NewChannel(a), upgrade.NewChannel(b)
	}
	a, _, cb := pair()
	if _, _, err := a.WriteMsgUnix([]byte{0, 0, 0, 2}, syscall.UnixRights(0, 1), nil); err != nil {
		t.Fatal(err)
	}
	a.Write([]byte("{}"))
	if _, _, err := cb.Recv(time.Second); err == nil {
		t.Fatal("two descriptors accepted")
	}
	a, _, cb = pair()
	a.Write([]byte{0xff, 0xff, 0xff, 0xff})
	if _, _, err := cb.Recv(time.Second); err == nil {
		t.Fatal("oversized message accepted")
	}
	a, _, cb = pair()
	a.Write([]byte{0, 0, 0, 20, '{'})
	if _, _, err := cb.Recv(100 * time.Millisecond); err == nil {
		t.Fatal("truncated message accepted")
	}
	_, ca, cb := pair()
	if err := ca.Send(&upgrade.Message{Op: upgrade.OpDone}, -1, time.Second); err != nil {
		t.Fatal(err)
	}
	if m, f, err := cb.Recv(time.Second); err != nil || m.Op != upgrade.OpDone || f != nil {
		t.Fatalf("good message: %+v %v %v", m, f, err)
	}
	if _, _, err := cb.Recv(100 * time.Millisecond); err == nil {
		t.Fatal("Recv without a message returned no error")
	}
}

func socketPair() (*net.UnixConn, *net.UnixConn, error) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, err
	}
	conn := func(fd int) (*net.UnixConn, error) {
		f := os.NewFile(uintptr(fd), "pair")
		defer f.Close()
		c, err := net.FileConn(f)
		if err != nil {
			return nil, err
		}
		return c.(*net.UnixConn), nil
	}
	a, err := conn(fds[0])
	if err != nil {
		return nil, nil, err
	}
	b, err := conn(fds[1])
	return a, b, err
}

func FuzzDecodeMessage(f *testing.F) {
	for _, s := range []string{
		`{"op":"hello","pid":1}`,
		`{"op":"sockets","pid":2,"config":{"servers":[]},"sockets":[{"name":"listener/a","network":"tcp","address":"127.0.0.1:1"}]}`,
		`{"op":"socket","socket":{"name":"admin","network":"tcp","address":"127.0.0.1:2"}}`,
		`{"op":"conn","listener":"a","data":"R0VUIC8="}`,
		`{"op":"conn"}`,
		`{"op":"nope"}`,
		`{"op":"abort","error":"x"}`,
		`[]`,
		``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := upgrade.DecodeMessage(b)
		if err != nil {
			return
		}
		switch m.Op {
		case upgrade.OpSocket:
			if m.Socket == nil || m.Socket.Name == "" {
				t.Fatal("socket message without a name accepted")
			}
		case upgrade.OpConn:
			if m.Listener == "" {
				t.Fatal("conn message without a listener accepted")
			}
		}
	})
}
