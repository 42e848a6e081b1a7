package network

import (
	"fmt"
	"net"
	"syscall"
)

// OriginalDst is the original_dst listener filter (listener
// "use_original_dst"): it finds the address a redirected connection was
// meant for, which then becomes the connection's LocalAddr, selects the
// listener that owns it (ListenerOptions.Handoff) and is what an
// ORIGINAL_DST cluster dials.
type OriginalDst struct {
	// Mode is "redirect" (iptables/nft REDIRECT or DNAT: the kernel's
	// SO_ORIGINAL_DST) or "tproxy" (TPROXY with an IP_TRANSPARENT
	// listener: the socket's own local address).
	Mode string
}

// Original destination modes.
const (
	OriginalDstRedirect = "redirect"
	OriginalDstTProxy   = "tproxy"
)

// OnAccept implements ListenerFilter.
func (f OriginalDst) OnAccept(a *Accepted) error {
	if f.Mode == OriginalDstTProxy {
		a.Info.OriginalDst = a.Conn.LocalAddr()
		return nil
	}
	tc, ok := a.Conn.(*net.TCPConn)
	if !ok {
		return nil
	}
	dst, err := originalDst(tc)
	if err != nil {
		return fmt.Errorf("network: original_dst: %w", err)
	}
	// A connection that was not redirected reports its own local address:
	// nothing to hand off.
	if dst != nil && dst.String() != a.Conn.LocalAddr().String() {
		a.Info.OriginalDst = dst
	}
	return nil
}

// transparentControl wraps a ListenConfig.Control to also set
// IP_TRANSPARENT.
func transparentControl(next func(network, address string, c syscall.RawConn) error) func(string, string, syscall.RawConn) error {
	return func(network, address string, c syscall.RawConn) error {
		if next != nil {
			if err := next(network, address, c); err != nil {
				return err
			}
		}
		var serr error
		err := c.Control(func(fd uintptr) { serr = setTransparent(fd, network == "tcp6") })
		if err != nil {
			return err
		}
		if serr != nil {
			return fmt.Errorf("IP_TRANSPARENT: %w", serr)
		}
		return nil
	}
}
