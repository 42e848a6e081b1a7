package http2

import (
	"errors"

	"golang.org/x/net/http2"
)

// Frame handlers for DATA, WINDOW_UPDATE, RST_STREAM and SETTINGS, and
// the flow-control credit they share with the streams.

// onData takes a DATA frame's payload into its stream's buffer, within
// the flow-control windows we advertised (6.9).
func (c *Conn) onData(f *http2.DataFrame) error {
	id := f.StreamID
	n := int64(f.Length)
	data := f.Data()
	if len(data) == 0 && !f.StreamEnded() {
		c.emptyFrames++
		if c.emptyFrames > c.cfg.MaxConsecutiveEmptyFrames {
			return connErr(http2.ErrCodeEnhanceYourCalm, errEmptyFrames)
		}
	} else {
		c.emptyFrames = 0
	}
	c.mu.Lock()
	if c.isIdle(id) {
		c.mu.Unlock()
		// 5.1 idle: "Receiving any frame other than HEADERS or PRIORITY on
		// a stream in this state MUST be treated as a connection error".
		return connErr(http2.ErrCodeProtocol, errStreamIDs)
	}
	if n > c.connRecv {
		c.mu.Unlock()
		return connErr(http2.ErrCodeFlowControl, errFlowControl)
	}
	c.connRecv -= n
	st := c.streams[id]
	if st == nil || st.recvDone {
		// Nobody will read these bytes: give the connection window back.
		c.creditConnLocked(n)
		ours := st == nil && c.recentlyReset(id)
		c.mu.Unlock()
		switch {
		case ours:
			return nil
		case st != nil:
			c.resetStream(id, st, http2.ErrCodeStreamClosed)
			return nil
		}
		return connErr(http2.ErrCodeStreamClosed, errStreamClosed)
	}
	if n > st.recvWindow {
		c.creditConnLocked(n)
		c.mu.Unlock()
		c.resetStream(id, st, http2.ErrCodeFlowControl)
		return nil
	}
	st.recvWindow -= n
	if pad := n - int64(len(data)); pad > 0 {
		// Padding is flow controlled but nobody reads it.
		c.creditConnLocked(pad)
		c.creditStreamLocked(st, pad)
	}
	st.received += int64(len(data))
	cl := st.recvCL
	if cl >= 0 && (st.received > cl || f.StreamEnded() && st.received != cl) {
		// 8.1.1: a content-length that does not equal the sum of the DATA
		// payloads makes the request malformed.
		c.mu.Unlock()
		c.resetStream(id, st, http2.ErrCodeProtocol)
		return nil
	}
	if len(data) > 0 {
		if st.roff > 0 && st.roff >= len(st.rbuf)/2 {
			st.rbuf = st.rbuf[:copy(st.rbuf, st.rbuf[st.roff:])]
			st.roff = 0
		}
		st.rbuf = append(st.rbuf, data...)
	}
	if f.StreamEnded() {
		st.recvDone = true
		if c.client && st.sendDone {
			c.closeStreamLocked(st, false)
		}
	}
	st.wakeLocked()
	c.mu.Unlock()
	return nil
}

// isIdle reports whether id names a stream not opened yet (RFC 9113 5.1).
func (c *Conn) isIdle(id uint32) bool {
	if c.client {
		return id >= c.nextID || id%2 == 0
	}
	return id > c.maxClientID
}

// creditConnLocked gives n bytes back to the connection's receive window,
// sending WINDOW_UPDATE once half the window is owed.
func (c *Conn) creditConnLocked(n int64) {
	c.connUnsent += n
	if c.connUnsent >= int64(c.cfg.InitialConnectionWindowSize)/2 {
		c.connRecv += c.connUnsent
		c.enqueueLocked(wframe{kind: wWindowUpdate, n: uint32(c.connUnsent)})
		c.connUnsent = 0
	}
}

