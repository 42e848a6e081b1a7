package convert

import (
	"encoding/json"
	"strings"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/seed405ffdea/mosn/core/config"
)

const (
	tlsSocket  = "envoy.transport_sockets.tls"
	rawSocket  = "envoy.transport_sockets.raw_buffer"
	tlsUpURL   = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext"
	tlsDownURL = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext"
	rawURL     = "type.googleapis.com/envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer"
)

// SdsSource is the model's tls_context.sds_source (MOSN's SdsConfig):
// the secrets a TLS context takes from SDS instead of files.
type SdsSource struct {
	CertificateConfig *SdsSecret `json:"certificate_config,omitempty"`
	ValidationConfig  *SdsSecret `json:"validation_config,omitempty"`
}

// SdsSecret names one SDS secret and where it comes from (the Envoy
// ConfigSource in its JSON form; Istio: the bootstrap's sds-grpc cluster).
type SdsSecret struct {
	Name      string          `json:"name"`
	SdsConfig json.RawMessage `json:"sds_config,omitempty"`
}

// isRaw reports whether ts is plaintext.
func isRaw(ts *corev3.TransportSocket) bool {
	if ts == nil {
		return true
	}
	if ts.GetName() == rawSocket {
		return true
	}
	return ts.GetTypedConfig().GetTypeUrl() == rawURL
}

// clusterTransport converts transport_socket and transport_socket_matches.
func clusterTransport(c *clusterv3.Cluster, out *Cluster) error {
	if ts := c.GetTransportSocket(); !isRaw(ts) {
		t, err := upstreamTLS(ts)
		if err != nil {
			return under("transport_socket", err)
		}
		out.Config.TLSContext = t
	}
	matches := c.GetTransportSocketMatches()
	if len(matches) == 0 {
		return nil
	}
	if out.Config.TLSContext != nil {
		return unsupported("transport_socket_matches", "transport_socket_matches next to a TLS transport_socket")
	}
	for i, m := range matches {
		p := idx("transport_socket_matches", i)
		labels := map[string]string{}
		for k, v := range m.GetMatch().GetFields() {
			labels[k] = v.GetStringValue()
		}
		if isRaw(m.GetTransportSocket()) {
			if len(labels) == 0 {
				// The catch-all plaintext entry (Istio's tlsMode-disabled):
				// hosts without the TLS labels are plaintext.
				continue
			}
			return unsupported(p, "a plaintext transport socket for labelled hosts")
		}
		if out.Config.TLSContext != nil {
			return unsupported(p, "more than one TLS transport socket match")
		}
		if len(labels) == 0 {
			return unsupported(p, "a TLS transport socket match without labels")
		}
		t, err := upstreamTLS(m.GetTransportSocket())
		if err != nil {
			return under(p+".transport_socket", err)
		}
		out.Config.TLSContext = t
		out.TLSMatch = labels
	}
	return nil
}

func upstreamTLS(ts *corev3.TransportSocket) (*config.TLSConfig, error) {
	if ts.GetTypedConfig().GetTypeUrl() != tlsUpURL {
		return nil, unsupported("typed_config", "transport socket "+ts.GetName())
	}
	var u tlsv3.UpstreamTlsContext
	if err := ts.GetTypedConfig().UnmarshalTo(&u); err != nil {
		return nil, errf("typed_config", "%v", err)
	}
	t, err := commonTLS(u.GetCommonTlsContext())
	if err != nil {
		return nil, under("typed_config.common_tls_context", err)
	}
	t.ServerName = u.GetSni()
	return t, nil
}

// DownstreamTLS converts a listener filter chain's transport socket.
func DownstreamTLS(ts *corev3.TransportSocket) (*config.TLSConfig, error) {
	if ts.GetTypedConfig().GetTypeUrl() != tlsDownURL {
		return nil, unsupported("typed_config", "transport socket "+ts.GetName())
	}
	var d tlsv3.DownstreamTlsContext
	if err := ts.GetTypedConfig().UnmarshalTo(&d); err != nil {
		return nil, errf("typed_config", "%v", err)
	}
	t, err := commonTLS(d.GetCommonTlsContext())
	if err != nil {
		return nil, under("typed_config.common_tls_context", err)
	}
	if d.GetRequireClientCertificate().GetValue() {
		t.VerifyClient = true
		t.RequireClientCert = true
	}
	return t, nil
}

var tlsVersions = map[tlsv3.TlsParameters_TlsProtocol]string{
	tlsv3.TlsParameters_TLSv1_0: "TLS1.0",
	tlsv3.TlsParameters_TLSv1_1: "TLS1.1",
	tlsv3.TlsParameters_TLSv1_2: "TLS1.2",
	tlsv3.TlsParameters_TLSv1_3: "TLS1.3",
}

