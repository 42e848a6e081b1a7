package featuregate

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func newGate(t *testing.T) *Gate {
	t.Helper()
	g := New()
	for name, s := range map[string]Spec{
		"Alpha1":  {PreRelease: Alpha},
		"Beta1":   {PreRelease: Beta, Default: true},
		"GAOn":    {PreRelease: GA, Default: true, LockToDefault: true},
		"NeedsA1": {PreRelease: Beta, DependsOn: []string{"Alpha1"}},
	} {
		if err := g.Add(name, s); err != nil {
			t.Fatal(err)
		}
	}
	return g
}

func TestSet(t *testing.T) {
	tests := []struct {
		in      string
		want    map[string]bool
		wantErr string
	}{
		{in: "", want: map[string]bool{"Alpha1": false, "Beta1": true, "GAOn": true}},
		{in: "Alpha1=true, Beta1=false", want: map[string]bool{"Alpha1": true, "Beta1": false}},
		{in: "AllAlpha=true", want: map[string]bool{"Alpha1": true, "Beta1": true}},
		{in: "AllAlpha=true,Alpha1=false", want: map[string]bool{"Alpha1": false}},
		{in: "AllBeta=false", want: map[string]bool{"Beta1": false, "NeedsA1": false}},
		{in: "GAOn=true", want: map[string]bool{"GAOn": true}},
		{in: "GAOn=false", wantErr: `featuregate: feature is locked to its default: "GAOn" is locked to true`},
		{in: "Nope=true", wantErr: `featuregate: unknown feature "Nope" (known: AllAlpha, AllBeta, Alpha1, Beta1, GAOn, NeedsA1)`},
		{in: "Alpha1", wantErr: `featuregate: "Alpha1": want name=true or name=false`},
		{in: "Alpha1=yes", wantErr: `featuregate: "Alpha1=yes": "yes" is not a bool`},
		// All or nothing: the good item before the bad one is not applied.
		{in: "Alpha1=true,Nope=true", want: map[string]bool{"Alpha1": false}, wantErr: "unknown feature"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			g := newGate(t)
			err := g.Set(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			for k, v := range tt.want {
				if g.Enabled(k) != v {
					t.Errorf("%s = %t, want %t", k, g.Enabled(k), v)
				}
			}
		})
	}
}

func TestErrorsMatch(t *testing.T) {
	g := newGate(t)
	if err := g.Set("x=true"); !errors.Is(err, ErrUnknown) {
		t.Errorf("unknown: %v", err)
	}
	if err := g.Set("GAOn=0"); !errors.Is(err, ErrLocked) {
		t.Errorf("locked: %v", err)
	}
}

func TestAdd(t *testing.T) {
	g := New()
	if err := g.Add("A", Spec{}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		spec Spec
		want string
	}{
		{"A", Spec{}, `featuregate: feature "A" is already registered`},
		{"", Spec{}, `featuregate: invalid feature name ""`},
		{"a=b", Spec{}, `featuregate: invalid feature name "a=b"`},
		{"B", Spec{PreRelease: "gamma"}, `featuregate: feature "B": unknown stage "gamma" (want ALPHA, BETA, GA or DEPRECATED)`},
		{"C", Spec{DependsOn: []string{"C"}}, `featuregate: feature "C" depends on itself`},
	} {
		if err := g.Add(tt.name, tt.spec); err == nil || err.Error() != tt.want {
			t.Errorf("Add(%q) = %v, want %q", tt.name, err, tt.want)
		}
	}
	if s := g.Features(); len(s) != 3 || s[0].Name != "A" || s[0].PreRelease != Alpha {
		t.Errorf("features: %+v", s)
	}
}