// creditStreamLocked is creditConnLocked for a stream.
func (c *Conn) creditStreamLocked(st *Stream, n int64) {
	if st.recvDone || st.closed {
		return
	}
	st.recvUnsent += n
	if st.recvUnsent >= int64(c.cfg.InitialStreamWindowSize)/2 {
		st.recvWindow += st.recvUnsent
		c.enqueueLocked(wframe{kind: wWindowUpdate, stream: st.id, n: uint32(st.recvUnsent)})
		st.recvUnsent = 0
	}
}

// enqueueLocked is enqueue with c.mu held.
func (c *Conn) enqueueLocked(f wframe) bool {
	if c.closed {
		putData(&f)
		return false
	}
	if f.kind != wHeaders && f.kind != wData && f.kind != wGoAway {
		c.ctrlQueued++
		if c.ctrlQueued > c.cfg.MaxOutboundControlFrames {
			putData(&f)
			c.failLocked(errControlFlood)
			return false
		}
	}
	c.wq = append(c.wq, f)
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return true
}

// onWindowUpdate grows a send window (6.9.1).
func (c *Conn) onWindowUpdate(f *http2.WindowUpdateFrame) error {
	inc := int64(f.Increment)
	c.mu.Lock()
	defer c.mu.Unlock()
	if f.StreamID == 0 {
		c.connSend += inc
		if c.connSend > maxWindow {
			// "A sender MUST NOT allow a flow-control window to exceed
			// 2^31-1 octets ... it MUST terminate ... the connection".
			return connErr(http2.ErrCodeFlowControl, errWindowOverflow)
		}
		c.signalFlowLocked()
		return nil
	}
	if c.isIdle(f.StreamID) {
		return connErr(http2.ErrCodeProtocol, errStreamIDs)
	}
	st := c.streams[f.StreamID]
	if st == nil {
		return nil
	}
	st.sendWindow += inc
	if st.sendWindow > maxWindow {
		c.closeStreamLocked(st, true)
		c.enqueueLocked(wframe{kind: wRST, stream: st.id, code: http2.ErrCodeFlowControl})
		return nil
	}
	c.signalFlowLocked()
	return nil
}

// onRSTStream ends a stream the client gave up on.
func (c *Conn) onRSTStream(f *http2.RSTStreamFrame) error {
	c.mu.Lock()
	if c.isIdle(f.StreamID) {
		c.mu.Unlock()
		return connErr(http2.ErrCodeProtocol, errStreamIDs)
	}
	st := c.streams[f.StreamID]
	if st != nil {
		if !st.sendDone {
			c.rrReset++
		}
		st.peerReset = true
		st.resetCode = f.ErrCode
		c.closeStreamLocked(st, false)
	}
	c.mu.Unlock()
	return c.checkRapidReset()
}

// onSettings applies the client's settings and acknowledges them (6.5.3).
func (c *Conn) onSettings(f *http2.SettingsFrame) error {
	if f.IsAck() {
		return nil
	}
	ack := wframe{kind: wSettingsAck}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.settingsSeen != nil {
		defer func() {
			close(c.settingsSeen)
			c.settingsSeen = nil
		}()
	}
	err := f.ForeachSetting(func(s http2.Setting) error {
		if err := s.Valid(); err != nil {
			return err
		}
		switch s.ID {
		case http2.SettingInitialWindowSize:
			// 6.9.2: the change applies to every stream's window, which
			// may become negative.
			delta := int64(s.Val) - c.peerInitialWindow
			c.peerInitialWindow = int64(s.Val)
			for _, st := range c.streams {
				st.sendWindow += delta
				if st.sendWindow > maxWindow {
					return http2.ConnectionError(http2.ErrCodeFlowControl)
				}
			}
		case http2.SettingMaxFrameSize:
			c.peerMaxFrame = s.Val
		case http2.SettingMaxConcurrentStreams:
			c.peerMaxStreams = s.Val
		case http2.SettingHeaderTableSize:
			ack.end, ack.n = true, s.Val
		}
		return nil
	})
	if err != nil {
		var ce http2.ConnectionError
		if errors.As(err, &ce) {
			return connErr(http2.ErrCode(ce), err)
		}
		return connErr(http2.ErrCodeProtocol, err)
	}
	c.signalFlowLocked()
	c.enqueueLocked(ack)
	return nil
}
