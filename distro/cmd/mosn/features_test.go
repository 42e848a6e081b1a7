package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/seed405ffdea/mosn/core/config"
)

func TestFeatureGates(t *testing.T) {
	for _, tt := range []struct {
		flags     string
		inConfig  bool
		wantMode  bool
		wantErr   string
		wantGated bool
	}{
		{"", false, false, "", false},
		{"", true, true, "", true},
		{"UseNetpollMode=true", false, true, "", true},
		{"UseNetpollMode=false", true, false, "", false},
		{"AllBeta=true", false, false, "", true}, // the gate, not the alias: only -f UseNetpollMode overrides the config
		{"nosuch=true", false, false, `featuregate: unknown feature "nosuch" (known: AllAlpha, AllBeta, UseNetpollMode)`, false},
		{"UseNetpollMode", false, false, "want name=true or name=false", false},
	} {
		g, err := newFeatureGate()
		if err != nil {
			t.Fatal(err)
		}
		err = g.Set(tt.flags)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("-f %q: %v, want %q", tt.flags, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		cfg := &config.MOSNConfig{Servers: []config.ServerConfig{{UseNetpollMode: tt.inConfig}}}
		applyFeatures(g, cfg)
		if err := g.Init(); err != nil {
			t.Fatal(err)
		}
		if cfg.Servers[0].UseNetpollMode != tt.wantMode || g.Enabled(featureNetpoll) != tt.wantGated {
			t.Errorf("-f %q, config %t: use_netpoll_mode %t, gate %t", tt.flags, tt.inConfig, cfg.Servers[0].UseNetpollMode, g.Enabled(featureNetpoll))
		}
	}
	var out, errb bytes.Buffer
	run([]string{"start", "-h"}, &out, &errb)
	if !strings.Contains(errb.String(), "UseNetpollMode=true|false (BETA - default=false)") {
		t.Errorf("start -h does not list the features:\n%s", errb.String())
	}
}

// The real binary: -f turns netpoll mode on (the admin API lists it),
// SIGUSR1 reopens the log files, /quitquitquit stops it gracefully.
func TestFeaturesReopenAndQuit(t *testing.T) {
	bin, dir := buildBinary(t)
	front, back, admin := freePort(t), freePort(t), freePort(t)
	logPath := filepath.Join(dir, "error.log")
	cfgPath := defaultConfigFile(t, dir, front, back, admin,
		`"default_log_path": "stdout"`, `"default_log_path": "`+logPath+`"`)
	p := startBinary(t, bin, "start", "-c", cfgPath, "-f", "UseNetpollMode=true")
	waitLine := func(substr string) { t.Helper(); p.waitLine(t, substr) }
	waitLine("admin")
	adminURL := "http://127.0.0.1:" + strconv.Itoa(admin)
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(adminURL + "/api/v1/features")
	if err != nil {
		t.Fatal(err)
	}
	var feats []struct {
		Name    string `json:"name"`
		Enabled bool   `json:"enabled"`
	}
	json.NewDecoder(resp.Body).Decode(&feats)
	resp.Body.Close()
	found := false
	for _, f := range feats {
		found = found || (f.Name == "UseNetpollMode" && f.Enabled)
	}
	if !found {
		t.Errorf("features: %+v", feats)
	}
	resp, err = c.Get(adminURL + "/api/v1/config_dump?mosnconfig")
	if err != nil {
		t.Fatal(err)
	}
	var dump config.MOSNConfig
	json.NewDecoder(resp.Body).Decode(&dump)
	resp.Body.Close()
	if len(dump.Servers) == 0 || !dump.Servers[0].UseNetpollMode {
		t.Error("-f UseNetpollMode=true did not turn use_netpoll_mode on")
	}

	// logrotate: move the error log away, SIGUSR1, the next records go to
	// a new file at the path.
	if err := os.Rename(logPath, logPath+".1"); err != nil {
		t.Fatal(err)
	}
	p.cmd.Process.Signal(syscall.SIGUSR1)
	waitLine("log files reopened")
	// Something the error log records: a listener's drain on quit.
	resp, err = c.Post(adminURL+"/quitquitquit", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	waitLine("quitquitquit, draining")
	p.waitExit(t, "quitquitquit")
	if _, err := os.Stat(logPath); err != nil {
		t.Errorf("no new error log after SIGUSR1: %v", err)
	}
}
