// Package featuregate is a registry of named features that an operator
// switches on and off at start-up ("mosn start -f name=true,other=false"),
// modelled on MOSN's (and Kubernetes') FeatureGate.
//
// Each feature has a default, a maturity stage (Alpha, Beta, GA), may be
// locked to its default, may depend on other features, and may carry an
// Init function. A Gate is built and filled by the binary (Add), set from
// the command line (Set), then initialised once (Init): Init checks the
// dependencies of every enabled feature and runs the Init functions in
// dependency order. Readers ask Enabled without taking a lock.
//
// There is no process-wide gate: the binary owns one and hands it to
// whoever needs it, so tests can build as many as they like.
package featuregate

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Stage is a feature's maturity, as MOSN and Kubernetes name it.
type Stage string

// Stages. GA features are on by default and usually locked; Alpha ones are
// off by default and can all be switched together with AllAlpha.
const (
	Alpha      Stage = "ALPHA"
	Beta       Stage = "BETA"
	GA         Stage = "GA"
	Deprecated Stage = "DEPRECATED"
)

// Names of the special gates every Gate has: setting one sets every Alpha
// (or Beta) feature that is not set explicitly, as in MOSN and Kubernetes.
const (
	AllAlpha = "AllAlpha"
	AllBeta  = "AllBeta"
)

// Errors matched with errors.Is.
var (
	// ErrUnknown is wrapped by errors about a feature the gate does not
	// have.
	ErrUnknown = errors.New("featuregate: unknown feature")
	// ErrLocked is wrapped when a feature locked to its default is set
	// to the other value.
	ErrLocked = errors.New("featuregate: feature is locked to its default")
	// ErrInited is returned by Add, Set and Init after Init has run.
	ErrInited = errors.New("featuregate: gate is already initialised")
)

// Spec describes one feature.
type Spec struct {
	// Default is the feature's state when nobody sets it.
	Default bool
	// LockToDefault refuses any attempt to set the feature to the other
	// value.
	LockToDefault bool
	// PreRelease is the maturity; empty means Alpha.
	PreRelease Stage
	// DependsOn names features that must be enabled whenever this one
	// is; their Init runs before this one's.
	DependsOn []string
	// Init, if set, runs once from Gate.Init when the feature is
	// enabled, after the Init of its dependencies. An error stops Init.
	Init func() error
	// Description is shown by Features (the admin API and -h).
	Description string
}

// Status is one feature as Features reports it.
type Status struct {
	Name        string   `json:"name"`
	Enabled     bool     `json:"enabled"`
	Default     bool     `json:"default"`
	Locked      bool     `json:"locked_to_default,omitempty"`
	Explicit    bool     `json:"set_explicitly,omitempty"`
	PreRelease  Stage    `json:"prerelease"`
	DependsOn   []string `json:"depends_on,omitempty"`
	Ready       bool     `json:"ready"`
	Description string   `json:"description,omitempty"`
}

// Gate is a set of features. The zero value is not usable; call New.
type Gate struct {
	mu       sync.Mutex
	specs    map[string]Spec
	explicit map[string]bool
	inited   bool
	ready    map[string]chan struct{}

	// enabled is the effective state of every feature, rebuilt on each
	// change; Enabled reads it without locking.
	enabled atomic.Pointer[map[string]bool]
}

// New returns a gate holding only the AllAlpha and AllBeta switches.
func New() *Gate {
	g := &Gate{
		specs:    map[string]Spec{},
		explicit: map[string]bool{},
		ready:    map[string]chan struct{}{},
	}
	g.specs[AllAlpha] = Spec{PreRelease: Alpha, Description: "set every alpha feature not set explicitly"}
	g.specs[AllBeta] = Spec{PreRelease: Beta, Description: "set every beta feature not set explicitly"}
	g.ready[AllAlpha] = make(chan struct{})
	g.ready[AllBeta] = make(chan struct{})
	g.recompute()
	return g
}

