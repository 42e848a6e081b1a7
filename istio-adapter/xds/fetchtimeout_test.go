package xds

import (
	"strings"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/seed405ffdea/mosn/istio-adapter/xdstest"
)

// initial_fetch_timeout: endpoints that never come do not hold the proxy
// back forever. The cluster is applied without hosts (requests get 503),
// LDS and RDS proceed, and the endpoints apply when they arrive.
func TestInitialFetchTimeout(t *testing.T) {
	app := xdstest.Backend(t, "app")
	cp := xdstest.NewControlPlane(t, "tcp")
	base := map[resourcev3.Type][]types.Resource{
		resourcev3.ClusterType:  {xdstest.EDSCluster("c1")},
		resourcev3.RouteType:    {xdstest.WeightedRoute("r1", "c1", 1)},
		resourcev3.ListenerType: {xdstest.HTTPListener(t, "ingress", "r1")},
	}
	cp.Push("1", base) // no endpoints for c1: the ADS cache holds EDS back
	srv := newProxy(t)
	ctrl := NewController(ControllerOptions{Target: srv, WarmTimeout: 200 * time.Millisecond})
	c, err := NewClient(Options{Target: cp.Target(), Node: &corev3.Node{Id: xdstest.NodeID}, Controller: ctrl,
		InitialFetchTimeout: 200 * time.Millisecond, BackoffBase: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	c.Start()
	defer c.Close()
	var addr string
	eventually(t, "the listener despite missing endpoints", func() bool {
		if a := srv.ListenerAddr("ingress"); a != nil {
			addr = a.String()
			return true
		}
		return false
	})
	if _, err := get(addr); err == nil || !strings.Contains(err.Error(), "status 503") {
		t.Fatalf("without hosts: %v", err)
	}
	base[resourcev3.EndpointType] = []types.Resource{xdstest.CLA("c1", app)}
	cp.Push("2", base)
	eventually(t, "the endpoints", func() bool { b, err := get(addr); return err == nil && b == "app" })
}
