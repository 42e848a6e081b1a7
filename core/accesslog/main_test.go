package accesslog

import (
	"testing"
	"time"

	"github.com/seed405ffdea/mosn/pkg/leakcheck"
)

// lumberjackMill is the goroutine lumberjack starts for a size-rotated
// file and never stops (v2.2.1); it is not ours to count.
const lumberjackMill = "lumberjack%2ev2.(*Logger).millRun"

// fuzzSignals is the signal loop that go test -fuzz starts (os/signal);
// it outlives m.Run in fuzzing mode.
const fuzzSignals = "created by os/signal.Notify"

func TestMain(m *testing.M) {
	// MOSN's %start_time% is local time: pin the zone so the expected
	// strings below hold on any machine.
	time.Local = time.FixedZone("CST", 8*60*60)
	leakcheck.Main(m, lumberjackMill, fuzzSignals)
}
