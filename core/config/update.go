package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Update is a change to a running configuration, the unit of the dynamic
// config API (the admin API's POST endpoints, later xDS): resources to
// add or replace, matched by name, and names to remove. Everything in one
// Update is validated together and applied together or not at all.
type Update struct {
	// Listeners are added, or replace the listener of the same name.
	Listeners []ListenerConfig `json:"listeners,omitempty"`
	// Clusters are added, or replace the cluster of the same name.
	Clusters []ClusterConfig `json:"clusters,omitempty"`
	// Routers are added, or replace the route table of the same
	// router_config_name.
	Routers []RouterConfig `json:"routers,omitempty"`
	// Hosts replace the host lists of existing clusters.
	Hosts []ClusterHosts `json:"hosts,omitempty"`
	// RemoveListeners, RemoveClusters and RemoveRouters name resources to
	// remove; each must exist.
	RemoveListeners []string `json:"remove_listeners,omitempty"`
	RemoveClusters  []string `json:"remove_clusters,omitempty"`
	RemoveRouters   []string `json:"remove_routers,omitempty"`
}

// ClusterHosts is a new host list for a cluster.
type ClusterHosts struct {
	// Cluster names an existing cluster (required).
	Cluster string `json:"cluster_name"`
	// Hosts replace the cluster's hosts; an empty list leaves it none.
	Hosts []HostConfig `json:"hosts"`
}

// Empty reports whether u changes nothing.
func (u *Update) Empty() bool {
	return len(u.Listeners) == 0 && len(u.Clusters) == 0 && len(u.Routers) == 0 && len(u.Hosts) == 0 &&
		len(u.RemoveListeners) == 0 && len(u.RemoveClusters) == 0 && len(u.RemoveRouters) == 0
}

// ParseUpdate decodes an Update from JSON as strictly as Parse decodes a
// file: unknown fields and wrong types are errors naming their path
// ("listeners[0].adress: unknown field").
func ParseUpdate(data []byte) (*Update, error) {
	u := &Update{}
	if _, err := decodeRawJSON(data, u, ""); err != nil {
		return nil, err
	}
	return u, nil
}

// Clone returns a deep copy of c, as Parse reads c written as JSON; the
// copy is not validated (Validate fills in what Parse leaves out).
func (c *MOSNConfig) Clone() (*MOSNConfig, error) {
	data, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("config: clone: %w", err)
	}
	out, err := Parse(data, "running config")
	if err != nil {
		return nil, fmt.Errorf("config: clone: %w", err)
	}
	return out, nil
}

// ErrNoSuchResource is wrapped by Apply's errors for a removal or host
// update that names a resource the configuration does not have.
var ErrNoSuchResource = errors.New("no such resource")

