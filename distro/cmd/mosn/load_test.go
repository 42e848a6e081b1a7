package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"
)

// origin is the upstream of the lifecycle tests: GET answers "ok <i>" for
// ?i=<i>, POST echoes its body.
func origin(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "POST" {
			b, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			w.Write(b)
			return
		}
		if d, err := time.ParseDuration(r.URL.Query().Get("sleep")); err == nil {
			time.Sleep(d)
		}
		fmt.Fprintf(w, "ok %s", r.URL.Query().Get("i"))
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// lifecycleConfig writes a config whose listener "ingress" on port
// proxies to originAddr; gen is a response header (x-gen) that tells
// which version of the file answered. extraTop is added at the top level.
func lifecycleConfig(t *testing.T, path string, port, admin int, originAddr, gen, extraTop string) {
	t.Helper()
	if extraTop != "" {
		extraTop += ","
	}
	text := `{` + extraTop + `
	  "admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": ` + strconv.Itoa(admin) + `}}},
	  "servers": [{"default_log_path": "stdout", "default_log_level": "WARN", "graceful_timeout": "8s",
	    "routers": [{"router_config_name": "r1", "virtual_hosts": [{"name": "all", "domains": ["*"],
	      "response_headers_to_add": [{"header": {"key": "x-gen", "value": "` + gen + `"}, "append": false}],
	      "routers": [{"match": {"prefix": "/"}, "route": {"cluster_name": "origin"}}]}]}],
	    "listeners": [{"name": "ingress", "address": "127.0.0.1:` + strconv.Itoa(port) + `", "bind_port": true,
	      "filter_chains": [{"filters": [{"type": "proxy", "config": {"router_config_name": "r1"}}]}]}]
	  }],
	  "cluster_manager": {"clusters": [{"name": "origin", "lb_type": "LB_ROUNDROBIN",
	    "hosts": [{"address": "` + originAddr + `"}]}]}
	}`
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// loadMix is how the load generator talks to the proxy.
type loadMix int

const (
	keepAlive loadMix = iota // GET on reused connections
	newConn                  // GET, a new connection per request
	postBody                 // POST with a random body on reused connections
	h2Prior                  // GET over h2c with prior knowledge (x/net/http2)
)

func (m loadMix) String() string {
	return [...]string{"keepalive", "newconn", "post", "h2c"}[m]
}

// loadTransport is the client transport of mix. For h2c it is x/net's
// HTTP/2 transport dialling plain TCP: it retries by itself a request the
// server refused unprocessed (GOAWAY with a lower last stream id, or
// REFUSED_STREAM), which is safe; any other error counts as a failure.
func loadTransport(mix loadMix, workers int) (http.RoundTripper, func()) {
	if mix == h2Prior {
		tr := &http2.Transport{AllowHTTP: true,
			DialTLSContext: func(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, network, addr)
			}}
		return tr, tr.CloseIdleConnections
	}
	tr := &http.Transport{MaxIdleConnsPerHost: workers, DisableKeepAlives: mix == newConn, IdleConnTimeout: time.Minute}
	return tr, tr.CloseIdleConnections
}

// loadResult counts the requests of a load run.
type loadResult struct {
	ok, failed atomic.Int64
	mu         sync.Mutex
	errs       []string
	gens       map[string]int64 // x-gen values seen
}

func (r *loadResult) fail(format string, args ...any) {
	r.failed.Add(1)
	r.mu.Lock()
	if len(r.errs) < 10 {
		r.errs = append(r.errs, fmt.Sprintf(format, args...))
	}
	r.mu.Unlock()
}

// String summarises the run for failure messages.
func (r *loadResult) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return fmt.Sprintf("%d ok, %d failed %v, x-gen %v", r.ok.Load(), r.failed.Load(), r.errs, r.gens)
}

