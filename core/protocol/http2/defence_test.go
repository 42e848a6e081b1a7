package http2

import (
	"bytes"
	"errors"
	"io"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// rawClient is a hand-driven HTTP/2 client for attack tests.
type rawClient struct {
	t    *testing.T
	conn net.Conn
	fr   *http2.Framer
	enc  *hpack.Encoder
	hbuf bytes.Buffer
}

func dialRaw(t *testing.T, addr string, rcvbuf int) *rawClient {
	t.Helper()
	d := net.Dialer{Timeout: 2 * time.Second}
	if rcvbuf > 0 {
		d.Control = func(_, _ string, c syscall.RawConn) error {
			return c.Control(func(fd uintptr) {
				syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcvbuf)
			})
		}
	}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	c := &rawClient{t: t, conn: conn}
	c.fr = http2.NewFramer(conn, conn)
	c.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	c.enc = hpack.NewEncoder(&c.hbuf)
	if _, err := io.WriteString(conn, http2.ClientPreface); err != nil {
		t.Fatal(err)
	}
	if err := c.fr.WriteSettings(); err != nil {
		t.Fatal(err)
	}
	return c
}

// block encodes a request head plus extra fields.
func (c *rawClient) block(extra ...hpack.HeaderField) []byte {
	c.hbuf.Reset()
	for _, f := range append([]hpack.HeaderField{
		{Name: ":method", Value: "GET"}, {Name: ":scheme", Value: "http"},
		{Name: ":path", Value: "/"}, {Name: ":authority", Value: "a"},
	}, extra...) {
		c.enc.WriteField(f)
	}
	return bytes.Clone(c.hbuf.Bytes())
}

func (c *rawClient) request(id uint32, end bool) {
	c.t.Helper()
	if err := c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: c.block(), EndStream: end, EndHeaders: true}); err != nil {
		c.t.Fatal(err)
	}
}

// until reads frames until f returns true; it fails on EOF or timeout.
func (c *rawClient) until(what string, f func(http2.Frame) bool) {
	c.t.Helper()
	for {
		fr, err := c.fr.ReadFrame()
		if err != nil {
			c.t.Fatalf("waiting for %s: %v", what, err)
		}
		if f(fr) {
			return
		}
	}
}

// goAway waits for a GOAWAY with code and then the connection's close.
func (c *rawClient) goAway(code http2.ErrCode) {
	c.t.Helper()
	c.until("GOAWAY", func(f http2.Frame) bool {
		g, ok := f.(*http2.GoAwayFrame)
		if ok && g.ErrCode != code {
			c.t.Fatalf("GOAWAY %v, want %v", g.ErrCode, code)
		}
		return ok
	})
	c.closed()
}

// closed waits for the server to close the connection.
func (c *rawClient) closed() {
	c.t.Helper()
	for {
		if _, err := c.fr.ReadFrame(); err != nil {
			if isTimeoutErr(err) {
				c.t.Fatal("connection still open")
			}
			return
		}
	}
}

// alive checks the connection still answers a PING.
func (c *rawClient) alive() {
	c.t.Helper()
	c.fr.WritePing(false, [8]byte{'a', 'l', 'i', 'v', 'e'})
	c.until("PING ack", func(f http2.Frame) bool {
		p, ok := f.(*http2.PingFrame)
		return ok && p.IsAck() && p.Data[0] == 'a'
	})
}

