package config

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Duration is a time.Duration written in configuration as a Go duration
// string: "1s", "500ms", "1m30s". A number is refused because its unit
// would be a guess (MOSN's parser refuses it too), except a bare 0, which
// MOSN accepts and MOSN's own examples use. The zero Duration marshals as
// "0s".
type Duration struct{ time.Duration }

// MarshalJSON writes the duration as a string, e.g. "1m30s".
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(d.Duration.String())
}

// UnmarshalJSON reads a duration string. It is used when a Duration is
// decoded with encoding/json directly; Parse uses decodeNode.
func (d *Duration) UnmarshalJSON(b []byte) error {
	if string(b) == "0" {
		d.Duration = 0
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string such as \"30s\", got %s", truncate(string(b), 32))
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("invalid duration %s: %w", strconv.Quote(s), err)
	}
	d.Duration = v
	return nil
}

// MarshalYAML writes the duration as a string.
func (d Duration) MarshalYAML() (any, error) { return d.Duration.String(), nil }

func (d *Duration) decodeNode(_ *decoder, n *node, path string) error {
	if n.kind == numberNode && isZeroNode(n) {
		d.Duration = 0 // MOSN accepts a bare 0
		return nil
	}
	if n.kind != stringNode {
		return fieldErr(path, "expected a duration string such as \"30s\", got %s", n.describe())
	}
	v, err := time.ParseDuration(n.text)
	if err != nil {
		return causeErr(path, err, "invalid duration %s", strconv.Quote(truncate(n.text, 64)))
	}
	d.Duration = v
	return nil
}
