package main

import (
	"fmt"
	"slices"
	"time"
)

// originModes maps a feature to the origin serving it behind the proxies.
var originModes = map[Feature]string{
	FeatHTTP1: "http1",
	FeatH2C:   "h2c",
	FeatGRPC:  "grpc",
	FeatTCP:   "tcp-sink",
	// TLS is terminated by the proxy; the origin behind it is HTTP/1.
	FeatTLS: "http1",
}

// startOrigins starts one origin process per mode the features need, each
// a re-execution of this binary on the load CPU with GOMAXPROCS=1 and a
// kernel-chosen port, and returns their addresses.
func startOrigins(e *Env, features []Feature) (Upstreams, error) {
	var up Upstreams
	started := map[string]string{}
	// HTTP/1 always: it is every target's readiness check.
	modes := []string{"http1"}
	for _, f := range features {
		if m := originModes[f]; !slices.Contains(modes, m) {
			modes = append(modes, m)
		}
	}
	for _, mode := range modes {
		watch := newLineWatcher(listenPrefix)
		p, err := e.Procs.Start(Spec{
			Name:   "origin-" + mode,
			Argv:   []string{e.Self, "origin", "-mode", mode, "-addr", "127.0.0.1:0", "-sizes", "128,4096"},
			CPU:    e.Opts.LoadCPU,
			Env:    []string{"GOMAXPROCS=1"},
			Stdout: watch,
		})
		if err != nil {
			return up, err
		}
		addr, err := watch.wait(p, 10*time.Second)
		if err != nil {
			return up, fmt.Errorf("origin %s: %w", mode, err)
		}
		started[mode] = addr
	}
	up.HTTP1 = started["http1"]
	up.H2C = started["h2c"]
	up.GRPC = started["grpc"]
	up.TCP = started["tcp-sink"]
	return up, nil
}
