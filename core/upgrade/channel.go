// Package upgrade is the hot-upgrade channel between a running MOSN
// process (the old one) and its successor: a unix socket in uds_dir over
// which the old process hands over its listening sockets, its config and,
// one by one, its live connections, with SCM_RIGHTS.
//
// The session, old process serving, new process dialling:
//
//	new -> old  hello     {pid}
//	old -> new  sockets   {pid, config, sockets: [name, network, address]...}
//	old -> new  socket    one message per listening socket, its descriptor attached
//	            (the new process builds its server on them and starts serving)
//	new -> old  takeover  (or abort, or the connection closes: the old one goes on)
//	old -> new  ok        the old process closed its upgrade socket; the new one binds it
//	old -> new  conn      {listener, data} one per live connection, its descriptor attached
//	old -> new  done      every connection moved or finished
//
// Until takeover nothing changes in the old process, so a successor that
// fails leaves it serving. Messages are a 4-byte big-endian length and a
// JSON object; a descriptor travels with the length bytes.
package upgrade

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"time"
)

// SocketName is the file name of the upgrade socket in uds_dir (MOSN's
// reconfigure socket).
const SocketName = "reconfigure.sock"

// DefaultUDSDir is uds_dir when the config leaves it empty (MOSN's
// types.MosnConfigPath).
const DefaultUDSDir = "/home/admin/mosn/conf"

// MaxMessage bounds one message (a config dump fits many times over).
const MaxMessage = 16 << 20

// Message ops.
const (
	OpHello    = "hello"
	OpSockets  = "sockets"
	OpSocket   = "socket"
	OpTakeover = "takeover"
	OpAbort    = "abort"
	OpOK       = "ok"
	OpConn     = "conn"
	OpDone     = "done"
)

// Socket describes a listening socket handed over: Name is the server's
// name for it ("listener/<name>", "admin", ...), Network and Address are
// as configured, so the new process reuses it only for the same address.
type Socket struct {
	Name    string `json:"name"`
	Network string `json:"network"`
	Address string `json:"address"`
}

// Message is one message of the session; which fields are set depends on
// Op.
type Message struct {
	Op  string `json:"op"`
	PID int    `json:"pid,omitempty"`
	// Error says why a session is aborted.
	Error string `json:"error,omitempty"`
	// Config is the old process's running configuration (sockets).
	Config json.RawMessage `json:"config,omitempty"`
	// Sockets are announced by sockets and sent one by one with socket.
	Sockets []Socket `json:"sockets,omitempty"`
	// Socket is the one a socket message carries.
	Socket *Socket `json:"socket,omitempty"`
	// Listener names the listener a transferred connection belongs to;
	// Data are the bytes read from it but not processed (conn).
	Listener string `json:"listener,omitempty"`
	Data     []byte `json:"data,omitempty"`
}

// Channel is one end of an upgrade session.
type Channel struct {
	c *net.UnixConn
}

// NewChannel wraps a connected unix socket.
func NewChannel(c *net.UnixConn) *Channel { return &Channel{c: c} }

// Close closes the channel.
func (ch *Channel) Close() error { return ch.c.Close() }

// Send writes m, with fd attached when fd >= 0. It waits at most timeout.
func (ch *Channel) Send(m *Message, fd int, timeout time.Duration) error {
	body, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("upgrade: encode %s: %w", m.Op, err)
	}
	if len(body) > MaxMessage {
		return fmt.Errorf("upgrade: %s message of %d bytes is too large", m.Op, len(body))
	}
	ch.c.SetWriteDeadline(time.Now().Add(timeout))
	defer ch.c.SetWriteDeadline(time.Time{})
	var hdr [4]byte
	binary.BigEndian.PutUint32(hdr[:], uint32(len(body)))
	var oob []byte
	if fd >= 0 {
		oob = syscall.UnixRights(fd)
	}
	// The length goes alone with the descriptor: four bytes are always
	// written whole, so the descriptor arrives with the first read of the
	// message.
	n, _, err := ch.c.WriteMsgUnix(hdr[:], oob, nil)
	if err == nil && n != len(hdr) {
		err = io.ErrShortWrite
	}
	if err == nil {
		_, err = ch.c.Write(body)
	}
	if err != nil {
		return fmt.Errorf("upgrade: send %s: %w", m.Op, err)
	}
	return nil
}

