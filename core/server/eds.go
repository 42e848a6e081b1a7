package server

import (
	"errors"
	"fmt"
	"strings"

	"github.com/seed405ffdea/mosn/core/config"
)

// UpdateClusterHosts is the EDS entry point of the dynamic config API:
// it replaces the hosts of the running cluster named cluster in place
// (connection pools, health and outlier state kept for the addresses that
// remain), as Update with config.Update.Hosts does, but validates only
// that cluster with its new hosts instead of the whole configuration, so
// an endpoint update costs in proportion to the cluster, not to the
// configuration. Errors name the field under "hosts" ("hosts[2].address:
// ...") and wrap config.ErrNoSuchResource for an unknown cluster; a
// refused update changes nothing.
func (s *Server) UpdateClusterHosts(cluster string, hosts []config.HostConfig) error {
	s.cfgMu.Lock()
	defer s.cfgMu.Unlock()
	idx := -1
	for i, cc := range s.cfg.ClusterManager.Clusters {
		if cc.Name == cluster {
			idx = i
			break
		}
	}
	live := s.clusters.Get(cluster)
	if idx < 0 || live == nil {
		return &config.FieldError{Path: "cluster_name", Msg: fmt.Sprintf("no cluster named %q", cluster), Err: config.ErrNoSuchResource}
	}
	cc := s.cfg.ClusterManager.Clusters[idx]
	cc.Hosts = append([]config.HostConfig(nil), hosts...)
	// The cluster alone, validated as a file's cluster is.
	probe := &config.MOSNConfig{
		Servers:        []config.ServerConfig{{Listeners: []config.ListenerConfig{}, Routers: []config.RouterConfig{}}},
		ClusterManager: config.ClusterManagerConfig{Clusters: []config.ClusterConfig{cc}},
	}
	if err := probe.ValidateWith(s.regs.Known()); err != nil {
		var fe *config.FieldError
		if errors.As(err, &fe) && strings.HasPrefix(fe.Path, "cluster_manager.clusters[0].") {
			out := *fe
			out.Path = strings.TrimPrefix(fe.Path, "cluster_manager.clusters[0].")
			return &out
		}
		return err
	}
	valid := probe.ClusterManager.Clusters[0]
	live.UpdateHosts(hostOptions(valid.Hosts))

	// The running config is immutable: publish a copy that shares all but
	// the cluster list.
	next := *s.cfg
	next.ClusterManager.Clusters = append([]config.ClusterConfig(nil), s.cfg.ClusterManager.Clusters...)
	next.ClusterManager.Clusters[idx] = valid
	s.cfg = &next

	if s.metrics != nil {
		mc := s.metrics.Cluster(cluster)
		hs := live.Hosts()
		addrs := make([]string, len(hs))
		for i, h := range hs {
			addrs[i] = h.Address()
			mc.PrepareHost(addrs[i])
		}
		mc.RetainHosts(addrs)
	}
	return nil
}
