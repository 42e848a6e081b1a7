package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/seed405ffdea/mosn/core/config"
	"github.com/seed405ffdea/mosn/core/server"
	"github.com/seed405ffdea/mosn/istio-adapter/bootstrap"
	"github.com/seed405ffdea/mosn/istio-adapter/xds"
)

// proxyFlags are the flags Istio's pilot-agent passes to its proxy binary
// (Envoy's command line). Those that mean something here are used; the
// others are accepted and listed as ignored at start-up.
type proxyFlags struct {
	serviceCluster, serviceNode string
	drainTimeS                  int
	concurrency                 int
	disableHotRestart           bool
	allowUnknownFields          bool
	set                         map[string]bool
}

// ignoredProxyFlags are accepted for Envoy compatibility and do nothing.
var ignoredProxyFlags = []string{
	"parent-shutdown-time-s", "local-address-ip-version", "log-format", "restart-epoch",
	"bootstrap-version", "component-log-level", "drain-strategy", "file-flush-interval-msec",
	"skip-deprecated-logs", "log-format-escaped", "max-obj-name-len", "base-id", "log-path",
}

func (p *proxyFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&p.serviceCluster, "service-cluster", "", "Envoy: node cluster when the bootstrap has none")
	fs.StringVar(&p.serviceNode, "service-node", "", "Envoy: node id when the bootstrap has none")
	fs.IntVar(&p.drainTimeS, "drain-time-s", 0, "Envoy: drain time in seconds (sets graceful_timeout)")
	fs.IntVar(&p.concurrency, "concurrency", 0, "Envoy: worker threads (sets GOMAXPROCS)")
	fs.BoolVar(&p.disableHotRestart, "disable-hot-restart", false, "Envoy: no hot restart (sets disable_upgrade)")
	fs.BoolVar(&p.allowUnknownFields, "allow-unknown-static-fields", false, "Envoy: ignore unknown fields of the bootstrap")
	for _, name := range ignoredProxyFlags {
		switch name {
		case "skip-deprecated-logs", "log-format-escaped":
			fs.Bool(name, false, "Envoy flag, accepted and ignored")
		default:
			fs.String(name, "", "Envoy flag, accepted and ignored")
		}
	}
}

// envoyLevels maps Envoy's log level names (-l) to MOSN's.
var envoyLevels = map[string]string{"warning": "WARN", "critical": "FATAL", "off": "FATAL", "err": "ERROR"}

// mosnLevel returns the MOSN name of an Envoy or MOSN log level.
func mosnLevel(l string) string {
	if m, ok := envoyLevels[strings.ToLower(l)]; ok {
		return m
	}
	return l
}

