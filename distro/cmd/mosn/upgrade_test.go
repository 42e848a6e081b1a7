package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The hot-upgrade acceptance tests: the real binary, upgraded twice under
// constant load (SIGHUP, then a new process started by hand).

const (
	// testGraceful is graceful_timeout in lifecycleConfig.
	testGraceful = 8 * time.Second
	// testTransfer is --transfer-timeout: connections move within it.
	testTransfer = "1s"
)

// proc is a mosn process started by a test, writing to a log file (a
// pipe would break when the process that owns it exits before its
// successor).
type proc struct {
	cmd    *exec.Cmd
	exited chan error
}

// startLogged starts bin with its output appended to logPath; the
// process is killed at cleanup if still running.
func startLogged(t *testing.T, bin, logPath string, args ...string) *proc {
	t.Helper()
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := &proc{cmd: exec.Command(bin, args...), exited: make(chan error, 1)}
	p.cmd.Stdout, p.cmd.Stderr = f, f
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exited <- p.cmd.Wait() }()
	t.Cleanup(func() { p.cmd.Process.Kill() })
	return p
}

// waitFor polls cond every 20 ms for at most d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// readPid reads a pid file (0 if missing or partial).
func readPid(path string) int {
	b, _ := os.ReadFile(path)
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// ourBinary is the path of the binary the upgrade tests run: a pid is
// only taken for one of ours when its executable is that file (pids are
// reused, and other tests run in parallel).
var ourBinary string

// alive reports whether pid runs our binary (a zombie does not count).
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	if exe, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe"); err != nil || exe != ourBinary {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

// killAtCleanup kills pid at cleanup if it still runs (a process this
// test did not start directly: the SIGHUP successor).
func killAtCleanup(t *testing.T, pid int) {
	t.Cleanup(func() {
		if alive(pid) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
}

// ownerOf returns whether pid holds the server side of the TCP
// connection whose client end is c: the socket's inode among its
// descriptors (the proof that a moved connection is served there).
func ownerOf(t *testing.T, pid int, c net.Conn) bool {
	t.Helper()
	local := c.LocalAddr().(*net.TCPAddr)   // the client end
	remote := c.RemoteAddr().(*net.TCPAddr) // the server end
	want := fmt.Sprintf("%08X:%04X %08X:%04X", ipHex(remote.IP), remote.Port, ipHex(local.IP), local.Port)
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		t.Skipf("no /proc/net/tcp: %v", err)
	}
	inode := ""
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 9 && f[1]+" "+f[2] == want {
			inode = f[9]
		}
	}
	if inode == "" {
		t.Fatalf("connection %s not in /proc/net/tcp", want)
	}
	fds, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/fd/*")
	for _, fd := range fds {
		if l, err := os.Readlink(fd); err == nil && l == "socket:["+inode+"]" {
			return true
		}
	}
	return false
}

// ipHex is an IPv4 address as /proc/net/tcp writes it (little endian).
func ipHex(ip net.IP) uint32 {
	v4 := ip.To4()
	return uint32(v4[3])<<24 | uint32(v4[2])<<16 | uint32(v4[1])<<8 | uint32(v4[0])
}

// rawClient is a long-lived HTTP/1 connection driven by hand.
type rawClient struct {
	c  net.Conn
	br *bufio.Reader
}

func dialRaw(t *testing.T, addr string) *rawClient {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawClient{c: c, br: bufio.NewReader(c)}
}

// get sends one GET on the connection and checks the answer.
func (r *rawClient) get(t *testing.T, i int) {
	t.Helper()
	r.c.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(r.c, "GET /raw?i=%d HTTP/1.1\r\nHost: test\r\n\r\n", i)
	resp, err := http.ReadResponse(r.br, nil)
	if err != nil {
		t.Fatalf("long-lived connection, request %d: %v", i, err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || string(b) != "ok "+strconv.Itoa(i) || resp.Close {
		t.Fatalf("long-lived connection, request %d: %d %q close=%v %v", i, resp.StatusCode, b, resp.Close, err)
	}
}

// upgradeEnv is a config and the paths the upgrade tests share.
type upgradeEnv struct {
	bin, dir, cfg, pidFile, log, addr string
	port, admin                       int
	origin                            string
}

func newUpgradeEnv(t *testing.T, bin string) *upgradeEnv {
	ourBinary = bin
	dir := t.TempDir()
	e := &upgradeEnv{bin: bin, dir: dir, cfg: filepath.Join(dir, "mosn.json"), pidFile: filepath.Join(dir, "mosn.pid"),
		log: filepath.Join(dir, "mosn.log"), port: freePort(t), admin: freePort(t), origin: origin(t)}
	e.addr = "127.0.0.1:" + strconv.Itoa(e.port)
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(e.log)
			t.Logf("mosn log:\n%s", b)
		}
	})
	e.writeConfig(t, e.cfg, "1", "")
	return e
}

func (e *upgradeEnv) writeConfig(t *testing.T, path, gen, extra string) {
	top := `"uds_dir": "` + e.dir + `"`
	if extra != "" {
		top += "," + extra
	}
	lifecycleConfig(t, path, e.port, e.admin, e.origin, gen, top)
}

func (e *upgradeEnv) start(t *testing.T, cfg string) *proc {
	return startLogged(t, e.bin, e.log, "start", "-c", cfg, "--pid-file", e.pidFile, "--transfer-timeout", testTransfer)
}

// waitPid waits until the pid file names a process other than old and
// returns it.
func (e *upgradeEnv) waitPid(t *testing.T, old int) int {
	t.Helper()
	var pid int
	waitFor(t, 20*time.Second, "a new pid in the pid file", func() bool {
		pid = readPid(e.pidFile)
		return pid != 0 && pid != old && alive(pid)
	})
	killAtCleanup(t, pid)
	return pid
}

// waitGone waits until pid has exited, within the graceful timeout.
func waitGone(t *testing.T, pid int, since time.Time) {
	t.Helper()
	waitFor(t, testGraceful+2*time.Second, "pid "+strconv.Itoa(pid)+" to exit", func() bool { return !alive(pid) })
	if d := time.Since(since); d > testGraceful {
		t.Fatalf("old process %d took %s to exit, graceful_timeout is %s", pid, d, testGraceful)
	}
}

// TestHotUpgradeUnderLoad upgrades twice during constant load in each
// mix: by SIGHUP (fork-exec), then by starting a new process by hand
// (which inherits the running config: inherit_old_mosnconfig). No
// request fails, every response is right, the old processes exit, and a
// keep-alive connection opened at the start is served by each new
// process in turn.
func TestHotUpgradeUnderLoad(t *testing.T) {
	bin, _ := buildBinary(t)
	for _, mix := range []loadMix{keepAlive, newConn, postBody, h2Prior} {
		t.Run(mix.String(), func(t *testing.T) {
			e := newUpgradeEnv(t, bin)
			a := e.start(t, e.cfg)
			pidA := e.waitPid(t, 0)
			waitFor(t, 10*time.Second, "the listener", func() bool {
				c, err := net.Dial("tcp", e.addr)
				if err == nil {
					c.Close()
				}
				return err == nil
			})
			raw := dialRaw(t, e.addr)
			raw.get(t, 1)
			stop := startLoad(e.addr, mix, 1000)

			time.Sleep(500 * time.Millisecond)
			sent := time.Now()
			a.cmd.Process.Signal(syscall.SIGHUP)
			pidB := e.waitPid(t, pidA)
			select {
			case err := <-a.exited:
				if err != nil {
					t.Fatalf("old process after SIGHUP upgrade: %v", err)
				}
			case <-time.After(testGraceful + 2*time.Second):
				t.Fatal("old process did not exit after the SIGHUP upgrade")
			}
			if d := time.Since(sent); d > testGraceful {
				t.Fatalf("old process took %s to exit", d)
			}
			raw.get(t, 2)
			if !ownerOf(t, pidB, raw.c) {
				t.Fatalf("the long-lived connection is not served by the new process %d", pidB)
			}

			time.Sleep(300 * time.Millisecond)
			inheritCfg := filepath.Join(e.dir, "inherit.json")
			e.writeConfig(t, inheritCfg, "file-of-c", `"inherit_old_mosnconfig": true`)
			sent = time.Now()
			c := e.start(t, inheritCfg)
			pidC := e.waitPid(t, pidB)
			waitGone(t, pidB, sent)
			raw.get(t, 3)
			if !ownerOf(t, pidC, raw.c) {
				t.Fatalf("the long-lived connection is not served by the second new process %d", pidC)
			}
			time.Sleep(300 * time.Millisecond)
			res := stop()
			t.Logf("%s: %s", mix, res)
			if res.failed.Load() != 0 || res.ok.Load() < 300 {
				t.Fatalf("load during two upgrades: %s", res)
			}
			if res.gens["file-of-c"] != 0 || res.gens["1"] != res.ok.Load() {
				t.Fatalf("inherit_old_mosnconfig: responses by config generation %v, want all from the old config", res.gens)
			}
			c.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-c.exited:
			case <-time.After(testGraceful + 2*time.Second):
				t.Fatal("the last process did not stop on SIGTERM")
			}
			if t.Failed() {
				b, _ := os.ReadFile(e.log)
				t.Logf("log:\n%s", b)
			}
		})
	}
}
