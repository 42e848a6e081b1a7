// Package tlsctx turns MOSN's tls_context into crypto/tls configurations:
// listener (server) contexts with several certificates chosen by SNI and
// ALPN, cluster (client) contexts with verification, client certificates
// and session resumption, certificate hot reload from files (fsnotify) and
// from an SDS secret provider, and a registry of TLS providers keyed by the
// context's "type" so that GM-TLS can plug in. crypto/tls is the default
// provider.
package tlsctx

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"strings"
)

// Config is MOSN's tls_context. core/config aliases it as TLSConfig.
//
// Certificate fields (ca_cert, cert_chain, private_key) hold either PEM
// text (starting with "-----BEGIN") or a file path; files are watched and
// reloaded when they change.
type Config struct {
	// Status switches TLS on; a context with status false is ignored.
	Status bool `json:"status,omitempty"`
	// Type selects the TLS provider; empty means crypto/tls ("gm" is
	// GM-TLS when a distro registers it).
	Type string `json:"type,omitempty"`
	// ServerName is, on a cluster, the SNI sent and the name the server
	// certificate is verified against; on a listener, an extra SNI name
	// that selects this context besides its certificate's DNS names.
	ServerName string `json:"server_name,omitempty"`
	// CACert verifies peers: client certificates on a listener (with
	// verify_client), the server certificate on a cluster. Empty on a
	// cluster means the system roots.
	CACert string `json:"ca_cert,omitempty"`
	// CertChain and PrivateKey are this side's certificate (required on a
	// listener unless sds_source names one; optional client certificate
	// on a cluster).
	CertChain  string `json:"cert_chain,omitempty"`
	PrivateKey string `json:"private_key,omitempty"`
	// VerifyClient verifies client certificates against ca_cert;
	// RequireClientCert also refuses clients without one. Listener only:
	// on a cluster they are ignored with a warning (MOSN's examples set
	// them there).
	VerifyClient      bool `json:"verify_client,omitempty"`
	RequireClientCert bool `json:"require_client_cert,omitempty"`
	// InsecureSkip skips verification of the server certificate (cluster)
	// or of the client certificate (listener, with verify_client).
	InsecureSkip bool `json:"insecure_skip,omitempty"`
	// CipherSuites is a ":"-separated list of TLS 1.2 cipher suites, in
	// OpenSSL ("ECDHE-RSA-AES128-GCM-SHA256") or IANA
	// ("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256") spelling. Empty means the
	// AEAD suites only. TLS 1.3 suites are not configurable.
	CipherSuites string `json:"cipher_suites,omitempty"`
	// EcdhCurves is a ":"-separated list of key exchange groups (x25519,
	// p256, p384, p521, x25519mlkem768). Empty means Go's default.
	EcdhCurves string `json:"ecdh_curves,omitempty"`
	// MinVersion and MaxVersion are TLS1.0 ... TLS1.3 or TLS_AUTO. Empty
	// (or TLS_AUTO) means TLS1.2 minimum and TLS1.3 maximum.
	MinVersion string `json:"min_version,omitempty"`
	MaxVersion string `json:"max_version,omitempty"`
	// ALPN is a ","-separated list of application protocols ("h2,http/1.1").
	// On a listener it also selects between contexts of a tls_context_set.
	ALPN string `json:"alpn,omitempty"`
	// Ticket is MOSN's session ticket key; not supported (Go rotates
	// its own keys).
	Ticket string `json:"ticket,omitempty"`
	// Fallback serves (listener) or dials (cluster) plaintext when the
	// context cannot be built, e.g. a certificate file is missing, as MOSN
	// does; the failure is logged.
	Fallback bool `json:"fall_back,omitempty"`
	// ExtendVerify is MOSN's custom verification hook; not supported.
	ExtendVerify json.RawMessage `json:"extend_verify,omitempty"`
	// SdsSource takes the certificate and/or the validation CA from the
	// SDS secret provider instead of the fields above:
	// {"certificate_config": {"name": "default"}, "validation_config":
	// {"name": "ROOTCA"}}. Each may carry MOSN's "sds_config" (where to
	// reach SDS); the provider the server is given decides that.
	SdsSource json.RawMessage `json:"sds_source,omitempty"`
}

// SdsSource is the decoded sds_source.
type SdsSource struct {
	CertificateConfig *SdsSecret `json:"certificate_config,omitempty"`
	ValidationConfig  *SdsSecret `json:"validation_config,omitempty"`
}

