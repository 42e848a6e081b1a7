package api

import (
	"context"
	"net"
	"time"
)

// ConnectionEvent is something that happened to a Connection.
type ConnectionEvent int

// Connection events, delivered to ConnectionEventListeners in order.
const (
	// Connected: an upstream connection finished connecting (and its TLS
	// handshake, if any).
	Connected ConnectionEvent = iota + 1
	// RemoteClose: the peer closed the connection or it failed.
	RemoteClose
	// LocalClose: this side closed the connection.
	LocalClose
	// OnReadTimeout: no byte arrived within the read (idle) timeout.
	OnReadTimeout
	// OnWriteTimeout: a write did not finish within the write timeout.
	OnWriteTimeout
	// ConnectTimeout: an upstream connect did not finish in time.
	ConnectTimeout
	// ConnectFailed: an upstream connect was refused or failed.
	ConnectFailed
)

// String names the event as MOSN logs it.
func (e ConnectionEvent) String() string {
	switch e {
	case Connected:
		return "ConnectedFlag"
	case RemoteClose:
		return "RemoteClose"
	case LocalClose:
		return "LocalClose"
	case OnReadTimeout:
		return "OnReadTimeout"
	case OnWriteTimeout:
		return "OnWriteTimeout"
	case ConnectTimeout:
		return "ConnectTimeout"
	case ConnectFailed:
		return "ConnectFailed"
	}
	return "Unknown"
}

// IsClose reports whether the event ends the connection.
func (e ConnectionEvent) IsClose() bool {
	return e == RemoteClose || e == LocalClose || e == OnReadTimeout ||
		e == OnWriteTimeout || e == ConnectTimeout || e == ConnectFailed
}

// ConnectionEventListener is told about a connection's events.
type ConnectionEventListener interface {
	// OnEvent is called on the goroutine that observed the event.
	OnEvent(event ConnectionEvent)
}

// CloseType says how a connection closes.
type CloseType int

const (
	// FlushWrite closes after the bytes already written reach the kernel.
	FlushWrite CloseType = iota
	// NoFlush closes at once, discarding pending writes.
	NoFlush
)

// Connection is one accepted or dialled network connection.
//
// Read and Write are safe to call from one reader goroutine and one writer
// goroutine at a time; Close may be called from any goroutine.
type Connection interface {
	// ID is unique within the process.
	ID() uint64
	// LocalAddr is the local address. For a connection redirected to the
	// proxy (iptables/nft REDIRECT or tproxy; listener use_original_dst)
	// it is the address the client meant to reach, which is what an
	// ORIGINAL_DST cluster dials; after a PROXY protocol header, the
	// destination the header carries.
	LocalAddr() net.Addr
	// RemoteAddr is the peer's address, or the client address a PROXY
	// protocol header carried.
	RemoteAddr() net.Addr
	// Read reads from the connection, after the read filters that precede a
	// ConnectionServer have seen the bytes.
	Read(p []byte) (int, error)
	// Write writes all buffers in one system call where the platform allows
	// (writev). The buffers are not retained after Write returns.
	Write(bufs ...[]byte) error
	// Close closes the connection and delivers LocalClose once.
	Close(how CloseType) error
	// CloseWrite half-closes the write side (TCP FIN) and keeps reading.
	CloseWrite() error
	// SetReadDeadline sets the deadline of pending and future reads; zero
	// means none.
	SetReadDeadline(t time.Time) error
	// AddConnectionEventListener adds l; listeners run in the order added.
	AddConnectionEventListener(l ConnectionEventListener)
	// Context carries values set at accept time (listener name, original
	// destination, TLS peer identity); it is cancelled when the connection
	// closes.
	Context() context.Context
	// RawConn returns the underlying net.Conn (after TLS, if any). Writing
	// to it directly bypasses write filters.
	RawConn() net.Conn
}
