package main

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"os"
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
	bin, dir := buildBinary(t)
	front, back, admin := freePort(t), freePort(t), freePort(t)
	cfgPath := defaultConfigFile(t, dir, front, back, admin)
	pidPath := filepath.Join(dir, "mosn.pid")
	p := startBinary(t, bin, "start", "-c", cfgPath, "--pid-file", pidPath, "-l", "WARN")
	p.waitLine(t, "admin")
	banner := p.seen
	cmd := p.cmd
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
	p.waitExit(t, "SIGTERM")
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
