package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"

	"github.com/seed405ffdea/mosn/core/config"
)

// ReloadResult says what a reload changed.
type ReloadResult struct {
	// Changed is false when the file held the running configuration.
	Changed bool `json:"changed"`
	// Ignored lists the fields of the file that differ from the running
	// configuration but only a restart or a hot upgrade can change
	// ("admin", "servers[0].default_log_path"); a reload leaves them as
	// they run.
	Ignored []string `json:"ignored,omitempty"`
}

// ErrNoConfigFile is returned by ReloadFile when the server was not
// started from a file (Options.ConfigPath empty).
var ErrNoConfigFile = errors.New("server: reload: the server was not started from a config file")

// ReloadFile reads the file the server was started from
// (Options.ConfigPath) again and applies it with Reload.
func (s *Server) ReloadFile() (ReloadResult, error) {
	if s.cfgPath == "" {
		return ReloadResult{}, ErrNoConfigFile
	}
	next, err := config.Load(s.cfgPath)
	if err != nil {
		return ReloadResult{}, err
	}
	return s.Reload(next)
}

// Reload applies a whole configuration to the running server through the
// dynamic config path (Update): next is validated as a file is, and the
// difference between it and the running configuration becomes one
// config.Update holding every listener, router and cluster of next and
// the removal of those it lacks. On error nothing changed and the error
// names the field. Fields outside listeners, routers and clusters are
// not applied; they are listed in the result's Ignored.
func (s *Server) Reload(next *config.MOSNConfig) (ReloadResult, error) {
	if next == nil {
		return ReloadResult{}, errors.New("server: reload: no config")
	}
	if err := next.ValidateWith(s.regs.Known()); err != nil {
		return ReloadResult{}, err
	}
	if len(next.Servers) == 0 {
		return ReloadResult{}, errors.New("server: reload: servers: the file has no server")
	}
	cur := s.RunningConfig()
	var res ReloadResult
	var err error
	if res.Ignored, err = ignoredFields(cur, next); err != nil {
		return ReloadResult{}, err
	}
	u := reloadUpdate(cur, next)
	if u.Empty() {
		return res, nil
	}
	if err := s.Update(u); err != nil {
		return ReloadResult{}, err
	}
	res.Changed = true
	return res, nil
}

// reloadUpdate is the change set that turns cur's listeners, routers and
// clusters into next's. Resources equal in both are left out, so that an
// unchanged file changes nothing.
func reloadUpdate(cur, next *config.MOSNConfig) *config.Update {
	u := &config.Update{}
	cs, ns := cur.Servers[0], next.Servers[0]
	have := map[string]bool{}
	for _, l := range ns.Listeners {
		have[l.Name] = true
		if !containsSame(cs.Listeners, l, func(l config.ListenerConfig) string { return l.Name }) {
			u.Listeners = append(u.Listeners, l)
		}
	}
	for _, l := range cs.Listeners {
		if !have[l.Name] {
			u.RemoveListeners = append(u.RemoveListeners, l.Name)
		}
	}
	have = map[string]bool{}
	for _, r := range ns.Routers {
		have[r.RouterConfigName] = true
		if !containsSame(cs.Routers, r, func(r config.RouterConfig) string { return r.RouterConfigName }) {
			u.Routers = append(u.Routers, r)
		}
	}
	for _, r := range cs.Routers {
		if !have[r.RouterConfigName] {
			u.RemoveRouters = append(u.RemoveRouters, r.RouterConfigName)
		}
	}
	have = map[string]bool{}
	for _, c := range next.ClusterManager.Clusters {
		have[c.Name] = true
		if !containsSame(cur.ClusterManager.Clusters, c, func(c config.ClusterConfig) string { return c.Name }) {
			u.Clusters = append(u.Clusters, c)
		}
	}
	for _, c := range cur.ClusterManager.Clusters {
		if !have[c.Name] {
			u.RemoveClusters = append(u.RemoveClusters, c.Name)
		}
	}
	return u
}

// containsSame reports whether list holds an element named as v with the
// same configuration.
func containsSame[T any](list []T, v T, name func(T) string) bool {
	for _, x := range list {
		if name(x) == name(v) {
			return sameConfig(x, v)
		}
	}
	return false
}

// ignoredFields lists the top-level and servers[0] fields that differ
// between cur and next, leaving out what a reload applies.
func ignoredFields(cur, next *config.MOSNConfig) ([]string, error) {
	a, err := reloadView(cur)
	if err != nil {
		return nil, err
	}
	b, err := reloadView(next)
	if err != nil {
		return nil, err
	}
	var out []string
	diff := func(prefix string, x, y map[string]any) {
		for k := range union(x, y) {
			if !reflect.DeepEqual(x[k], y[k]) {
				out = append(out, prefix+k)
			}
		}
	}
	as, _ := a["servers"].([]any)
	bs, _ := b["servers"].([]any)
	delete(a, "servers")
	delete(b, "servers")
	diff("", a, b)
	if len(as) > 0 && len(bs) > 0 {
		x, _ := as[0].(map[string]any)
		y, _ := bs[0].(map[string]any)
		diff("servers[0].", x, y)
	}
	sort.Strings(out)
	return out, nil
}

// reloadView is c as a JSON tree without the parts a reload applies.
func reloadView(c *config.MOSNConfig) (map[string]any, error) {
	data, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("server: reload: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("server: reload: %w", err)
	}
	if cm, ok := m["cluster_manager"].(map[string]any); ok {
		delete(cm, "clusters")
		if len(cm) == 0 {
			delete(m, "cluster_manager")
		}
	}
	if ss, ok := m["servers"].([]any); ok && len(ss) > 0 {
		if s0, ok := ss[0].(map[string]any); ok {
			delete(s0, "listeners")
			delete(s0, "routers")
		}
	}
	return m, nil
}

func union(x, y map[string]any) map[string]bool {
	out := map[string]bool{}
	for k := range x {
		out[k] = true
	}
	for k := range y {
		out[k] = true
	}
	return out
}

// ReloadConfig implements admin.Reloader with ReloadFile.
func (s *Server) ReloadConfig() (changed bool, ignored []string, err error) {
	r, err := s.ReloadFile()
	return r.Changed, r.Ignored, err
}