func isTimeoutErr(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// boundedHeap runs an attack while sampling the heap in use, and checks
// it grew by less than limitMB over its level before (after a GC); the
// peak growth is logged (docs/http2.md quotes it). Unbounded buffering
// would show as growth with the attack's size.
func boundedHeap(t *testing.T, limitMB int, attack func()) {
	t.Helper()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	attack()
	close(stop)
	<-done
	growth := int64(peak.Load()) - int64(base)
	t.Logf("heap in use grew by at most %d KiB", growth>>10)
	if growth > int64(limitMB)<<20 {
		t.Fatalf("heap in use grew by %d KiB during the attack, limit %d MiB", growth>>10, limitMB)
	}
}

// waitHandler blocks until its stream ends.
type waitHandler struct{}

func (waitHandler) ServeStream(st *Stream) { <-st.Context().Done() }

func TestRapidReset(t *testing.T) {
	addr := serve(t, Config{}, waitHandler{})
	c := dialRaw(t, addr, 0)
	boundedHeap(t, 64, func() {
		for id := uint32(1); id < 2*600; id += 2 {
			c.request(id, false)
			if err := c.fr.WriteRSTStream(id, http2.ErrCodeCancel); err != nil {
				break // the server may already have closed
			}
		}
		c.goAway(http2.ErrCodeEnhanceYourCalm)
	})
}

// TestManyStreamsNotRapidReset: streams that finish normally do not count.
func TestManyStreamsNotRapidReset(t *testing.T) {
	addr := serve(t, Config{}, handlerFunc(func(st *Stream) {
		st.WriteHeaders([]hpack.HeaderField{{Name: ":status", Value: "204"}}, true)
	}))
	c := dialRaw(t, addr, 0)
	wrote := make(chan struct{})
	go func() {
		defer close(wrote)
		for id := uint32(1); id < 2*600; id += 2 {
			if c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: c.block(), EndStream: true, EndHeaders: true}) != nil {
				return
			}
		}
	}()
	done := 0
	c.until("600 responses", func(f http2.Frame) bool {
		if h, ok := f.(*http2.MetaHeadersFrame); ok && h.StreamEnded() {
			done++
		}
		return done == 600
	})
	<-wrote // the framer is the test goroutine's again
	c.alive()
}

func TestContinuationFlood(t *testing.T) {
	addr := serve(t, Config{}, bodyHandler{})
	c := dialRaw(t, addr, 0)
	boundedHeap(t, 64, func() {
		c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: c.block(), EndHeaders: false})
		var err error
		for i := 0; i < 200000 && err == nil; i++ {
			err = c.fr.WriteContinuation(1, false, nil)
		}
		c.goAway(http2.ErrCodeEnhanceYourCalm)
	})
}

// TestHPACKBomb: a small header block that decodes to a header list far
// over the limit (one big field referenced again and again) gets 431, and
// the connection stays up.
func TestHPACKBomb(t *testing.T) {
	addr := serve(t, Config{}, bodyHandler{})
	c := dialRaw(t, addr, 0)
	big := hpack.HeaderField{Name: "x-big", Value: strings.Repeat("b", 3000)}
	fields := []hpack.HeaderField{big}
	block := c.block(fields...)
	// Each repeat of the field is now one byte: its dynamic table index.
	c.hbuf.Reset()
	c.enc.WriteField(big)
	one := bytes.Clone(c.hbuf.Bytes()) // indexed: one byte
	if len(one) != 1 {
		t.Fatalf("indexed field takes %d bytes", len(one))
	}
	for i := 0; i < 1000; i++ {
		block = append(block, one...)
	}
	if len(block) > 16384 {
		t.Fatalf("block %d bytes", len(block))
	}
	c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: block, EndStream: true, EndHeaders: true})
	c.until("431", func(f http2.Frame) bool {
		h, ok := f.(*http2.MetaHeadersFrame)
		if ok && h.PseudoValue("status") != "431" {
			t.Fatalf("status %s, want 431", h.PseudoValue("status"))
		}
		return ok
	})
	c.alive()
}

