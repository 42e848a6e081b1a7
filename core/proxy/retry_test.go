package proxy_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed405ffdea/mosn/core/proxy"
	"github.com/seed405ffdea/mosn/core/upstream"
)

// statusOrigin answers status with body "<name>" to every request.
func statusOrigin(t *testing.T, name string, status int) *origin {
	return newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(status)
		io.WriteString(w, name)
	})
}

// heldOrigin answers name once release is closed (or after 5 s); entered
// receives a value as each request arrives.
func heldOrigin(t *testing.T, name string) (o *origin, entered <-chan struct{}, release func()) {
	in := make(chan struct{}, 8)
	rel := make(chan struct{})
	o = newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		in <- struct{}{}
		select {
		case <-rel:
		case <-time.After(5 * time.Second):
		}
		io.WriteString(w, name)
	})
	var once sync.Once
	release = func() { once.Do(func() { close(rel) }) }
	t.Cleanup(release)
	return o, in, release
}

// getAsync sends GET url in the background; the channel gets the status,
// 0 on error.
func getAsync(c *http.Client, url string) <-chan int {
	ch := make(chan int, 1)
	go func() {
		resp, err := c.Get(url)
		if err != nil {
			ch <- 0
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		ch <- resp.StatusCode
	}()
	return ch
}

// waitEntered waits for a request to reach a heldOrigin.
func waitEntered(t *testing.T, entered <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-entered:
	case <-time.After(5 * time.Second):
		t.Fatal(what)
	}
}

func retryTable(policy string) string {
	return `{"router_config_name": "r", "virtual_hosts": [{"domains": ["*"], "routers": [
		{"match": {"prefix": "/"}, "route": {"cluster_name": "c", "timeout": "5s", "retry_policy": ` + policy + `}}]}]}`
}

// useLB sets every cluster's balancer.
func useLB(lb string) func(string, *upstream.ClusterOptions) {
	return func(_ string, o *upstream.ClusterOptions) { o.LBType = lb }
}

func TestRetryOn503ReachesAnotherHost(t *testing.T) {
	bad := statusOrigin(t, "bad", 503)
	good := statusOrigin(t, "good", 200)
	// With a random balancer the first pick is often the bad host: the
	// retry must then go to the other one, never to the same host again.
	addr := startRoutedWith(t, retryTable(`{"retry_on": true, "num_retries": 3, "status_codes": [503]}`),
		map[string][]upstream.HostOptions{"c": hosts(bad.addr(), good.addr())}, useLB(upstream.LBRandom), nil)
	rc := dialRaw(t, addr)
	const n = 200
	for i := 0; i < n; i++ {
		rc.send(t, "GET /x HTTP/1.1\r\nHost: h\r\n\r\n")
		resp, body := rc.response(t, "GET")
		if resp.StatusCode != 200 || body != "good" {
			t.Fatalf("request %d: %d %q, want 200 from the good host", i, resp.StatusCode, body)
		}
	}
	if good.hits.Load() != n {
		t.Errorf("good host served %d of %d", good.hits.Load(), n)
	}
	// Each request tried the bad host at most once.
	if b := bad.hits.Load(); b == 0 || b > n {
		t.Errorf("bad host saw %d requests, want between 1 and %d", b, n)
	}
}

func TestRetryPOSTBodyInHand(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	bad := statusOrigin(t, "bad", 503)
	good := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
		io.WriteString(w, "good")
	})
	addr := startRoutedWith(t, retryTable(`{"retry_on": "5xx"}`),
		map[string][]upstream.HostOptions{"c": hosts(bad.addr(), good.addr())}, useLB(upstream.LBRoundRobin), nil)
	rc := dialRaw(t, addr)
	for i := 0; i < 10; i++ {
		body := fmt.Sprintf("payload-%d", i)
		rc.send(t, fmt.Sprintf("POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n%s", len(body), body))
		resp, got := rc.response(t, "POST")
		if resp.StatusCode != 200 || got != "good" {
			t.Fatalf("request %d: %d %q", i, resp.StatusCode, got)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for i, b := range bodies {
		if b != fmt.Sprintf("payload-%d", i) {
			t.Errorf("good host got body %q for request %d", b, i)
		}
	}
}

func TestRetryNeverResendsAStreamedBody(t *testing.T) {
	bad := statusOrigin(t, "bad", 503)
	good := statusOrigin(t, "good", 200)
	addr := startRoutedWith(t, retryTable(`{"retry_on": true}`),
		map[string][]upstream.HostOptions{"c": hosts(bad.addr(), good.addr())}, useLB(upstream.LBRoundRobin), nil)
	// 1 MiB is far beyond the read buffer: it streams upstream as it
	// arrives, so it cannot be sent again.
	big := strings.Repeat("x", 1<<20)
	c := client(t)
	var bad503, good200 int
	for i := 0; i < 4; i++ {
		resp, err := c.Post("http://"+addr+"/big", "text/plain", strings.NewReader(big))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case resp.StatusCode == 503 && string(b) == "bad":
			bad503++
		case resp.StatusCode == 200 && string(b) == "good":
			good200++
		default:
			t.Fatalf("unexpected %d %q", resp.StatusCode, b)
		}
	}
	if bad503 != 2 || good200 != 2 || bad.hits.Load() != 2 || good.hits.Load() != 2 {
		t.Errorf("503s %d, 200s %d, hits bad %d good %d: want 2 each and no retry", bad503, good200, bad.hits.Load(), good.hits.Load())
	}
}

