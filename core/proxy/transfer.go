package proxy

import (
	"time"

	"github.com/seed405ffdea/mosn/pkg/buffer"
)

// Transfer implements network.Transferer (hot upgrade): the connection
// moves to the new process at its next idle point. A request in flight
// finishes and its response is written first, without Connection: close
// (unlike Drain: the client keeps its connection). An idle connection is
// woken at once.
//
// An HTTP/2 connection cannot move (its streams and HPACK state live in
// this process): it is drained instead, GOAWAY and all, and its client
// reconnects to the new process.
func (s *serverConn) Transfer() {
	s.transfer.Store(true)
	if s.h2.Load() != nil {
		s.Drain()
		return
	}
	if s.idle.Load() {
		s.conn.SetReadDeadline(time.Now())
	}
}

// loadUnread puts the bytes an adopted connection brought from the old
// process in front of what the socket will give: they are the start of
// the next request.
func (s *serverConn) loadUnread(b []byte) {
	for len(b) > 0 {
		s.in.init()
		if s.in.w == len(s.in.b) {
			nb := make([]byte, 2*len(s.in.b))
			copy(nb, s.in.b[:s.in.w])
			*s.in.p = s.in.b[:0]
			buffer.PutBytes(s.in.p)
			s.in.b, s.in.p = nb, &nb
		}
		n := copy(s.in.b[s.in.w:], b)
		s.in.w += n
		b = b[n:]
	}
}
