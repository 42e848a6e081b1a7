package upstream

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/seed405ffdea/mosn/api"
	"github.com/seed405ffdea/mosn/pkg/leakcheck"
)

// The fuzzing engine's signal handler outlives the run.
func TestMain(m *testing.M) { leakcheck.Main(m, "os/signal.signal_recv") }

// fakeClock is a Clock that moves only when told to. Advance runs the
// callbacks that come due, in time order, on the caller's goroutine, so a
// test that advances the clock sees their effects when Advance returns.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	c      *fakeClock
	when   time.Time
	f      func()
	done   bool
	seqNum int
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{c: c, when: c.now.Add(d), f: f, seqNum: len(c.timers)}
	c.timers = append(c.timers, t)
	return t
}

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	if t.done {
		return false
	}
	t.done = true
	return true
}

// Advance moves the clock by d, running due callbacks in order.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	target := c.now.Add(d)
	c.mu.Unlock()
	for {
		c.mu.Lock()
		var due []*fakeTimer
		for _, t := range c.timers {
			if !t.done && !t.when.After(target) {
				due = append(due, t)
			}
		}
		if len(due) == 0 {
			c.now = target
			c.mu.Unlock()
			return
		}
		sort.Slice(due, func(i, j int) bool {
			if !due[i].when.Equal(due[j].when) {
				return due[i].when.Before(due[j].when)
			}
			return due[i].seqNum < due[j].seqNum
		})
		t := due[0]
		t.done = true
		if t.when.After(c.now) {
			c.now = t.when
		}
		c.mu.Unlock()
		t.f()
	}
}

// lbCtx is an api.LBContext with every optional interface.
type lbCtx struct {
	key      uint64
	criteria map[string]string
	dst      string
	headers  api.HeaderMap
	index    int
}

func (c *lbCtx) Context() context.Context                 { return context.Background() }
func (c *lbCtx) Headers() api.HeaderMap                   { return c.headers }
func (c *lbCtx) HashKey() uint64                          { return c.key }
func (c *lbCtx) MetadataMatchCriteria() map[string]string { return c.criteria }
func (c *lbCtx) OriginalDst() string                      { return c.dst }
func (c *lbCtx) UpstreamIndex() int                       { return c.index }
func (c *lbCtx) SetUpstreamIndex(i int)                   { c.index = i }

var (
	_ MetadataMatchContext     = (*lbCtx)(nil)
	_ OriginalDstContext       = (*lbCtx)(nil)
	_ RequestRoundRobinContext = (*lbCtx)(nil)
)

// headerMap is a minimal api.HeaderMap.
type headerMap map[string]string

func (h headerMap) Get(k string) (string, bool) { v, ok := h[k]; return v, ok }
func (h headerMap) Set(k, v string)             { h[k] = v }
func (h headerMap) Add(k, v string)             { h[k] = v }
func (h headerMap) Del(k string)                { delete(h, k) }
func (h headerMap) Range(f func(k, v string) bool) {
	for k, v := range h {
		if !f(k, v) {
			return
		}
	}
}

// newTestCluster builds a cluster and closes it when the test ends.
func newTestCluster(t testing.TB, o ClusterOptions) *Cluster {
	t.Helper()
	if o.Name == "" {
		o.Name = "c"
	}
	c, err := NewCluster(o, NewLoadBalancerRegistry())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// hostsN returns n hosts 10.0.0.i:80 of weight 1.
func hostsN(n int) []HostOptions {
	hs := make([]HostOptions, n)
	for i := range hs {
		hs[i] = HostOptions{Address: "10.0.0." + itoa(i+1) + ":80"}
	}
	return hs
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

// waitFor polls cond until it holds or 5s pass; for effects of real
// network I/O, which no clock can hurry.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
