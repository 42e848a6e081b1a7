package server

import (
	"encoding/json"
	"fmt"
	"sync/atomic"

	"github.com/seed405ffdea/mosn/api"
	"github.com/seed405ffdea/mosn/core/accesslog"
	"github.com/seed405ffdea/mosn/core/config"
	"github.com/seed405ffdea/mosn/core/network"
	"github.com/seed405ffdea/mosn/core/protocol/http1"
	"github.com/seed405ffdea/mosn/core/proxy"
)

// liveListener is a listener and what was built for it from its config.
type liveListener struct {
	cfg   config.ListenerConfig
	ln    *network.Listener
	chain *chain
	// built is what the current chain uses; an in-place update replaces
	// it.
	built *builtChain
	// served is closed when Serve returns; nil until started.
	served chan struct{}
}

// builtChain is a listener's filter chains built from its config, with
// the access logs, proxy counters and TLS providers it owns.
type builtChain struct {
	// chains are the filter chains in config order; plain is each without
	// its TLS (served to plaintext clients of an inspector listener).
	chains, plain []network.FilterChain
	// matches are the chains' filter_chain_match; nil when no chain has
	// one (the first chain serves everything).
	matches   []*network.ChainMatch
	inspector bool
	lfilters  []network.ListenerFilter
	tls       []api.TLSProvider
	logs      []*accesslog.Logger
	logKeys   []string // logKey of each of logs
	stats     []*proxy.Stats
}

type atomicBuilt = atomic.Pointer[builtChain]

// logKey identifies an access log for reuse across a listener update.
func logKey(al config.AccessLogConfig) string {
	if al.JSONFormat != nil {
		b, _ := json.Marshal(al.JSONFormat) // keys sorted
		return al.Path + "\x00json\x00" + string(b)
	}
	return al.Path + "\x00text\x00" + al.Format
}

// buildChain builds lc's filter chain. Access logs of old (the chain being
// replaced, may be nil) with the same path and format are reused, so an
// update does not open a second writer on a file. On error everything
// newly built is closed.
func (s *Server) buildChain(lc config.ListenerConfig, old *builtChain) (_ *builtChain, err error) {
	b := &builtChain{}
	reused := map[*accesslog.Logger]bool{}
	defer func() {
		if err != nil {
			b.closeTLS()
			for _, l := range b.logs {
				if !reused[l] {
					l.Close()
				}
			}
		}
	}()
	oldLogs := map[string]*accesslog.Logger{}
	if old != nil {
		for i, l := range old.logs {
			oldLogs[old.logKeys[i]] = l
		}
	}
	for i, al := range lc.AccessLogs {
		key := logKey(al)
		b.logKeys = append(b.logKeys, key)
		if l := oldLogs[key]; l != nil {
			b.logs = append(b.logs, l)
			reused[l] = true
			continue
		}
		var l *accesslog.Logger
		if al.JSONFormat != nil {
			l, err = accesslog.NewJSON(al.Path, al.JSONFormat, s.roller)
		} else {
			l, err = accesslog.New(al.Path, al.Format, s.roller)
		}
		if err != nil {
			return nil, fmt.Errorf("access_logs[%d]: %w", i, err)
		}
		b.logs = append(b.logs, l)
	}
	var sfs []api.StreamFilterChainFactory
	for i, fc := range lc.StreamFilters {
		f, ok := s.regs.StreamFilters.Get(fc.Type)
		if !ok {
			return nil, fmt.Errorf("stream_filters[%d]: stream filter type %q is not supported", i, fc.Type)
		}
		sf, err := f(fc.Config)
		if err != nil {
			return nil, fmt.Errorf("stream_filters[%d].config: %w", i, err)
		}
		sfs = append(sfs, sf)
	}
	b.lfilters = buildListenerFilters(lc)
	for _, f := range b.lfilters {
		if _, ok := f.(network.TLSInspector); ok {
			b.inspector = true
		}
	}
	for ci, fchain := range lc.FilterChains {
		var factories []api.NetworkFilterChainFactory
		tp, err := s.buildTLS(fchain)
		if err != nil {
			return nil, fmt.Errorf("filter_chains[%d].%w", ci, err)
		}
		if tp != nil {
			b.tls = append(b.tls, tp)
		}
		if m := chainMatch(fchain.Match); m != nil && b.matches == nil {
			b.matches = make([]*network.ChainMatch, len(lc.FilterChains))
		}
		if b.matches != nil {
			b.matches[ci] = chainMatch(fchain.Match)
		}
		for fi, fc := range fchain.Filters {
			if fc.Type == "proxy" && fc.Proxy != nil {
				// A rebuilt chain keeps counting where the old one was.
				st := &proxy.Stats{}
				if old != nil && len(b.stats) < len(old.stats) {
					st = old.stats[len(b.stats)]
				}
				if st.Metrics == nil && s.metrics != nil {
					// A reused Stats already records there (same
					// listener name); live connections read the field.
					st.Metrics = s.metrics.HTTP(lc.Name)
				}
				b.stats = append(b.stats, st)
				o := proxy.Options{
					RouterName:    fc.Proxy.RouterConfigName,
					Routers:       s.routers,
					Clusters:      s.clusters,
					StreamFilters: sfs,
					Logger:        s.log,
					Stats:         st,
					AccessLogs:    b.logs,
					Tracer:        s.tracer,
					Limits: http1.Limits{
						MaxHeaderBytes: int(fc.Proxy.MaxRequestHeadersKB) << 10,
						MaxHeaders:     int(fc.Proxy.MaxHeadersCount),
					},
					MaxRequestBody:    fc.Proxy.MaxRequestBodyBytes,
					HeadersTimeout:    fc.Proxy.RequestHeadersTimeout.Duration,
					StreamIdleTimeout: fc.Proxy.StreamIdleTimeout.Duration,
					Protocol:          api.ProtocolName(fc.Proxy.DownstreamProtocol),
					HTTP2:             http2Config(fc.Proxy),
					UpstreamProtocol:  api.ProtocolName(fc.Proxy.UpstreamProtocol),
					UpstreamHTTP2:     upstreamHTTP2Config(fc.Proxy),
				}
				if lc.ConnectionIdleTimeout != nil {
					o.IdleTimeout = lc.ConnectionIdleTimeout.Duration
				} else {
					o.IdleTimeout = config.DefaultConnectionIdleTimeout
				}
				factories = append(factories, proxy.NewFactory(o))
				continue
			}
			if nf, ok, err := s.l4Filter(lc, fc, b.logs); ok {
				if err != nil {
					return nil, fmt.Errorf("filter_chains[%d].filters[%d].config: %w", ci, fi, err)
				}
				factories = append(factories, nf)
				continue
			}
			f, ok := s.regs.NetworkFilters.Get(fc.Type)
			if !ok {
				return nil, fmt.Errorf("filter_chains[%d].filters[%d]: filter type %q is not supported", ci, fi, fc.Type)
			}
			nf, err := f(fc.Config)
			if err != nil {
				return nil, fmt.Errorf("filter_chains[%d].filters[%d].config: %w", ci, fi, err)
			}
			factories = append(factories, nf)
		}
		b.chains = append(b.chains, network.FilterChain{TLS: tp, Factories: factories})
		b.plain = append(b.plain, network.FilterChain{Factories: factories})
	}
	return b, nil
}

