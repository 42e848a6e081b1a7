// Package xds is the xDS v3 client: an ADS stream over gRPC (State of the
// World or Delta) whose resources are converted (package convert) and
// applied to the running proxy through core's dynamic config API
// (server.Server.Update), with Envoy's ordering and warming rules.
package xds

import (
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"

	"github.com/seed405ffdea/mosn/core/config"
	"github.com/seed405ffdea/mosn/istio-adapter/convert"
)

// Type URLs the controller handles, in Envoy's order.
const (
	ClusterType  = resourcev3.ClusterType
	EndpointType = resourcev3.EndpointType
	ListenerType = resourcev3.ListenerType
	RouteType    = resourcev3.RouteType
)

// Target is the running proxy; *server.Server implements it.
type Target interface {
	// Update applies a change set atomically or refuses it whole.
	Update(u *config.Update) error
}

// HostUpdater is an optional interface of a Target: the EDS entry point
// that replaces one running cluster's hosts validating only that cluster
// (server.Server.UpdateClusterHosts). Without it, endpoint updates go
// through Update.
type HostUpdater interface {
	UpdateClusterHosts(cluster string, hosts []config.HostConfig) error
}

// Resource is one decoded xDS resource.
type Resource struct {
	Name    string
	Version string
	Msg     proto.Message
}

// State of a resource in the controller.
const (
	stateWarming = "warming"
	stateActive  = "active"
	stateError   = "error"
)

type entry struct {
	res     proto.Message
	version string
	updated time.Time
	state   string
	err     string // last error, for config_dump's error_state
	notes   []string

	cluster  *convert.Cluster
	listener *convert.Listener
	route    *convert.Route
	hosts    *convert.Endpoints
	since    time.Time // warming since
	// pending is a newer version waiting for a dependency while this one
	// keeps running.
	pending *entry
}

// Controller owns the xDS view: the resources accepted from the control
// plane, their versions, and which of them are applied to the target.
// Its methods are safe for concurrent use; the client calls Handle from
// its one receive goroutine.
type Controller struct {
	mu      sync.Mutex
	target  Target
	log     *slog.Logger
	metrics *Metrics
	now     func() time.Time
	// warmTimeout is how long a warming cluster or listener waits for its
	// dependency before it is applied without it (clusters, with no
	// hosts) — Envoy's initial_fetch_timeout. 0 waits forever.
	warmTimeout time.Duration

	clusters  map[string]*entry // by cluster name
	endpoints map[string]*entry // by EDS service name
	listeners map[string]*entry // by listener name
	routes    map[string]*entry // by route configuration name
	versions  map[string]string // type URL -> last accepted version
	// failures are the refused resources by type URL and name, until a
	// later version of them is applied.
	failures map[string]map[string]failure

	// counts are update attempts, successes and rejections by type URL,
	// for Envoy's cluster_manager.cds.* and listener_manager.lds.* stats.
	counts map[string]*[3]uint64

	// removing are clusters the control plane removed that a route
	// table still named when it did; advance retries their removal.
	removing map[string]bool

	// applied tracks what the target runs, by kind.
	applied struct{ clusters, listeners, routers map[string]bool }
}