func commonTLS(c *tlsv3.CommonTlsContext) (*config.TLSConfig, error) {
	t := &config.TLSConfig{Status: true}
	if p := c.GetTlsParams(); p != nil {
		t.MinVersion = tlsVersions[p.GetTlsMinimumProtocolVersion()]
		t.MaxVersion = tlsVersions[p.GetTlsMaximumProtocolVersion()]
		t.CipherSuites = strings.Join(p.GetCipherSuites(), ":")
		t.EcdhCurves = strings.Join(p.GetEcdhCurves(), ",")
	}
	t.ALPN = strings.Join(c.GetAlpnProtocols(), ",")
	var sds SdsSource
	certs := c.GetTlsCertificates()
	if len(certs) > 1 || len(c.GetTlsCertificateSdsSecretConfigs()) > 1 {
		return nil, unsupported("tls_certificates", "more than one certificate")
	}
	if len(certs) == 1 {
		var err error
		if t.CertChain, err = dataSource(certs[0].GetCertificateChain()); err != nil {
			return nil, under("tls_certificates[0].certificate_chain", err)
		}
		if t.PrivateKey, err = dataSource(certs[0].GetPrivateKey()); err != nil {
			return nil, under("tls_certificates[0].private_key", err)
		}
	}
	if s := c.GetTlsCertificateSdsSecretConfigs(); len(s) == 1 {
		sec, err := sdsSecret(s[0])
		if err != nil {
			return nil, under("tls_certificate_sds_secret_configs[0]", err)
		}
		sds.CertificateConfig = sec
	}
	var vc *tlsv3.CertificateValidationContext
	switch v := c.GetValidationContextType().(type) {
	case *tlsv3.CommonTlsContext_ValidationContext:
		vc = v.ValidationContext
	case *tlsv3.CommonTlsContext_ValidationContextSdsSecretConfig:
		sec, err := sdsSecret(v.ValidationContextSdsSecretConfig)
		if err != nil {
			return nil, under("validation_context_sds_secret_config", err)
		}
		sds.ValidationConfig = sec
	case *tlsv3.CommonTlsContext_CombinedValidationContext:
		vc = v.CombinedValidationContext.GetDefaultValidationContext()
		sec, err := sdsSecret(v.CombinedValidationContext.GetValidationContextSdsSecretConfig())
		if err != nil {
			return nil, under("combined_validation_context.validation_context_sds_secret_config", err)
		}
		sds.ValidationConfig = sec
	}
	if vc != nil {
		// Peer identity checks must not be dropped: refuse what the model
		// cannot carry.
		if len(vc.GetMatchTypedSubjectAltNames()) > 0 || len(vc.GetMatchSubjectAltNames()) > 0 {
			return nil, unsupported("validation_context.match_subject_alt_names", "subject alt name verification")
		}
		if len(vc.GetVerifyCertificateSpki()) > 0 || len(vc.GetVerifyCertificateHash()) > 0 {
			return nil, unsupported("validation_context.verify_certificate_hash", "certificate pinning")
		}
		if vc.GetTrustedCa() != nil {
			ca, err := dataSource(vc.GetTrustedCa())
			if err != nil {
				return nil, under("validation_context.trusted_ca", err)
			}
			t.CACert = ca
		}
	}
	if sds.CertificateConfig != nil || sds.ValidationConfig != nil {
		b, err := json.Marshal(sds)
		if err != nil {
			return nil, err
		}
		t.SdsSource = b
	}
	if t.CACert == "" && sds.ValidationConfig == nil {
		// Envoy does not verify the peer without a validation context.
		t.InsecureSkip = true
	}
	return t, nil
}

func sdsSecret(s *tlsv3.SdsSecretConfig) (*SdsSecret, error) {
	if s == nil {
		return nil, nil
	}
	if s.GetName() == "" {
		return nil, errf("name", "required")
	}
	out := &SdsSecret{Name: s.GetName()}
	if src := s.GetSdsConfig(); src != nil {
		b, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(src)
		if err != nil {
			return nil, errf("sds_config", "%v", err)
		}
		out.SdsConfig = b
	}
	return out, nil
}

// dataSource returns a PEM file name or inline PEM (MOSN's cert fields take
// either).
func dataSource(d *corev3.DataSource) (string, error) {
	switch s := d.GetSpecifier().(type) {
	case nil:
		return "", nil
	case *corev3.DataSource_Filename:
		return s.Filename, nil
	case *corev3.DataSource_InlineString:
		return s.InlineString, nil
	case *corev3.DataSource_InlineBytes:
		return string(s.InlineBytes), nil
	default:
		return "", unsupported("specifier", "environment variable data sources")
	}
}
