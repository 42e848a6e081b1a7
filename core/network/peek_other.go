//go:build !linux

package network

import (
	"errors"
	"net"
)

func peek(c net.Conn, buf []byte, min int) (int, error) {
	return 0, errors.New("network: peeking at connections is supported on Linux only")
}
