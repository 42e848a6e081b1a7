package proxy_test

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"github.com/seed405ffdea/mosn/api"
	"github.com/seed405ffdea/mosn/core/network"
	"github.com/seed405ffdea/mosn/core/proxy"
)

// TestH2DrainClosesPolitely drains an HTTP/2 connection (what shutdown
// and hot upgrade do): the client gets GOAWAY, then the server half-closes
// and keeps reading for a moment, so that what the client still sends
// (a SETTINGS ack, a stream the GOAWAY refuses) does not make the server
// reset the connection. A reset destroys the GOAWAY and REFUSED_STREAM
// frames not yet read by the client, which then fails requests it could
// have retried (seen under load in TestHotUpgradeUnderLoad/h2c).
func TestH2DrainClosesPolitely(t *testing.T) {
	ln, err := network.Listen(network.ListenerOptions{
		Name:    "h2drain",
		Address: "127.0.0.1:0",
		Filters: []api.NetworkFilterChainFactory{proxy.NewFactory(proxy.Options{Protocol: api.Auto})},
	})
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan struct{})
	go func() { defer close(served); ln.Serve() }()
	t.Cleanup(func() {
		ln.Close()
		ln.CloseConns()
		<-served
	})

	c, err := net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, http2.ClientPreface)
	fr := http2.NewFramer(c, c)
	if err := fr.WriteSettings(); err != nil {
		t.Fatal(err)
	}
	// The server's SETTINGS: the connection is served as HTTP/2.
	if f, err := fr.ReadFrame(); err != nil {
		t.Fatal(err)
	} else if _, ok := f.(*http2.SettingsFrame); !ok {
		t.Fatalf("first frame %T, want SETTINGS", f)
	}

	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		shut <- ln.Shutdown(ctx)
	}()
	goAway := false
	for {
		f, err := fr.ReadFrame()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("reading until the server's FIN: %v (GOAWAY seen: %v)", err, goAway)
		}
		if ga, ok := f.(*http2.GoAwayFrame); ok {
			if ga.ErrCode != http2.ErrCodeNo {
				t.Fatalf("GOAWAY %v, want NO_ERROR", ga.ErrCode)
			}
			goAway = true
		}
	}
	if !goAway {
		t.Fatal("no GOAWAY before the server closed")
	}
	// Half-closed, the server still reads: the client's late frames are
	// dropped, not answered with a reset.
	for i := 0; i < 5; i++ {
		if err := fr.WritePing(false, [8]byte{byte(i)}); err != nil {
			t.Fatalf("write %d after the server's FIN: %v (the server reset the connection)", i, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := <-shut; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}