// TestControlFloodNoRead: a client that floods PINGs or SETTINGS and
// never reads the acknowledgements is cut off once the queued control
// frames pass the limit.
func TestControlFloodNoRead(t *testing.T) {
	for _, tc := range []struct {
		name  string
		flood func(fr *http2.Framer) error
	}{
		{"PING", func(fr *http2.Framer) error { return fr.WritePing(false, [8]byte{}) }},
		{"SETTINGS", func(fr *http2.Framer) error { return fr.WriteSettings() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := serve(t, Config{}, bodyHandler{})
			c := dialRaw(t, addr, 4096)
			start := time.Now()
			boundedHeap(t, 64, func() {
				var err error
				for i := 0; i < 2000000 && err == nil; i++ {
					err = tc.flood(c.fr)
				}
				if err == nil {
					// Everything was written: the server must still close.
					c.closed()
				}
			})
			t.Logf("cut off after %v", time.Since(start))
		})
	}
}

func TestEmptyFrames(t *testing.T) {
	addr := serve(t, Config{}, waitHandler{})
	c := dialRaw(t, addr, 0)
	c.request(1, false)
	for i := 0; i < 3; i++ {
		c.fr.WriteData(1, false, nil)
	}
	c.goAway(http2.ErrCodeEnhanceYourCalm)
}

// TestZeroWindowStall: a client that never opens its window has the stream
// reset after the stream idle timeout, and the connection stays up.
func TestZeroWindowStall(t *testing.T) {
	addr := serve(t, Config{StreamIdleTimeout: 200 * time.Millisecond}, bigHandler{})
	c := dialRaw(t, addr, 0)
	c.fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 0})
	c.request(1, true)
	c.until("RST_STREAM", func(f http2.Frame) bool {
		r, ok := f.(*http2.RSTStreamFrame)
		return ok && r.StreamID == 1
	})
	c.alive()
}

// bigHandler answers with a body and a trailer after it.
type bigHandler struct{}

func (bigHandler) ServeStream(st *Stream) {
	if st.WriteHeaders([]hpack.HeaderField{{Name: ":status", Value: "200"}}, false) != nil {
		return
	}
	if st.WriteData(make([]byte, 100), false) != nil {
		return
	}
	st.WriteHeaders([]hpack.HeaderField{{Name: "x-t", Value: "1"}}, true)
}

// TestFlowControlBounded: a handler that does not read holds at most the
// stream window of request body; the client is blocked by flow control,
// and gets going again once the handler reads.
func TestFlowControlBounded(t *testing.T) {
	const window = 65535
	got := make(chan *Stream, 1)
	release := make(chan struct{})
	addr := serve(t, Config{InitialStreamWindowSize: window}, handlerFunc(func(st *Stream) {
		got <- st
		<-release
		n, _ := io.Copy(io.Discard, streamReader{st})
		st.WriteHeaders([]hpack.HeaderField{{Name: ":status", Value: "200"}, {Name: "x-n", Value: strconv.Itoa(int(n))}}, true)
	}))
	c := h2cClient()
	defer c.CloseIdleConnections()
	body := make([]byte, 1<<20)
	resp := make(chan string, 1)
	go func() {
		r, err := c.Post("http://"+addr+"/", "x", bytes.NewReader(body))
		if err != nil {
			resp <- err.Error()
			return
		}
		r.Body.Close()
		resp <- r.Header.Get("X-N")
	}()
	st := <-got
	// Let the client fill the window, then look at the stream's buffer.
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		st.c.mu.Lock()
		n := len(st.rbuf) - st.roff
		st.c.mu.Unlock()
		if n >= window {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // anything beyond the window would arrive now
	st.c.mu.Lock()
	buffered := len(st.rbuf) - st.roff
	st.c.mu.Unlock()
	if buffered != window {
		t.Fatalf("buffered %d bytes, want the window (%d)", buffered, window)
	}
	close(release)
	if n := <-resp; n != strconv.Itoa(len(body)) {
		t.Fatalf("handler read %s bytes, want %d", n, len(body))
	}
}

type handlerFunc func(*Stream)

func (f handlerFunc) ServeStream(st *Stream) { f(st) }

type streamReader struct{ st *Stream }

func (r streamReader) Read(p []byte) (int, error) { return r.st.Read(p) }
