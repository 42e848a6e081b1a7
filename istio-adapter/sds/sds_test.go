package sds

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/seed405ffdea/mosn/api"
	"github.com/seed405ffdea/mosn/istio-adapter/xdstest"
	"github.com/seed405ffdea/mosn/pkg/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// selfSigned returns a PEM certificate and key for cn.
func selfSigned(t *testing.T, cn string) (certPEM, keyPEM []byte) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

func certSecret(name string, cert, key []byte) *tlsv3.Secret {
	return &tlsv3.Secret{Name: name, Type: &tlsv3.Secret_TlsCertificate{TlsCertificate: &tlsv3.TlsCertificate{
		CertificateChain: &corev3.DataSource{Specifier: &corev3.DataSource_InlineBytes{InlineBytes: cert}},
		PrivateKey:       &corev3.DataSource{Specifier: &corev3.DataSource_InlineBytes{InlineBytes: key}},
	}}}
}

func caSecret(name string, ca []byte) *tlsv3.Secret {
	return &tlsv3.Secret{Name: name, Type: &tlsv3.Secret_ValidationContext{ValidationContext: &tlsv3.CertificateValidationContext{
		TrustedCa: &corev3.DataSource{Specifier: &corev3.DataSource_InlineBytes{InlineBytes: ca}},
	}}}
}

// Secrets over pilot-agent's SDS socket: Get waits for a secret that has
// not arrived yet, Watch sees a rotation, a bad secret is NACKed and the
// last good one stays.
func TestSDS(t *testing.T) {
	cp := xdstest.NewControlPlane(t, "unix")
	c, err := New(Options{Target: cp.Target(), Node: &corev3.Node{Id: xdstest.NodeID}, BackoffBase: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	c.Start()
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// Nothing yet: Get waits (the TLS context stays warming).
	got := make(chan api.Secret, 1)
	go func() {
		s, err := c.Get(ctx, "default")
		if err != nil {
			t.Error(err)
		}
		got <- s
	}()
	short, cancelShort := context.WithTimeout(ctx, 50*time.Millisecond)
	if _, err := c.Get(short, "ROOTCA"); err == nil || !strings.Contains(err.Error(), `secret "ROOTCA"`) {
		t.Fatalf("Get before any secret: %v", err)
	}
	cancelShort()

	cert1, key1 := selfSigned(t, "v1")
	ca, _ := selfSigned(t, "root")
	cp.Push("1", map[resourcev3.Type][]types.Resource{resourcev3.SecretType: {certSecret("default", cert1, key1), caSecret("ROOTCA", ca)}})
	var s api.Secret
	select {
	case s = <-got:
	case <-ctx.Done():
		t.Fatal("secret never arrived")
	}
	if !bytes.Equal(s.CertificateChain, cert1) || !bytes.Equal(s.PrivateKey, key1) {
		t.Fatalf("default: %+v", s)
	}
	root, err := c.Get(ctx, "ROOTCA")
	if err != nil || !bytes.Equal(root.ValidationCA, ca) {
		t.Fatalf("ROOTCA: %v %v", root, err)
	}

	// Rotation without restart.
	rotated := make(chan api.Secret, 4)
	c.Watch(ctx, "default", func(s api.Secret) { rotated <- s })
	cert2, key2 := selfSigned(t, "v2")
	cp.Push("2", map[resourcev3.Type][]types.Resource{resourcev3.SecretType: {certSecret("default", cert2, key2), caSecret("ROOTCA", ca)}})
	select {
	case s := <-rotated:
		if !bytes.Equal(s.CertificateChain, cert2) {
			t.Fatalf("rotated to %q", s.CertificateChain)
		}
	case <-ctx.Done():
		t.Fatal("no rotation")
	}

	// A key that does not match its certificate is NACKed; v2 stays.
	cp.Push("3", map[resourcev3.Type][]types.Resource{resourcev3.SecretType: {certSecret("default", cert1, key2), caSecret("ROOTCA", ca)}})
	deadline := time.Now().Add(10 * time.Second)
	for !nacked(cp, `secret "default": tls_certificate`) {
		if time.Now().After(deadline) {
			t.Fatalf("no NACK: %v", cp.NACKs())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if s, _ := c.Get(ctx, "default"); !bytes.Equal(s.CertificateChain, cert2) {
		t.Fatal("a refused secret replaced the last good one")
	}
}

func nacked(cp *xdstest.ControlPlane, substr string) bool {
	for _, n := range cp.NACKs() {
		if strings.Contains(n, substr) {
			return true
		}
	}
	return false
}

func TestConvertRefuses(t *testing.T) {
	for _, s := range []*tlsv3.Secret{
		{Name: ""},
		{Name: "x", Type: &tlsv3.Secret_GenericSecret{GenericSecret: &tlsv3.GenericSecret{}}},
		caSecret("x", []byte("not pem")),
		certSecret("x", []byte("not pem"), []byte("nope")),
	} {
		if _, err := Convert(s); err == nil {
			t.Errorf("%v accepted", s)
		}
	}
}
