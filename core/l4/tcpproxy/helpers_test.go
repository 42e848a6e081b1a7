package tcpproxy_test

import (
	"context"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed405ffdea/mosn/api"
	"github.com/seed405ffdea/mosn/core/config"
	"github.com/seed405ffdea/mosn/core/l4"
	"github.com/seed405ffdea/mosn/core/l4/tcpproxy"
	"github.com/seed405ffdea/mosn/core/network"
	"github.com/seed405ffdea/mosn/core/upstream"
	"github.com/seed405ffdea/mosn/pkg/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// serveTCP runs a real TCP server on 127.0.0.1 that hands each connection
// to handle, and returns its address.
func serveTCP(t testing.TB, handle func(net.Conn)) string {
	t.Helper()
	return serveOn(t, "127.0.0.1:0", handle)
}

func serveOn(t testing.TB, addr string, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				handle(c)
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String()
}

// echo writes back what it reads and half-closes at EOF.
func echo(c net.Conn) {
	io.Copy(c, c)
	c.(*net.TCPConn).CloseWrite()
	io.Copy(io.Discard, c)
}

// refusedAddr returns a loopback address nothing listens on.
func refusedAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// clusters builds a manager with one cluster per name, each over its
// hosts.
func clusters(t testing.TB, mod func(*upstream.ClusterOptions), named map[string][]string) *upstream.Manager {
	t.Helper()
	m := upstream.NewManager()
	var cs []*upstream.Cluster
	for name, hosts := range named {
		o := upstream.ClusterOptions{Name: name, LBType: upstream.LBRoundRobin, Pool: upstream.PoolOptions{ConnectTimeout: 2 * time.Second}}
		for _, h := range hosts {
			o.Hosts = append(o.Hosts, upstream.HostOptions{Address: h})
		}
		if mod != nil {
			mod(&o)
		}
		c, err := upstream.NewCluster(o, upstream.NewLoadBalancerRegistry())
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	m.Update(cs)
	t.Cleanup(m.Close)
	return m
}

// proxyOpts are the test proxy's settings.
type proxyOpts struct {
	cluster string
	routes  []config.StreamRouteConfig
	tcp     tcpproxy.Options
	filters []api.NetworkFilterChainFactory // before tcp_proxy
	network string
	address string
}

// startProxy runs a listener with the tcp_proxy filter and returns it.
func startProxy(t testing.TB, m *upstream.Manager, po proxyOpts) (*network.Listener, *tcpproxy.Factory) {
	t.Helper()
	r, err := l4.NewRouter(po.cluster, po.routes)
	if err != nil {
		t.Fatal(err)
	}
	o := po.tcp
	o.Router, o.Clusters = r, m
	f := tcpproxy.NewFactory(o)
	if po.address == "" {
		po.address = "127.0.0.1:0"
	}
	ln, err := network.Listen(network.ListenerOptions{
		Name: "tcp", Network: po.network, Address: po.address,
		Filters: append(po.filters, f),
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); ln.Serve() }()
	t.Cleanup(func() {
		ln.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		ln.Shutdown(ctx)
		<-done
	})
	return ln, f
}

func dial(t testing.TB, addr string) *net.TCPConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(30 * time.Second))
	return c.(*net.TCPConn)
}

// roundTrip writes msg, half-closes and reads everything back.
func roundTrip(t testing.TB, c *net.TCPConn, msg string) string {
	t.Helper()
	s, err := tryRoundTrip(c, msg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// tryRoundTrip is roundTrip for a connection the proxy may refuse (close
// or reset).
func tryRoundTrip(c *net.TCPConn, msg string) (string, error) {
	if _, err := c.Write([]byte(msg)); err != nil {
		return "", err
	}
	c.CloseWrite()
	b, err := io.ReadAll(c)
	return string(b), err
}

// waitFor polls cond for up to 5 s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// factoryFunc adapts a function to api.NetworkFilterChainFactory.
type factoryFunc func(ctx context.Context, fm api.FilterManager)

func (f factoryFunc) CreateFilterChain(ctx context.Context, fm api.FilterManager) { f(ctx, fm) }

// counting is a filter chain factory that puts a read filter counting
// bytes into n before tcp_proxy (which then copies instead of splicing).
func counting(n *atomic.Int64) []api.NetworkFilterChainFactory {
	return []api.NetworkFilterChainFactory{factoryFunc(func(_ context.Context, fm api.FilterManager) {
		fm.AddReadFilter(&countFilter{n: n})
	})}
}
