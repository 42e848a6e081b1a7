package tlsctx

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/seed405ffdea/mosn/core/tlsctx/tlstest"
)

// tlsEcho is a plain crypto/tls echo server; it reports each connection's
// state.
func tlsEcho(t *testing.T, cfg *tls.Config) (string, chan tls.ConnectionState) {
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	states := make(chan tls.ConnectionState, 16)
	done := make(chan struct{})
	t.Cleanup(func() { ln.Close(); <-done })
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				tc := c.(*tls.Conn)
				tc.SetDeadline(time.Now().Add(5 * time.Second))
				if tc.Handshake() != nil {
					return
				}
				states <- tc.ConnectionState()
				io.Copy(tc, tc)
			}()
		}
	}()
	return ln.Addr().String(), states
}

func clientDial(t *testing.T, c *Client, addr, sni string) (net.Conn, error) {
	raw, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	tc, err := c.Client(ctx, raw, sni)
	if err != nil {
		raw.Close()
		return nil, err
	}
	t.Cleanup(func() { tc.Close() })
	tc.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := tc.Write([]byte("hi")); err != nil {
		return nil, err
	}
	b := make([]byte, 2)
	if _, err := io.ReadFull(tc, b); err != nil {
		return nil, err
	}
	return tc, nil
}

func TestClientVerification(t *testing.T) {
	ca := tlstest.NewCA(t, "ca")
	srv := ca.Leaf(t, tlstest.LeafOptions{DNS: []string{"backend.test"}})
	addr, states := tlsEcho(t, &tls.Config{Certificates: []tls.Certificate{srv.TLS(t)}})

	good, err := NewClient(Config{Status: true, CACert: string(ca.CertPEM), ServerName: "backend.test"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer good.Close()
	if _, err := clientDial(t, good, addr, ""); err != nil {
		t.Fatal(err)
	}
	if st := <-states; st.ServerName != "backend.test" {
		t.Fatalf("SNI %q", st.ServerName)
	}

	wrong, err := NewClient(Config{Status: true, CACert: string(ca.CertPEM), ServerName: "other.test"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer wrong.Close()
	if _, err := clientDial(t, wrong, addr, ""); err == nil || !strings.Contains(err.Error(), "certificate is valid for backend.test, not other.test") {
		t.Fatalf("wrong server name: %v", err)
	}
	other := tlstest.NewCA(t, "other")
	untrusted, _ := NewClient(Config{Status: true, CACert: string(other.CertPEM), ServerName: "backend.test"}, Options{})
	defer untrusted.Close()
	if _, err := clientDial(t, untrusted, addr, ""); err == nil || !strings.Contains(err.Error(), "unknown authority") {
		t.Fatalf("other CA: %v", err)
	}
	skip, _ := NewClient(Config{Status: true, InsecureSkip: true, ServerName: "other.test"}, Options{})
	defer skip.Close()
	if _, err := clientDial(t, skip, addr, ""); err != nil {
		t.Fatalf("insecure_skip: %v", err)
	}
	// The SNI argument overrides server_name.
	if _, err := clientDial(t, wrong, addr, "backend.test"); err != nil {
		t.Fatal(err)
	}
}

// TestClientCertAndResumption: mesh mTLS with a client certificate, and a
// second connection resumes the session.
func TestClientCertAndResumption(t *testing.T) {
	ca := tlstest.NewCA(t, "ca")
	srv := ca.Leaf(t, tlstest.LeafOptions{DNS: []string{"backend.test"}})
	cli := ca.Leaf(t, tlstest.LeafOptions{URIs: []string{"spiffe://cluster.local/ns/a/sa/client"}})
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		addr, states := tlsEcho(t, &tls.Config{
			Certificates: []tls.Certificate{srv.TLS(t)},
			ClientAuth:   tls.RequireAndVerifyClientCert,
			ClientCAs:    ca.Pool(),
			MaxVersion:   v,
		})
		c, err := NewClient(Config{Status: true, CACert: string(ca.CertPEM), ServerName: "backend.test",
			CertChain: string(cli.CertPEM), PrivateKey: string(cli.KeyPEM)}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := clientDial(t, c, addr, ""); err != nil {
			t.Fatal(err)
		}
		st := <-states
		if len(st.PeerCertificates) == 0 || st.PeerCertificates[0].URIs[0].String() != "spiffe://cluster.local/ns/a/sa/client" {
			t.Fatal("client certificate not presented")
		}
		if st.DidResume {
			t.Fatal("first connection resumed")
		}
		if _, err := clientDial(t, c, addr, ""); err != nil {
			t.Fatal(err)
		}
		if st := <-states; !st.DidResume {
			t.Fatalf("version %x: second connection did not resume", v)
		}
	}
	noCert, _ := NewClient(Config{Status: true, CACert: string(ca.CertPEM), ServerName: "backend.test"}, Options{})
	defer noCert.Close()
	addr, _ := tlsEcho(t, &tls.Config{Certificates: []tls.Certificate{srv.TLS(t)}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: ca.Pool()})
	if _, err := clientDial(t, noCert, addr, ""); err == nil {
		t.Fatal("server requiring a client certificate accepted none")
	}
}
