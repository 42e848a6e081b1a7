package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/seed405ffdea/mosn/tools/internal/loadgen"
)

// Scenario is one kind of load, run against every target that has the
// feature it needs.
type Scenario struct {
	// ID names the scenario in flags, file names and the report.
	ID string
	// Group selects related scenarios together with -scenarios.
	Group string
	// Title describes it in the report.
	Title string
	// Needs is the feature a target must proxy.
	Needs Feature
	// Tool is the external program the scenario runs ("wrk", "h2load"),
	// empty when the harness generates the load itself.
	Tool string
	// Unit is what CPU time is divided by: "req", "MiB" or "handshake".
	Unit string
	// RateUnit labels the throughput: "rps", "MiB/s" or "handshakes/s".
	RateUnit string
	// Latency is true when the scenario measures latency percentiles.
	Latency bool
	// Memory marks the idle-memory scenario, which runs once per target
	// after the load scenarios instead of in rounds.
	Memory bool
	// Run drives one load run of length d through t.
	Run func(ctx context.Context, e *Env, t *Target, d time.Duration) (loadgen.Result, error)
}

// unitsOf converts a Result's Count into the scenario's Unit.
func (s Scenario) unitsOf(r loadgen.Result) float64 {
	if s.Unit == "MiB" {
		return float64(r.Count) / (1 << 20)
	}
	return float64(r.Count)
}

// allScenarios returns every scenario in run order; rate is the fixed-rate
// scenario's requests per second.
func allScenarios(o *Options) []Scenario {
	var s []Scenario
	s = append(s, http1Scenarios()...)
	s = append(s, rateScenario(o.Rate))
	s = append(s, h2cScenario(), grpcScenario(), tcpScenario())
	s = append(s, tlsScenarios()...)
	s = append(s, idleScenario(o.IdleConns))
	return s
}

// scenarioGroups lists the group names, for the usage text.
func scenarioGroups() []string {
	var out []string
	for _, s := range allScenarios(&Options{Rate: 5000, IdleConns: 10000}) {
		if !slices.Contains(out, s.Group) {
			out = append(out, s.Group)
		}
	}
	return out
}

// selectScenarios returns the scenarios named by groups or IDs, in run
// order; "all" selects every one.
func selectScenarios(names []string, o *Options) ([]Scenario, error) {
	all := allScenarios(o)
	want := map[string]bool{}
	for _, n := range names {
		if n == "all" {
			return all, nil
		}
		found := false
		for _, s := range all {
			if s.ID == n || s.Group == n {
				found = true
			}
		}
		if !found {
			var ids []string
			for _, s := range all {
				ids = append(ids, s.ID)
			}
			return nil, fmt.Errorf("-scenarios: unknown scenario %q (groups: %s; IDs: %s)", n,
				strings.Join(scenarioGroups(), ", "), strings.Join(ids, ", "))
		}
		want[n] = true
	}
	var out []Scenario
	for _, s := range all {
		if want[s.ID] || want[s.Group] {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("-scenarios: none selected")
	}
	return out, nil
}

// runSelf runs one of the harness's own load generators (a hidden
// subcommand of this binary) on the load CPU and parses its result.
func runSelf(ctx context.Context, e *Env, d time.Duration, gomaxprocs int, args ...string) (loadgen.Result, error) {
	spec := Spec{
		Name: "bench " + args[0],
		Argv: append([]string{e.Self}, args...),
		CPU:  e.Opts.LoadCPU,
		Env:  []string{fmt.Sprintf("GOMAXPROCS=%d", gomaxprocs)},
	}
	out, err := e.Procs.Run(ctx, spec, runTimeout(d))
	if err != nil {
		return loadgen.Result{}, err
	}
	return loadgen.ParseResult(out)
}
