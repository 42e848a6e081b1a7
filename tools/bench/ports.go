package main

import (
	"fmt"
	"net"
	"sync"
)

// portAllocator hands out loopback ports that the kernel picked for
// 127.0.0.1:0. nginx and HAProxy cannot report the port they bound, so the
// port is reserved and released just before the proxy binds it; a proxy
// that loses the race fails to start and is restarted with new ports
// (startTarget). The harness never uses a fixed port.
type portAllocator struct {
	mu   sync.Mutex
	used map[int]bool
}

// next returns a free port on 127.0.0.1 not handed out before in this run.
func (a *portAllocator) next() (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.used == nil {
		a.used = map[int]bool{}
	}
	for range 16 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("ports: %w", err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		if !a.used[port] {
			a.used[port] = true
			return port, nil
		}
	}
	return 0, fmt.Errorf("ports: no fresh port after 16 tries")
}

// addr returns "127.0.0.1:port" for a fresh port.
func (a *portAllocator) addr() (string, error) {
	p, err := a.next()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("127.0.0.1:%d", p), nil
}
