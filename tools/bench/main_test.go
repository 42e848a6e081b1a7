package main

import (
	"testing"

	"github.com/seed405ffdea/mosn/pkg/leakcheck"
)

// fuzzSignals is the signal loop that go test -fuzz starts (os/signal);
// it outlives m.Run in fuzzing mode.
const fuzzSignals = "created by os/signal.Notify"

// TestMain fails the package when a test leaves goroutines behind: process
// management waits for its children from goroutines, and the wrk test runs
// an origin in-process.
func TestMain(m *testing.M) {
	leakcheck.Main(m, fuzzSignals)
}
