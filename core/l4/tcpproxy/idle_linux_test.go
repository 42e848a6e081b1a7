package tcpproxy_test

import (
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// pipeFDs counts the process's open pipe descriptors that are in use:
// pipes that Go's splice pool holds but nobody uses are closed first, by
// collecting garbage until their finalizers have run.
func pipeFDs(t *testing.T) int {
	t.Helper()
	n := countPipes(t)
	for i := 0; i < 50; i++ {
		runtime.GC()
		time.Sleep(2 * time.Millisecond) // finalizers run on their own goroutine
		m := countPipes(t)
		if m == n && i >= 3 {
			break
		}
		n = m
	}
	return n
}

func countPipes(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	n := 0
	for _, e := range ents {
		if l, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil && strings.HasPrefix(l, "pipe:") {
			n++
		}
	}
	return n
}

// An idle spliced connection holds no splice pipe (two descriptors per
// direction when a splice waits on its source).
func TestIdleConnectionsHoldNoPipes(t *testing.T) {
	// The echo copies through a buffer: io.Copy between sockets would
	// splice, and hold a pipe itself.
	up := serveTCP(t, func(c net.Conn) {
		buf := make([]byte, 32<<10)
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			c.Write(buf[:n])
		}
	})
	m := clusters(t, nil, map[string][]string{"c": {up}})
	ln, _ := startProxy(t, m, proxyOpts{cluster: "c"})
	const conns = 20
	before := pipeFDs(t)
	b := make([]byte, 1<<16)
	for i := 0; i < conns; i++ {
		c := dial(t, ln.Addr().String())
		// Enough bytes to be spliced, then silence.
		if _, err := c.Write(b); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c, b); err != nil {
			t.Fatal(err)
		}
	}
	if held := pipeFDs(t) - before; held >= conns {
		t.Fatalf("%d more pipe descriptors with %d idle connections", held, conns)
	}
}
