package tlsctx

import (
	"crypto/tls"

	"github.com/seed405ffdea/mosn/api"
)

// Conn is a TLS connection made by this package's providers. It
// implements api.PeerIdentity. It does not implement syscall.Conn, so code
// that reads the descriptor directly (epoll parking, raw reads) sees that
// the bytes are encrypted and uses Read instead.
type Conn struct {
	*tls.Conn
}

var _ api.PeerIdentity = (*Conn)(nil)

// PeerURIs implements api.PeerIdentity: the URI SANs of the peer's leaf
// certificate (SPIFFE ids).
func (c *Conn) PeerURIs() []string {
	st := c.ConnectionState()
	if len(st.PeerCertificates) == 0 {
		return nil
	}
	var out []string
	for _, u := range st.PeerCertificates[0].URIs {
		out = append(out, u.String())
	}
	return out
}

// NegotiatedProtocol implements api.PeerIdentity.
func (c *Conn) NegotiatedProtocol() string { return c.ConnectionState().NegotiatedProtocol }

// ServerName implements api.PeerIdentity.
func (c *Conn) ServerName() string { return c.ConnectionState().ServerName }
