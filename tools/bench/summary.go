package main

import "github.com/seed405ffdea/mosn/tools/internal/loadgen"

// Ratio compares a target to a reference target (nginx or HAProxy): the
// median over rounds of the per-round ratio, each round's two runs having
// run back to back. Zero means no round had both figures.
type Ratio struct {
	// Rate is target throughput / reference throughput (higher is better).
	Rate float64
	// CPU is target CPU per unit / reference CPU per unit (lower is better).
	CPU float64
}

// Summary is one target's median figures for one scenario.
type Summary struct {
	// Target is the target's name.
	Target string
	// NA and Err say why there are no figures (see TargetOutcome).
	NA, Err string
	// Rounds is the number of successful runs; Failed the failed ones.
	Rounds, Failed int
	// Rate is the median throughput in the scenario's RateUnit.
	Rate float64
	// P50 and P99 are the median latency percentiles, µs.
	P50, P99 float64
	// CPU is the median CPU µs per unit.
	CPU float64
	// RSS is the median resident memory after a run, bytes.
	RSS float64
	// Errors is the total of failed requests in the successful runs.
	Errors int64
	// VsNginx and VsHAProxy compare to the reference targets.
	VsNginx, VsHAProxy Ratio
	// FirstErr is the first failed run's error.
	FirstErr string
}

// summarize reduces an outcome to one Summary per target.
func summarize(o Outcome) []Summary {
	s := o.Scenario
	var out []Summary
	for _, to := range o.Targets {
		sum := Summary{Target: to.Target, NA: to.NA, Err: to.Err}
		var rate, p50, p99, cpu, rss []float64
		for _, m := range to.Runs {
			if !m.OK() {
				sum.Failed++
				if sum.FirstErr == "" {
					sum.FirstErr = m.Err
				}
				continue
			}
			sum.Rounds++
			sum.Errors += m.Result.Errors
			rate = append(rate, m.Rate(s))
			p50 = append(p50, m.Result.P50)
			p99 = append(p99, m.Result.P99)
			cpu = append(cpu, m.CPUPerUnit(s))
			rss = append(rss, float64(m.RSS))
		}
		if sum.Rounds == 0 && sum.Err == "" && sum.NA == "" {
			sum.Err = sum.FirstErr
		}
		sum.Rate, sum.P50, sum.P99 = loadgen.Median(rate), loadgen.Median(p50), loadgen.Median(p99)
		sum.CPU, sum.RSS = loadgen.Median(cpu), loadgen.Median(rss)
		sum.VsNginx = Ratio{
			Rate: roundRatio(o, to.Target, "nginx", func(m Measure) float64 { return m.Rate(s) }),
			CPU:  roundRatio(o, to.Target, "nginx", func(m Measure) float64 { return m.CPUPerUnit(s) }),
		}
		sum.VsHAProxy = Ratio{
			Rate: roundRatio(o, to.Target, "haproxy", func(m Measure) float64 { return m.Rate(s) }),
			CPU:  roundRatio(o, to.Target, "haproxy", func(m Measure) float64 { return m.CPUPerUnit(s) }),
		}
		out = append(out, sum)
	}
	return out
}

// roundRatio is the median over rounds of f(target)/f(ref) for the rounds
// in which both runs succeeded; 0 when there is none.
func roundRatio(o Outcome, target, ref string, f func(Measure) float64) float64 {
	var t, r *TargetOutcome
	for i := range o.Targets {
		switch o.Targets[i].Target {
		case target:
			t = &o.Targets[i]
		case ref:
			r = &o.Targets[i]
		}
	}
	if t == nil || r == nil {
		return 0
	}
	byRound := map[int]Measure{}
	for _, m := range r.Runs {
		if m.OK() {
			byRound[m.Round] = m
		}
	}
	var ratios []float64
	for _, m := range t.Runs {
		rm, ok := byRound[m.Round]
		if !ok || !m.OK() {
			continue
		}
		if d := f(rm); d > 0 {
			ratios = append(ratios, f(m)/d)
		}
	}
	return loadgen.Median(ratios)
}
