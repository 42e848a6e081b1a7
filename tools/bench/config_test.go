package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed405ffdea/mosn/core/config"

	"github.com/seed405ffdea/mosn/tools/internal/loadgen"
)

// testConfig is a proxyConfig with every listener the kind supports.
func testConfig(t *testing.T, kind string) proxyConfig {
	t.Helper()
	dir := t.TempDir()
	c := proxyConfig{
		Dir:      dir,
		Listen:   Listeners{},
		Up:       Upstreams{HTTP1: "127.0.0.1:9001", H2C: "127.0.0.1:9002", GRPC: "127.0.0.1:9003", TCP: "127.0.0.1:9004"},
		MaxConns: 11024,
		NoFile:   20000,
	}
	for i, f := range allFeatures {
		if supports(kind, f) {
			c.Listen[f] = "127.0.0.1:" + string(rune('1'+i)) + "8000"
		}
	}
	return c
}

func TestMosnConfigLoads(t *testing.T) {
	c := testConfig(t, "mosn")
	data, err := mosnConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	// The proxy's own loader and validator must accept what we generate.
	cfg, err := config.Parse(data, "bench.json")
	if err != nil {
		t.Fatalf("config.Parse: %v\n%s", err, data)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("Validate: %v\n%s", err, data)
	}
	s := string(data)
	for _, want := range []string{`"address": "127.0.0.1:18000"`, `"127.0.0.1:9001"`, `"default_log_level": "ERROR"`, `"processor": 1`, `"max_request_per_conn": 1000000`,
		`"type": "tcp_proxy"`, `"address": "127.0.0.1:48000"`, `"127.0.0.1:9004"`} {
		if !strings.Contains(s, want) {
			t.Errorf("mosn config lacks %s:\n%s", want, s)
		}
	}
}

