package server

import (
	"reflect"
	"testing"
	"time"

	"github.com/seed405ffdea/mosn/core/config"
	"github.com/seed405ffdea/mosn/core/upstream"
)

// TestClusterOptions maps every cluster field this binary supports onto
// the upstream options, and builds the cluster.
func TestClusterOptions(t *testing.T) {
	const doc = `{
	  "servers": [{"listeners": [], "routers": []}],
	  "cluster_manager": {"clusters": [
	    {
	      "name": "full", "type": "EDS", "lb_type": "LB_LEAST_REQUEST",
	      "circuit_breakers": [{"max_connections": 7, "max_pending_requests": 8, "max_requests": 9, "max_retries": 2}],
	      "connect_timeout": "2s", "idle_timeout": "45s",
	      "hosts": [{"address": "127.0.0.1:8080", "weight": 3,
	                 "metadata": {"filter_metadata": {"mosn.lb": {"version": "v1"}}}}],
	      "health_check": {"service_name": "full", "protocol": "Http1", "timeout": "1s", "interval": "5s",
	                       "interval_jitter": "1s", "initial_delay_seconds": "0s", "unhealthy_threshold": 2,
	                       "check_config": {"http_check_config": {"path": "/health", "timeout": "500ms", "port": 9000,
	                                                              "expected_statuses": [200, 204]}}},
	      "lb_subset_config": {"fall_back_policy": 2, "default_subset": {"version": "v1"}, "subset_selectors": [["version"]]},
	      "lbconfig": {"choice_count": 3, "active_request_bias": 0.5},
	      "slow_start": {"mode": "duration", "slow_start_duration": "30s", "aggression": 2, "min_weight_percent": 0.2},
	      "outlier_detection": {"consecutive_5xx": 3, "base_ejection_time": "10s", "max_ejection_percent": 50}
	    },
	    {"name": "dns", "type": "STRICT_DNS", "hosts": [{"address": "backend.local"}],
	     "dns_refresh_rate": "10s", "respect_dns_ttl": true, "dns_lookup_family": "AUTO",
	     "dns_resolvers": {"servers": ["127.0.0.1"], "port": "5353"}},
	    {"name": "odst", "type": "ORIGINAL_DST", "original_dst_lb_config": {"use_header": true, "header_name": "x-dst"}},
	    {"name": "plain", "health_check": {"interval": "1s"}}
	  ]}
	}`
	c, err := config.Parse([]byte(doc), "c.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	bias := 0.5
	want := upstream.ClusterOptions{
		Name: "full", Type: "EDS", LBType: "LB_LEAST_REQUEST",
		Pool:               upstream.PoolOptions{ConnectTimeout: 2 * time.Second, MaxRequestsPerConn: 1024, IdleTimeout: 45 * time.Second},
		MaxConnections:     7,
		MaxPendingRequests: 8,
		MaxRequests:        9,
		MaxRetries:         2,
		Hosts:              []upstream.HostOptions{{Address: "127.0.0.1:8080", Weight: 3, Metadata: map[string]string{"version": "v1"}}},
		HealthCheck: &upstream.HealthCheckOptions{
			Protocol: upstream.HealthCheckHTTP, Timeout: 500 * time.Millisecond, Interval: 5 * time.Second,
			IntervalJitter: time.Second, HealthyThreshold: 1, UnhealthyThreshold: 2,
			HTTP: upstream.HTTPHealthCheck{Path: "/health", Port: 9000, ExpectedStatuses: []int{200, 204}},
		},
		Subset: &upstream.SubsetOptions{
			FallbackPolicy: upstream.FallbackDefaultSubset, DefaultSubset: map[string]string{"version": "v1"},
			Selectors: [][]string{{"version"}},
		},
		LB:        upstream.LBOptions{ChoiceCount: 3, ActiveRequestBias: &bias},
		SlowStart: &upstream.SlowStartOptions{Window: 30 * time.Second, Aggression: 2, MinWeightPercent: 0.2},
		Outlier: func() *upstream.OutlierOptions {
			o := upstream.DefaultOutlierOptions()
			o.Consecutive5xx, o.BaseEjectionTime, o.MaxEjectionPercent = 3, 10*time.Second, 50
			return &o
		}(),
	}
	got := clusterOptions(c.ClusterManager.Clusters[0])
	if !reflect.DeepEqual(got, want) {
		t.Errorf("options:\n got %+v\nwant %+v", got, want)
	}

	dns := clusterOptions(c.ClusterManager.Clusters[1])
	if dns.DNS.RefreshRate != 10*time.Second || !dns.DNS.RespectTTL || dns.DNS.LookupFamily != "AUTO" || dns.DNS.Resolver == nil {
		t.Errorf("dns options %+v", dns.DNS)
	}
	odst := clusterOptions(c.ClusterManager.Clusters[2])
	if odst.LBType != "LB_ORIGINAL_DST" || odst.OriginalDst != (upstream.OriginalDstOptions{UseHeader: true, HeaderName: "x-dst"}) {
		t.Errorf("original dst options %+v", odst)
	}
	if plain := clusterOptions(c.ClusterManager.Clusters[3]); plain.HealthCheck != nil {
		t.Errorf("a health_check without service_name was turned on: %+v", plain.HealthCheck)
	}

	reg := upstream.NewLoadBalancerRegistry()
	for _, cc := range c.ClusterManager.Clusters {
		cl, err := upstream.NewCluster(clusterOptions(cc), reg)
		if err != nil {
			t.Fatalf("%s: %v", cc.Name, err)
		}
		cl.Close()
	}
}
