package xds

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	rbacv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"

	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/seed405ffdea/mosn/istio-adapter/xdstest"
	"google.golang.org/protobuf/types/known/anypb"
)

// TestADS drives a real proxy from a go-control-plane ADS server, in both
// protocols: listener, route, clusters and endpoints arrive over gRPC and
// real HTTP traffic follows them; weights move the split; a removed
// endpoint stops getting traffic; a bad resource is NACKed while traffic
// flows on the last good config; a control plane restart is survived.
func TestADS(t *testing.T) {
	for _, tc := range []struct {
		name, network string
		delta         bool
	}{
		{"sotw-tcp", "tcp", false},
		{"delta-unix", "unix", true},
	} {
		t.Run(tc.name, func(t *testing.T) { testADS(t, tc.network, tc.delta) })
	}
}

func testADS(t *testing.T, network string, delta bool) {
	a, b := xdstest.Backend(t, "A"), xdstest.Backend(t, "B")
	cp := xdstest.NewControlPlane(t, network)
	res := func(route any, claA, claB []string) map[resourcev3.Type][]types.Resource {
		return map[resourcev3.Type][]types.Resource{
			resourcev3.ClusterType:  {xdstest.EDSCluster("c1"), xdstest.EDSCluster("c2")},
			resourcev3.EndpointType: {xdstest.CLA("c1", claA...), xdstest.CLA("c2", claB...)},
			resourcev3.RouteType:    {route.(types.Resource)},
			resourcev3.ListenerType: {xdstest.HTTPListener(t, "ingress", "r1")},
		}
	}
	cp.Push("1", res(xdstest.WeightedRoute("r1", "c1", 100, "c2", 0), []string{a}, []string{b}))

	srv := newProxy(t)
	client, ctrl := startClient(t, srv, cp, delta)
	select {
	case <-client.Synced():
	case <-timeout(t):
		t.Fatal("client never synced")
	}
	addr := ""
	eventually(t, "the listener", func() bool {
		if ln := srv.ListenerAddr("ingress"); ln != nil {
			addr = ln.String()
			return true
		}
		return false
	})
	eventually(t, "traffic to A", func() bool { b, err := get(addr); return err == nil && b == "A" })
	if got := split(t, addr, 20); got["A"] != 20 {
		t.Fatalf("weights 100/0: got %v, want all A", got)
	}
	// The node went in full on the first request.
	if nodes := cp.Nodes(); len(nodes) == 0 || nodes[0].GetId() != xdstest.NodeID || nodes[0].GetCluster() != "app.default" {
		t.Errorf("first request's node = %v", nodes)
	}

	// Weights move the split.
	cp.Push("2", res(xdstest.WeightedRoute("r1", "c1", 0, "c2", 100), []string{a}, []string{b}))
	eventually(t, "traffic to B", func() bool { b, err := get(addr); return err == nil && b == "B" })
	if got := split(t, addr, 20); got["B"] != 20 {
		t.Fatalf("weights 0/100: got %v, want all B", got)
	}
	cp.Push("3", res(xdstest.WeightedRoute("r1", "c1", 50, "c2", 50), []string{a}, []string{b}))
	eventually(t, "a 50/50 split", func() bool { g := split(t, addr, 40); return g["A"] > 5 && g["B"] > 5 && g["A"]+g["B"] == 40 })

	// Endpoints: c1 gets both backends, then loses A.
	cp.Push("4", res(xdstest.WeightedRoute("r1", "c1", 100), []string{a, b}, []string{b}))
	eventually(t, "c1 balancing over A and B", func() bool { g := split(t, addr, 20); return g["A"] > 0 && g["B"] > 0 && g["A"]+g["B"] == 20 })
	cp.Push("5", res(xdstest.WeightedRoute("r1", "c1", 100), []string{b}, []string{b}))
	eventually(t, "A removed from c1", func() bool { g := split(t, addr, 10); return g["B"] == 10 })
	if got := split(t, addr, 20); got["B"] != 20 {
		t.Fatalf("after removing A: got %v", got)
	}

	// Traffic runs from here on; every request must succeed.
	var stop atomic.Bool
	var wg sync.WaitGroup
	var ok, bad atomic.Int64
	var lastErr atomic.Value
	wg.Add(1)
	go func() {
		defer wg.Done()
		for !stop.Load() {
			if b, err := get(addr); err == nil && b == "B" {
				ok.Add(1)
			} else {
				bad.Add(1)
				lastErr.Store(b + " " + errString(err))
			}
		}
	}()
	stopTraffic := func() {
		stop.Store(true)
		wg.Wait()
		if bad.Load() > 0 {
			t.Fatalf("%d of %d requests failed (last: %v)", bad.Load(), bad.Load()+ok.Load(), lastErr.Load())
		}
	}

	// A bad cluster and a listener with a security filter are NACKed;
	// the good config keeps serving.
	badCluster := xdstest.EDSCluster("c3")
	badCluster.LbPolicy = clusterv3.Cluster_CLUSTER_PROVIDED
	rbac, _ := anypb.New(&rbacv3.RBAC{})
	bad6 := res(xdstest.WeightedRoute("r1", "c1", 100), []string{b}, []string{b})
	bad6[resourcev3.ClusterType] = append(bad6[resourcev3.ClusterType], badCluster)
	bad6[resourcev3.EndpointType] = append(bad6[resourcev3.EndpointType], xdstest.CLA("c3", b))
	bad6[resourcev3.ListenerType] = append(bad6[resourcev3.ListenerType], xdstest.HTTPListener(t, "secured", "r1",
		&hcmv3.HttpFilter{Name: "envoy.filters.http.rbac", ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: rbac}}))
	cp.Push("6", bad6)
	eventually(t, "NACKs for c3 and the rbac listener", func() bool {
		var c3, sec bool
		for _, n := range cp.NACKs() {
			c3 = c3 || strings.Contains(n, `cluster "c3"`) && strings.Contains(n, "CLUSTER_PROVIDED")
			sec = sec || strings.Contains(n, `listener "secured"`) && strings.Contains(n, "envoy.filters.http.rbac")
		}
		return c3 && sec
	})
	if ctrl.Version(ListenerType) == "6" || ctrl.Version(ClusterType) == "6" {
		t.Errorf("versions after NACK: cds %q lds %q, want the last good", ctrl.Version(ClusterType), ctrl.Version(ListenerType))
	}
	if srv.ListenerAddr("secured") != nil {
		t.Error("the listener with rbac was applied")
	}

	// Control plane restart: traffic continues, the client reconnects and
	// takes the next version.
	cp.Stop()
	cp.Push("7", res(xdstest.WeightedRoute("r1", "c1", 100), []string{a}, []string{b}))
	for i := 0; i < 20; i++ {
		if b, err := get(addr); err != nil || b != "B" {
			t.Fatalf("while the control plane is down: %q %v", b, err)
		}
	}
	stopTraffic()
	cp.Start()
	eventually(t, "reconnect and version 7", func() bool { b, err := get(addr); return err == nil && b == "A" })

	// A restart with nothing changed: the server sends nothing new, yet
	// the client must subscribe to every type again so that the next
	// change (a route weight, RDS) arrives.
	cp.Stop()
	cp.Start()
	eventually(t, "the new stream", func() bool { return len(cp.Nodes()) >= 2 })
	cp.Push("8", res(xdstest.WeightedRoute("r1", "c2", 100), []string{a}, []string{b}))
	eventually(t, "version 8 after a restart without changes", func() bool { b, err := get(addr); return err == nil && b == "B" })
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
