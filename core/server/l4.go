package server

import (
	"github.com/seed405ffdea/mosn/api"
	"github.com/seed405ffdea/mosn/core/accesslog"
	"github.com/seed405ffdea/mosn/core/config"
	"github.com/seed405ffdea/mosn/core/l4"
	"github.com/seed405ffdea/mosn/core/l4/tcpproxy"
	"github.com/seed405ffdea/mosn/core/l4/udpproxy"
)

// l4Filter builds the built-in L4 filters (tcp_proxy, udp_proxy) of a
// validated listener config; ok is false for other filter types.
func (s *Server) l4Filter(lc config.ListenerConfig, fc config.FilterConfig, logs []*accesslog.Logger) (_ api.NetworkFilterChainFactory, ok bool, err error) {
	switch {
	case fc.TCPProxy != nil:
		p := fc.TCPProxy
		r, err := l4.NewRouter(p.Cluster, p.Routes)
		if err != nil {
			return nil, true, err
		}
		prefix := p.StatPrefix
		if prefix == "" {
			prefix = lc.Name
		}
		return tcpproxy.NewFactory(tcpproxy.Options{
			StatPrefix:         prefix,
			Router:             r,
			Clusters:           s.clusters,
			IdleTimeout:        p.IdleTimeout.Duration,
			MaxConnectAttempts: int(p.MaxConnectAttempts),
			AccessLogs:         logs,
			Metrics:            s.metrics,
			Logger:             s.log,
		}), true, nil
	case fc.UDPProxy != nil:
		p := fc.UDPProxy
		r, err := l4.NewRouter(p.Cluster, p.Routes)
		if err != nil {
			return nil, true, err
		}
		prefix := p.StatPrefix
		if prefix == "" {
			prefix = lc.Name
		}
		return udpproxy.NewFactory(udpproxy.Options{
			StatPrefix:  prefix,
			Router:      r,
			Clusters:    s.clusters,
			IdleTimeout: p.IdleTimeout.Duration,
			MaxSessions: int(p.MaxSessions),
			AccessLogs:  logs,
			Metrics:     s.metrics,
			Logger:      s.log,
		}), true, nil
	}
	return nil, false, nil
}