func TestConfigRefusals(t *testing.T) {
	base := testConfig(t, "nginx")
	tests := []struct {
		name    string
		gen     func(proxyConfig) (string, error)
		mutate  func(*proxyConfig)
		wantErr string
	}{
		{
			name:    "mosn without TLS in the harness",
			gen:     func(c proxyConfig) (string, error) { b, err := mosnConfig(c); return string(b), err },
			mutate:  func(c *proxyConfig) {},
			wantErr: `mosn config: feature "tls" is not supported`,
		},
		{
			name:    "no HTTP/1 listener",
			gen:     nginxConfig,
			mutate:  func(c *proxyConfig) { delete(c.Listen, FeatHTTP1) },
			wantErr: "nginx config: no HTTP/1 listener",
		},
		{
			name:    "nginx TCP without stream module",
			gen:     nginxConfig,
			mutate:  func(c *proxyConfig) { c.StreamModule = "" },
			wantErr: "needs the stream module",
		},
		{
			name:    "haproxy without descriptors",
			gen:     haproxyConfig,
			mutate:  func(c *proxyConfig) { c.NoFile = 100 },
			wantErr: "NoFile at least 1024",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base
			c.Listen = Listeners{}
			for k, v := range base.Listen {
				c.Listen[k] = v
			}
			tt.mutate(&c)
			_, err := tt.gen(c)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %v, want containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestNginxConfig(t *testing.T) {
	c := testConfig(t, "nginx")
	c.StreamModule = "/usr/lib/nginx/modules/ngx_stream_module.so"
	got, err := nginxConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"load_module /usr/lib/nginx/modules/ngx_stream_module.so;",
		"worker_processes 1;",
		"worker_rlimit_nofile 20000;",
		"worker_connections 19936;",
		"access_log off;",
		"listen 127.0.0.1:18000;",
		"upstream origin_http1 { server 127.0.0.1:9001; keepalive 256;",
		"listen 127.0.0.1:28000 http2;",
		"grpc_pass grpc://origin_h2c;",
		"grpc_pass grpc://origin_grpc;",
		"listen 127.0.0.1:58000 ssl;",
		"ssl_session_tickets off;",
		"server { listen 127.0.0.1:48000; proxy_pass 127.0.0.1:9004; }",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("nginx config lacks %q:\n%s", want, got)
		}
	}
	// Only the HTTP/1 listener: no stream block, no module.
	c.Listen = Listeners{FeatHTTP1: "127.0.0.1:18000"}
	c.StreamModule = ""
	got, err = nginxConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, unwanted := range []string{"load_module", "stream {", "http2", "ssl"} {
		if strings.Contains(got, unwanted) {
			t.Errorf("HTTP/1-only nginx config has %q:\n%s", unwanted, got)
		}
	}
}

func TestHAProxyConfig(t *testing.T) {
	c := testConfig(t, "haproxy")
	c.TLS.Combined = "/x/combined.pem"
	got, err := haproxyConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"nbthread 1",
		"maxconn 9950",
		"bind 127.0.0.1:18000\n",
		"server o 127.0.0.1:9001\n",
		"bind 127.0.0.1:28000 proto h2",
		"server o 127.0.0.1:9002 proto h2",
		"bind 127.0.0.1:58000 ssl crt /x/combined.pem no-tls-tickets",
		"mode tcp",
		"http-reuse always",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("haproxy config lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "\n  log ") {
		t.Errorf("haproxy config logs:\n%s", got)
	}
}

func TestIdleCapacity(t *testing.T) {
	tests := []struct {
		kind   string
		nofile int
		want   int
	}{
		{"haproxy", 20000, 9886},
		{"nginx", 20000, 19488},
		{"mosn", 131072, 130560},
	}
	for _, tt := range tests {
		if got := idleCapacity(tt.kind, tt.nofile); got != tt.want {
			t.Errorf("idleCapacity(%s, %d) = %d, want %d", tt.kind, tt.nofile, got, tt.want)
		}
	}
}

// TestProxyConfigsAccepted asks the real nginx and HAProxy to check the
// generated files (skipped for a proxy that is not installed).
func TestProxyConfigsAccepted(t *testing.T) {
	tls, err := loadgen.WriteSelfSigned(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Run("nginx", func(t *testing.T) {
		if _, err := exec.LookPath("nginx"); err != nil {
			t.Skip("nginx not installed")
		}
		c := testConfig(t, "nginx")
		c.TLS = tls
		if _, err := os.Stat(nginxStreamModule); err == nil {
			c.StreamModule = nginxStreamModule
		} else {
			delete(c.Listen, FeatTCP)
		}
		conf, err := nginxConfig(c)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(c.Dir, "nginx.conf")
		os.WriteFile(path, []byte(conf), 0o644)
		if out, err := exec.Command("nginx", "-t", "-q", "-p", c.Dir, "-e", "stderr", "-c", path).CombinedOutput(); err != nil {
			t.Fatalf("nginx -t: %v\n%s\n%s", err, out, conf)
		}
	})
	t.Run("haproxy", func(t *testing.T) {
		if _, err := exec.LookPath("haproxy"); err != nil {
			t.Skip("haproxy not installed")
		}
		c := testConfig(t, "haproxy")
		c.TLS = tls
		conf, err := haproxyConfig(c)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(c.Dir, "haproxy.cfg")
		os.WriteFile(path, []byte(conf), 0o644)
		if out, err := exec.Command("haproxy", "-c", "-q", "-f", path).CombinedOutput(); err != nil {
			t.Fatalf("haproxy -c: %v\n%s\n%s", err, out, conf)
		}
	})
}

func TestExpandTemplate(t *testing.T) {
	c := proxyConfig{Dir: "/d", Listen: Listeners{FeatHTTP1: "127.0.0.1:8080"}, Up: Upstreams{HTTP1: "127.0.0.1:9090"}}
	tests := []struct {
		name, tmpl, want, wantErr string
	}{
		{name: "all", tmpl: "envoy --listen {listen} --port {listen_port} --to {upstream} {upstream_port} --dir {dir}",
			want: "envoy --listen 127.0.0.1:8080 --port 8080 --to 127.0.0.1:9090 9090 --dir /d"},
		{name: "repeated", tmpl: "p {listen} {listen}", want: "p 127.0.0.1:8080 127.0.0.1:8080"},
		{name: "braces kept", tmpl: "p -l {listen_port} -j '{\"a\":1}'", want: "p -l 8080 -j '{\"a\":1}'"},
		{name: "unknown", tmpl: "p {listen} {lisen}", wantErr: "unknown placeholder {lisen}"},
		{name: "no listen", tmpl: "p {upstream}", wantErr: "neither {listen} nor {listen_port}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := expandTemplate(tt.tmpl, c)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("expandTemplate = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
