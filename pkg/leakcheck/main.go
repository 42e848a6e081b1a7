package leakcheck

import (
	"fmt"
	"os"
	"testing"
)

// Main runs a package's tests and then fails the run if goroutines started
// during it are still alive (ignoring stacks that contain any of ignore).
// Use it as the whole of TestMain:
//
//	func TestMain(m *testing.M) { leakcheck.Main(m) }
func Main(m *testing.M, ignore ...string) {
	base := Count(ignore...)
	code := m.Run()
	if code == 0 {
		if err := Check(base, ignore...); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}
