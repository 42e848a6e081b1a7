package xds

import (
	"encoding/json"
	"net/http"
	"sort"
	"sync/atomic"
	"time"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/seed405ffdea/mosn/core/metrics"
)

// ConfigDump returns the xDS resources in Envoy's /config_dump shape:
// clusters, endpoints, listeners and route configurations with their
// versions and last update times; warming resources in their warming
// state, refused ones in their error state.
func (c *Controller) ConfigDump() (*adminv3.ConfigDump, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ts := func(t time.Time) *timestamppb.Timestamp {
		if t.IsZero() {
			return nil
		}
		return timestamppb.New(t)
	}
	pack := func(m proto.Message) (*anypb.Any, error) {
		if m == nil {
			return nil, nil
		}
		return anypb.New(m)
	}
	failState := func(typeURL, name string) (*adminv3.UpdateFailureState, error) {
		f, ok := c.failures[typeURL][name]
		if !ok {
			return nil, nil
		}
		a, err := pack(f.res)
		if err != nil {
			return nil, err
		}
		return &adminv3.UpdateFailureState{FailedConfiguration: a, LastUpdateAttempt: ts(f.when), Details: f.msg}, nil
	}

	cd := &adminv3.ClustersConfigDump{VersionInfo: c.versions[ClusterType]}
	for _, name := range sortedNames(c.clusters, c.failures[ClusterType]) {
		e := c.clusters[name]
		fs, err := failState(ClusterType, name)
		if err != nil {
			return nil, err
		}
		dc := &adminv3.ClustersConfigDump_DynamicCluster{ErrorState: fs}
		if e != nil {
			if dc.Cluster, err = pack(e.res); err != nil {
				return nil, err
			}
			dc.VersionInfo, dc.LastUpdated = e.version, ts(e.updated)
		}
		if e != nil && e.state == stateWarming {
			cd.DynamicWarmingClusters = append(cd.DynamicWarmingClusters, dc)
		} else {
			cd.DynamicActiveClusters = append(cd.DynamicActiveClusters, dc)
		}
	}
	ed := &adminv3.EndpointsConfigDump{}
	for _, name := range sortedNames(c.endpoints, c.failures[EndpointType]) {
		e := c.endpoints[name]
		fs, err := failState(EndpointType, name)
		if err != nil {
			return nil, err
		}
		de := &adminv3.EndpointsConfigDump_DynamicEndpointConfig{ErrorState: fs}
		if e != nil {
			if de.EndpointConfig, err = pack(e.res); err != nil {
				return nil, err
			}
			de.VersionInfo, de.LastUpdated = e.version, ts(e.updated)
		}
		ed.DynamicEndpointConfigs = append(ed.DynamicEndpointConfigs, de)
	}
	ld := &adminv3.ListenersConfigDump{VersionInfo: c.versions[ListenerType]}
	for _, name := range sortedNames(c.listeners, c.failures[ListenerType]) {
		e := c.listeners[name]
		fs, err := failState(ListenerType, name)
		if err != nil {
			return nil, err
		}
		dl := &adminv3.ListenersConfigDump_DynamicListener{Name: name, ErrorState: fs}
		for _, x := range []*entry{e, pendingOf(e)} {
			if x == nil {
				continue
			}
			a, err := pack(x.res)
			if err != nil {
				return nil, err
			}
			st := &adminv3.ListenersConfigDump_DynamicListenerState{VersionInfo: x.version, Listener: a, LastUpdated: ts(x.updated)}
			if x.state == stateWarming {
				dl.WarmingState = st
			} else {
				dl.ActiveState = st
			}
		}
		ld.DynamicListeners = append(ld.DynamicListeners, dl)
	}
	rd := &adminv3.RoutesConfigDump{}
	for _, name := range sortedNames(c.routes, c.failures[RouteType]) {
		e := c.routes[name]
		fs, err := failState(RouteType, name)
		if err != nil {
			return nil, err
		}
		dr := &adminv3.RoutesConfigDump_DynamicRouteConfig{ErrorState: fs}
		if e != nil {
			if dr.RouteConfig, err = pack(e.res); err != nil {
				return nil, err
			}
			dr.VersionInfo, dr.LastUpdated = e.version, ts(e.updated)
		}
		rd.DynamicRouteConfigs = append(rd.DynamicRouteConfigs, dr)
	}
	out := &adminv3.ConfigDump{}
	for _, m := range []proto.Message{cd, ed, ld, rd} {
		a, err := anypb.New(m)
		if err != nil {
			return nil, err
		}
		out.Configs = append(out.Configs, a)
	}
	return out, nil
}

