package upstream

import "time"

// Clock is the time source of a cluster's timed work: outlier-detection
// sweeps, ejection times, slow-start weights, DNS re-resolution and the
// cleanup of ORIGINAL_DST hosts. Tests inject a fake one so that nothing
// sleeps; active health checks talk to real sockets and use real timers.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// AfterFunc calls f in its own goroutine once d has passed, unless the
	// returned Timer is stopped first (time.AfterFunc's contract).
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending AfterFunc call.
type Timer interface {
	// Stop cancels the call; false means it already ran or was stopped.
	Stop() bool
}

// SystemClock is the wall clock.
type SystemClock struct{}

// Now implements Clock.
func (SystemClock) Now() time.Time { return time.Now() }

// AfterFunc implements Clock with time.AfterFunc.
func (SystemClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

var _ Clock = SystemClock{}
