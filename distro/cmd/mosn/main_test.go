package main

import (
	"bufio"
	"bytes"
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

func TestValidateAndVersion(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte(`
servers:
  - routers:
      - router_config_name: r
        virtual_hosts:
          - name: v
            domains: ["*"]
            routers:
              - match: {prefix: /}
                direct_response: {status: 200, body: hi}
    listeners:
      - name: l
        address: 127.0.0.1:0
        bind_port: true
        filter_chains:
          - filters:
              - type: proxy
                config: {downstream_protocol: Http1, router_config_name: r}
`), 0o644)
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"servers":[{"listners":[]}]}`), 0o644)

	var out, errb bytes.Buffer
	if code := run([]string{"validate", "-c", good}, &out, &errb); code != 0 || !strings.Contains(out.String(), "ok") {
		t.Fatalf("validate good: %d %q %q", code, out.String(), errb.String())
	}
	out.Reset()
	errb.Reset()
	if code := run([]string{"validate", "-c", bad}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "servers[0].listners: unknown field") {
		t.Fatalf("validate bad: %d %q", code, errb.String())
	}
	out.Reset()
	if code := run([]string{"version"}, &out, &errb); code != 0 || !strings.HasPrefix(out.String(), "mosn ") {
		t.Fatalf("version: %q", out.String())
	}
	if code := run([]string{"start", "-f", "nosuch=true"}, &out, &errb); code != 1 {
		t.Fatal("unknown feature gate accepted")
	}
	if code := run([]string{"frobnicate"}, &out, &errb); code != 2 {
		t.Fatal("unknown command accepted")
	}
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestStartServesAndDrainsOnSIGTERM runs the real binary the way a user
// does: start from a config, serve a request through two hops, stop on
// SIGTERM with exit status 0 and the pid file removed.
func TestStartServesAndDrainsOnSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "mosn")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatalf("go build: %v", err)
	}
	front, back, admin := freePort(t), freePort(t), freePort(t)
	text := strings.NewReplacer("2045", strconv.Itoa(front), "2046", strconv.Itoa(back), "34901", strconv.Itoa(admin)).
		Replace(string(mustRead(t, "../../../core/config/default.json")))
	cfgPath := filepath.Join(dir, "config.json")
	os.WriteFile(cfgPath, []byte(text), 0o644)
	pidPath := filepath.Join(dir, "mosn.pid")

	cmd := exec.Command(bin, "start", "-c", cfgPath, "--pid-file", pidPath, "-l", "WARN")
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })

	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var banner []string
	timeout := time.After(10 * time.Second)
	for ready := false; !ready; {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("mosn exited early: %v", banner)
			}
			banner = append(banner, l)
			ready = strings.Contains(l, "admin")
		case <-timeout:
			t.Fatalf("no start banner: %v", banner)
		}
	}
	if !strings.Contains(strings.Join(banner, "\n"), "127.0.0.1:"+strconv.Itoa(front)) {
		t.Fatalf("banner does not say where it listens: %v", banner)
	}
	pid, err := os.ReadFile(pidPath)
	if err != nil || strings.TrimSpace(string(pid)) != strconv.Itoa(cmd.Process.Pid) {
		t.Fatalf("pid file: %q %v", pid, err)
	}
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://127.0.0.1:" + strconv.Itoa(front) + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(body) == 0 {
		t.Fatalf("%d %q", resp.StatusCode, body)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("mosn did not exit after SIGTERM")
	}
	if _, err := os.Stat(pidPath); !os.IsNotExist(err) {
		t.Fatal("pid file left behind")
	}
}

func mustRead(t *testing.T, path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
