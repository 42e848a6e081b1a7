package xds

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"net/http/httptest"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"

	"github.com/seed405ffdea/mosn/core/config"
	"github.com/seed405ffdea/mosn/core/server"
	"github.com/seed405ffdea/mosn/istio-adapter/envoyjson"
	"github.com/seed405ffdea/mosn/istio-adapter/xdstest"
)

// configTarget applies updates to a config with core's own validation and
// records them: the controller's view of what reached the proxy.
type configTarget struct {
	cfg     *config.MOSNConfig
	updates []*config.Update
}

func newConfigTarget(t *testing.T) *configTarget {
	cfg := &config.MOSNConfig{Servers: []config.ServerConfig{{Listeners: []config.ListenerConfig{}, Routers: []config.RouterConfig{}}}}
	if err := cfg.ValidateWith(server.NewRegistries().Known()); err != nil {
		t.Fatal(err)
	}
	return &configTarget{cfg: cfg}
}

func (c *configTarget) Update(u *config.Update) error {
	next, err := c.cfg.Apply(u, server.NewRegistries().Known())
	if err != nil {
		return err
	}
	c.cfg = next
	c.updates = append(c.updates, u)
	return nil
}

func (c *configTarget) has(kind, name string) bool {
	switch kind {
	case "cluster":
		for _, cc := range c.cfg.ClusterManager.Clusters {
			if cc.Name == name {
				return true
			}
		}
	case "listener":
		for _, l := range c.cfg.Servers[0].Listeners {
			if l.Name == name {
				return true
			}
		}
	case "router":
		for _, r := range c.cfg.Servers[0].Routers {
			if r.RouterConfigName == name {
				return true
			}
		}
	}
	return false
}

func (c *configTarget) hosts(cluster string) []string {
	for _, cc := range c.cfg.ClusterManager.Clusters {
		if cc.Name == cluster {
			var out []string
			for _, h := range cc.Hosts {
				out = append(out, h.Address)
			}
			return out
		}
	}
	return nil
}

// Envoy's warming order: an EDS cluster waits for its endpoints, a route
// table for its clusters, a listener for its route table.
func TestWarmingOrder(t *testing.T) {
	tg := newConfigTarget(t)
	c := NewController(ControllerOptions{Target: tg})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(c.Handle(ClusterType, []Resource{{Name: "c1", Msg: xdstest.EDSCluster("c1")}}, nil, true, "1"))
	if tg.has("cluster", "c1") || c.Warming() != 1 {
		t.Fatalf("an EDS cluster without endpoints was applied (warming %d)", c.Warming())
	}
	if got := c.Names(EndpointType); len(got) != 1 || got[0] != "c1" {
		t.Fatalf("EDS names %v", got)
	}
	must(c.Handle(ListenerType, []Resource{{Name: "l", Msg: xdstest.HTTPListener(t, "l", "r")}}, nil, true, "1"))
	if tg.has("listener", "l") {
		t.Fatal("a listener was applied before its routes")
	}
	if got := c.Names(RouteType); len(got) != 1 || got[0] != "r" {
		t.Fatalf("RDS names %v", got)
	}
	must(c.Handle(RouteType, []Resource{{Name: "r", Msg: xdstest.WeightedRoute("r", "c1", 1)}}, nil, false, "1"))
	if tg.has("router", "r") || tg.has("listener", "l") {
		t.Fatal("a route table was applied before its cluster")
	}
	must(c.Handle(EndpointType, []Resource{{Name: "c1", Msg: xdstest.CLA("c1", "127.0.0.1:1")}}, nil, false, "1"))
	if !tg.has("cluster", "c1") || !tg.has("router", "r") || !tg.has("listener", "l") {
		t.Fatalf("endpoints did not complete the chain: %+v", tg.cfg.Servers[0])
	}
	if got := tg.hosts("c1"); len(got) != 1 || got[0] != "127.0.0.1:1" {
		t.Fatalf("hosts %v", got)
	}
	// Order of what reached core: cluster, then route, then listener.
	var order []string
	for _, u := range tg.updates {
		switch {
		case len(u.Clusters) > 0:
			order = append(order, "cluster")
		case len(u.Routers) > 0:
			order = append(order, "route")
		case len(u.Listeners) > 0:
			order = append(order, "listener")
		}
	}
	if strings.Join(order, ",") != "cluster,route,listener" {
		t.Errorf("order %v", order)
	}
	// EDS of an active cluster updates its hosts in place.
	must(c.Handle(EndpointType, []Resource{{Name: "c1", Msg: xdstest.CLA("c1", "127.0.0.1:2", "127.0.0.1:3")}}, nil, false, "2"))
	if u := tg.updates[len(tg.updates)-1]; len(u.Hosts) != 1 || len(u.Clusters) != 0 {
		t.Errorf("EDS update of an active cluster: %+v", u)
	}
	// Delta removals: the listener, then the cluster its route used.
	must(c.Handle(ListenerType, nil, []string{"l"}, false, "3"))
	if tg.has("listener", "l") {
		t.Error("removed listener still there")
	}
	must(c.Handle(RouteType, nil, []string{"r"}, false, "3"))
	must(c.Handle(ClusterType, nil, []string{"c1"}, false, "3"))
	if tg.has("cluster", "c1") || tg.has("router", "r") {
		t.Errorf("removals left %+v", tg.cfg)
	}
}