// ControllerOptions configure NewController.
type ControllerOptions struct {
	Target Target
	// Logger; nil discards.
	Logger *slog.Logger
	// Metrics; nil records nothing.
	Metrics *Metrics
	// WarmTimeout is Envoy's initial_fetch_timeout for warming resources;
	// 0 waits forever.
	WarmTimeout time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// NewController returns a controller applying to o.Target.
func NewController(o ControllerOptions) *Controller {
	c := &Controller{
		target:      o.Target,
		log:         o.Logger,
		metrics:     o.Metrics,
		now:         o.Now,
		warmTimeout: o.WarmTimeout,
		clusters:    map[string]*entry{},
		endpoints:   map[string]*entry{},
		listeners:   map[string]*entry{},
		routes:      map[string]*entry{},
		versions:    map[string]string{},
		failures:    map[string]map[string]failure{},
		removing:    map[string]bool{},
		counts:      map[string]*[3]uint64{},
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	c.applied.clusters = map[string]bool{}
	c.applied.listeners = map[string]bool{}
	c.applied.routers = map[string]bool{}
	return c
}

// resourceErrors collects per-resource refusals for the NACK's
// error_detail.
type resourceErrors []resourceError

type resourceError struct {
	kind, name string
	err        error
}

func (e *resourceErrors) add(kind, name string, err error) {
	*e = append(*e, resourceError{kind, name, err})
}

func (e resourceErrors) err() error {
	if len(e) == 0 {
		return nil
	}
	msgs := make([]string, len(e))
	for i, r := range e {
		msgs[i] = fmt.Sprintf("%s %q: %v", r.kind, r.name, r.err)
	}
	sort.Strings(msgs)
	return errors.New(strings.Join(msgs, "; "))
}

// failure is a resource the last update of its type refused (Envoy's
// UpdateFailureState in config_dump).
type failure struct {
	res  proto.Message
	msg  string
	when time.Time
}

// Handle applies one response of typeURL. full is true for a State of the
// World response of a type whose absent resources are removed (CDS, LDS);
// removed lists removals (Delta). It returns nil to ACK, or the reasons
// to NACK with: the resources that could be applied are applied, the
// others keep their last good config.
func (c *Controller) Handle(typeURL string, res []Resource, removed []string, full bool, version string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs resourceErrors
	switch typeURL {
	case ClusterType:
		c.onClusters(res, removed, full, &errs)
	case EndpointType:
		c.onEndpoints(res, removed, &errs)
	case ListenerType:
		c.onListeners(res, removed, full, &errs)
	case RouteType:
		c.onRoutes(res, removed, &errs)
	default:
		return fmt.Errorf("xds: unexpected type %s", typeURL)
	}
	c.advance()
	c.recordFailures(typeURL, res, errs)
	err := errs.err()
	kind := shortType(typeURL)
	n := c.counts[typeURL]
	if n == nil {
		n = &[3]uint64{}
		c.counts[typeURL] = n
	}
	n[0]++
	if err != nil {
		n[2]++
	} else {
		n[1]++
	}
	if err != nil {
		c.metrics.rejected(kind)
		c.log.Warn("xds: update rejected", "type", kind, "version", version, "error", err)
	} else {
		c.versions[typeURL] = version
		c.metrics.applied(kind)
		c.log.Info("xds: update applied", "type", kind, "version", version, "resources", len(res), "removed", len(removed))
	}
	return err
}

func (c *Controller) recordFailures(typeURL string, res []Resource, errs resourceErrors) {
	m := c.failures[typeURL]
	if m == nil {
		m = map[string]failure{}
		c.failures[typeURL] = m
	}
	bad := map[string]bool{}
	for _, e := range errs {
		bad[e.name] = true
		f := failure{msg: e.err.Error(), when: c.now()}
		for _, r := range res {
			if r.Name == e.name {
				f.res = r.Msg
			}
		}
		m[e.name] = f
	}
	for _, r := range res {
		if !bad[r.Name] {
			delete(m, r.Name)
		}
	}
	notes := 0
	for _, e := range c.table(typeURL) {
		notes += len(e.notes)
	}
	c.metrics.setNotes(shortType(typeURL), notes)
}

// Version returns the last version of typeURL accepted.
func (c *Controller) Version(typeURL string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.versions[typeURL]
}

// Names returns the resource names to subscribe to for EDS (the service
// names of the EDS clusters) and RDS (the route names of the listeners);
// nil for the wildcard types.
func (c *Controller) Names(typeURL string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	set := map[string]bool{}
	switch typeURL {
	case EndpointType:
		for _, e := range c.clusters {
			if e.cluster != nil && e.cluster.ServiceName != "" {
				set[e.cluster.ServiceName] = true
			}
		}
	case RouteType:
		for _, e := range c.listeners {
			if e.listener != nil {
				for _, n := range e.listener.RDS {
					set[n] = true
				}
			}
		}
	default:
		return nil
	}
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Versions returns name -> version of the resources held for typeURL
// (Delta's initial_resource_versions on reconnect).
func (c *Controller) Versions(typeURL string) map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.table(typeURL)
	out := make(map[string]string, len(m))
	for n, e := range m {
		if e.res != nil {
			out[n] = e.version
		}
	}
	return out
}

// Warming reports how many clusters wait for their endpoints.
func (c *Controller) Warming() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, e := range c.clusters {
		if e.state == stateWarming {
			n++
		}
	}
	return n
}

// Expire applies the warming resources that waited longer than the warm
// timeout: clusters without endpoints (no hosts), as Envoy does after
// initial_fetch_timeout.
func (c *Controller) Expire() {
	if c.warmTimeout <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	for name, e := range c.clusters {
		if e.state == stateWarming && now.Sub(e.since) >= c.warmTimeout {
			c.log.Warn("xds: cluster warming timed out, applied without endpoints", "cluster", name)
			cc := e.cluster.Config
			cc.Hosts = nil
			e := e
			c.apply([]part{{kind: "cluster", name: name, u: config.Update{Clusters: []config.ClusterConfig{cc}}, ok: func() { c.activate(e) }}}, nil)
		}
	}
	c.advance()
}

func (c *Controller) table(typeURL string) map[string]*entry {
	switch typeURL {
	case ClusterType:
		return c.clusters
	case EndpointType:
		return c.endpoints
	case ListenerType:
		return c.listeners
	case RouteType:
		return c.routes
	}
	return nil
}

func (c *Controller) activate(e *entry) {
	e.state, e.err = stateActive, ""
	e.updated = c.now()
}

func (c *Controller) fail(e *entry, err error) {
	e.err = err.Error()
	c.metrics.rejected("deferred")
	c.log.Warn("xds: deferred apply failed", "error", err)
}

func shortType(t string) string {
	switch t {
	case ClusterType:
		return "cds"
	case EndpointType:
		return "eds"
	case ListenerType:
		return "lds"
	case RouteType:
		return "rds"
	}
	return t
}

// apply applies the parts in one update; when that is refused and there
// are several, each is applied on its own so the good ones still land.
// Refusals are added to errs (nil: handled by fail).
func (c *Controller) apply(parts []part, errs *resourceErrors) {
	if len(parts) == 0 {
		return
	}
	// Endpoint updates of running clusters take the EDS entry point, one
	// cluster at a time.
	if hu, ok := c.target.(HostUpdater); ok {
		rest := parts[:0:0]
		for i := range parts {
			p := &parts[i]
			if !hostsOnly(&p.u) {
				rest = append(rest, *p)
				continue
			}
			if err := hu.UpdateClusterHosts(p.u.Hosts[0].Cluster, p.u.Hosts[0].Hosts); err != nil {
				if errs != nil {
					errs.add(p.kind, p.name, err)
				}
				continue
			}
			if p.ok != nil {
				p.ok()
			}
		}
		if parts = rest; len(parts) == 0 {
			return
		}
	}
	var all config.Update
	for i := range parts {
		merge(&all, &parts[i].u)
	}
	done := func(p *part) {
		c.record(&p.u)
		if p.ok != nil {
			p.ok()
		}
	}
	err := c.target.Update(&all)
	if err == nil {
		for i := range parts {
			done(&parts[i])
		}
		return
	}
	for i := range parts {
		p := &parts[i]
		if len(parts) > 1 {
			err = c.target.Update(&p.u)
		}
		if err != nil {
			switch {
			case p.deferred:
				// A removal still referenced: retried by advance.
			case errs != nil:
				errs.add(p.kind, p.name, err)
			default:
				c.log.Warn("xds: deferred apply failed", "kind", p.kind, "name", p.name, "error", err)
				c.metrics.rejected("deferred")
			}
			if p.failed != nil {
				p.failed(err)
			} else if e := c.entryOf(p.kind, p.name); e != nil {
				e.err = err.Error()
			}
			continue
		}
		done(p)
	}
}

func (c *Controller) entryOf(kind, name string) *entry {
	switch kind {
	case "cluster":
		return c.clusters[name]
	case "endpoints":
		return c.endpoints[name]
	case "listener":
		return c.listeners[name]
	case "route":
		return c.routes[name]
	}
	return nil
}

// part is the change one resource makes; ok runs once it is applied.
type part struct {
	kind, name string
	u          config.Update
	ok         func()
	failed     func(error)
	// deferred: a refusal is not an error of the response (a removal of
	// a cluster a route table still names waits for the table to change,
	// as Envoy removes it without asking).
	deferred bool
}

func hostsOnly(u *config.Update) bool {
	return len(u.Hosts) == 1 && len(u.Listeners) == 0 && len(u.Clusters) == 0 && len(u.Routers) == 0 &&
		len(u.RemoveListeners) == 0 && len(u.RemoveClusters) == 0 && len(u.RemoveRouters) == 0
}

func merge(dst, src *config.Update) {
	dst.Listeners = append(dst.Listeners, src.Listeners...)
	dst.Clusters = append(dst.Clusters, src.Clusters...)
	dst.Routers = append(dst.Routers, src.Routers...)
	dst.Hosts = append(dst.Hosts, src.Hosts...)
	dst.RemoveListeners = append(dst.RemoveListeners, src.RemoveListeners...)
	dst.RemoveClusters = append(dst.RemoveClusters, src.RemoveClusters...)
	dst.RemoveRouters = append(dst.RemoveRouters, src.RemoveRouters...)
}

func (c *Controller) record(u *config.Update) {
	for _, l := range u.Listeners {
		c.applied.listeners[l.Name] = true
	}
	for _, cl := range u.Clusters {
		c.applied.clusters[cl.Name] = true
	}
	for _, r := range u.Routers {
		c.applied.routers[r.RouterConfigName] = true
	}
	for _, n := range u.RemoveListeners {
		delete(c.applied.listeners, n)
	}
	for _, n := range u.RemoveClusters {
		delete(c.applied.clusters, n)
	}
	for _, n := range u.RemoveRouters {
		delete(c.applied.routers, n)
	}
}
