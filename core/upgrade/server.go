package upgrade

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// Timeouts of a session; every wait of the channel is bounded.
const (
	// DefaultHelloTimeout bounds each step before the new process serves.
	DefaultHelloTimeout = 5 * time.Second
	// DefaultTakeoverTimeout is how long the old process waits, after
	// handing its sockets over, for the new one to start serving.
	DefaultTakeoverTimeout = time.Minute
	// sendTimeout bounds one message write.
	sendTimeout = 5 * time.Second
)

// Listening is a listening socket to hand over.
type Listening struct {
	Socket
	Conn syscall.Conn
}

// SendConn hands one connection to the new process: c's descriptor,
// the name of the listener that accepted it and the bytes read from it
// but not processed. c stays open; the caller closes its copy.
type SendConn func(listener string, c syscall.Conn, unread []byte) error

// Source is the old process's server as the upgrade channel sees it
// (core/server implements it).
type Source interface {
	// UpgradeSockets lists the listening sockets to hand over.
	UpgradeSockets() []Listening
	// UpgradeConfig is the running configuration as JSON.
	UpgradeConfig() ([]byte, error)
	// UpgradeBegin is called when a new process asked for the sockets,
	// UpgradeAbort when it went away without taking over.
	UpgradeBegin()
	UpgradeAbort(reason error)
	// Takeover is called once the new process serves: stop accepting,
	// move or finish every connection (sending them with send), and
	// return when none is left or the source's own deadline passed.
	Takeover(send SendConn)
}

// ServerOptions configure Serve.
type ServerOptions struct {
	// Dir is uds_dir; the socket is Dir/SocketName.
	Dir    string
	Source Source
	// Logger receives session events; nil discards them.
	Logger *slog.Logger
	// HelloTimeout and TakeoverTimeout: zero takes the defaults.
	HelloTimeout    time.Duration
	TakeoverTimeout time.Duration
}

// Server serves the upgrade socket of a running process.
type Server struct {
	o    ServerOptions
	ln   *net.UnixListener
	path string

	mu     sync.Mutex
	closed bool
	ch     *Channel // the session in progress
	done   chan struct{}
	wg     sync.WaitGroup
}

// ErrRunning is returned by Serve when another process answers on the
// socket: it is the one to upgrade from, not to replace.
var ErrRunning = errors.New("upgrade: another process serves the upgrade socket")

// Serve binds Dir/SocketName and answers upgrade sessions until Close or
// a completed takeover (Done). A socket file left by a process that died
// (nobody answers) is removed first.
func Serve(o ServerOptions) (*Server, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.HelloTimeout <= 0 {
		o.HelloTimeout = DefaultHelloTimeout
	}
	if o.TakeoverTimeout <= 0 {
		o.TakeoverTimeout = DefaultTakeoverTimeout
	}
	path := filepath.Join(o.Dir, SocketName)
	if err := removeStale(path); err != nil {
		return nil, err
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("upgrade: %w", err)
	}
	os.Chmod(path, 0o600)
	s := &Server{o: o, ln: ln, path: path, done: make(chan struct{})}
	s.wg.Add(1)
	go s.loop()
	return s, nil
}

// removeStale removes path if it is a socket nobody answers on.
func removeStale(path string) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil
	}
	if fi.Mode()&os.ModeSocket == 0 {
		return fmt.Errorf("upgrade: %s exists and is not a socket", path)
	}
	c, err := net.DialTimeout("unix", path, time.Second)
	if err == nil {
		c.Close()
		return fmt.Errorf("%w (%s)", ErrRunning, path)
	}
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("upgrade: stale socket: %w", err)
	}
	return nil
}

// Path is the socket's path.
func (s *Server) Path() string { return s.path }

// Done is closed when a new process took over and every connection was
// moved or finished: the old process should exit.
func (s *Server) Done() <-chan struct{} { return s.done }

// Close stops serving the socket (and removes it unless a takeover
// already handed the path over) and ends a session in progress.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	ch := s.ch
	s.mu.Unlock()
	s.ln.Close()
	if ch != nil {
		ch.Close()
	}
	s.wg.Wait()
}

func (s *Server) loop() {
	defer s.wg.Done()
	for {
		c, err := s.ln.AcceptUnix()
		if err != nil {
			return
		}
		ch := NewChannel(c)
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			ch.Close()
			return
		}
		s.ch = ch
		s.mu.Unlock()
		took := s.session(ch)
		s.mu.Lock()
		s.ch = nil
		s.mu.Unlock()
		ch.Close()
		if took {
			close(s.done)
			return
		}
	}
}

// session runs one upgrade session; true means the new process took over.
func (s *Server) session(ch *Channel) bool {
	log := s.o.Logger
	m, f, err := ch.Recv(s.o.HelloTimeout)
	if f != nil {
		f.Close()
	}
	if err != nil || m.Op != OpHello {
		log.Warn("upgrade: session without hello", "err", err)
		return false
	}
	log.Info("upgrade: new process asks for the sockets", "pid", m.PID)
	s.o.Source.UpgradeBegin()
	if err := s.handOver(ch); err != nil {
		s.o.Source.UpgradeAbort(err)
		log.Warn("upgrade: handing the sockets over failed", "err", err)
		return false
	}
	m, f, err = ch.Recv(s.o.TakeoverTimeout)
	if f != nil {
		f.Close()
	}
	switch {
	case err != nil:
		s.o.Source.UpgradeAbort(err)
		log.Warn("upgrade: the new process went away, serving on", "err", err)
		return false
	case m.Op != OpTakeover:
		err := fmt.Errorf("upgrade: new process: %s", m.Error)
		s.o.Source.UpgradeAbort(err)
		log.Warn("upgrade: the new process gave up, serving on", "reason", m.Error)
		return false
	}
	// The path is the new process's from now on: close the socket (which
	// removes the file) before saying ok, so it can bind it.
	s.ln.Close()
	if err := ch.Send(&Message{Op: OpOK, PID: os.Getpid()}, -1, sendTimeout); err != nil {
		log.Warn("upgrade: takeover not acknowledged", "err", err)
	}
	log.Info("upgrade: the new process serves; moving connections")
	var mu sync.Mutex
	s.o.Source.Takeover(func(listener string, c syscall.Conn, unread []byte) error {
		mu.Lock()
		defer mu.Unlock()
		return ch.SendWithFD(&Message{Op: OpConn, Listener: listener, Data: unread}, c, sendTimeout)
	})
	ch.Send(&Message{Op: OpDone}, -1, sendTimeout)
	return true
}

// handOver sends the sockets message and one message per socket.
func (s *Server) handOver(ch *Channel) error {
	cfg, err := s.o.Source.UpgradeConfig()
	if err != nil {
		return err
	}
	lns := s.o.Source.UpgradeSockets()
	m := &Message{Op: OpSockets, PID: os.Getpid(), Config: cfg}
	for _, l := range lns {
		m.Sockets = append(m.Sockets, l.Socket)
	}
	if err := ch.Send(m, -1, sendTimeout); err != nil {
		return err
	}
	for _, l := range lns {
		sk := l.Socket
		if err := ch.SendWithFD(&Message{Op: OpSocket, Socket: &sk}, l.Conn, sendTimeout); err != nil {
			return err
		}
	}
	return nil
}
