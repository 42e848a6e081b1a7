package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// stopGrace is how long a process gets between the stop signal and SIGKILL.
const stopGrace = 3 * time.Second

// Spec describes a process to start.
type Spec struct {
	// Name labels the process in logs and errors.
	Name string
	// Argv is the command and its arguments.
	Argv []string
	// CPU pins the process with taskset; -1 means not pinned.
	CPU int
	// Env is added to the harness's environment.
	Env []string
	// Dir is the working directory; empty means the harness's.
	Dir string
	// Stdout receives standard output; nil discards it.
	Stdout io.Writer
	// StopSignal is sent to the process group to stop it; 0 means SIGTERM.
	StopSignal syscall.Signal
}

// Proc is a process the harness started. It leads its own process group,
// so stopping it also stops whatever it forked (nginx's worker).
type Proc struct {
	Name    string
	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error
	stderr  *tailBuffer
	stopSig syscall.Signal
}

// PID returns the process id, which is also its process group id.
func (p *Proc) PID() int { return p.cmd.Process.Pid }

// Done is closed when the process has exited and been reaped.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Exited reports whether the process has exited.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// ExitError describes how the process ended, with the tail of its stderr.
func (p *Proc) ExitError() error {
	if !p.Exited() {
		return nil
	}
	msg := "exited"
	if p.waitErr != nil {
		msg = p.waitErr.Error()
	}
	if tail := strings.TrimSpace(p.stderr.String()); tail != "" {
		msg += ": " + tail
	}
	return fmt.Errorf("%s: %s", p.Name, msg)
}

// Stderr returns the last few KiB the process wrote to standard error.
func (p *Proc) Stderr() string { return p.stderr.String() }

// Stop signals the process group, waits up to grace for the leader to
// exit, then kills the whole group and waits for the leader to be reaped.
// Stopping an exited process only sweeps its group.
func (p *Proc) Stop(grace time.Duration) {
	pgid := p.PID()
	if !p.Exited() {
		_ = syscall.Kill(-pgid, p.stopSig)
		select {
		case <-p.done:
		case <-time.After(grace):
		}
	}
	// Children that outlive the leader (nginx's worker) are in its group.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	<-p.done
}

// Procs starts processes and remembers them, so that every process the
// harness started is stopped, by its own id, on success, error and Ctrl-C.
type Procs struct {
	mu    sync.Mutex
	procs []*Proc
	// pin is false when taskset is unusable; Spec.CPU is then ignored.
	pin bool
	log io.Writer
}

// newProcs returns an empty process set. log, when non-nil, gets a line per
// start and stop.
func newProcs(pin bool, log io.Writer) *Procs {
	return &Procs{pin: pin, log: log}
}

