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
	var cluster, prefix string
	var routes []config.StreamRouteConfig
	switch {
	case fc.TCPProxy != nil:
		cluster, prefix, routes = fc.TCPProxy.Cluster, fc.TCPProxy.StatPrefix, fc.TCPProxy.Routes
	case fc.UDPProxy != nil:
		cluster, prefix, routes = fc.UDPProxy.Cluster, fc.UDPProxy.StatPrefix, fc.UDPProxy.Routes
	default:
		return nil, false, nil
	}
	r, err := l4.NewRouter(cluster, routes)
	if err != nil {
		return nil, true, err
	}
	if prefix == "" {
		prefix = lc.Name
	}
	if p := fc.TCPProxy; p != nil {
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
	}
	p := fc.UDPProxy
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
