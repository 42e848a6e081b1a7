package tlsctx

import (
	"crypto/tls"
	"testing"

	"github.com/seed405ffdea/mosn/core/tlsctx/tlstest"
)

// TestServerNoSessionTickets: a listener issues no session tickets by
// default, so a client with a session cache never resumes (TLS 1.2 and
// 1.3); the echo round trip in dial reads any TLS 1.3 ticket the server
// would send.
func TestServerNoSessionTickets(t *testing.T) {
	addr, ca := serveDefaults(t)
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		cfg := &tls.Config{RootCAs: ca.Pool(), ServerName: "a.test", MaxVersion: v, ClientSessionCache: tls.NewLRUClientSessionCache(4)}
		for i := 0; i < 2; i++ {
			c, err := dial(t, addr, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if st := c.ConnectionState(); st.Version != v || st.DidResume {
				t.Fatalf("version %x connection %d: got version %x, resumed %v", v, i, st.Version, st.DidResume)
			}
		}
	}
}

// serveDefaults serves a listener context with default settings for
// a.test, a certificate of the returned CA.
func serveDefaults(t *testing.T) (string, *tlstest.CA) {
	t.Helper()
	ca := tlstest.NewCA(t, "ca")
	leaf := ca.Leaf(t, tlstest.LeafOptions{DNS: []string{"a.test"}})
	s, err := NewServer([]Config{{Status: true, CertChain: string(leaf.CertPEM), PrivateKey: string(leaf.KeyPEM)}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	addr, _ := serve(t, s)
	return addr, ca
}
