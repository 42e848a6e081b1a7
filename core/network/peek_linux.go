package network

import (
	"errors"
	"io"
	"net"
	"syscall"
)

// peek waits until at least min bytes can be read from c (or the read
// deadline passes, or the peer closes) and copies up to len(buf) of them
// into buf without consuming them (MSG_PEEK): the filter chain later reads
// the same bytes from the socket itself.
func peek(c net.Conn, buf []byte, min int) (int, error) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return 0, errors.New("network: cannot peek at a connection without a descriptor")
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return 0, err
	}
	var n int
	var perr error
	err = rc.Read(func(fd uintptr) bool {
		m, _, err := syscall.Recvfrom(int(fd), buf, syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case err == syscall.EAGAIN || err == syscall.EWOULDBLOCK:
			return false
		case err != nil:
			perr = err
			return true
		case m == 0:
			perr = io.EOF
			return true
		}
		n = m
		// Fewer bytes than needed: wait for more (the poller is edge
		// triggered, so this waits for the next arrival, not a spin).
		return m >= min || m == len(buf)
	})
	if err != nil {
		return n, err
	}
	if perr == io.EOF && n > 0 {
		perr = io.ErrUnexpectedEOF
	}
	return n, perr
}
