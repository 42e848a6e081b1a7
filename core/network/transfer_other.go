//go:build !linux

package network

func (p *parker) detach(c *Conn) {}
