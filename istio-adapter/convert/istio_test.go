package convert

import (
	"strings"
	"testing"

	"github.com/seed405ffdea/mosn/core/config"
	"github.com/seed405ffdea/mosn/core/server"
)

// outcome is what happened to one resource: converted and accepted by
// core, or refused (by the conversion or by core's validation) with a
// reason.
type outcome struct {
	kind, name string
	err        error
	notes      []string
}

// verdicts converts every resource of a config dump and runs each through
// core's validation on a configuration holding everything else that
// converted, the way the xDS controller applies them.
func verdicts(t *testing.T, file string) []outcome {
	t.Helper()
	d := loadDump(t, file)
	known := server.NewRegistries().Known()
	base := &config.MOSNConfig{Servers: []config.ServerConfig{{Listeners: []config.ListenerConfig{}, Routers: []config.RouterConfig{}}}}
	if err := base.ValidateWith(known); err != nil {
		t.Fatal(err)
	}
	var out []outcome
	hosts := map[string]*Endpoints{}
	for _, cla := range d.Endpoints {
		e, err := ConvertEndpoints(cla)
		out = append(out, outcome{kind: "endpoints", name: cla.GetClusterName(), err: err, notes: notesOf(e)})
		if err == nil {
			hosts[cla.GetClusterName()] = e
		}
	}
	// Clusters core accepts become the base of the route and listener checks.
	for _, c := range d.Clusters {
		cl, err := ConvertCluster(c)
		if err == nil {
			cc := cl.Config
			if e := hosts[cl.ServiceName]; e != nil {
				cc.Hosts = append(cc.Hosts[:0:0], e.Hosts...)
				MarkPlaintext(cc.Hosts, cl.TLSMatch)
			}
			var next *config.MOSNConfig
			if next, err = base.Apply(&config.Update{Clusters: []config.ClusterConfig{cc}}, known); err == nil {
				base = next
			}
		}
		o := outcome{kind: "cluster", name: c.GetName(), err: err}
		if cl != nil {
			o.notes = cl.Notes.Skipped
		}
		out = append(out, o)
	}
	for _, r := range d.Routes {
		rt, err := ConvertRoute(r)
		if err == nil {
			var next *config.MOSNConfig
			if next, err = base.Apply(&config.Update{Routers: []config.RouterConfig{rt.Config}}, known); err == nil {
				base = next
			}
		}
		o := outcome{kind: "route", name: r.GetName(), err: err}
		if rt != nil {
			o.notes = rt.Notes.Skipped
		}
		out = append(out, o)
	}
	for _, l := range d.Listeners {
		lc, err := ConvertListener(l)
		if err == nil {
			_, err = base.Apply(&config.Update{Listeners: []config.ListenerConfig{lc.Config}, Routers: lc.Routes}, known)
		}
		o := outcome{kind: "listener", name: l.GetName(), err: err}
		if lc != nil {
			o.notes = lc.Notes.Skipped
		}
		out = append(out, o)
	}
	return out
}

func notesOf(e *Endpoints) []string {
	if e == nil {
		return nil
	}
	return e.Notes.Skipped
}

// TestIstioDumps: every listener, route, cluster and endpoint set that
// istiod sent to a sidecar and to a gateway converts, or is refused with
// a reason naming the field; the counts pin what runs today and what core
// refuses until the features land (TLS, retries, unbound listeners, ...).
func TestIstioDumps(t *testing.T) {
	for _, tc := range []struct {
		file string
		// accepted and refused per kind, and the refusal reasons by count.
		accepted, refused map[string]int
		reasons           map[string]int
	}{
		{
			file:     "sidecar-config-dump.json",
			accepted: map[string]int{"endpoints": 8, "cluster": 15},
			refused:  map[string]int{"cluster": 0, "route": 1, "listener": 5},
			// Istio's telemetry Wasm filters come by ECDS; a listener
			// refused for that leaves a route naming its cluster refused
			// in turn (unknown cluster).
			reasons: map[string]int{
				"unknown cluster":                              1,
				"from extension config discovery (ECDS":        4,
				"subject alt name verification: not supported": 1,
			},
		},
		{
			// Everything istiod sent the gateway runs.
			file:     "router-config-dump.json",
			accepted: map[string]int{"endpoints": 8, "cluster": 11, "route": 1, "listener": 1},
			refused:  map[string]int{"cluster": 0, "route": 0, "listener": 0},
			reasons:  map[string]int{},
		},
	} {
		t.Run(tc.file, func(t *testing.T) {
			accepted, refused := map[string]int{}, map[string]int{}
			reasons := map[string]int{}
			for _, o := range verdicts(t, tc.file) {
				if o.err == nil {
					accepted[o.kind]++
					continue
				}
				refused[o.kind]++
				msg := o.err.Error()
				if !strings.Contains(msg, ": ") {
					t.Errorf("%s %q: refusal without a field path: %v", o.kind, o.name, msg)
				}
				matched := false
				for r := range tc.reasons {
					if strings.Contains(msg, r) {
						reasons[r]++
						matched = true
					}
				}
				if !matched {
					t.Errorf("%s %q: unexpected refusal: %v", o.kind, o.name, msg)
				}
			}
			for k, want := range tc.accepted {
				if accepted[k] != want {
					t.Errorf("accepted %s = %d, want %d", k, accepted[k], want)
				}
			}
			for k, want := range tc.refused {
				if refused[k] != want {
					t.Errorf("refused %s = %d, want %d", k, refused[k], want)
				}
			}
			for r, want := range tc.reasons {
				if reasons[r] != want {
					t.Errorf("refusals %q = %d, want %d", r, reasons[r], want)
				}
			}
		})
	}
}
