package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// errHelp is returned by parseOptions after printing the usage for -h.
var errHelp = errors.New("help requested")

// maxRun bounds one load run: -duration plus the load generator's own
// start-up must stay under it.
const maxRun = 20 * time.Second

// Options are the harness's flags; see tools/README.md for each one.
type Options struct {
	// Rounds is how many times each target runs each scenario (A B C A B C ...).
	Rounds int
	// Duration is the length of one measured run.
	Duration time.Duration
	// Warmup is an unmeasured run per target and scenario before round 1;
	// 0 means none.
	Warmup time.Duration
	// Scenarios selects scenario groups or IDs; empty means every scenario.
	Scenarios []string
	// Targets selects the built-in targets (mosn, nginx, haproxy).
	Targets []string
	// Extra are other proxies: name and command-line template.
	Extra []ExtraTarget
	// Rate is the fixed request rate of the "rate" scenario, requests/s.
	Rate int
	// IdleConns is how many idle keep-alive connections the "idle" scenario opens.
	IdleConns int
	// Report is the Markdown file whose marked section is replaced, relative
	// to Root unless absolute; empty writes no file.
	Report string
	// ImgDir is where the PNG plots go, relative to Root unless absolute.
	ImgDir string
	// Root is the repository root (the directory holding go.work); empty
	// means found from the working directory.
	Root string
	// Mosn is a prebuilt proxy binary; empty means build ./distro/cmd/mosn.
	Mosn string
	// ProxyCPU and LoadCPU are the CPUs the proxy and the load side are pinned to.
	ProxyCPU, LoadCPU int
	// Install allows apt-get install of missing Debian packages.
	Install bool
	// Smoke is the short CI mode: one round, our proxy only, no files written.
	Smoke bool
	// Keep leaves the work directory (configs, logs) in place.
	Keep bool
	// Verbose logs every process the harness starts.
	Verbose bool
	// Args are the arguments as given, for the report's command line.
	Args []string
}

// ExtraTarget is a proxy named on the command line with -extra name=template.
type ExtraTarget struct {
	Name     string
	Template string
}

// extraFlag collects repeated -extra flags.
type extraFlag struct{ list *[]ExtraTarget }

// String returns the flags given, for flag's usage output.
func (f extraFlag) String() string {
	if f.list == nil {
		return ""
	}
	var parts []string
	for _, e := range *f.list {
		parts = append(parts, e.Name+"="+e.Template)
	}
	return strings.Join(parts, " ")
}

// Set adds one name=template.
func (f extraFlag) Set(s string) error {
	name, tmpl, ok := strings.Cut(s, "=")
	name = strings.TrimSpace(name)
	if !ok || name == "" || strings.TrimSpace(tmpl) == "" {
		return fmt.Errorf("want name=command-template, got %q", s)
	}
	if !validName(name) {
		return fmt.Errorf("name %q: use letters, digits, '-' and '_'", name)
	}
	*f.list = append(*f.list, ExtraTarget{Name: name, Template: tmpl})
	return nil
}

func validName(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return s != ""
}

// builtinTargets are the targets the harness knows how to configure, in
// report order.
var builtinTargets = []string{"mosn", "nginx", "haproxy"}