// SdsSecret names one SDS secret.
type SdsSecret struct {
	Name      string          `json:"name"`
	SdsConfig json.RawMessage `json:"sds_config,omitempty"`
}

// FieldError is a problem with one field of a tls_context; Field is the
// JSON name ("min_version"), which config validation prefixes with the
// context's path.
type FieldError struct {
	Field, Msg string
	// NotSupported marks a MOSN feature this binary lacks.
	NotSupported bool
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

func ferr(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

func unsupported(field, format string, args ...any) *FieldError {
	e := ferr(field, format, args...)
	e.NotSupported = true
	return e
}

// Side says where a context is used.
type Side int

const (
	// ServerSide is a listener's context.
	ServerSide Side = iota
	// ClientSide is a cluster's context.
	ClientSide
)

// Check validates c for side without touching files: names of versions,
// suites and curves, field combinations. knownType reports whether a
// provider type is registered (nil: only the default). It returns nil or a
// *FieldError.
func Check(c *Config, side Side, knownType func(string) bool) error {
	if !c.Status {
		return nil
	}
	if c.Type != "" && c.Type != DefaultType {
		if knownType == nil || !knownType(c.Type) {
			return unsupported("type", "TLS provider type %q is not supported yet (built in: %q)", c.Type, DefaultType)
		}
		// Another provider parses its own fields.
		return nil
	}
	if c.Ticket != "" {
		return unsupported("ticket", "setting the session ticket key is not supported yet (keys are generated and rotated)")
	}
	if len(c.ExtendVerify) > 0 && string(c.ExtendVerify) != "null" {
		return unsupported("extend_verify", "custom verification is not supported yet")
	}
	sds, err := c.Sds()
	if err != nil {
		return err
	}
	hasCert := c.CertChain != "" || c.PrivateKey != ""
	switch {
	case c.CertChain != "" && c.PrivateKey == "":
		return ferr("private_key", "required with cert_chain")
	case c.PrivateKey != "" && c.CertChain == "":
		return ferr("cert_chain", "required with private_key")
	case sds != nil && sds.CertificateConfig != nil && hasCert:
		return ferr("sds_source.certificate_config", "excludes cert_chain and private_key")
	case sds != nil && sds.ValidationConfig != nil && c.CACert != "":
		return ferr("sds_source.validation_config", "excludes ca_cert")
	}
	certFromSds := sds != nil && sds.CertificateConfig != nil
	caFromSds := sds != nil && sds.ValidationConfig != nil
	if side == ServerSide {
		switch {
		case !hasCert && !certFromSds:
			return ferr("cert_chain", "required on a listener (or sds_source.certificate_config)")
		case c.VerifyClient && c.CACert == "" && !caFromSds && !c.InsecureSkip:
			return ferr("ca_cert", "required with verify_client (or sds_source.validation_config)")
		case c.RequireClientCert && !c.VerifyClient:
			return ferr("require_client_cert", "needs verify_client")
		}
	}
	minV, err := ParseVersion(c.MinVersion)
	if err != nil {
		return ferr("min_version", "%v", err)
	}
	maxV, err := ParseVersion(c.MaxVersion)
	if err != nil {
		return ferr("max_version", "%v", err)
	}
	if minV != 0 && maxV != 0 && minV > maxV {
		return ferr("min_version", "%s is above max_version %s", c.MinVersion, c.MaxVersion)
	}
	if _, err := ParseCipherSuites(c.CipherSuites); err != nil {
		return ferr("cipher_suites", "%v", err)
	}
	if _, err := ParseCurves(c.EcdhCurves); err != nil {
		return ferr("ecdh_curves", "%v", err)
	}
	if _, err := ParseALPN(c.ALPN); err != nil {
		return ferr("alpn", "%v", err)
	}
	return nil
}

// Sds decodes sds_source strictly; nil when absent.
func (c *Config) Sds() (*SdsSource, error) {
	if len(c.SdsSource) == 0 || string(c.SdsSource) == "null" {
		return nil, nil
	}
	s := &SdsSource{}
	dec := json.NewDecoder(strings.NewReader(string(c.SdsSource)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(s); err != nil {
		return nil, ferr("sds_source", "%v", strings.TrimPrefix(err.Error(), "json: "))
	}
	switch {
	case s.CertificateConfig == nil && s.ValidationConfig == nil:
		return nil, ferr("sds_source", "names no secret (certificate_config or validation_config)")
	case s.CertificateConfig != nil && s.CertificateConfig.Name == "":
		return nil, ferr("sds_source.certificate_config.name", "required")
	case s.ValidationConfig != nil && s.ValidationConfig.Name == "":
		return nil, ferr("sds_source.validation_config.name", "required")
	}
	return s, nil
}

var versions = map[string]uint16{
	"":         0,
	"tls_auto": 0,
	"tls1.0":   tls.VersionTLS10,
	"tls1.1":   tls.VersionTLS11,
	"tls1.2":   tls.VersionTLS12,
	"tls1.3":   tls.VersionTLS13,
}

// ParseVersion parses MOSN's version names (TLS1.0 ... TLS1.3, TLS_AUTO);
// 0 means automatic.
func ParseVersion(s string) (uint16, error) {
	v, ok := versions[strings.ToLower(strings.TrimSpace(s))]
	if !ok {
		return 0, fmt.Errorf("unknown TLS version %q (want TLS1.0, TLS1.1, TLS1.2, TLS1.3 or TLS_AUTO)", s)
	}
	return v, nil
}

// openSSLSuites maps OpenSSL names to Go's suites (TLS 1.2 and below).
var openSSLSuites = map[string]uint16{
	"ECDHE-ECDSA-AES128-GCM-SHA256": tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	"ECDHE-RSA-AES128-GCM-SHA256":   tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	"ECDHE-ECDSA-AES256-GCM-SHA384": tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	"ECDHE-RSA-AES256-GCM-SHA384":   tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	"ECDHE-ECDSA-CHACHA20-POLY1305": tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	"ECDHE-RSA-CHACHA20-POLY1305":   tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	"ECDHE-ECDSA-AES128-SHA":        tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
	"ECDHE-RSA-AES128-SHA":          tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
	"ECDHE-ECDSA-AES256-SHA":        tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
	"ECDHE-RSA-AES256-SHA":          tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
	"ECDHE-ECDSA-AES128-SHA256":     tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
	"ECDHE-RSA-AES128-SHA256":       tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
	"AES128-GCM-SHA256":             tls.TLS_RSA_WITH_AES_128_GCM_SHA256,
	"AES256-GCM-SHA384":             tls.TLS_RSA_WITH_AES_256_GCM_SHA384,
	"AES128-SHA":                    tls.TLS_RSA_WITH_AES_128_CBC_SHA,
	"AES256-SHA":                    tls.TLS_RSA_WITH_AES_256_CBC_SHA,
}

// DefaultCipherSuites are the TLS 1.2 suites used when cipher_suites is
// empty: forward-secret AEAD suites only.
var DefaultCipherSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// ParseCipherSuites parses a ":"-separated suite list; nil for empty.
func ParseCipherSuites(s string) ([]uint16, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []uint16
	for _, name := range strings.Split(s, ":") {
		name = strings.TrimSpace(name)
		if id, ok := openSSLSuites[strings.ToUpper(name)]; ok {
			out = append(out, id)
			continue
		}
		id, ok := ianaSuite(name)
		if !ok {
			return nil, fmt.Errorf("unknown or insecure cipher suite %q", name)
		}
		out = append(out, id)
	}
	return out, nil
}

func ianaSuite(name string) (uint16, bool) {
	for _, cs := range tls.CipherSuites() {
		if strings.EqualFold(cs.Name, name) {
			return cs.ID, true
		}
	}
	return 0, false
}

var curves = map[string]tls.CurveID{
	"x25519":         tls.X25519,
	"p256":           tls.CurveP256,
	"p-256":          tls.CurveP256,
	"p384":           tls.CurveP384,
	"p-384":          tls.CurveP384,
	"p521":           tls.CurveP521,
	"p-521":          tls.CurveP521,
	"x25519mlkem768": tls.X25519MLKEM768,
}

// ParseCurves parses a ":"-separated list of key exchange groups.
func ParseCurves(s string) ([]tls.CurveID, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []tls.CurveID
	for _, name := range strings.Split(s, ":") {
		id, ok := curves[strings.ToLower(strings.TrimSpace(name))]
		if !ok {
			return nil, fmt.Errorf("unknown curve %q (want x25519, p256, p384, p521 or x25519mlkem768)", name)
		}
		out = append(out, id)
	}
	return out, nil
}

// ParseALPN parses a ","-separated ALPN list.
func ParseALPN(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []string
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		if p == "" || len(p) > 255 {
			return nil, fmt.Errorf("invalid protocol %q in %q", p, s)
		}
		out = append(out, p)
	}
	return out, nil
}
