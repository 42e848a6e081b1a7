package network

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/seed405ffdea/mosn/api"
)

// datagramServer answers each datagram of a udp session with its length
// and the datagram, read with a small buffer so that truncation shows.
type datagramServer struct{ echoFilter }

func (d *datagramServer) Serve(ctx context.Context, c api.Connection) error {
	buf := make([]byte, 8)
	for {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := c.Read(buf)
		if err != nil {
			return nil
		}
		c.Write(append([]byte{byte(n)}, buf[:n]...))
	}
}

func TestUDPListenerSessions(t *testing.T) {
	ln, err := Listen(ListenerOptions{Name: "u", Network: "udp", Address: "127.0.0.1:0",
		Filters: []api.NetworkFilterChainFactory{factoryFunc(func(_ context.Context, fm api.FilterManager) {
			fm.AddReadFilter(&datagramServer{})
		})}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); ln.Serve() }()
	a, _ := net.Dial("udp", ln.Addr().String())
	b, _ := net.Dial("udp", ln.Addr().String())
	defer a.Close()
	defer b.Close()
	ask := func(c net.Conn, msg string) string {
		c.Write([]byte(msg))
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 64)
		n, err := c.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		return string(buf[:n])
	}
	if got := ask(a, "abc"); got != "\x03abc" {
		t.Fatalf("a: %q", got)
	}
	if got := ask(b, "0123456789"); got != "\x0801234567" {
		t.Fatalf("b (truncated): %q", got)
	}
	if got := ask(a, ""); got != "\x00" {
		t.Fatalf("empty datagram: %q", got)
	}
	if n := ln.ActiveConns(); n != 2 {
		t.Fatalf("%d sessions, want 2", n)
	}
	// Closing the listener ends its sessions.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ln.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	<-done
	if opened, closed := ln.ConnCounts(); opened != 2 || closed != 2 {
		t.Fatalf("opened %d closed %d", opened, closed)
	}
}

func TestUDPConnDeadlineAndClose(t *testing.T) {
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	l := &udpListener{pc: pc, sessions: map[netip.AddrPort]*udpConn{}}
	defer l.Close()
	c := newUDPConn(l, pc.LocalAddr().(*net.UDPAddr).AddrPort())
	l.sessions[c.from] = c
	c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past deadline: %v", err)
	}
	c.SetReadDeadline(time.Time{})
	if !c.deliver([]byte("x")) {
		t.Fatal("deliver refused")
	}
	buf := make([]byte, 4)
	if n, err := c.Read(buf); n != 1 || err != nil {
		t.Fatalf("read %d %v", n, err)
	}
	for i := 0; i < udpQueueLen; i++ {
		c.deliver([]byte("y"))
	}
	if c.deliver([]byte("z")) {
		t.Fatal("a full queue took another datagram")
	}
	c.Close()
	if _, err := c.Read(buf); err != io.EOF {
		t.Fatalf("read after close: %v", err)
	}
	if _, err := c.Write([]byte("w")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("write after close: %v", err)
	}
	if len(l.sessions) != 0 {
		t.Fatal("closed session still mapped")
	}
}
