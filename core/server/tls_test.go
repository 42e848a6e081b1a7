package server_test

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seed405ffdea/mosn/core/config"
	"github.com/seed405ffdea/mosn/core/server"
	"github.com/seed405ffdea/mosn/core/tlsctx/tlstest"
)

func js(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// tlsProxyConfig is a proxy whose listener "ingress" has the given
// listener fields and filter chains; route table rN sends everything to
// cluster cN. The listener field "more_listeners" adds listeners.
func tlsProxyConfig(t *testing.T, listener map[string]any, chains []map[string]any, clusters []map[string]any) *config.MOSNConfig {
	t.Helper()
	var routers []map[string]any
	for _, c := range clusters {
		name := c["name"].(string)
		routers = append(routers, map[string]any{"router_config_name": "r" + name[1:], "virtual_hosts": []any{map[string]any{
			"name": "all", "domains": []string{"*"},
			"routers": []any{map[string]any{"match": map[string]any{"prefix": "/"}, "route": map[string]any{"cluster_name": name}}}}}})
	}
	l := map[string]any{"name": "ingress", "address": "127.0.0.1:0", "bind_port": true, "filter_chains": chains}
	for k, v := range listener {
		l[k] = v
	}
	listeners := []any{l}
	if more, ok := listener["more_listeners"].([]any); ok {
		delete(l, "more_listeners")
		listeners = append(listeners, more...)
	}
	doc := map[string]any{
		"servers":         []any{map[string]any{"routers": routers, "listeners": listeners}},
		"cluster_manager": map[string]any{"clusters": clusters},
	}
	cfg, err := config.Parse([]byte(js(doc)), "test.json")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func proxyChain(router string, extra map[string]any) map[string]any {
	c := map[string]any{"filters": []any{map[string]any{"type": "proxy", "config": map[string]any{"router_config_name": router}}}}
	for k, v := range extra {
		c[k] = v
	}
	return c
}

func cluster(name, addr string, extra map[string]any) map[string]any {
	c := map[string]any{"name": name, "hosts": []any{map[string]any{"address": addr}}}
	for k, v := range extra {
		c[k] = v
	}
	return c
}

func tlsCtx(l *tlstest.Leaf, extra map[string]any) map[string]any {
	c := map[string]any{"status": true, "cert_chain": string(l.CertPEM), "private_key": string(l.KeyPEM)}
	for k, v := range extra {
		c[k] = v
	}
	return c
}

// tlsGet sends GET / over TLS with cfg and returns the body and the
// certificate the proxy served.
func tlsGet(t *testing.T, addr string, cfg *tls.Config) (string, *x509.Certificate, error) {
	t.Helper()
	tr := &http.Transport{TLSClientConfig: cfg, DisableKeepAlives: true, ForceAttemptHTTP2: false}
	c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	resp, err := c.Get("https://" + addr + "/")
	if err != nil {
		return "", nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b), resp.TLS.PeerCertificates[0], nil
}

// TestTLSContextSetProxy: one listener, certificates chosen by SNI (exact,
// wildcard, default), proxied to a plain HTTP origin.
func TestTLSContextSetProxy(t *testing.T) {
	ca := tlstest.NewCA(t, "ca")
	def := ca.Leaf(t, tlstest.LeafOptions{CN: "default", DNS: []string{"default.test"}})
	exact := ca.Leaf(t, tlstest.LeafOptions{CN: "exact", DNS: []string{"api.example.test"}})
	wild := ca.Leaf(t, tlstest.LeafOptions{CN: "wild", DNS: []string{"*.example.test"}})
	origin := newOrigin(t, "from origin")
	cfg := tlsProxyConfig(t, nil,
		[]map[string]any{proxyChain("r1", map[string]any{"tls_context_set": []any{tlsCtx(def, nil), tlsCtx(exact, nil), tlsCtx(wild, nil)}})},
		[]map[string]any{cluster("c1", origin, nil)})
	srv := start(t, cfg, server.Options{})
	addr := srv.ListenerAddr("ingress").String()
	for sni, cn := range map[string]string{"api.example.test": "exact", "www.example.test": "wild", "other.test": "default"} {
		body, cert, err := tlsGet(t, addr, &tls.Config{RootCAs: ca.Pool(), ServerName: sni, InsecureSkipVerify: sni == "other.test"})
		if err != nil {
			t.Fatalf("%s: %v", sni, err)
		}
		if body != "from origin" || cert.Subject.CommonName != cn {
			t.Fatalf("%s: body %q cert %q, want %q", sni, body, cert.Subject.CommonName, cn)
		}
	}
	// Plaintext on a TLS listener without the inspector fails.
	if _, err := httpc.Get("http://" + addr + "/"); err == nil {
		t.Fatal("plaintext request served by a TLS listener")
	}
}

// TestMutualTLSProxyWithCurl: the listener requires client certificates
// of its CA; curl with --cacert/--cert/--key is served, without a client
// certificate it is refused in the handshake.
func TestMutualTLSProxyWithCurl(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl not installed")
	}
	ca := tlstest.NewCA(t, "ca")
	srvCert := ca.Leaf(t, tlstest.LeafOptions{DNS: []string{"localhost"}})
	client := ca.Leaf(t, tlstest.LeafOptions{CN: "client", URIs: []string{"spiffe://td/ns/a/sa/curl"}})
	origin := newOrigin(t, "mtls ok")
	cfg := tlsProxyConfig(t, nil,
		[]map[string]any{proxyChain("r1", map[string]any{"tls_context": tlsCtx(srvCert, map[string]any{
			"ca_cert": string(ca.CertPEM), "verify_client": true, "require_client_cert": true})})},
		[]map[string]any{cluster("c1", origin, nil)})
	srv := start(t, cfg, server.Options{})
	_, port, _ := net.SplitHostPort(srv.ListenerAddr("ingress").String())
	dir := t.TempDir()
	caFile := tlstest.WriteFile(t, dir, "ca.pem", ca.CertPEM)
	certFile := tlstest.WriteFile(t, dir, "client.pem", client.CertPEM)
	keyFile := tlstest.WriteFile(t, dir, "client.key", client.KeyPEM)
	url := "https://localhost:" + port + "/"
	out, err := exec.Command(curl, "-sS", "--max-time", "10", "--resolve", "localhost:"+port+":127.0.0.1",
		"--cacert", caFile, "--cert", certFile, "--key", keyFile, url).CombinedOutput()
	if err != nil || string(out) != "mtls ok" {
		t.Fatalf("curl with a client certificate: %v %s", err, out)
	}
	out, err = exec.Command(curl, "-sS", "--max-time", "10", "--resolve", "localhost:"+port+":127.0.0.1",
		"--cacert", caFile, url).CombinedOutput()
	if err == nil {
		t.Fatalf("curl without a client certificate served: %s", out)
	}
}

// TestInspectorAndFilterChainMatch: one port, three chains chosen by
// filter_chain_match: SNI a.test over TLS, plaintext, and any other TLS.
func TestInspectorAndFilterChainMatch(t *testing.T) {
	ca := tlstest.NewCA(t, "ca")
	a := ca.Leaf(t, tlstest.LeafOptions{CN: "a", DNS: []string{"a.test"}})
	other := ca.Leaf(t, tlstest.LeafOptions{CN: "other", DNS: []string{"other.test"}})
	cfg := tlsProxyConfig(t, map[string]any{"inspector": true},
		[]map[string]any{
			proxyChain("r1", map[string]any{"filter_chain_match": map[string]any{"server_names": []string{"a.test"}}, "tls_context": tlsCtx(a, nil)}),
			proxyChain("r2", map[string]any{"filter_chain_match": map[string]any{"transport_protocol": "raw_buffer"}}),
			proxyChain("r3", map[string]any{"filter_chain_match": map[string]any{"transport_protocol": "tls"}, "tls_context": tlsCtx(other, nil)}),
		},
		[]map[string]any{cluster("c1", newOrigin(t, "chain a"), nil), cluster("c2", newOrigin(t, "chain plain"), nil), cluster("c3", newOrigin(t, "chain tls"), nil)})
	srv := start(t, cfg, server.Options{})
	addr := srv.ListenerAddr("ingress").String()
	if _, body := get(t, "http://"+addr+"/"); body != "chain plain" {
		t.Fatalf("plaintext: %q", body)
	}
	if body, cert, err := tlsGet(t, addr, &tls.Config{RootCAs: ca.Pool(), ServerName: "a.test"}); err != nil || body != "chain a" || cert.Subject.CommonName != "a" {
		t.Fatalf("a.test: %q %v", body, err)
	}
	if body, cert, err := tlsGet(t, addr, &tls.Config{RootCAs: ca.Pool(), ServerName: "other.test"}); err != nil || body != "chain tls" || cert.Subject.CommonName != "other" {
		t.Fatalf("other.test: %q %v", body, err)
	}
}

// TestUpstreamTLS: a cluster dials its origin with TLS: verification
// against ca_cert and server_name, a client certificate for the origin's
// mTLS; a wrong server_name fails the request.
func TestUpstreamTLS(t *testing.T) {
	ca := tlstest.NewCA(t, "mesh")
	originCert := ca.Leaf(t, tlstest.LeafOptions{DNS: []string{"origin.test"}})
	client := ca.Leaf(t, tlstest.LeafOptions{URIs: []string{"spiffe://td/ns/a/sa/proxy"}})
	o := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "peer=%s sni=%s", r.TLS.PeerCertificates[0].URIs[0], r.TLS.ServerName)
	}))
	o.TLS = &tls.Config{Certificates: []tls.Certificate{originCert.TLS(t)}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: ca.Pool()}
	o.StartTLS()
	t.Cleanup(o.Close)
	originAddr := strings.TrimPrefix(o.URL, "https://")
	up := func(sn string) map[string]any {
		return map[string]any{"tls_context": map[string]any{"status": true, "server_name": sn, "ca_cert": string(ca.CertPEM),
			"cert_chain": string(client.CertPEM), "private_key": string(client.KeyPEM)}}
	}
	cfg := tlsProxyConfig(t, nil, []map[string]any{proxyChain("r1", nil)}, []map[string]any{cluster("c1", originAddr, up("origin.test"))})
	srv := start(t, cfg, server.Options{})
	if code, body := get(t, "http://"+srv.ListenerAddr("ingress").String()+"/"); code != 200 || body != "peer=spiffe://td/ns/a/sa/proxy sni=origin.test" {
		t.Fatalf("%d %q", code, body)
	}
	cfg = tlsProxyConfig(t, nil, []map[string]any{proxyChain("r1", nil)}, []map[string]any{cluster("c1", originAddr, up("wrong.test"))})
	srv = start(t, cfg, server.Options{})
	if code, _ := get(t, "http://"+srv.ListenerAddr("ingress").String()+"/"); code < 500 {
		t.Fatalf("wrong server name: status %d", code)
	}
}

