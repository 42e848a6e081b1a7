// Command bench is the loopback benchmark harness of MOSN in Go: it builds
// the proxy from the tree, starts it next to nginx and HAProxy (and any
// other proxy named with -extra), starts its own origins, and drives the
// same load through each target in interleaved rounds.
//
//	go run ./tools/bench [flags]          full run, report into docs/benchmarks.md
//	go run ./tools/bench -smoke           short CI check of our proxy only
//
// The harness re-executes its own binary for the origins and for the load
// generators it implements itself. Those hidden subcommands are:
//
//	bench origin   -mode http1|h2c|grpc|tcp-sink|tcp-echo -addr 127.0.0.1:0
//	bench load     -url URL -rate N -conns N -duration D     open-loop HTTP/1 client
//	bench grpcload -addr A -c N -conns N -duration D          gRPC unary client
//	bench tcpload  -addr A -conns N -duration D               bulk TCP writer
//	bench tlsload  -addr A -ca FILE -c N -duration D          TLS handshakes
//	bench idle     -addr A -conns N                           idle keep-alive holder
//
// Each prints one "RESULT {json}" line on standard output; origins print
// "LISTEN host:port" once they accept connections.
//
// See tools/README.md for every flag and for how to read the report.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// subcommands are the hidden modes the harness re-executes itself in.
var subcommands = map[string]func(args []string, stdout, stderr io.Writer) int{
	"origin":   originMain,
	"load":     rateMain,
	"grpcload": grpcLoadMain,
	"tcpload":  tcpLoadMain,
	"tlsload":  tlsLoadMain,
	"idle":     idleMain,
}

// run dispatches to a hidden subcommand or runs the harness, and returns
// the process exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		if sub, ok := subcommands[args[0]]; ok {
			return sub(args[1:], stdout, stderr)
		}
	}
	opts, err := parseOptions(args, stderr)
	if err != nil {
		if errors.Is(err, errHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "bench:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := runHarness(ctx, opts, stdout, stderr); err != nil {
		if ctx.Err() != nil {
			fmt.Fprintln(stderr, "bench: interrupted; every process started was stopped")
			return 130
		}
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}
	return 0
}
