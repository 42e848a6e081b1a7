package api

import (
	"fmt"
	"sort"
	"sync"
)

// Registry maps extension IDs to values (factories, codecs, variables). It
// is a value, not a process global: the engine builds one per kind and hands
// it to whoever registers. The zero value is ready to use and safe for
// concurrent use.
type Registry[T any] struct {
	mu      sync.RWMutex
	kind    string
	entries map[string]T
	aliases map[string]string
}

// NewRegistry returns an empty registry; kind names the registry in errors
// ("stream filter", "lb").
func NewRegistry[T any](kind string) *Registry[T] {
	return &Registry[T]{kind: kind}
}

// Register adds v under id. A duplicate id (or an id already used as an
// alias) is an error.
func (r *Registry[T]) Register(id string, v T) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if id == "" {
		return fmt.Errorf("registry: empty %s id", r.kind)
	}
	if _, dup := r.entries[id]; dup {
		return fmt.Errorf("registry: %s %q already registered", r.kind, id)
	}
	if _, dup := r.aliases[id]; dup {
		return fmt.Errorf("registry: %s %q already registered as an alias", r.kind, id)
	}
	if r.entries == nil {
		r.entries = make(map[string]T)
	}
	r.entries[id] = v
	return nil
}

// Alias makes alias resolve to the registered id (MOSN and Envoy names for
// the same extension). The id must exist; a taken alias is an error.
func (r *Registry[T]) Alias(alias, id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.entries[id]; !ok {
		return fmt.Errorf("registry: alias %q: %s %q not registered", alias, r.kind, id)
	}
	if _, dup := r.entries[alias]; dup {
		return fmt.Errorf("registry: alias %q: %s %q already registered", alias, r.kind, alias)
	}
	if _, dup := r.aliases[alias]; dup {
		return fmt.Errorf("registry: alias %q already registered for %s", alias, r.kind)
	}
	if r.aliases == nil {
		r.aliases = make(map[string]string)
	}
	r.aliases[alias] = id
	return nil
}

// Get returns the value registered under id or under an alias of it.
func (r *Registry[T]) Get(id string) (T, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if real, ok := r.aliases[id]; ok {
		id = real
	}
	v, ok := r.entries[id]
	return v, ok
}

// IDs returns the registered ids, sorted (aliases excluded).
func (r *Registry[T]) IDs() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	ids := make([]string, 0, len(r.entries))
	for id := range r.entries {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}
