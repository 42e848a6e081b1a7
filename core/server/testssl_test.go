package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seed405ffdea/mosn/core/server"
	"github.com/seed405ffdea/mosn/core/tlsctx/tlstest"
)

// testsslArgs are the checks run by TestTestSSLDefaults: protocols,
// cipher categories, forward secrecy, server preference, server defaults
// (certificate, tickets) and the vulnerabilities. --fast drops the slow
// per-cipher enumeration; --ip skips DNS.
var testsslArgs = []string{
	"--quiet", "--color", "0", "--warnings", "batch", "--fast",
	"--connect-timeout", "5", "--openssl-timeout", "5",
	"-p", "-s", "-f", "-P", "-S", "-U",
}

// testsslFinding is one entry of testssl.sh's flat JSON (--jsonfile).
type testsslFinding struct {
	ID       string `json:"id"`
	Severity string `json:"severity"`
	Finding  string `json:"finding"`
}

// testsslBad are the severities TestTestSSLDefaults refuses.
var testsslBad = map[string]bool{"LOW": true, "MEDIUM": true, "HIGH": true, "CRITICAL": true}

// TestTestSSLDefaults runs testssl.sh (Debian package testssl.sh, command
// testssl) against a TLS listener with default settings (only cert_chain
// and private_key) and fails on every finding at LOW or above. The
// listener's certificate is issued by a test CA passed with --add-ca, so
// the chain of trust is checked like a real deployment's.
func TestTestSSLDefaults(t *testing.T) {
	if testing.Short() {
		t.Skip("testssl.sh run skipped under -short")
	}
	bin, err := exec.LookPath("testssl")
	if err != nil {
		if bin, err = exec.LookPath("testssl.sh"); err != nil {
			t.Skip("testssl.sh not installed (Debian package testssl.sh)")
		}
	}
	ca := tlstest.NewCA(t, "testssl CA")
	// A certificate as a public CA issues it: 90 days (testssl.sh warns
	// under 60), a random serial, a CRL distribution point (never fetched:
	// testssl.sh runs without --phone-out).
	leaf := ca.Leaf(t, tlstest.LeafOptions{CN: "localhost", DNS: []string{"localhost"}, IPs: []net.IP{net.IPv4(127, 0, 0, 1)},
		Validity: 90 * 24 * time.Hour, CRL: []string{"http://crl.example.invalid/testssl.crl"}})
	cfg := tlsProxyConfig(t, nil,
		[]map[string]any{proxyChain("r1", map[string]any{"tls_context": tlsCtx(leaf, nil)})},
		[]map[string]any{cluster("c1", newOrigin(t, "testssl origin"), nil)})
	srv := start(t, cfg, server.Options{})
	_, port, _ := net.SplitHostPort(srv.ListenerAddr("ingress").String())

	dir := t.TempDir()
	caFile := tlstest.WriteFile(t, dir, "ca.pem", ca.CertPEM)
	jsonFile := filepath.Join(dir, "testssl.json")
	args := append([]string{}, testsslArgs...)
	args = append(args, "--add-ca", caFile, "--jsonfile", jsonFile, "--ip", "127.0.0.1", "localhost:"+port)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	// testssl.sh writes its temporary files under TMPDIR.
	cmd.Env = append(os.Environ(), "TMPDIR="+dir)
	begin := time.Now()
	out, err := cmd.CombinedOutput()
	t.Logf("testssl %s: %v in %v", strings.Join(args, " "), err, time.Since(begin).Round(time.Millisecond))
	if ctx.Err() != nil {
		t.Fatalf("testssl did not finish in time:\n%s", out)
	}
	if os.Getenv("TESTSSL_VERBOSE") != "" {
		t.Logf("output:\n%s", out)
	}
	// testssl exits non-zero for some findings and for its own errors; the
	// JSON file is the verdict, so only a missing or empty file is fatal.
	findings, perr := readTestSSLJSON(jsonFile)
	if perr != nil {
		t.Fatalf("testssl (%v): %v\n%s", err, perr, out)
	}
	var bad []string
	for _, f := range findings {
		// DNS_CAArecord: "localhost" has no CAA record in DNS. It is a
		// property of the host name's DNS zone, not of the listener.
		if f.ID == "DNS_CAArecord" {
			continue
		}
		if testsslBad[f.Severity] {
			bad = append(bad, fmt.Sprintf("%s %s: %s", f.Severity, f.ID, f.Finding))
		}
	}
	if len(bad) > 0 {
		t.Fatalf("testssl findings at LOW or above (%d of %d):\n%s", len(bad), len(findings), strings.Join(bad, "\n"))
	}
	if len(findings) < 20 {
		t.Fatalf("testssl reported only %d findings; did it test the listener?\n%s", len(findings), out)
	}
	counts := map[string]int{}
	for _, f := range findings {
		counts[f.Severity]++
		// WARN is testssl.sh's own limitation (e.g. the local openssl
		// has no SSLv3 or RC4), not a finding about the listener.
		if f.Severity == "WARN" {
			t.Logf("testssl warning %s: %s", f.ID, f.Finding)
		}
	}
	t.Logf("%d findings, none at LOW or above; by severity: %v", len(findings), counts)
}

// readTestSSLJSON parses testssl.sh's flat JSON output and refuses a run
// that stopped on a scan error (severity WARN with id scanProblem).
func readTestSSLJSON(path string) ([]testsslFinding, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read json: %w", err)
	}
	var fs []testsslFinding
	if err := json.Unmarshal(b, &fs); err != nil {
		return nil, fmt.Errorf("parse json: %w", err)
	}
	if len(fs) == 0 {
		return nil, errors.New("no findings in json")
	}
	for _, f := range fs {
		if f.ID == "scanProblem" {
			return nil, fmt.Errorf("scan problem: %s", f.Finding)
		}
	}
	return fs, nil
}
