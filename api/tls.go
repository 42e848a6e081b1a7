package api

import (
	"context"
	"log/slog"
	"net"
)

// TLSProvider performs TLS handshakes for listeners and clusters. The
// standard provider uses crypto/tls; GM-TLS (SM2/SM3/SM4) plugs in as
// another provider selected by the tls_context "type" field.
//
// A provider that holds resources (file watches, SDS watches) also
// implements io.Closer; the engine closes it when the listener's filter
// chain or the cluster that uses it is replaced or removed. Connections
// already established are not affected.
type TLSProvider interface {
	// Server performs the server handshake on an accepted connection and
	// returns the encrypted connection. ctx bounds the handshake.
	Server(ctx context.Context, raw net.Conn) (net.Conn, error)
	// Client performs the client handshake on a dialled connection;
	// serverName is the SNI to send, empty for the context's server_name.
	Client(ctx context.Context, raw net.Conn, serverName string) (net.Conn, error)
}

// PeerIdentity is an optional interface of a net.Conn returned by a
// TLSProvider (api.Connection.RawConn() after a TLS handshake): the
// verified peer's identity and what was negotiated, for filters, access
// logs and protocol selection.
type PeerIdentity interface {
	// PeerURIs returns the URI SANs of the peer certificate (SPIFFE ids),
	// nil without a peer certificate.
	PeerURIs() []string
	// NegotiatedProtocol returns the ALPN protocol ("h2", "http/1.1"),
	// empty if none was negotiated. A proxy with downstream protocol
	// "Auto" uses it to pick HTTP/2 or HTTP/1.1 without sniffing.
	NegotiatedProtocol() string
	// ServerName returns the SNI the client sent (server side) or that
	// was sent (client side); empty if none.
	ServerName() string
}

// TLSProviderConfig is what a TLSProviderFactory builds a provider from.
type TLSProviderConfig struct {
	// Contexts are the tls_context objects as JSON (MOSN's fields): one
	// for a cluster; for a listener's filter chain, its tls_context or
	// every element of its tls_context_set, the first being the default
	// when a client's SNI and ALPN match none.
	Contexts [][]byte
	// Server is true for a listener, false for a cluster.
	Server bool
	// Secrets supplies SDS secrets named by sds_source; nil when the
	// server has no secret provider.
	Secrets SecretProvider
	// Logger receives reload events and failures; nil discards them.
	Logger *slog.Logger
}

// TLSProviderFactory builds a TLSProvider. Factories are registered by the
// tls_context "type" they serve ("" and "default" are crypto/tls).
type TLSProviderFactory func(cfg TLSProviderConfig) (TLSProvider, error)

// SecretProvider supplies named certificates and keys (SDS): Get returns the
// current secret and Watch calls f with every later version until ctx ends.
// Watch returns at once; f is called on the provider's goroutine.
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
