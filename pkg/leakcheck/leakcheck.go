// Package leakcheck is a tiny goroutine-leak check for TestMain. It compares
// runtime.NumGoroutine against a baseline, retrying for a while so goroutines
// that are already on their way out get time to finish.
package leakcheck

import (
	"bytes"
	"fmt"
	"runtime"
	"time"
)

// Timeout is how long Check waits for the goroutine count to fall back.
const Timeout = 5 * time.Second

// Count returns the number of live goroutines, not counting those whose stack
// contains any of the ignore substrings (for goroutines a dependency never
// stops, such as lumberjack's mill).
func Count(ignore ...string) int {
	n := runtime.NumGoroutine()
	if len(ignore) == 0 {
		return n
	}
	for _, g := range stacks() {
		for _, s := range ignore {
			if bytes.Contains(g, []byte(s)) {
				n--
				break
			}
		}
	}
	return n
}

// Check waits up to Timeout for Count(ignore...) to drop to base or below.
// On failure the error carries every goroutine's stack.
func Check(base int, ignore ...string) error {
	return wait(base, Timeout, ignore...)
}

func wait(base int, timeout time.Duration, ignore ...string) error {
	deadline := time.Now().Add(timeout)
	delay := time.Millisecond
	for {
		n := Count(ignore...)
		if n <= base {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("leakcheck: %d goroutines still running, want at most %d:\n%s",
				n, base, bytes.Join(stacks(), []byte("\n\n")))
		}
		time.Sleep(delay)
		delay = min(2*delay, 100*time.Millisecond)
	}
}

// stacks returns one stack trace per goroutine.
func stacks() [][]byte {
	buf := make([]byte, 1<<16)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return bytes.Split(buf[:n], []byte("\n\n"))
		}
		buf = make([]byte, 2*len(buf))
	}
}