// Add registers a feature. A name is required and may not contain '=',
// ',' or spaces; registering a name twice is an error, as is adding after
// Init.
func (g *Gate) Add(name string, s Spec) error {
	if name == "" || strings.ContainsAny(name, "=, \t") {
		return fmt.Errorf("featuregate: invalid feature name %q", name)
	}
	switch s.PreRelease {
	case "":
		s.PreRelease = Alpha
	case Alpha, Beta, GA, Deprecated:
	default:
		return fmt.Errorf("featuregate: feature %q: unknown stage %q (want ALPHA, BETA, GA or DEPRECATED)", name, s.PreRelease)
	}
	for _, d := range s.DependsOn {
		if d == name {
			return fmt.Errorf("featuregate: feature %q depends on itself", name)
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.inited {
		return ErrInited
	}
	if _, dup := g.specs[name]; dup {
		return fmt.Errorf("featuregate: feature %q is already registered", name)
	}
	s.DependsOn = append([]string(nil), s.DependsOn...)
	g.specs[name] = s
	g.ready[name] = make(chan struct{})
	g.recompute()
	return nil
}

// Set parses "name=bool,name=bool" (spaces around items are ignored,
// empty items skipped; bools as strconv.ParseBool reads them) and applies
// it all or nothing.
func (g *Gate) Set(value string) error {
	m := map[string]bool{}
	for _, item := range strings.Split(value, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		k, v, ok := strings.Cut(item, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok {
			return fmt.Errorf("featuregate: %q: want name=true or name=false", item)
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("featuregate: %q: %q is not a bool", item, v)
		}
		m[k] = b
	}
	return g.SetFromMap(m)
}

// SetFromMap sets features explicitly, all or nothing: an unknown name or
// a locked feature set away from its default refuses the whole map.
func (g *Gate) SetFromMap(m map[string]bool) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.inited {
		return ErrInited
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		s, ok := g.specs[k]
		if !ok {
			return fmt.Errorf("%w %q (known: %s)", ErrUnknown, k, strings.Join(g.namesLocked(), ", "))
		}
		if s.LockToDefault && m[k] != s.Default {
			return fmt.Errorf("%w: %q is locked to %t", ErrLocked, k, s.Default)
		}
	}
	for k, v := range m {
		g.explicit[k] = v
	}
	g.recompute()
	return nil
}

func (g *Gate) namesLocked() []string {
	out := make([]string, 0, len(g.specs))
	for k := range g.specs {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// recompute rebuilds the effective states. g.mu is held (or g is new).
func (g *Gate) recompute() {
	m := make(map[string]bool, len(g.specs))
	for name, s := range g.specs {
		v, ok := g.explicit[name]
		if !ok {
			v = s.Default
			if all, set := g.explicit[AllAlpha]; set && s.PreRelease == Alpha && !s.LockToDefault {
				v = all
			}
			if all, set := g.explicit[AllBeta]; set && s.PreRelease == Beta && !s.LockToDefault {
				v = all
			}
		}
		m[name] = v
	}
	g.enabled.Store(&m)
}

// Enabled reports whether the feature is on; false for unknown names. It
// takes no lock.
func (g *Gate) Enabled(name string) bool { return (*g.enabled.Load())[name] }

// Explicit reports the value the feature was set to and whether it was
// set at all (by Set or SetFromMap, directly or through AllAlpha/AllBeta
// not counted). A feature that aliases a config field overrides the field
// only when set explicitly.
func (g *Gate) Explicit(name string) (value, set bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	value, set = g.explicit[name]
	return value, set
}

// Known reports whether the gate has the feature.
func (g *Gate) Known(name string) bool {
	_, ok := (*g.enabled.Load())[name]
	return ok
}

// Init checks the dependencies of every enabled feature (each must be
// known and enabled; cycles are refused) and runs the Init functions of
// the enabled features, dependencies first, in name order otherwise.
// After Init the gate is frozen: Add and Set fail with ErrInited. Init
// runs once; later calls return ErrInited.
func (g *Gate) Init() error {
	g.mu.Lock()
	if g.inited {
		g.mu.Unlock()
		return ErrInited
	}
	enabled := *g.enabled.Load()
	order, err := g.orderLocked(enabled)
	if err != nil {
		g.mu.Unlock()
		return err
	}
	g.inited = true
	specs := g.specs
	g.mu.Unlock()
	for _, name := range order {
		if f := specs[name].Init; f != nil {
			if err := f(); err != nil {
				return fmt.Errorf("featuregate: feature %q: init: %w", name, err)
			}
		}
		close(g.ready[name])
	}
	return nil
}

// orderLocked sorts the enabled features so that each comes after its
// dependencies.
func (g *Gate) orderLocked(enabled map[string]bool) ([]string, error) {
	const (
		unseen = iota
		visiting
		done
	)
	state := map[string]int{}
	var order []string
	var visit func(name string, path []string) error
	visit = func(name string, path []string) error {
		switch state[name] {
		case done:
			return nil
		case visiting:
			return fmt.Errorf("featuregate: dependency cycle: %s", strings.Join(append(path, name), " -> "))
		}
		state[name] = visiting
		deps := append([]string(nil), g.specs[name].DependsOn...)
		sort.Strings(deps)
		for _, d := range deps {
			if _, ok := g.specs[d]; !ok {
				return fmt.Errorf("%w %q (a dependency of %q)", ErrUnknown, d, name)
			}
			if !enabled[d] {
				return fmt.Errorf("featuregate: feature %q needs %q, which is disabled", name, d)
			}
			if err := visit(d, append(path, name)); err != nil {
				return err
			}
		}
		state[name] = done
		order = append(order, name)
		return nil
	}
	for _, name := range g.namesLocked() {
		if enabled[name] {
			if err := visit(name, nil); err != nil {
				return nil, err
			}
		}
	}
	return order, nil
}

// Ready reports whether the feature's Init has run (it is enabled and
// Init got to it).
func (g *Gate) Ready(name string) bool {
	g.mu.Lock()
	ch := g.ready[name]
	g.mu.Unlock()
	if ch == nil {
		return false
	}
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// Wait blocks until the feature is ready or ctx ends. A feature that is
// disabled never becomes ready, so waiting for it ends with ctx.
func (g *Gate) Wait(ctx context.Context, name string) error {
	g.mu.Lock()
	ch := g.ready[name]
	g.mu.Unlock()
	if ch == nil {
		return fmt.Errorf("%w %q", ErrUnknown, name)
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Features lists every feature, sorted by name.
func (g *Gate) Features() []Status {
	g.mu.Lock()
	names := g.namesLocked()
	specs := make([]Spec, len(names))
	explicit := make([]bool, len(names))
	for i, n := range names {
		specs[i] = g.specs[n]
		_, explicit[i] = g.explicit[n]
	}
	g.mu.Unlock()
	enabled := *g.enabled.Load()
	out := make([]Status, len(names))
	for i, n := range names {
		s := specs[i]
		out[i] = Status{
			Name:        n,
			Enabled:     enabled[n],
			Default:     s.Default,
			Locked:      s.LockToDefault,
			Explicit:    explicit[i],
			PreRelease:  s.PreRelease,
			DependsOn:   s.DependsOn,
			Ready:       g.Ready(n),
			Description: s.Description,
		}
	}
	return out
}

// String returns the explicitly set features as "a=true,b=false", sorted,
// the form Set reads.
func (g *Gate) String() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	pairs := make([]string, 0, len(g.explicit))
	for k, v := range g.explicit {
		pairs = append(pairs, k+"="+strconv.FormatBool(v))
	}
	sort.Strings(pairs)
	return strings.Join(pairs, ",")
}

// Usage describes the settable features for a -h text, one per line:
// "name=true|false (BETA - default=false) description". Locked and GA
// features are left out, as MOSN does.
func (g *Gate) Usage() string {
	var b strings.Builder
	for _, f := range g.Features() {
		if f.Locked || f.PreRelease == GA {
			continue
		}
		fmt.Fprintf(&b, "%s=true|false (%s - default=%t)", f.Name, f.PreRelease, f.Default)
		if f.Description != "" {
			b.WriteString(" " + f.Description)
		}
		b.WriteByte('\n')
	}
	return b.String()
}
