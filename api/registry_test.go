package api

import (
	"sync"
	"testing"
)

func TestRegistry(t *testing.T) {
	r := NewRegistry[int]("lb")
	if err := r.Register("lb.round_robin", 1); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"duplicate id", r.Register("lb.round_robin", 2), `registry: lb "lb.round_robin" already registered`},
		{"empty id", r.Register("", 2), `registry: empty lb id`},
		{"alias to unknown", r.Alias("X", "lb.nope"), `registry: alias "X": lb "lb.nope" not registered`},
	}
	for _, c := range cases {
		if c.err == nil || c.err.Error() != c.want {
			t.Errorf("%s: got %v, want %q", c.name, c.err, c.want)
		}
	}
	if err := r.Alias("LB_ROUNDROBIN", "lb.round_robin"); err != nil {
		t.Fatal(err)
	}
	if err := r.Alias("LB_ROUNDROBIN", "lb.round_robin"); err == nil {
		t.Error("duplicate alias accepted")
	}
	if err := r.Register("LB_ROUNDROBIN", 3); err == nil {
		t.Error("id shadowing an alias accepted")
	}
	if v, ok := r.Get("LB_ROUNDROBIN"); !ok || v != 1 {
		t.Errorf("alias lookup: %v %v", v, ok)
	}
	if ids := r.IDs(); len(ids) != 1 || ids[0] != "lb.round_robin" {
		t.Errorf("IDs = %v", ids)
	}
	var zero Registry[string]
	if err := zero.Register("a", "b"); err != nil {
		t.Errorf("zero value registry: %v", err)
	}
}

func TestRegistryConcurrent(t *testing.T) {
	r := NewRegistry[int]("x")
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.Register("same", i)
			r.Get("same")
		}()
	}
	wg.Wait()
	if len(r.IDs()) != 1 {
		t.Fatal("concurrent duplicate registrations")
	}
}
