package proxy

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"

	"golang.org/x/net/http2/hpack"

	"github.com/seed405ffdea/mosn/core/protocol/http1"
	h2 "github.com/seed405ffdea/mosn/core/protocol/http2"
)

// errSwitchH2C tells Serve that the request asked to upgrade to h2c.
var errSwitchH2C = errors.New("proxy: request upgrades to h2c")

var h2cSwitching = []byte("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n")

// wantsH2C reports whether the request just parsed asks for "Upgrade:
// h2c" (RFC 7540 3.2) in a way the proxy accepts: on an Auto listener, no
// body, and exactly one HTTP2-Settings field named in Connection. Other
// requests with "Upgrade: h2c" are served as HTTP/1.1 (a server may
// ignore an upgrade).
func (s *serverConn) wantsH2C() bool {
	if !s.req.Upgrade || s.st.bodyKind != http1.NoBody || s.h2stream {
		return false
	}
	var upgrade bool
	settings := 0
	for _, f := range s.req.Headers {
		switch {
		case http1.EqualFold(f.Name, "upgrade"):
			upgrade = http1.EqualFold(bytes.TrimSpace(f.Value), "h2c")
		case http1.EqualFold(f.Name, "http2-settings"):
			settings++
		}
	}
	return upgrade && settings == 1 && s.req.IsConnectionToken([]byte("http2-settings"))
}

// serveH2C answers 101 and serves the connection as HTTP/2, the upgraded
// request being stream 1.
func (s *serverConn) serveH2C(ctx context.Context) error {
	req, settings := h2cRequest(&s.req)
	if err := s.conn.Write(h2cSwitching); err != nil {
		return err
	}
	var r io.Reader = connReader{s.conn}
	if s.in.len() > 0 {
		r = io.MultiReader(bytes.NewReader(bytes.Clone(s.in.data())), r)
	}
	s.release()
	sc := h2.NewServerConn(connAdapter{s.conn}, r, s.opts.HTTP2, &h2Handler{opts: s.opts, conn: s.conn})
	if err := sc.SetUpgrade(req, settings); err != nil {
		return err
	}
	s.h2.Store(sc)
	if s.draining.Load() || s.transfer.Load() {
		sc.Drain()
	}
	return sc.Serve(ctx)
}

// h2cRequest is the HTTP/2 form of an upgrading HTTP/1.1 request: Host
// becomes :authority, hop-by-hop fields (Upgrade, HTTP2-Settings and the
// Connection options among them) are dropped.
func h2cRequest(r *http1.RequestHead) (h2.Request, string) {
	req := h2.Request{
		Method:        string(r.Method),
		Scheme:        "http",
		Authority:     string(r.Host),
		Path:          string(r.URI),
		ContentLength: -1,
	}
	var settings string
	for _, f := range r.Headers {
		switch {
		case http1.EqualFold(f.Name, "http2-settings"):
			settings = string(f.Value)
			continue
		case http1.IsHopByHop(f.Name), r.IsConnectionToken(f.Name), http1.EqualFold(f.Name, "host"):
			continue
		}
		req.Fields = append(req.Fields, hpack.HeaderField{Name: strings.ToLower(string(f.Name)), Value: string(f.Value)})
	}
	return req, settings
}
