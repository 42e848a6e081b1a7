package http2

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2/hpack"
)

// bodyHandler drains the request and answers 200 with a 1000-byte body.
type bodyHandler struct{}

func (bodyHandler) ServeStream(st *Stream) {
	st.SetReadDeadline(time.Now().Add(5 * time.Second))
	st.SetWriteDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 16<<10)
	for {
		if _, err := st.Read(buf); err != nil {
			break
		}
	}
	if st.WriteHeaders([]hpack.HeaderField{{Name: ":status", Value: "200"}}, false) == nil {
		st.WriteData(bytes.Repeat([]byte("x"), 1000), true)
	}
}

// h2specMinPass is the number of h2spec tests the codec passes; the test
// fails when fewer pass.
const h2specMinPass = 145

// RunH2Spec runs h2spec against addr and returns passed and total counts.
func RunH2Spec(t *testing.T, addr string) (passed, total int, out string) {
	t.Helper()
	bin, err := exec.LookPath("h2spec")
	if err != nil {
		if p := os.Getenv("HOME") + "/go/bin/h2spec"; fileExists(p) {
			bin = p
		} else {
			t.Skip("h2spec not installed (go install github.com/summerwind/h2spec/cmd/h2spec@latest)")
		}
	}
	host, port, _ := strings.Cut(addr, ":")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-h", host, "-p", port, "-o", "2")
	b, _ := cmd.CombinedOutput()
	out = string(b)
	m := regexp.MustCompile(`(\d+) tests, (\d+) passed, (\d+) skipped, (\d+) failed`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("h2spec output without a summary:\n%s", out)
	}
	total, _ = strconv.Atoi(m[1])
	passed, _ = strconv.Atoi(m[2])
	return passed, total, out
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func TestH2Spec(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	addr := serve(t, Config{MaxConcurrentStreams: 100}, bodyHandler{})
	passed, total, out := RunH2Spec(t, addr)
	t.Logf("h2spec: %d/%d passed", passed, total)
	if os.Getenv("H2SPEC_VERBOSE") != "" {
		t.Log(out)
	}
	if passed < h2specMinPass {
		t.Fatalf("h2spec: %d/%d passed, want at least %d:\n%s", passed, total, h2specMinPass, failures(out))
	}
}

// failures keeps the failed cases of an h2spec report.
func failures(out string) string {
	if i := strings.Index(out, "Failures:"); i >= 0 {
		return out[i:]
	}
	return out
}
