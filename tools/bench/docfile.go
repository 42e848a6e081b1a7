package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// The report lives in a Markdown file between these two markers. The
// harness rewrites only what lies between them and never touches the text
// outside.
const (
	markerBegin = "<!-- bench:begin -->"
	markerEnd   = "<!-- bench:end -->"
)

// replaceSection returns doc with the text between the markers replaced by
// section. Without markers, they are appended at the end of doc (after a
// blank line). One marker without the other, markers out of order, or
// more than one pair is an error: a hand edit the harness should not guess
// about.
func replaceSection(doc, section string) (string, error) {
	nb, ne := strings.Count(doc, markerBegin), strings.Count(doc, markerEnd)
	body := markerBegin + "\n" + strings.TrimRight(section, "\n") + "\n" + markerEnd
	switch {
	case nb == 0 && ne == 0:
		if doc != "" && !strings.HasSuffix(doc, "\n") {
			doc += "\n"
		}
		if doc != "" && !strings.HasSuffix(doc, "\n\n") {
			doc += "\n"
		}
		return doc + body + "\n", nil
	case nb != 1 || ne != 1:
		return "", fmt.Errorf("report: want one %q and one %q, found %d and %d", markerBegin, markerEnd, nb, ne)
	}
	i := strings.Index(doc, markerBegin)
	j := strings.Index(doc, markerEnd)
	if j < i {
		return "", errors.New("report: " + markerEnd + " comes before " + markerBegin)
	}
	return doc[:i] + body + doc[j+len(markerEnd):], nil
}

// writeSection replaces the marked section of the file at path, creating
// the file when it does not exist. The file is replaced atomically.
func writeSection(path, section string) error {
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	doc, err := replaceSection(string(old), section)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	mode := os.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm()
	}
	tmp := path + ".bench-tmp"
	if err := os.WriteFile(tmp, []byte(doc), mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
