package config

import (
	"bytes"
	_ "embed"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

//go:embed default.json
var defaultConfig []byte

// Default returns the configuration used by "mosn start" without -c: an
// HTTP/1 client listener on 127.0.0.1:2045 proxying to a server listener on
// 127.0.0.1:2046 that answers "Hello from MOSN in Go", and the admin API on
// 127.0.0.1:34901. The caller owns the returned slice.
func Default() []byte {
	return bytes.Clone(defaultConfig)
}

// MaxFileSize bounds what Load reads; a configuration is a few kilobytes.
const MaxFileSize = 32 << 20

// Load reads, parses and validates the configuration file at path against
// the filters this binary has built in (Builtins). Errors read
// "<path>: <field path>: <reason>".
func Load(path string) (*MOSNConfig, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%s: file is larger than %d bytes", path, MaxFileSize)
	}
	c, err := Parse(data, path)
	if err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Parse decodes a configuration strictly: a field that is not in MOSN's
// schema, a value of the wrong type, a duplicate key, or a malformed
// document is an error naming the field's path. The extension of name
// selects the syntax: ".yaml" or ".yml" is YAML, anything else JSON. name
// also prefixes every error: "<name>: <field path>: <reason>" (an empty
// name is written "config").
//
// Parse does not validate; call Validate (or use Load). A file that is an
// xDS bootstrap (it sets dynamic_resources or static_resources) is refused
// here, because the rest of such a file follows Envoy's schema.
func Parse(data []byte, name string) (*MOSNConfig, error) {
	if name == "" {
		name = "config"
	}
	c, err := parse(data, name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}

func parse(data []byte, name string) (*MOSNConfig, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // UTF-8 byte order mark
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fieldErr("", "empty configuration")
	}
	var (
		root *node
		err  error
	)
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml":
		root, err = parseYAMLTree(data)
	default:
		root, err = parseJSONTree(data)
	}
	if err != nil {
		return nil, err
	}
	if root == nil || root.kind == nullNode {
		return nil, fieldErr("", "empty configuration")
	}
	if root.kind != objectNode {
		return nil, fieldErr("", "expected an object at the top level, got %s", root.describe())
	}
	for i, k := range root.keys {
		if (k == "dynamic_resources" || k == "static_resources") && !isZeroNode(root.vals[i]) {
			return nil, notSupported(k, "xDS")
		}
	}
	c := &MOSNConfig{}
	warnings, err := decodeInto(root, c, "")
	if err != nil {
		return nil, err
	}
	c.Warnings = warnings
	return c, nil
}