func TestInitOrderAndDependencies(t *testing.T) {
	g := New()
	var order []string
	add := func(name string, deps ...string) {
		t.Helper()
		if err := g.Add(name, Spec{Default: true, DependsOn: deps, Init: func() error {
			order = append(order, name)
			return nil
		}}); err != nil {
			t.Fatal(err)
		}
	}
	add("c", "b")
	add("b", "a")
	add("a")
	add("z")
	if err := g.Init(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(order, ","); got != "a,b,c,z" {
		t.Errorf("init order %s", got)
	}
	if !g.Ready("c") || g.Ready("AllAlpha") {
		t.Error("ready")
	}
	if err := g.Init(); !errors.Is(err, ErrInited) {
		t.Errorf("second Init: %v", err)
	}
	if err := g.Set("a=false"); !errors.Is(err, ErrInited) {
		t.Errorf("Set after Init: %v", err)
	}
	if err := g.Add("late", Spec{}); !errors.Is(err, ErrInited) {
		t.Errorf("Add after Init: %v", err)
	}
}

func TestInitRefusesDisabledDependency(t *testing.T) {
	g := newGate(t)
	if err := g.Set("NeedsA1=true"); err != nil {
		t.Fatal(err)
	}
	err := g.Init()
	if err == nil || err.Error() != `featuregate: feature "NeedsA1" needs "Alpha1", which is disabled` {
		t.Fatalf("got %v", err)
	}
	// Enabling the dependency too makes it pass.
	g = newGate(t)
	if err := g.Set("NeedsA1=true,Alpha1=true"); err != nil {
		t.Fatal(err)
	}
	if err := g.Init(); err != nil {
		t.Fatal(err)
	}
}

func TestInitRefusesCycleAndUnknownDependency(t *testing.T) {
	g := New()
	g.Add("a", Spec{Default: true, DependsOn: []string{"b"}})
	g.Add("b", Spec{Default: true, DependsOn: []string{"a"}})
	if err := g.Init(); err == nil || !strings.Contains(err.Error(), "dependency cycle: a -> b -> a") {
		t.Fatalf("cycle: %v", err)
	}
	g = New()
	g.Add("a", Spec{Default: true, DependsOn: []string{"ghost"}})
	if err := g.Init(); !errors.Is(err, ErrUnknown) {
		t.Fatalf("unknown dependency: %v", err)
	}
}

func TestInitError(t *testing.T) {
	g := New()
	g.Add("a", Spec{Default: true, Init: func() error { return errors.New("boom") }})
	if err := g.Init(); err == nil || err.Error() != `featuregate: feature "a": init: boom` {
		t.Fatalf("got %v", err)
	}
	if g.Ready("a") {
		t.Error("a failed feature is not ready")
	}
}

func TestWait(t *testing.T) {
	g := newGate(t)
	done := make(chan error, 1)
	go func() { done <- g.Wait(context.Background(), "Beta1") }()
	if err := g.Init(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	if err := g.Wait(ctx, "Alpha1"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("disabled feature: %v", err)
	}
	if err := g.Wait(ctx, "nope"); !errors.Is(err, ErrUnknown) {
		t.Errorf("unknown feature: %v", err)
	}
}

func TestReport(t *testing.T) {
	g := newGate(t)
	if err := g.Set("Beta1=false,Alpha1=true"); err != nil {
		t.Fatal(err)
	}
	if got := g.String(); got != "Alpha1=true,Beta1=false" {
		t.Errorf("String %q", got)
	}
	if v, set := g.Explicit("Beta1"); !set || v {
		t.Errorf("Explicit(Beta1) = %t, %t", v, set)
	}
	if _, set := g.Explicit("NeedsA1"); set {
		t.Error("NeedsA1 was not set")
	}
	u := g.Usage()
	if !strings.Contains(u, "Beta1=true|false (BETA - default=true)\n") || strings.Contains(u, "GAOn") {
		t.Errorf("usage:\n%s", u)
	}
	var found bool
	for _, f := range g.Features() {
		if f.Name == "GAOn" {
			found = f.Locked && f.Enabled && !f.Explicit && f.PreRelease == GA
		}
	}
	if !found {
		t.Error("GAOn status")
	}
}

func TestEnabledNoAllocs(t *testing.T) {
	g := newGate(t)
	if n := testing.AllocsPerRun(100, func() { _ = g.Enabled("Beta1") }); n != 0 {
		t.Errorf("Enabled allocates %v", n)
	}
}
