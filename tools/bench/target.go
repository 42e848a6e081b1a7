package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/seed405ffdea/mosn/tools/internal/loadgen"
)

// Target is one proxy under test. It runs for the whole benchmark with a
// listener per feature it supports, pinned to the proxy CPU.
type Target struct {
	// Name labels it in the report: mosn, nginx, haproxy or an -extra name.
	Name string
	// Kind selects its capabilities and config: mosn, nginx, haproxy, extra.
	Kind string
	// Listen are its listeners.
	Listen Listeners
	// Version is what the proxy says about itself.
	Version string
	// Command is how it was started, for the report.
	Command string
	// RSSStart is the proxy's resident memory once it first answered,
	// before any load.
	RSSStart int64
	// Unavailable says why it could not be started; every scenario then
	// reports it instead of figures.
	Unavailable string
	// missing says, per supported feature left unconfigured, why.
	missing map[Feature]string
	proc    *Proc
}

// naReason returns why s is not measured on t, or "" when it is.
func (e *Env) naReason(s Scenario, t *Target) string {
	switch {
	case t.Unavailable != "":
		return "n/a (" + t.Unavailable + ")"
	case !supports(t.Kind, s.Needs):
		return "n/a (not supported)"
	case t.Listen[s.Needs] == "":
		if why := t.missing[s.Needs]; why != "" {
			return "n/a (" + why + ")"
		}
		return "n/a (not configured)"
	case s.Tool != "" && e.Missing[s.Tool] != "":
		return "n/a (" + e.Missing[s.Tool] + ")"
	}
	return ""
}

// Alive reports whether the proxy is still running.
func (t *Target) Alive() bool { return t.proc != nil && !t.proc.Exited() }

// pids returns the processes whose CPU and memory count as the proxy's:
// nginx's worker (the master only supervises), the process itself for
// mosn and HAProxy (-db: no master), the whole process tree for -extra.
func (t *Target) pids() ([]int, error) {
	if !t.Alive() {
		if t.proc != nil {
			// Crashed: say how, with the tail of its stderr.
			return nil, t.proc.ExitError()
		}
		return nil, fmt.Errorf("%s: not running", t.Name)
	}
	pid := t.proc.PID()
	switch t.Kind {
	case "nginx":
		kids, err := children(pid)
		if err != nil {
			return nil, err
		}
		if len(kids) != 1 {
			return nil, fmt.Errorf("nginx: want one worker process, found %d", len(kids))
		}
		return kids, nil
	case "extra":
		return descendants(pid), nil
	}
	return []int{pid}, nil
}

// CPU returns the user plus system CPU time the proxy has used.
func (t *Target) CPU() (time.Duration, error) {
	pids, err := t.pids()
	if err != nil {
		return 0, err
	}
	var sum time.Duration
	for _, p := range pids {
		s, err := readStat(p)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", t.Name, err)
		}
		sum += s.CPU()
	}
	return sum, nil
}

// RSS returns the proxy's resident memory in bytes.
func (t *Target) RSS() (int64, error) {
	pids, err := t.pids()
	if err != nil {
		return 0, err
	}
	var sum int64
	for _, p := range pids {
		n, err := readRSS(p)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", t.Name, err)
		}
		sum += n
	}
	return sum, nil
}

// startAttempts is how often a target is started with fresh ports when
// it fails to bind one (another process took a released port meanwhile).
const startAttempts = 3