// parseOptions parses the harness flags. Smoke mode overrides rounds,
// duration, targets, scenarios, rate and report unless they were set.
func parseOptions(args []string, stderr io.Writer) (*Options, error) {
	o := &Options{Args: args}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.Rounds, "rounds", 3, "rounds per scenario (targets interleaved in each round)")
	fs.DurationVar(&o.Duration, "duration", 5*time.Second, "length of one measured run (at most 15s)")
	fs.DurationVar(&o.Warmup, "warmup", time.Second, "unmeasured run per target and scenario before round 1 (0: none)")
	scen := fs.String("scenarios", "all", "comma-separated scenario groups or IDs: "+strings.Join(scenarioGroups(), ","))
	targets := fs.String("targets", strings.Join(builtinTargets, ","), "comma-separated built-in targets")
	fs.Var(extraFlag{&o.Extra}, "extra", "another proxy: name=command-template (repeatable; see README for {listen} etc.)")
	fs.IntVar(&o.Rate, "rate", 5000, "requests/s of the fixed-rate scenario")
	fs.IntVar(&o.IdleConns, "idle-conns", 10000, "idle keep-alive connections of the idle-memory scenario")
	fs.StringVar(&o.Report, "report", "docs/benchmarks.md", "Markdown file to write the report into, between the bench markers (empty: none)")
	fs.StringVar(&o.ImgDir, "img", "docs/img", "directory for the PNG plots")
	fs.StringVar(&o.Root, "root", "", "repository root (default: the directory holding go.work above the working directory)")
	fs.StringVar(&o.Mosn, "mosn", "", "prebuilt mosn binary (default: go build ./distro/cmd/mosn)")
	fs.IntVar(&o.ProxyCPU, "proxy-cpu", 0, "CPU the proxy under test is pinned to")
	fs.IntVar(&o.LoadCPU, "load-cpu", 1, "CPU the origins and load generators are pinned to")
	fs.BoolVar(&o.Install, "install", true, "apt-get install missing Debian packages (nginx, haproxy, wrk, nghttp2-client, libnginx-mod-stream)")
	fs.BoolVar(&o.Smoke, "smoke", false, "CI mode: one 2s round, mosn only, http1-c50-128 and the rate scenario at -rate 2000; prints the table, writes nothing")
	fs.BoolVar(&o.Keep, "keep", false, "keep the work directory (configs and logs) and print its path")
	fs.BoolVar(&o.Verbose, "v", false, "log every process started and stopped")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: go run ./tools/bench [flags]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, errHelp
		}
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if o.Smoke {
		if !set["rounds"] {
			o.Rounds = 1
		}
		if !set["duration"] {
			o.Duration = 2 * time.Second
		}
		if !set["warmup"] {
			o.Warmup = 500 * time.Millisecond
		}
		if !set["targets"] {
			*targets = "mosn"
		}
		if !set["scenarios"] {
			*scen = "http1-c50-128,rate"
		}
		if !set["rate"] {
			o.Rate = 2000
		}
		if !set["report"] {
			o.Report = ""
		}
	}
	o.Scenarios = splitList(*scen)
	o.Targets = splitList(*targets)
	return o, o.validate()
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// validate checks the options against each other and the known names.
func (o *Options) validate() error {
	switch {
	case o.Rounds < 1:
		return fmt.Errorf("-rounds: must be at least 1, got %d", o.Rounds)
	case o.Duration < 500*time.Millisecond || o.Duration > 15*time.Second:
		return fmt.Errorf("-duration: must be between 500ms and 15s, got %s", o.Duration)
	case o.Warmup < 0 || o.Warmup > 5*time.Second:
		return fmt.Errorf("-warmup: must be between 0 and 5s, got %s", o.Warmup)
	case o.Rate < 1 || o.Rate > 200000:
		return fmt.Errorf("-rate: must be between 1 and 200000, got %d", o.Rate)
	case o.IdleConns < 1 || o.IdleConns > 50000:
		return fmt.Errorf("-idle-conns: must be between 1 and 50000, got %d", o.IdleConns)
	case o.ProxyCPU < 0 || o.LoadCPU < 0:
		return errors.New("-proxy-cpu, -load-cpu: must not be negative")
	}
	if o.Report != "" && !strings.HasSuffix(o.Report, ".md") {
		return fmt.Errorf("-report: want a Markdown file, got %q", o.Report)
	}
	for _, t := range o.Targets {
		if !slices.Contains(builtinTargets, t) {
			return fmt.Errorf("-targets: unknown target %q (known: %s; use -extra for others)", t, strings.Join(builtinTargets, ", "))
		}
	}
	seen := map[string]bool{}
	for _, t := range o.Targets {
		seen[t] = true
	}
	for _, e := range o.Extra {
		if seen[e.Name] || slices.Contains(builtinTargets, e.Name) {
			return fmt.Errorf("-extra: name %q is already a target", e.Name)
		}
		seen[e.Name] = true
	}
	if len(seen) == 0 {
		return errors.New("-targets: no target selected")
	}
	if _, err := selectScenarios(o.Scenarios, o); err != nil {
		return err
	}
	return nil
}
