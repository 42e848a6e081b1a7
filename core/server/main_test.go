package server_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/seed405ffdea/mosn/pkg/leakcheck"
)

func TestMain(m *testing.M) {
	base := leakcheck.Count()
	code := m.Run()
	if code == 0 {
		if err := leakcheck.Check(base); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}