// startTarget configures and starts one proxy and waits until it answers.
// features are the features the selected scenarios need.
func startTarget(e *Env, name, kind string, extra *ExtraTarget, features []Feature) (*Target, error) {
	t := &Target{Name: name, Kind: kind, missing: map[Feature]string{}}
	dir := filepath.Join(e.Dir, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var lastErr error
	for attempt := 1; attempt <= startAttempts; attempt++ {
		t.Listen = Listeners{}
		for _, f := range features {
			if !supports(kind, f) {
				continue
			}
			if kind == "nginx" && f == FeatTCP && e.StreamModule == "" {
				t.missing[f] = "nginx stream module missing"
				continue
			}
			addr, err := e.Ports.addr()
			if err != nil {
				return nil, err
			}
			t.Listen[f] = addr
		}
		if t.Listen[FeatHTTP1] == "" {
			// Every target gets the HTTP/1 listener: it is the readiness check.
			addr, err := e.Ports.addr()
			if err != nil {
				return nil, err
			}
			t.Listen[FeatHTTP1] = addr
		}
		pc := proxyConfig{Dir: dir, Listen: t.Listen, Up: e.Up, TLS: e.TLS, StreamModule: e.StreamModule, MaxConns: e.Opts.IdleConns + 1024, NoFile: e.NoFile}
		spec, err := targetSpec(e, t, extra, pc)
		if err != nil {
			return nil, err
		}
		t.Command = strings.Join(spec.Argv, " ")
		p, err := e.Procs.Start(spec)
		if err != nil {
			return nil, err
		}
		t.proc = p
		if lastErr = waitReady(t, 15*time.Second); lastErr == nil {
			t.RSSStart, lastErr = t.RSS()
			if lastErr == nil {
				return t, nil
			}
		}
		e.Procs.Stop(p)
		t.proc = nil
		if !isBindError(lastErr) {
			break
		}
	}
	return nil, lastErr
}

// targetSpec writes the target's config and returns how to start it.
func targetSpec(e *Env, t *Target, extra *ExtraTarget, pc proxyConfig) (Spec, error) {
	spec := Spec{Name: t.Name, CPU: e.Opts.ProxyCPU, Dir: pc.Dir}
	write := func(file string, data []byte) (string, error) {
		p := filepath.Join(pc.Dir, file)
		return p, os.WriteFile(p, data, 0o644)
	}
	switch t.Kind {
	case "mosn":
		cfg, err := mosnConfig(pc)
		if err != nil {
			return spec, err
		}
		path, err := write("mosn.json", cfg)
		if err != nil {
			return spec, err
		}
		spec.Argv = []string{e.Mosn, "start", "-c", path}
		spec.Env = []string{"GOMAXPROCS=1"}
		// SIGINT stops at once; SIGTERM would drain.
		spec.StopSignal = syscall.SIGINT
	case "nginx":
		cfg, err := nginxConfig(pc)
		if err != nil {
			return spec, err
		}
		path, err := write("nginx.conf", []byte(cfg))
		if err != nil {
			return spec, err
		}
		// -e: no default error log is opened before the config is read.
		spec.Argv = []string{"nginx", "-p", pc.Dir, "-e", "stderr", "-c", path}
	case "haproxy":
		cfg, err := haproxyConfig(pc)
		if err != nil {
			return spec, err
		}
		path, err := write("haproxy.cfg", []byte(cfg))
		if err != nil {
			return spec, err
		}
		// -db: foreground, one process, no master.
		spec.Argv = []string{"haproxy", "-db", "-f", path}
	case "extra":
		cmd, err := expandTemplate(extra.Template, pc)
		if err != nil {
			return spec, err
		}
		spec.Argv = []string{"/bin/sh", "-c", "exec " + cmd}
		spec.Env = []string{"GOMAXPROCS=1"}
	default:
		return spec, fmt.Errorf("target %q: unknown kind %q", t.Name, t.Kind)
	}
	return spec, nil
}

// waitReady waits until every listener of t accepts connections and one
// HTTP/1 request through it succeeds, or the proxy exits.
func waitReady(t *Target, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for _, f := range t.Listen.features() {
		addr := t.Listen[f]
		for {
			if t.proc.Exited() {
				return t.proc.ExitError()
			}
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err == nil {
				c.Close()
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s: %s listener %s not accepting after %s: %v", t.Name, f, addr, timeout, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if t.Kind == "nginx" {
		for {
			if _, err := t.pids(); err == nil {
				break
			}
			if t.proc.Exited() || time.Now().After(deadline) {
				return fmt.Errorf("nginx: no worker process: %v", t.proc.ExitError())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if err := loadgen.CheckHTTP1(t.Listen[FeatHTTP1], "/128"); err != nil {
		if t.proc.Exited() {
			return t.proc.ExitError()
		}
		return fmt.Errorf("%s: GET /128 on %s: %w", t.Name, t.Listen[FeatHTTP1], err)
	}
	return nil
}

// isBindError reports whether a start failure looks like a lost port race.
func isBindError(err error) bool {
	if err == nil {
		return false
	}
	s := strings.ToLower(err.Error())
	return errors.Is(err, syscall.EADDRINUSE) || strings.Contains(s, "address already in use") ||
		strings.Contains(s, "address in use") || strings.Contains(s, "cannot bind")
}
