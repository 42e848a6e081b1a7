//go:build !linux

package network

import (
	"errors"
	"net"
)

func originalDst(*net.TCPConn) (*net.TCPAddr, error) {
	return nil, errors.New("SO_ORIGINAL_DST is supported on Linux only")
}

func setTransparent(uintptr, bool) error {
	return errors.New("IP_TRANSPARENT is supported on Linux only")
}
