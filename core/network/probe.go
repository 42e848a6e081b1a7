package network

import (
	"net"
	"syscall"
)

// ProbeResult is what a non-blocking peek at a connection found.
type ProbeResult int

const (
	// ProbeIdle: nothing to read, the connection is open.
	ProbeIdle ProbeResult = iota
	// ProbeData: bytes are waiting.
	ProbeData
	// ProbeClosed: the peer closed the connection or it failed.
	ProbeClosed
)

// Probe peeks at c without blocking and without consuming anything. It
// tells a proxy whether a client waiting for a slow response is still
// there, and a pool whether an idle upstream connection was closed.
// A TLS connection is probed through its socket (NetConn): a close is
// seen, and pending records (an alert, pipelined data) count as data.
// Connections that don't expose a file descriptor report ProbeIdle.
func Probe(c net.Conn) ProbeResult {
	if nc, ok := c.(interface{ NetConn() net.Conn }); ok {
		c = nc.NetConn()
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return ProbeIdle
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return ProbeClosed
	}
	res := ProbeClosed
	var b [1]byte
	rerr := rc.Read(func(fd uintptr) bool {
		n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case err == syscall.EAGAIN || err == syscall.EWOULDBLOCK:
			res = ProbeIdle
		case err == nil && n > 0:
			res = ProbeData
		}
		return true
	})
	if rerr != nil {
		return ProbeClosed
	}
	return res
}
