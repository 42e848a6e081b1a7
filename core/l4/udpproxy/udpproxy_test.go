package udpproxy_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed405ffdea/mosn/api"
	"github.com/seed405ffdea/mosn/core/l4"
	"github.com/seed405ffdea/mosn/core/l4/udpproxy"
	"github.com/seed405ffdea/mosn/core/network"
	"github.com/seed405ffdea/mosn/core/upstream"
	"github.com/seed405ffdea/mosn/pkg/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// udpEcho is a real UDP server that answers each datagram with itself,
// after the sender's address and "|" when withPeer is set.
func udpEcho(t testing.TB, withPeer bool) string {
	t.Helper()
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 65535)
		for {
			n, from, err := pc.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			if !withPeer {
				pc.WriteToUDPAddrPort(buf[:n], from)
				continue
			}
			pc.WriteToUDPAddrPort(append([]byte(from.String()+"|"), buf[:n]...), from)
		}
	}()
	t.Cleanup(func() { pc.Close(); <-done })
	return pc.LocalAddr().String()
}

func startUDPProxy(t testing.TB, upAddr string, o udpproxy.Options) (*network.Listener, *udpproxy.Factory) {
	t.Helper()
	m := upstream.NewManager()
	c, err := upstream.NewCluster(upstream.ClusterOptions{Name: "dns", Hosts: []upstream.HostOptions{{Address: upAddr}}}, upstream.NewLoadBalancerRegistry())
	if err != nil {
		t.Fatal(err)
	}
	m.Update([]*upstream.Cluster{c})
	t.Cleanup(m.Close)
	r, _ := l4.NewRouter("dns", nil)
	o.Router, o.Clusters = r, m
	f := udpproxy.NewFactory(o)
	ln, err := network.Listen(network.ListenerOptions{Name: "udp", Network: "udp", Address: "127.0.0.1:0", Filters: []api.NetworkFilterChainFactory{f}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); ln.Serve() }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		ln.Shutdown(ctx)
		<-done
	})
	return ln, f
}

func client(t testing.TB, addr string) *net.UDPConn {
	t.Helper()
	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*net.UDPConn)
}

// exchange sends one datagram and reads one answer.
func exchange(c *net.UDPConn, msg []byte, wait time.Duration) (peer string, payload []byte, err error) {
	if _, err := c.Write(msg); err != nil {
		return "", nil, err
	}
	c.SetReadDeadline(time.Now().Add(wait))
	buf := make([]byte, 65535)
	n, err := c.Read(buf)
	if err != nil {
		return "", nil, err
	}
	p, rest, ok := bytes.Cut(buf[:n], []byte("|"))
	if !ok {
		return "", nil, fmt.Errorf("answer without peer: %q", buf[:n])
	}
	return string(p), rest, nil
}

// Several clients at once, datagrams of many sizes: every answer is the
// client's own datagram whole, and each client keeps one upstream socket
// of its own.
func TestUDPProxySessions(t *testing.T) {
	up := udpEcho(t, true)
	ln, f := startUDPProxy(t, up, udpproxy.Options{})
	const clients = 5
	peers := make([]string, clients)
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := client(t, ln.Addr().String())
			for j, size := range []int{1, 100, 1400, 9000, 60000, 0, 3} {
				msg := bytes.Repeat([]byte{byte('a' + i)}, size)
				msg = append(msg, []byte(fmt.Sprintf("#%d.%d", i, j))...)
				// UDP may drop a datagram when the kernel's socket buffers
				// are full (large datagrams, five clients at once, a slow
				// race-enabled build): try again, as a UDP client would.
				var peer string
				var got []byte
				var err error
				for try := 0; try < 3; try++ {
					if peer, got, err = exchange(c, msg, 2*time.Second); err == nil {
						break
					}
				}
				if err != nil {
					errs <- fmt.Errorf("client %d datagram %d: %v", i, j, err)
					return
				}
				if !bytes.Equal(got, msg) {
					errs <- fmt.Errorf("client %d datagram %d: %d bytes back, want %d", i, j, len(got), len(msg))
					return
				}
				if j == 0 {
					peers[i] = peer
				} else if peer != peers[i] {
					errs <- fmt.Errorf("client %d: upstream peer changed from %s to %s", i, peers[i], peer)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	seen := map[string]bool{}
	for _, p := range peers {
		if seen[p] {
			t.Fatalf("two clients share the upstream socket %s", p)
		}
		seen[p] = true
	}
	st := f.Stats()
	deadline := time.Now().Add(5 * time.Second)
	for st.DatagramsSent.Load() < clients*7 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond) // counted after the write the client read
	}
	if st.Sessions.Load() != clients || st.DatagramsReceived.Load() < clients*7 || st.DatagramsSent.Load() < clients*7 {
		t.Fatalf("sessions %d received %d sent %d", st.Sessions.Load(), st.DatagramsReceived.Load(), st.DatagramsSent.Load())
	}
}