// After initial_fetch_timeout a warming cluster is applied without hosts.
func TestWarmingTimeout(t *testing.T) {
	tg := newConfigTarget(t)
	now := time.Unix(1000, 0)
	c := NewController(ControllerOptions{Target: tg, WarmTimeout: time.Second, Now: func() time.Time { return now }})
	if err := c.Handle(ClusterType, []Resource{{Name: "c1", Msg: xdstest.EDSCluster("c1")}}, nil, true, "1"); err != nil {
		t.Fatal(err)
	}
	now = now.Add(999 * time.Millisecond)
	c.Expire()
	if tg.has("cluster", "c1") {
		t.Fatal("applied before the timeout")
	}
	now = now.Add(time.Millisecond)
	c.Expire()
	if !tg.has("cluster", "c1") || c.Warming() != 0 {
		t.Fatal("not applied after the timeout")
	}
}

// A response with one bad resource applies the others and NACKs with
// the bad one's name and reason; the version stays the last good one.
func TestPartialNACK(t *testing.T) {
	tg := newConfigTarget(t)
	c := NewController(ControllerOptions{Target: tg})
	good := xdstest.EDSCluster("good")
	good.ClusterDiscoveryType = nil // STATIC
	bad := xdstest.EDSCluster("bad")
	bad.ClusterDiscoveryType = nil
	bad.ConnectTimeout.Seconds = -1 // core: must be positive
	err := c.Handle(ClusterType, []Resource{{Name: "good", Msg: good}, {Name: "bad", Msg: bad}}, nil, true, "7")
	if err == nil || !strings.Contains(err.Error(), `cluster "bad": `) || !strings.Contains(err.Error(), "connect_timeout: must be positive") {
		t.Fatalf("err = %v", err)
	}
	if !tg.has("cluster", "good") || tg.has("cluster", "bad") {
		t.Fatal("the good cluster was not applied alone")
	}
	if c.Version(ClusterType) != "" {
		t.Errorf("version after NACK = %q", c.Version(ClusterType))
	}
	got := map[string]float64{}
	for _, st := range c.EnvoyStats() {
		got[st.Name] = st.Value
	}
	if got["cluster_manager.cds.update_attempt"] != 1 || got["cluster_manager.cds.update_rejected"] != 1 || got["cluster_manager.cds.update_success"] != 0 {
		t.Errorf("Envoy stats %v", got)
	}
}

