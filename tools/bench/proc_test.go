package main

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func needSh(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
}

// alive reports whether a process with the id exists (and is not a zombie).
func alive(pid int) bool {
	s, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(s), ')')
	return i > 0 && !strings.HasPrefix(string(s[i+2:]), "Z")
}

// TestStopKillsGroup starts a shell that forks a child, as nginx's master
// does, and checks that stopping the leader also ends the child.
func TestStopKillsGroup(t *testing.T) {
	needSh(t)
	ps := newProcs(false, nil)
	t.Cleanup(ps.StopAll)
	w := newLineWatcher("CHILD ")
	// The shell ignores SIGTERM so that Stop must escalate to SIGKILL.
	p, err := ps.Start(Spec{Name: "sh", Argv: []string{"sh", "-c", `trap "" TERM; sleep 60 & echo CHILD $!; wait`}, Stdout: w})
	if err != nil {
		t.Fatal(err)
	}
	line, err := w.wait(p, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	child, _ := strconv.Atoi(line)
	if !alive(child) {
		t.Fatalf("child %d not running", child)
	}
	start := time.Now()
	p.Stop(200 * time.Millisecond)
	if !p.Exited() {
		t.Fatal("leader still running after Stop")
	}
	if time.Since(start) > 3*time.Second {
		t.Errorf("Stop took %v", time.Since(start))
	}
	deadline := time.Now().Add(2 * time.Second)
	for alive(child) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if alive(child) {
		syscall.Kill(child, syscall.SIGKILL)
		t.Errorf("child %d survived its group's stop", child)
	}
}

func TestRun(t *testing.T) {
	needSh(t)
	ps := newProcs(false, nil)
	t.Cleanup(ps.StopAll)
	out, err := ps.Run(context.Background(), Spec{Name: "echo", Argv: []string{"sh", "-c", "echo hello; echo oops >&2"}}, 5*time.Second)
	if err != nil || strings.TrimSpace(string(out)) != "hello" {
		t.Errorf("Run = %q, %v", out, err)
	}
	_, err = ps.Run(context.Background(), Spec{Name: "fail", Argv: []string{"sh", "-c", "echo broken config >&2; exit 3"}}, 5*time.Second)
	if err == nil || !strings.Contains(err.Error(), "exit status 3") || !strings.Contains(err.Error(), "broken config") {
		t.Errorf("failing Run error = %v, want the exit status and stderr", err)
	}
	start := time.Now()
	_, err = ps.Run(context.Background(), Spec{Name: "slow", Argv: []string{"sleep", "60"}}, 200*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "still running") || time.Since(start) > 5*time.Second {
		t.Errorf("slow Run error = %v after %v", err, time.Since(start))
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	if _, err = ps.Run(ctx, Spec{Name: "cancelled", Argv: []string{"sleep", "60"}}, time.Minute); err != context.Canceled {
		t.Errorf("cancelled Run error = %v", err)
	}
	if len(ps.procs) != 0 {
		t.Errorf("%d processes still registered after Run", len(ps.procs))
	}
}

func TestStartPinned(t *testing.T) {
	if _, err := exec.LookPath("taskset"); err != nil {
		t.Skip("taskset not installed")
	}
	ps := newProcs(true, nil)
	t.Cleanup(ps.StopAll)
	out, err := ps.Run(context.Background(), Spec{Name: "grep", Argv: []string{"grep", "Cpus_allowed_list", "/proc/self/status"}, CPU: 0}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if f := strings.Fields(string(out)); len(f) != 2 || f[1] != "0" {
		t.Errorf("pinned process status: %q, want Cpus_allowed_list 0", out)
	}
}

func TestLineWatcher(t *testing.T) {
	w := newLineWatcher("LISTEN ")
	w.Write([]byte("noise\nLIST"))
	w.Write([]byte("EN 127.0.0.1:5\r\nmore"))
	select {
	case got := <-w.lines:
		if got != "127.0.0.1:5" {
			t.Errorf("line = %q", got)
		}
	default:
		t.Fatal("no line")
	}
	select {
	case got := <-w.lines:
		t.Errorf("unexpected line %q", got)
	default:
	}
}

func TestTailBuffer(t *testing.T) {
	tb := &tailBuffer{max: 8}
	tb.Write([]byte("0123456789"))
	tb.Write([]byte("ab"))
	if got := tb.String(); got != "456789ab" {
		t.Errorf("tail = %q", got)
	}
}
