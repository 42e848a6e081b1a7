package proxy_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed405ffdea/mosn/api"
	"github.com/seed405ffdea/mosn/core/config"
	"github.com/seed405ffdea/mosn/core/network"
	"github.com/seed405ffdea/mosn/core/proxy"
	"github.com/seed405ffdea/mosn/core/router"
	"github.com/seed405ffdea/mosn/core/upstream"
)

// origin is a real net/http upstream that counts what reaches it.
type origin struct {
	*httptest.Server
	hits  atomic.Int64
	conns atomic.Int64
}

func newOrigin(t *testing.T, h http.HandlerFunc) *origin {
	t.Helper()
	o := &origin{}
	o.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.hits.Add(1)
		h(w, r)
	}))
	o.Config.ConnState = func(c net.Conn, s http.ConnState) {
		if s == http.StateNew {
			o.conns.Add(1)
		}
	}
	o.Start()
	t.Cleanup(o.Close)
	return o
}

func (o *origin) addr() string { return strings.TrimPrefix(o.URL, "http://") }

// proxyConf tweaks a test proxy.
type proxyConf struct {
	cluster   func(*upstream.ClusterOptions)
	timeout   time.Duration
	parkAfter time.Duration
	opts      func(*proxy.Options)
	hosts     []string
}

// startProxy runs a listener with the proxy filter routing "/" to a
// cluster of upstreamAddrs, and returns its address.
func startProxy(t *testing.T, upstreamAddr string, pc proxyConf) string {
	return startProxyConf(t, upstreamAddr, pc)
}

// startProxyTB starts a default proxy for benchmarks.
func startProxyTB(t testing.TB, upstreamAddr string) string {
	return startProxyConf(t, upstreamAddr, proxyConf{})
}

func startProxyConf(t testing.TB, upstreamAddr string, pc proxyConf) string {
	t.Helper()
	hosts := pc.hosts
	if hosts == nil {
		hosts = []string{upstreamAddr}
	}
	rc := config.RouterConfig{
		RouterConfigName: "r",
		VirtualHosts: []config.VirtualHostConfig{{
			Name:    "all",
			Domains: []string{"*"},
			Routers: []config.RouteConfig{
				{Match: config.RouterMatch{Path: "/direct"}, DirectResponse: &config.DirectResponseAction{StatusCode: 200, Body: "direct\n"}},
				{Match: config.RouterMatch{Prefix: "/"}, Route: config.RouteAction{ClusterName: "c", Timeout: config.Duration{Duration: pc.timeout}}},
			},
		}},
	}
	table, err := router.Build(rc)
	if err != nil {
		t.Fatal(err)
	}
	routers := router.NewSet()
	routers.Update([]*router.Table{table})
	var hs []upstream.HostOptions
	for _, h := range hosts {
		hs = append(hs, upstream.HostOptions{Address: h})
	}
	co := upstream.ClusterOptions{Name: "c", Hosts: hs, Pool: upstream.PoolOptions{ConnectTimeout: time.Second}}
	if pc.cluster != nil {
		pc.cluster(&co)
	}
	cl, err := upstream.NewCluster(co, upstream.NewLoadBalancerRegistry())
	if err != nil {
		t.Fatal(err)
	}
	clusters := upstream.NewManager()
	clusters.Update([]*upstream.Cluster{cl})
	o := proxy.Options{RouterName: "r", Routers: routers, Clusters: clusters}
	if pc.opts != nil {
		pc.opts(&o)
	}
	return serveProxy(t, o, pc.parkAfter)
}

// serveProxy runs a listener whose only filter is a proxy with options o
// and returns its address; cleanup closes the listener, waits for its
// connections, then closes o.Clusters.
func serveProxy(t testing.TB, o proxy.Options, parkAfter time.Duration) string {
	t.Helper()
	ln, err := network.Listen(network.ListenerOptions{
		Name:          "test",
		Address:       "127.0.0.1:0",
		Filters:       []api.NetworkFilterChainFactory{proxy.NewFactory(o)},
		ParkIdleAfter: parkAfter,
	})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); ln.Serve() }()
	t.Cleanup(func() {
		ln.Close()
		ln.CloseConns()
		wg.Wait()
		for ln.ActiveConns() > 0 {
			time.Sleep(time.Millisecond)
		}
		o.Clusters.Close()
	})
	return ln.Addr().String()
}

// rawConn is a client connection for hand-written requests.
type rawConn struct {
	net.Conn
	r *bufio.Reader
}

func dialRaw(t *testing.T, addr string) *rawConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return &rawConn{Conn: c, r: bufio.NewReader(c)}
}

func (c *rawConn) send(t *testing.T, s string) {
	t.Helper()
	if _, err := io.WriteString(c, s); err != nil {
		t.Fatal(err)
	}
}

// response reads one response (for a request whose method is method).
func (c *rawConn) response(t *testing.T, method string) (*http.Response, string) {
	t.Helper()
	resp, err := http.ReadResponse(c.r, &http.Request{Method: method})
	if err != nil {
		t.Fatalf("reading response: %v", err)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	return resp, string(b)
}

// closed reports whether the server closed the connection (EOF) within 5s.
func (c *rawConn) closed() bool {
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := c.r.ReadByte()
	return err == io.EOF || (err != nil && !isTimeout(err))
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// client returns an HTTP client that does not share connections with other
// tests.
func client(t *testing.T) *http.Client {
	tr := &http.Transport{MaxIdleConnsPerHost: 4, DisableCompression: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}
