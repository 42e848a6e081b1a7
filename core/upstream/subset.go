package upstream

import (
	"slices"

	"github.com/seed405ffdea/mosn/api"
)

// SubsetFallback says where a request goes when no subset matches its
// metadata (MOSN's and Envoy's fall_back_policy).
type SubsetFallback int

// Fallback policies, numbered as MOSN's fall_back_policy.
const (
	// FallbackNone fails the request (no host).
	FallbackNone SubsetFallback = iota
	// FallbackAnyEndpoint balances over the whole cluster.
	FallbackAnyEndpoint
	// FallbackDefaultSubset balances over the hosts matching DefaultSubset.
	FallbackDefaultSubset
)

// SubsetOptions configure subset load balancing: hosts are grouped by
// the values of their metadata keys, and a request whose context carries
// metadata criteria (MetadataMatchContext) is balanced within the group
// that matches them.
type SubsetOptions struct {
	// FallbackPolicy applies when the request has no criteria or no
	// subset matches them.
	FallbackPolicy SubsetFallback
	// DefaultSubset is the metadata of the hosts FallbackDefaultSubset
	// uses; empty means every host.
	DefaultSubset map[string]string
	// Selectors are the key sets subsets are built for; criteria match a
	// selector when they have exactly its keys.
	Selectors [][]string
}

// MetadataMatchContext is an optional interface of an api.LBContext: the
// metadata a route requires of the host (Envoy's metadata_match, MOSN's
// route metadata_match), for subset load balancing.
type MetadataMatchContext interface {
	// MetadataMatchCriteria returns the required "mosn.lb" metadata; nil
	// or empty when the route requires none. It must not be modified.
	MetadataMatchCriteria() map[string]string
}

// subsetLB chooses within the subset matching the request's criteria.
type subsetLB struct {
	selectors []subsetSelector
	fallback  api.LoadBalancer // nil: NO_FALLBACK
}

type subsetSelector struct {
	keys []string // sorted
	root *subsetNode
}

// subsetNode is one level of the subset tree: the value of keys[depth].
type subsetNode struct {
	children map[string]*subsetNode
	hosts    []*Host
	lb       api.LoadBalancer
}

// newSubsetLB builds a balancer per subset over all of hosts; build
// makes a balancer over a list of hosts (applying health and panic mode).
func newSubsetLB(o *SubsetOptions, hosts []*Host, all api.LoadBalancer, build func([]*Host) api.LoadBalancer) *subsetLB {
	s := &subsetLB{}
	for _, keys := range o.Selectors {
		if len(keys) == 0 {
			continue
		}
		sel := subsetSelector{keys: slices.Sorted(slices.Values(keys)), root: &subsetNode{}}
		sel.keys = slices.Compact(sel.keys)
		for _, h := range hosts {
			n := sel.root
			for _, k := range sel.keys {
				v, ok := h.metadata[k]
				if !ok {
					n = nil
					break
				}
				if n.children == nil {
					n.children = map[string]*subsetNode{}
				}
				c := n.children[v]
				if c == nil {
					c = &subsetNode{}
					n.children[v] = c
				}
				n = c
			}
			if n != nil {
				n.hosts = append(n.hosts, h)
			}
		}
		sel.root.buildLeaves(build)
		s.selectors = append(s.selectors, sel)
	}
	switch o.FallbackPolicy {
	case FallbackAnyEndpoint:
		s.fallback = all
	case FallbackDefaultSubset:
		var def []*Host
		for _, h := range hosts {
			if matches(h.metadata, o.DefaultSubset) {
				def = append(def, h)
			}
		}
		if len(def) > 0 {
			s.fallback = build(def)
		}
	}
	return s
}

func (n *subsetNode) buildLeaves(build func([]*Host) api.LoadBalancer) {
	if len(n.hosts) > 0 {
		n.lb = build(n.hosts)
	}
	for _, c := range n.children {
		c.buildLeaves(build)
	}
}

// matches reports whether md has every key and value of want.
func matches(md, want map[string]string) bool {
	for k, v := range want {
		if got, ok := md[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// ChooseHost implements api.LoadBalancer.
func (s *subsetLB) ChooseHost(ctx api.LBContext) api.HostInfo {
	if mc, ok := ctx.(MetadataMatchContext); ok {
		if crit := mc.MetadataMatchCriteria(); len(crit) > 0 {
			if n := s.find(crit); n != nil {
				return n.lb.ChooseHost(ctx)
			}
		}
	}
	if s.fallback == nil {
		return nil
	}
	return s.fallback.ChooseHost(ctx)
}

// find returns the subset whose selector has exactly the criteria's keys
// and whose hosts have its values.
func (s *subsetLB) find(crit map[string]string) *subsetNode {
	for i := range s.selectors {
		sel := &s.selectors[i]
		if len(sel.keys) != len(crit) {
			continue
		}
		n := sel.root
		for _, k := range sel.keys {
			v, ok := crit[k]
			if !ok {
				n = nil
				break
			}
			if n = n.children[v]; n == nil {
				break
			}
		}
		if n != nil && n.lb != nil {
			return n
		}
	}
	return nil
}
