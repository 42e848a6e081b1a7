package tlsctx

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
)

// Client is a cluster's TLS: verification against ca_cert (or the system
// roots) and server_name, an optional client certificate (mesh mTLS),
// ALPN, and session resumption through a shared session cache.
type Client struct {
	x *tctx
	w *watcher
}

// NewClient builds a cluster's TLS from its context.
func NewClient(cfg Config, opts Options) (*Client, error) {
	x, err := newContext(cfg, ClientSide)
	if err != nil {
		return nil, err
	}
	w, err := startWatching([]*tctx{x}, opts, nil)
	if err != nil {
		return nil, err
	}
	return &Client{x: x, w: w}, nil
}

// Server implements api.TLSProvider; a cluster context does not accept.
func (c *Client) Server(context.Context, net.Conn) (net.Conn, error) {
	return nil, errors.New("tlsctx: cluster TLS context used to accept")
}

// Client implements api.TLSProvider: the client handshake on raw, bounded
// by ctx. serverName overrides the context's server_name; with neither, the
// certificate is verified against the dialled IP address.
func (c *Client) Client(ctx context.Context, raw net.Conn, serverName string) (net.Conn, error) {
	cfg := c.x.cur.Load()
	if serverName == "" && cfg.ServerName == "" {
		if ta, ok := raw.RemoteAddr().(*net.TCPAddr); ok {
			serverName = ta.IP.String()
		}
	}
	if serverName != "" && serverName != cfg.ServerName {
		cfg = cfg.Clone()
		cfg.ServerName = serverName
	}
	tc := tls.Client(raw, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, err
	}
	return &Conn{Conn: tc}, nil
}

// Close stops watching certificate files and SDS secrets.
func (c *Client) Close() error {
	c.w.close()
	return nil
}
