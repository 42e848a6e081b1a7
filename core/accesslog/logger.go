package accesslog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seed405ffdea/mosn/pkg/log"
)

// Buffering. Log appends to the current buffer; once it holds flushSize
// bytes it is handed to the flusher goroutine and Log goes on in the spare
// buffer, so Log never waits for a write. The headroom between flushSize
// and bufSize keeps ordinary lines from growing a buffer. If the flusher is
// still busy with the other buffer when the current one reaches flushSize,
// the current one grows once to maxBuffered and takes lines until only
// headroom is left; after that lines are dropped. So a Logger holds two
// buffers of bufSize, or of maxBuffered after the output once fell behind.
const (
	bufSize       = 64 << 10
	flushSize     = 48 << 10
	headroom      = bufSize - flushSize
	maxBuffered   = 4 << 20
	flushInterval = time.Second
)

// Logger writes one line per Entry to an access log. It is safe for
// concurrent use. Lines reach the output when a buffer fills (48 KiB),
// every second, and on Close.
type Logger struct {
	format *Format
	json   *JSONFormat // set instead of format for a json_format log
	path   string
	w      io.Writer
	closer io.Closer // nil for stdout and stderr, which are not ours to close
	off    atomic.Bool

	mu     sync.Mutex
	cur    []byte // being filled by Log
	spare  []byte // the other buffer while idle; nil while the flusher has it
	full   []byte // handed over by Log, waiting for the flusher
	closed bool

	dropped atomic.Uint64
	kick    chan struct{} // a full buffer is waiting (capacity 1)
	stop    chan struct{}
	done    chan struct{} // closed when the flusher has returned

	closeOnce sync.Once
	finalErr  error // from the flusher's last flush, read after done
	closeErr  error
}

// New opens an access log. path is "stdout" or "stderr" (also
// "/dev/stdout", "/dev/stderr"), or a file opened with log.OpenWriter and
// rotated as roller says (a zero Roller rotates by size at
// log.DefaultMaxSize megabytes; the server passes the parsed
// global_log_roller). format is a log_format for Compile; "" means
// DefaultFormat. New starts the flusher goroutine that Close stops.
func New(path string, format string, roller log.Roller) (*Logger, error) {
	f, err := Compile(format)
	if err != nil {
		return nil, err
	}
	w, c, err := open(path, roller)
	if err != nil {
		return nil, err
	}
	l := newLogger(f, w, c)
	l.path = path
	return l, nil
}

// NewJSON is New for a json_format (Envoy's format dictionary, see
// CompileJSON): each line is one JSON object.
func NewJSON(path string, fields map[string]string, roller log.Roller) (*Logger, error) {
	j, err := CompileJSON(fields)
	if err != nil {
		return nil, err
	}
	w, c, err := open(path, roller)
	if err != nil {
		return nil, err
	}
	l := newLogger(nil, w, c)
	l.json, l.path = j, path
	return l, nil
}

func open(path string, roller log.Roller) (io.Writer, io.Closer, error) {
	switch path {
	case "":
		return nil, nil, errors.New("accesslog: empty log_path")
	case "stdout", "/dev/stdout":
		return os.Stdout, nil, nil
	case "stderr", "/dev/stderr":
		return os.Stderr, nil, nil
	}
	w, err := log.OpenWriter(path, roller)
	if err != nil {
		return nil, nil, fmt.Errorf("accesslog: log_path %q: %w", path, err)
	}
	return w, w, nil
}

