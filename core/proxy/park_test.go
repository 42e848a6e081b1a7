package proxy_test

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/seed405ffdea/mosn/core/proxy"
)

// Parked connections (use_netpoll_mode) wake for the next request, close
// at their idle deadline and leave no goroutine behind (TestMain checks).
func TestParkedConnectionsWakeAndExpire(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.URL.Path) })
	stats := &proxy.Stats{}
	addr := startProxy(t, o.addr(), proxyConf{parkAfter: 20 * time.Millisecond, opts: func(o *proxy.Options) {
		o.IdleTimeout = 2 * time.Second
		o.Stats = stats
	}})
	c := dialRaw(t, addr)
	for i := 0; i < 5; i++ {
		c.send(t, "GET /"+strconv.Itoa(i)+" HTTP/1.1\r\nHost: x\r\n\r\n")
		if _, body := c.response(t, "GET"); body != "/"+strconv.Itoa(i) {
			t.Fatalf("request %d: %q", i, body)
		}
		time.Sleep(60 * time.Millisecond) // idle long enough to be parked
	}
	// A pipelined pair arriving at a parked connection.
	c.send(t, "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n")
	if _, body := c.response(t, "GET"); body != "/a" {
		t.Fatal(body)
	}
	if _, body := c.response(t, "GET"); body != "/b" {
		t.Fatal(body)
	}
	// The idle timeout still applies while parked.
	start := time.Now()
	if !c.closed() {
		t.Fatal("parked connection not closed at its idle deadline")
	}
	if d := time.Since(start); d < time.Second || d > 4*time.Second {
		t.Fatalf("closed after %v, want about 2s", d)
	}
	if stats.Requests.Load() != 7 {
		t.Fatalf("%d requests", stats.Requests.Load())
	}
}

func TestParkedConnectionSeesClientClose(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {})
	addr := startProxy(t, o.addr(), proxyConf{parkAfter: 10 * time.Millisecond})
	for i := 0; i < 20; i++ {
		c := dialRaw(t, addr)
		c.send(t, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		c.response(t, "GET")
		if i%2 == 0 {
			time.Sleep(30 * time.Millisecond)
		}
		c.Close()
	}
	// Cleanup closes the listener and waits for every connection: a parked
	// connection whose client left must have been finished.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = ctx
}