// buildListener builds lc's chain and binds its socket.
func (s *Server) buildListener(lc config.ListenerConfig) (*liveListener, error) {
	b, err := s.buildChain(lc, nil)
	if err != nil {
		return nil, err
	}
	ll, err := s.bindListener(lc, b)
	if err != nil {
		b.closeLogs(nil)
		return nil, err
	}
	return ll, nil
}

func (s *Server) bindListener(lc config.ListenerConfig, b *builtChain) (*liveListener, error) {
	netw := lc.Network
	if netw == "" {
		netw = "tcp"
	}
	ch := &chain{}
	ch.b.Store(b)
	ln, err := network.Listen(network.ListenerOptions{
		Name:        lc.Name,
		Network:     netw,
		Address:     lc.Address,
		ReusePort:   lc.ReusePort,
		Filters:     []api.NetworkFilterChainFactory{ch},
		Chains:      ch,
		Handoff:     s.handoff,
		NoBind:      !lc.BindPort,
		Transparent: isTProxy(lc),
		Logger:      s.log,
		// Only listeners whose last filter serves the connection itself
		// can park it.
		ParkIdleAfter: s.parkAfter,
		Inherit:       s.takeInherited("listener/"+lc.Name, netw, lc.Address),
	})
	if err != nil {
		return nil, err
	}
	return &liveListener{cfg: lc, ln: ln, chain: ch, built: b}, nil
}

// closeLogs closes the chain's access logs that keep does not hold.
func (b *builtChain) closeLogs(keep *builtChain) {
	b.closeTLS()
	held := map[*accesslog.Logger]bool{}
	if keep != nil {
		for _, l := range keep.logs {
			held[l] = true
		}
	}
	for _, l := range b.logs {
		if !held[l] {
			l.Close()
		}
	}
}

// requestCounts sums the proxy counters of the chain.
func (b *builtChain) requestCounts() (total uint64, active int64) {
	for _, st := range b.stats {
		total += st.Requests.Load()
		active += st.Active.Load()
	}
	return total, active
}

// sameConfig reports whether a and b are the same configuration, by their
// JSON (which a round trip through the config parser keeps as it is).
func sameConfig(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}

// sameSocket reports whether a and b bind the same socket, so that an
// update from a to b can keep the listening socket.
func sameSocket(a, b config.ListenerConfig) bool {
	return a.Address == b.Address && a.Network == b.Network && a.ReusePort == b.ReusePort &&
		a.BindPort == b.BindPort && isTProxy(a) == isTProxy(b)
}
