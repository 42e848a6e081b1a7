package proxy

import (
	"io"
	"net"
	"time"

	"github.com/seed405ffdea/mosn/core/upstream"
)

// tunnel relays bytes both ways after a 101 Switching Protocols (WebSocket
// and other upgrades) until either side closes; the route timeout no longer
// applies, as in Envoy. The bytes bypass write filters and go kernel to
// kernel (splice) where possible.
func (s *serverConn) tunnel(uc *upstream.UpConn) error {
	st := &s.st
	st.status = 101
	st.closeDown = true
	s.head = s.appendResponseHead(s.headBuf(), 0, false)
	s.iov = append(s.iovArr[:0], s.head, s.up.data())
	s.up.consume(s.up.len())
	if err := s.writeDown(); err != nil {
		uc.Pool().Discard(uc)
		st.uc = nil
		return err
	}
	down := s.conn.RawConn()
	uc.SetReadDeadline(time.Time{})
	down.SetReadDeadline(time.Time{})
	if s.in.len() > 0 {
		if _, err := uc.Write(s.in.data()); err != nil {
			uc.Pool().Discard(uc)
			st.uc = nil
			return err
		}
		s.in.consume(s.in.len())
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		io.Copy(down, uc.Conn)
		closeWrite(down)
		// The upstream finished; a client that never closes its side must
		// not hold the tunnel open forever.
		down.SetReadDeadline(time.Now().Add(s.opts.StreamIdleTimeout))
	}()
	io.Copy(uc.Conn, down)
	closeWrite(uc.Conn)
	// The client is done sending; give the upstream a moment to finish its
	// side, then cut both (a peer that never closes must not pin us).
	select {
	case <-done:
	case <-time.After(s.opts.StreamIdleTimeout):
	}
	uc.Pool().Discard(uc)
	st.uc = nil
	<-done
	return nil
}

func closeWrite(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
		return
	}
	c.Close()
}
