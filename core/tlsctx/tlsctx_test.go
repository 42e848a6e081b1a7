package tlsctx

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"strings"
	"testing"

	"github.com/seed405ffdea/mosn/core/tlsctx/tlstest"
)

func TestCheck(t *testing.T) {
	base := func() Config { return Config{Status: true, CertChain: "c.pem", PrivateKey: "k.pem"} }
	tests := []struct {
		name string
		side Side
		mod  func(*Config)
		want string // "" means valid
	}{
		{"ok", ServerSide, func(c *Config) {}, ""},
		{"off is not checked", ServerSide, func(c *Config) { *c = Config{MinVersion: "bad"} }, ""},
		{"no cert", ServerSide, func(c *Config) { c.CertChain, c.PrivateKey = "", "" }, "cert_chain: required on a listener"},
		{"key without cert", ServerSide, func(c *Config) { c.CertChain = "" }, "cert_chain: required with private_key"},
		{"cert without key", ClientSide, func(c *Config) { c.PrivateKey = "" }, "private_key: required with cert_chain"},
		{"verify without ca", ServerSide, func(c *Config) { c.VerifyClient = true }, "ca_cert: required with verify_client"},
		{"require without verify", ServerSide, func(c *Config) { c.RequireClientCert = true; c.CACert = "ca" }, "require_client_cert: needs verify_client"},
		{"client without cert", ClientSide, func(c *Config) { c.CertChain, c.PrivateKey = "", "" }, ""},
		{"bad min", ServerSide, func(c *Config) { c.MinVersion = "TLS1.4" }, `min_version: unknown TLS version "TLS1.4"`},
		{"min above max", ServerSide, func(c *Config) { c.MinVersion, c.MaxVersion = "TLS1.3", "TLS1.2" }, "min_version: TLS1.3 is above max_version TLS1.2"},
		{"suite names", ServerSide, func(c *Config) {
			c.CipherSuites = "ECDHE-RSA-AES128-GCM-SHA256:TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"
		}, ""},
		{"bad suite", ServerSide, func(c *Config) { c.CipherSuites = "RC4-MD5" }, `cipher_suites: unknown or insecure cipher suite "RC4-MD5"`},
		{"bad curve", ServerSide, func(c *Config) { c.EcdhCurves = "x25519:p999" }, `ecdh_curves: unknown curve "p999"`},
		{"bad alpn", ServerSide, func(c *Config) { c.ALPN = "h2,,http/1.1" }, `alpn: invalid protocol ""`},
		{"gm unknown", ServerSide, func(c *Config) { c.Type = "gm" }, `type: TLS provider type "gm" is not supported yet`},
		{"ticket", ServerSide, func(c *Config) { c.Ticket = "abc" }, "ticket: setting the session ticket key is not supported yet"},
		{"sds cert", ServerSide, func(c *Config) {
			c.CertChain, c.PrivateKey = "", ""
			c.SdsSource = json.RawMessage(`{"certificate_config":{"name":"default"}}`)
		}, ""},
		{"sds and cert", ServerSide, func(c *Config) {
			c.SdsSource = json.RawMessage(`{"certificate_config":{"name":"default"}}`)
		}, "sds_source.certificate_config: excludes cert_chain and private_key"},
		{"sds unknown field", ServerSide, func(c *Config) {
			c.SdsSource = json.RawMessage(`{"cert_config":{"name":"default"}}`)
		}, `sds_source: unknown field "cert_config"`},
		{"sds no name", ServerSide, func(c *Config) {
			c.SdsSource = json.RawMessage(`{"validation_config":{}}`)
		}, "sds_source.validation_config.name: required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base()
			tt.mod(&c)
			err := Check(&c, tt.side, nil)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}
}

func TestCheckKnownType(t *testing.T) {
	c := Config{Status: true, Type: "gm"}
	if err := Check(&c, ServerSide, func(s string) bool { return s == "gm" }); err != nil {
		t.Fatal(err)
	}
}

// TestServerDefaults: TLS 1.1 and a CBC suite are refused by default;
// TLS 1.2 with an AEAD suite and TLS 1.3 are served.
func TestServerDefaults(t *testing.T) {
	addr, ca := serveDefaults(t)
	pool := ca.Pool()
	if _, err := dial(t, addr, &tls.Config{RootCAs: pool, ServerName: "a.test", MaxVersion: tls.VersionTLS11, MinVersion: tls.VersionTLS10}); err == nil {
		t.Fatal("TLS 1.1 accepted")
	}
	if _, err := dial(t, addr, &tls.Config{RootCAs: pool, ServerName: "a.test", MaxVersion: tls.VersionTLS12,
		CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA}}); err == nil {
		t.Fatal("CBC suite accepted")
	}
	c, err := dial(t, addr, &tls.Config{RootCAs: pool, ServerName: "a.test", MaxVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	if st := c.ConnectionState(); st.Version != tls.VersionTLS12 || tls.CipherSuiteName(st.CipherSuite) != "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" {
		t.Fatalf("version %x suite %s", st.Version, tls.CipherSuiteName(st.CipherSuite))
	}
	c, err = dial(t, addr, &tls.Config{RootCAs: pool, ServerName: "a.test"})
	if err != nil {
		t.Fatal(err)
	}
	if c.ConnectionState().Version != tls.VersionTLS13 {
		t.Fatal("not TLS 1.3")
	}
}

// TestSNISelection: exact name, then wildcard, then ALPN, then default.
func TestSNISelection(t *testing.T) {
	ca := tlstest.NewCA(t, "ca")
	def := ca.Leaf(t, tlstest.LeafOptions{CN: "default", DNS: []string{"default.test"}})
	exact := ca.Leaf(t, tlstest.LeafOptions{CN: "exact", DNS: []string{"api.example.com"}})
	wild := ca.Leaf(t, tlstest.LeafOptions{CN: "wild", DNS: []string{"*.example.com"}})
	h2 := ca.Leaf(t, tlstest.LeafOptions{CN: "wild-h2", DNS: []string{"*.example.com"}})
	named := ca.Leaf(t, tlstest.LeafOptions{CN: "named", DNS: []string{"other.test"}})
	ctx := func(l *tlstest.Leaf, alpn, sn string) Config {
		return Config{Status: true, CertChain: string(l.CertPEM), PrivateKey: string(l.KeyPEM), ALPN: alpn, ServerName: sn}
	}
	s, err := NewServer([]Config{ctx(def, "", ""), ctx(exact, "", ""), ctx(wild, "http/1.1", ""), ctx(h2, "h2", ""), ctx(named, "", "configured.test")}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	addr, _ := serve(t, s)
	tests := []struct {
		sni  string
		alpn []string
		cn   string
	}{
		{"api.example.com", nil, "exact"},
		{"API.Example.com", nil, "exact"},
		{"www.example.com", nil, "wild"},
		{"www.example.com", []string{"h2"}, "wild-h2"},
		{"www.example.com", []string{"http/1.1"}, "wild"},
		{"a.b.example.com", nil, "default"}, // a wildcard covers one label
		{"unknown.test", nil, "default"},
		{"", nil, "default"},
		{"configured.test", nil, "named"},
	}
	for _, tt := range tests {
		t.Run(tt.sni+"/"+strings.Join(tt.alpn, ","), func(t *testing.T) {
			c, err := dial(t, addr, &tls.Config{InsecureSkipVerify: true, ServerName: tt.sni, NextProtos: tt.alpn})
			if err != nil {
				t.Fatal(err)
			}
			if cn := c.ConnectionState().PeerCertificates[0].Subject.CommonName; cn != tt.cn {
				t.Fatalf("served %q, want %q", cn, tt.cn)
			}
		})
	}
}

// TestMutualTLS: clients without a certificate, with another CA's or
// with a server-only EKU are refused in the handshake; the good one is
// served and its SPIFFE id is visible.
func TestMutualTLS(t *testing.T) {
	ca := tlstest.NewCA(t, "mesh-ca")
	other := tlstest.NewCA(t, "other-ca")
	srv := ca.Leaf(t, tlstest.LeafOptions{DNS: []string{"svc.test"}})
	good := ca.Leaf(t, tlstest.LeafOptions{CN: "good", URIs: []string{"spiffe://cluster.local/ns/default/sa/good"}})
	foreign := other.Leaf(t, tlstest.LeafOptions{CN: "foreign"})
	serverOnly := ca.Leaf(t, tlstest.LeafOptions{CN: "eku", EKU: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	s, err := NewServer([]Config{{Status: true, CertChain: string(srv.CertPEM), PrivateKey: string(srv.KeyPEM),
		CACert: string(ca.CertPEM), VerifyClient: true, RequireClientCert: true, ALPN: "h2,http/1.1"}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	addr, ids := serve(t, s)
	base := func(l *tlstest.Leaf) *tls.Config {
		c := &tls.Config{RootCAs: ca.Pool(), ServerName: "svc.test", NextProtos: []string{"h2"}}
		if l != nil {
			c.Certificates = []tls.Certificate{l.TLS(t)}
		}
		return c
	}
	for name, l := range map[string]*tlstest.Leaf{"no cert": nil, "other CA": foreign, "server EKU": serverOnly} {
		for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
			cfg := base(l)
			cfg.MaxVersion = v
			if _, err := dial(t, addr, cfg); err == nil {
				t.Errorf("%s (version %x): accepted", name, v)
			}
		}
	}
	if len(ids) != 0 {
		t.Fatalf("%d refused clients reached the server", len(ids))
	}
	c, err := dial(t, addr, base(good))
	if err != nil {
		t.Fatal(err)
	}
	if c.ConnectionState().NegotiatedProtocol != "h2" {
		t.Fatal("alpn not negotiated")
	}
	id := <-ids
	if uris := id.PeerURIs(); len(uris) != 1 || uris[0] != "spiffe://cluster.local/ns/default/sa/good" {
		t.Fatalf("peer URIs %v", uris)
	}
	if id.NegotiatedProtocol() != "h2" || id.ServerName() != "svc.test" {
		t.Fatalf("alpn %q sni %q", id.NegotiatedProtocol(), id.ServerName())
	}
}

func TestBuildErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := NewServer([]Config{{Status: true, CertChain: dir + "/missing.pem", PrivateKey: dir + "/k.pem"}}, Options{}); err == nil ||
		!strings.Contains(err.Error(), "tls_context.cert_chain: open ") {
		t.Fatalf("error %v", err)
	}
	ca := tlstest.NewCA(t, "ca")
	a := ca.Leaf(t, tlstest.LeafOptions{})
	b := ca.Leaf(t, tlstest.LeafOptions{})
	if _, err := NewServer([]Config{{Status: true, CertChain: string(a.CertPEM), PrivateKey: string(a.KeyPEM)},
		{Status: true, CertChain: string(a.CertPEM), PrivateKey: string(b.KeyPEM)}}, Options{}); err == nil ||
		!strings.Contains(err.Error(), "tls_context_set[1].cert_chain, private_key: tls: private key does not match public key") {
		t.Fatalf("error %v", err)
	}
	if _, err := NewServer([]Config{{Status: true, CertChain: string(a.CertPEM), PrivateKey: string(a.KeyPEM), CACert: "-----BEGIN nothing"}}, Options{}); err == nil ||
		!strings.Contains(err.Error(), "ca_cert: no PEM certificate found") {
		t.Fatalf("error %v", err)
	}
	if _, err := NewServer([]Config{{Status: true, SdsSource: json.RawMessage(`{"certificate_config":{"name":"x"}}`)}}, Options{}); err == nil ||
		!strings.Contains(err.Error(), "tls_context.sds_source: no secret provider") {
		t.Fatalf("error %v", err)
	}
}
