package server

import (
	"context"
	"fmt"

	"github.com/seed405ffdea/mosn/core/config"
	"github.com/seed405ffdea/mosn/core/network"
	"github.com/seed405ffdea/mosn/core/router"
	"github.com/seed405ffdea/mosn/core/upstream"
)

// Update is the dynamic config API, used by the admin API and later by
// xDS. It applies u to the running configuration: the result is validated
// as a config file is (config.MOSNConfig.Apply), then everything that can
// fail is built first (route tables, changed clusters, the sockets of new
// listeners) and only then swapped in, so that a refused or failed update
// leaves the running proxy exactly as it was:
//
//   - clusters: a changed cluster is rebuilt and takes over the old one's
//     connection pools; unchanged clusters keep running untouched; a host
//     list update (u.Hosts) updates the live cluster in place (pools,
//     health and outlier state kept for the addresses that remain);
//   - route tables: one atomic swap of the whole set, so a request sees
//     either the old tables or the new ones;
//   - listeners: a new listener is bound and starts serving; a changed
//     listener on the same socket gets the new filter chain for new
//     connections (existing connections keep theirs until they close); a
//     listener that moves to another address is bound anew and the old one
//     drains gracefully; a removed listener drains gracefully.
//
// The error of a refused update is a *config.FieldError naming the field
// (wrapping config.ErrNoSuchResource for unknown names); other errors
// (an address in use) come from building.
func (s *Server) Update(u *config.Update) error {
	s.cfgMu.Lock()
	defer s.cfgMu.Unlock()
	if u == nil || u.Empty() {
		return nil
	}
	next, err := s.cfg.Apply(u, s.regs.Known())
	if err != nil {
		return err
	}
	oldSrv, newSrv := s.cfg.Servers[0], next.Servers[0]

	// 1. Route tables: pure, may fail.
	var tables []*router.Table
	if len(u.Routers) > 0 || len(u.RemoveRouters) > 0 {
		for i, rc := range newSrv.Routers {
			t, err := router.Build(rc)
			if err != nil {
				return fmt.Errorf("servers[0].routers[%d]: %w", i, err)
			}
			tables = append(tables, t)
		}
	}

	// 2. Listeners: build chains and bind new sockets.
	plan, err := s.planListeners(oldSrv.Listeners, newSrv.Listeners)
	if err != nil {
		return err
	}

	// 3. Clusters: build the changed ones and swap.
	if len(u.Clusters) > 0 || len(u.RemoveClusters) > 0 {
		if err := s.swapClusters(s.cfg.ClusterManager.Clusters, next.ClusterManager.Clusters, u); err != nil {
			plan.abort()
			return err
		}
	}
	// Host lists of clusters that were not rebuilt: in place.
	for _, h := range u.Hosts {
		if c := s.clusters.Get(h.Cluster); c != nil && !clusterIn(u.Clusters, h.Cluster) {
			for _, cc := range next.ClusterManager.Clusters {
				if cc.Name == h.Cluster {
					c.UpdateHosts(hostOptions(cc.Hosts))
				}
			}
		}
	}
	if len(u.Hosts) > 0 {
		s.syncClusterMetrics()
	}

	// 4. Route tables.
	if tables != nil {
		s.updateMu.Lock()
		s.routers.Update(tables)
		s.updateMu.Unlock()
	}

	// 5. Listeners.
	plan.commit()
	s.cfg = next
	s.log.Info("config updated", "listeners", len(newSrv.Listeners), "routers", len(newSrv.Routers), "clusters", len(next.ClusterManager.Clusters))
	return nil
}

func clusterIn(ccs []config.ClusterConfig, name string) bool {
	for _, cc := range ccs {
		if cc.Name == name {
			return true
		}
	}
	return false
}

// swapClusters builds the clusters of next that differ from old and
// publishes the whole set; unchanged clusters are kept as they run.
func (s *Server) swapClusters(old, next []config.ClusterConfig, u *config.Update) error {
	s.updateMu.Lock()
	defer s.updateMu.Unlock()
	prev := map[string]config.ClusterConfig{}
	for _, cc := range old {
		prev[cc.Name] = cc
	}
	var built, all []*upstream.Cluster
	for i, cc := range next {
		if oc, ok := prev[cc.Name]; ok && sameConfig(oc, cc) {
			if c := s.clusters.Get(cc.Name); c != nil {
				all = append(all, c)
				continue
			}
		}
		o, err := s.clusterOptionsLogged(cc)
		var c *upstream.Cluster
		if err == nil {
			c, err = upstream.NewCluster(o, s.regs.LoadBalancers)
		}
		if err != nil {
			for _, b := range built {
				b.Close()
			}
			return fmt.Errorf("cluster_manager.clusters[%d]: %w", i, err)
		}
		built = append(built, c)
		all = append(all, c)
	}
	s.clusters.Update(all)
	s.syncClusterMetrics()
	return nil
}

// listenerPlan is the listener part of an update, built but not applied.
type listenerPlan struct {
	s *Server
	// next is the listener list after the update, in config order.
	next []*liveListener
	// fresh were bound by this update; inPlace get a new chain; retire
	// drain after the commit.
	fresh   []*liveListener
	inPlace []inPlaceUpdate
	retire  []*liveListener
}

