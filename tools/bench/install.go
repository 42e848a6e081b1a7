package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"
)

// nginxStreamModule is where Debian's libnginx-mod-stream puts nginx's
// dynamic stream (TCP proxy) module.
const nginxStreamModule = "/usr/lib/nginx/modules/ngx_stream_module.so"

// requirement is a program or file the harness needs and the Debian
// package that provides it.
type requirement struct {
	// Name is the program looked up on PATH, or a label for File.
	Name string
	// File, when set, is checked instead of a program.
	File string
	// Package is the Debian package to install.
	Package string
}

// present reports whether the requirement is met.
func (r requirement) present() bool {
	if r.File != "" {
		_, err := os.Stat(r.File)
		return err == nil
	}
	_, err := exec.LookPath(r.Name)
	return err == nil
}

// requirements returns what the selected targets and scenarios need.
func requirements(targets []string, scen []Scenario) []requirement {
	var out []requirement
	add := func(r requirement) {
		for _, q := range out {
			if q.Name == r.Name {
				return
			}
		}
		out = append(out, r)
	}
	add(requirement{Name: "taskset", Package: "util-linux"})
	has := func(name string) bool {
		for _, t := range targets {
			if t == name {
				return true
			}
		}
		return false
	}
	if has("nginx") {
		add(requirement{Name: "nginx", Package: "nginx"})
	}
	if has("haproxy") {
		add(requirement{Name: "haproxy", Package: "haproxy"})
	}
	for _, s := range scen {
		switch s.Tool {
		case "wrk":
			add(requirement{Name: "wrk", Package: "wrk"})
		case "h2load":
			add(requirement{Name: "h2load", Package: "nghttp2-client"})
		}
		if s.Needs == FeatTCP && has("nginx") {
			add(requirement{Name: "nginx stream module", File: nginxStreamModule, Package: "libnginx-mod-stream"})
		}
	}
	return out
}

// ensureInstalled installs the missing requirements with apt-get (saying
// so on stderr) when allowed and running as root, and returns what is
// still missing, by name, with the reason.
func ensureInstalled(ctx context.Context, reqs []requirement, allow bool, stderr io.Writer) map[string]string {
	var missing []requirement
	for _, r := range reqs {
		if !r.present() {
			missing = append(missing, r)
		}
	}
	out := map[string]string{}
	if len(missing) == 0 {
		return out
	}
	var pkgs []string
	for _, r := range missing {
		pkgs = append(pkgs, r.Package)
	}
	switch {
	case !allow:
		fmt.Fprintf(stderr, "bench: missing %s; not installing (-install=false): apt-get install %s\n", names(missing), strings.Join(pkgs, " "))
	case os.Geteuid() != 0:
		fmt.Fprintf(stderr, "bench: missing %s; not root, run: sudo apt-get install %s\n", names(missing), strings.Join(pkgs, " "))
	default:
		fmt.Fprintf(stderr, "bench: installing %s with apt-get (for %s)\n", strings.Join(pkgs, " "), names(missing))
		if err := aptInstall(ctx, pkgs, stderr); err != nil {
			fmt.Fprintf(stderr, "bench: apt-get failed: %v\n", err)
		}
	}
	for _, r := range missing {
		if !r.present() {
			out[r.Name] = r.Name + " missing"
		}
	}
	return out
}

func names(rs []requirement) string {
	var n []string
	for _, r := range rs {
		n = append(n, r.Name)
	}
	return strings.Join(n, ", ")
}

// aptInstall runs apt-get update and apt-get install for pkgs, quietly,
// bounded to five minutes.
func aptInstall(ctx context.Context, pkgs []string, stderr io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	run := func(args ...string) error {
		cmd := exec.CommandContext(ctx, "apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("apt-get %s: %w: %s", args[0], err, truncate(strings.TrimSpace(string(out)), 400))
		}
		return nil
	}
	if err := run("update", "-qq"); err != nil {
		return err
	}
	return run(append([]string{"install", "-y", "-qq", "--no-install-recommends"}, pkgs...)...)
}
