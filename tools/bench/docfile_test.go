package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReplaceSection(t *testing.T) {
	const b, e = markerBegin, markerEnd
	tests := []struct {
		name, doc, section, want, wantErr string
	}{
		{name: "append to text with newline", doc: "# Bench\n\ntext\n", section: "S", want: "# Bench\n\ntext\n\n" + b + "\nS\n" + e + "\n"},
		{name: "append to text without newline", doc: "text", section: "S\n\n", want: "text\n\n" + b + "\nS\n" + e + "\n"},
		{name: "append to blank-line end", doc: "text\n\n", section: "S", want: "text\n\n" + b + "\nS\n" + e + "\n"},
		{name: "empty file", doc: "", section: "S", want: b + "\nS\n" + e + "\n"},
		{name: "replace keeps outside text", doc: "head\n" + b + "\nold\nold\n" + e + "\ntail\n", section: "new", want: "head\n" + b + "\nnew\n" + e + "\ntail\n"},
		{name: "replace inline markers", doc: "a " + b + "x" + e + " z", section: "new", want: "a " + b + "\nnew\n" + e + " z"},
		{name: "begin only", doc: "x\n" + b + "\n", wantErr: "found 1 and 0"},
		{name: "end only", doc: "x\n" + e + "\n", wantErr: "found 0 and 1"},
		{name: "two pairs", doc: b + e + b + e, wantErr: "found 2 and 2"},
		{name: "reversed", doc: e + "\n" + b, wantErr: "comes before"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := replaceSection(tt.doc, tt.section)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("replaceSection = %q, %v\nwant %q", got, err, tt.want)
			}
		})
	}
}

func TestWriteSection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "benchmarks.md")
	if err := os.WriteFile(path, []byte("# Benchmarks\n\nhand-written\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"first", "second"} {
		if err := writeSection(path, s); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := os.ReadFile(path)
	want := "# Benchmarks\n\nhand-written\n\n" + markerBegin + "\nsecond\n" + markerEnd + "\n"
	if string(got) != want {
		t.Errorf("file = %q, want %q", got, want)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o640 {
		t.Errorf("mode = %v, want 0640 kept", st.Mode().Perm())
	}
	// A missing file is created.
	fresh := filepath.Join(t.TempDir(), "new.md")
	if err := writeSection(fresh, "x"); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(fresh); string(got) != markerBegin+"\nx\n"+markerEnd+"\n" {
		t.Errorf("new file = %q", got)
	}
}