type inPlaceUpdate struct {
	ll    *liveListener
	cfg   config.ListenerConfig
	built *builtChain
}

// planListeners builds what the listener changes need.
func (s *Server) planListeners(old, next []config.ListenerConfig) (*listenerPlan, error) {
	p := &listenerPlan{s: s}
	s.lnMu.Lock()
	live := map[string]*liveListener{}
	for _, ll := range s.listeners {
		live[ll.cfg.Name] = ll
	}
	s.lnMu.Unlock()
	keep := map[string]bool{}
	for i, lc := range next {
		keep[lc.Name] = true
		ll := live[lc.Name]
		switch {
		case ll != nil && sameConfig(ll.cfg, lc):
			p.next = append(p.next, ll)
		case ll != nil && sameSocket(ll.cfg, lc):
			b, err := s.buildChain(lc, ll.built)
			if err != nil {
				p.abort()
				return nil, fmt.Errorf("servers[0].listeners[%d]: %w", i, err)
			}
			p.inPlace = append(p.inPlace, inPlaceUpdate{ll, lc, b})
			p.next = append(p.next, ll)
		default:
			var reuse *builtChain
			if ll != nil {
				reuse = ll.built
			}
			b, err := s.buildChain(lc, reuse)
			if err != nil {
				p.abort()
				return nil, fmt.Errorf("servers[0].listeners[%d]: %w", i, err)
			}
			nl, err := s.bindListener(lc, b)
			if err != nil {
				b.closeLogs(reuse)
				p.abort()
				return nil, fmt.Errorf("servers[0].listeners[%d]: %w", i, err)
			}
			p.fresh = append(p.fresh, nl)
			p.next = append(p.next, nl)
			if ll != nil {
				p.retire = append(p.retire, ll)
			}
		}
	}
	for name, ll := range live {
		if !keep[name] {
			p.retire = append(p.retire, ll)
		}
	}
	return p, nil
}

// abort closes what the plan built.
func (p *listenerPlan) abort() {
	for _, u := range p.inPlace {
		u.built.closeLogs(u.ll.built)
	}
	for _, nl := range p.fresh {
		nl.ln.Close()
		var reuse *builtChain
		for _, r := range p.retire {
			if r.cfg.Name == nl.cfg.Name {
				reuse = r.built
			}
		}
		nl.built.closeLogs(reuse)
	}
}

// commit swaps the listeners in: in-place chains, new listeners serving,
// retired ones draining in the background.
func (p *listenerPlan) commit() {
	s := p.s
	s.lnMu.Lock()
	for _, u := range p.inPlace {
		old := u.ll.built
		u.ll.chain.b.Store(u.built)
		u.ll.built, u.ll.cfg = u.built, u.cfg
		s.retireLogs(old, u.built)
	}
	s.listeners = p.next
	if s.running && !s.closed {
		for _, nl := range p.fresh {
			s.serveListener(nl)
		}
	}
	closed := s.closed
	s.lnMu.Unlock()
	for _, u := range p.inPlace {
		s.listenerMetrics(u.ll)
	}
	for _, ll := range p.retire {
		var successor *builtChain
		for _, nl := range p.fresh {
			if nl.cfg.Name == ll.cfg.Name {
				successor = nl.built
			}
		}
		if successor == nil {
			s.forgetListenerMetrics(ll)
		}
		s.lnMu.Lock()
		s.retireLogs(ll.built, successor)
		s.lnMu.Unlock()
		s.drain(ll)
	}
	for _, nl := range p.fresh {
		s.listenerMetrics(nl)
	}
	s.syncLogMetrics()
	if closed {
		for _, nl := range p.fresh {
			nl.ln.Close()
		}
	}
}

// retireLogs keeps old's access logs that next does not reuse, to be
// closed with the server: connections built with old's chain may still
// write to them. s.lnMu is held.
func (s *Server) retireLogs(old, next *builtChain) {
	old.closeTLS()
	held := map[any]bool{}
	if next != nil {
		for _, l := range next.logs {
			held[l] = true
		}
	}
	for _, l := range old.logs {
		if !held[l] {
			s.retired = append(s.retired, l)
		}
	}
}

// drain stops ll accepting and lets its connections finish within
// graceful_timeout, in the background; Close cuts what remains.
func (s *Server) drain(ll *liveListener) {
	timeout := s.GracefulTimeout()
	s.lnMu.Lock()
	s.retiredLns = append(s.retiredLns, ll.ln)
	s.lnMu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		s.shutdownListener(ctx, ll.ln)
	}()
}

// shutdownListener shuts ln down (stop accepting, drain connections until
// ctx ends) once; a later call waits for the first to finish, or for ctx.
func (s *Server) shutdownListener(ctx context.Context, ln *network.Listener) error {
	s.lnMu.Lock()
	if s.drains == nil {
		s.drains = map[*network.Listener]chan struct{}{}
	}
	done, running := s.drains[ln]
	if !running {
		done = make(chan struct{})
		s.drains[ln] = done
	}
	s.lnMu.Unlock()
	if running {
		select {
		case <-done:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	defer close(done)
	return ln.Shutdown(ctx)
}
