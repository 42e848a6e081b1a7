package proxy_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed405ffdea/mosn/core/proxy"
	"github.com/seed405ffdea/mosn/core/upstream"
)

func TestMirrorGetsACopyWithoutSlowingTheMainPath(t *testing.T) {
	main := statusOrigin(t, "main", 200)
	var mu sync.Mutex
	got := map[string]string{} // path -> body seen by the mirror
	release := make(chan struct{})
	mirror := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got[r.URL.Path] = r.Method + " " + string(b) + " host=" + r.Host
		mu.Unlock()
		// A slow mirror must not hold the main response back.
		select {
		case <-release:
		case <-time.After(10 * time.Second):
		}
		w.WriteHeader(500)
	})
	var st proxy.Stats
	addr := startRoutedWith(t, `{"router_config_name": "r", "virtual_hosts": [{"domains": ["*"], "routers": [
		{"match": {"prefix": "/"}, "route": {"cluster_name": "c", "timeout": "20s"}, "request_mirror_policies": {"cluster": "m", "percent": 100}}]}]}`,
		map[string][]upstream.HostOptions{"c": hosts(main.addr()), "m": hosts(mirror.addr())}, nil,
		func(o *proxy.Options) { o.Stats = &st })
	defer close(release)

	rc := dialRaw(t, addr)
	const n = 20
	rc.SetDeadline(time.Now().Add(5 * time.Second)) // far less than the mirror's delay
	for i := 0; i < n; i++ {
		body := fmt.Sprintf("body-%d", i)
		rc.send(t, fmt.Sprintf("POST /m/%d HTTP/1.1\r\nHost: svc.local\r\nContent-Length: %d\r\n\r\n%s", i, len(body), body))
		resp, got := rc.response(t, "POST")
		if resp.StatusCode != 200 || got != "main" {
			t.Fatalf("request %d: %d %q", i, resp.StatusCode, got)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		seen := len(got)
		mu.Unlock()
		if seen == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("mirror saw %d of %d requests", seen, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	for i := 0; i < n; i++ {
		if want := fmt.Sprintf("POST body-%d host=svc.local", i); got[fmt.Sprintf("/m/%d", i)] != want {
			t.Errorf("mirror copy %d: %q, want %q", i, got[fmt.Sprintf("/m/%d", i)], want)
		}
	}
	if main.hits.Load() != n {
		t.Errorf("main saw %d", main.hits.Load())
	}
}

func TestHashPolicyPinsKeysToHosts(t *testing.T) {
	var origins []*origin
	var addrs []string
	for i := 0; i < 4; i++ {
		o := statusOrigin(t, fmt.Sprintf("h%d", i), 200)
		origins = append(origins, o)
		addrs = append(addrs, o.addr())
	}
	for _, lb := range []string{upstream.LBRingHash, upstream.LBMaglev} {
		t.Run(lb, func(t *testing.T) {
			addr := startRoutedWith(t, `{"router_config_name": "r", "virtual_hosts": [{"domains": ["*"], "routers": [
				{"match": {"prefix": "/"}, "route": {"cluster_name": "c", "hash_policy": [{"header": {"key": "x-user"}}]}}]}]}`,
				map[string][]upstream.HostOptions{"c": hosts(addrs...)}, useLB(lb), nil)
			c := client(t)
			owner := map[string]string{}
			spread := map[string]bool{}
			for round := 0; round < 3; round++ {
				for u := 0; u < 40; u++ {
					user := fmt.Sprintf("user-%d", u)
					_, body := get(t, c, "http://"+addr+"/", "X-User: "+user)
					if prev, ok := owner[user]; ok && prev != body {
						t.Fatalf("%s went to %s, then %s", user, prev, body)
					}
					owner[user] = body
					spread[body] = true
				}
			}
			if len(spread) < 3 {
				t.Errorf("40 keys landed on %d of 4 hosts", len(spread))
			}
		})
	}
}

func TestRouteMetadataMatchSelectsSubset(t *testing.T) {
	v1 := statusOrigin(t, "v1", 200)
	v2 := statusOrigin(t, "v2", 200)
	addr := startRoutedWith(t, `{"router_config_name": "r", "virtual_hosts": [{"domains": ["*"], "routers": [
		{"match": {"prefix": "/canary"}, "route": {"cluster_name": "c", "metadata_match": {"filter_metadata": {"mosn.lb": {"version": "v2"}}}}},
		{"match": {"prefix": "/"}, "route": {"cluster_name": "c", "metadata_match": {"filter_metadata": {"mosn.lb": {"version": "v1"}}}}}]}]}`,
		map[string][]upstream.HostOptions{"c": {
			{Address: v1.addr(), Metadata: map[string]string{"version": "v1"}},
			{Address: v2.addr(), Metadata: map[string]string{"version": "v2"}},
		}},
		func(_ string, o *upstream.ClusterOptions) {
			o.Subset = &upstream.SubsetOptions{Selectors: [][]string{{"version"}}}
		}, nil)
	c := client(t)
	for i := 0; i < 20; i++ {
		if _, body := get(t, c, "http://"+addr+"/canary"); body != "v2" {
			t.Fatalf("/canary went to %s", body)
		}
		if _, body := get(t, c, "http://"+addr+"/"); body != "v1" {
			t.Fatalf("/ went to %s", body)
		}
	}
}

func TestOriginalDstClusterUsesConnectionDestination(t *testing.T) {
	o := statusOrigin(t, "origin", 200)
	// Without an iptables redirect a connection's destination is the
	// proxy itself: the first pass sends the request there, marked, and
	// the second pass answers it. With use_header the header wins.
	addr := startRoutedWith(t, `{"router_config_name": "r", "virtual_hosts": [{"domains": ["*"], "routers": [
		{"match": {"prefix": "/", "headers": [{"name": "x-hop", "value": "1"}]}, "direct_response": {"status": 200, "body": "second pass"}},
		{"match": {"prefix": "/"}, "route": {"cluster_name": "c", "timeout": "2s",
			"request_headers_to_add": [{"header": {"key": "x-hop", "value": "1"}}]}}]}]}`,
		map[string][]upstream.HostOptions{"c": nil},
		func(_ string, co *upstream.ClusterOptions) {
			co.Type = upstream.ClusterOriginalDst
			co.OriginalDst = upstream.OriginalDstOptions{UseHeader: true, HeaderName: "x-dst"}
		}, nil)
	c := client(t)
	if resp, body := get(t, c, "http://"+addr+"/"); resp.StatusCode != 200 || body != "second pass" {
		t.Errorf("by the connection's destination: %d %q", resp.StatusCode, body)
	}
	if resp, body := get(t, c, "http://"+addr+"/", "X-Dst: "+o.addr()); resp.StatusCode != 200 || body != "origin" {
		t.Errorf("by x-dst: %d %q", resp.StatusCode, body)
	}
}

func TestHealthCheckMovesTrafficOffAKilledHost(t *testing.T) {
	a := statusOrigin(t, "a", 200)
	b := statusOrigin(t, "b", 200)
	const interval, threshold = 50 * time.Millisecond, 2
	var cl *upstream.Cluster
	addr := startRoutedWith(t, `{"router_config_name": "r", "virtual_hosts": [{"domains": ["*"], "routers": [
		{"match": {"prefix": "/"}, "route": {"cluster_name": "c"}}]}]}`,
		map[string][]upstream.HostOptions{"c": hosts(a.addr(), b.addr())},
		func(_ string, o *upstream.ClusterOptions) {
			o.LBType = upstream.LBRoundRobin
			o.HealthCheck = &upstream.HealthCheckOptions{Interval: interval, Timeout: 100 * time.Millisecond,
				UnhealthyThreshold: threshold, HealthyThreshold: 1}
		}, func(o *proxy.Options) { cl = o.Clusters.Get("c") })
	c := client(t)
	for i := 0; i < 4; i++ {
		if resp, _ := get(t, c, "http://"+addr+"/"); resp.StatusCode != 200 {
			t.Fatalf("before: %d", resp.StatusCode)
		}
	}
	// Kill a: its listener closes, so health checks are refused.
	a.CloseClientConnections()
	a.Listener.Close()
	killed := time.Now()
	var hostA *upstream.Host
	for _, h := range cl.Hosts() {
		if h.Address() == a.addr() {
			hostA = h
		}
	}
	for hostA.Healthy() {
		if time.Since(killed) > 5*time.Second {
			t.Fatal("the killed host was never marked unhealthy")
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("marked unhealthy %s after the kill (interval %s × threshold %d)", time.Since(killed), interval, threshold)
	// From now on every request succeeds on b.
	for i := 0; i < 100; i++ {
		resp, body := get(t, c, "http://"+addr+"/")
		if resp.StatusCode != 200 || body != "b" {
			t.Fatalf("request %d after the host was marked unhealthy: %d %q", i, resp.StatusCode, body)
		}
	}
}

func TestCircuitBreakerOverflowIs503AtOnce(t *testing.T) {
	slow, entered, release := heldOrigin(t, "slow")
	var st proxy.Stats
	addr := startRoutedWith(t, `{"router_config_name": "r", "virtual_hosts": [{"domains": ["*"], "routers": [
		{"match": {"prefix": "/"}, "route": {"cluster_name": "c"}}]}]}`,
		map[string][]upstream.HostOptions{"c": hosts(slow.addr())},
		func(_ string, o *upstream.ClusterOptions) { o.MaxRequests = 1 }, func(o *proxy.Options) { o.Stats = &st })
	c := client(t)
	done := getAsync(c, "http://"+addr+"/")
	waitEntered(t, entered, "the first request never reached the upstream")
	// The breaker is full: the next request is refused without waiting.
	rc := dialRaw(t, addr)
	rc.SetDeadline(time.Now().Add(2 * time.Second)) // far below the held request's 5 s
	rc.send(t, "GET / HTTP/1.1\r\nHost: h\r\n\r\n")
	resp, body := rc.response(t, "GET")
	if resp.StatusCode != 503 || !strings.Contains(body, "overflow") {
		t.Errorf("over the limit: %d %q, want 503 overflow", resp.StatusCode, body)
	}
	release()
	if code := <-done; code != 200 {
		t.Errorf("the held request: %d", code)
	}
}
