package main

import (
	"context"
	"fmt"
	"time"

	"github.com/seed405ffdea/mosn/tools/internal/loadgen"
)

// cooldown separates runs, so that one target's closing connections and
// the load generator's exit do not overlap the next run.
const cooldown = 300 * time.Millisecond

// Measure is one run of a scenario through one target.
type Measure struct {
	// Round counts from 1.
	Round int
	// Result is what the load generator reported.
	Result loadgen.Result
	// CPU is the proxy's user+system CPU time during the run.
	CPU time.Duration
	// RSS is the proxy's resident memory right after the run.
	RSS int64
	// Err is why the run failed; the other fields are then not meaningful.
	Err string
}

// OK reports whether the run produced figures.
func (m Measure) OK() bool { return m.Err == "" }

// Rate is the throughput in the scenario's RateUnit.
func (m Measure) Rate(s Scenario) float64 {
	if m.Result.Seconds <= 0 {
		return 0
	}
	return s.unitsOf(m.Result) / m.Result.Seconds
}

// CPUPerUnit is the proxy's CPU microseconds per unit of work.
func (m Measure) CPUPerUnit(s Scenario) float64 {
	u := s.unitsOf(m.Result)
	if u <= 0 {
		return 0
	}
	return float64(m.CPU.Microseconds()) / u
}

// TargetOutcome is every run of one scenario through one target.
type TargetOutcome struct {
	// Target is the target's name.
	Target string
	// NA says why the scenario was not run on the target ("n/a (...)").
	NA string
	// Err is set when the warm-up failed, so no round was run.
	Err string
	// Runs are the rounds, in order.
	Runs []Measure
}

// Outcome is one scenario's results for every target.
type Outcome struct {
	Scenario Scenario
	Targets  []TargetOutcome
}

// progress is the "[k/n]" counter of runs printed on stderr.
type progress struct {
	done, total int
}

// runScenario runs s through every target that can take it: a warm-up
// per target, then Rounds rounds with the targets interleaved
// (A B C A B C ...), so that slow drifts of the machine's load hit every
// target alike.
func runScenario(ctx context.Context, e *Env, s Scenario, targets []*Target, pg *progress) (Outcome, error) {
	out := Outcome{Scenario: s}
	var active []int
	for _, t := range targets {
		to := TargetOutcome{Target: t.Name, NA: e.naReason(s, t)}
		out.Targets = append(out.Targets, to)
		if to.NA == "" {
			active = append(active, len(out.Targets)-1)
		}
	}
	if e.Opts.Warmup > 0 {
		var still []int
		for _, i := range active {
			t := targets[i]
			if _, err := s.Run(ctx, e, t, e.Opts.Warmup); err != nil {
				if ctx.Err() != nil {
					return out, ctx.Err()
				}
				out.Targets[i].Err = "warm-up: " + err.Error()
				fmt.Fprintf(e.Stderr, "bench: %s %s: %s\n", s.ID, t.Name, out.Targets[i].Err)
				pg.done += e.Opts.Rounds
				continue
			}
			still = append(still, i)
			sleepCtx(ctx, cooldown)
		}
		active = still
	}
	for round := 1; round <= e.Opts.Rounds; round++ {
		for _, i := range active {
			t := targets[i]
			m := measure(ctx, e, s, t, round)
			if ctx.Err() != nil {
				return out, ctx.Err()
			}
			out.Targets[i].Runs = append(out.Targets[i].Runs, m)
			pg.done++
			fmt.Fprintf(e.Stderr, "bench: [%d/%d] %s round %d %s: %s\n", pg.done, pg.total, s.ID, round, t.Name, m.summary(s))
			sleepCtx(ctx, cooldown)
		}
	}
	return out, nil
}

// measure runs s once through t and reads the proxy's CPU time around it.
func measure(ctx context.Context, e *Env, s Scenario, t *Target, round int) Measure {
	m := Measure{Round: round}
	cpu0, err := t.CPU()
	if err != nil {
		m.Err = err.Error()
		return m
	}
	r, err := s.Run(ctx, e, t, e.Opts.Duration)
	if err != nil {
		m.Err = err.Error()
		return m
	}
	cpu1, err := t.CPU()
	if err != nil {
		m.Err = err.Error()
		return m
	}
	m.Result, m.CPU = r, cpu1-cpu0
	if m.RSS, err = t.RSS(); err != nil {
		m.Err = err.Error()
	}
	return m
}

// summary is the one-line progress report of a run.
func (m Measure) summary(s Scenario) string {
	if !m.OK() {
		return "error: " + m.Err
	}
	line := fmt.Sprintf("%s %s", formatRate(m.Rate(s), s), s.RateUnit)
	if s.Latency {
		line += fmt.Sprintf(", p50 %s ms, p99 %s ms", ms(m.Result.P50), ms(m.Result.P99))
	}
	line += fmt.Sprintf(", %.2f CPU µs/%s", m.CPUPerUnit(s), s.Unit)
	if m.Result.Errors > 0 {
		line += fmt.Sprintf(", %d errors", m.Result.Errors)
	}
	return line
}

// sleepCtx sleeps for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
