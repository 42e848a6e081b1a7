package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

// Machine describes the host the benchmark ran on.
type Machine struct {
	// CPUModel is /proc/cpuinfo's "model name".
	CPUModel string
	// Cores is the number of CPUs the harness may use.
	Cores int
	// Kernel is the running kernel's release.
	Kernel string
	// OS is PRETTY_NAME from /etc/os-release.
	OS string
	// MemTotal is the installed memory in bytes.
	MemTotal int64
	// LoadStart and LoadEnd are the 1-, 5- and 15-minute load averages at
	// the start and the end of the run.
	LoadStart, LoadEnd [3]float64
}

// readMachine reads the machine's description; fields it cannot read stay empty.
func readMachine() Machine {
	m := Machine{Cores: runtime.NumCPU()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		m.CPUModel = parseCPUModel(b)
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		m.OS = parseOSRelease(b)
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		m.MemTotal = parseMemTotal(b)
	}
	m.LoadStart, _ = readLoadavg()
	return m
}

// readLoadavg reads /proc/loadavg.
func readLoadavg() ([3]float64, error) {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return [3]float64{}, err
	}
	return parseLoadavg(b)
}

// parseCPUModel returns the first "model name" of /proc/cpuinfo.
func parseCPUModel(b []byte) string {
	for line := range bytes.SplitSeq(b, []byte("\n")) {
		k, v, ok := bytes.Cut(line, []byte(":"))
		if ok && string(bytes.TrimSpace(k)) == "model name" {
			return string(bytes.TrimSpace(v))
		}
	}
	return ""
}

// parseOSRelease returns PRETTY_NAME from /etc/os-release.
func parseOSRelease(b []byte) string {
	for line := range bytes.SplitSeq(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("PRETTY_NAME=")); ok {
			return strings.Trim(string(bytes.TrimSpace(v)), `"'`)
		}
	}
	return ""
}

// parseMemTotal returns MemTotal from /proc/meminfo in bytes.
func parseMemTotal(b []byte) int64 {
	for line := range bytes.SplitSeq(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("MemTotal:")); ok {
			f := bytes.Fields(v)
			if len(f) == 2 && string(f[1]) == "kB" {
				n, _ := strconv.ParseInt(string(f[0]), 10, 64)
				return n * 1024
			}
		}
	}
	return 0
}

// parseLoadavg parses the first three fields of /proc/loadavg.
func parseLoadavg(b []byte) ([3]float64, error) {
	var out [3]float64
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return out, fmt.Errorf("loadavg: want at least 3 fields, got %q", truncate(string(b), 40))
	}
	for i := range out {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return out, fmt.Errorf("loadavg: field %d: %w", i+1, err)
		}
		out[i] = v
	}
	return out, nil
}

// Version is one tool's or library's version line for the report.
type Version struct {
	Name, Version string
}

// toolVersion runs argv and returns the first line of its output that
// contains match (stdout and stderr together: nginx -v writes to stderr,
// wrk -v exits 1). Empty when the tool is missing.
func toolVersion(match string, argv ...string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput()
	for line := range strings.SplitSeq(string(out), "\n") {
		if strings.Contains(line, match) {
			return strings.TrimSpace(line)
		}
	}
	return ""
}

// moduleVersion returns the version of a module linked into this binary.
func moduleVersion(path string) string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, d := range bi.Deps {
		if d.Path == path {
			return d.Version
		}
	}
	return ""
}

// gitDescribe returns the commit of root's checkout, "+dirty" when the
// working tree has changes.
func gitDescribe(root string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "git", "-C", root, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	rev := strings.TrimSpace(string(out))
	st, err := exec.CommandContext(ctx, "git", "-C", root, "status", "--porcelain", "--untracked-files=no").Output()
	if err == nil && len(bytes.TrimSpace(st)) > 0 {
		rev += "+dirty"
	}
	return rev
}

// collectVersions asks each proxy and tool for its version. It also sets
// each target's Version.
func collectVersions(e *Env, root string, targets []*Target) []Version {
	var vs []Version
	for _, t := range targets {
		if t.Unavailable != "" {
			continue
		}
		switch t.Kind {
		case "mosn":
			t.Version = cleanVersion(toolVersion("mosn", e.Mosn, "version"), "mosn ", "")
			vs = append(vs, Version{"mosn", fmt.Sprintf("%s, commit %s", orDash(t.Version), gitDescribe(root))})
		case "nginx":
			t.Version = cleanVersion(toolVersion("nginx version", "nginx", "-v"), "nginx version: nginx/", "")
			vs = append(vs, Version{"nginx", t.Version})
		case "haproxy":
			t.Version = cleanVersion(toolVersion("HAProxy version", "haproxy", "-v"), "HAProxy version ", " ")
			vs = append(vs, Version{"HAProxy", t.Version})
		}
	}
	return append(vs,
		Version{"Go", cleanVersion(toolVersion("go version", "go", "version"), "go version ", "")},
		Version{"wrk", cleanVersion(toolVersion("wrk", "wrk", "-v"), "wrk ", " ")},
		Version{"h2load", cleanVersion(toolVersion("h2load", "h2load", "--version"), "h2load nghttp2/", "")},
		Version{"grpc-go", moduleVersion("google.golang.org/grpc")},
		Version{"x/net", moduleVersion("golang.org/x/net")},
		Version{"gonum/plot", moduleVersion("gonum.org/v1/plot")},
	)
}

// cleanVersion trims a tool's version line to the version: prefix off,
// and everything from the first cut on (when cut is not empty).
func cleanVersion(line, prefix, cut string) string {
	v := strings.TrimPrefix(line, prefix)
	if cut != "" {
		v, _, _ = strings.Cut(v, cut)
	}
	return strings.TrimSpace(v)
}
