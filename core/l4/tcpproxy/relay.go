package tcpproxy

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/seed405ffdea/mosn/api"
	"github.com/seed405ffdea/mosn/core/network"
	"github.com/seed405ffdea/mosn/pkg/buffer"
)

// copyBufSize is the buffer of a direction that cannot splice.
const copyBufSize = 32 << 10

// maxIdleCheck bounds how long a copy waits before it looks at the idle
// clock again; a connection idles out between IdleTimeout and
// IdleTimeout plus this (or a quarter of IdleTimeout, if less).
const maxIdleCheck = time.Minute

// pipe copies between a downstream connection and its upstream
// connection, both ways at once.
type pipe struct {
	conn  api.Connection // downstream
	upRaw net.Conn
	// idle is the idle timeout (zero: none); window is how long a read
	// waits before it looks at the idle clock.
	idle, window time.Duration
	// last is when a byte last moved either way (unix nanoseconds).
	last atomic.Int64
	// idled is set when the idle timeout closed the connection; stopped
	// when the pipe is being torn down.
	idled, stopped atomic.Bool
	stopOnce       sync.Once

	// down carries downstream to upstream, up upstream to downstream.
	down, up direction
	exited   chan struct{}
}

// direction is one way of a pipe.
//
// It holds nothing while its source is idle: it first waits for the
// source to become readable (srcRC, without a buffer or a splice pipe),
// then moves what is queued, by splice(2) into a TCP destination (exactly
// the bytes queued, so that the splice never waits on the source while
// holding its pipe) or through a pooled buffer. A source without a
// descriptor to wait on (TLS) reads straight into a held buffer.
type direction struct {
	src         io.Reader // raw socket, or the connection when filters read
	w           io.Writer
	srcRC       syscall.RawConn // nil: no waiting without a buffer
	spliceTo    *net.TCPConn    // non-nil: splice src (a raw socket) into it
	setDeadline func(time.Time) error
	closeWrite  func() error

	readyFn func(fd uintptr) bool
	queued  int // bytes queued at src, set by readyFn
	lr      io.LimitedReader
	bufp    *[]byte // held only by a source that cannot wait (srcRC nil)
	one     [1]byte

	// n counts bytes moved; err is the failure that ended the direction
	// (nil for EOF or when the pipe tore itself down).
	n    atomic.Int64
	err  error
	done chan struct{}
}

func newPipe(conn api.Connection, upRaw net.Conn, idle time.Duration) *pipe {
	p := &pipe{conn: conn, upRaw: upRaw, idle: idle, exited: make(chan struct{})}
	if idle > 0 {
		p.window = min(idle/4, maxIdleCheck)
		if p.window <= 0 {
			p.window = idle
		}
	}
	downRaw := conn.RawConn()
	nc, _ := conn.(*network.Conn)
	// The bytes may bypass the connection's filters only when none would
	// see them: no read filter before us, no write filter.
	readRaw := nc != nil && !nc.Inspected()
	writeRaw := nc != nil && !nc.WriteFiltered()

	var downSrc io.Reader = downRaw
	if !readRaw {
		downSrc = connReader{conn}
	}
	var upDst io.Writer = downRaw
	if !writeRaw {
		upDst = connWriter{conn}
	}
	p.down.plumb(downSrc, downRaw, upRaw, readRaw, conn.SetReadDeadline, func() error { return closeWrite(upRaw) })
	p.up.plumb(upRaw, upRaw, upDst, writeRaw, upRaw.SetReadDeadline, conn.CloseWrite)
	return p
}

// plumb sets a direction up to copy src (whose socket is srcRaw) to dst;
// raw says whether the bytes may go socket to socket, bypassing filters.
func (d *direction) plumb(src io.Reader, srcRaw net.Conn, dst io.Writer, raw bool, setDeadline func(time.Time) error, closeWrite func() error) {
	d.src, d.w, d.setDeadline, d.closeWrite, d.done = src, dst, setDeadline, closeWrite, make(chan struct{})
	if sc, ok := srcRaw.(syscall.Conn); ok && countsQueued && spliceable(srcRaw) {
		if rc, err := sc.SyscallConn(); err == nil {
			d.srcRC = rc
			d.readyFn = d.ready
		}
	}
	if tc, ok := dst.(*net.TCPConn); ok && raw && d.srcRC != nil {
		d.spliceTo = tc
	}
	if d.srcRC == nil {
		d.bufp = buffer.GetBytes(copyBufSize)
	}
}