func TestRetryConnectFailure(t *testing.T) {
	// A port nothing listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close()
	good := statusOrigin(t, "good", 200)
	addr := startRoutedWith(t, retryTable(`{"retry_on": "connect-failure"}`),
		map[string][]upstream.HostOptions{"c": hosts(dead, good.addr())}, useLB(upstream.LBRoundRobin), nil)
	c := client(t)
	for i := 0; i < 10; i++ {
		resp, body := get(t, c, "http://"+addr+"/")
		if resp.StatusCode != 200 || body != "good" {
			t.Fatalf("request %d: %d %q", i, resp.StatusCode, body)
		}
	}
}

func TestRetryPerTryTimeout(t *testing.T) {
	slow, _, _ := heldOrigin(t, "slow")
	fast := statusOrigin(t, "fast", 200)
	addr := startRoutedWith(t, retryTable(`{"retry_on": true, "retry_timeout": "200ms"}`),
		map[string][]upstream.HostOptions{"c": hosts(slow.addr(), fast.addr())}, useLB(upstream.LBRoundRobin), nil)
	c := client(t)
	for i := 0; i < 4; i++ {
		resp, body := get(t, c, "http://"+addr+"/")
		if resp.StatusCode != 200 || body != "fast" {
			t.Fatalf("request %d: %d %q, want the fast host after the per-try timeout", i, resp.StatusCode, body)
		}
	}
	if slow.hits.Load() == 0 {
		t.Error("the slow host was never tried")
	}
}

func TestRetriesUsedUpAnswerStands(t *testing.T) {
	a := statusOrigin(t, "a", 503)
	b := statusOrigin(t, "b", 503)
	var st proxy.Stats
	addr := startRoutedWith(t, retryTable(`{"retry_on": true, "num_retries": 1}`),
		map[string][]upstream.HostOptions{"c": hosts(a.addr(), b.addr())}, useLB(upstream.LBRoundRobin),
		func(o *proxy.Options) { o.Stats = &st })
	c := client(t)
	resp, body := get(t, c, "http://"+addr+"/")
	if resp.StatusCode != 503 || (body != "a" && body != "b") {
		t.Fatalf("got %d %q, want the second host's 503", resp.StatusCode, body)
	}
	if a.hits.Load() != 1 || b.hits.Load() != 1 {
		t.Errorf("hits %d and %d, want one each (one retry)", a.hits.Load(), b.hits.Load())
	}
}

func TestRetryBreakerLimitsRetries(t *testing.T) {
	a := statusOrigin(t, "a", 503)
	b, entered, release := heldOrigin(t, "b")
	var st proxy.Stats
	addr := startRoutedWith(t, retryTable(`{"retry_on": true}`),
		map[string][]upstream.HostOptions{"c": hosts(a.addr(), b.addr())},
		func(_ string, o *upstream.ClusterOptions) {
			// Every request starts on a, its retry goes to b.
			o.LBType = upstream.LBRequestRoundRobin
			o.MaxRetries = 1 // one retry in flight at a time
		}, func(o *proxy.Options) { o.Stats = &st })
	c := client(t)
	// The first request fails on a and its retry waits on b, holding the
	// cluster's only retry slot.
	first := getAsync(c, "http://"+addr+"/")
	waitEntered(t, entered, "the retry never reached b")
	// The second fails on a too, and its retry is refused: a's 503 stands.
	resp, body := get(t, c, "http://"+addr+"/")
	if resp.StatusCode != 503 || body != "a" {
		t.Errorf("second request: %d %q, want a's 503 (retry breaker open)", resp.StatusCode, body)
	}
	release()
	if code := <-first; code != 200 {
		t.Errorf("first request: %d, want 200 after its retry", code)
	}
}