// A silent session ends after the idle timeout; the client's next
// datagram starts a new one with a new upstream socket.
func TestUDPProxyIdleExpiry(t *testing.T) {
	up := udpEcho(t, true)
	ln, f := startUDPProxy(t, up, udpproxy.Options{IdleTimeout: 200 * time.Millisecond})
	c := client(t, ln.Addr().String())
	first, _, err := exchange(c, []byte("1"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	// Traffic keeps the session.
	for i := 0; i < 6; i++ {
		time.Sleep(60 * time.Millisecond)
		p, _, err := exchange(c, []byte("keep"), 5*time.Second)
		if err != nil || p != first {
			t.Fatalf("busy session: peer %s (first %s) %v", p, first, err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for f.Stats().Active.Load() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("session never expired")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if f.Stats().IdleTimeouts.Load() != 1 || f.Stats().Sessions.Load() != 1 {
		t.Fatalf("idle %d sessions %d", f.Stats().IdleTimeouts.Load(), f.Stats().Sessions.Load())
	}
	second, _, err := exchange(c, []byte("2"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if second == first || f.Stats().Sessions.Load() != 2 {
		t.Fatalf("after expiry: peer %s (first %s), sessions %d", second, first, f.Stats().Sessions.Load())
	}
}

// Beyond max_sessions, datagrams of new clients are dropped; existing
// sessions go on.
func TestUDPProxyMaxSessions(t *testing.T) {
	up := udpEcho(t, true)
	ln, f := startUDPProxy(t, up, udpproxy.Options{MaxSessions: 2})
	a, b, c := client(t, ln.Addr().String()), client(t, ln.Addr().String()), client(t, ln.Addr().String())
	for _, x := range []*net.UDPConn{a, b} {
		if _, _, err := exchange(x, []byte("in"), 5*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := exchange(c, []byte("over"), 300*time.Millisecond); err == nil || !strings.Contains(err.Error(), "timeout") {
		t.Fatalf("third client answered: %v", err)
	}
	if f.Stats().Overflow.Load() == 0 {
		t.Fatal("no overflow counted")
	}
	if _, _, err := exchange(a, []byte("still"), 5*time.Second); err != nil {
		t.Fatal(err)
	}
}

// A datagram round trip allocates nothing in the proxy once warm.
func TestDatagramAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race")
	}
	ln, _ := startUDPProxy(t, udpEcho(t, false), udpproxy.Options{})
	c := client(t, ln.Addr().String())
	msg, buf := make([]byte, 512), make([]byte, 2048)
	c.SetReadDeadline(time.Now().Add(time.Minute))
	avg := testing.AllocsPerRun(2000, func() {
		c.Write(msg)
		if _, err := c.Read(buf); err != nil {
			t.Fatal(err)
		}
	})
	if avg >= 0.5 {
		t.Fatalf("%.2f allocations per datagram round trip, want 0", avg)
	}
}