// TestUpstreamTLSDisableHost: in a TLS cluster, a host with tls_disable
// is reached in plaintext while the others use TLS (Istio's hosts without
// the tlsMode label).
func TestUpstreamTLSDisableHost(t *testing.T) {
	ca := tlstest.NewCA(t, "mesh")
	originCert := ca.Leaf(t, tlstest.LeafOptions{DNS: []string{"origin.test"}})
	o := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "tls") }))
	o.TLS = &tls.Config{Certificates: []tls.Certificate{originCert.TLS(t)}}
	o.StartTLS()
	t.Cleanup(o.Close)
	plain := newOrigin(t, "plain")
	c := map[string]any{"name": "c1", "lb_type": "LB_ROUNDROBIN",
		"tls_context": map[string]any{"status": true, "server_name": "origin.test", "ca_cert": string(ca.CertPEM)},
		"hosts": []any{
			map[string]any{"address": strings.TrimPrefix(o.URL, "https://")},
			map[string]any{"address": plain, "tls_disable": true},
		}}
	cfg := tlsProxyConfig(t, nil, []map[string]any{proxyChain("r1", nil)}, []map[string]any{c})
	srv := start(t, cfg, server.Options{})
	seen := map[string]int{}
	for i := 0; i < 10; i++ {
		code, body := get(t, "http://"+srv.ListenerAddr("ingress").String()+"/")
		if code != 200 {
			t.Fatalf("request %d: %d %q", i, code, body)
		}
		seen[body]++
	}
	if seen["tls"] != 5 || seen["plain"] != 5 {
		t.Errorf("answers %v, want 5 over TLS and 5 in plaintext", seen)
	}
}

