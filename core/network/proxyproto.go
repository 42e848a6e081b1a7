package network

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
)

// ProxyProtocol is the proxy_protocol listener filter: it reads a PROXY
// protocol header (HAProxy's specification, versions 1 and 2) in front of
// the connection's bytes and makes the client and destination addresses
// it carries the connection's RemoteAddr and LocalAddr. A load balancer in
// front of a gateway sends it.
type ProxyProtocol struct {
	// AllowWithout serves connections that start without a header as
	// they are (Envoy's allow_requests_without_proxy_protocol). False
	// closes them.
	AllowWithout bool
}

// ProxyHeader is a decoded PROXY protocol header.
type ProxyHeader struct {
	// Version is 1 or 2.
	Version int
	// Local is true for a v2 LOCAL command and a v1 "UNKNOWN" line: the
	// connection was made by the proxy itself (health checks); Source
	// and Destination are nil and the socket's addresses stay.
	Local bool
	// Source and Destination are the client's address and the address it
	// connected to.
	Source, Destination net.Addr
}

var (
	// ErrProxyNeedMore means the bytes are a valid beginning of a header.
	ErrProxyNeedMore = errors.New("network: proxy protocol header incomplete")
	// ErrNoProxyHeader means the bytes do not start with a header.
	ErrNoProxyHeader = errors.New("network: no proxy protocol header")
)

var (
	proxyV1Prefix = []byte("PROXY ")
	proxyV2Sig    = []byte("\r\n\r\n\x00\r\nQUIT\n")
)

// proxyV1Max is the longest v1 line, CRLF included (section 2.1: "a
// receiver may reject an incomplete line which does not contain the CRLF
// sequence in the first 107 characters"); proxyV2Max bounds a v2 header
// with its TLVs.
const (
	proxyV1Max = 107
	proxyV2Max = 16 + 2048
)

// ParseProxyHeader decodes the PROXY protocol header at the start of b and
// returns it with its length in bytes. Incomplete input gives
// ErrProxyNeedMore, input that is not a header ErrNoProxyHeader, a
// malformed header another error.
func ParseProxyHeader(b []byte) (ProxyHeader, int, error) {
	switch {
	case hasPrefixOf(b, proxyV2Sig):
		if len(b) < 16 {
			return ProxyHeader{}, 0, ErrProxyNeedMore
		}
		return parseProxyV2(b)
	case hasPrefixOf(b, proxyV1Prefix):
		if len(b) < len(proxyV1Prefix) {
			return ProxyHeader{}, 0, ErrProxyNeedMore
		}
		return parseProxyV1(b)
	}
	return ProxyHeader{}, 0, ErrNoProxyHeader
}

// hasPrefixOf reports whether b and prefix agree on their common length.
func hasPrefixOf(b, prefix []byte) bool {
	n := min(len(b), len(prefix))
	return n > 0 && bytes.Equal(b[:n], prefix[:n])
}

func parseProxyV1(b []byte) (ProxyHeader, int, error) {
	end := bytes.Index(b[:min(len(b), proxyV1Max)], []byte("\r\n"))
	if end < 0 {
		if len(b) >= proxyV1Max {
			return ProxyHeader{}, 0, errors.New("network: proxy protocol v1: no CRLF in the first 107 bytes")
		}
		return ProxyHeader{}, 0, ErrProxyNeedMore
	}
	h := ProxyHeader{Version: 1}
	f := bytes.Split(b[len(proxyV1Prefix):end], []byte(" "))
	if string(f[0]) == "UNKNOWN" {
		h.Local = true
		return h, end + 2, nil
	}
	if len(f) != 5 || (string(f[0]) != "TCP4" && string(f[0]) != "TCP6") {
		return ProxyHeader{}, 0, fmt.Errorf("network: proxy protocol v1: malformed line %q", b[:end])
	}
	src, err1 := netip.ParseAddr(string(f[1]))
	dst, err2 := netip.ParseAddr(string(f[2]))
	sp, err3 := parsePort(f[3])
	dp, err4 := parsePort(f[4])
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return ProxyHeader{}, 0, fmt.Errorf("network: proxy protocol v1: %w", err)
	}
	if src.Is4() != (string(f[0]) == "TCP4") || dst.Is4() != src.Is4() {
		return ProxyHeader{}, 0, fmt.Errorf("network: proxy protocol v1: addresses do not match %s", f[0])
	}
	h.Source = net.TCPAddrFromAddrPort(netip.AddrPortFrom(src, sp))
	h.Destination = net.TCPAddrFromAddrPort(netip.AddrPortFrom(dst, dp))
	return h, end + 2, nil
}