// runLoad sends about rps requests per second to addr in mix until stop
// is closed, checking every response; it returns when every request has
// finished.
func runLoad(addr string, mix loadMix, rps int, stop <-chan struct{}) *loadResult {
	const workers = 16
	res := &loadResult{gens: map[string]int64{}}
	tr, closeIdle := loadTransport(mix, workers)
	client := &http.Client{Timeout: 10 * time.Second, Transport: tr}
	interval := time.Duration(workers) * time.Second / time.Duration(rps)
	var seq atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(interval)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				i := strconv.FormatInt(seq.Add(1), 10)
				var req *http.Request
				want := "ok " + i
				if mix == postBody {
					body := make([]byte, 64+rand.IntN(8<<10))
					for j := range body {
						body[j] = 'a' + byte(rand.IntN(26))
					}
					want = string(body)
					req, _ = http.NewRequest("POST", "http://"+addr+"/echo?i="+i, bytes.NewReader(body))
				} else {
					req, _ = http.NewRequest("GET", "http://"+addr+"/get?i="+i, nil)
				}
				resp, err := client.Do(req)
				if err != nil {
					res.fail("request %s: %v", i, err)
					continue
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				switch {
				case err != nil:
					res.fail("request %s: body: %v", i, err)
				case resp.StatusCode != 200 || string(b) != want:
					res.fail("request %s: %d %.60q", i, resp.StatusCode, b)
				case (mix == h2Prior) != (resp.ProtoMajor == 2):
					res.fail("request %s: answered over %s", i, resp.Proto)
				default:
					res.ok.Add(1)
					res.mu.Lock()
					res.gens[resp.Header.Get("x-gen")]++
					res.mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	closeIdle()
	return res
}

// startLoad runs runLoad in the background; the returned function stops
// it and returns its result.
func startLoad(addr string, mix loadMix, rps int) func() *loadResult {
	stop := make(chan struct{})
	done := make(chan *loadResult, 1)
	go func() { done <- runLoad(addr, mix, rps, stop) }()
	return func() *loadResult {
		close(stop)
		return <-done
	}
}

// adminPost posts to the admin API and returns the status and body.
func adminPost(t *testing.T, admin int, path string) (int, string) {
	t.Helper()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Post("http://127.0.0.1:"+strconv.Itoa(admin)+path, "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestReloadUnderLoad reloads the config file 8 times while about 1,000
// requests a second flow, with a bad file in between: no request fails,
// each good file takes effect, the bad one is refused with its field.
func TestReloadUnderLoad(t *testing.T) {
	bin, dir := buildBinary(t)
	port, admin := freePort(t), freePort(t)
	up := origin(t)
	cfg := filepath.Join(dir, "mosn.json")
	lifecycleConfig(t, cfg, port, admin, up, "0", "")
	p := startBinary(t, bin, "start", "-c", cfg)
	p.waitLine(t, "admin")
	addr := "127.0.0.1:" + strconv.Itoa(port)
	stop := startLoad(addr, keepAlive, 1000)
	for i := 1; i <= 8; i++ {
		time.Sleep(250 * time.Millisecond)
		gen := strconv.Itoa(i)
		lifecycleConfig(t, cfg, port, admin, up, gen, "")
		if code, body := adminPost(t, admin, "/api/v1/config/reload"); code != 200 || !strings.Contains(body, `"changed": true`) {
			t.Fatalf("reload %d: %d %s", i, code, body)
		}
		if i == 4 {
			os.WriteFile(cfg, bytes.Replace(mustRead(t, cfg), []byte(`"LB_ROUNDROBIN"`), []byte(`"LB_NOPE"`), 1), 0o644)
			code, body := adminPost(t, admin, "/api/v1/config/reload")
			if code != 400 || !strings.Contains(body, "cluster_manager.clusters[0].lb_type") {
				t.Fatalf("bad file: %d %s", code, body)
			}
		}
	}
	time.Sleep(250 * time.Millisecond)
	res := stop()
	if res.failed.Load() != 0 || res.ok.Load() < 300 || res.gens["8"] == 0 {
		t.Fatalf("load during reloads: %s", res)
	}
	t.Logf("load during 8 reloads: %s", res)
	p.cmd.Process.Signal(os.Interrupt)
	p.waitExit(t, "SIGINT")
}
