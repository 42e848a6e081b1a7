package network

import (
	"errors"
	"strings"
	"sync"
)

// TLSInspector is the tls_inspector listener filter (listener "inspector":
// true): it peeks at the first bytes without consuming them and records
// whether they are a TLS ClientHello, its SNI and its ALPN list, so that
// TLS and plaintext share a port and filter chains can match on them.
type TLSInspector struct{}

// maxRecord bounds what the inspector reads: one TLS record (RFC 8446
// 5.1: "The length MUST NOT exceed 2^14 bytes") and its 5-byte header.
const maxRecord = 5 + 1<<14

var recordBufs = sync.Pool{New: func() any { return new([maxRecord]byte) }}

// OnAccept implements ListenerFilter.
func (TLSInspector) OnAccept(a *Accepted) error {
	bp := recordBufs.Get().(*[maxRecord]byte)
	defer recordBufs.Put(bp)
	buf := bp[:]
	n, err := peek(a.Conn, buf, 1)
	if err != nil {
		return err
	}
	if buf[0] != recordHandshake {
		a.Info.TransportProtocol = "raw_buffer"
		return nil
	}
	if n < 5 {
		if n, err = peek(a.Conn, buf, 5); err != nil {
			return err
		}
	}
	if buf[1] != 3 {
		a.Info.TransportProtocol = "raw_buffer"
		return nil
	}
	need := 5 + (int(buf[3])<<8 | int(buf[4]))
	if need > maxRecord {
		// Not a record a TLS client sends first.
		a.Info.TransportProtocol = "raw_buffer"
		return nil
	}
	if n < need {
		if n, err = peek(a.Conn, buf, need); err != nil {
			return err
		}
	}
	hello, err := ParseClientHello(buf[:n])
	if err != nil {
		// Starts like TLS but is not a ClientHello we can read: the TLS
		// handshake or the plaintext protocol will report it.
		a.Info.TransportProtocol = "raw_buffer"
		return nil
	}
	a.Info.TransportProtocol = "tls"
	a.Info.ServerName = hello.ServerName
	a.Info.ALPN = hello.ALPN
	return nil
}

const recordHandshake = 0x16

// ClientHello is what the inspector reads from a ClientHello.
type ClientHello struct {
	// ServerName is the host_name of the server_name extension,
	// lowercase (RFC 6066 section 3).
	ServerName string
	// ALPN is the protocol list of the ALPN extension (RFC 7301).
	ALPN []string
}

// ErrNotClientHello means the bytes are not a TLS record holding a whole
// ClientHello.
var ErrNotClientHello = errors.New("network: not a TLS ClientHello")

// ParseClientHello reads the first TLS record of a connection (RFC 8446
// section 5.1) holding a ClientHello (section 4.1.2). A ClientHello split
// over several records is reported as ErrNotClientHello. The strings are
// copies: b may be reused.
func ParseClientHello(b []byte) (ClientHello, error) {
	var h ClientHello
	if len(b) < 5 || b[0] != recordHandshake || b[1] != 3 {
		return h, ErrNotClientHello
	}
	rlen := int(b[3])<<8 | int(b[4])
	if rlen > len(b)-5 {
		return h, ErrNotClientHello
	}
	p := reader(b[5 : 5+rlen])
	typ, ok := p.u8()
	if !ok || typ != 1 { // client_hello
		return h, ErrNotClientHello
	}
	body, ok := p.vec(3)
	if !ok {
		return h, ErrNotClientHello
	}
	p = body
	if !p.skip(2 + 32) { // legacy_version, random
		return h, ErrNotClientHello
	}
	if _, ok := p.vec(1); !ok { // legacy_session_id
		return h, ErrNotClientHello
	}
	if _, ok := p.vec(2); !ok { // cipher_suites
		return h, ErrNotClientHello
	}
	if _, ok := p.vec(1); !ok { // legacy_compression_methods
		return h, ErrNotClientHello
	}
	if len(p) == 0 { // no extensions (TLS 1.0-era clients)
		return h, nil
	}
	exts, ok := p.vec(2)
	if !ok {
		return h, ErrNotClientHello
	}
	for len(exts) > 0 {
		typ, ok1 := exts.u16()
		data, ok2 := exts.vec(2)
		if !ok1 || !ok2 {
			return h, ErrNotClientHello
		}
		switch typ {
		case 0: // server_name
			list, ok := data.vec(2)
			if !ok {
				return h, ErrNotClientHello
			}
			for len(list) > 0 {
				nt, ok1 := list.u8()
				name, ok2 := list.vec(2)
				if !ok1 || !ok2 {
					return h, ErrNotClientHello
				}
				if nt == 0 && h.ServerName == "" {
					h.ServerName = strings.ToLower(string(name))
				}
			}
		case 16: // application_layer_protocol_negotiation
			list, ok := data.vec(2)
			if !ok {
				return h, ErrNotClientHello
			}
			for len(list) > 0 {
				proto, ok := list.vec(1)
				if !ok || len(proto) == 0 {
					return h, ErrNotClientHello
				}
				h.ALPN = append(h.ALPN, string(proto))
			}
		}
	}
	return h, nil
}

// reader reads TLS's big-endian integers and length-prefixed vectors.
type reader []byte

func (r *reader) u8() (byte, bool) {
	if len(*r) < 1 {
		return 0, false
	}
	v := (*r)[0]
	*r = (*r)[1:]
	return v, true
}

func (r *reader) u16() (int, bool) {
	if len(*r) < 2 {
		return 0, false
	}
	v := int((*r)[0])<<8 | int((*r)[1])
	*r = (*r)[2:]
	return v, true
}

func (r *reader) skip(n int) bool {
	if len(*r) < n {
		return false
	}
	*r = (*r)[n:]
	return true
}

// vec reads a vector with an n-byte length prefix.
func (r *reader) vec(n int) (reader, bool) {
	if len(*r) < n {
		return nil, false
	}
	l := 0
	for i := 0; i < n; i++ {
		l = l<<8 | int((*r)[i])
	}
	*r = (*r)[n:]
	if len(*r) < l {
		return nil, false
	}
	v := (*r)[:l]
	*r = (*r)[l:]
	return v, true
}
