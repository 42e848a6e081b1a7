package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestBinaryL4 runs the built binary with a tcp_proxy, a udp_proxy and a
// unix-socket listener, and passes bytes through each.
func TestBinaryL4(t *testing.T) {
	bin, dir := buildBinary(t)
	// Real upstreams: a TCP echo and a UDP echo.
	tl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tl.Close()
	go func() {
		for {
			c, err := tl.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); io.Copy(c, c) }()
		}
	}()
	ul, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ul.Close()
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := ul.ReadFrom(buf)
			if err != nil {
				return
			}
			ul.WriteTo(buf[:n], from)
		}
	}()
	tcpPort := freePort(t)
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	udpPort := pc.LocalAddr().(*net.UDPAddr).Port
	pc.Close()
	sock := filepath.Join(dir, "l4.sock")
	cfg := filepath.Join(dir, "l4.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`
servers:
  - default_log_path: stderr
    listeners:
      - {name: tcp, address: "127.0.0.1:%d", bind_port: true,
         filter_chains: [{filters: [{type: tcp_proxy, config: {cluster: echo, idle_timeout: 30s}}]}]}
      - {name: udp, address: "127.0.0.1:%d", bind_port: true, network: udp,
         filter_chains: [{filters: [{type: udp_proxy, config: {cluster: uecho}}]}]}
      - {name: unix, address: %q, bind_port: true, network: unix,
         filter_chains: [{filters: [{type: tcp_proxy, config: {cluster: echo}}]}]}
cluster_manager:
  clusters:
    - {name: echo, hosts: [{address: %q}]}
    - {name: uecho, hosts: [{address: %q}]}
`, tcpPort, udpPort, sock, tl.Addr().String(), ul.LocalAddr().String())), 0o644)
	p := startBinary(t, bin, "start", "-c", cfg, "-l", "WARN")
	p.waitLine(t, "unix://"+sock)

	for _, dst := range []struct{ network, addr string }{{"tcp", fmt.Sprintf("127.0.0.1:%d", tcpPort)}, {"unix", sock}, {"udp", fmt.Sprintf("127.0.0.1:%d", udpPort)}} {
		c, err := net.DialTimeout(dst.network, dst.addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		msg := "through " + dst.network
		c.Write([]byte(msg))
		buf := make([]byte, 64)
		n, err := io.ReadAtLeast(c, buf, len(msg))
		c.Close()
		if err != nil || string(buf[:n]) != msg {
			t.Fatalf("%s: %q %v", dst.network, buf[:n], err)
		}
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.waitExit(t, "SIGTERM")
}
