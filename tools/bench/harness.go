package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/seed405ffdea/mosn/tools/internal/loadgen"
	"golang.org/x/sys/unix"
)

// Env is what the scenarios share during a run.
type Env struct {
	// Opts are the run's options.
	Opts *Options
	// Procs holds every process started.
	Procs *Procs
	// Ports hands out loopback ports.
	Ports *portAllocator
	// Dir is the run's work directory.
	Dir string
	// Self is this binary, re-executed for origins and load generators.
	Self string
	// Mosn is the proxy binary under test.
	Mosn string
	// WrkScript is the path of wrk's Lua hook.
	WrkScript string
	// Up are the origins.
	Up Upstreams
	// TLS is the run's certificate.
	TLS loadgen.TLSFiles
	// StreamModule is nginx's stream module, "" when absent.
	StreamModule string
	// NoFile is the descriptor limit every process runs with.
	NoFile int
	// Missing maps a missing tool's name to the reason shown in the report.
	Missing map[string]string
	// Stderr gets progress lines.
	Stderr io.Writer
}

// nofile is the descriptor limit the harness asks for; children inherit
// it (the idle scenario holds 10,000 connections on each side).
const nofile = 1 << 17

// runHarness runs the whole benchmark described by o.
func runHarness(ctx context.Context, o *Options, stdout, stderr io.Writer) (err error) {
	started := time.Now()
	machine := readMachine()
	root, err := findRoot(o.Root)
	if err != nil {
		return err
	}
	scen, err := selectScenarios(o.Scenarios, o)
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("cannot find own binary: %w", err)
	}
	nofile := raiseNofile(stderr)

	dir, err := os.MkdirTemp("", "mosn-bench-")
	if err != nil {
		return err
	}
	// The proxies' unprivileged workers read the certificate here.
	os.Chmod(dir, 0o755)
	if o.Keep {
		fmt.Fprintf(stderr, "bench: work directory %s (kept)\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}

	var plog io.Writer
	if o.Verbose {
		plog = stderr
	}
	pinned := canPin(o)
	if !pinned {
		fmt.Fprintln(stderr, "bench:", errNotPinned)
	}
	procs := newProcs(pinned, plog)
	// Every process started is stopped on every way out: success, error,
	// Ctrl-C (ctx ends, the running load is stopped, we return here).
	defer procs.StopAll()

	targetNames := slices.Clone(o.Targets)
	for _, x := range o.Extra {
		targetNames = append(targetNames, x.Name)
	}
	e := &Env{Opts: o, Procs: procs, Ports: &portAllocator{}, Dir: dir, Self: self, NoFile: nofile, Stderr: stderr}
	e.Missing = ensureInstalled(ctx, requirements(o.Targets, scen), o.Install, stderr)
	if _, err := os.Stat(nginxStreamModule); err == nil {
		e.StreamModule = nginxStreamModule
	}
	var notes []string
	for _, why := range e.Missing {
		notes = append(notes, why+": the scenarios that need it are reported as n/a.")
	}
	slices.Sort(notes)

	if slices.Contains(o.Targets, "mosn") {
		if e.Mosn, err = buildMosn(ctx, o, root, dir, stderr); err != nil {
			return err
		}
	}
	if e.WrkScript, err = writeWrkScript(dir); err != nil {
		return err
	}
	features := neededFeatures(scen)
	if slices.Contains(features, FeatTLS) {
		if e.TLS, err = loadgen.WriteSelfSigned(dir); err != nil {
			return err
		}
	}
	if e.Up, err = startOrigins(e, features); err != nil {
		return err
	}

	targets, err := startTargets(ctx, e, targetNames, features)
	if err != nil {
		return err
	}
	versions := collectVersions(e, root, targets)
	outcomes, mem, err := runScenarios(ctx, e, scen, targets)
	if err != nil {
		return err
	}
	procs.StopAll()
	machine.LoadEnd, _ = readLoadavg()

	info := ReportInfo{
		Command:  commandLine(o.Args),
		Date:     started,
		Wall:     time.Since(started),
		Machine:  machine,
		Versions: versions,
		Opts:     o,
		Targets:  targets,
		Pinned:   pinned,
		Notes:    notes,
	}
	if o.Smoke {
		fmt.Fprintf(stdout, "load average %s; %s\n\n%s", loadStr(machine.LoadStart), info.Wall.Round(time.Second), tables(outcomes, mem, o.IdleConns))
		return checkSmoke(outcomes, mem)
	}
	if o.Report != "" {
		if err := writeReport(info, root, outcomes, mem, stderr); err != nil {
			return err
		}
	}
	fmt.Fprint(stdout, tables(outcomes, mem, o.IdleConns))
	return nil
}

// writeReport writes the plots and the report's section of -report. A
// plot that fails is reported and left out; the report is still written.
func writeReport(info ReportInfo, root string, outcomes []Outcome, mem []MemOutcome, stderr io.Writer) error {
	report := abs(root, info.Opts.Report)
	imgDir := abs(root, info.Opts.ImgDir)
	files, err := writePlots(imgDir, outcomes)
	if err != nil {
		fmt.Fprintln(stderr, "bench: plots:", err)
	}
	info.Images = map[string]string{}
	for id, f := range files {
		info.Images[id] = relPath(report, filepath.Join(imgDir, f))
	}
	if err := writeSection(report, buildReport(info, outcomes, mem)); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "bench: report written into %s, %d plots into %s\n", report, len(files), imgDir)
	return nil
}

