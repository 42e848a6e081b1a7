package network

import (
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/seed405ffdea/mosn/core/internal/netnstest"
)

// TestOriginalDstRedirect: inside a network namespace of its own, nft
// REDIRECTs connections to 10.9.0.1:9999 and :9998 to the outbound
// listener; SO_ORIGINAL_DST gives their original destination, which
// becomes LocalAddr; :9999 is handed to the unbound listener that owns it,
// :9998 stays on the outbound listener.
func TestOriginalDstRedirect(t *testing.T) {
	ns := netnstest.New(t, "10.9.0.1/32")
	target, err := Listen(ListenerOptions{Name: "svc-9999", Address: "10.9.0.1:9999", NoBind: true,
		Filters: whoamiChain("target", nil)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { target.Close() })
	var outbound *Listener
	err = ns.Do(func() error {
		var err error
		outbound, err = Listen(ListenerOptions{Name: "virtualOutbound", Address: "127.0.0.1:0",
			ListenerFilters: []ListenerFilter{OriginalDst{Mode: OriginalDstRedirect}},
			Handoff: func(dst net.Addr) *Listener {
				if dst.String() == "10.9.0.1:9999" {
					return target
				}
				return nil
			},
			Filters: whoamiChain("passthrough", nil)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); outbound.Serve() }()
	t.Cleanup(func() { outbound.Close(); outbound.CloseConns(); <-done })
	port := outbound.Addr().(*net.TCPAddr).Port
	ns.Redirect(t, "10.9.0.1", "9998, 9999", port)
	for addr, want := range map[string]string{
		"10.9.0.1:9999": "target listener=svc-9999 ",
		"10.9.0.1:9998": "passthrough listener=virtualOutbound ",
	} {
		c := ns.Dial(t, addr)
		got := ask(t, c)
		if !strings.HasPrefix(got, want) || !strings.Contains(got, " local="+addr+" ") {
			t.Fatalf("%s: %q", addr, got)
		}
	}
	// Not redirected: no original destination, no handoff.
	c := ns.Dial(t, outbound.Addr().String())
	if got := ask(t, c); !strings.Contains(got, " local="+outbound.Addr().String()+" ") {
		t.Fatalf("direct: %q", got)
	}
}

// TestOriginalDstTProxy: a client in another namespace connects to
// 10.20.0.5:80 through the proxy namespace, where nft tproxy delivers the
// connection to an IP_TRANSPARENT listener; its original destination is
// the accepted socket's local address.
func TestOriginalDstTProxy(t *testing.T) {
	client, proxy := netnstest.NewPair(t)
	var ln *Listener
	if err := proxy.Do(func() error {
		var err error
		ln, err = Listen(ListenerOptions{Name: "tproxy", Address: "0.0.0.0:0", Transparent: true,
			ListenerFilters: []ListenerFilter{OriginalDst{Mode: OriginalDstTProxy}},
			Filters:         whoamiChain("tproxy", nil)})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); ln.Serve() }()
	t.Cleanup(func() { ln.Close(); ln.CloseConns(); <-done })
	proxy.Nft(t, fmt.Sprintf(`table ip mosntest {
	chain pre {
		type filter hook prerouting priority mangle; policy accept;
		ip daddr 10.20.0.5 tcp dport 80 meta mark set 1 tproxy to :%d accept
	}
}`, ln.Addr().(*net.TCPAddr).Port))
	c := client.Dial(t, "10.20.0.5:80")
	if got := ask(t, c); !strings.Contains(got, " local=10.20.0.5:80 remote=10.10.0.1:") {
		t.Fatalf("answer %q", got)
	}
}