func pendingOf(e *entry) *entry {
	if e == nil {
		return nil
	}
	return e.pending
}

func sortedNames(m map[string]*entry, f map[string]failure) []string {
	set := map[string]bool{}
	for n := range m {
		set[n] = true
	}
	for n := range f {
		set[n] = true
	}
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Status is what the conversion skipped, per resource: the filters and
// fields not run (telemetry-only or optional filters, ignored fields).
func (c *Controller) Status() map[string]map[string][]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]map[string][]string{}
	for _, t := range []string{ClusterType, EndpointType, ListenerType, RouteType} {
		for name, e := range c.table(t) {
			if len(e.notes) == 0 {
				continue
			}
			k := shortType(t)
			if out[k] == nil {
				out[k] = map[string][]string{}
			}
			out[k][name] = e.notes
		}
	}
	return out
}

// EnvoyStats returns Envoy's xDS update stats:
// cluster_manager.cds.{update_attempt,update_success,update_rejected} and
// listener_manager.lds.{...}, which Istio's pilot-agent reads from
// /stats to decide that the proxy is ready.
func (c *Controller) EnvoyStats() []metrics.Stat {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []metrics.Stat
	for _, t := range []struct{ url, scope string }{{ClusterType, "cluster_manager.cds"}, {ListenerType, "listener_manager.lds"}} {
		n := c.counts[t.url]
		if n == nil {
			n = &[3]uint64{}
		}
		for i, key := range []string{"update_attempt", "update_success", "update_rejected"} {
			out = append(out, metrics.Stat{Name: t.scope + "." + key, Type: "xds", Scope: t.scope, Key: key, Value: float64(n[i])})
		}
	}
	return out
}

// Stats returns the bound controller's EnvoyStats (for
// server.Options.AdminStats); nil before Set or on a nil *Handlers.
func (h *Handlers) Stats() []metrics.Stat {
	if h == nil {
		return nil
	}
	if c := h.c.Load(); c != nil {
		return c.EnvoyStats()
	}
	return nil
}

// Handlers serve a controller that may be set after the admin API is
// built (the controller needs the server, the server's admin needs the
// handlers): /config_dump in Envoy's shape and /xds/skipped.
type Handlers struct{ c atomic.Pointer[Controller] }

// Set binds the controller; on a nil *Handlers it does nothing.
func (h *Handlers) Set(c *Controller) {
	if h != nil {
		h.c.Store(c)
	}
}

// Map returns the admin endpoints: "/config_dump" and "/xds/skipped".
// A nil *Handlers has none.
func (h *Handlers) Map() map[string]http.Handler {
	if h == nil {
		return nil
	}
	return map[string]http.Handler{
		"/config_dump": http.HandlerFunc(h.configDump),
		"/xds/skipped": http.HandlerFunc(h.skipped),
	}
}

func (h *Handlers) configDump(w http.ResponseWriter, r *http.Request) {
	c := h.c.Load()
	if c == nil {
		http.Error(w, "xds: no controller yet", http.StatusServiceUnavailable)
		return
	}
	cd, err := c.ConfigDump()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	b, err := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(cd)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

func (h *Handlers) skipped(w http.ResponseWriter, r *http.Request) {
	c := h.c.Load()
	if c == nil {
		http.Error(w, "xds: no controller yet", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(c.Status())
}
