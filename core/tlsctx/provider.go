package tlsctx

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/seed405ffdea/mosn/api"
)

// DefaultType is the provider type of crypto/tls; an empty type means it.
const DefaultType = "default"

// NewRegistry returns a TLS provider registry holding crypto/tls under
// "default". A GM-TLS module registers its factory under "gm".
func NewRegistry() *api.Registry[api.TLSProviderFactory] {
	r := api.NewRegistry[api.TLSProviderFactory]("tls provider")
	if err := r.Register(DefaultType, Factory); err != nil {
		panic(err) // a fresh registry: cannot happen
	}
	return r
}

// Factory is the crypto/tls api.TLSProviderFactory: it decodes each
// context strictly and builds a *Server or a *Client.
func Factory(cfg api.TLSProviderConfig) (api.TLSProvider, error) {
	cfgs := make([]Config, len(cfg.Contexts))
	for i, raw := range cfg.Contexts {
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&cfgs[i]); err != nil {
			return nil, fmt.Errorf("%s: %w", contextLabel(len(cfgs), i), err)
		}
	}
	opts := Options{Secrets: cfg.Secrets, Logger: cfg.Logger}
	if cfg.Server {
		return NewServer(cfgs, opts)
	}
	if len(cfgs) != 1 {
		return nil, fmt.Errorf("tlsctx: a cluster has one tls_context, got %d", len(cfgs))
	}
	return NewClient(cfgs[0], opts)
}

var (
	_ api.TLSProviderFactory = Factory
	_ api.TLSProvider        = (*Server)(nil)
	_ api.TLSProvider        = (*Client)(nil)
)

// Build builds the provider of contexts (all of the same type) from reg;
// a nil reg means crypto/tls only.
func Build(reg *api.Registry[api.TLSProviderFactory], cfgs []Config, server bool, opts Options) (api.TLSProvider, error) {
	typ := cfgs[0].Type
	for i, c := range cfgs[1:] {
		if c.Type != typ {
			return nil, fmt.Errorf("tls_context_set[%d].type: %q differs from the first context's %q", i+1, c.Type, typ)
		}
	}
	if typ == "" || typ == DefaultType {
		if server {
			return NewServer(cfgs, opts)
		}
		return NewClient(cfgs[0], opts)
	}
	if reg == nil {
		return nil, fmt.Errorf("tls_context.type: TLS provider %q is not registered", typ)
	}
	f, ok := reg.Get(typ)
	if !ok {
		return nil, fmt.Errorf("tls_context.type: TLS provider %q is not registered", typ)
	}
	pc := api.TLSProviderConfig{Server: server, Secrets: opts.Secrets, Logger: opts.Logger}
	for _, c := range cfgs {
		b, err := json.Marshal(c)
		if err != nil {
			return nil, err
		}
		pc.Contexts = append(pc.Contexts, b)
	}
	return f(pc)
}
