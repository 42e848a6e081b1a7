package workerpool

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// closePool closes p with a generous deadline and fails t if tasks are stuck.
func closePool(t testing.TB, p *Pool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func TestNewPanics(t *testing.T) {
	tests := []struct {
		name       string
		maxWorkers int
		queue      int
		wantPanic  bool
	}{
		{"zero workers", 0, 1, true},
		{"negative workers", -1, 1, true},
		{"negative queue", 1, -1, true},
		{"no queue", 1, 0, false},
		{"ok", 4, 16, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if got := recover() != nil; got != tt.wantPanic {
					t.Fatalf("panic = %v, want %v", got, tt.wantPanic)
				}
			}()
			p := New(tt.maxWorkers, tt.queue)
			closePool(t, p)
		})
	}
}

func TestSubmitRunsEveryTask(t *testing.T) {
	const tasks = 1000
	p := New(4, 8)
	var ran, running, peak atomic.Int64
	var wg sync.WaitGroup
	for range tasks {
		wg.Add(1)
		task := func() {
			defer wg.Done()
			n := running.Add(1)
			for {
				old := peak.Load()
				if n <= old || peak.CompareAndSwap(old, n) {
					break
				}
			}
			runtime.Gosched()
			running.Add(-1)
			ran.Add(1)
		}
		for !p.Submit(task) {
			runtime.Gosched()
		}
	}
	wg.Wait()
	closePool(t, p)
	if ran.Load() != tasks {
		t.Errorf("ran %d tasks, want %d", ran.Load(), tasks)
	}
	if peak.Load() > 4 {
		t.Errorf("%d tasks ran at once, want at most 4", peak.Load())
	}
}

// TestSubmitCapacity fills the pool with blocked tasks: exactly
// maxWorkers+queue submissions are accepted, the next is refused at once.
func TestSubmitCapacity(t *testing.T) {
	tests := []struct {
		maxWorkers, queue int
	}{
		{1, 0},
		{1, 1},
		{2, 3},
		{8, 0},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("workers=%d/queue=%d", tt.maxWorkers, tt.queue), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := New(tt.maxWorkers, tt.queue)
				release := make(chan struct{})
				block := func() { <-release }
				for i := range tt.maxWorkers + tt.queue {
					if !p.Submit(block) {
						t.Fatalf("Submit #%d refused, want accepted", i)
					}
				}
				synctest.Wait()
				if got := p.Workers(); got != tt.maxWorkers {
					t.Errorf("Workers() = %d, want %d", got, tt.maxWorkers)
				}
				if got := p.Queued(); got != tt.queue {
					t.Errorf("Queued() = %d, want %d", got, tt.queue)
				}
				if p.Submit(block) {
					t.Fatal("Submit on a full pool accepted, want refused")
				}
				close(release)
				closePool(t, p)
			})
		})
	}
}

func TestSubmitReusesIdleWorker(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := New(4, 0)
		for range 10 {
			done := make(chan struct{})
			if !p.Submit(func() { close(done) }) {
				t.Fatal("Submit refused")
			}
			<-done
			synctest.Wait() // let the worker park
		}
		if got := p.Workers(); got != 1 {
			t.Errorf("Workers() = %d after sequential tasks, want 1", got)
		}
		closePool(t, p)
	})
}

func TestIdleWorkersExit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const idle = 3 * time.Second
		p := New(4, 0, WithIdleTimeout(idle))
		release := make(chan struct{})
		for range 3 {
			p.Submit(func() { <-release })
		}
		synctest.Wait()
		close(release)
		synctest.Wait()
		if got := p.Workers(); got != 3 {
			t.Fatalf("Workers() = %d, want 3", got)
		}
		time.Sleep(idle - time.Nanosecond)
		synctest.Wait()
		if got := p.Workers(); got != 3 {
			t.Fatalf("Workers() = %d just before the idle timeout, want 3", got)
		}
		time.Sleep(time.Nanosecond)
		synctest.Wait()
		if got := p.Workers(); got != 0 {
			t.Fatalf("Workers() = %d after the idle timeout, want 0", got)
		}
		// The pool still works after every worker has gone.
		done := make(chan struct{})
		if !p.Submit(func() { close(done) }) {
			t.Fatal("Submit refused after workers exited")
		}
		<-done
		closePool(t, p)
	})
}

func TestDefaultIdleTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := New(1, 0, WithIdleTimeout(-1))
		p.Submit(func() {})
		synctest.Wait()
		time.Sleep(DefaultIdleTimeout - time.Nanosecond)
		synctest.Wait()
		if p.Workers() != 1 {
			t.Fatal("worker exited before DefaultIdleTimeout")
		}
		time.Sleep(time.Nanosecond)
		synctest.Wait()
		if p.Workers() != 0 {
			t.Fatal("worker still alive after DefaultIdleTimeout")
		}
	})
}