// Start starts the process described by s.
func (ps *Procs) Start(s Spec) (*Proc, error) {
	if len(s.Argv) == 0 {
		return nil, fmt.Errorf("proc: %s: empty command", s.Name)
	}
	argv := s.Argv
	if ps.pin && s.CPU >= 0 {
		argv = append([]string{"taskset", "-c", strconv.Itoa(s.CPU)}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = s.Dir
	cmd.Env = append(os.Environ(), s.Env...)
	tail := &tailBuffer{max: 4096}
	cmd.Stderr = tail
	cmd.Stdout = s.Stdout
	// Its own process group, so one kill reaches its children; SIGKILL if
	// the harness dies without cleaning up.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	// A grandchild holding our pipes must not block Wait forever.
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("proc: start %s: %w", s.Name, err)
	}
	sig := s.StopSignal
	if sig == 0 {
		sig = syscall.SIGTERM
	}
	p := &Proc{Name: s.Name, cmd: cmd, done: make(chan struct{}), stderr: tail, stopSig: sig}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	ps.mu.Lock()
	ps.procs = append(ps.procs, p)
	ps.mu.Unlock()
	if ps.log != nil {
		fmt.Fprintf(ps.log, "bench: started %s (pid %d): %s\n", s.Name, p.PID(), strings.Join(argv, " "))
	}
	return p, nil
}

// Stop stops p and forgets it.
func (ps *Procs) Stop(p *Proc) {
	p.Stop(stopGrace)
	ps.mu.Lock()
	for i, q := range ps.procs {
		if q == p {
			ps.procs = append(ps.procs[:i], ps.procs[i+1:]...)
			break
		}
	}
	ps.mu.Unlock()
	if ps.log != nil {
		fmt.Fprintf(ps.log, "bench: stopped %s (pid %d)\n", p.Name, p.PID())
	}
}

// StopAll stops every process still running, newest first, concurrently
// bounded by stopGrace.
func (ps *Procs) StopAll() {
	ps.mu.Lock()
	procs := ps.procs
	ps.procs = nil
	ps.mu.Unlock()
	var wg sync.WaitGroup
	for i := len(procs) - 1; i >= 0; i-- {
		wg.Add(1)
		go func(p *Proc) {
			defer wg.Done()
			p.Stop(stopGrace)
		}(procs[i])
	}
	wg.Wait()
	if ps.log != nil && len(procs) > 0 {
		fmt.Fprintf(ps.log, "bench: stopped %d processes\n", len(procs))
	}
}

// Run starts s, waits until it exits or timeout passes or ctx ends, stops
// it, and returns what it wrote to standard output. A non-zero exit is an
// error carrying the tail of its standard error.
func (ps *Procs) Run(ctx context.Context, s Spec, timeout time.Duration) ([]byte, error) {
	var out bytes.Buffer
	s.Stdout = &lockedWriter{w: &out}
	p, err := ps.Start(s)
	if err != nil {
		return nil, err
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var runErr error
	select {
	case <-p.Done():
	case <-timer.C:
		runErr = fmt.Errorf("%s: still running after %s, stopped", s.Name, timeout)
	case <-ctx.Done():
		runErr = ctx.Err()
	}
	ps.Stop(p)
	if runErr == nil && p.waitErr != nil {
		runErr = p.ExitError()
	}
	return out.Bytes(), runErr
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, b...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(b), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// lockedWriter serialises writes; exec copies a pipe from its own goroutine.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// lineWatcher is a Writer that hands each complete line starting with
// prefix to a channel (dropping lines nobody is waiting for), for reading a
// child's "LISTEN" or "RESULT" line while it keeps running.
type lineWatcher struct {
	prefix string
	lines  chan string
	mu     sync.Mutex
	part   []byte
}

func newLineWatcher(prefix string) *lineWatcher {
	return &lineWatcher{prefix: prefix, lines: make(chan string, 4)}
}

func (l *lineWatcher) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.part = append(l.part, b...)
	for {
		i := bytes.IndexByte(l.part, '\n')
		if i < 0 {
			break
		}
		line := string(bytes.TrimRight(l.part[:i], "\r"))
		l.part = l.part[i+1:]
		if rest, ok := strings.CutPrefix(line, l.prefix); ok {
			select {
			case l.lines <- rest:
			default:
			}
		}
	}
	if len(l.part) > 1<<16 {
		l.part = l.part[:0]
	}
	return len(b), nil
}

// wait returns the next matching line, or an error when p exits or the
// timeout passes first.
func (l *lineWatcher) wait(p *Proc, timeout time.Duration) (string, error) {
	select {
	case s := <-l.lines:
		return s, nil
	case <-p.Done():
		select {
		case s := <-l.lines:
			return s, nil
		default:
		}
		return "", p.ExitError()
	case <-time.After(timeout):
		return "", fmt.Errorf("%s: no %q line after %s", p.Name, strings.TrimSpace(l.prefix), timeout)
	}
}

// errNotPinned is reported once when CPU pinning is unavailable.
var errNotPinned = errors.New("taskset not usable or fewer than 2 CPUs: processes are not pinned, figures are less comparable")
