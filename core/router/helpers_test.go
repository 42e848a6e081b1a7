package router

import (
	"fmt"
	"strings"
	"testing"

	"github.com/seed405ffdea/mosn/core/config"
	"github.com/seed405ffdea/mosn/core/protocol/http1"
)

// testClusters are the clusters every test configuration defines.
var testClusters = []string{"a", "b", "c", "d", "e", "default"}

// load validates routerJSON (one route table named "r") inside a whole
// MOSN configuration, exactly as a file would be, and builds it. Route
// names in tests are cluster names; a cluster named in a route that is
// not in testClusters is added.
func load(t testing.TB, routerJSON string, extraClusters ...string) *Table {
	t.Helper()
	var cl []string
	for _, c := range append(append([]string{}, testClusters...), extraClusters...) {
		cl = append(cl, fmt.Sprintf(`{"name": %q, "hosts": [{"address": "127.0.0.1:9"}]}`, c))
	}
	doc := `{"servers": [{"listeners": [{"name": "l", "address": "127.0.0.1:1", "bind_port": true,
		"filter_chains": [{"filters": [{"type": "proxy", "config": {"router_config_name": "r"}}]}]}],
		"routers": [` + routerJSON + `]}],
		"cluster_manager": {"clusters": [` + strings.Join(cl, ",") + `]}}`
	c, err := config.Parse([]byte(doc), "test.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	tb, err := Build(c.Servers[0].Routers[0])
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

// req builds a request: "METHOD host target" and "Name: value" headers.
func req(line string, headers ...string) *Request {
	f := strings.SplitN(line, " ", 3)
	r := &Request{Method: []byte(f[0]), Host: []byte(f[1]), Target: []byte(f[2])}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		r.Headers = append(r.Headers, http1.Header{Name: []byte(k), Value: []byte(v)})
	}
	return r
}

// decision describes what a route does, for comparisons.
func decision(r *Route, rq *Request) string {
	switch {
	case r == nil:
		return "404"
	case r.Direct != nil:
		return fmt.Sprintf("direct %d %q", r.Direct.Status, r.Direct.Body)
	case r.Redirect != nil:
		return fmt.Sprintf("redirect %d %s", r.Redirect.Code, r.Redirect.AppendLocation(nil, rq))
	}
	s := "cluster " + r.Cluster(rq)
	if r.RewritesTarget() {
		s += " target " + string(r.AppendTarget(nil, rq))
	}
	if h, ok := r.AppendHost(nil, rq, "upstream.host"); ok {
		s += " host " + string(h)
	}
	return s
}
