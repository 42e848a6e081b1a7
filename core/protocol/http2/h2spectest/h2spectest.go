// Package h2spectest runs h2spec (github.com/summerwind/h2spec) against
// an HTTP/2 listener, for the conformance tests of the codec and the
// proxy.
package h2spectest

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Run runs h2spec against addr ("host:port") and fails t when fewer than
// minPass cases pass; it skips t when h2spec is not installed. It returns
// the passed and total counts.
func Run(t testing.TB, addr string, minPass int) (passed, total int) {
	t.Helper()
	bin, err := exec.LookPath("h2spec")
	if err != nil {
		p := os.Getenv("HOME") + "/go/bin/h2spec"
		if _, serr := os.Stat(p); serr != nil {
			t.Skip("h2spec not installed (go install github.com/summerwind/h2spec/cmd/h2spec@latest)")
		}
		bin = p
	}
	host, port, _ := strings.Cut(addr, ":")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	b, _ := exec.CommandContext(ctx, bin, "-h", host, "-p", port, "-o", "2").CombinedOutput()
	out := string(b)
	m := regexp.MustCompile(`(\d+) tests, (\d+) passed, (\d+) skipped, (\d+) failed`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("h2spec output without a summary:\n%s", out)
	}
	total, _ = strconv.Atoi(m[1])
	passed, _ = strconv.Atoi(m[2])
	t.Logf("h2spec: %d/%d passed", passed, total)
	if passed < minPass {
		if i := strings.Index(out, "Failures:"); i >= 0 {
			out = out[i:]
		}
		t.Fatalf("h2spec: %d/%d passed, want at least %d:\n%s", passed, total, minPass, out)
	}
	return passed, total
}
