package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSmoke builds the harness and runs its CI mode: our proxy built from
// the tree, one 2-second round of HTTP/1.1 at 50 connections and the
// fixed-rate scenario. The harness itself fails when a figure is zero or a
// run failed; speed is not judged. It must not write into docs/.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the smoke run takes about 20 seconds")
	}
	if runtime.GOOS != "linux" {
		t.Skip("the harness needs Linux (/proc, taskset)")
	}
	for _, tool := range []string{"go", "wrk", "taskset"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (.ci/run installs wrk: apt-get install wrk)", tool)
		}
	}
	if runtime.NumCPU() < 2 {
		t.Skip("fewer than 2 CPUs: the proxy and the load cannot be pinned apart")
	}
	root, err := findRoot("")
	if err != nil {
		t.Fatal(err)
	}
	// What a full run would write; other docs may be edited meanwhile.
	outputs := []string{filepath.Join(root, "docs", "benchmarks.md"), filepath.Join(root, "docs", "img")}
	before := snapshot(t, outputs...)

	bin := filepath.Join(t.TempDir(), "bench")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-smoke", "-install=false", "-root", root)
	cmd.Dir = root
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("bench -smoke: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	for _, want := range []string{"| http1-c50-128 | mosn | ", "| rate | mosn | "} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("table lacks a row starting %q:\n%s", want, stdout.String())
		}
	}
	if after := snapshot(t, outputs...); after != before {
		t.Error("the smoke run changed docs/benchmarks.md or docs/img")
	}
	t.Logf("\n%s", stdout.String())
}

// snapshot lists the files at or under paths with their sizes and
// modification times; a missing path lists nothing.
func snapshot(t *testing.T, paths ...string) string {
	t.Helper()
	var b strings.Builder
	for _, root := range paths {
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			if info, err := d.Info(); err == nil {
				b.WriteString(p + " " + info.ModTime().String() + " " + strconv.FormatInt(info.Size(), 10) + "\n")
			}
			return nil
		})
	}
	return b.String()
}