// Recv reads the next message and the descriptor that came with it (nil
// if none), waiting at most timeout (zero: no limit). The caller owns the
// file.
func (ch *Channel) Recv(timeout time.Duration) (*Message, *os.File, error) {
	if timeout > 0 {
		ch.c.SetReadDeadline(time.Now().Add(timeout))
		defer ch.c.SetReadDeadline(time.Time{})
	}
	var hdr [4]byte
	oob := make([]byte, syscall.CmsgSpace(4*4))
	n, oobn, _, _, err := ch.c.ReadMsgUnix(hdr[:], oob)
	if err != nil {
		return nil, nil, fmt.Errorf("upgrade: receive: %w", err)
	}
	if n == 0 {
		return nil, nil, fmt.Errorf("upgrade: receive: %w", io.EOF)
	}
	file, ferr := parseRights(oob[:oobn])
	fail := func(err error) (*Message, *os.File, error) {
		if file != nil {
			file.Close()
		}
		return nil, nil, err
	}
	if ferr != nil {
		return fail(ferr)
	}
	if n < len(hdr) {
		if _, err := io.ReadFull(ch.c, hdr[n:]); err != nil {
			return fail(fmt.Errorf("upgrade: receive: %w", err))
		}
	}
	size := binary.BigEndian.Uint32(hdr[:])
	if size > MaxMessage {
		return fail(fmt.Errorf("upgrade: receive: message of %d bytes is too large", size))
	}
	body := make([]byte, size)
	if _, err := io.ReadFull(ch.c, body); err != nil {
		return fail(fmt.Errorf("upgrade: receive: %w", err))
	}
	m, err := DecodeMessage(body)
	if err != nil {
		return fail(err)
	}
	return m, file, nil
}

// DecodeMessage decodes one message body: a JSON object with a known op.
func DecodeMessage(body []byte) (*Message, error) {
	m := &Message{}
	if err := json.Unmarshal(body, m); err != nil {
		return nil, fmt.Errorf("upgrade: bad message: %w", err)
	}
	switch m.Op {
	case OpHello, OpSockets, OpTakeover, OpAbort, OpOK, OpDone:
	case OpSocket:
		if m.Socket == nil || m.Socket.Name == "" {
			return nil, errors.New("upgrade: bad message: socket without a name")
		}
	case OpConn:
		if m.Listener == "" {
			return nil, errors.New("upgrade: bad message: conn without a listener")
		}
	default:
		return nil, fmt.Errorf("upgrade: bad message: unknown op %q", m.Op)
	}
	return m, nil
}

// parseRights returns the one descriptor an SCM_RIGHTS message carries;
// extra descriptors are closed and refused.
func parseRights(oob []byte) (*os.File, error) {
	if len(oob) == 0 {
		return nil, nil
	}
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, fmt.Errorf("upgrade: control message: %w", err)
	}
	var fds []int
	for i := range msgs {
		got, err := syscall.ParseUnixRights(&msgs[i])
		if err != nil {
			continue
		}
		fds = append(fds, got...)
	}
	if len(fds) == 0 {
		return nil, nil
	}
	if len(fds) > 1 {
		for _, fd := range fds {
			syscall.Close(fd)
		}
		return nil, fmt.Errorf("upgrade: %d descriptors in one message", len(fds))
	}
	return os.NewFile(uintptr(fds[0]), "upgrade"), nil
}

// withFD calls fn with c's descriptor, valid during the call, without
// duplicating it: File() would dup the descriptor and make the shared
// file description blocking, under the feet of Go's poller.
func withFD(c syscall.Conn, fn func(fd int) error) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = fn(int(fd)) }); err != nil {
		return err
	}
	return ferr
}

// SendWithFD sends m with the descriptor of c attached.
func (ch *Channel) SendWithFD(m *Message, c syscall.Conn, timeout time.Duration) error {
	return withFD(c, func(fd int) error { return ch.Send(m, fd, timeout) })
}
