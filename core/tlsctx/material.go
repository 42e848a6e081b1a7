package tlsctx

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seed405ffdea/mosn/api"
)

// isPEM reports whether a certificate field holds PEM text rather than a
// file path.
func isPEM(v string) bool { return strings.HasPrefix(strings.TrimSpace(v), "-----BEGIN") }

// readField returns the PEM bytes of an inline value or of the file it
// names.
func readField(field, v string) ([]byte, error) {
	if isPEM(v) {
		return []byte(v), nil
	}
	b, err := os.ReadFile(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	return b, nil
}

// material is what a context serves with at one moment: the certificate
// and the CA pool. A reload replaces it whole.
type material struct {
	cert  *tls.Certificate // nil: none (a client without client cert)
	ca    *x509.CertPool   // nil: none (system roots on a client)
	names []string         // DNS SANs of cert's leaf, lowercase
}

// tctx is one built tls_context.
type tctx struct {
	cfg      Config
	side     Side
	alpn     []string
	template *tls.Config // versions, suites, curves, ALPN, client auth
	sds      *SdsSource

	// cur is the tls.Config handshakes use, rebuilt on every reload.
	cur atomic.Pointer[tls.Config]
	mat atomic.Pointer[material]

	// mu guards the latest SDS secrets.
	mu               sync.Mutex
	sdsCert, sdsCA   *api.Secret
	reloads, failure atomic.Uint64
}

// files returns the file paths the context reads (for watching).
func (x *tctx) files() []string {
	var out []string
	for _, v := range []string{x.cfg.CACert, x.cfg.CertChain, x.cfg.PrivateKey} {
		if v != "" && !isPEM(v) {
			out = append(out, filepath.Clean(v))
		}
	}
	return out
}

// newContext checks c and builds its template; load must follow.
func newContext(c Config, side Side) (*tctx, error) {
	if err := Check(&c, side, func(string) bool { return false }); err != nil {
		return nil, err
	}
	x := &tctx{cfg: c, side: side}
	x.sds, _ = c.Sds()
	minV, _ := ParseVersion(c.MinVersion)
	maxV, _ := ParseVersion(c.MaxVersion)
	if minV == 0 {
		minV = tls.VersionTLS12
	}
	suites, _ := ParseCipherSuites(c.CipherSuites)
	if suites == nil {
		suites = DefaultCipherSuites
	}
	curves, _ := ParseCurves(c.EcdhCurves)
	x.alpn, _ = ParseALPN(c.ALPN)
	x.template = &tls.Config{
		MinVersion:       minV,
		MaxVersion:       maxV,
		CipherSuites:     suites,
		CurvePreferences: curves,
		NextProtos:       x.alpn,
	}
	if side == ServerSide {
		// No session tickets on listeners (Mozilla's server-side TLS
		// guidance, ssl_session_tickets off): Go keeps a ticket key for 7
		// days and advertises a 7-day TLS 1.3 ticket lifetime, so one
		// leaked key would decrypt a week of TLS 1.2 sessions (testssl.sh:
		// TLS_session_ticket, LOW). Every connection does a full ECDHE
		// handshake instead.
		x.template.SessionTicketsDisabled = true
		switch {
		case c.VerifyClient && c.InsecureSkip && c.RequireClientCert:
			x.template.ClientAuth = tls.RequireAnyClientCert
		case c.VerifyClient && c.InsecureSkip:
			x.template.ClientAuth = tls.RequestClientCert
		case c.VerifyClient && c.RequireClientCert:
			x.template.ClientAuth = tls.RequireAndVerifyClientCert
		case c.VerifyClient:
			x.template.ClientAuth = tls.VerifyClientCertIfGiven
		}
	} else {
		x.template.InsecureSkipVerify = c.InsecureSkip
		x.template.ServerName = c.ServerName
		// Session resumption: tickets (TLS 1.2) and PSKs (TLS 1.3).
		x.template.ClientSessionCache = tls.NewLRUClientSessionCache(256)
	}
	return x, nil
}

// fetchSecrets gets the context's SDS secrets for the first time.
func (x *tctx) fetchSecrets(ctx context.Context, sp api.SecretProvider) error {
	if x.sds == nil {
		return nil
	}
	if sp == nil {
		return errors.New("sds_source: no secret provider is configured")
	}
	get := func(name string) (*api.Secret, error) {
		gctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		s, err := sp.Get(gctx, name)
		if err != nil {
			return nil, fmt.Errorf("sds_source: secret %q: %w", name, err)
		}
		return &s, nil
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	var err error
	if x.sds.CertificateConfig != nil {
		if x.sdsCert, err = get(x.sds.CertificateConfig.Name); err != nil {
			return err
		}
	}
	if x.sds.ValidationConfig != nil {
		if x.sdsCA, err = get(x.sds.ValidationConfig.Name); err != nil {
			return err
		}
	}
	return nil
}

// setSecret stores a new SDS secret version; the caller reloads.
func (x *tctx) setSecret(name string, s api.Secret) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.sds.CertificateConfig != nil && x.sds.CertificateConfig.Name == name {
		x.sdsCert = &s
	}
	if x.sds.ValidationConfig != nil && x.sds.ValidationConfig.Name == name {
		x.sdsCA = &s
	}
}

// load reads the certificate and CA (files, inline PEM or SDS) and
// publishes a new tls.Config. On error the previous one stays.
func (x *tctx) load() error {
	m := &material{}
	var certPEM, keyPEM, caPEM []byte
	var err error
	x.mu.Lock()
	sdsCert, sdsCA := x.sdsCert, x.sdsCA
	x.mu.Unlock()
	switch {
	case sdsCert != nil:
		certPEM, keyPEM = sdsCert.CertificateChain, sdsCert.PrivateKey
	case x.cfg.CertChain != "":
		if certPEM, err = readField("cert_chain", x.cfg.CertChain); err != nil {
			return err
		}
		if keyPEM, err = readField("private_key", x.cfg.PrivateKey); err != nil {
			return err
		}
	}
	switch {
	case sdsCA != nil:
		caPEM = sdsCA.ValidationCA
		if len(caPEM) == 0 {
			// An SDS validation secret may carry the CA as its chain.
			caPEM = sdsCA.CertificateChain
		}
	case x.cfg.CACert != "":
		if caPEM, err = readField("ca_cert", x.cfg.CACert); err != nil {
			return err
		}
	}
	if certPEM != nil {
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return fmt.Errorf("cert_chain, private_key: %w", err)
		}
		if cert.Leaf == nil {
			if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
				return fmt.Errorf("cert_chain: %w", err)
			}
		}
		m.cert = &cert
		for _, n := range cert.Leaf.DNSNames {
			m.names = append(m.names, strings.ToLower(n))
		}
	}
	if caPEM != nil {
		m.ca = x509.NewCertPool()
		if !m.ca.AppendCertsFromPEM(caPEM) {
			return errors.New("ca_cert: no PEM certificate found")
		}
	}
	if x.side == ServerSide && m.cert == nil {
		return errors.New("cert_chain: no certificate")
	}
	cfg := x.template.Clone()
	if m.cert != nil {
		cfg.Certificates = []tls.Certificate{*m.cert}
	}
	if x.side == ServerSide {
		cfg.ClientCAs = m.ca
	} else {
		cfg.RootCAs = m.ca
	}
	if old := x.mat.Load(); old != nil && sameMaterial(old, m) {
		return nil
	}
	x.mat.Store(m)
	x.cur.Store(cfg)
	x.reloads.Add(1)
	return nil
}

func sameMaterial(a, b *material) bool {
	if (a.cert == nil) != (b.cert == nil) || (a.ca == nil) != (b.ca == nil) {
		return false
	}
	if a.ca != nil && !a.ca.Equal(b.ca) {
		return false
	}
	if a.cert == nil {
		return true
	}
	if len(a.cert.Certificate) != len(b.cert.Certificate) {
		return false
	}
	for i := range a.cert.Certificate {
		if !bytes.Equal(a.cert.Certificate[i], b.cert.Certificate[i]) {
			return false
		}
	}
	return true
}
