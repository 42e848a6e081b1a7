package network

import (
	"net"
	"sync"
)

// unbound is the net.Listener of a listener that binds no socket
// (bind_port false): Accept blocks until Close. Such a listener serves
// only connections another listener hands off to it (use_original_dst).
type unbound struct {
	addr   net.Addr
	once   sync.Once
	closed chan struct{}
}

func newUnbound(opts ListenerOptions) *unbound {
	var addr net.Addr
	if ta, err := net.ResolveTCPAddr("tcp", opts.Address); err == nil {
		addr = ta
	} else {
		addr = &net.UnixAddr{Name: opts.Address, Net: opts.Network}
	}
	return &unbound{addr: addr, closed: make(chan struct{})}
}

func (u *unbound) Accept() (net.Conn, error) {
	<-u.closed
	return nil, net.ErrClosed
}

func (u *unbound) Close() error {
	u.once.Do(func() { close(u.closed) })
	return nil
}

func (u *unbound) Addr() net.Addr { return u.addr }
