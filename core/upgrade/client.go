package upgrade

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// ErrNoProcess is returned by Dial when no process serves the upgrade
// socket (no file, or a stale one).
var ErrNoProcess = errors.New("upgrade: no running process to upgrade from")

// Client is the new process's end of a session.
type Client struct {
	ch      *Channel
	timeout time.Duration
	log     *slog.Logger
	done    chan struct{}
	once    sync.Once
}

// Handoff is what the old process handed over.
type Handoff struct {
	// PID is the old process's.
	PID int
	// Config is its running configuration as JSON.
	Config json.RawMessage
	// Listeners are its listening sockets by Key(name, network, address).
	Listeners map[string]net.Listener
}

// Key names a handed-over socket for the new process's lookup: a socket
// is reused only for the same name, network and address.
func Key(name, network, address string) string {
	return name + " " + network + " " + address
}

// Close closes every listener of h (those the new process did not take).
func (h *Handoff) Close() {
	for k, ln := range h.Listeners {
		ln.Close()
		delete(h.Listeners, k)
	}
}

// Dial connects to the process serving dir's upgrade socket; timeout
// bounds every step of the session before takeover.
func Dial(dir string, timeout time.Duration, log *slog.Logger) (*Client, error) {
	if timeout <= 0 {
		timeout = DefaultHelloTimeout
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	path := filepath.Join(dir, SocketName)
	c, err := net.DialTimeout("unix", path, timeout)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrNoProcess, path, err)
	}
	return &Client{ch: NewChannel(c.(*net.UnixConn)), timeout: timeout, log: log, done: make(chan struct{})}, nil
}

// Hello asks for the sockets and the config. On error the session is
// over and the old process serves on.
func (c *Client) Hello() (*Handoff, error) {
	if err := c.ch.Send(&Message{Op: OpHello, PID: os.Getpid()}, -1, c.timeout); err != nil {
		c.ch.Close()
		return nil, err
	}
	h := &Handoff{Listeners: map[string]net.Listener{}}
	fail := func(err error) (*Handoff, error) {
		h.Close()
		c.ch.Close()
		return nil, err
	}
	m, f, err := c.ch.Recv(c.timeout)
	if f != nil {
		f.Close()
	}
	if err != nil {
		return fail(err)
	}
	if m.Op != OpSockets {
		return fail(fmt.Errorf("upgrade: expected sockets, got %s", m.Op))
	}
	h.PID, h.Config = m.PID, m.Config
	for range m.Sockets {
		m, f, err := c.ch.Recv(c.timeout)
		if err != nil {
			return fail(err)
		}
		if m.Op != OpSocket || f == nil {
			if f != nil {
				f.Close()
			}
			return fail(fmt.Errorf("upgrade: expected a socket, got %s", m.Op))
		}
		ln, err := net.FileListener(f)
		f.Close()
		if err != nil {
			return fail(fmt.Errorf("upgrade: socket %q: %w", m.Socket.Name, err))
		}
		h.Listeners[Key(m.Socket.Name, m.Socket.Network, m.Socket.Address)] = ln
	}
	return h, nil
}

// Abort tells the old process that this one gives up, and ends the
// session: the old process serves on.
func (c *Client) Abort(reason error) {
	msg := ""
	if reason != nil {
		msg = reason.Error()
	}
	c.ch.Send(&Message{Op: OpAbort, Error: msg}, -1, c.timeout)
	c.ch.Close()
	c.once.Do(func() { close(c.done) })
}

// Takeover tells the old process that this one serves. When the old
// process acknowledged (it released the upgrade socket's path), Takeover
// returns and a goroutine receives the old process's connections, handing
// each to adopt, until the old process is done (Done).
func (c *Client) Takeover(adopt func(listener string, conn net.Conn, unread []byte)) error {
	if err := c.ch.Send(&Message{Op: OpTakeover, PID: os.Getpid()}, -1, c.timeout); err != nil {
		c.finish()
		return err
	}
	m, f, err := c.ch.Recv(c.timeout)
	if f != nil {
		f.Close()
	}
	if err == nil && m.Op != OpOK {
		err = fmt.Errorf("upgrade: expected ok, got %s", m.Op)
	}
	if err != nil {
		c.finish()
		return err
	}
	go c.receive(adopt)
	return nil
}

// receive adopts connections until done or the channel ends. The old
// process bounds the session by its graceful_timeout, so no deadline here.
func (c *Client) receive(adopt func(listener string, conn net.Conn, unread []byte)) {
	defer c.finish()
	for {
		m, f, err := c.ch.Recv(0)
		if err != nil {
			return
		}
		switch m.Op {
		case OpDone:
			return
		case OpConn:
			if f == nil {
				continue
			}
			conn, err := net.FileConn(f)
			f.Close()
			if err != nil {
				c.log.Warn("upgrade: adopting a connection failed", "listener", m.Listener, "err", err)
				continue
			}
			adopt(m.Listener, conn, m.Data)
		default:
			if f != nil {
				f.Close()
			}
		}
	}
}

func (c *Client) finish() {
	c.ch.Close()
	c.once.Do(func() { close(c.done) })
}

// Done is closed when the session is over: the old process moved or
// finished every connection, went away, or the session was aborted.
func (c *Client) Done() <-chan struct{} { return c.done }

// Close ends the session (it unblocks the receiving goroutine).
func (c *Client) Close() {
	c.finish()
}