// Apply returns a copy of c with u applied and validated against k, the
// same validation a file gets (so that what the admin API accepts is
// exactly what a file may hold). c is not modified. On error nothing is
// returned; the error names the field: for a resource of u, by its place
// in u ("listeners[0].address: required"); for the rest, by its place in
// the resulting configuration.
func (c *MOSNConfig) Apply(u *Update, k Known) (*MOSNConfig, error) {
	if len(c.Servers) == 0 {
		return nil, errors.New("config: no server to update")
	}
	next, err := c.Clone()
	if err != nil {
		return nil, err
	}
	srv := &next.Servers[0]
	cm := &next.ClusterManager
	// Where each resource of u lands in next, to name errors by u's paths.
	remap := map[string]string{}

	for i, name := range u.RemoveListeners {
		j := indexOf(len(srv.Listeners), func(j int) string { return srv.Listeners[j].Name }, name)
		if j < 0 {
			return nil, &FieldError{Path: indexPath("remove_listeners", i), Msg: fmt.Sprintf("no listener named %q", name), Err: ErrNoSuchResource}
		}
		srv.Listeners = append(srv.Listeners[:j], srv.Listeners[j+1:]...)
	}
	for i, name := range u.RemoveRouters {
		j := indexOf(len(srv.Routers), func(j int) string { return srv.Routers[j].RouterConfigName }, name)
		if j < 0 {
			return nil, &FieldError{Path: indexPath("remove_routers", i), Msg: fmt.Sprintf("no router named %q", name), Err: ErrNoSuchResource}
		}
		srv.Routers = append(srv.Routers[:j], srv.Routers[j+1:]...)
	}
	for i, name := range u.RemoveClusters {
		j := indexOf(len(cm.Clusters), func(j int) string { return cm.Clusters[j].Name }, name)
		if j < 0 {
			return nil, &FieldError{Path: indexPath("remove_clusters", i), Msg: fmt.Sprintf("no cluster named %q", name), Err: ErrNoSuchResource}
		}
		cm.Clusters = append(cm.Clusters[:j], cm.Clusters[j+1:]...)
	}
	for i, l := range u.Listeners {
		name := l.Name
		if name == "" {
			name = l.Address // Validate's default
		}
		j := indexOf(len(srv.Listeners), func(j int) string {
			if srv.Listeners[j].Name == "" {
				return srv.Listeners[j].Address
			}
			return srv.Listeners[j].Name
		}, name)
		if j < 0 || name == "" {
			j = len(srv.Listeners)
			srv.Listeners = append(srv.Listeners, l)
		} else {
			srv.Listeners[j] = l
		}
		remap[indexPath("servers[0].listeners", j)] = indexPath("listeners", i)
	}
	for i, r := range u.Routers {
		j := indexOf(len(srv.Routers), func(j int) string { return srv.Routers[j].RouterConfigName }, r.RouterConfigName)
		if j < 0 || r.RouterConfigName == "" {
			j = len(srv.Routers)
			srv.Routers = append(srv.Routers, r)
		} else {
			srv.Routers[j] = r
		}
		remap[indexPath("servers[0].routers", j)] = indexPath("routers", i)
	}
	for i, cl := range u.Clusters {
		j := indexOf(len(cm.Clusters), func(j int) string { return cm.Clusters[j].Name }, cl.Name)
		if j < 0 || cl.Name == "" {
			j = len(cm.Clusters)
			cm.Clusters = append(cm.Clusters, cl)
		} else {
			cm.Clusters[j] = cl
		}
		remap[indexPath("cluster_manager.clusters", j)] = indexPath("clusters", i)
	}
	for i, h := range u.Hosts {
		p := indexPath("hosts", i)
		if h.Cluster == "" {
			return nil, fieldErr(p+".cluster_name", "required")
		}
		j := indexOf(len(cm.Clusters), func(j int) string { return cm.Clusters[j].Name }, h.Cluster)
		if j < 0 {
			return nil, &FieldError{Path: p + ".cluster_name", Msg: fmt.Sprintf("no cluster named %q", h.Cluster), Err: ErrNoSuchResource}
		}
		cm.Clusters[j].Hosts = append([]HostConfig(nil), h.Hosts...)
		remap[indexPath("cluster_manager.clusters", j)+".hosts"] = p + ".hosts"
	}
	next.Warnings = nil
	if err := next.ValidateWith(k); err != nil {
		return nil, renamePath(err, remap)
	}
	return next, nil
}

func indexOf(n int, name func(int) string, want string) int {
	for i := 0; i < n; i++ {
		if name(i) == want {
			return i
		}
	}
	return -1
}

// renamePath rewrites the path of a *FieldError whose path begins with a
// key of remap (at a path boundary) to the corresponding value.
func renamePath(err error, remap map[string]string) error {
	var fe *FieldError
	if !errors.As(err, &fe) {
		return err
	}
	best := ""
	for from := range remap {
		if (fe.Path == from || strings.HasPrefix(fe.Path, from+".") || strings.HasPrefix(fe.Path, from+"[")) && len(from) > len(best) {
			best = from
		}
	}
	if best == "" {
		return err
	}
	out := *fe
	out.Path = remap[best] + fe.Path[len(best):]
	return &out
}
