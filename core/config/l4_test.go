package config

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestL4FilterConfig(t *testing.T) {
	data := base(t,
		set(flt+"type", "tcp_proxy"),
		set(flt+"config", obj(t, `{"stat_prefix": "db", "cluster": "c1", "idle_timeout": "5m", "max_connect_attempts": 3,
			"routes": [{"cluster": "c1", "source_addrs": ["10.0.0.0/8", {"address": "192.168.1.7", "length": 24}],
				"destination_addrs": ["::1"], "source_port": "1000-2000,3000", "destination_port": "80"}]}`)),
	)
	c, err := load(data, "c.json", Builtins())
	if err != nil {
		t.Fatal(err)
	}
	got := c.Servers[0].Listeners[0].FilterChains[0].Filters[0].TCPProxy
	want := &TCPProxyConfig{
		StatPrefix: "db", Cluster: "c1", IdleTimeout: &Duration{5 * time.Minute}, MaxConnectAttempts: 3,
		Routes: []StreamRouteConfig{{
			Cluster:          "c1",
			SourceAddrs:      []CIDRRange{{netip.MustParsePrefix("10.0.0.0/8")}, {netip.MustParsePrefix("192.168.1.0/24")}},
			DestinationAddrs: []CIDRRange{{netip.MustParsePrefix("::1/128")}},
			SourcePort:       "1000-2000,3000", DestinationPort: "80",
		}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	// Defaults.
	c, err = load(base(t, set(flt+"type", "tcp_proxy"), set(flt+"config", obj(t, `{"cluster": "c1"}`))), "c.json", Builtins())
	if err != nil {
		t.Fatal(err)
	}
	p := c.Servers[0].Listeners[0].FilterChains[0].Filters[0].TCPProxy
	if p.IdleTimeout.Duration != DefaultTCPIdleTimeout || p.MaxConnectAttempts != 1 {
		t.Fatalf("defaults: %+v", p)
	}
	// A udp listener with udp_proxy, and its defaults.
	c, err = load(base(t, set(lst+"network", "UDP"), set(flt+"type", "udp_proxy"), set(flt+"config", obj(t, `{"cluster": "c1"}`))), "c.json", Builtins())
	if err != nil {
		t.Fatal(err)
	}
	l := c.Servers[0].Listeners[0]
	u := l.FilterChains[0].Filters[0].UDPProxy
	if l.Network != "udp" || u.IdleTimeout.Duration != DefaultUDPIdleTimeout || u.MaxSessions != DefaultUDPMaxSessions {
		t.Fatalf("udp: %q %+v", l.Network, u)
	}
	// The round trip keeps CIDR ranges as strings.
	b, err := json.Marshal(want.Routes[0])
	if err != nil || string(b) != `{"cluster":"c1","source_addrs":["10.0.0.0/8","192.168.1.0/24"],"destination_addrs":["::1/128"],"source_port":"1000-2000,3000","destination_port":"80"}` {
		t.Fatalf("marshal: %s %v", b, err)
	}
	var back StreamRouteConfig
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, want.Routes[0]) {
		t.Fatalf("unmarshal: %+v %v", back, err)
	}
}

func TestL4ListenerNetworks(t *testing.T) {
	// A unix listener with tcp_proxy; a tcp and a udp listener on the same
	// address do not collide.
	data := base(t,
		set(lst+"network", "unix"), set(lst+"address", "/tmp/mosn-test.sock"),
		set(flt+"type", "tcp_proxy"), set(flt+"config", obj(t, `{"cluster": "c1"}`)),
		set("servers.0.listeners.1", obj(t, `{"name": "t", "address": "127.0.0.1:5353", "bind_port": true,
			"filter_chains": [{"filters": [{"type": "tcp_proxy", "config": {"cluster": "c1"}}]}]}`)),
		set("servers.0.listeners.2", obj(t, `{"name": "u", "address": "127.0.0.1:5353", "bind_port": true, "network": "udp",
			"filter_chains": [{"filters": [{"type": "udp_proxy", "config": {"cluster": "c1"}}]}]}`)),
	)
	if _, err := load(data, "c.json", Builtins()); err != nil {
		t.Fatal(err)
	}
}

func TestL4Errors(t *testing.T) {
	tcp := func(cfg string) []edit {
		return []edit{set(flt+"type", "tcp_proxy"), set(flt+"config", obj(t, cfg))}
	}
	udp := func(cfg string) []edit {
		return []edit{set(lst+"network", "udp"), set(flt+"type", "udp_proxy"), set(flt+"config", obj(t, cfg))}
	}
	pc := pF + ".config"
	tests := []struct {
		name  string
		edits []edit
		want  string
	}{
		{"no cluster", tcp(`{}`), pc + ".cluster: required (or routes)"},
		{"unknown cluster", tcp(`{"cluster": "c2"}`), pc + `.cluster: unknown cluster "c2" (did you mean "c1"?)`},
		{"unknown field", tcp(`{"cluster": "c1", "idle": "1s"}`), pc + ".idle: unknown field"},
		{"negative idle", tcp(`{"cluster": "c1", "idle_timeout": "-1s"}`), pc + ".idle_timeout: must not be negative, got -1s"},
		{"idle number", tcp(`{"cluster": "c1", "idle_timeout": 5}`), pc + `.idle_timeout: expected a duration string such as "30s", got number 5`},
		{"too many attempts", tcp(`{"cluster": "c1", "max_connect_attempts": 1000}`), pc + ".max_connect_attempts: at most 100, got 1000"},
		{"route without cluster", tcp(`{"routes": [{}]}`), pc + ".routes[0].cluster: required"},
		{"route unknown cluster", tcp(`{"routes": [{"cluster": "x"}]}`), pc + `.routes[0].cluster: unknown cluster "x"`},
		{"bad cidr", tcp(`{"routes": [{"cluster": "c1", "source_addrs": ["10.0.0.0/33"]}]}`), pc + `.routes[0].source_addrs[0]: invalid CIDR range "10.0.0.0/33"`},
		{"cidr not an address", tcp(`{"routes": [{"cluster": "c1", "destination_addrs": ["example.com"]}]}`), pc + `.routes[0].destination_addrs[0]: invalid CIDR range "example.com"`},
		{"cidr object length", tcp(`{"routes": [{"cluster": "c1", "source_addrs": [{"address": "10.0.0.1", "length": 40}]}]}`), pc + ".routes[0].source_addrs[0].length: at most 32 for 10.0.0.1, got 40"},
		{"cidr object address", tcp(`{"routes": [{"cluster": "c1", "source_addrs": [{"address": "x", "length": 8}]}]}`), pc + `.routes[0].source_addrs[0].address: invalid IP address "x"`},
		{"cidr object unknown field", tcp(`{"routes": [{"cluster": "c1", "source_addrs": [{"ip": "10.0.0.1"}]}]}`), pc + ".routes[0].source_addrs[0].ip: unknown field"},
		{"cidr number", tcp(`{"routes": [{"cluster": "c1", "source_addrs": [10]}]}`), pc + `.routes[0].source_addrs[0]: expected a CIDR string such as "10.0.0.0/8" or an object {"address", "length"}, got number 10`},
		{"bad port", tcp(`{"routes": [{"cluster": "c1", "source_port": "80-70"}]}`), pc + `.routes[0].source_port: invalid port or range "80-70" (want "80" or "8000-8080")`},
		{"bad destination port", tcp(`{"routes": [{"cluster": "c1", "destination_port": "http"}]}`), pc + `.routes[0].destination_port: invalid port or range "http" (want "80" or "8000-8080")`},
		{"udp zero idle", udp(`{"cluster": "c1", "idle_timeout": "0s"}`), pc + ".idle_timeout: must be positive, got 0s"},
		{"udp max_connect_attempts", udp(`{"cluster": "c1", "max_connect_attempts": 2}`), pc + ".max_connect_attempts: unknown field"},
		{"udp_proxy on tcp", []edit{set(flt+"type", "udp_proxy"), set(flt+"config", obj(t, `{"cluster": "c1"}`))}, pF + `.type: "udp_proxy" needs a listener with network "udp", got "tcp"`},
		{"tcp_proxy on udp", []edit{set(lst+"network", "udp"), set(flt+"type", "tcp_proxy"), set(flt+"config", obj(t, `{"cluster": "c1"}`))}, pF + `.type: a udp listener takes only the "udp_proxy" filter, got "tcp_proxy"`},
		{"unix path too long", []edit{set(lst+"network", "unix"), set(lst+"address", "/"+string(make([]byte, 0))+longPath())}, pL + `.address: invalid address "/` + longPath() + `": a unix socket path is at most 107 bytes without NUL, got 121 bytes`},
		{"duplicate udp address", append(udp(`{"cluster": "c1"}`), set("servers.0.listeners.1", obj(t, `{"name": "u2", "address": "127.0.0.1:2045", "bind_port": true, "network": "udp",
			"filter_chains": [{"filters": [{"type": "udp_proxy", "config": {"cluster": "c1"}}]}]}`))), `servers[0].listeners[1].address: address "127.0.0.1:2045" is already used by servers[0].listeners[0]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := load(base(t, tt.edits...), "c.json", Builtins())
			if err == nil {
				t.Fatalf("loaded: %+v", c)
			}
			if got, want := err.Error(), "c.json: "+tt.want; got != want {
				t.Errorf("error:\n got %s\nwant %s", got, want)
			}
		})
	}
}

func longPath() string {
	b := make([]byte, 120)
	for i := range b {
		b[i] = 'a'
	}
	return string(b)
}

func TestParsePorts(t *testing.T) {
	got, err := ParsePorts("80, 8000-8080,443")
	want := []PortRange{{80, 80}, {8000, 8080}, {443, 443}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("%v %v", got, err)
	}
	for _, bad := range []string{"70000", "-1", "a-b", "1-", ",", "5-4"} {
		if _, err := ParsePorts(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseCIDR(t *testing.T) {
	for in, want := range map[string]string{
		"10.1.2.3/8":          "10.0.0.0/8",
		"10.1.2.3":            "10.1.2.3/32",
		"::ffff:10.1.2.3":     "10.1.2.3/32",
		"::ffff:10.0.0.0/104": "10.0.0.0/8",
		"2001:db8::1/32":      "2001:db8::/32",
	} {
		p, err := ParseCIDR(in)
		if err != nil || p.String() != want {
			t.Errorf("%s: %v %v, want %s", in, p, err, want)
		}
	}
	for _, bad := range []string{"", "10.0.0.0/", "::ffff:10.0.0.0/8", "1.2.3.4/-1"} {
		if _, err := ParseCIDR(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestL4DocExamples loads every ```json listener of docs/l4.md as a
// listener of a config that has the clusters it names.
func TestL4DocExamples(t *testing.T) {
	doc, err := os.ReadFile("../../docs/l4.md")
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	in, body := false, []string(nil)
	for _, line := range strings.Split(string(doc), "\n") {
		switch {
		case !in && line == "```json":
			in, body = true, nil
		case in && line == "```":
			blocks = append(blocks, strings.Join(body, "\n"))
			in = false
		case in:
			body = append(body, line)
		}
	}
	if len(blocks) != 3 {
		t.Fatalf("%d json examples, want 3", len(blocks))
	}
	clusters := `{"clusters": [` + strings.Join([]string{`{"name": "pg_primary"}`, `{"name": "pg_reporting"}`, `{"name": "pg_local"}`, `{"name": "resolvers"}`, `{"name": "app"}`}, ",") + `]}`
	for i, b := range blocks {
		text := `{"servers": [{"listeners": [` + b + `]}], "cluster_manager": ` + clusters + `}`
		if _, err := load([]byte(text), "l4.md", Builtins()); err != nil {
			t.Errorf("example %d: %v", i, err)
		}
	}
}

// FuzzL4Addresses feeds arbitrary text to the route parsers: they must
// not panic; a CIDR they accept is masked and reads back the same; a port
// list they accept has ordered ranges and reads back the same.
func FuzzL4Addresses(f *testing.F) {
	for _, s := range []string{"10.0.0.0/8", "10.1.2.3", "::1", "::ffff:10.0.0.0/104", "2001:db8::/32", "1.2.3.4/33", "", "80", "80,443", "8000-8080,9000", "5-4", " 1 , 2-3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if p, err := ParseCIDR(s); err == nil {
			if !p.IsValid() || p != p.Masked() || p.Addr().Is4In6() {
				t.Fatalf("%q: accepted as %v", s, p)
			}
			if q, err := ParseCIDR(p.String()); err != nil || q != p {
				t.Fatalf("%q: %v reads back as %v %v", s, p, q, err)
			}
		}
		rs, err := ParsePorts(s)
		if err != nil {
			return
		}
		var parts []string
		for _, r := range rs {
			if r.Min > r.Max {
				t.Fatalf("%q: range %v", s, r)
			}
			parts = append(parts, fmt.Sprintf("%d-%d", r.Min, r.Max))
		}
		back, err := ParsePorts(strings.Join(parts, ","))
		if err != nil || !reflect.DeepEqual(back, rs) {
			t.Fatalf("%q: %v reads back as %v %v", s, rs, back, err)
		}
	})
}
