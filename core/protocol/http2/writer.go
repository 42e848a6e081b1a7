package http2

import (
	"bytes"
	"runtime"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/seed405ffdea/mosn/pkg/buffer"
)

// Kinds of queued frames.
const (
	wHeaders = iota
	wData
	wRST
	wSettings
	wSettingsAck
	wPing
	wWindowUpdate
	wGoAway
	wPingReq
	wTableSize // no frame: limits the encoder's table (HTTP2-Settings)
)

// wframe is one frame waiting for the writer goroutine. Frames leave in
// the order they were queued, so a stream's HEADERS, DATA and trailers stay
// in order and a RST_STREAM never overtakes them.
type wframe struct {
	kind   uint8
	end    bool
	stream uint32
	code   http2.ErrCode
	n      uint32              // window increment, GOAWAY last stream id, header table size
	fields []hpack.HeaderField // HEADERS
	data   []byte              // DATA, a slice of buf
	buf    *[]byte             // pooled storage of data
	ping   [8]byte
	set    []http2.Setting
}

// maxQueuedData bounds the DATA bytes queued per connection and not yet
// written: a stream that writes more waits for the writer.
const maxQueuedData = 256 << 10

// enqueue adds a frame for the writer. Control frames count against
// MaxOutboundControlFrames: a peer that makes us queue too many of them
// while not reading what we send is cut off (the connection closes).
// It reports false when the connection is closed.
func (c *Conn) enqueue(f wframe) bool {
	c.mu.Lock()
	ok := c.enqueueLocked(f)
	c.mu.Unlock()
	return ok
}

func putData(f *wframe) {
	if f.buf != nil {
		*f.buf = (*f.buf)[:0]
		buffer.PutBytes(f.buf)
		f.buf, f.data = nil, nil
	}
}

// writeLoop is the connection's writer goroutine: it takes every queued
// frame at once, writes them into one buffer and flushes it with one
// write where it fits.
func (c *Conn) writeLoop() {
	defer close(c.writerDone)
	var batch []wframe
	var hbuf bytes.Buffer
	henc := hpack.NewEncoder(&hbuf)
	for {
		select {
		case <-c.wake:
		case <-c.done:
			c.mu.Lock()
			batch = append(batch[:0], c.wq...)
			c.wq = c.wq[:0]
			c.mu.Unlock()
			for i := range batch {
				putData(&batch[i])
			}
			return
		}
		// Let the streams that are ready to run queue their frames too,
		// so that one write carries many responses.
		runtime.Gosched()
		c.mu.Lock()
		batch, c.wq = c.wq, batch[:0]
		c.ctrlQueued = 0
		maxFrame := c.peerMaxFrame
		c.mu.Unlock()
		if len(batch) == 0 {
			continue
		}
		c.raw.SetWriteDeadline(time.Now().Add(c.cfg.WriteTimeout))
		var err error
		var dataBytes int
		sentGoAway := false
		for i := range batch {
			f := &batch[i]
			sentGoAway = sentGoAway || f.kind == wGoAway
			if err == nil {
				err = c.writeFrame(f, henc, &hbuf, maxFrame)
			}
			if f.kind == wData {
				dataBytes += len(f.data)
			}
			putData(f)
			f.fields, f.set = nil, nil
		}
		if err == nil {
			err = c.bw.Flush()
		}
		c.mu.Lock()
		c.queuedData -= dataBytes
		c.signalFlowLocked()
		c.mu.Unlock()
		if err != nil {
			c.fail(err)
			// Keep draining wake until done so that enqueue never blocks.
		}
		if sentGoAway && c.closeAfterWrite.Load() && err == nil {
			close(c.goAwayFlushed)
			c.closeAfterWrite.Store(false)
		}
	}
}

// writeFrame writes f through the framer into the connection's buffer.
func (c *Conn) writeFrame(f *wframe, henc *hpack.Encoder, hbuf *bytes.Buffer, maxFrame uint32) error {
	fr := c.fr
	switch f.kind {
	case wHeaders:
		hbuf.Reset()
		for _, hf := range f.fields {
			henc.WriteField(hf)
		}
		block := hbuf.Bytes()
		first := block
		if uint32(len(first)) > maxFrame {
			first = first[:maxFrame]
		}
		block = block[len(first):]
		err := fr.WriteHeaders(http2.HeadersFrameParam{
			StreamID: f.stream, BlockFragment: first,
			EndStream: f.end, EndHeaders: len(block) == 0,
		})
		for err == nil && len(block) > 0 {
			frag := block
			if uint32(len(frag)) > maxFrame {
				frag = frag[:maxFrame]
			}
			block = block[len(frag):]
			err = fr.WriteContinuation(f.stream, len(block) == 0, frag)
		}
		return err
	case wData:
		return fr.WriteData(f.stream, f.end, f.data)
	case wRST:
		return fr.WriteRSTStream(f.stream, f.code)
	case wSettings:
		return fr.WriteSettings(f.set...)
	case wSettingsAck:
		if f.end {
			// The peer's SETTINGS_HEADER_TABLE_SIZE bounds our encoder's
			// table; the change takes effect with the acknowledgement.
			henc.SetMaxDynamicTableSizeLimit(f.n)
		}
		return fr.WriteSettingsAck()
	case wPing:
		return fr.WritePing(true, f.ping)
	case wTableSize:
		henc.SetMaxDynamicTableSizeLimit(f.n)
		return nil
	case wPingReq:
		return fr.WritePing(false, f.ping)
	case wWindowUpdate:
		return fr.WriteWindowUpdate(f.stream, f.n)
	case wGoAway:
		return fr.WriteGoAway(f.n, f.code, nil)
	}
	return nil
}
