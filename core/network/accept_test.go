package network

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed405ffdea/mosn/api"
	"github.com/seed405ffdea/mosn/core/tlsctx"
	"github.com/seed405ffdea/mosn/core/tlsctx/tlstest"
)

// whoami answers each line with what the connection knows about itself.
type whoami struct {
	echoFilter
	label string
}

func (w *whoami) Serve(ctx context.Context, c api.Connection) error {
	r := bufio.NewReader(readerFunc(c.Read))
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return nil
		}
		info := ConnInfoFrom(ctx)
		if info == nil {
			info = &ConnInfo{}
		}
		alpn := ""
		if pi, ok := c.RawConn().(api.PeerIdentity); ok {
			alpn = pi.NegotiatedProtocol()
		}
		fmt.Fprintf(writerFunc(func(b []byte) (int, error) { return len(b), c.Write(b) }),
			"%s listener=%s transport=%s sni=%s offered=%s alpn=%s uris=%s local=%s remote=%s line=%s",
			w.label, ListenerName(ctx), info.TransportProtocol, info.ServerName, strings.Join(info.ALPN, ","),
			alpn, strings.Join(info.PeerURIs, ","), c.LocalAddr(), c.RemoteAddr(), line)
	}
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func whoamiChain(label string, created *atomic.Int32) []api.NetworkFilterChainFactory {
	return []api.NetworkFilterChainFactory{factoryFunc(func(ctx context.Context, fm api.FilterManager) {
		if created != nil {
			created.Add(1)
		}
		fm.AddReadFilter(&whoami{label: label})
	})}
}

// selectorFunc adapts a function to ChainSelector.
type selectorFunc func(info *ConnInfo) *FilterChain

func (f selectorFunc) SelectChain(info *ConnInfo, _, _ net.Addr) (*FilterChain, error) {
	return f(info), nil
}

// ask sends a line and returns the answer.
func ask(t *testing.T, c net.Conn) string {
	t.Helper()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "hello\n"); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	return line
}

