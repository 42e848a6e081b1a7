// Command mosn runs the MOSN in Go proxy.
//
//	mosn start [-c FILE] [-f feature=bool,...] [-l level] [--pid-file FILE] [--transfer-timeout 30s]
//	mosn validate -c FILE
//	mosn version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/seed405ffdea/mosn/core/config"
	"github.com/seed405ffdea/mosn/core/server"
	"github.com/seed405ffdea/mosn/pkg/featuregate"
)

// version is set at link time (-ldflags "-X main.version=v1.2.3").
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	var err error
	switch args[0] {
	case "start":
		err = start(args[1:], stdout, stderr)
	case "validate":
		err = validate(args[1:], stdout, stderr)
	case "version", "--version", "-v":
		printVersion(stdout)
	case "help", "-h", "--help":
		usage(stdout)
	default:
		fmt.Fprintf(stderr, "mosn: unknown command %q\n", args[0])
		usage(stderr)
		return 2
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "mosn:", err)
		return 1
	}
	return 0
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage: mosn <command> [flags]

commands:
  start     run the proxy (-c FILE; without -c, the embedded default config)
  validate  check a config file without starting (-c FILE)
  version   print the version and module versions
`)
}

type startFlags struct {
	config   string
	features string
	level    string
	pidFile  string
	transfer time.Duration
	proxy    proxyFlags
}

func newFlagSet(name string, stderr io.Writer, f *startFlags) *flag.FlagSet {
	fs := flag.NewFlagSet("mosn "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.config, "c", "", "config file (MOSN v2 JSON or YAML)")
	fs.StringVar(&f.config, "config", "", "same as -c")
	if name == "start" {
		fs.StringVar(&f.features, "f", "", "feature gates: name=bool,... of:\n"+featureUsage())
		fs.StringVar(&f.features, "feature-gates", "", "same as -f")
		fs.StringVar(&f.level, "l", "", "log level, overriding default_log_level (DEBUG, INFO, WARN, ERROR, FATAL, TRACE)")
		fs.StringVar(&f.level, "log-level", "", "same as -l")
		fs.StringVar(&f.pidFile, "pid-file", "", "write the process id to this file, removed on exit (default: the config's \"pid\")")
		fs.DurationVar(&f.transfer, "transfer-timeout", server.DefaultTransferTimeout, "hot upgrade: the window over which live connections move to the new process")
		f.proxy.register(fs)
	}
	return fs
}

func loadConfig(path string) (*config.MOSNConfig, string, error) {
	if path == "" {
		cfg, err := config.Parse(config.Default(), "default.json")
		return cfg, "embedded default config", err
	}
	cfg, err := config.Load(path)
	return cfg, path, err
}

func validate(args []string, stdout, stderr io.Writer) error {
	var f startFlags
	fs := newFlagSet("validate", stderr, &f)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if f.config == "" {
		return errors.New("validate: -c FILE is required")
	}
	cfg, _, bs, err := loadAnyConfig(f.config, nil)
	if err != nil {
		return err
	}
	if err := cfg.ValidateWith(server.NewRegistries().Known()); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: ok\n", f.config)
	printBootstrap(stdout, bs)
	return nil
}

func start(args []string, stdout, stderr io.Writer) error {
	var f startFlags
	fs := newFlagSet("start", stderr, &f)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("start: unexpected argument %q", fs.Arg(0))
	}
	// Signals are caught from the start: SIGHUP's default action would
	// kill a process that a supervisor upgrades right after it wrote its
	// pid file; one that arrives while starting is handled once running.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	defer signal.Stop(usr1)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	gate, err := newFeatureGate()
	if err != nil {
		return err
	}
	if err := gate.Set(f.features); err != nil {
		return fmt.Errorf("start: -f: %w", err)
	}
	cfg, source, bs, err := loadAnyConfig(f.config, &f.proxy)
	if err != nil {
		return err
	}
	// A running process to upgrade from hands over its sockets (and its
	// config, with inherit_old_mosnconfig); any failure from here to
	// server.New aborts the session and leaves it serving.
	up, err := inherit(cfg, stdout)
	if err != nil {
		return err
	}
	if up.handoff != nil && cfg.InheritOldMosnconfig {
		if cfg, err = up.oldConfig(); err != nil {
			up.abort(err)
			return err
		}
		source = fmt.Sprintf("the config of pid %d", up.handoff.PID)
	}
	applyFeatures(gate, cfg)
	if err := gate.Init(); err != nil {
		up.abort(err)
		return fmt.Errorf("start: -f: %w", err)
	}
	if f.level != "" {
		for i := range cfg.Servers {
			cfg.Servers[i].DefaultLogLevel = mosnLevel(f.level)
		}
	}
	if len(cfg.Servers) > 0 && cfg.Servers[0].Processor > 0 {
		runtime.GOMAXPROCS(cfg.Servers[0].Processor)
	}
	xh := newXDSHandlers(bs)
	srv, err := server.New(server.Options{Config: cfg, Version: versionInfo(), Features: gate, ConfigPath: f.config,
		Inherited: up.listeners(), TransferTimeout: f.transfer, AdminHandlers: xh.Map(), AdminStats: xh.Stats})
	if err != nil {
		up.abort(err)
		return err
	}
	if f.pidFile == "" {
		f.pidFile = cfg.Pid
	}
	if f.pidFile != "" {
		if err := os.WriteFile(f.pidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			up.abort(err)
			srv.Close()
			return fmt.Errorf("start: pid file: %w", err)
		}
		defer removePidFile(f.pidFile)
	}
	srv.Start()
	fmt.Fprintf(stdout, "mosn %s started from %s (pid %d)\n", version, source, os.Getpid())
	upgraded := up.serve(srv, stdout, stderr)
	defer up.close()
	stopXDS, err := startXDS(srv, bs, xh, fs, stdout)
	if err != nil {
		srv.Close()
		return err
	}
	defer stopXDS()
	for _, ln := range srv.Listeners() {
		scheme := "http" // a tcp listener usually serves HTTP
		if n := ln.Addr().Network(); n != "tcp" {
			scheme = n // udp, unix
		}
		fmt.Fprintf(stdout, "  listener %-20s %s://%s\n", ln.Name(), scheme, ln.Addr())
	}
	if a := srv.PProfAddr(); a != nil {
		fmt.Fprintf(stdout, "  pprof    %-20s http://%s/debug/pprof/\n", "", a)
	}
	if a := srv.MetricsAddr(); a != nil {
		fmt.Fprintf(stdout, "  metrics  %-20s http://%s\n", "", a)
	}
	if a := srv.AdminAddr(); a != nil {
		fmt.Fprintf(stdout, "  admin    %-20s http://%s/api/v1/states\n", "", a)
	}
	why := ""
wait:
	for {
		select {
		case <-usr1:
			// logrotate moved the files away: write to new ones.
			if err := srv.ReopenLogs(); err != nil {
				fmt.Fprintln(stderr, "mosn: SIGUSR1: reopening logs:", err)
			} else {
				fmt.Fprintln(stdout, "mosn: SIGUSR1, log files reopened")
			}
		case sig := <-sigs:
			if sig == syscall.SIGINT {
				fmt.Fprintln(stdout, "mosn: SIGINT, stopping now")
				return srv.Close()
			}
			why = "SIGTERM"
			break wait
		case <-srv.QuitRequested():
			why = "quitquitquit"
			break wait
		case <-hup:
			up.forkExec(args, stdout, stderr)
		case <-upgraded:
			// Takeover closed the server once its connections moved.
			fmt.Fprintln(stdout, "mosn: handed over to the new process, exiting")
			return nil
		}
	}
	timeout := srv.GracefulTimeout()
	fmt.Fprintf(stdout, "mosn: %s, draining for up to %s\n", why, timeout)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	go func() {
		// A second signal during the drain stops at once.
		<-sigs
		cancel()
	}()
	if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// Feature gates of this binary. A gate that aliases a config field
// overrides the field only when it is set explicitly with -f.
const (
	// featureNetpoll aliases servers[0].use_netpoll_mode: park idle
	// keep-alive connections in epoll.
	featureNetpoll = "UseNetpollMode"
)

// newFeatureGate returns the gate with every feature this binary has.
func newFeatureGate() (*featuregate.Gate, error) {
	g := featuregate.New()
	if err := g.Add(featureNetpoll, featuregate.Spec{
		PreRelease:  featuregate.Beta,
		Description: "park idle keep-alive connections in epoll (servers[0].use_netpoll_mode; -f overrides the config)",
	}); err != nil {
		return nil, err
	}
	return g, nil
}

// featureUsage lists the settable features for -h.
func featureUsage() string {
	g, err := newFeatureGate()
	if err != nil {
		return err.Error()
	}
	return strings.TrimSuffix(g.Usage(), "\n")
}

// applyFeatures writes the explicitly set aliases into the config, and
// the config's values into the gate's view of the others, so that
// /api/v1/features reports what runs.
func applyFeatures(g *featuregate.Gate, cfg *config.MOSNConfig) {
	if len(cfg.Servers) == 0 {
		return
	}
	srv := &cfg.Servers[0]
	if v, set := g.Explicit(featureNetpoll); set {
		srv.UseNetpollMode = v
	} else if srv.UseNetpollMode {
		g.SetFromMap(map[string]bool{featureNetpoll: true})
	}
}

func versionInfo() server.VersionInfo {
	v := server.VersionInfo{Version: version, Modules: map[string]string{}}
	if bi, ok := debug.ReadBuildInfo(); ok {
		v.Modules[bi.Main.Path] = bi.Main.Version
		for _, d := range bi.Deps {
			if strings.HasPrefix(d.Path, "github.com/seed405ffdea/mosn/") {
				ver := d.Version
				if d.Replace != nil {
					ver += " => " + d.Replace.Path
				}
				v.Modules[d.Path] = ver
			}
		}
	}
	return v
}

func printVersion(w io.Writer) {
	v := versionInfo()
	fmt.Fprintf(w, "mosn %s (%s %s/%s)\n", v.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	names := make([]string, 0, len(v.Modules))
	for n := range v.Modules {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %s %s\n", n, v.Modules[n])
	}
}
