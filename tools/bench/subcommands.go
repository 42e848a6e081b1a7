package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os/signal"
	"syscall"
	"time"

	"github.com/seed405ffdea/mosn/tools/internal/loadgen"
)

// The hidden subcommands: the harness re-executes its own binary with one
// of these as the first argument to run an origin or a load generator as
// a separate process pinned to the load CPU. Each parses its flags and
// calls into package loadgen.

// listenPrefix starts the line an origin prints once it accepts connections.
const listenPrefix = "LISTEN "

// originMain is the hidden "origin" subcommand: one upstream server,
// running until SIGTERM or SIGINT.
func originMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench origin", flag.ContinueOnError)
	fs.SetOutput(stderr)
	mode := fs.String("mode", "http1", "http1, h2c, grpc, tcp-sink or tcp-echo")
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	sizesFlag := fs.String("sizes", "128,4096", "response body sizes in bytes (path /N picks N; others the first)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	sizes, err := loadgen.ParseSizes(*sizesFlag)
	if err != nil {
		fmt.Fprintln(stderr, "bench origin:", err)
		return 2
	}
	switch *mode {
	case "http1", "h2c", "grpc", "tcp-sink", "tcp-echo":
	default:
		fmt.Fprintf(stderr, "bench origin: -mode: unknown mode %q\n", *mode)
		return 2
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(stderr, "bench origin:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	fmt.Fprintf(stdout, "%s%s\n", listenPrefix, ln.Addr())
	switch *mode {
	case "http1":
		err = loadgen.ServeHTTP1(ln, loadgen.NewHTTP1Responses(sizes))
	case "h2c":
		err = loadgen.ServeH2C(ctx, ln, sizes)
	case "grpc":
		err = loadgen.ServeGRPC(ctx, ln, sizes[0])
	case "tcp-sink":
		err = loadgen.ServeTCP(ln, false)
	case "tcp-echo":
		err = loadgen.ServeTCP(ln, true)
	}
	if err != nil && ctx.Err() == nil {
		fmt.Fprintln(stderr, "bench origin:", err)
		return 1
	}
	return 0
}

// rateMain is the hidden "load" subcommand.
func rateMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg loadgen.RateConfig
	url := fs.String("url", "", "target, http://host:port/path")
	fs.Float64Var(&cfg.Rate, "rate", 5000, "requests per second")
	fs.IntVar(&cfg.Conns, "conns", 50, "keep-alive connections")
	fs.DurationVar(&cfg.Duration, "duration", 5*time.Second, "length of the schedule")
	fs.DurationVar(&cfg.Timeout, "timeout", 2*time.Second, "per-request timeout")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var err error
	if cfg.Addr, cfg.Path, err = loadgen.SplitURL(*url); err != nil {
		fmt.Fprintln(stderr, "bench load:", err)
		return 2
	}
	if cfg.Rate <= 0 || cfg.Conns < 1 || cfg.Duration <= 0 {
		fmt.Fprintln(stderr, "bench load: -rate, -conns and -duration must be positive")
		return 2
	}
	cfg.CDF = true
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	r, err := loadgen.RunRate(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "bench load:", err)
		return 1
	}
	loadgen.WriteResult(stdout, r)
	return 0
}

// grpcLoadMain is the hidden "grpcload" subcommand.
func grpcLoadMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench grpcload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg loadgen.GRPCLoadConfig
	fs.StringVar(&cfg.Addr, "addr", "", "target host:port")
	fs.IntVar(&cfg.Concurrency, "c", 50, "calls in flight")
	fs.IntVar(&cfg.Conns, "conns", 10, "HTTP/2 connections")
	fs.DurationVar(&cfg.Duration, "duration", 5*time.Second, "how long to start calls")
	fs.IntVar(&cfg.Size, "size", 128, "request size in bytes")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if cfg.Addr == "" || cfg.Concurrency < 1 || cfg.Conns < 1 || cfg.Duration <= 0 {
		fmt.Fprintln(stderr, "bench grpcload: -addr required; -c, -conns, -duration must be positive")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	r, err := loadgen.RunGRPCLoad(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "bench grpcload:", err)
		return 1
	}
	loadgen.WriteResult(stdout, r)
	return 0
}

// tcpLoadMain is the hidden "tcpload" subcommand.
func tcpLoadMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench tcpload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg loadgen.TCPLoadConfig
	fs.StringVar(&cfg.Addr, "addr", "", "target host:port (a sink behind the proxy)")
	fs.IntVar(&cfg.Conns, "conns", 4, "connections")
	fs.DurationVar(&cfg.Duration, "duration", 5*time.Second, "how long to write")
	fs.IntVar(&cfg.Chunk, "chunk", 64<<10, "bytes per write")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if cfg.Addr == "" || cfg.Conns < 1 || cfg.Duration <= 0 || cfg.Chunk < 1 {
		fmt.Fprintln(stderr, "bench tcpload: -addr required; -conns, -duration, -chunk must be positive")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	r, err := loadgen.RunTCPLoad(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "bench tcpload:", err)
		return 1
	}
	loadgen.WriteResult(stdout, r)
	return 0
}

// tlsLoadMain is the hidden "tlsload" subcommand.
func tlsLoadMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench tlsload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg loadgen.TLSLoadConfig
	fs.StringVar(&cfg.Addr, "addr", "", "target host:port")
	fs.StringVar(&cfg.Path, "path", "/128", "path requested on each connection")
	fs.StringVar(&cfg.CA, "ca", "", "PEM certificate to trust")
	fs.IntVar(&cfg.Concurrency, "c", 10, "connections set up in parallel")
	fs.DurationVar(&cfg.Duration, "duration", 5*time.Second, "how long to start connections")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if cfg.Addr == "" || cfg.CA == "" || cfg.Concurrency < 1 || cfg.Duration <= 0 {
		fmt.Fprintln(stderr, "bench tlsload: -addr and -ca required; -c, -duration must be positive")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	r, err := loadgen.RunTLSLoad(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "bench tlsload:", err)
		return 1
	}
	loadgen.WriteResult(stdout, r)
	return 0
}

// idleMain is the hidden "idle" subcommand. It opens the connections, sends
// one request on each, prints a RESULT line (Count is the number of
// connections that got a 2xx response) and holds them until SIGTERM,
// SIGINT or -hold passes.
func idleMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench idle", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg loadgen.IdleConfig
	fs.StringVar(&cfg.Addr, "addr", "", "target host:port")
	fs.StringVar(&cfg.Path, "path", "/128", "path requested once per connection")
	fs.IntVar(&cfg.Conns, "conns", 10000, "connections to hold")
	fs.IntVar(&cfg.Parallel, "parallel", 50, "connections opened at once")
	fs.DurationVar(&cfg.Hold, "hold", 60*time.Second, "longest hold")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if cfg.Addr == "" || cfg.Conns < 1 || cfg.Parallel < 1 {
		fmt.Fprintln(stderr, "bench idle: -addr required; -conns and -parallel must be positive")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	conns, r := loadgen.OpenIdle(ctx, cfg)
	defer loadgen.CloseAbortive(conns)
	loadgen.WriteResult(stdout, r)
	select {
	case <-ctx.Done():
	case <-time.After(cfg.Hold):
	}
	return 0
}
