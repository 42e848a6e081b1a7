package config

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary documents to Parse. Parse must never panic; an
// error must carry the file name and a reason; a document that parses must
// validate without panicking, and a valid one must survive a JSON round
// trip (what the admin API's config dump relies on). Seeds live in
// testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add([]byte(baseJSON), false)
	f.Add([]byte(baseYAML), true)
	f.Add(Default(), false)
	f.Fuzz(func(t *testing.T, data []byte, yaml bool) {
		name := "f.json"
		if yaml {
			name = "f.yaml"
		}
		c, err := Parse(data, name)
		if err != nil {
			if !strings.HasPrefix(err.Error(), name+": ") || len(err.Error()) == len(name)+2 {
				t.Fatalf("error without name or reason: %q", err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			if err.Error() == "" {
				t.Fatal("empty validation error")
			}
			return
		}
		out, err := json.Marshal(c)
		if err != nil {
			t.Fatalf("marshal a valid config: %v", err)
		}
		c2, err := Parse(out, "dump.json")
		if err != nil {
			t.Fatalf("re-parse the dump: %v\n%s", err, out)
		}
		if err := c2.Validate(); err != nil {
			t.Fatalf("re-validate the dump: %v\n%s", err, out)
		}
	})
}