func newTLSServer(t *testing.T, ca *tlstest.CA, cfg tlsctx.Config) *tlsctx.Server {
	t.Helper()
	if cfg.CertChain == "" {
		leaf := ca.Leaf(t, tlstest.LeafOptions{DNS: []string{"svc.test"}})
		cfg.CertChain, cfg.PrivateKey = string(leaf.CertPEM), string(leaf.KeyPEM)
	}
	cfg.Status = true
	s, err := tlsctx.NewServer([]tlsctx.Config{cfg}, tlsctx.Options{NoWatch: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestInspectorTLSAndPlaintext: one port serves TLS and plaintext; the
// inspector's SNI and ALPN and the handshake's ALPN reach the filters.
func TestInspectorTLSAndPlaintext(t *testing.T) {
	ca := tlstest.NewCA(t, "ca")
	srv := newTLSServer(t, ca, tlsctx.Config{ALPN: "h2,http/1.1"})
	tlsChain := &FilterChain{TLS: srv, Factories: whoamiChain("tls", nil)}
	plain := &FilterChain{Factories: whoamiChain("plain", nil)}
	ln := serve(t, ListenerOptions{Name: "both", ListenerFilters: []ListenerFilter{TLSInspector{}},
		Chains: selectorFunc(func(info *ConnInfo) *FilterChain {
			if info.TransportProtocol == "tls" {
				return tlsChain
			}
			return plain
		})})
	got := ask(t, dial(t, ln))
	if !strings.HasPrefix(got, "plain listener=both transport=raw_buffer sni= ") || !strings.Contains(got, "line=hello") {
		t.Fatalf("plaintext: %q", got)
	}
	tc := tls.Client(dial(t, ln), &tls.Config{RootCAs: ca.Pool(), ServerName: "svc.test", NextProtos: []string{"h2", "http/1.1"}})
	got = ask(t, tc)
	if !strings.HasPrefix(got, "tls listener=both transport=tls sni=svc.test offered=h2,http/1.1 alpn=h2 ") {
		t.Fatalf("tls: %q", got)
	}
}

// TestHandshakeOffAcceptLoop: a client that connects and stays silent
// neither blocks other clients nor lives past the accept timeout.
func TestHandshakeOffAcceptLoop(t *testing.T) {
	ca := tlstest.NewCA(t, "ca")
	fc := &FilterChain{TLS: newTLSServer(t, ca, tlsctx.Config{}), Factories: whoamiChain("tls", nil)}
	ln := serve(t, ListenerOptions{Name: "tls", AcceptTimeout: 300 * time.Millisecond,
		Chains: selectorFunc(func(*ConnInfo) *FilterChain { return fc })})
	silent := dial(t, ln)
	for i := 0; i < 3; i++ {
		tc := tls.Client(dial(t, ln), &tls.Config{RootCAs: ca.Pool(), ServerName: "svc.test"})
		if got := ask(t, tc); !strings.HasPrefix(got, "tls ") {
			t.Fatalf("answer %q", got)
		}
	}
	silent.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := silent.Read(make([]byte, 1)); err == nil {
		t.Fatal("silent client got bytes")
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("silent client not closed by the accept timeout")
	}
}

// TestMutualTLSReachesNoFilter: refused clients never get a filter chain.
func TestMutualTLSReachesNoFilter(t *testing.T) {
	ca := tlstest.NewCA(t, "ca")
	other := tlstest.NewCA(t, "other")
	var created atomic.Int32
	fc := &FilterChain{TLS: newTLSServer(t, ca, tlsctx.Config{CACert: string(ca.CertPEM), VerifyClient: true, RequireClientCert: true}),
		Factories: whoamiChain("mtls", &created)}
	ln := serve(t, ListenerOptions{Name: "mtls", Chains: selectorFunc(func(*ConnInfo) *FilterChain { return fc })})
	good := ca.Leaf(t, tlstest.LeafOptions{URIs: []string{"spiffe://td/ns/x/sa/good"}})
	for _, cert := range [][]tls.Certificate{nil, {other.Leaf(t, tlstest.LeafOptions{}).TLS(t)}} {
		tc := tls.Client(dial(t, ln), &tls.Config{RootCAs: ca.Pool(), ServerName: "svc.test", Certificates: cert})
		tc.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(tc, "hello\n")
		if _, err := tc.Read(make([]byte, 1)); err == nil {
			t.Fatal("refused client got an answer")
		}
	}
	tc := tls.Client(dial(t, ln), &tls.Config{RootCAs: ca.Pool(), ServerName: "svc.test", Certificates: []tls.Certificate{good.TLS(t)}})
	if got := ask(t, tc); !strings.Contains(got, "uris=spiffe://td/ns/x/sa/good ") {
		t.Fatalf("answer %q", got)
	}
	if n := created.Load(); n != 1 {
		t.Fatalf("%d filter chains created, want 1 (refused clients must not get one)", n)
	}
}

// recorder keeps every byte read from a connection.
type recorder struct {
	net.Conn
	got []byte
}

func (r *recorder) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	r.got = append(r.got, p[:n]...)
	return n, err
}

// byeServer answers one line and returns: the listener closes the
// connection with FlushWrite.
type byeServer struct{ echoFilter }

func (byeServer) Serve(ctx context.Context, c api.Connection) error {
	bufio.NewReader(readerFunc(c.Read)).ReadString('\n')
	return c.Write([]byte("bye\n"))
}

// TestTLSCloseSendsCloseNotify: a TLS connection the server closes ends
// with a close_notify alert (RFC 8446 section 6.1), so strict peers do not
// see a truncation.
func TestTLSCloseSendsCloseNotify(t *testing.T) {
	ca := tlstest.NewCA(t, "ca")
	fc := &FilterChain{TLS: newTLSServer(t, ca, tlsctx.Config{}), Factories: []api.NetworkFilterChainFactory{
		factoryFunc(func(ctx context.Context, fm api.FilterManager) { fm.AddReadFilter(&byeServer{}) })}}
	ln := serve(t, ListenerOptions{Name: "tls", Chains: selectorFunc(func(*ConnInfo) *FilterChain { return fc })})
	rec := &recorder{Conn: dial(t, ln)}
	// TLS 1.2: record types are in the clear, an alert is type 21.
	tc := tls.Client(rec, &tls.Config{RootCAs: ca.Pool(), ServerName: "svc.test", MaxVersion: tls.VersionTLS12})
	io.WriteString(tc, "hi\n")
	if b, err := io.ReadAll(tc); err != nil || string(b) != "bye\n" {
		t.Fatalf("%q %v", b, err)
	}
	var last byte
	for b := rec.got; len(b) >= 5; {
		n := 5 + (int(b[3])<<8 | int(b[4]))
		last, b = b[0], b[min(n, len(b)):]
	}
	if last != 21 {
		t.Fatalf("last record type %d, want an alert (21)", last)
	}
}

// TestProbeTLS: a TLS connection is probed through its socket, so a
// client that goes away is noticed (the proxy probes a client waiting on
// a slow upstream).
func TestProbeTLS(t *testing.T) {
	ca := tlstest.NewCA(t, "ca")
	srv := newTLSServer(t, ca, tlsctx.Config{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	results := make(chan ProbeResult, 2)
	go func() {
		defer close(results)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		sc, err := srv.Server(context.Background(), c)
		if err != nil {
			return
		}
		results <- Probe(sc)
		sc.Write([]byte("probed\n"))
		deadline := time.Now().Add(5 * time.Second)
		r := Probe(sc)
		for r != ProbeClosed && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
			r = Probe(sc)
		}
		results <- r
	}()
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	tc := tls.Client(raw, &tls.Config{RootCAs: ca.Pool(), ServerName: "svc.test"})
	tc.SetDeadline(time.Now().Add(5 * time.Second))
	if line, err := bufio.NewReader(tc).ReadString('\n'); err != nil || line != "probed\n" {
		t.Fatalf("%q %v", line, err)
	}
	if r := <-results; r != ProbeIdle {
		t.Fatalf("idle TLS connection probed %d", r)
	}
	raw.Close()
	if r := <-results; r != ProbeClosed {
		t.Fatalf("closed TLS connection probed %d", r)
	}
}

// headBody writes a head and a body with WriteBuffers, as the proxy does.
type headBody struct{ echoFilter }

func (headBody) Serve(ctx context.Context, c api.Connection) error {
	bufio.NewReader(readerFunc(c.Read)).ReadString('\n')
	bufs := net.Buffers{[]byte("head\n"), []byte("body\n")}
	return c.(*Conn).WriteBuffers(&bufs)
}

// TestTLSWriteBuffersOneRecord: buffers written together over TLS leave
// in one record (one write), not one per buffer.
func TestTLSWriteBuffersOneRecord(t *testing.T) {
	ca := tlstest.NewCA(t, "ca")
	fc := &FilterChain{TLS: newTLSServer(t, ca, tlsctx.Config{}), Factories: []api.NetworkFilterChainFactory{
		factoryFunc(func(ctx context.Context, fm api.FilterManager) { fm.AddReadFilter(&headBody{}) })}}
	ln := serve(t, ListenerOptions{Name: "tls", Chains: selectorFunc(func(*ConnInfo) *FilterChain { return fc })})
	rec := &recorder{Conn: dial(t, ln)}
	tc := tls.Client(rec, &tls.Config{RootCAs: ca.Pool(), ServerName: "svc.test", MaxVersion: tls.VersionTLS12})
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	rec.got = nil
	io.WriteString(tc, "hi\n")
	if b, err := io.ReadAll(tc); err != nil || string(b) != "head\nbody\n" {
		t.Fatalf("%q %v", b, err)
	}
	data := 0
	for b := rec.got; len(b) >= 5; {
		if b[0] == 23 { // application_data
			data++
		}
		b = b[min(5+(int(b[3])<<8|int(b[4])), len(b)):]
	}
	if data != 1 {
		t.Fatalf("%d application data records, want 1", data)
	}
}
