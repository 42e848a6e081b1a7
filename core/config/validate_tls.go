package config

import (
	"errors"

	"github.com/seed405ffdea/mosn/core/tlsctx"
)

// tlsContext checks one tls_context at path for side.
func (v *validator) tlsContext(c *TLSConfig, path string, side tlsctx.Side) error {
	err := tlsctx.Check(c, side, func(typ string) bool { return v.known.TLSProviders[typ] })
	var fe *tlsctx.FieldError
	if errors.As(err, &fe) {
		e := fieldErr(path+"."+fe.Field, "%s", fe.Msg)
		if fe.NotSupported {
			e.Err = ErrNotSupported
		}
		return e
	}
	if err != nil {
		return err
	}
	if side == tlsctx.ClientSide && c.Status && (c.VerifyClient || c.RequireClientCert) {
		v.warnings = append(v.warnings, path+": verify_client and require_client_cert apply to listeners; ignored on a cluster")
	}
	return nil
}

// listenerTLS checks a filter chain's tls_context or tls_context_set.
func (v *validator) listenerTLS(fc *FilterChainConfig, path string) error {
	if fc.TLSContext != nil && len(fc.TLSContextSet) > 0 {
		return fieldErr(path+".tls_context_set", "tls_context and tls_context_set are mutually exclusive")
	}
	if fc.TLSContext != nil {
		return v.tlsContext(fc.TLSContext, path+".tls_context", tlsctx.ServerSide)
	}
	for i := range fc.TLSContextSet {
		c := &fc.TLSContextSet[i]
		p := indexPath(path+".tls_context_set", i)
		if i > 0 {
			first := &fc.TLSContextSet[0]
			if c.Status != first.Status {
				return fieldErr(p+".status", "all contexts of a set must have the same status")
			}
			if c.Type != first.Type {
				return fieldErr(p+".type", "all contexts of a set must have the same type, got %q after %q", c.Type, first.Type)
			}
		}
		if err := v.tlsContext(c, p, tlsctx.ServerSide); err != nil {
			return err
		}
	}
	return nil
}
