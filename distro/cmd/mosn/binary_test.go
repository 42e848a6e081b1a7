package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// buildBinary builds the mosn binary into a temporary directory.
func buildBinary(t *testing.T) (bin, dir string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	dir = t.TempDir()
	bin = filepath.Join(dir, "mosn")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatalf("go build: %v", err)
	}
	return bin, dir
}

// defaultConfigFile writes the embedded default config with its fixed
// ports replaced by free ones, plus any extra replacements (old, new
// pairs).
func defaultConfigFile(t *testing.T, dir string, front, back, admin int, extra ...string) string {
	t.Helper()
	pairs := append([]string{"2045", strconv.Itoa(front), "2046", strconv.Itoa(back), "34901", strconv.Itoa(admin)}, extra...)
	text := strings.NewReplacer(pairs...).Replace(string(mustRead(t, "../../../core/config/default.json")))
	path := filepath.Join(dir, "config.json")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// process is a running mosn binary: its stdout lines and its exit.
type process struct {
	cmd    *exec.Cmd
	lines  chan string
	exited chan error
	seen   []string
}

func startBinary(t *testing.T, bin string, args ...string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(bin, args...), lines: make(chan string, 64), exited: make(chan error, 1)}
	stdout, _ := p.cmd.StdoutPipe()
	p.cmd.Stderr = os.Stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exited <- p.cmd.Wait() }()
	t.Cleanup(func() { p.cmd.Process.Kill() })
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
	}()
	return p
}

// waitLine reads stdout until a line contains substr (10 s at most).
func (p *process) waitLine(t *testing.T, substr string) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				t.Fatalf("mosn exited before printing %q: %v", substr, p.seen)
			}
			p.seen = append(p.seen, l)
			if strings.Contains(l, substr) {
				return
			}
		case <-timeout:
			t.Fatalf("no line with %q: %v", substr, p.seen)
		}
	}
}

// waitExit waits for a clean exit (15 s at most).
func (p *process) waitExit(t *testing.T, after string) {
	t.Helper()
	select {
	case err := <-p.exited:
		if err != nil {
			t.Fatalf("exit after %s: %v", after, err)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("mosn did not exit after %s", after)
	}
}