// TestListenerCertRotation: a certificate file rewritten on disk is served
// to new handshakes within 2s while a keep-alive connection made before
// goes on working.
func TestListenerCertRotation(t *testing.T) {
	dir := t.TempDir()
	ca := tlstest.NewCA(t, "ca")
	v1 := ca.Leaf(t, tlstest.LeafOptions{CN: "v1", DNS: []string{"svc.test"}})
	certFile := tlstest.WriteFile(t, dir, "cert.pem", v1.CertPEM)
	keyFile := tlstest.WriteFile(t, dir, "key.pem", v1.KeyPEM)
	cfg := tlsProxyConfig(t, nil,
		[]map[string]any{proxyChain("r1", map[string]any{"tls_context": map[string]any{"status": true, "cert_chain": certFile, "private_key": keyFile}})},
		[]map[string]any{cluster("c1", newOrigin(t, "ok"), nil)})
	srv := start(t, cfg, server.Options{})
	addr := srv.ListenerAddr("ingress").String()
	old, roundTrip := keepAliveTLS(t, addr, ca)
	roundTrip()
	v2 := ca.Leaf(t, tlstest.LeafOptions{CN: "v2", DNS: []string{"svc.test"}})
	tlstest.WriteFile(t, dir, "key.pem", v2.KeyPEM)
	tlstest.WriteFile(t, dir, "cert.pem", v2.CertPEM)
	deadline := time.Now().Add(2 * time.Second)
	for {
		_, cert, err := tlsGet(t, addr, &tls.Config{RootCAs: ca.Pool(), ServerName: "svc.test"})
		if err == nil && cert.Subject.CommonName == "v2" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("rotated certificate not served within 2s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	roundTrip()
	if old.ConnectionState().PeerCertificates[0].Subject.CommonName != "v1" {
		t.Fatal("old connection changed certificate")
	}
}

// TestTLSBuildErrorsNamePath: a missing certificate file fails New with
// the listener's path; fall_back serves plaintext instead.
func TestTLSBuildErrorsNamePath(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.pem")
	ctx := map[string]any{"status": true, "cert_chain": missing, "private_key": missing}
	cfg := tlsProxyConfig(t, nil, []map[string]any{proxyChain("r1", map[string]any{"tls_context": ctx})}, []map[string]any{cluster("c1", newOrigin(t, "plain"), nil)})
	_, err := server.New(server.Options{Config: cfg})
	if err == nil || !strings.Contains(err.Error(), "filter_chains[0].tls_context.cert_chain: open "+missing) {
		t.Fatalf("error %v", err)
	}
	ctx["fall_back"] = true
	cfg = tlsProxyConfig(t, nil, []map[string]any{proxyChain("r1", map[string]any{"tls_context": ctx})}, []map[string]any{cluster("c1", newOrigin(t, "plain"), nil)})
	srv := start(t, cfg, server.Options{})
	if _, body := get(t, "http://"+srv.ListenerAddr("ingress").String()+"/"); body != "plain" {
		t.Fatalf("fall_back: %q", body)
	}
}

// TestTLSAccessLogVariables: the client's SPIFFE id, SNI and the
// negotiated ALPN reach the access log.
func TestTLSAccessLogVariables(t *testing.T) {
	ca := tlstest.NewCA(t, "ca")
	srvCert := ca.Leaf(t, tlstest.LeafOptions{DNS: []string{"svc.test"}})
	client := ca.Leaf(t, tlstest.LeafOptions{URIs: []string{"spiffe://td/ns/a/sa/client"}})
	logPath := filepath.Join(t.TempDir(), "access.log")
	cfg := tlsProxyConfig(t,
		map[string]any{"access_logs": []any{map[string]any{"log_path": logPath,
			"log_format": "%downstream_peer_uri_san% %requested_server_name% %downstream_alpn% %downstream_transport_protocol% %response_code%"}}},
		[]map[string]any{proxyChain("r1", map[string]any{"tls_context": tlsCtx(srvCert, map[string]any{
			"ca_cert": string(ca.CertPEM), "verify_client": true, "alpn": "http/1.1"})})},
		[]map[string]any{cluster("c1", newOrigin(t, "ok"), nil)})
	srv, err := server.New(server.Options{Config: cfg, Version: server.VersionInfo{Version: "test"}})
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	addr := srv.ListenerAddr("ingress").String()
	if _, _, err := tlsGet(t, addr, &tls.Config{RootCAs: ca.Pool(), ServerName: "svc.test", NextProtos: []string{"http/1.1"},
		Certificates: []tls.Certificate{client.TLS(t)}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "request logged", func() bool { return srv.Stats().Requests.Load() == 1 && srv.Stats().Active.Load() == 0 })
	srv.Close() // flushes
	if got := readFile(t, logPath); got != "spiffe://td/ns/a/sa/client svc.test http/1.1 - 200\n" {
		t.Fatalf("access log %q", got)
	}
}

// TestOpenSSLClient: openssl s_client picks certificates by SNI, verifies
// them against the CA and is refused TLS 1.1.
func TestOpenSSLClient(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed")
	}
	ca := tlstest.NewCA(t, "ca")
	def := ca.Leaf(t, tlstest.LeafOptions{CN: "default", DNS: []string{"default.test"}})
	wild := ca.Leaf(t, tlstest.LeafOptions{CN: "wild", DNS: []string{"*.example.test"}})
	cfg := tlsProxyConfig(t, nil,
		[]map[string]any{proxyChain("r1", map[string]any{"tls_context_set": []any{tlsCtx(def, nil), tlsCtx(wild, nil)}})},
		[]map[string]any{cluster("c1", newOrigin(t, "ok"), nil)})
	srv := start(t, cfg, server.Options{})
	addr := srv.ListenerAddr("ingress").String()
	caFile := tlstest.WriteFile(t, t.TempDir(), "ca.pem", ca.CertPEM)
	sclient := func(args ...string) (string, error) {
		cmd := exec.Command(openssl, append([]string{"s_client", "-connect", addr, "-CAfile", caFile, "-verify_return_error", "-brief"}, args...)...)
		cmd.Stdin = strings.NewReader("")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := sclient("-servername", "www.example.test", "-verify_hostname", "www.example.test")
	if err != nil || !strings.Contains(out, "Verification: OK") || !strings.Contains(out, "CN = wild") {
		t.Fatalf("s_client www.example.test: %v\n%s", err, out)
	}
	out, err = sclient("-servername", "default.test")
	if err != nil || !strings.Contains(out, "CN = default") {
		t.Fatalf("s_client default.test: %v\n%s", err, out)
	}
	if out, err := sclient("-servername", "default.test", "-tls1_1"); err == nil {
		t.Fatalf("TLS 1.1 accepted:\n%s", out)
	}
}

// TestTLSInPlaceUpdate: a listener update on the same socket swaps the
// certificate and turns the inspector on; a connection made before keeps
// its TLS session.
func TestTLSInPlaceUpdate(t *testing.T) {
	ca := tlstest.NewCA(t, "ca")
	v1 := ca.Leaf(t, tlstest.LeafOptions{CN: "v1", DNS: []string{"svc.test"}})
	v2 := ca.Leaf(t, tlstest.LeafOptions{CN: "v2", DNS: []string{"svc.test"}})
	origin := newOrigin(t, "ok")
	cfg := tlsProxyConfig(t, nil, []map[string]any{proxyChain("r1", map[string]any{"tls_context": tlsCtx(v1, nil)})},
		[]map[string]any{cluster("c1", origin, nil)})
	srv := start(t, cfg, server.Options{})
	addr := srv.ListenerAddr("ingress").String()
	_, roundTrip := keepAliveTLS(t, addr, ca)

	next := tlsProxyConfig(t, map[string]any{"inspector": true}, []map[string]any{proxyChain("r1", map[string]any{"tls_context": tlsCtx(v2, nil)})},
		[]map[string]any{cluster("c1", origin, nil)})
	if err := srv.Update(&config.Update{Listeners: next.Servers[0].Listeners}); err != nil {
		t.Fatal(err)
	}
	if got := srv.ListenerAddr("ingress").String(); got != addr {
		t.Fatalf("listener moved from %s to %s", addr, got)
	}
	if _, cert, err := tlsGet(t, addr, &tls.Config{RootCAs: ca.Pool(), ServerName: "svc.test"}); err != nil || cert.Subject.CommonName != "v2" {
		t.Fatalf("after the update: %v", err)
	}
	if _, body := get(t, "http://"+addr+"/"); body != "ok" {
		t.Fatalf("plaintext through the inspector: %q", body)
	}
	roundTrip()
}

// TestTLSForwardedProtoAndRequireTLS: a request over TLS is forwarded
// with X-Forwarded-Proto https and is not redirected by require_tls ALL;
// plaintext through the inspector is redirected.
func TestTLSForwardedProtoAndRequireTLS(t *testing.T) {
	ca := tlstest.NewCA(t, "ca")
	leaf := ca.Leaf(t, tlstest.LeafOptions{DNS: []string{"svc.test"}})
	o := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "proto="+r.Header.Get("X-Forwarded-Proto"))
	}))
	t.Cleanup(o.Close)
	cfg := tlsProxyConfig(t, map[string]any{"inspector": true}, []map[string]any{proxyChain("r1", map[string]any{"tls_context": tlsCtx(leaf, nil)})},
		[]map[string]any{cluster("c1", strings.TrimPrefix(o.URL, "http://"), nil)})
	cfg.Servers[0].Routers[0].VirtualHosts[0].RequireTLS = "ALL"
	srv := start(t, cfg, server.Options{})
	addr := srv.ListenerAddr("ingress").String()
	body, _, err := tlsGet(t, addr, &tls.Config{RootCAs: ca.Pool(), ServerName: "svc.test"})
	if err != nil || body != "proto=https" {
		t.Fatalf("over TLS: %q %v", body, err)
	}
	c := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get("http://" + addr + "/x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 301 || !strings.HasPrefix(resp.Header.Get("Location"), "https://") {
		t.Fatalf("plaintext: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// keepAliveTLS opens a keep-alive TLS connection to addr (SNI svc.test)
// and returns it with a function sending GET / on it, which expects "ok".
func keepAliveTLS(t *testing.T, addr string, ca *tlstest.CA) (*tls.Conn, func()) {
	t.Helper()
	c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.Pool(), ServerName: "svc.test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	r := bufio.NewReader(c)
	return c, func() {
		t.Helper()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: svc.test\r\n\r\n")
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != "ok" {
			t.Fatalf("keep-alive connection: %d %q", resp.StatusCode, b)
		}
	}
}

// TestALPNSelectsHTTP2: a TLS listener offering h2 and http/1.1 serves
// each client in the protocol ALPN chose, through the same proxy filter.
func TestALPNSelectsHTTP2(t *testing.T) {
	ca := tlstest.NewCA(t, "ca")
	leaf := ca.Leaf(t, tlstest.LeafOptions{CN: "svc", DNS: []string{"svc.test"}})
	origin := newOrigin(t, "from origin")
	cfg := tlsProxyConfig(t, nil,
		[]map[string]any{proxyChain("r1", map[string]any{"tls_context": tlsCtx(leaf, map[string]any{"alpn": "h2,http/1.1"})})},
		[]map[string]any{cluster("c1", origin, nil)})
	srv := start(t, cfg, server.Options{})
	addr := srv.ListenerAddr("ingress").String()
	for _, h2 := range []bool{true, false} {
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool(), ServerName: "svc.test"}, ForceAttemptHTTP2: h2}
		if !h2 {
			tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
		}
		c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
		resp, err := c.Get("https://" + addr + "/")
		if err != nil {
			t.Fatalf("h2=%v: %v", h2, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		tr.CloseIdleConnections()
		want := "HTTP/1.1"
		if h2 {
			want = "HTTP/2.0"
		}
		if resp.Proto != want || string(b) != "from origin" {
			t.Errorf("h2=%v: %s %q, want %s", h2, resp.Proto, b, want)
		}
	}
}
