package xds

import (
	"slices"

	"google.golang.org/protobuf/proto"

	"github.com/seed405ffdea/mosn/core/config"
	"github.com/seed405ffdea/mosn/istio-adapter/convert"
)

// unchanged reports whether e already holds res in a good state.
func unchanged(e *entry, res proto.Message) bool {
	return e != nil && e.err == "" && proto.Equal(e.res, res)
}

// incoming checks one resource of a response: its type, whether it
// changed, and its conversion. ok is false when there is nothing to apply:
// it is unchanged (its version is updated), or it is refused (recorded in
// errs).
func incoming[M proto.Message, T any](tbl map[string]*entry, kind string, r Resource, conv func(M) (T, error), errs *resourceErrors) (m M, out T, old *entry, ok bool) {
	m, isM := r.Msg.(M)
	if !isM {
		errs.add(kind, r.Name, errWrongType)
		return m, out, nil, false
	}
	old = tbl[r.Name]
	if unchanged(old, m) {
		old.version = r.Version
		return m, out, old, false
	}
	out, err := conv(m)
	if err != nil {
		errs.add(kind, r.Name, err)
		return m, out, old, false
	}
	return m, out, old, true
}

// hostsFor returns the cluster's hosts from its endpoints, with hosts
// outside the TLS transport socket match marked plaintext.
func hostsFor(cl *convert.Cluster, eds *entry) []config.HostConfig {
	if eds == nil || eds.hosts == nil {
		return nil
	}
	hosts := append([]config.HostConfig(nil), eds.hosts.Hosts...)
	convert.MarkPlaintext(hosts, cl.TLSMatch)
	return hosts
}

func (c *Controller) onClusters(res []Resource, removed []string, full bool, errs *resourceErrors) {
	seen := map[string]bool{}
	var parts []part
	for _, r := range res {
		seen[r.Name] = true
		cl, conv, _, ok := incoming(c.clusters, "cluster", r, convert.ConvertCluster, errs)
		if !ok {
			continue
		}
		e := &entry{res: cl, version: r.Version, cluster: conv, notes: conv.Notes.Skipped, since: c.now(), state: stateWarming}
		cc := conv.Config
		if conv.ServiceName != "" {
			eds := c.endpoints[conv.ServiceName]
			if eds == nil {
				// Warming: the running cluster (if any) keeps serving until
				// the endpoints arrive.
				c.clusters[r.Name] = e
				continue
			}
			cc.Hosts = hostsFor(conv, eds)
		}
		name := r.Name
		parts = append(parts, part{kind: "cluster", name: name, u: config.Update{Clusters: []config.ClusterConfig{cc}}, ok: func() {
			c.clusters[name] = e
			c.activate(e)
		}})
	}
	if full {
		for n := range c.clusters {
			if !seen[n] {
				removed = append(removed, n)
			}
		}
	}
	for _, n := range removed {
		name := n
		delete(c.clusters, name)
		if c.applied.clusters[name] {
			parts = append(parts, c.removeClusterPart(name))
		}
	}
	c.apply(parts, errs)
}

// removeClusterPart removes a cluster from the proxy; while a route table
// still names it, the removal waits (removing) instead of failing.
func (c *Controller) removeClusterPart(name string) part {
	return part{kind: "cluster", name: name, u: config.Update{RemoveClusters: []string{name}}, deferred: true,
		ok:     func() { delete(c.removing, name) },
		failed: func(error) { c.removing[name] = true },
	}
}

func (c *Controller) onEndpoints(res []Resource, removed []string, errs *resourceErrors) {
	var parts []part
	for _, r := range res {
		cla, conv, _, ok := incoming(c.endpoints, "endpoints", r, convert.ConvertEndpoints, errs)
		if !ok {
			continue
		}
		e := &entry{res: cla, version: r.Version, hosts: conv, notes: conv.Notes.Skipped, updated: c.now(), state: stateActive}
		c.endpoints[r.Name] = e
		parts = append(parts, c.endpointParts(r.Name, e)...)
	}
	for _, n := range removed {
		delete(c.endpoints, n)
		parts = append(parts, c.endpointParts(n, &entry{hosts: &convert.Endpoints{}})...)
	}
	c.apply(parts, errs)
}

