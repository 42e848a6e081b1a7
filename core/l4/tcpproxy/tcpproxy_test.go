package tcpproxy_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed405ffdea/mosn/api"
	"github.com/seed405ffdea/mosn/core/accesslog"
	"github.com/seed405ffdea/mosn/core/config"
	"github.com/seed405ffdea/mosn/core/l4/tcpproxy"
	"github.com/seed405ffdea/mosn/core/upstream"
	"github.com/seed405ffdea/mosn/pkg/log"
)

// digestServer reads until EOF and answers the SHA-256 of what it read.
func digestServer(c net.Conn) {
	h := sha256.New()
	if _, err := io.Copy(h, c); err != nil {
		return
	}
	c.Write(h.Sum(nil))
}

// sendHashed writes size pseudo-random bytes to c and returns their
// SHA-256.
func sendHashed(t testing.TB, c io.Writer, size int64) []byte {
	t.Helper()
	chunk := make([]byte, 1<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < len(chunk); i += 8 {
		binary.LittleEndian.PutUint64(chunk[i:], rng.Uint64())
	}
	h := sha256.New()
	for sent := int64(0); sent < size; sent += int64(len(chunk)) {
		// Vary every chunk so that a dropped or repeated chunk changes
		// the digest.
		binary.LittleEndian.PutUint64(chunk, uint64(sent))
		h.Write(chunk)
		if _, err := c.Write(chunk); err != nil {
			t.Fatalf("write at %d: %v", sent, err)
		}
	}
	return h.Sum(nil)
}

// One GiB through the proxy (spliced), then a half-close: the upstream
// answers the digest of what it got after the client stopped writing.
func TestGiBChecksum(t *testing.T) {
	up := serveTCP(t, digestServer)
	m := clusters(t, nil, map[string][]string{"c": {up}})
	ln, f := startProxy(t, m, proxyOpts{cluster: "c"})
	c := dial(t, ln.Addr().String())
	c.SetDeadline(time.Now().Add(2 * time.Minute))
	want := sendHashed(t, c, 1<<30)
	c.CloseWrite()
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("digest %x, want %x", got, want)
	}
	waitFor(t, "stats", func() bool { return f.Stats().Active.Load() == 0 })
	if st := f.Stats(); st.BytesReceived.Load() != 1<<30 || st.BytesSent.Load() != 32 || st.Connections.Load() != 1 {
		t.Fatalf("stats: received %d sent %d connections %d", st.BytesReceived.Load(), st.BytesSent.Load(), st.Connections.Load())
	}
}

// The same through the copying path: a read filter before tcp_proxy must
// see every byte, a write filter every byte back.
func TestFilteredPathSeesBytes(t *testing.T) {
	up := serveTCP(t, echo)
	m := clusters(t, nil, map[string][]string{"c": {up}})
	var seen, written atomic.Int64
	counter := factoryFunc(func(_ context.Context, fm api.FilterManager) {
		fm.AddReadFilter(&countFilter{n: &seen})
		fm.AddWriteFilter(writeCounter{n: &written})
	})
	ln, _ := startProxy(t, m, proxyOpts{cluster: "c", filters: []api.NetworkFilterChainFactory{counter}})
	c := dial(t, ln.Addr().String())
	const size = 8 << 20
	done := make(chan []byte, 1)
	go func() {
		h := sha256.New()
		io.Copy(h, c)
		done <- h.Sum(nil)
	}()
	want := sendHashed(t, c, size)
	c.CloseWrite()
	if got := <-done; !bytes.Equal(got, want) {
		t.Fatalf("echoed digest %x, want %x", got, want)
	}
	if seen.Load() != size || written.Load() != size {
		t.Fatalf("read filter saw %d, write filter %d, want %d", seen.Load(), written.Load(), size)
	}
}

type countFilter struct{ n *atomic.Int64 }

func (f *countFilter) OnNewConnection() api.FilterStatus                     { return api.Continue }
func (f *countFilter) InitializeReadFilterCallbacks(api.ReadFilterCallbacks) {}
func (f *countFilter) OnData(buf api.IoBuffer, _ bool) api.FilterStatus {
	f.n.Add(int64(buf.Len()))
	return api.Continue
}

type writeCounter struct{ n *atomic.Int64 }

func (w writeCounter) OnWrite(bufs [][]byte) api.FilterStatus {
	for _, b := range bufs {
		w.n.Add(int64(len(b)))
	}
	return api.Continue
}