func newLogger(f *Format, w io.Writer, c io.Closer) *Logger {
	l := &Logger{
		format: f,
		w:      w,
		closer: c,
		cur:    make([]byte, 0, bufSize),
		spare:  make([]byte, 0, bufSize),
		kick:   make(chan struct{}, 1),
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	t := time.NewTicker(flushInterval)
	go l.run(t)
	return l
}

// Format returns the compiled log_format; nil for a json_format log.
func (l *Logger) Format() *Format { return l.format }

// JSONFormat returns the compiled json_format; nil for a text log.
func (l *Logger) JSONFormat() *JSONFormat { return l.json }

// Path returns the log_path the Logger writes to.
func (l *Logger) Path() string { return l.path }

// SetEnabled switches the log off (lines are discarded, not counted as
// dropped) or back on: MOSN's admin disable_log and enable_log.
func (l *Logger) SetEnabled(on bool) { l.off.Store(!on) }

// Enabled reports whether the log is on.
func (l *Logger) Enabled() bool { return !l.off.Load() }

// Reopen closes the log file and opens it again at its path, so that a
// file moved away by an external rotator is replaced by a new one (the
// server calls it on SIGUSR1). Lines buffered meanwhile go to the new
// file. It does nothing for stdout and stderr.
func (l *Logger) Reopen() error { return log.Reopen(l.w) }

// Log appends e as one line ending in "\n". It does no I/O and allocates
// nothing in steady state. A line that cannot be buffered (the output has
// fallen about 4 MiB behind) or that comes after Close is dropped and
// counted by Dropped.
func (l *Logger) Log(e *Entry) {
	if l.off.Load() {
		return
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		l.dropped.Add(1)
		return
	}
	mark := len(l.cur)
	if l.spare == nil && mark >= flushSize && cap(l.cur) < maxBuffered {
		// The flusher is still writing the other buffer: make room for
		// what arrives meanwhile, in one allocation.
		l.cur = slices.Grow(l.cur, maxBuffered-mark)
	}
	if l.json != nil {
		l.cur = l.json.Append(l.cur, e)
	} else {
		l.cur = l.format.Append(l.cur, e)
	}
	l.cur = append(l.cur, '\n')
	if len(l.cur) >= flushSize {
		switch {
		case l.spare != nil:
			l.full, l.cur, l.spare = l.cur, l.spare[:0], nil
			select {
			case l.kick <- struct{}{}:
			default:
			}
		case len(l.cur) > maxBuffered-headroom:
			l.cur = l.cur[:mark]
			l.dropped.Add(1)
		}
	}
	l.mu.Unlock()
}

// Dropped returns how many lines were lost: not written because a write
// failed, not buffered because the output fell too far behind, or logged
// after Close.
func (l *Logger) Dropped() uint64 { return l.dropped.Load() }

// Close writes what is buffered, stops the flusher and closes the file
// (never stdout or stderr). It returns the error of that last write or of
// closing the file. Lines logged afterwards are dropped. Close may be called
// more than once; later calls return the first call's result.
func (l *Logger) Close() error {
	l.closeOnce.Do(func() {
		l.mu.Lock()
		l.closed = true
		l.mu.Unlock()
		close(l.stop)
		<-l.done
		err := l.finalErr
		if l.closer != nil {
			err = errors.Join(err, l.closer.Close())
		}
		l.closeErr = err
	})
	return l.closeErr
}

// run is the flusher: it writes buffers that Log hands over at once, and
// whatever is buffered every flushInterval and on Close.
func (l *Logger) run(t *time.Ticker) {
	defer close(l.done)
	defer t.Stop()
	for {
		select {
		case <-l.kick:
			l.flush(false)
		case <-t.C:
			l.flush(true)
		case <-l.stop:
			l.finalErr = l.flush(true)
			return
		}
	}
}

// flush writes the buffer Log handed over, if any, then the current buffer
// if it is full, or, with all, if it holds anything. Only the flusher calls
// it, so one buffer at most is being written at a time. It returns the last
// write error.
func (l *Logger) flush(all bool) error {
	var err error
	l.mu.Lock()
	for {
		buf := l.full
		l.full = nil
		if buf == nil && l.spare != nil && len(l.cur) > 0 && (all || len(l.cur) >= flushSize) {
			buf, l.cur, l.spare = l.cur, l.spare[:0], nil
			all = false // under steady load, leave the rest to Log's hand-over
		}
		if buf == nil {
			break
		}
		l.mu.Unlock()
		if werr := l.write(buf); werr != nil {
			err = werr
		}
		l.mu.Lock()
		l.spare = buf[:0]
	}
	l.mu.Unlock()
	return err
}

// write writes buf, counting the lines a failed or short write lost.
func (l *Logger) write(buf []byte) error {
	n, err := l.w.Write(buf)
	if err == nil && n < len(buf) {
		err = io.ErrShortWrite
	}
	if err != nil {
		n = min(max(n, 0), len(buf))
		l.dropped.Add(uint64(bytes.Count(buf[n:], []byte{'\n'})))
	}
	return err
}
