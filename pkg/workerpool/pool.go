// Package workerpool runs tasks on a bounded set of goroutines with a bounded
// wait queue. Workers start on demand and exit after an idle period, so an
// idle pool holds no goroutines.
package workerpool

import (
	"context"
	"errors"
	"sync"
	"time"
)

// DefaultIdleTimeout is how long a worker waits for a task before it exits,
// unless WithIdleTimeout says otherwise.
const DefaultIdleTimeout = 10 * time.Second

// ErrClosed is returned by SubmitWait once Close has been called.
var ErrClosed = errors.New("workerpool: pool closed")

// Option configures a Pool.
type Option func(*Pool)

// WithIdleTimeout sets how long an idle worker waits for a task before it
// exits. A zero or negative d keeps DefaultIdleTimeout.
func WithIdleTimeout(d time.Duration) Option {
	return func(p *Pool) {
		if d > 0 {
			p.idleTimeout = d
		}
	}
}

// WithPanicHandler makes workers recover a panicking task and pass the
// recovered value to h; the worker then carries on. Without it a panicking
// task crashes the process, as a panic in a plain goroutine would.
func WithPanicHandler(h func(recovered any)) Option {
	return func(p *Pool) { p.onPanic = h }
}

// Pool runs submitted functions on at most maxWorkers goroutines. Tasks that
// find every worker busy wait in a FIFO queue of bounded length.
//
// A Pool is safe for concurrent use. Tasks accepted before Close (running or
// queued) all run; Close waits for them.
type Pool struct {
	maxWorkers  int
	idleTimeout time.Duration
	onPanic     func(any)

	mu      sync.Mutex
	workers int       // live worker goroutines
	idle    []*worker // parked workers, most recently parked last
	queue   ring      // accepted tasks no worker has taken yet
	closed  bool
	space   chan struct{} // closed and cleared when a slot frees; for SubmitWait
	done    chan struct{} // closed when closed and workers == 0
}

// worker is a parked worker's mailbox. Submit hands a task to it directly;
// a nil task means "re-check the pool state" (sent by Close).
type worker struct {
	task chan func() // capacity 1: a send under p.mu never blocks
}

// New returns a Pool that runs at most maxWorkers tasks at once and holds up
// to queue more waiting tasks. It starts no goroutines. It panics if
// maxWorkers < 1 or queue < 0, like make with a negative size.
func New(maxWorkers, queue int, opts ...Option) *Pool {
	if maxWorkers < 1 {
		panic("workerpool: maxWorkers must be at least 1")
	}
	if queue < 0 {
		panic("workerpool: queue must not be negative")
	}
	p := &Pool{
		maxWorkers:  maxWorkers,
		idleTimeout: DefaultIdleTimeout,
		queue:       ring{buf: make([]func(), queue)},
		done:        make(chan struct{}),
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

// Submit hands f to an idle worker, starts a new worker for it, or queues
// it, in that order of preference. It never blocks: it returns false if the
// pool is at maxWorkers with a full queue, or closed. f must not be nil.
func (p *Pool) Submit(f func()) bool {
	if f == nil {
		panic("workerpool: nil task")
	}
	p.mu.Lock()
	ok := p.submitLocked(f)
	p.mu.Unlock()
	return ok
}

// SubmitWait is Submit that waits for room instead of failing. It returns nil
// once f is accepted, ErrClosed if the pool is or becomes closed first, or
// ctx.Err() if ctx ends first. f must not be nil.
func (p *Pool) SubmitWait(ctx context.Context, f func()) error {
	if f == nil {
		panic("workerpool: nil task")
	}
	for {
		p.mu.Lock()
		if p.submitLocked(f) {
			p.mu.Unlock()
			return nil
		}
		if p.closed {
			p.mu.Unlock()
			return ErrClosed
		}
		if p.space == nil {
			p.space = make(chan struct{})
		}
		space := p.space
		p.mu.Unlock()

		select {
		case <-space:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (p *Pool) submitLocked(f func()) bool {
	if p.closed {
		return false
	}
	if n := len(p.idle); n > 0 {
		w := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		w.task <- f
		return true
	}
	if p.workers < p.maxWorkers {
		p.workers++
		go p.work(f)
		return true
	}
	return p.queue.push(f)
}

// Close stops the pool accepting tasks and waits until every accepted task
// has run and every worker has exited, or until ctx ends, in which case it
// returns ctx.Err() and the remaining tasks still run in the background.
// Close may be called more than once.
func (p *Pool) Close(ctx context.Context) error {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		for _, w := range p.idle {
			w.task <- nil
		}
		p.idle = nil
		p.wakeLocked()
		if p.workers == 0 {
			close(p.done)
		}
	}
	p.mu.Unlock()

	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Workers returns the number of live worker goroutines.
func (p *Pool) Workers() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.workers
}

// Queued returns the number of accepted tasks waiting for a worker.
func (p *Pool) Queued() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.queue.n
}

// wakeLocked wakes every SubmitWait caller to retry.
func (p *Pool) wakeLocked() {
	if p.space != nil {
		close(p.space)
		p.space = nil
	}
}

func (p *Pool) work(task func()) {
	w := &worker{task: make(chan func(), 1)}
	timer := time.NewTimer(p.idleTimeout)
	defer timer.Stop()
	for {
		if task != nil {
			p.run(task)
		}

		p.mu.Lock()
		if t, ok := p.queue.pop(); ok {
			// A queue slot freed: a SubmitWait caller may now fit.
			p.wakeLocked()
			p.mu.Unlock()
			task = t
			continue
		}
		if p.closed {
			p.exitLocked()
			p.mu.Unlock()
			return
		}
		p.idle = append(p.idle, w)
		// This worker is now a place for a task to go.
		p.wakeLocked()
		p.mu.Unlock()

		timer.Reset(p.idleTimeout)
		select {
		case task = <-w.task:
			continue
		case <-timer.C:
		}

		p.mu.Lock()
		if !p.removeIdleLocked(w) {
			// Submit or Close took this worker off the idle list just as the
			// timer fired; its send is already in the mailbox.
			p.mu.Unlock()
			task = <-w.task
			continue
		}
		p.exitLocked()
		p.mu.Unlock()
		return
	}
}

func (p *Pool) run(task func()) {
	if p.onPanic != nil {
		defer func() {
			if r := recover(); r != nil {
				p.onPanic(r)
			}
		}()
	}
	task()
}

func (p *Pool) exitLocked() {
	p.workers--
	// Below maxWorkers again: a SubmitWait caller may start a worker.
	p.wakeLocked()
	if p.closed && p.workers == 0 {
		close(p.done)
	}
}

// removeIdleLocked drops w from the idle list and reports whether it was
// there. Timed-out workers are the oldest, so they sit near the front.
func (p *Pool) removeIdleLocked(w *worker) bool {
	for i, x := range p.idle {
		if x == w {
			copy(p.idle[i:], p.idle[i+1:])
			p.idle[len(p.idle)-1] = nil
			p.idle = p.idle[:len(p.idle)-1]
			return true
		}
	}
	return false
}

// ring is a fixed-capacity FIFO of tasks.
type ring struct {
	buf  []func()
	head int
	n    int
}

func (r *ring) push(f func()) bool {
	if r.n == len(r.buf) {
		return false
	}
	r.buf[(r.head+r.n)%len(r.buf)] = f
	r.n++
	return true
}

func (r *ring) pop() (func(), bool) {
	if r.n == 0 {
		return nil, false
	}
	f := r.buf[r.head]
	r.buf[r.head] = nil
	r.head = (r.head + 1) % len(r.buf)
	r.n--
	return f, true
}