// tables renders the summary and idle-memory tables for standard output.
func tables(outcomes []Outcome, mem []MemOutcome, idleConns int) string {
	var b strings.Builder
	if len(outcomes) > 0 {
		writeSummaryTable(&b, outcomes)
	}
	if len(mem) > 0 {
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		writeMemTable(&b, mem, idleConns)
	}
	return b.String()
}

// startTargets starts every target, in report order. A target that does
// not start is reported as unavailable, except in smoke mode, where it
// fails the run.
func startTargets(ctx context.Context, e *Env, names []string, features []Feature) ([]*Target, error) {
	o := e.Opts
	var targets []*Target
	for _, name := range names {
		kind := name
		var extra *ExtraTarget
		for i := range o.Extra {
			if o.Extra[i].Name == name {
				kind, extra = "extra", &o.Extra[i]
			}
		}
		if e.Missing[kind] != "" {
			targets = append(targets, &Target{Name: name, Kind: kind, Unavailable: e.Missing[kind]})
			continue
		}
		t, err := startTarget(e, name, kind, extra, features)
		if err != nil {
			if o.Smoke || ctx.Err() != nil {
				return nil, err
			}
			fmt.Fprintf(e.Stderr, "bench: %s did not start: %v\n", name, err)
			targets = append(targets, &Target{Name: name, Kind: kind, Unavailable: "did not start: " + truncate(err.Error(), 120)})
			continue
		}
		targets = append(targets, t)
	}
	return targets, nil
}

// runScenarios runs the load scenarios in order, each in interleaved
// rounds, and the idle-memory scenario once per target.
func runScenarios(ctx context.Context, e *Env, scen []Scenario, targets []*Target) ([]Outcome, []MemOutcome, error) {
	pg := &progress{total: countRuns(e, scen, targets)}
	var outcomes []Outcome
	var mem []MemOutcome
	for _, s := range scen {
		if !s.Memory {
			oc, err := runScenario(ctx, e, s, targets, pg)
			if err != nil {
				return nil, nil, err
			}
			outcomes = append(outcomes, oc)
			continue
		}
		for _, t := range targets {
			if why := e.naReason(s, t); why != "" {
				mem = append(mem, MemOutcome{Target: t.Name, NA: why})
				continue
			}
			fmt.Fprintf(e.Stderr, "bench: idle memory %s: %d connections\n", t.Name, e.Opts.IdleConns)
			m := runIdle(ctx, e, t)
			if ctx.Err() != nil {
				return nil, nil, ctx.Err()
			}
			mem = append(mem, m)
			sleepCtx(ctx, cooldown)
		}
	}
	return outcomes, mem, nil
}

// neededFeatures returns the features the scenarios need, in allFeatures order.
func neededFeatures(scen []Scenario) []Feature {
	var out []Feature
	for _, f := range allFeatures {
		for _, s := range scen {
			if s.Needs == f {
				out = append(out, f)
				break
			}
		}
	}
	return out
}