// loadAnyConfig loads a MOSN config, an Envoy bootstrap (pilot-agent's
// envoy-rev.json), or a MOSN config with xDS blocks (MOSN's "mixed"
// mode). bs is nil for a plain MOSN config.
func loadAnyConfig(path string, p *proxyFlags) (*config.MOSNConfig, string, *bootstrap.Bootstrap, error) {
	if path == "" {
		cfg, source, err := loadConfig(path)
		return cfg, source, nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, "", nil, fmt.Errorf("config: %w", err)
	}
	opts := bootstrap.Options{AllowUnknownFields: p != nil && p.allowUnknownFields}
	var bs *bootstrap.Bootstrap
	var cfg *config.MOSNConfig
	switch mosnPart, envoyPart, mixed := splitMixed(data); {
	case bootstrap.IsBootstrap(data):
		if bs, err = bootstrap.Parse(data, opts); err != nil {
			return nil, "", nil, fmt.Errorf("%s: %w", path, err)
		}
		cfg = bs.Config
	case mixed:
		if cfg, err = config.Parse(mosnPart, path); err != nil {
			return nil, "", nil, err
		}
		if bs, err = bootstrap.Parse(envoyPart, opts); err != nil {
			return nil, "", nil, fmt.Errorf("%s: %w", path, err)
		}
		cfg.ClusterManager.Clusters = append(cfg.ClusterManager.Clusters, bs.Config.ClusterManager.Clusters...)
		if len(cfg.Servers) > 0 {
			cfg.Servers[0].Listeners = append(cfg.Servers[0].Listeners, bs.Config.Servers[0].Listeners...)
			cfg.Servers[0].Routers = append(cfg.Servers[0].Routers, bs.Config.Servers[0].Routers...)
		}
		if cfg.Admin == nil {
			cfg.Admin = bs.Config.Admin
		}
	default:
		cfg, err := config.Load(path)
		return cfg, path, nil, err
	}
	if p != nil {
		if bs.Node.GetCluster() == "" {
			bs.Node.Cluster = p.serviceCluster
		}
		if bs.Node.GetId() == "" {
			bs.Node.Id = p.serviceNode
		}
		if p.drainTimeS > 0 && len(cfg.Servers) > 0 {
			cfg.Servers[0].GracefulTimeout = config.Duration{Duration: time.Duration(p.drainTimeS) * time.Second}
		}
		if p.concurrency > 0 && len(cfg.Servers) > 0 {
			cfg.Servers[0].Processor = p.concurrency
		}
		if p.disableHotRestart {
			cfg.DisableUpgrade = true
		}
	}
	if err := cfg.ValidateWith(server.NewRegistries().Known()); err != nil {
		return nil, "", nil, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, path + " (xDS bootstrap)", bs, nil
}

// splitMixed splits a MOSN config that carries xDS blocks (node,
// dynamic_resources, static_resources) into the MOSN part and an Envoy
// bootstrap holding the blocks.
func splitMixed(data []byte) (mosn, envoy []byte, ok bool) {
	var top map[string]json.RawMessage
	if json.Unmarshal(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), &top) != nil {
		return nil, nil, false
	}
	if _, ok := top["servers"]; !ok {
		return nil, nil, false
	}
	env := map[string]json.RawMessage{}
	for _, k := range []string{"node", "dynamic_resources", "static_resources"} {
		if v, ok := top[k]; ok && !bytes.Equal(bytes.TrimSpace(v), []byte("null")) && !bytes.Equal(bytes.TrimSpace(v), []byte("{}")) {
			env[k] = v
		}
		delete(top, k)
	}
	if len(env) == 0 {
		return nil, nil, false
	}
	m, err1 := json.Marshal(top)
	e, err2 := json.Marshal(env)
	if err1 != nil || err2 != nil {
		return nil, nil, false
	}
	return m, e, true
}

// newXDSHandlers returns the admin endpoints of the xDS client (Envoy's
// /config_dump, /xds/skipped) when bs has an ADS config, else nil.
func newXDSHandlers(bs *bootstrap.Bootstrap) *xds.Handlers {
	if bs == nil || bs.ADS == nil {
		return nil
	}
	return &xds.Handlers{}
}

// startXDS connects the ADS client of bs to srv; the returned function
// stops it.
func startXDS(srv *server.Server, bs *bootstrap.Bootstrap, xh *xds.Handlers, fs *flag.FlagSet, stdout io.Writer) (func(), error) {
	if bs == nil {
		return func() {}, nil
	}
	if len(bs.Ignored) > 0 {
		fmt.Fprintf(stdout, "  bootstrap: ignored %s\n", strings.Join(bs.Ignored, "; "))
	}
	if fs != nil {
		var ign []string
		fs.Visit(func(f *flag.Flag) {
			for _, n := range ignoredProxyFlags {
				if f.Name == n {
					ign = append(ign, "--"+n)
				}
			}
		})
		sort.Strings(ign)
		if len(ign) > 0 {
			fmt.Fprintf(stdout, "  flags accepted and ignored: %s\n", strings.Join(ign, " "))
		}
	}
	if bs.ADS == nil {
		return func() {}, nil
	}
	var log *slog.Logger
	if l := srv.ErrorLog(); l != nil {
		log = l.Slog()
	}
	m, err := xds.NewMetrics(srv.Registry())
	if err != nil {
		return nil, err
	}
	client, ctrl, err := bs.NewClient(srv, log, m)
	if err != nil {
		return nil, err
	}
	xh.Set(ctrl)
	client.Start()
	mode := "SotW"
	if bs.ADS.Delta {
		mode = "Delta"
	}
	fmt.Fprintf(stdout, "  xds      %-20s %s (%s ADS, node %s)\n", "", bs.ADS.Target, mode, bs.Node.GetId())
	return func() { client.Close() }, nil
}

// printBootstrap lists what "mosn validate" found in an xDS bootstrap.
func printBootstrap(w io.Writer, bs *bootstrap.Bootstrap) {
	if bs == nil {
		return
	}
	if bs.ADS != nil {
		mode := "SotW"
		if bs.ADS.Delta {
			mode = "Delta"
		}
		fmt.Fprintf(w, "  xds: %s ADS at %s, node %s\n", mode, bs.ADS.Target, bs.Node.GetId())
	}
	for _, s := range bs.Ignored {
		fmt.Fprintf(w, "  ignored: %s\n", s)
	}
}
