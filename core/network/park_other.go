//go:build !linux

package network

import (
	"errors"
	"time"
)

// parker is Linux-only (epoll); elsewhere ParkIdleAfter is refused.
type parker struct{}

func newParker() (*parker, error) {
	return nil, errors.New("network: parking idle connections needs Linux epoll")
}

func (p *parker) park(c *Conn, deadline time.Time, ready, expire func()) error {
	return errors.New("network: parking not supported")
}
func (p *parker) unpark(c *Conn) bool { return false }
func (p *parker) forget(c *Conn)      {}
func (p *parker) close() []*Conn      { return nil }