// countRuns is the number of measured runs, for the progress counter.
func countRuns(e *Env, scen []Scenario, targets []*Target) int {
	n := 0
	for _, s := range scen {
		if s.Memory {
			continue
		}
		for _, t := range targets {
			if e.naReason(s, t) == "" {
				n += e.Opts.Rounds
			}
		}
	}
	return n
}

// findRoot returns dir, or the nearest directory above the working
// directory that holds go.work.
func findRoot(dir string) (string, error) {
	if dir != "" {
		return filepath.Abs(dir)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.work")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.work above %s: run from the repository or pass -root", wd)
		}
	}
}

func abs(root, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(root, p)
}

// buildMosn builds the proxy from the tree into dir, or checks -mosn.
func buildMosn(ctx context.Context, o *Options, root, dir string, stderr io.Writer) (string, error) {
	if o.Mosn != "" {
		p, err := filepath.Abs(o.Mosn)
		if err != nil {
			return "", err
		}
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("-mosn: %w", err)
		}
		return p, nil
	}
	// Not dir/mosn: that is the target's own directory.
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "bin", "mosn")
	fmt.Fprintln(stderr, "bench: go build -o", bin, "./distro/cmd/mosn")
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./distro/cmd/mosn")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("building mosn: %w\n%s", err, out)
	}
	return bin, nil
}

// canPin reports whether processes can be pinned to the two CPUs: taskset
// is there, and both CPUs are distinct and in the harness's own affinity
// mask (a container's cpuset may exclude CPU 0).
func canPin(o *Options) bool {
	if _, err := exec.LookPath("taskset"); err != nil || o.ProxyCPU == o.LoadCPU {
		return false
	}
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return false
	}
	return set.IsSet(o.ProxyCPU) && set.IsSet(o.LoadCPU)
}

// raiseNofile raises RLIMIT_NOFILE for the harness and its children, as
// far as the hard limit allows without CAP_SYS_RESOURCE, and returns the
// limit in force.
func raiseNofile(stderr io.Writer) int {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 1024
	}
	want := lim
	want.Cur, want.Max = max(lim.Cur, nofile), max(lim.Max, nofile)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err != nil {
		// Not root: go as far as the hard limit allows.
		want = syscall.Rlimit{Cur: lim.Max, Max: lim.Max}
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err != nil {
			fmt.Fprintln(stderr, "bench: cannot raise RLIMIT_NOFILE:", err)
		}
	}
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 1024
	}
	return int(min(lim.Cur, 1<<30))
}

// commandLine is the command that reproduces the run.
func commandLine(args []string) string {
	parts := []string{"go", "run", "./tools/bench"}
	for _, a := range args {
		parts = append(parts, shellQuote(a))
	}
	return strings.Join(parts, " ")
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,+@%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// figure is a named value checkSmoke asserts on.
type figure struct {
	name string
	v    float64
}

// checkSmoke asserts that every selected scenario completed on every
// target with non-zero figures. It does not judge speed.
func checkSmoke(outcomes []Outcome, mem []MemOutcome) error {
	var errs []error
	for _, oc := range outcomes {
		for _, sum := range summarize(oc) {
			where := oc.Scenario.ID + " " + sum.Target
			if why := sum.unavailable(); why != "" {
				errs = append(errs, fmt.Errorf("%s: %s", where, why))
				continue
			}
			if sum.Failed > 0 {
				errs = append(errs, fmt.Errorf("%s: %d failed rounds: %s", where, sum.Failed, sum.FirstErr))
			}
			checks := []figure{{"throughput", sum.Rate}, {"CPU per unit", sum.CPU}, {"RSS", sum.RSS}}
			if oc.Scenario.Latency {
				checks = append(checks, figure{"p50", sum.P50}, figure{"p99", sum.P99})
			}
			for _, c := range checks {
				if !(c.v > 0) {
					errs = append(errs, fmt.Errorf("%s: %s is %v", where, c.name, c.v))
				}
			}
		}
	}
	for _, m := range mem {
		if m.NA == "" && (m.Err != "" || m.RSSIdle <= 0) {
			errs = append(errs, fmt.Errorf("idle %s: %s", m.Target, firstNonEmpty(m.Err, "no RSS")))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("smoke check failed: %w", errors.Join(errs...))
	}
	return nil
}
