package envoyjson

import (
	"os"
	"testing"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
)

// FuzzReadConfigDump: hostile config dumps are refused with an error,
// never a panic.
func FuzzReadConfigDump(f *testing.F) {
	for _, name := range []string{"router-config-dump.json", "sidecar-config-dump.json"} {
		b, err := os.ReadFile("../testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"configs":[{"@type":"type.googleapis.com/envoy.admin.v3.ListenersConfigDump","dynamicListeners":[{"activeState":{"listener":{"name":"x","filterChains":[{"filters":[{"name":"f","typedConfig":{"@type":"type.googleapis.com/acme.Unknown","a":1}}]}]}}}]}]}`))
	f.Add([]byte(`{"configs":[{"@type":"x"}]}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = ReadConfigDump(data)
	})
}

func TestUnknownTypedConfigKept(t *testing.T) {
	var l listenerv3.Listener
	err := Unmarshal([]byte(`{"name":"x","filterChains":[{"filters":[{"name":"f","typedConfig":{"@type":"type.googleapis.com/acme.Unknown","a":1}}]}]}`), &l)
	if err != nil {
		t.Fatal(err)
	}
	if got := l.GetFilterChains()[0].GetFilters()[0].GetTypedConfig().GetTypeUrl(); got != TypedStructURL {
		t.Fatalf("type %q", got)
	}
	if err := Unmarshal([]byte(`{"name":"x","bogus":1}`), &l); err == nil {
		t.Fatal("unknown field accepted")
	}
	if err := Unmarshal([]byte(`{"@type":"type.googleapis.com/envoy.config.cluster.v3.Cluster","name":"x"}`), &l); err == nil {
		t.Fatal("wrong @type accepted")
	}
}