// endpointParts are the updates new endpoints of service make: warming
// clusters are applied with them, active clusters get them in place.
func (c *Controller) endpointParts(service string, eds *entry) []part {
	var parts []part
	for name, e := range c.clusters {
		if e.cluster == nil || e.cluster.ServiceName != service {
			continue
		}
		hosts := hostsFor(e.cluster, eds)
		if hosts == nil {
			hosts = []config.HostConfig{}
		}
		name, e := name, e
		if e.state == stateWarming {
			cc := e.cluster.Config
			cc.Hosts = hosts
			parts = append(parts, part{kind: "endpoints", name: service, u: config.Update{Clusters: []config.ClusterConfig{cc}}, ok: func() { c.activate(e) }})
		} else if c.applied.clusters[name] {
			parts = append(parts, part{kind: "endpoints", name: service, u: config.Update{Hosts: []config.ClusterHosts{{Cluster: name, Hosts: hosts}}}})
		}
	}
	return parts
}

func (c *Controller) onListeners(res []Resource, removed []string, full bool, errs *resourceErrors) {
	seen := map[string]bool{}
	var parts []part
	for _, r := range res {
		seen[r.Name] = true
		l, conv, old, ok := incoming(c.listeners, "listener", r, convert.ConvertListener, errs)
		if !ok {
			continue
		}
		e := &entry{res: l, version: r.Version, listener: conv, notes: conv.Notes.Skipped, since: c.now(), state: stateWarming}
		if !c.routesReady(conv) {
			// Warming until its route tables arrive; the running listener
			// (if any) keeps serving.
			if old == nil || old.state != stateActive {
				c.listeners[r.Name] = e
			} else {
				c.pendingListener(r.Name, e)
			}
			continue
		}
		parts = append(parts, c.listenerPart(r.Name, old, e))
	}
	if full {
		for n := range c.listeners {
			if !seen[n] {
				removed = append(removed, n)
			}
		}
	}
	for _, n := range removed {
		name := n
		e := c.listeners[name]
		if !c.applied.listeners[name] {
			delete(c.listeners, name)
			continue
		}
		u := config.Update{RemoveListeners: []string{name}}
		if e != nil && e.listener != nil {
			for _, rt := range e.listener.Routes {
				if c.applied.routers[rt.RouterConfigName] {
					u.RemoveRouters = append(u.RemoveRouters, rt.RouterConfigName)
				}
			}
		}
		parts = append(parts, part{kind: "listener", name: name, u: u, ok: func() { delete(c.listeners, name) }})
	}
	c.apply(parts, errs)
}

// pending holds a changed listener that waits for routes while its
// previous version keeps running.
func (c *Controller) pendingListener(name string, e *entry) {
	old := c.listeners[name]
	old.pending = e
}

// listenerPart applies e (replacing old): its inline route tables with it,
// and removes inline tables of old that e no longer has.
func (c *Controller) listenerPart(name string, old, e *entry) part {
	u := config.Update{Listeners: []config.ListenerConfig{e.listener.Config}, Routers: e.listener.Routes}
	if old != nil && old.listener != nil {
		keep := map[string]bool{}
		for _, rt := range e.listener.Routes {
			keep[rt.RouterConfigName] = true
		}
		for _, rt := range old.listener.Routes {
			if !keep[rt.RouterConfigName] && c.applied.routers[rt.RouterConfigName] {
				u.RemoveRouters = append(u.RemoveRouters, rt.RouterConfigName)
			}
		}
	}
	return part{kind: "listener", name: name, u: u, ok: func() {
		c.listeners[name] = e
		c.activate(e)
	}}
}

func (c *Controller) routesReady(l *convert.Listener) bool {
	for _, n := range l.RDS {
		if !c.applied.routers[n] {
			return false
		}
	}
	return true
}

// clustersReady reports whether no cluster the table names is warming.
// Unknown clusters do not hold the table back: core refuses them.
func (c *Controller) clustersReady(t *config.RouterConfig) bool {
	for _, vh := range t.VirtualHosts {
		for _, r := range vh.Routers {
			names := []string{r.Route.ClusterName}
			for _, w := range r.Route.WeightedClusters {
				names = append(names, w.Cluster.Name)
			}
			for _, n := range names {
				if e := c.clusters[n]; n != "" && e != nil && e.state == stateWarming && !c.applied.clusters[n] {
					return false
				}
			}
		}
	}
	return true
}

