package proxy

import (
	"io"
	"syscall"
	"time"

	"github.com/seed405ffdea/mosn/core/network"
)

// waitRequest waits for the first bytes of the next request on an idle
// keep-alive connection. ok is false when the connection should end (err
// says why; network.ErrParked when it was parked instead).
//
// With parking on (listener use_netpoll_mode), a connection idle for
// ParkAfter gives its buffers back and is parked in the listener's epoll
// set without a goroutine; Serve is called again when bytes arrive. Busy
// keep-alive connections never park, so they pay nothing for it.
func (s *serverConn) waitRequest() (ok bool, err error) {
	for {
		if s.transfer.Load() {
			return false, network.ErrTransferred
		}
		if s.draining.Load() {
			return false, nil
		}
		s.in.compact()
		now := time.Now()
		var idleDeadline, wait time.Time
		if s.opts.IdleTimeout > 0 {
			idleDeadline = now.Add(s.opts.IdleTimeout)
			wait = idleDeadline
		}
		parkAfter := time.Duration(0)
		if s.nc != nil {
			parkAfter = s.nc.ParkAfter()
		}
		if parkAfter > 0 && (wait.IsZero() || parkAfter < s.opts.IdleTimeout) {
			wait = now.Add(parkAfter)
		}
		s.idle.Store(true)
		s.conn.SetReadDeadline(wait)
		if s.draining.Load() || s.transfer.Load() {
			s.idle.Store(false)
			continue
		}
		n, err := s.readIdle()
		s.idle.Store(false)
		if n > 0 {
			return true, nil
		}
		if s.transfer.Load() && (err == nil || isTimeout(err)) {
			return false, network.ErrTransferred
		}
		if isTimeout(err) && parkAfter > 0 && !s.draining.Load() &&
			(idleDeadline.IsZero() || time.Now().Before(idleDeadline)) {
			s.release()
			if s.nc.Park(idleDeadline) == nil {
				return false, network.ErrParked
			}
			// Parking refused (parker closed, draining): wait here.
			s.in.init()
			continue
		}
		if err == nil || err == io.EOF || isTimeout(err) || s.draining.Load() {
			return false, nil
		}
		return false, err
	}
}

// readIdle reads the next request's first bytes. Where it can, it waits on
// the descriptor without holding a read buffer: the buffer is taken from
// the pool only once bytes are there, so an idle keep-alive connection
// costs its goroutine and little else.
func (s *serverConn) readIdle() (int, error) {
	if s.rc == nil {
		return s.in.fill(s.conn, s.opts.Limits.MaxHeaderBytes)
	}
	s.release()
	s.readN, s.readErr = 0, nil
	if err := s.rc.Read(s.readReadyFn); err != nil {
		return 0, err
	}
	if s.readN == 0 && s.readErr == nil {
		return 0, io.EOF
	}
	return s.readN, s.readErr
}

// readReady is the syscall.RawConn.Read callback of readIdle: true when
// the read is done (bytes, EOF or an error), false to wait for the
// descriptor to become readable.
func (s *serverConn) readReady(fd uintptr) bool {
	s.in.init()
	for {
		n, err := syscall.Read(int(fd), s.in.b[s.in.w:])
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			s.in.free()
			return false
		case err != nil:
			s.readErr = err
			return true
		}
		s.readN = n
		s.in.w += n
		return true
	}
}
