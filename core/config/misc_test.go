package config

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDefault(t *testing.T) {
	c := mustLoad(t, Default(), "default.json")
	s := c.Servers[0]
	if s.DefaultLogPath != "stdout" || s.GracefulTimeout.Duration != 30*time.Second {
		t.Errorf("server = %+v", s)
	}
	byName := map[string]ListenerConfig{}
	for _, l := range s.Listeners {
		byName[l.Name] = l
	}
	client, server := byName["clientListener"], byName["serverListener"]
	if client.Address != "127.0.0.1:2045" || server.Address != "127.0.0.1:2046" {
		t.Errorf("listeners = %+v", s.Listeners)
	}
	if p := client.FilterChains[0].Filters[0].Proxy; p == nil || p.DownstreamProtocol != "Http1" || p.RouterConfigName != "client_router" {
		t.Errorf("client proxy = %+v", p)
	}
	if p := server.FilterChains[0].Filters[0].Proxy; p == nil || p.RouterConfigName != "server_router" {
		t.Errorf("server proxy = %+v", p)
	}
	var direct *DirectResponseAction
	var clusterName string
	for _, r := range s.Routers {
		rc := r.VirtualHosts[0].Routers[0]
		switch r.RouterConfigName {
		case "server_router":
			direct = rc.DirectResponse
		case "client_router":
			clusterName = rc.Route.ClusterName
		}
	}
	if direct == nil || direct.StatusCode != 200 || direct.Body != "Hello from MOSN in Go\n" {
		t.Errorf("server_router direct response = %+v", direct)
	}
	if clusterName != "clientCluster" {
		t.Errorf("client_router cluster = %q", clusterName)
	}
	cl := c.ClusterManager.Clusters[0]
	if cl.Name != "clientCluster" || cl.Hosts[0].Address != "127.0.0.1:2046" {
		t.Errorf("cluster = %+v", cl)
	}
	if got := c.Admin.Addr(); got != "127.0.0.1:34901" {
		t.Errorf("admin = %s", got)
	}
	// Default returns a copy: changing it must not change the next call.
	d := Default()
	d[0] = 'x'
	if Default()[0] != '{' {
		t.Error("Default shares its buffer")
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "mosn.yaml")
	if err := os.WriteFile(good, []byte(baseYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(good); err != nil {
		t.Errorf("Load(%s): %v", good, err)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, base(t, set(cl+"hosts.0.weight", 129)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(bad)
	if want := bad + ": " + pC + ".hosts[0].weight: weight 129 is above the maximum 128"; err == nil || err.Error() != want {
		t.Errorf("Load(bad) = %v, want %s", err, want)
	}
	_, err = Load(filepath.Join(dir, "missing.json"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want a not-exist error", err)
	}
}

// TestMarshalRoundTrip: a validated configuration marshals to JSON that
// loads back to the same configuration (the admin API dumps it this way).
func TestMarshalRoundTrip(t *testing.T) {
	for _, data := range [][]byte{[]byte(baseJSON), Default(), base(t,
		set(cl+"circuit_breakers", obj(t, `[{"max_connections": 5}]`)),
		set(lst+"access_logs", obj(t, `[{"log_path": "stdout", "log_format": "%start_time%"}]`)),
		set("servers.0.processor", 2),
	)} {
		c := mustLoad(t, data, "c.json")
		out, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		c2 := mustLoad(t, out, "dump.json")
		if !reflect.DeepEqual(c, c2) {
			t.Errorf("round trip changed the configuration:\n%s", out)
		}
	}
}

func TestDuration(t *testing.T) {
	var d Duration
	for in, want := range map[string]time.Duration{`"1m30s"`: 90 * time.Second, `"500ms"`: 500 * time.Millisecond, `0`: 0} {
		if err := json.Unmarshal([]byte(in), &d); err != nil || d.Duration != want {
			t.Errorf("Unmarshal(%s) = %v, %v; want %v", in, d, err, want)
		}
	}
	for _, in := range []string{`30`, `"5 s"`, `true`} {
		if err := json.Unmarshal([]byte(in), &d); err == nil {
			t.Errorf("Unmarshal(%s) succeeded", in)
		}
	}
	out, _ := json.Marshal(Duration{90 * time.Second})
	if string(out) != `"1m30s"` {
		t.Errorf("Marshal = %s", out)
	}
}

func TestFieldErrorPaths(t *testing.T) {
	for key, want := range map[string]string{
		"name":  "a.name",
		"a-b":   "a.a-b",
		"a.b":   `a["a.b"]`,
		"1x":    `a["1x"]`,
		"":      `a[""]`,
		"x y":   `a["x y"]`,
		"über":  `a["über"]`,
		"_priv": "a._priv",
	} {
		if got := joinPath("a", key); got != want {
			t.Errorf("joinPath(a, %q) = %s, want %s", key, got, want)
		}
	}
	if got := joinPath("", "servers"); got != "servers" {
		t.Errorf("root path = %s", got)
	}
}

// TestConfigurationDocExamples loads the ```json and ```yaml examples of
// docs/configuration.md, which must describe the same configuration.
func TestConfigurationDocExamples(t *testing.T) {
	doc, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := map[string][]string{}
	lang, body := "", []string(nil)
	for _, line := range strings.Split(string(doc), "\n") {
		switch {
		case lang == "" && (line == "```json" || line == "```yaml"):
			lang, body = strings.TrimPrefix(line, "```"), nil
		case lang != "" && line == "```":
			blocks[lang] = append(blocks[lang], strings.Join(body, "\n"))
			lang = ""
		case lang != "":
			body = append(body, line)
		}
	}
	if len(blocks["json"]) != 1 || len(blocks["yaml"]) != 1 {
		t.Fatalf("want one json and one yaml example, got %d and %d", len(blocks["json"]), len(blocks["yaml"]))
	}
	fromJSON := mustLoad(t, []byte(blocks["json"][0]), "example.json")
	fromYAML := mustLoad(t, []byte(blocks["yaml"][0]), "example.yaml")
	if !reflect.DeepEqual(fromJSON, fromYAML) {
		j, _ := json.Marshal(fromJSON)
		y, _ := json.Marshal(fromYAML)
		t.Errorf("the JSON and YAML examples differ:\n%s\n%s", j, y)
	}
}
