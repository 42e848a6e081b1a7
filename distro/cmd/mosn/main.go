// Command mosn runs the MOSN in Go proxy.
//
//	mosn start [-c FILE] [-f feature=bool,...] [-l level] [--pid-file FILE]
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

	"github.com/seed405ffdea/mosn/core/config"
	"github.com/seed405ffdea/mosn/core/server"
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
}

func newFlagSet(name string, stderr io.Writer, f *startFlags) *flag.FlagSet {
	fs := flag.NewFlagSet("mosn "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.config, "c", "", "config file (MOSN v2 JSON or YAML)")
	fs.StringVar(&f.config, "config", "", "same as -c")
	if name == "start" {
		fs.StringVar(&f.features, "f", "", "feature gates: name=bool,...")
		fs.StringVar(&f.features, "feature-gates", "", "same as -f")
		fs.StringVar(&f.level, "l", "", "log level, overriding default_log_level (DEBUG, INFO, WARN, ERROR, FATAL, TRACE)")
		fs.StringVar(&f.level, "log-level", "", "same as -l")
		fs.StringVar(&f.pidFile, "pid-file", "", "write the process id to this file, removed on exit (default: the config's \"pid\")")
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
	cfg, _, err := loadConfig(f.config)
	if err != nil {
		return err
	}
	if err := cfg.ValidateWith(server.NewRegistries().Known()); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: ok\n", f.config)
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
	if err := parseFeatures(f.features); err != nil {
		return err
	}
	cfg, source, err := loadConfig(f.config)
	if err != nil {
		return err
	}
	if f.level != "" {
		for i := range cfg.Servers {
			cfg.Servers[i].DefaultLogLevel = f.level
		}
	}
	if len(cfg.Servers) > 0 && cfg.Servers[0].Processor > 0 {
		runtime.GOMAXPROCS(cfg.Servers[0].Processor)
	}
	srv, err := server.New(server.Options{Config: cfg, Version: versionInfo()})
	if err != nil {
		return err
	}
	if f.pidFile == "" {
		f.pidFile = cfg.Pid
	}
	if f.pidFile != "" {
		if err := os.WriteFile(f.pidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			srv.Close()
			return fmt.Errorf("start: pid file: %w", err)
		}
		defer os.Remove(f.pidFile)
	}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	srv.Start()
	fmt.Fprintf(stdout, "mosn %s started from %s (pid %d)\n", version, source, os.Getpid())
	for _, ln := range srv.Listeners() {
		fmt.Fprintf(stdout, "  listener %-20s http://%s\n", ln.Name(), ln.Addr())
	}
	if a := srv.PProfAddr(); a != nil {
		fmt.Fprintf(stdout, "  pprof    %-20s http://%s/debug/pprof/\n", "", a)
	}
	if a := srv.AdminAddr(); a != nil {
		fmt.Fprintf(stdout, "  admin    %-20s http://%s/api/v1/states\n", "", a)
	}
	sig := <-sigs
	if sig == syscall.SIGINT {
		fmt.Fprintln(stdout, "mosn: SIGINT, stopping now")
		return srv.Close()
	}
	timeout := srv.GracefulTimeout()
	fmt.Fprintf(stdout, "mosn: SIGTERM, draining for up to %s\n", timeout)
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

// knownFeatures are the feature gates this binary has; none yet. A gate
// that is not known is refused rather than ignored.
var knownFeatures = map[string]bool{}

func parseFeatures(s string) error {
	if s == "" {
		return nil
	}
	for _, kv := range strings.Split(s, ",") {
		name, val, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("start: -f %q: want name=bool", kv)
		}
		if _, err := strconv.ParseBool(val); err != nil {
			return fmt.Errorf("start: -f %q: %q is not a bool", kv, val)
		}
		if _, ok := knownFeatures[name]; !ok {
			return fmt.Errorf("start: -f: unknown feature %q", name)
		}
	}
	return nil
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
