package loadgen

import (
	"testing"

	"github.com/seed405ffdea/mosn/pkg/leakcheck"
)

// fuzzSignals is the signal loop that go test -fuzz starts (os/signal);
// it outlives m.Run in fuzzing mode.
const fuzzSignals = "created by os/signal.Notify"

// TestMain fails the package when a test leaves goroutines behind: every
// origin and load generator here starts them.
func TestMain(m *testing.M) {
	leakcheck.Main(m, fuzzSignals)
}
