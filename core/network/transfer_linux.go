package network

import "syscall"

// detach removes c's descriptor from the parker's epoll set before the
// descriptor moves to another process: the registration belongs to the
// shared file description and would otherwise outlive this process's
// copy of the descriptor.
func (p *parker) detach(c *Conn) {
	p.forget(c)
	sc, ok := c.raw.(syscall.Conn)
	if !ok {
		return
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return
	}
	rc.Control(func(fd uintptr) {
		syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_DEL, int(fd), nil)
	})
}