// Half-close both ways: the client's FIN reaches the upstream, which
// still answers; the upstream's FIN reaches the client, which still
// sends.
func TestHalfClose(t *testing.T) {
	got := make(chan string, 1)
	up := serveTCP(t, func(c net.Conn) {
		if c.LocalAddr().String() == "" {
			return
		}
		// Greet, half-close, then read what the client sends after.
		c.Write([]byte("hello "))
		c.(*net.TCPConn).CloseWrite()
		b, _ := io.ReadAll(c)
		got <- string(b)
	})
	m := clusters(t, nil, map[string][]string{"c": {up}})
	ln, _ := startProxy(t, m, proxyOpts{cluster: "c"})

	// Upstream closes first.
	c := dial(t, ln.Addr().String())
	b, err := io.ReadAll(c)
	if err != nil || string(b) != "hello " {
		t.Fatalf("greeting %q %v", b, err)
	}
	if _, err := c.Write([]byte("after your FIN")); err != nil {
		t.Fatal(err)
	}
	c.CloseWrite()
	if s := <-got; s != "after your FIN" {
		t.Fatalf("upstream got %q", s)
	}

	// Client closes first.
	up2 := serveTCP(t, func(c net.Conn) {
		b, _ := io.ReadAll(c)
		c.Write(append([]byte("reply:"), b...))
	})
	m2 := clusters(t, nil, map[string][]string{"c": {up2}})
	ln2, _ := startProxy(t, m2, proxyOpts{cluster: "c"})
	if s := roundTrip(t, dial(t, ln2.Addr().String()), "question"); s != "reply:question" {
		t.Fatalf("got %q", s)
	}
}

