package server_test

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"

	"github.com/seed405ffdea/mosn/core/internal/netnstest"
	"github.com/seed405ffdea/mosn/core/server"
)

// TestTransparentProxyHandoff: Istio's outbound pattern from a MOSN
// config. In a network namespace, nft REDIRECTs 10.9.0.1:9998-9999 to the
// use_original_dst listener; a connection for 10.9.0.1:9999 is served by
// the bind_port false listener of that address, one for :9998 by the
// catch-all listener's own chain.
func TestTransparentProxyHandoff(t *testing.T) {
	ns := netnstest.New(t, "10.9.0.1/32")
	// The origins live in the test's namespace: the proxy dials them from
	// its own goroutines, which run there.
	svc, passthrough := newOrigin(t, "service 9999"), newOrigin(t, "passthrough")
	cfg := tlsProxyConfig(t, map[string]any{"name": "virtualOutbound", "use_original_dst": true,
		"more_listeners": []any{map[string]any{"name": "svc", "address": "10.9.0.1:9999", "bind_port": false,
			"filter_chains": []any{proxyChain("r1", nil)}}}},
		[]map[string]any{proxyChain("r2", nil)},
		[]map[string]any{cluster("c1", svc, nil), cluster("c2", passthrough, nil)})
	var srv *server.Server
	if err := ns.Do(func() error {
		// Sockets bound here belong to the namespace.
		var err error
		srv, err = server.New(server.Options{Config: cfg, Logger: slog.New(slog.DiscardHandler)})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	srv.Start()
	t.Cleanup(func() { srv.Close() })
	port := srv.ListenerAddr("virtualOutbound").(*net.TCPAddr).Port
	ns.Redirect(t, "10.9.0.1", "9998, 9999", port)
	for addr, want := range map[string]string{"10.9.0.1:9999": "service 9999", "10.9.0.1:9998": "passthrough"} {
		c := ns.Dial(t, addr)
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: "+addr+"\r\nConnection: close\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		c.Close()
		if string(b) != want {
			t.Fatalf("%s: %q, want %q", addr, b, want)
		}
	}
}
