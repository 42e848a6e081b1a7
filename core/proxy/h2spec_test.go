package proxy_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seed405ffdea/mosn/api"
	"github.com/seed405ffdea/mosn/core/proxy"
)

// h2specMinPass is the number of h2spec cases the proxy's h2c listener
// passes (of 145, docs/http2.md); the test fails when fewer pass.
const h2specMinPass = 145

// TestH2SpecProxy runs h2spec against an h2c listener proxying to an
// HTTP/1.1 origin.
func TestH2SpecProxy(t *testing.T) {
	bin, err := exec.LookPath("h2spec")
	if err != nil {
		if p := os.Getenv("HOME") + "/go/bin/h2spec"; fileExists(p) {
			bin = p
		} else {
			t.Skip("h2spec not installed (go install github.com/summerwind/h2spec/cmd/h2spec@latest)")
		}
	}
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Write([]byte(strings.Repeat("x", 1000)))
	})
	addr := startProxy(t, o.addr(), proxyConf{opts: func(o *proxy.Options) {
		o.Protocol = api.HTTP2
		o.HTTP2.MaxConcurrentStreams = 100
	}})
	host, port, _ := strings.Cut(addr, ":")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, bin, "-h", host, "-p", port, "-o", "2").CombinedOutput()
	m := regexp.MustCompile(`(\d+) tests, (\d+) passed, (\d+) skipped, (\d+) failed`).FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("h2spec output without a summary:\n%s", out)
	}
	passed, _ := strconv.Atoi(m[2])
	t.Logf("h2spec: %s/%s passed", m[2], m[1])
	if passed < h2specMinPass {
		s := string(out)
		if i := strings.Index(s, "Failures:"); i >= 0 {
			s = s[i:]
		}
		t.Fatalf("h2spec: %d passed, want at least %d:\n%s", passed, h2specMinPass, s)
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
