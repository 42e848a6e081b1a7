package loadgen

import (
	"errors"
	"runtime"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// pacer wakes at absolute instants with microsecond precision. Go's timers
// resolve to about a millisecond on Linux when the process is otherwise
// idle (the netpoller's epoll timeout is in milliseconds), which would add
// up to a millisecond to every latency measured from a scheduled send
// time. So the pacer sleeps with clock_nanosleep(CLOCK_MONOTONIC,
// TIMER_ABSTIME) on its own locked OS thread with a 1 ns timer slack.
//
// Use it from one goroutine: newPacer locks that goroutine to its thread
// for good, so the thread ends with the goroutine.
type pacer struct {
	base     time.Time
	baseMono int64
}

// newPacer locks the calling goroutine to its OS thread and returns a
// pacer for it.
func newPacer() (*pacer, error) {
	runtime.LockOSThread()
	// PR_SET_TIMERSLACK applies to the calling thread only.
	_ = unix.Prctl(unix.PR_SET_TIMERSLACK, 1, 0, 0, 0)
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return nil, err
	}
	// time.Now's monotonic reading is CLOCK_MONOTONIC too, so the two
	// bases name the same instant to within the time between these calls.
	return &pacer{base: time.Now(), baseMono: ts.Nano()}, nil
}

// sleepUntil blocks until t (a time.Time carrying a monotonic reading).
func (p *pacer) sleepUntil(t time.Time) {
	ns := p.baseMono + int64(t.Sub(p.base))
	ts := unix.NsecToTimespec(ns)
	for {
		err := unix.ClockNanosleep(unix.CLOCK_MONOTONIC, unix.TIMER_ABSTIME, &ts, nil)
		if !errors.Is(err, syscall.EINTR) {
			return
		}
	}
}
