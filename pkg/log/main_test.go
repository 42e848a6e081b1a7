package log

import (
	"testing"

	"github.com/seed405ffdea/mosn/pkg/leakcheck"
)

// lumberjackMill is the goroutine lumberjack starts per Logger to prune and
// compress old files; lumberjack never stops it (v2.2.1), so it is not ours
// to count.
const lumberjackMill = "lumberjack%2ev2.(*Logger).millRun"

func TestMain(m *testing.M) {
	leakcheck.Main(m, lumberjackMill)
}
