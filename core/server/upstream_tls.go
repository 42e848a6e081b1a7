package server

import (
	"encoding/json"
	"io"
	"sync"

	"github.com/seed405ffdea/mosn/api"
	"github.com/seed405ffdea/mosn/core/config"
	"github.com/seed405ffdea/mosn/core/tlsctx"
)

// clusterTLSCache shares one TLS provider among clusters (and cluster
// versions across updates) with the same tls_context: its session cache
// survives a cluster update, and its certificate watches are not
// duplicated. Providers are closed with the server.
type clusterTLSCache struct {
	mu sync.Mutex
	m  map[string]api.TLSProvider
}

// clusterTLS returns the cluster's TLS provider; nil for plaintext. With
// fall_back, a context that fails to build dials plaintext (logged).
func (s *Server) clusterTLS(cc config.ClusterConfig) (api.TLSProvider, error) {
	if cc.TLSContext == nil || !cc.TLSContext.Status {
		return nil, nil
	}
	key, err := json.Marshal(cc.TLSContext)
	if err != nil {
		return nil, err
	}
	c := &s.clusterTLSs
	c.mu.Lock()
	defer c.mu.Unlock()
	if p, ok := c.m[string(key)]; ok {
		return p, nil
	}
	p, err := tlsctx.Build(s.regs.TLSProviders, []tlsctx.Config{*cc.TLSContext}, false, tlsctx.Options{Secrets: s.secrets, Logger: s.log})
	if err != nil {
		if cc.TLSContext.Fallback {
			s.log.Warn("tls: cluster context failed to build, dialing plaintext (fall_back)", "cluster", cc.Name, "err", err)
			return nil, nil
		}
		return nil, err
	}
	if c.m == nil {
		c.m = map[string]api.TLSProvider{}
	}
	c.m[string(key)] = p
	return p, nil
}

// close closes every provider.
func (c *clusterTLSCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, p := range c.m {
		if cl, ok := p.(io.Closer); ok {
			cl.Close()
		}
		delete(c.m, k)
	}
}
