package main

import (
	"context"
	"fmt"
	"time"

	"github.com/seed405ffdea/mosn/tools/internal/loadgen"
)

// idleSettle is how long the idle connections are left alone before the
// proxy's RSS is read, so that per-connection buffers a proxy frees when a
// connection goes idle are freed.
const idleSettle = 3 * time.Second

// idleScenario measures memory: the proxy's RSS after all the load, then
// with n idle keep-alive connections that have each carried one request.
func idleScenario(n int) Scenario {
	return Scenario{
		ID:     "idle",
		Group:  "idle",
		Title:  fmt.Sprintf("Idle memory: RSS after the load, and with %s idle keep-alive connections (one request each)", thousands(float64(n))),
		Needs:  FeatHTTP1,
		Unit:   "conn",
		Memory: true,
	}
}

// MemOutcome is one target's idle-memory figures.
type MemOutcome struct {
	// Target is the target's name.
	Target string
	// NA says why the target was not measured; Err why the measurement failed.
	NA, Err string
	// RSSStart is the RSS before any load (Target.RSSStart).
	RSSStart int64
	// RSSBefore is the RSS after all the load scenarios, just before the
	// idle connections open; RSSIdle with them open.
	RSSBefore, RSSIdle int64
	// Conns is how many connections were open (asked for: -idle-conns).
	Conns int64
	// Note explains a connection count below -idle-conns.
	Note string
	// PerConn is (RSSIdle - RSSBefore) / Conns in bytes.
	PerConn float64
}

// runIdle opens the idle connections with the harness's "bench idle"
// client, waits idleSettle, reads the proxy's RSS and closes them.
func runIdle(ctx context.Context, e *Env, t *Target) MemOutcome {
	m := MemOutcome{Target: t.Name, RSSStart: t.RSSStart}
	fail := func(err error) MemOutcome {
		m.Err = err.Error()
		return m
	}
	var err error
	if m.RSSBefore, err = t.RSS(); err != nil {
		return fail(err)
	}
	conns := min(e.Opts.IdleConns, idleCapacity(t.Kind, e.NoFile))
	if conns < e.Opts.IdleConns {
		m.Note = fmt.Sprintf("%s connections: the descriptor limit is %s", thousands(float64(conns)), thousands(float64(e.NoFile)))
	}
	watch := newLineWatcher(loadgen.ResultPrefix)
	p, err := e.Procs.Start(Spec{
		Name: "bench idle",
		Argv: []string{e.Self, "idle", "-addr", t.Listen[FeatHTTP1], "-path", "/128",
			"-conns", fmt.Sprint(conns), "-parallel", "50", "-hold", "2m"},
		CPU:    e.Opts.LoadCPU,
		Env:    []string{"GOMAXPROCS=1"},
		Stdout: watch,
	})
	if err != nil {
		return fail(err)
	}
	defer e.Procs.Stop(p)
	line, err := watch.wait(p, maxRun)
	if err != nil {
		return fail(err)
	}
	r, err := loadgen.ParseResult([]byte(loadgen.ResultPrefix + line))
	if err != nil {
		return fail(err)
	}
	if r.Count == 0 {
		return fail(fmt.Errorf("no idle connection could be opened (%d errors)", r.Errors))
	}
	select {
	case <-ctx.Done():
		return fail(ctx.Err())
	case <-time.After(idleSettle):
	}
	if !t.Alive() {
		return fail(t.proc.ExitError())
	}
	if m.RSSIdle, err = t.RSS(); err != nil {
		return fail(err)
	}
	m.Conns = r.Count
	m.PerConn = float64(m.RSSIdle-m.RSSBefore) / float64(r.Count)
	if r.Errors > 0 {
		m.Err = fmt.Sprintf("%d of %d connections failed", r.Errors, conns)
	}
	return m
}
