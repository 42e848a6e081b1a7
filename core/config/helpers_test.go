package config

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// baseJSON is the smallest configuration that uses every supported block:
// one listener with the proxy filter, one route table, one cluster, admin.
const baseJSON = `{
  "servers": [{
    "default_log_path": "stdout",
    "listeners": [{
      "name": "l1",
      "address": "127.0.0.1:2045",
      "bind_port": true,
      "filter_chains": [{
        "filters": [{
          "type": "proxy",
          "config": {"downstream_protocol": "Http1", "router_config_name": "r1"}
        }]
      }]
    }],
    "routers": [{
      "router_config_name": "r1",
      "virtual_hosts": [{
        "name": "vh1",
        "domains": ["*"],
        "routers": [{"match": {"prefix": "/"}, "route": {"cluster_name": "c1"}}]
      }]
    }]
  }],
  "cluster_manager": {
    "clusters": [{
      "name": "c1",
      "type": "SIMPLE",
      "lb_type": "LB_RANDOM",
      "hosts": [{"address": "127.0.0.1:8080"}]
    }]
  },
  "admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": 34901}}}
}`

// baseYAML is baseJSON written in YAML, keys in the same order.
const baseYAML = `
servers:
  - default_log_path: stdout
    listeners:
      - name: l1
        address: 127.0.0.1:2045
        bind_port: true
        filter_chains:
          - filters:
              - type: proxy
                config:
                  downstream_protocol: Http1
                  router_config_name: r1
    routers:
      - router_config_name: r1
        virtual_hosts:
          - name: vh1
            domains: ["*"]
            routers:
              - match: {prefix: /}
                route: {cluster_name: c1}
cluster_manager:
  clusters:
    - name: c1
      type: SIMPLE
      lb_type: LB_RANDOM
      hosts:
        - address: 127.0.0.1:8080
admin:
  address:
    socket_address:
      address: 127.0.0.1
      port_value: 34901
`

// edit changes baseJSON at a dotted path ("servers.0.listeners.0.address");
// a nil value with del set removes the key.
type edit struct {
	path  string
	value any
	del   bool
}

func set(path string, v any) edit { return edit{path: path, value: v} }
func del(path string) edit        { return edit{path: path, del: true} }

// base returns baseJSON with edits applied. Keys come out sorted, which is
// fine for cases that contain a single error.
func base(t testing.TB, edits ...edit) []byte {
	t.Helper()
	var doc any
	if err := json.Unmarshal([]byte(baseJSON), &doc); err != nil {
		t.Fatal(err)
	}
	for _, e := range edits {
		if err := apply(&doc, strings.Split(e.path, "."), e); err != nil {
			t.Fatalf("edit %s: %v", e.path, err)
		}
	}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func apply(cur *any, keys []string, e edit) error {
	last := len(keys) == 1
	switch c := (*cur).(type) {
	case map[string]any:
		if last {
			if e.del {
				delete(c, keys[0])
			} else {
				c[keys[0]] = e.value
			}
			return nil
		}
		child, ok := c[keys[0]]
		if !ok {
			return fmt.Errorf("no key %q", keys[0])
		}
		if err := apply(&child, keys[1:], e); err != nil {
			return err
		}
		c[keys[0]] = child
		return nil
	case []any:
		i, err := strconv.Atoi(keys[0])
		if err != nil {
			return err
		}
		if i == len(c) && last && !e.del { // append
			*cur = append(c, e.value)
			return nil
		}
		if i >= len(c) {
			return fmt.Errorf("index %d out of range", i)
		}
		if last {
			if e.del {
				*cur = append(c[:i], c[i+1:]...)
			} else {
				c[i] = e.value
			}
			return nil
		}
		return apply(&c[i], keys[1:], e)
	}
	return fmt.Errorf("cannot descend into %T", *cur)
}

// obj parses a JSON literal for use as an edit value.
func obj(t testing.TB, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("obj %s: %v", s, err)
	}
	return v
}

// load is Load without a file: Parse, then Validate with known, errors
// prefixed with name.
func load(data []byte, name string, known Known) (*MOSNConfig, error) {
	c, err := Parse(data, name)
	if err != nil {
		return nil, err
	}
	if err := c.ValidateWith(known); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}