func TestIdleTimeout(t *testing.T) {
	upClosed := make(chan struct{}, 1)
	up := serveTCP(t, func(c net.Conn) {
		io.Copy(c, c) // echo until the proxy closes
		upClosed <- struct{}{}
	})
	m := clusters(t, nil, map[string][]string{"c": {up}})
	ln, f := startProxy(t, m, proxyOpts{cluster: "c", tcp: tcpproxy.Options{IdleTimeout: 300 * time.Millisecond}})
	c := dial(t, ln.Addr().String())
	// Traffic keeps it open past the timeout.
	buf := make([]byte, 4)
	start := time.Now()
	for time.Since(start) < 900*time.Millisecond {
		if _, err := c.Write([]byte("ping")); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			t.Fatalf("closed while busy after %v: %v", time.Since(start), err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Silence closes both sides.
	idleFrom := time.Now()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := c.Read(buf); err != io.EOF {
		t.Fatalf("read after idle: %d %v, want EOF", n, err)
	}
	if d := time.Since(idleFrom); d < 250*time.Millisecond {
		t.Fatalf("closed after %v, before the idle timeout", d)
	}
	select {
	case <-upClosed:
	case <-time.After(5 * time.Second):
		t.Fatal("upstream connection not closed")
	}
	waitFor(t, "idle count", func() bool { return f.Stats().IdleTimeouts.Load() == 1 })
}

// The first host refuses; the second attempt goes to the other host.
func TestConnectRetryReachesSecondHost(t *testing.T) {
	up := serveTCP(t, echo)
	bad := refusedAddr(t)
	m := clusters(t, nil, map[string][]string{"c": {bad, up}})
	ln, f := startProxy(t, m, proxyOpts{cluster: "c", tcp: tcpproxy.Options{MaxConnectAttempts: 2}})
	for i := 0; i < 4; i++ {
		if s := roundTrip(t, dial(t, ln.Addr().String()), "x"); s != "x" {
			t.Fatalf("connection %d: got %q", i, s)
		}
	}
	if f.Stats().ConnectFailures.Load() == 0 {
		t.Fatal("no connect failure counted: the refusing host was never tried")
	}
	if f.Stats().Failed.Load() != 0 {
		t.Fatalf("%d connections failed", f.Stats().Failed.Load())
	}

	// With one attempt, connections that pick the refusing host fail.
	ln1, f1 := startProxy(t, m, proxyOpts{cluster: "c"})
	var failed int
	for i := 0; i < 4; i++ {
		if s, _ := tryRoundTrip(dial(t, ln1.Addr().String()), "x"); s == "" {
			failed++
		}
	}
	if failed == 0 || f1.Stats().Failed.Load() != uint64(failed) {
		t.Fatalf("%d failed, stats %d", failed, f1.Stats().Failed.Load())
	}
}

// Routes by source and destination CIDR; unmatched connections go to the
// default cluster, or are closed without one.
func TestRoutesByCIDR(t *testing.T) {
	named := func(name string) string {
		return serveTCP(t, func(c net.Conn) { c.Write([]byte(name)) })
	}
	m := clusters(t, nil, map[string][]string{"def": {named("def")}, "src": {named("src")}, "dst": {named("dst")}, "port": {named("port")}})
	routes := []config.StreamRouteConfig{
		{Cluster: "src", SourceAddrs: []config.CIDRRange{cidr(t, "127.0.0.3/32")}},
		{Cluster: "dst", DestinationAddrs: []config.CIDRRange{cidr(t, "127.0.0.2/32"), cidr(t, "10.0.0.0/8")}},
		{Cluster: "port", SourceAddrs: []config.CIDRRange{cidr(t, "127.0.0.0/8")}, SourcePort: "1-1023"},
	}
	lnA, _ := startProxy(t, m, proxyOpts{cluster: "def", routes: routes, address: "127.0.0.1:0"})
	lnB, _ := startProxy(t, m, proxyOpts{cluster: "def", routes: routes, address: "127.0.0.2:0"})
	read := func(local, addr string) string {
		d := net.Dialer{Timeout: 5 * time.Second}
		if local != "" {
			d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(local)}
		}
		c, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		b, _ := io.ReadAll(c)
		return string(b)
	}
	for _, tc := range []struct{ local, addr, want string }{
		{"", lnA.Addr().String(), "def"},
		{"127.0.0.3", lnA.Addr().String(), "src"},
		{"", lnB.Addr().String(), "dst"},
		{"127.0.0.3", lnB.Addr().String(), "src"}, // first match wins
	} {
		if got := read(tc.local, tc.addr); got != tc.want {
			t.Errorf("from %q to %s: %q, want %q", tc.local, tc.addr, got, tc.want)
		}
	}
	// No default cluster: an unmatched connection is closed (NR).
	lnC, f := startProxy(t, m, proxyOpts{routes: routes[:1]})
	if got := read("", lnC.Addr().String()); got != "" {
		t.Fatalf("unrouted connection got %q", got)
	}
	waitFor(t, "no-route count", func() bool { return f.Stats().NoRoute.Load() == 1 })
}

func cidr(t *testing.T, s string) config.CIDRRange {
	p, err := config.ParseCIDR(s)
	if err != nil {
		t.Fatal(err)
	}
	return config.CIDRRange{Prefix: p}
}

// max_connections bounds the proxied connections: one more is closed at
// once (UO) while the first stays up.
func TestCircuitBreaker(t *testing.T) {
	up := serveTCP(t, echo)
	m := clusters(t, func(o *upstream.ClusterOptions) { o.MaxConnections = 1 }, map[string][]string{"c": {up}})
	ln, f := startProxy(t, m, proxyOpts{cluster: "c"})
	first := dial(t, ln.Addr().String())
	first.Write([]byte("a"))
	b := make([]byte, 1)
	if _, err := io.ReadFull(first, b); err != nil {
		t.Fatal(err)
	}
	if s, _ := tryRoundTrip(dial(t, ln.Addr().String()), "b"); s != "" {
		t.Fatalf("second connection got %q past the breaker", s)
	}
	if f.Stats().Overflow.Load() != 1 {
		t.Fatalf("overflow %d", f.Stats().Overflow.Load())
	}
	if s := roundTrip(t, first, "c"); s != "c" {
		t.Fatalf("first connection: %q", s)
	}
	// The slot is free again once the first connection ended.
	waitFor(t, "slot", func() bool { return f.Stats().Active.Load() == 0 })
	if s := roundTrip(t, dial(t, ln.Addr().String()), "d"); s != "d" {
		t.Fatalf("after release: %q", s)
	}
}

// Shutdown keeps a proxied connection until the drain deadline: it still
// carries bytes after the drain began, and is cut at the deadline.
func TestDrainKeepsConnectionUntilDeadline(t *testing.T) {
	up := serveTCP(t, func(c net.Conn) { io.Copy(c, c) })
	m := clusters(t, nil, map[string][]string{"c": {up}})
	ln, _ := startProxy(t, m, proxyOpts{cluster: "c"})
	c := dial(t, ln.Addr().String())
	c.Write([]byte("1"))
	b := make([]byte, 1)
	io.ReadFull(c, b)
	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	defer cancel()
	res := make(chan error, 1)
	go func() { res <- ln.Shutdown(ctx) }()
	time.Sleep(100 * time.Millisecond)
	if _, err := c.Write([]byte("2")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(c, b); err != nil || b[0] != '2' {
		t.Fatalf("during drain: %q %v", b, err)
	}
	if err := <-res; err != context.DeadlineExceeded {
		t.Fatalf("shutdown: %v, want the deadline", err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(b); err == nil {
		t.Fatal("connection survived the drain deadline")
	}
}

func TestAccessLog(t *testing.T) {
	up := serveTCP(t, func(c net.Conn) { io.Copy(io.Discard, c); c.Write([]byte("0123456789")) })
	m := clusters(t, nil, map[string][]string{"c": {up}})
	path := filepath.Join(t.TempDir(), "access.log")
	al, err := accesslog.New(path, "%bytes_received% %bytes_sent% %upstream_host% %upstream_cluster% %RESPONSE_FLAGS% %downstream_remote_address%", log.DefaultRoller())
	if err != nil {
		t.Fatal(err)
	}
	ln, _ := startProxy(t, m, proxyOpts{cluster: "c", tcp: tcpproxy.Options{AccessLogs: []*accesslog.Logger{al}}})
	c := dial(t, ln.Addr().String())
	if s := roundTrip(t, c, "abc"); s != "0123456789" {
		t.Fatalf("got %q", s)
	}
	ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ln.Shutdown(ctx)
	al.Close()
	b, _ := os.ReadFile(path)
	want := "3 10 " + up + " c - " + c.LocalAddr().String() + "\n"
	if string(b) != want {
		t.Fatalf("log %q, want %q", b, want)
	}
}

// A client that disconnects while the upstream still sends ends both
// connections.
func TestClientResetEndsUpstream(t *testing.T) {
	upDone := make(chan struct{})
	up := serveTCP(t, func(c net.Conn) {
		defer close(upDone)
		chunk := make([]byte, 64<<10)
		for {
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	})
	m := clusters(t, nil, map[string][]string{"c": {up}})
	ln, f := startProxy(t, m, proxyOpts{cluster: "c"})
	c := dial(t, ln.Addr().String())
	io.ReadFull(c, make([]byte, 1<<20))
	c.SetLinger(0)
	c.Close()
	select {
	case <-upDone:
	case <-time.After(5 * time.Second):
		t.Fatal("upstream still written to after the client left")
	}
	waitFor(t, "active 0", func() bool { return f.Stats().Active.Load() == 0 })
	if strings.Contains(up, " ") {
		t.Fatal("unreachable")
	}
}

// Connect failures reach outlier detection: a host that keeps refusing is
// ejected, and later connections no longer try it.
func TestConnectFailuresEjectHost(t *testing.T) {
	up := serveTCP(t, echo)
	bad := refusedAddr(t)
	m := clusters(t, func(o *upstream.ClusterOptions) {
		od := upstream.DefaultOutlierOptions()
		od.ConsecutiveGatewayFailure, od.EnforcingConsecutiveGatewayFailure = 2, 100
		od.MaxEjectionPercent = 50
		o.Outlier = &od
	}, map[string][]string{"c": {bad, up}})
	ln, f := startProxy(t, m, proxyOpts{cluster: "c", tcp: tcpproxy.Options{MaxConnectAttempts: 2}})
	for i := 0; i < 6; i++ {
		if s := roundTrip(t, dial(t, ln.Addr().String()), "x"); s != "x" {
			t.Fatalf("connection %d: %q", i, s)
		}
	}
	var ejected bool
	for _, h := range m.Get("c").Hosts() {
		if h.Address() == bad {
			ejected = h.Ejected()
		}
	}
	if !ejected {
		t.Fatal("the refusing host was not ejected")
	}
	failures := f.Stats().ConnectFailures.Load()
	for i := 0; i < 4; i++ {
		roundTrip(t, dial(t, ln.Addr().String()), "y")
	}
	if f.Stats().ConnectFailures.Load() != failures {
		t.Fatal("the ejected host was tried again")
	}
}

// Relaying allocates nothing once a connection is up, spliced or copied.
func TestRelayAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race")
	}
	for _, filtered := range []bool{false, true} {
		up := serveTCP(t, func(c net.Conn) {
			buf := make([]byte, 64)
			for {
				n, err := c.Read(buf)
				if err != nil {
					return
				}
				c.Write(buf[:n])
			}
		})
		m := clusters(t, nil, map[string][]string{"c": {up}})
		po := proxyOpts{cluster: "c"}
		if filtered {
			po.filters = counting(new(atomic.Int64))
		}
		ln, _ := startProxy(t, m, po)
		c := dial(t, ln.Addr().String())
		b := []byte("ping")
		avg := testing.AllocsPerRun(1000, func() {
			c.Write(b)
			if _, err := io.ReadFull(c, b); err != nil {
				t.Fatal(err)
			}
		})
		if avg >= 0.5 {
			t.Errorf("filtered=%v: %.2f allocations per round trip, want 0", filtered, avg)
		}
	}
}
