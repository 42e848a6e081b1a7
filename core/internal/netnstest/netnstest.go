//go:build linux

// Package netnstest runs test code inside a network namespace of its own,
// with nft rules, for transparent-proxy tests (iptables/nft REDIRECT and
// SO_ORIGINAL_DST). It needs root, ip (iproute2) and nft (nftables).
package netnstest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

var seq atomic.Int32

// NS is a network namespace created for a test.
type NS struct {
	Name string
}

// New creates a namespace with lo up and addrs (CIDR) on lo; it is deleted
// at cleanup. The test is skipped, naming the reason, when not root or
// when ip or nft is missing.
func New(t *testing.T, addrs ...string) *NS {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("transparent proxy test: needs root (ip netns add)")
	}
	for _, tool := range []string{"ip", "nft"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("transparent proxy test: %s is not installed (Debian packages iproute2, nftables)", tool)
		}
	}
	ns := &NS{Name: fmt.Sprintf("mosntest-%d-%d", os.Getpid(), seq.Add(1))}
	run(t, "ip", "netns", "add", ns.Name)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns.Name).Run() })
	run(t, "ip", "-n", ns.Name, "link", "set", "lo", "up")
	for _, a := range addrs {
		run(t, "ip", "-n", ns.Name, "addr", "add", a, "dev", "lo")
	}
	return ns
}

// Nft loads an nft ruleset into the namespace.
func (ns *NS) Nft(t *testing.T, rules string) {
	t.Helper()
	cmd := exec.Command("ip", "netns", "exec", ns.Name, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(rules)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nft: %v: %s", err, out)
	}
}

// Do runs f on a goroutine whose thread is in the namespace: sockets f
// creates (listen, dial) belong to the namespace for their whole life,
// whichever goroutine uses them later. The thread is never unlocked, so it
// exits with the goroutine and nothing else ever runs in the namespace.
func (ns *NS) Do(f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		fd, err := os.Open("/var/run/netns/" + ns.Name)
		if err != nil {
			errc <- err
			return
		}
		defer fd.Close()
		if _, _, e := syscall.RawSyscall(sysSetns, fd.Fd(), syscall.CLONE_NEWNET, 0); e != 0 {
			errc <- fmt.Errorf("setns: %w", e)
			return
		}
		errc <- f()
	}()
	return <-errc
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
}

// NewPair creates a client namespace (10.10.0.1/24) and a proxy namespace
// (10.10.0.2/24) joined by a veth pair. The client routes 10.20.0.0/24
// through the proxy, and the proxy delivers packets marked 1 locally
// (policy routing for nft tproxy: fwmark 1 -> table 100 -> local). Skips as
// New does.
func NewPair(t *testing.T) (client, proxy *NS) {
	t.Helper()
	client, proxy = New(t), New(t)
	veth := fmt.Sprintf("mt%d", seq.Add(1))
	run(t, "ip", "link", "add", veth+"a", "netns", client.Name, "type", "veth", "peer", "name", veth+"b", "netns", proxy.Name)
	run(t, "ip", "-n", client.Name, "addr", "add", "10.10.0.1/24", "dev", veth+"a")
	run(t, "ip", "-n", proxy.Name, "addr", "add", "10.10.0.2/24", "dev", veth+"b")
	run(t, "ip", "-n", client.Name, "link", "set", veth+"a", "up")
	run(t, "ip", "-n", proxy.Name, "link", "set", veth+"b", "up")
	run(t, "ip", "-n", client.Name, "route", "add", "10.20.0.0/24", "via", "10.10.0.2")
	run(t, "ip", "-n", proxy.Name, "rule", "add", "fwmark", "1", "lookup", "100")
	run(t, "ip", "-n", proxy.Name, "route", "add", "local", "0.0.0.0/0", "dev", "lo", "table", "100")
	return client, proxy
}

// Redirect adds an nft rule REDIRECTing locally made connections to daddr
// on ports (nft set syntax, "9998, 9999") to local port to.
func (ns *NS) Redirect(t *testing.T, daddr, ports string, to int) {
	t.Helper()
	ns.Nft(t, fmt.Sprintf(`table ip mosntest {
	chain out {
		type nat hook output priority -100; policy accept;
		ip daddr %s tcp dport { %s } redirect to :%d
	}
}`, daddr, ports, to))
}

// Dial connects to addr from inside the namespace; the connection is
// closed at cleanup.
func (ns *NS) Dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	var c net.Conn
	if err := ns.Do(func() error {
		var err error
		c, err = net.DialTimeout("tcp", addr, 5*time.Second)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(5 * time.Second))
	return c
}
