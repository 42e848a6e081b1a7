package tlsctx

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/seed405ffdea/mosn/api"
	"github.com/seed405ffdea/mosn/core/tlsctx/tlstest"
)

// waitCN dials until the served certificate's CN is want, for up to 2s.
func waitCN(t *testing.T, addr, want string, certs ...tls.Certificate) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	var cn string
	for time.Now().Before(deadline) {
		c, err := dial(t, addr, &tls.Config{InsecureSkipVerify: true, Certificates: certs})
		if err == nil {
			cn = c.ConnectionState().PeerCertificates[0].Subject.CommonName
			c.Close()
			if cn == want {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("served %q after 2s, want %q", cn, want)
}

// echoes checks that an established connection still works.
func echoes(t *testing.T, c *tls.Conn) {
	t.Helper()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("more")); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 4)
	if _, err := io.ReadFull(c, b); err != nil || string(b) != "more" {
		t.Fatalf("old connection: %q %v", b, err)
	}
}

// TestFileRotation: a certificate rewritten on disk is served to new
// handshakes within 2s; a connection made before keeps working; a broken
// write keeps the last good certificate.
func TestFileRotation(t *testing.T) {
	dir := t.TempDir()
	ca := tlstest.NewCA(t, "ca")
	v1 := ca.Leaf(t, tlstest.LeafOptions{CN: "v1"})
	cert := tlstest.WriteFile(t, dir, "cert.pem", v1.CertPEM)
	key := tlstest.WriteFile(t, dir, "key.pem", v1.KeyPEM)
	s, err := NewServer([]Config{{Status: true, CertChain: cert, PrivateKey: key}}, Options{Debounce: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	addr, _ := serve(t, s)
	old, err := dial(t, addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	if cn := old.ConnectionState().PeerCertificates[0].Subject.CommonName; cn != "v1" {
		t.Fatalf("served %q", cn)
	}

	v2 := ca.Leaf(t, tlstest.LeafOptions{CN: "v2"})
	tlstest.WriteFile(t, dir, "key.pem", v2.KeyPEM)
	tlstest.WriteFile(t, dir, "cert.pem", v2.CertPEM)
	waitCN(t, addr, "v2")
	echoes(t, old)

	// A truncated certificate is refused; v2 stays.
	before := s.ctxs[0].failure.Load()
	tlstest.WriteFile(t, dir, "cert.pem", v2.CertPEM[:20])
	deadline := time.Now().Add(2 * time.Second)
	for s.ctxs[0].failure.Load() == before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if s.ctxs[0].failure.Load() == before {
		t.Fatal("broken certificate not noticed")
	}
	waitCN(t, addr, "v2")
}

// secrets is an in-memory api.SecretProvider.
type secrets struct {
	mu       sync.Mutex
	m        map[string]api.Secret
	watchers map[string][]func(api.Secret)
}

func (s *secrets) Get(_ context.Context, name string) (api.Secret, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec, ok := s.m[name]
	if !ok {
		return api.Secret{}, fmt.Errorf("no secret %q", name)
	}
	return sec, nil
}

func (s *secrets) Watch(ctx context.Context, name string, f func(api.Secret)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.watchers[name] = append(s.watchers[name], f)
}

func (s *secrets) push(sec api.Secret) {
	s.mu.Lock()
	s.m[sec.Name] = sec
	ws := s.watchers[sec.Name]
	s.mu.Unlock()
	for _, f := range ws {
		f(sec)
	}
}

// TestSDSRotation: certificate and CA from a secret provider; a new secret
// version is served to new handshakes.
func TestSDSRotation(t *testing.T) {
	ca := tlstest.NewCA(t, "ca")
	v1 := ca.Leaf(t, tlstest.LeafOptions{CN: "v1"})
	sp := &secrets{m: map[string]api.Secret{
		"default": {Name: "default", CertificateChain: v1.CertPEM, PrivateKey: v1.KeyPEM},
		"ROOTCA":  {Name: "ROOTCA", ValidationCA: ca.CertPEM},
	}, watchers: map[string][]func(api.Secret){}}
	cfg := Config{Status: true, VerifyClient: true, RequireClientCert: true,
		SdsSource: json.RawMessage(`{"certificate_config":{"name":"default","sds_config":{"ads":{}}},"validation_config":{"name":"ROOTCA"}}`)}
	s, err := NewServer([]Config{cfg}, Options{Secrets: sp})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	addr, _ := serve(t, s)
	client := ca.Leaf(t, tlstest.LeafOptions{CN: "client"})
	old, err := dial(t, addr, &tls.Config{InsecureSkipVerify: true, Certificates: []tls.Certificate{client.TLS(t)}})
	if err != nil {
		t.Fatal(err)
	}
	v2 := ca.Leaf(t, tlstest.LeafOptions{CN: "v2"})
	sp.push(api.Secret{Name: "default", CertificateChain: v2.CertPEM, PrivateKey: v2.KeyPEM})
	waitCN(t, addr, "v2", client.TLS(t))
	echoes(t, old)

	// A rotated CA: the old CA's clients are refused from now on.
	ca2 := tlstest.NewCA(t, "ca2")
	sp.push(api.Secret{Name: "ROOTCA", ValidationCA: ca2.CertPEM})
	if _, err := dial(t, addr, &tls.Config{InsecureSkipVerify: true, Certificates: []tls.Certificate{client.TLS(t)}}); err == nil {
		t.Fatal("client of the replaced CA accepted")
	}
	client2 := ca2.Leaf(t, tlstest.LeafOptions{CN: "client2"})
	if _, err := dial(t, addr, &tls.Config{InsecureSkipVerify: true, Certificates: []tls.Certificate{client2.TLS(t)}}); err != nil {
		t.Fatal(err)
	}
}