// step moves the bytes that are queued at the source, waiting for some
// (up to the read deadline) when there are none. It returns io.EOF when
// the source has ended.
func (d *direction) step() (int64, error) {
	if d.srcRC == nil {
		n, err := d.src.Read(*d.bufp)
		return d.write((*d.bufp)[:n], err)
	}
	d.queued = 0
	if err := d.srcRC.Read(d.readyFn); err != nil {
		return 0, err
	}
	if d.queued == 0 {
		// Readable with nothing queued: the end of the stream or an
		// error, which a read reports (or a byte that just arrived).
		n, err := d.src.Read(d.one[:])
		return d.write(d.one[:n], err)
	}
	if d.spliceTo != nil {
		d.lr.R, d.lr.N = d.src, int64(d.queued)
		return d.spliceTo.ReadFrom(&d.lr)
	}
	bp := buffer.GetBytes(min(d.queued, copyBufSize))
	n, err := d.src.Read(*bp)
	w, err := d.write((*bp)[:n], err)
	buffer.PutBytes(bp)
	return w, err
}

// write writes what a read returned before its error.
func (d *direction) write(b []byte, rerr error) (int64, error) {
	if len(b) > 0 {
		if _, err := d.w.Write(b); err != nil {
			return 0, err
		}
	}
	return int64(len(b)), rerr
}

// run copies until both directions are done and returns the failure
// that ended one of them, if any. Downstream to upstream runs on the
// calling goroutine, the other way on a goroutine of its own; whichever
// finishes first watches the idle clock for the other.
func (p *pipe) run() error {
	p.touch()
	go func() {
		defer close(p.exited)
		p.pump(&p.up)
		close(p.up.done)
		p.watch(&p.down)
	}()
	p.pump(&p.down)
	close(p.down.done)
	p.watch(&p.up)
	<-p.exited
	for _, d := range []*direction{&p.down, &p.up} {
		if d.bufp != nil {
			buffer.PutBytes(d.bufp)
			d.bufp = nil
		}
	}
	if p.down.err != nil {
		return p.down.err
	}
	return p.up.err
}

// pump copies one direction until its source ends (then the write side
// of its destination is half-closed), fails, or the pipe idles out.
func (p *pipe) pump(d *direction) {
	if p.idle > 0 {
		d.setDeadline(time.Now().Add(p.window))
	}
	for {
		n, err := d.step()
		if n > 0 {
			d.n.Add(n)
			p.touch()
		}
		switch {
		case err == nil:
			continue
		case err == io.EOF: // pass the half-close on
			if d.closeWrite() != nil {
				p.abort(false)
			}
			return
		case p.stopped.Load():
			return
		case errors.Is(err, os.ErrDeadlineExceeded):
			if p.idle > 0 && p.idleFor() < p.idle {
				d.setDeadline(time.Now().Add(p.window))
				continue
			}
			p.idled.Store(true)
			p.abort(false)
			return
		}
		d.err = err
		p.abort(true)
		return
	}
}

// watch waits for the other direction to end, closing the pipe if
// nothing moves for the idle timeout meanwhile: the other direction may
// be stuck writing to a peer that does not read.
func (p *pipe) watch(other *direction) {
	if p.idle <= 0 {
		<-other.done
		return
	}
	t := time.NewTimer(p.window)
	defer t.Stop()
	for {
		select {
		case <-other.done:
			return
		case <-t.C:
			if p.idleFor() >= p.idle {
				p.idled.Store(true)
				p.abort(false)
				<-other.done
				return
			}
			t.Reset(p.window)
		}
	}
}

func (p *pipe) touch() { p.last.Store(time.Now().UnixNano()) }

func (p *pipe) idleFor() time.Duration { return time.Duration(time.Now().UnixNano() - p.last.Load()) }

// abort closes both sides, which ends both directions; reset sends TCP
// resets (a side failed) instead of FINs.
func (p *pipe) abort(reset bool) {
	p.stopOnce.Do(func() {
		p.stopped.Store(true)
		how := api.FlushWrite
		if reset {
			how = api.NoFlush
			if tc, ok := p.upRaw.(*net.TCPConn); ok {
				tc.SetLinger(0)
			}
		}
		p.upRaw.Close()
		p.conn.Close(how)
	})
}

// spliceable reports whether the kernel can move c's bytes (splice on
// Linux): Go does it for TCP and stream unix sockets.
func spliceable(c net.Conn) bool {
	switch c.(type) {
	case *net.TCPConn, *net.UnixConn:
		return true
	}
	return false
}

func closeWrite(c net.Conn) error {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.New("tcp_proxy: connection cannot half-close")
}

// connReader reads through the connection, so its read filters see the
// bytes.
type connReader struct{ c api.Connection }

func (r connReader) Read(p []byte) (int, error) { return r.c.Read(p) }

// connWriter writes through the connection's write filters.
type connWriter struct{ c api.Connection }

func (w connWriter) Write(p []byte) (int, error) {
	if err := w.c.Write(p); err != nil {
		return 0, err
	}
	return len(p), nil
}
