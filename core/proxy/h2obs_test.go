package proxy_test

import (
	"io"
	"net/http"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed405ffdea/mosn/api"
	"github.com/seed405ffdea/mosn/core/accesslog"
	"github.com/seed405ffdea/mosn/core/proxy"
	mlog "github.com/seed405ffdea/mosn/pkg/log"
)

// TestH2SharesAccessLogAndStats: HTTP/2 streams go through the same
// access log (protocol HTTP/2) and counters as HTTP/1 requests.
func TestH2SharesAccessLogAndStats(t *testing.T) {
	o := h2EchoOrigin(t)
	path := t.TempDir() + "/access.log"
	l, err := accesslog.New(path, "%PROTOCOL% %REQ(:METHOD)% %REQ(:PATH)% %RESPONSE_CODE% %UPSTREAM_CLUSTER%", mlog.DefaultRoller())
	if err != nil {
		t.Fatal(err)
	}
	stats := &proxy.Stats{}
	addr := startProxy(t, o.addr(), proxyConf{opts: func(po *proxy.Options) {
		po.Protocol = api.Auto
		po.AccessLogs = []*accesslog.Logger{l}
		po.Stats = stats
	}})
	resp, err := h2cClient(t).Get("http://" + addr + "/two")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	resp, err = client(t).Get("http://" + addr + "/one")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	for deadline := time.Now().Add(5 * time.Second); stats.Requests.Load() != 2 || stats.Active.Load() != 0; {
		if time.Now().After(deadline) {
			t.Fatalf("requests %d active %d", stats.Requests.Load(), stats.Active.Load())
		}
		time.Sleep(time.Millisecond)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	want := "HTTP/2 GET /two 200 c\nHTTP/1.1 GET /one 200 c\n"
	if string(b) != want {
		t.Fatalf("access log:\n%s\nwant:\n%s", b, want)
	}
	if stats.Responses2xx.Load() != 2 {
		t.Fatalf("2xx count %d", stats.Responses2xx.Load())
	}
}

// TestH2StreamFilters: the listener's stream filters run for HTTP/2
// streams as for HTTP/1 requests, hijack included.
func TestH2StreamFilters(t *testing.T) {
	var seen atomic.Value
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		seen.Store(r.Header.Clone())
		w.Header().Set("X-Secret", "s")
		io.WriteString(w, "ok")
	})
	log := &phaseLog{}
	addr := startProxy(t, o.addr(), proxyConf{opts: func(po *proxy.Options) {
		po.Protocol = api.HTTP2
		po.StreamFilters = []api.StreamFilterChainFactory{chainFactory{log: log}}
	}})
	c := h2cClient(t)
	resp, err := c.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	h := seen.Load().(http.Header)
	if h.Get("X-Route-Cluster") != "c" || h.Get("X-Host-Known") != "true" {
		t.Errorf("upstream saw %v", h)
	}
	if resp.Header.Get("X-Sender") != "seen" || resp.Header.Get("X-Secret") != "" {
		t.Errorf("sender filter: %v", resp.Header)
	}
	req, _ := http.NewRequest("GET", "http://"+addr+"/", nil)
	req.Header.Set("X-Deny", "1")
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.ProtoMajor != 2 || resp.StatusCode != 403 || string(b) != "denied\n" || resp.Header.Get("X-Denied-By") != "filter" {
		t.Fatalf("hijack: %s %d %q %v", resp.Proto, resp.StatusCode, b, resp.Header)
	}
}
