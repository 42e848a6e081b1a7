package main

import (
	"io"
	"strings"
	"testing"
	"time"
)

func TestParseOptions(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		check   func(t *testing.T, o *Options)
		wantErr string
	}{
		{name: "defaults", args: nil, check: func(t *testing.T, o *Options) {
			if o.Rounds != 3 || o.Duration != 5*time.Second || o.Rate != 5000 || o.IdleConns != 10000 || o.Report != "docs/benchmarks.md" {
				t.Errorf("defaults %+v", o)
			}
			if strings.Join(o.Targets, ",") != "mosn,nginx,haproxy" || strings.Join(o.Scenarios, ",") != "all" {
				t.Errorf("targets %v scenarios %v", o.Targets, o.Scenarios)
			}
		}},
		{name: "smoke", args: []string{"-smoke"}, check: func(t *testing.T, o *Options) {
			if o.Rounds != 1 || o.Duration != 2*time.Second || o.Rate != 2000 || o.Report != "" ||
				strings.Join(o.Targets, ",") != "mosn" || strings.Join(o.Scenarios, ",") != "http1-c50-128,rate" {
				t.Errorf("smoke %+v", o)
			}
		}},
		{name: "smoke keeps explicit flags", args: []string{"-smoke", "-rate", "300", "-targets", "mosn,nginx"}, check: func(t *testing.T, o *Options) {
			if o.Rate != 300 || len(o.Targets) != 2 {
				t.Errorf("smoke %+v", o)
			}
		}},
		{name: "extra", args: []string{"-extra", "envoy=envoy -l {listen}", "-extra", "caddy = caddy {listen_port}"}, check: func(t *testing.T, o *Options) {
			if len(o.Extra) != 2 || o.Extra[0].Name != "envoy" || o.Extra[1].Name != "caddy" || o.Extra[1].Template != " caddy {listen_port}" {
				t.Errorf("extra %+v", o.Extra)
			}
		}},
		{name: "scenario group and id", args: []string{"-scenarios", "tls, http1-c50-4k"}, check: func(t *testing.T, o *Options) {
			s, _ := selectScenarios(o.Scenarios, o)
			var ids []string
			for _, x := range s {
				ids = append(ids, x.ID)
			}
			if strings.Join(ids, ",") != "http1-c50-4k,tls-handshake,tls-http1" {
				t.Errorf("selected %v", ids)
			}
		}},
		{name: "unknown scenario", args: []string{"-scenarios", "http3"}, wantErr: `-scenarios: unknown scenario "http3"`},
		{name: "unknown target", args: []string{"-targets", "envoy"}, wantErr: `-targets: unknown target "envoy"`},
		{name: "extra without template", args: []string{"-extra", "envoy"}, wantErr: "want name=command-template"},
		{name: "extra bad name", args: []string{"-extra", "a b=x {listen}"}, wantErr: `name "a b"`},
		{name: "extra duplicate", args: []string{"-extra", "nginx=x {listen}"}, wantErr: `-extra: name "nginx" is already a target`},
		{name: "long duration", args: []string{"-duration", "30s"}, wantErr: "-duration: must be between 500ms and 15s"},
		{name: "zero rounds", args: []string{"-rounds", "0"}, wantErr: "-rounds: must be at least 1"},
		{name: "no targets", args: []string{"-targets", ""}, wantErr: "no target selected"},
		{name: "report not markdown", args: []string{"-report", "out.txt"}, wantErr: "-report: want a Markdown file"},
		{name: "stray argument", args: []string{"now"}, wantErr: `unexpected argument "now"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseOptions(tt.args, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, o)
		})
	}
}

func TestScenarioIDsUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range allScenarios(&Options{Rate: 5000, IdleConns: 10000}) {
		if seen[s.ID] {
			t.Errorf("duplicate scenario ID %q", s.ID)
		}
		seen[s.ID] = true
		if s.Run == nil && !s.Memory {
			t.Errorf("scenario %q has no Run", s.ID)
		}
	}
}

func TestCommandLine(t *testing.T) {
	got := commandLine([]string{"-rounds", "3", "-extra", "envoy=envoy -c {dir}/e.yaml"})
	want := `go run ./tools/bench -rounds 3 -extra 'envoy=envoy -c {dir}/e.yaml'`
	if got != want {
		t.Errorf("commandLine = %s, want %s", got, want)
	}
	if got := shellQuote("it's"); got != `'it'\''s'` {
		t.Errorf("shellQuote = %s", got)
	}
}