func TestSubmitWait(t *testing.T) {
	errCanceled := context.Canceled
	tests := []struct {
		name    string
		closed  bool                          // pool closed before the call
		act     func(p *Pool, release func()) // run while SubmitWait blocks
		timeout time.Duration
		wantErr error
	}{
		{"accepted when a worker frees", false, func(_ *Pool, release func()) { release() }, time.Hour, nil},
		{"deadline", false, nil, time.Second, context.DeadlineExceeded},
		{"woken by close", false, func(p *Pool, _ func()) { go p.Close(context.Background()) }, time.Hour, ErrClosed},
		{"already closed", true, nil, time.Hour, ErrClosed},
		{"canceled", false, nil, 0, errCanceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := New(1, 1)
				release := make(chan struct{})
				var once sync.Once
				releaseFn := func() { once.Do(func() { close(release) }) }
				p.Submit(func() { <-release })
				p.Submit(func() { <-release })
				if tt.closed {
					go p.Close(context.Background())
					synctest.Wait()
				}

				var ctx context.Context
				var cancel context.CancelFunc
				if tt.timeout > 0 {
					ctx, cancel = context.WithTimeout(context.Background(), tt.timeout)
				} else {
					ctx, cancel = context.WithCancel(context.Background())
					cancel()
				}
				defer cancel()

				var ran atomic.Bool
				result := make(chan error, 1)
				go func() { result <- p.SubmitWait(ctx, func() { ran.Store(true) }) }()
				synctest.Wait()
				if tt.act != nil {
					select {
					case err := <-result:
						t.Fatalf("SubmitWait returned %v before room was made", err)
					default:
					}
					tt.act(p, releaseFn)
				}
				err := <-result
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("SubmitWait() = %v, want %v", err, tt.wantErr)
				}
				releaseFn()
				closePool(t, p)
				if got := ran.Load(); got != (tt.wantErr == nil) {
					t.Errorf("task ran = %v, want %v", got, tt.wantErr == nil)
				}
			})
		})
	}
}

func TestCloseRunsQueuedTasks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// One queue slot stays free, so a refused Submit below is down to
		// Close and not to a full queue.
		p := New(2, 11)
		var ran atomic.Int64
		release := make(chan struct{})
		for range 12 {
			if !p.Submit(func() { <-release; ran.Add(1) }) {
				t.Fatal("Submit refused")
			}
		}
		closed := make(chan error, 1)
		go func() { closed <- p.Close(context.Background()) }()
		synctest.Wait() // Close is now waiting for the tasks
		if p.Submit(func() {}) {
			t.Fatal("Submit after Close accepted")
		}
		close(release)
		if err := <-closed; err != nil {
			t.Fatalf("Close: %v", err)
		}
		if got := ran.Load(); got != 12 {
			t.Fatalf("ran %d tasks before Close returned, want 12", got)
		}
		if got := p.Workers(); got != 0 {
			t.Fatalf("Workers() = %d after Close, want 0", got)
		}
		if err := p.Close(context.Background()); err != nil {
			t.Fatalf("second Close: %v", err)
		}
	})
}

func TestCloseDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := New(1, 0)
		release := make(chan struct{})
		p.Submit(func() { <-release })
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := p.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Close() = %v, want %v", err, context.DeadlineExceeded)
		}
		close(release)
		closePool(t, p)
	})
}

func TestCloseIdlePool(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := New(3, 0)
		for range 3 {
			p.Submit(func() {})
		}
		synctest.Wait()
		start := time.Now()
		closePool(t, p)
		if d := time.Since(start); d != 0 {
			t.Errorf("Close of an idle pool took %v of fake time, want 0", d)
		}
	})
}

func TestPanicHandler(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		got := make(chan any, 1)
		p := New(1, 1, WithPanicHandler(func(r any) { got <- r }))
		p.Submit(func() { panic("boom") })
		if r := <-got; r != "boom" {
			t.Fatalf("recovered %v, want boom", r)
		}
		done := make(chan struct{})
		p.Submit(func() { close(done) })
		<-done
		if p.Workers() != 1 {
			t.Errorf("Workers() = %d, want the same worker to survive", p.Workers())
		}
		closePool(t, p)
	})
}

func TestSubmitNilPanics(t *testing.T) {
	p := New(1, 0)
	defer closePool(t, p)
	for name, call := range map[string]func(){
		"Submit":     func() { p.Submit(nil) },
		"SubmitWait": func() { p.SubmitWait(context.Background(), nil) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic for a nil task")
				}
			}()
			call()
		})
	}
}

// TestConcurrentSubmitAndClose races producers against Close and idle
// expiry: every accepted task runs exactly once, refused ones never.
func TestConcurrentSubmitAndClose(t *testing.T) {
	p := New(4, 4, WithIdleTimeout(time.Microsecond))
	var accepted, ran atomic.Int64
	var producing atomic.Int64
	var wg sync.WaitGroup
	producing.Store(8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				task := func() { ran.Add(1) }
				if (g+i)%2 == 0 {
					if p.Submit(task) {
						accepted.Add(1)
					}
					continue
				}
				ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
				err := p.SubmitWait(ctx, task)
				cancel()
				if err == nil {
					accepted.Add(1)
				}
			}
			producing.Add(-1)
		})
	}
	// Close mid-stream: once some tasks are in, unless producers are done.
	for accepted.Load() < 100 && producing.Load() > 0 {
		runtime.Gosched()
	}
	closePool(t, p)
	wg.Wait()
	if accepted.Load() != ran.Load() {
		t.Fatalf("accepted %d tasks, ran %d", accepted.Load(), ran.Load())
	}
	if accepted.Load() == 0 {
		t.Fatal("no task accepted; the test exercised nothing")
	}
}

func BenchmarkSubmit(b *testing.B) {
	p := New(runtime.GOMAXPROCS(0), 1024)
	var wg sync.WaitGroup
	task := func() { wg.Done() }
	b.ReportAllocs()
	for b.Loop() {
		wg.Add(1)
		for !p.Submit(task) {
			runtime.Gosched()
		}
	}
	wg.Wait()
	closePool(b, p)
}

func BenchmarkSubmitWait(b *testing.B) {
	p := New(runtime.GOMAXPROCS(0), 1024)
	var wg sync.WaitGroup
	task := func() { wg.Done() }
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		wg.Add(1)
		if err := p.SubmitWait(ctx, task); err != nil {
			b.Fatal(err)
		}
	}
	wg.Wait()
	closePool(b, p)
}