func parsePort(b []byte) (uint16, error) {
	// Section 2.1: ports are decimal, without leading zeroes.
	if len(b) == 0 || len(b) > 5 || (b[0] == '0' && len(b) > 1) {
		return 0, fmt.Errorf("invalid port %q", b)
	}
	p, err := strconv.ParseUint(string(b), 10, 16)
	if err != nil {
		return 0, fmt.Errorf("invalid port %q", b)
	}
	return uint16(p), nil
}

func parseProxyV2(b []byte) (ProxyHeader, int, error) {
	verCmd, fam := b[12], b[13]
	n := 16 + int(binary.BigEndian.Uint16(b[14:16]))
	if verCmd>>4 != 2 {
		return ProxyHeader{}, 0, fmt.Errorf("network: proxy protocol v2: version %d", verCmd>>4)
	}
	if n > proxyV2Max {
		return ProxyHeader{}, 0, fmt.Errorf("network: proxy protocol v2: header of %d bytes is too long", n)
	}
	if len(b) < n {
		return ProxyHeader{}, 0, ErrProxyNeedMore
	}
	h := ProxyHeader{Version: 2}
	switch verCmd & 0xf {
	case 0: // LOCAL: "the receiver must accept this connection as valid
		// and must use the real connection endpoints"
		h.Local = true
		return h, n, nil
	case 1: // PROXY
	default:
		return ProxyHeader{}, 0, fmt.Errorf("network: proxy protocol v2: command %d", verCmd&0xf)
	}
	a := b[16:n]
	switch fam {
	case 0x11, 0x12: // TCP or UDP over IPv4
		if len(a) < 12 {
			return ProxyHeader{}, 0, errors.New("network: proxy protocol v2: short IPv4 addresses")
		}
		h.Source = addrOf(netip.AddrFrom4([4]byte(a[0:4])), a[8:10], fam)
		h.Destination = addrOf(netip.AddrFrom4([4]byte(a[4:8])), a[10:12], fam)
	case 0x21, 0x22: // TCP or UDP over IPv6
		if len(a) < 36 {
			return ProxyHeader{}, 0, errors.New("network: proxy protocol v2: short IPv6 addresses")
		}
		h.Source = addrOf(netip.AddrFrom16([16]byte(a[0:16])), a[32:34], fam)
		h.Destination = addrOf(netip.AddrFrom16([16]byte(a[16:32])), a[34:36], fam)
	default:
		// UNSPEC and unix sockets: "the receiver must ... use the real
		// connection endpoints".
		h.Local = true
	}
	return h, n, nil
}

func addrOf(ip netip.Addr, port []byte, fam byte) net.Addr {
	ap := netip.AddrPortFrom(ip, binary.BigEndian.Uint16(port))
	if fam&0xf == 2 {
		return net.UDPAddrFromAddrPort(ap)
	}
	return net.TCPAddrFromAddrPort(ap)
}

// OnAccept implements ListenerFilter: it peeks until the header is whole,
// then consumes exactly its bytes.
func (f ProxyProtocol) OnAccept(a *Accepted) error {
	var buf [proxyV2Max]byte
	want := 1
	for {
		n, err := peek(a.Conn, buf[:], want)
		if err != nil && n == 0 {
			return fmt.Errorf("network: proxy protocol: %w", err)
		}
		h, used, perr := ParseProxyHeader(buf[:n])
		switch {
		case perr == ErrNoProxyHeader && f.AllowWithout:
			return nil
		case perr == ErrProxyNeedMore && err == nil:
			want = n + 1
			if n >= 16 && hasPrefixOf(buf[:n], proxyV2Sig) {
				want = 16 + int(binary.BigEndian.Uint16(buf[14:16]))
			}
			continue
		case perr == ErrProxyNeedMore:
			return fmt.Errorf("network: proxy protocol: %w", err)
		case perr != nil:
			return perr
		}
		if _, err := io.ReadFull(a.Conn, buf[:used]); err != nil {
			return fmt.Errorf("network: proxy protocol: %w", err)
		}
		if !h.Local {
			a.Info.Remote, a.Info.Local = h.Source, h.Destination
		}
		return nil
	}
}
