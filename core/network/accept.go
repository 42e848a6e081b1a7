package network

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/seed405ffdea/mosn/api"
)

// ConnInfo is what the listener learned about an accepted connection
// before its filter chain was chosen: listener filters fill it, filter
// chain matching reads it, and it stays in the connection's context
// (ConnInfoFrom) for filters and access logs.
type ConnInfo struct {
	// TransportProtocol is "tls" when the first bytes are a TLS
	// ClientHello and "raw_buffer" otherwise (Envoy's names); empty when
	// no tls_inspector ran.
	TransportProtocol string
	// ServerName is the ClientHello's SNI, lowercase; empty if none.
	ServerName string
	// ALPN lists the protocols the ClientHello offers.
	ALPN []string
	// OriginalDst is the address the client meant to reach before an
	// iptables/nft REDIRECT or tproxy (original_dst); nil otherwise.
	OriginalDst net.Addr
	// Remote and Local replace the socket's addresses when a PROXY
	// protocol header carried the client's; nil otherwise.
	Remote, Local net.Addr

	// NegotiatedProtocol is the ALPN protocol the TLS handshake chose and
	// PeerURIs the client certificate's URI SANs (SPIFFE ids); filled
	// after the handshake of a chain with TLS.
	NegotiatedProtocol string
	PeerURIs           []string
}

// ConnInfoFrom returns the ConnInfo of the connection whose context ctx
// is, or nil when it went through no listener filter or chain selection.
func ConnInfoFrom(ctx context.Context) *ConnInfo {
	c, _ := ctx.Value(connKey{}).(*Conn)
	if c == nil {
		return nil
	}
	return c.info
}

// ListenerFilter runs on an accepted connection's goroutine before its
// filter chain is chosen (Envoy's listener filters): it may peek at the
// first bytes, consume a header, and fill the ConnInfo. An error closes
// the connection.
type ListenerFilter interface {
	OnAccept(a *Accepted) error
}

// Accepted is a connection going through listener filters.
type Accepted struct {
	// Conn is the accepted socket.
	Conn net.Conn
	// Info is filled by the filters.
	Info ConnInfo
	// Listener is the listener now responsible for the connection (after
	// a handoff, the target).
	Listener *Listener
}

// FilterChain is what a connection runs once chosen: its TLS (nil for
// plaintext) and the factories of its network filters.
type FilterChain struct {
	// TLS performs the server handshake; nil means plaintext.
	TLS api.TLSProvider
	// Factories build the network filters, in order.
	Factories []api.NetworkFilterChainFactory
}

// ChainSelector chooses a connection's filter chain from what the
// listener filters found (filter_chain_match). A nil chain with a nil
// error means no chain matches: the connection is closed.
type ChainSelector interface {
	SelectChain(info *ConnInfo, local, remote net.Addr) (*FilterChain, error)
}

// DefaultAcceptTimeout bounds the listener filters and the TLS handshake
// of a connection when ListenerOptions.AcceptTimeout is zero (Envoy's
// listener_filters_timeout is 15s; a handshake that takes longer than 10s
// is a stalled client).
const DefaultAcceptTimeout = 10 * time.Second

// errNoChain closes a connection no filter chain matches.
var errNoChain = errors.New("network: no filter chain matches the connection")

// ListenerFilterSource is an optional interface of a ChainSelector: the
// listener filters to run, read per connection so that an in-place
// listener update can change them with the chains.
type ListenerFilterSource interface {
	ListenerFilters() []ListenerFilter
}

func (l *Listener) listenerFilters() []ListenerFilter {
	if src, ok := l.opts.Chains.(ListenerFilterSource); ok {
		if fs := src.ListenerFilters(); len(fs) > 0 {
			return append(l.opts.ListenerFilters[:len(l.opts.ListenerFilters):len(l.opts.ListenerFilters)], fs...)
		}
	}
	return l.opts.ListenerFilters
}

// prepare runs on the connection's goroutine: listener filters, a handoff
// to the listener owning the original destination, filter chain selection
// and the TLS handshake, all within the accept timeout. It returns the
// factories to serve with. A listener without chains or filters returns
// its factories at once; one with a single plaintext chain and no
// listener filters costs a SelectChain call.
func (l *Listener) prepare(c *Conn) ([]api.NetworkFilterChainFactory, error) {
	o := &l.opts
	if len(o.ListenerFilters) == 0 && o.Chains == nil {
		return o.Filters, nil
	}
	timeout := o.AcceptTimeout
	if timeout <= 0 {
		timeout = DefaultAcceptTimeout
	}
	var deadline time.Time
	setDeadline := func() {
		if deadline.IsZero() {
			deadline = time.Now().Add(timeout)
			c.raw.SetReadDeadline(deadline)
		}
	}
	a := &Accepted{Conn: c.raw, Listener: l}
	if fs := l.listenerFilters(); len(fs) > 0 {
		setDeadline()
		if err := runFilters(a, fs); err != nil {
			return nil, err
		}
	}
	if a.Info.OriginalDst != nil && o.Handoff != nil {
		if t := o.Handoff(a.Info.OriginalDst); t != nil && t != l {
			// Istio's virtualOutbound: the listener owning the original
			// address serves the connection, with its own listener
			// filters (minus another handoff) and chains.
			a.Listener = t
			if fs := t.listenerFilters(); len(fs) > 0 {
				setDeadline()
				if err := runFilters(a, fs); err != nil {
					return nil, err
				}
			}
		}
	}
	c.setInfo(a)
	t := a.Listener
	fs := t.opts.Filters
	if t.opts.Chains != nil {
		fc, err := t.opts.Chains.SelectChain(c.info, c.LocalAddr(), c.RemoteAddr())
		if err != nil {
			return nil, err
		}
		if fc == nil {
			return nil, errNoChain
		}
		if fc.TLS != nil {
			setDeadline()
			ctx, cancel := context.WithDeadline(c.ctx, deadline)
			tc, err := fc.TLS.Server(ctx, c.raw)
			cancel()
			if err != nil {
				return nil, fmt.Errorf("network: tls handshake: %w", err)
			}
			c.raw = tc
			c.sec.Store(tc)
			c.secure = true
			if pi, ok := tc.(api.PeerIdentity); ok {
				c.info.NegotiatedProtocol = pi.NegotiatedProtocol()
				c.info.PeerURIs = pi.PeerURIs()
				if c.info.ServerName == "" {
					c.info.ServerName = pi.ServerName()
				}
			}
		}
		fs = fc.Factories
	}
	if !deadline.IsZero() {
		c.raw.SetReadDeadline(time.Time{})
	}
	return fs, nil
}

// runFilters runs fs in order; an original_dst filter is skipped after a
// handoff (the destination is known).
func runFilters(a *Accepted, fs []ListenerFilter) error {
	for _, f := range fs {
		if _, ok := f.(OriginalDst); ok && a.Info.OriginalDst != nil {
			continue
		}
		if err := f.OnAccept(a); err != nil {
			return err
		}
	}
	return nil
}

// setInfo publishes what the listener filters found in the connection's
// context and applies address overrides.
func (c *Conn) setInfo(a *Accepted) {
	info := a.Info
	c.info = &info
	c.lname = a.Listener.opts.Name
	switch {
	case info.OriginalDst != nil:
		c.local = info.OriginalDst
	case info.Local != nil:
		c.local = info.Local
	}
	if info.Remote != nil {
		c.remote = info.Remote
	}
}