// config_dump shows what the controller holds in Envoy's shape: active,
// warming and refused resources with versions and the refusal reason; it
// reads back with the config dump reader.
func TestConfigDump(t *testing.T) {
	tg := newConfigTarget(t)
	c := NewController(ControllerOptions{Target: tg})
	good := xdstest.EDSCluster("good")
	good.ClusterDiscoveryType = nil
	bad := xdstest.EDSCluster("bad")
	bad.ClusterDiscoveryType = nil
	bad.ConnectTimeout.Seconds = -1
	c.Handle(ClusterType, []Resource{{Name: "good", Version: "7", Msg: good}, {Name: "bad", Version: "7", Msg: bad}, {Name: "warm", Version: "7", Msg: xdstest.EDSCluster("warm")}}, nil, true, "7")
	h := &Handlers{}
	h.Set(c)
	rec := httptest.NewRecorder()
	h.Map()["/config_dump"].ServeHTTP(rec, httptest.NewRequest("GET", "/config_dump", nil))
	var compact bytes.Buffer
	if err := json.Compact(&compact, rec.Body.Bytes()); err != nil {
		t.Fatal(err)
	}
	body := compact.String()
	for _, want := range []string{`"dynamicActiveClusters"`, `"dynamicWarmingClusters"`, `"errorState"`, `connect_timeout: must be positive`, `"versionInfo":"7"`} {
		if !strings.Contains(body, want) {
			t.Errorf("config_dump lacks %s:\n%s", want, body)
		}
	}
	d, err := envoyjson.ReadConfigDump(rec.Body.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, cl := range d.Clusters {
		names = append(names, cl.GetName())
	}
	if strings.Join(names, ",") != "good" {
		t.Errorf("active clusters read back: %v", names)
	}
}

// A cluster removed while a route table still names it is removed once
// the table stops naming it (Envoy removes it at once; the engine checks
// references), and the removal is not a NACK.
func TestRemoveReferencedCluster(t *testing.T) {
	tg := newConfigTarget(t)
	c := NewController(ControllerOptions{Target: tg})
	static := func(name string) *clusterv3.Cluster {
		cl := xdstest.EDSCluster(name)
		cl.ClusterDiscoveryType = nil
		return cl
	}
	if err := c.Handle(ClusterType, []Resource{{Name: "a", Msg: static("a")}, {Name: "b", Msg: static("b")}}, nil, true, "1"); err != nil {
		t.Fatal(err)
	}
	if err := c.Handle(ListenerType, []Resource{{Name: "l", Msg: xdstest.HTTPListener(t, "l", "r")}}, nil, true, "1"); err != nil {
		t.Fatal(err)
	}
	if err := c.Handle(RouteType, []Resource{{Name: "r", Msg: xdstest.WeightedRoute("r", "a", 1)}}, nil, false, "1"); err != nil {
		t.Fatal(err)
	}
	if !tg.has("router", "r") {
		t.Fatal("route table not applied")
	}
	if err := c.Handle(ClusterType, []Resource{{Name: "b", Msg: static("b")}}, nil, true, "2"); err != nil {
		t.Fatalf("removing a referenced cluster was NACKed: %v", err)
	}
	if !tg.has("cluster", "a") {
		t.Fatal("removed while still referenced")
	}
	if err := c.Handle(RouteType, []Resource{{Name: "r", Msg: xdstest.WeightedRoute("r", "b", 1)}}, nil, false, "2"); err != nil {
		t.Fatal(err)
	}
	if tg.has("cluster", "a") {
		t.Fatal("not removed after the route table stopped naming it")
	}
}

// A route table no listener names any more is removed with the last
// listener naming it (SotW sends no RDS removal).
func TestUnreferencedRouteRemoved(t *testing.T) {
	tg := newConfigTarget(t)
	c := NewController(ControllerOptions{Target: tg})
	static := xdstest.EDSCluster("a")
	static.ClusterDiscoveryType = nil
	steps := []struct {
		t   string
		res []Resource
	}{
		{ClusterType, []Resource{{Name: "a", Msg: static}}},
		{ListenerType, []Resource{{Name: "l", Msg: xdstest.HTTPListener(t, "l", "r")}}},
		{RouteType, []Resource{{Name: "r", Msg: xdstest.WeightedRoute("r", "a", 1)}}},
	}
	for _, s := range steps {
		if err := c.Handle(s.t, s.res, nil, s.t != RouteType, "1"); err != nil {
			t.Fatal(err)
		}
	}
	if !tg.has("listener", "l") || !tg.has("router", "r") {
		t.Fatal("not applied")
	}
	if err := c.Handle(ListenerType, nil, nil, true, "2"); err != nil {
		t.Fatal(err)
	}
	if tg.has("listener", "l") || tg.has("router", "r") {
		t.Fatalf("listener or its route table left: %+v", tg.cfg.Servers[0])
	}
	if len(c.Names(RouteType)) != 0 {
		t.Errorf("still subscribed to %v", c.Names(RouteType))
	}
}