func (c *Controller) onRoutes(res []Resource, removed []string, errs *resourceErrors) {
	var parts []part
	for _, r := range res {
		rc, conv, old, ok := incoming(c.routes, "route", r, convert.ConvertRoute, errs)
		if !ok {
			continue
		}
		e := &entry{res: rc, version: r.Version, route: conv, notes: conv.Notes.Skipped, since: c.now(), state: stateWarming}
		if !c.clustersReady(&conv.Config) {
			if old == nil || old.state != stateActive {
				c.routes[r.Name] = e
			} else {
				old.pending = e
			}
			continue
		}
		parts = append(parts, c.routePart(r.Name, e))
	}
	for _, n := range removed {
		name := n
		if c.routeInUse(name) || !c.applied.routers[name] {
			delete(c.routes, name)
			continue
		}
		parts = append(parts, part{kind: "route", name: name, u: config.Update{RemoveRouters: []string{name}}, ok: func() { delete(c.routes, name) }})
	}
	c.apply(parts, errs)
}

func (c *Controller) routePart(name string, e *entry) part {
	return part{kind: "route", name: name, u: config.Update{Routers: []config.RouterConfig{e.route.Config}}, ok: func() {
		c.routes[name] = e
		c.activate(e)
	}}
}

// routeNamed reports whether a listener held (active, warming or
// pending) names the route table.
func (c *Controller) routeNamed(name string) bool {
	for _, e := range c.listeners {
		for _, x := range []*entry{e, e.pending} {
			if x != nil && x.listener != nil && slices.Contains(x.listener.RDS, name) {
				return true
			}
		}
	}
	return false
}

func (c *Controller) routeInUse(name string) bool {
	for n, e := range c.listeners {
		if c.applied.listeners[n] && e.listener != nil {
			for _, r := range e.listener.RDS {
				if r == name {
					return true
				}
			}
		}
	}
	return false
}

// advance applies what waited for a dependency that is now there: route
// tables whose clusters are active, then listeners whose route tables
// are, then removals of clusters no longer named. These were ACKed when they arrived, so a refusal now is logged,
// counted and shown in config_dump (the entry's error), not NACKed.
func (c *Controller) advance() {
	var parts []part
	for name, e := range c.routes {
		w := e
		if e.pending != nil {
			w = e.pending
		}
		if w.state == stateWarming && w.err == "" && c.clustersReady(&w.route.Config) {
			e.pending = nil
			p := c.routePart(name, w)
			p.failed = func(err error) { w.err = err.Error() }
			parts = append(parts, p)
		}
	}
	c.apply(parts, nil)
	parts = nil
	for name, e := range c.listeners {
		w := e
		var old *entry
		if e.pending != nil {
			w, old = e.pending, e
		}
		if w.state == stateWarming && w.err == "" && c.routesReady(w.listener) {
			e.pending = nil
			p := c.listenerPart(name, old, w)
			p.failed = func(err error) { w.err = err.Error() }
			parts = append(parts, p)
		}
	}
	c.apply(parts, nil)
	parts = nil
	// Route tables no listener names any more go, as Envoy drops an RDS
	// subscription with the last listener using it.
	for name, e := range c.routes {
		if c.routeNamed(name) {
			continue
		}
		if !c.applied.routers[name] {
			delete(c.routes, name)
			continue
		}
		name, e := name, e
		parts = append(parts, part{kind: "route", name: name, u: config.Update{RemoveRouters: []string{name}}, deferred: true,
			ok: func() {
				if c.routes[name] == e {
					delete(c.routes, name)
				}
			}})
	}
	c.apply(parts, nil)
	parts = nil
	for name := range c.removing {
		if c.clusters[name] != nil { // re-added meanwhile
			delete(c.removing, name)
			continue
		}
		parts = append(parts, c.removeClusterPart(name))
	}
	c.apply(parts, nil)
}

type wrongType struct{}

func (wrongType) Error() string { return "resource of an unexpected type" }

var errWrongType error = wrongType{}
