package tlsctx

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"sync/atomic"
)

// Server is a listener filter chain's TLS: one or more contexts, chosen
// per handshake by SNI (exact name, then wildcard), then by ALPN; the first
// context serves clients that match none (MOSN 1.1's tls_context_set).
type Server struct {
	ctxs  []*tctx
	base  *tls.Config
	index atomic.Pointer[sniIndex]
	w     *watcher
}

// sniIndex maps names to context indexes, rebuilt when certificates change.
type sniIndex struct {
	exact map[string][]int
	// wild maps the suffix of a wildcard name, dot included ("*.a.com" ->
	// ".a.com"), so a lookup slices the SNI instead of building a string.
	wild map[string][]int
}

func (s *Server) rebuildIndex() {
	ix := &sniIndex{exact: map[string][]int{}, wild: map[string][]int{}}
	add := func(name string, i int) {
		name = strings.ToLower(strings.TrimSuffix(name, "."))
		if name == "" {
			return
		}
		if strings.HasPrefix(name, "*.") {
			ix.wild[name[1:]] = appendOnce(ix.wild[name[1:]], i)
			return
		}
		ix.exact[name] = appendOnce(ix.exact[name], i)
	}
	for i, x := range s.ctxs {
		if x.cfg.ServerName != "" {
			add(x.cfg.ServerName, i)
		}
		if m := x.mat.Load(); m != nil {
			for _, n := range m.names {
				add(n, i)
			}
		}
	}
	s.index.Store(ix)
}

func appendOnce(s []int, i int) []int {
	if len(s) > 0 && s[len(s)-1] == i {
		return s
	}
	return append(s, i)
}

// NewServer builds a listener's TLS from its contexts (the first is the
// default). It loads every certificate now; opts may watch files and SDS
// secrets for rotation (Close stops that).
func NewServer(cfgs []Config, opts Options) (*Server, error) {
	if len(cfgs) == 0 {
		return nil, errors.New("tlsctx: no tls_context")
	}
	s := &Server{}
	for _, c := range cfgs {
		x, err := newContext(c, ServerSide)
		if err != nil {
			return nil, err
		}
		s.ctxs = append(s.ctxs, x)
	}
	w, err := startWatching(s.ctxs, opts, s.rebuildIndex)
	if err != nil {
		return nil, err
	}
	s.w = w
	s.rebuildIndex()
	s.base = &tls.Config{
		MinVersion:         tls.VersionTLS12,
		GetConfigForClient: s.configFor,
	}
	return s, nil
}

// configFor is the GetConfigForClient hook.
func (s *Server) configFor(hello *tls.ClientHelloInfo) (*tls.Config, error) {
	return s.ctxs[s.Select(hello.ServerName, hello.SupportedProtos)].cur.Load(), nil
}

// Select returns the index of the context serving a client that sent sni
// and alpn: contexts naming sni exactly, else by wildcard, else all; among
// them the first whose ALPN list shares a protocol with alpn, else the
// first. It allocates nothing for a lowercase SNI.
func (s *Server) Select(sni string, alpn []string) int {
	if len(s.ctxs) == 1 {
		return 0
	}
	ix := s.index.Load()
	sni = lowerASCII(strings.TrimSuffix(sni, "."))
	cands, ok := ix.exact[sni]
	if !ok && sni != "" {
		if dot := strings.IndexByte(sni, '.'); dot > 0 {
			cands, ok = ix.wild[sni[dot:]]
		}
	}
	if !ok {
		for i, x := range s.ctxs {
			if alpnMatch(x.alpn, alpn) {
				return i
			}
		}
		return 0
	}
	for _, i := range cands {
		if alpnMatch(s.ctxs[i].alpn, alpn) {
			return i
		}
	}
	return cands[0]
}

func alpnMatch(mine, theirs []string) bool {
	for _, a := range mine {
		for _, b := range theirs {
			if a == b {
				return true
			}
		}
	}
	return false
}

func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

// Server implements api.TLSProvider: the handshake, bounded by ctx.
func (s *Server) Server(ctx context.Context, raw net.Conn) (net.Conn, error) {
	tc := tls.Server(raw, s.base)
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, err
	}
	return &Conn{Conn: tc}, nil
}

// Client implements api.TLSProvider; a server context does not dial.
func (s *Server) Client(context.Context, net.Conn, string) (net.Conn, error) {
	return nil, errors.New("tlsctx: listener TLS context used to dial")
}

// Close stops watching certificate files and SDS secrets.
func (s *Server) Close() error {
	s.w.close()
	return nil
}

// Reloads returns how many times each context's certificates were
// (re)loaded, the first load included.
func (s *Server) Reloads() []uint64 {
	out := make([]uint64, len(s.ctxs))
	for i, x := range s.ctxs {
		out[i] = x.reloads.Load()
	}
	return out
}
