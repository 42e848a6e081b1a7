package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/seed405ffdea/mosn/core/network"
	"github.com/seed405ffdea/mosn/core/upgrade"
)

// DefaultTransferTimeout is the window over which live connections move
// to the new process in a hot upgrade (MOSN's TransferTimeout).
const DefaultTransferTimeout = 30 * time.Second

// The server is the old process's side of a hot upgrade.
var _ upgrade.Source = (*Server)(nil)

// takeInherited returns the inherited socket for name if it was bound to
// the same network and address, removing it from the set; nil means bind
// anew.
func (s *Server) takeInherited(name, network, address string) net.Listener {
	k := upgrade.Key(name, network, address)
	ln := s.inherited[k]
	if ln != nil {
		delete(s.inherited, k)
	}
	return ln
}

// listenTCP binds addr, or takes the inherited socket named name.
func (s *Server) listenTCP(name, addr string) (net.Listener, error) {
	if ln := s.takeInherited(name, "tcp", addr); ln != nil {
		return ln, nil
	}
	return net.Listen("tcp", addr)
}

// closeInherited closes the inherited sockets New did not use (the new
// config dropped or moved them).
func (s *Server) closeInherited() {
	for name, ln := range s.inherited {
		ln.Close()
		delete(s.inherited, name)
	}
}

// UpgradeSockets implements upgrade.Source: every listening socket, by
// the names New looks them up with.
func (s *Server) UpgradeSockets() []upgrade.Listening {
	var out []upgrade.Listening
	add := func(name, network, address string, ln any) {
		if sc, ok := ln.(syscall.Conn); ok {
			out = append(out, upgrade.Listening{Socket: upgrade.Socket{Name: name, Network: network, Address: address}, Conn: sc})
		}
	}
	for _, ln := range s.Listeners() {
		if sc, ok := ln.Listening(); ok {
			add("listener/"+ln.Name(), ln.Network(), ln.Address(), sc)
		}
	}
	cfg := s.RunningConfig()
	if s.adminLn != nil && cfg.Admin != nil {
		add("admin", "tcp", cfg.Admin.Addr(), s.adminLn)
	}
	if s.metricsLn != nil && cfg.Metrics != nil {
		for _, sk := range cfg.Metrics.Sinks {
			if sk.Prometheus != nil {
				add("metrics", "tcp", sk.Prometheus.ListenAddress(), s.metricsLn)
			}
		}
	}
	if s.pprofLn != nil {
		add("pprof", "tcp", s.pprofLn.Addr().String(), s.pprofLn)
	}
	return out
}

// UpgradeConfig implements upgrade.Source (inherit_old_mosnconfig).
func (s *Server) UpgradeConfig() ([]byte, error) {
	return json.Marshal(s.RunningConfig())
}

// UpgradeBegin implements upgrade.Source: a new process has the sockets.
func (s *Server) UpgradeBegin() {
	s.stage.set(Upgrading)
	s.log.Info("upgrade: sockets handed to a new process")
}

// UpgradeAbort implements upgrade.Source: the new process went away
// before taking over; nothing changed here.
func (s *Server) UpgradeAbort(reason error) {
	if s.stage.get() == Upgrading {
		s.stage.set(Running)
	}
	s.log.Warn("upgrade: the new process did not take over; serving on", "reason", reason)
}

// Takeover implements upgrade.Source: the new process serves on the
// shared sockets. This one stops accepting (admin and metrics too) and
// moves its connections over the transfer window; it returns when none
// is left or at graceful_timeout, and the server is then closed.
func (s *Server) Takeover(send upgrade.SendConn) {
	s.stage.set(Upgrading)
	window := s.transfer
	if window <= 0 {
		window = DefaultTransferTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.GracefulTimeout())
	defer cancel()
	if s.admin != nil {
		s.admin.Close()
	}
	s.closeMetricsListener()
	if s.pprof != nil {
		s.pprof.Close()
	}
	s.lnMu.Lock()
	lns := append([]*network.Listener(nil), s.retiredLns...)
	s.lnMu.Unlock()
	var wg sync.WaitGroup
	for _, ln := range s.Listeners() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := ln.Migrate(ctx, window, network.TransferFunc(send)); err != nil {
				s.log.Warn("upgrade: connections left at graceful_timeout were closed", "listener", ln.Name())
			}
			s.log.Info("upgrade: listener handed over", "listener", ln.Name(), "connections_moved", ln.Transferred())
		}()
	}
	// Listeners retired by a config update drain as they would anyway.
	for _, ln := range lns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.shutdownListener(ctx, ln)
		}()
	}
	wg.Wait()
	s.Close()
}

// AdoptConn serves a connection the old process handed over, on the
// listener of the same name; without one, the connection is closed.
func (s *Server) AdoptConn(listener string, conn net.Conn, unread []byte) {
	for _, ln := range s.Listeners() {
		if ln.Name() == listener {
			if err := ln.Adopt(conn, unread); err != nil {
				s.log.Warn("upgrade: connection not adopted", "listener", listener, "err", err)
			}
			return
		}
	}
	s.log.Warn("upgrade: connection for an unknown listener closed", "listener", listener)
	conn.Close()
}

// Logger is the server's logger.
func (s *Server) Logger() *slog.Logger { return s.log }

// TookOver tells the server that the old process has handed over: the
// paths of inherited unix-domain listeners are this process's to remove
// when it stops.
func (s *Server) TookOver() {
	for _, ln := range s.Listeners() {
		ln.OwnPath()
	}
}
