package main

import (
	"encoding/json"
	"fmt"
)

// mosnConfig returns the MOSN v2 JSON for our proxy (docs/configuration.md):
// an HTTP/1 listener proxying to the raw origin and a tcp_proxy listener
// in front of the TCP sink, error log only, one P
// (the process also runs with GOMAXPROCS=1), upstream connections kept for
// as long as the run lasts. Only the features in capabilities["mosn"] are
// configurable; when a protocol lands in the proxy, add its listener here.
func mosnConfig(c proxyConfig) ([]byte, error) {
	if err := c.check("mosn"); err != nil {
		return nil, err
	}
	type obj = map[string]any
	var listeners, routers, clusters []obj
	for _, f := range c.Listen.features() {
		switch f {
		case FeatHTTP1:
			listeners = append(listeners, obj{
				"name":                    "http1",
				"address":                 c.Listen[f],
				"bind_port":               true,
				"connection_idle_timeout": "300s",
				"filter_chains": []obj{{"filters": []obj{{
					"type":   "proxy",
					"config": obj{"downstream_protocol": "Http1", "upstream_protocol": "Http1", "router_config_name": "http1"},
				}}}},
			})
			routers = append(routers, obj{
				"router_config_name": "http1",
				"virtual_hosts": []obj{{
					"name":    "all",
					"domains": []string{"*"},
					"routers": []obj{{"match": obj{"prefix": "/"}, "route": obj{"cluster_name": "origin_http1"}}},
				}},
			})
			clusters = append(clusters, obj{
				"name":                 "origin_http1",
				"type":                 "SIMPLE",
				"lb_type":              "LB_ROUNDROBIN",
				"max_request_per_conn": 1000000,
				"circuit_breakers":     []obj{{"max_connections": c.MaxConns, "max_pending_requests": c.MaxConns, "max_requests": c.MaxConns}},
				"hosts":                []obj{{"address": c.Up.HTTP1}},
			})
		case FeatTCP:
			listeners = append(listeners, obj{
				"name":      "tcp",
				"address":   c.Listen[f],
				"bind_port": true,
				"filter_chains": []obj{{"filters": []obj{{
					"type":   "tcp_proxy",
					"config": obj{"stat_prefix": "tcp", "cluster": "origin_tcp"},
				}}}},
			})
			clusters = append(clusters, obj{
				"name":             "origin_tcp",
				"type":             "SIMPLE",
				"lb_type":          "LB_ROUNDROBIN",
				"circuit_breakers": []obj{{"max_connections": c.MaxConns}},
				"hosts":            []obj{{"address": c.Up.TCP}},
			})
		case FeatH2C, FeatGRPC:
			// h2c downstream, HTTP/2 upstream (multiplexed) to the h2c or
			// gRPC origin.
			name, up := "h2c", c.Up.H2C
			if f == FeatGRPC {
				name, up = "grpc", c.Up.GRPC
			}
			listeners = append(listeners, obj{
				"name":                    name,
				"address":                 c.Listen[f],
				"bind_port":               true,
				"connection_idle_timeout": "300s",
				"filter_chains": []obj{{"filters": []obj{{
					"type":   "proxy",
					"config": obj{"downstream_protocol": "Http2", "upstream_protocol": "Http2", "router_config_name": name},
				}}}},
			})
			routers = append(routers, obj{
				"router_config_name": name,
				"virtual_hosts": []obj{{
					"name":    "all",
					"domains": []string{"*"},
					"routers": []obj{{"match": obj{"prefix": "/"}, "route": obj{"cluster_name": "origin_" + name}}},
				}},
			})
			clusters = append(clusters, obj{
				"name":             "origin_" + name,
				"type":             "SIMPLE",
				"lb_type":          "LB_ROUNDROBIN",
				"circuit_breakers": []obj{{"max_connections": c.MaxConns, "max_pending_requests": c.MaxConns, "max_requests": c.MaxConns}},
				"hosts":            []obj{{"address": up}},
			})
		default:
			return nil, fmt.Errorf("mosn config: the harness does not configure %q yet", f)
		}
	}
	doc := obj{
		"servers": []obj{{
			"mosn_server_name":  "bench",
			"default_log_path":  "stderr",
			"default_log_level": "ERROR",
			"graceful_timeout":  "1s",
			"processor":         1,
			"listeners":         listeners,
			"routers":           routers,
		}},
		"cluster_manager": obj{"clusters": clusters},
	}
	return json.MarshalIndent(doc, "", "  ")
}
