package main

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestFailedUpgradeKeepsServing: a successor that fails, by SIGHUP with a
// broken file or started by hand and failing after it took the sockets
// (its admin port is taken), leaves the old process serving with no
// failed request, its upgrade socket intact: a good upgrade then works.
// A crash then leaves a stale socket that does not block the next start.
func TestFailedUpgradeKeepsServing(t *testing.T) {
	bin, _ := buildBinary(t)
	e := newUpgradeEnv(t, bin)
	a := e.start(t, e.cfg)
	pidA := e.waitPid(t, 0)
	waitFor(t, 10*time.Second, "the listener", func() bool { return dialOK(e.addr) })
	stop := startLoad(e.addr, postBody, 1000)
	good := mustRead(t, e.cfg)

	// 1. SIGHUP with a broken file: the child exits.
	os.WriteFile(e.cfg, []byte(strings.Replace(string(good), `"LB_ROUNDROBIN"`, `"LB_NOPE"`, 1)), 0o644)
	a.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, 20*time.Second, "the failed child to be reported", func() bool {
		return strings.Contains(string(mustRead(t, e.log)), "failed (exit status 1); serving on")
	})
	os.WriteFile(e.cfg, good, 0o644)

	// 2. Started by hand; it takes the sockets, then cannot bind its admin
	// port and gives up.
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	badCfg := filepath.Join(e.dir, "bad-admin.json")
	lifecycleConfig(t, badCfg, e.port, held.Addr().(*net.TCPAddr).Port, e.origin, "1", `"uds_dir": "`+e.dir+`"`)
	b := e.start(t, badCfg)
	select {
	case err := <-b.exited:
		if err == nil {
			t.Fatal("the successor with a taken admin port exited 0")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the successor with a taken admin port did not exit")
	}
	if !strings.Contains(string(mustRead(t, e.log)), "upgrading from pid "+strconv.Itoa(pidA)) {
		t.Fatal("the failing successor never took the sockets: the test proves nothing")
	}
	time.Sleep(300 * time.Millisecond)
	if readPid(e.pidFile) != pidA || !alive(pidA) {
		t.Fatal("the old process is gone or lost its pid file")
	}
	waitFor(t, 5*time.Second, "the old process to be running again", func() bool {
		return strings.Contains(adminGet(t, e.admin, "/api/v1/states"), `"state": "running"`)
	})

	// 3. A good upgrade still works: the socket survived.
	a.cmd.Process.Signal(syscall.SIGHUP)
	pidB := e.waitPid(t, pidA)
	select {
	case <-a.exited:
	case <-time.After(testGraceful + 2*time.Second):
		t.Fatal("the old process did not exit after the good upgrade")
	}
	time.Sleep(200 * time.Millisecond)
	res := stop()
	t.Logf("load during two failed upgrades and a good one: %s", res)
	if res.failed.Load() != 0 || res.ok.Load() < 200 {
		t.Fatalf("load: %s", res)
	}

	// 4. A crash leaves the socket file behind; the next start is not
	// blocked by it (and does not take it for a running process).
	if alive(pidB) {
		syscall.Kill(pidB, syscall.SIGKILL)
	}
	waitFor(t, 5*time.Second, "the killed process to go", func() bool { return !alive(pidB) })
	if _, err := os.Stat(filepath.Join(e.dir, "reconfigure.sock")); err != nil {
		t.Fatalf("no stale socket after the crash, the test proves nothing: %v", err)
	}
	// Ports of its own (0): the killed process's may be anyone's by now.
	restart := filepath.Join(e.dir, "restart.json")
	lifecycleConfig(t, restart, 0, 0, e.origin, "1", `"uds_dir": "`+e.dir+`"`)
	d := e.start(t, restart)
	e.waitPid(t, pidB)
	waitFor(t, 10*time.Second, "the restarted process to serve the upgrade socket", func() bool {
		c, err := net.Dial("unix", filepath.Join(e.dir, "reconfigure.sock"))
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	if strings.Contains(string(mustRead(t, e.log)), "upgrading from pid "+strconv.Itoa(pidB)) {
		t.Fatal("the restart took the stale socket for a running process")
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-d.exited:
		if err != nil {
			t.Fatalf("restarted process: %v", err)
		}
	case <-time.After(testGraceful + 2*time.Second):
		t.Fatal("the restarted process did not stop")
	}
	if _, err := os.Stat(filepath.Join(e.dir, "reconfigure.sock")); !os.IsNotExist(err) {
		t.Fatalf("a clean stop left the socket file: %v", err)
	}
}

func dialOK(addr string) bool {
	c, err := net.Dial("tcp", addr)
	if err == nil {
		c.Close()
	}
	return err == nil
}

func adminGet(t *testing.T, admin int, path string) string {
	t.Helper()
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://127.0.0.1:" + strconv.Itoa(admin) + path)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestSIGTERMUnderLoad: requests in flight when SIGTERM arrives complete;
// the only failures afterwards are refused connections (the listener is
// closed), never a reset or a cut response; the process exits 0.
func TestSIGTERMUnderLoad(t *testing.T) {
	bin, dir := buildBinary(t)
	port, admin := freePort(t), freePort(t)
	cfg := filepath.Join(dir, "mosn.json")
	lifecycleConfig(t, cfg, port, admin, origin(t), "1", "")
	p := startLogged(t, bin, filepath.Join(dir, "mosn.log"), "start", "-c", cfg)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	waitFor(t, 10*time.Second, "the listener", func() bool { return dialOK(addr) })

	var stopping atomic.Bool
	var ok, refused, bad atomic.Int64
	var mu sync.Mutex
	var bads []string
	var wg sync.WaitGroup
	done := make(chan struct{})
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tr := &http.Transport{DisableKeepAlives: w%2 == 1}
			defer tr.CloseIdleConnections()
			c := &http.Client{Timeout: 10 * time.Second, Transport: tr}
			tick := time.NewTicker(8 * time.Millisecond)
			defer tick.Stop()
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				case <-tick.C:
				}
				resp, err := c.Get("http://" + addr + "/?i=" + strconv.Itoa(i))
				if err == nil {
					b, rerr := io.ReadAll(resp.Body)
					resp.Body.Close()
					if rerr == nil && resp.StatusCode == 200 && string(b) == "ok "+strconv.Itoa(i) {
						ok.Add(1)
						continue
					}
					err = errors.New(resp.Status + " " + string(b))
				}
				if stopping.Load() && errors.Is(err, syscall.ECONNREFUSED) {
					refused.Add(1)
					continue
				}
				bad.Add(1)
				mu.Lock()
				bads = append(bads, err.Error())
				mu.Unlock()
			}
		}()
	}
	// Slow requests in flight at SIGTERM.
	slow := make(chan error, 3)
	for i := 0; i < 3; i++ {
		go func() {
			resp, err := (&http.Client{Timeout: 10 * time.Second}).Get("http://" + addr + "/?i=slow&sleep=1s")
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || string(b) != "ok slow" {
					err = errors.New(resp.Status + " " + string(b))
				}
			}
			slow <- err
		}()
	}
	time.Sleep(500 * time.Millisecond)
	stopping.Store(true)
	p.cmd.Process.Signal(syscall.SIGTERM)
	for i := 0; i < 3; i++ {
		if err := <-slow; err != nil {
			t.Errorf("request in flight at SIGTERM: %v", err)
		}
	}
	select {
	case err := <-p.exited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(testGraceful + 2*time.Second):
		t.Fatal("no exit after SIGTERM")
	}
	time.Sleep(100 * time.Millisecond)
	close(done)
	wg.Wait()
	t.Logf("SIGTERM under load: %d ok, %d refused after the listener closed, %d bad %v", ok.Load(), refused.Load(), bad.Load(), bads)
	if bad.Load() != 0 || ok.Load() < 50 || refused.Load() == 0 {
		t.Fatal("SIGTERM under load failed")
	}
}
