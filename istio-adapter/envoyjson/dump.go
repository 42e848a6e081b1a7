package envoyjson

import (
	"encoding/json"
	"fmt"
	"strings"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
)

// Dump holds the xDS resources of an Envoy config dump (/config_dump):
// the dynamic and static clusters, endpoints, listeners (active state)
// and route configurations, in the dump's order.
type Dump struct {
	Clusters  []*clusterv3.Cluster
	Endpoints []*endpointv3.ClusterLoadAssignment
	Listeners []*listenerv3.Listener
	Routes    []*routev3.RouteConfiguration
}

// ReadConfigDump decodes an Envoy config dump.
func ReadConfigDump(data []byte) (*Dump, error) {
	var top struct {
		Configs []map[string]json.RawMessage `json:"configs"`
	}
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("envoyjson: config dump: %w", err)
	}
	d := &Dump{}
	for i, c := range top.Configs {
		var t string
		_ = json.Unmarshal(c["@type"], &t)
		kind := t[strings.LastIndexByte(t, '.')+1:]
		var err error
		switch kind {
		case "ClustersConfigDump":
			err = each(c, []string{"staticClusters", "dynamicActiveClusters", "static_clusters", "dynamic_active_clusters"}, "cluster", func() any { return &clusterv3.Cluster{} }, func(m any) {
				d.Clusters = append(d.Clusters, m.(*clusterv3.Cluster))
			})
		case "EndpointsConfigDump":
			err = each(c, []string{"staticEndpointConfigs", "dynamicEndpointConfigs", "static_endpoint_configs", "dynamic_endpoint_configs"}, "endpointConfig", func() any { return &endpointv3.ClusterLoadAssignment{} }, func(m any) {
				d.Endpoints = append(d.Endpoints, m.(*endpointv3.ClusterLoadAssignment))
			})
		case "ListenersConfigDump":
			err = each(c, []string{"staticListeners", "dynamicListeners", "static_listeners", "dynamic_listeners"}, "listener", func() any { return &listenerv3.Listener{} }, func(m any) {
				d.Listeners = append(d.Listeners, m.(*listenerv3.Listener))
			})
		case "RoutesConfigDump":
			err = each(c, []string{"staticRouteConfigs", "dynamicRouteConfigs", "static_route_configs", "dynamic_route_configs"}, "routeConfig", func() any { return &routev3.RouteConfiguration{} }, func(m any) {
				d.Routes = append(d.Routes, m.(*routev3.RouteConfiguration))
			})
		}
		if err != nil {
			return nil, fmt.Errorf("envoyjson: configs[%d]: %w", i, err)
		}
	}
	return d, nil
}

// each decodes the resources of a config dump section. Entries hold the
// resource under key (listeners under activeState.listener).
func each(c map[string]json.RawMessage, lists []string, key string, mk func() any, add func(any)) error {
	for _, l := range lists {
		raw, ok := c[l]
		if !ok {
			continue
		}
		var entries []map[string]json.RawMessage
		if err := json.Unmarshal(raw, &entries); err != nil {
			return fmt.Errorf("%s: %w", l, err)
		}
		for j, e := range entries {
			res, ok := e[key]
			if !ok {
				if as, ok2 := e["activeState"]; ok2 {
					var st map[string]json.RawMessage
					if err := json.Unmarshal(as, &st); err != nil {
						return fmt.Errorf("%s[%d].activeState: %w", l, j, err)
					}
					res, ok = st[key]
				}
			}
			if !ok {
				continue // e.g. a listener only in warming or error state
			}
			m := mk()
			if err := Unmarshal(res, m.(protoMessage)); err != nil {
				return fmt.Errorf("%s[%d].%s: %w", l, j, key, err)
			}
			add(m)
		}
	}
	return nil
}
