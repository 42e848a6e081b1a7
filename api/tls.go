package api

import (
	"context"
	"net"
)

// TLSProvider performs TLS handshakes for listeners and clusters. The
// standard provider uses crypto/tls; GM-TLS (SM2/SM3/SM4) plugs in as
// another provider selected by the tls_context "type" field.
type TLSProvider interface {
	// Server performs the server handshake on an accepted connection and
	// returns the encrypted connection.
	Server(ctx context.Context, raw net.Conn) (net.Conn, error)
	// Client performs the client handshake on a dialled connection;
	// serverName is the SNI to send (empty for none).
	Client(ctx context.Context, raw net.Conn, serverName string) (net.Conn, error)
}

// PeerIdentity is an optional interface of a net.Conn returned by a
// TLSProvider: the verified peer's identity, for filters and access logs.
type PeerIdentity interface {
	// PeerURIs returns the URI SANs of the peer certificate (SPIFFE ids).
	PeerURIs() []string
	// NegotiatedProtocol returns the ALPN protocol, empty if none.
	NegotiatedProtocol() string
}

// TLSProviderFactory builds a TLSProvider from a tls_context's raw JSON.
type TLSProviderFactory func(config []byte) (TLSProvider, error)

// SecretProvider supplies named certificates and keys (SDS): Get returns the
// current secret and Watch calls f with every later version until ctx ends.
type SecretProvider interface {
	Get(ctx context.Context, name string) (Secret, error)
	Watch(ctx context.Context, name string, f func(Secret))
}

// Secret is a certificate chain and key, or a validation CA, in PEM.
type Secret struct {
	Name             string
	CertificateChain []byte
	PrivateKey       []byte
	ValidationCA     []byte
}
