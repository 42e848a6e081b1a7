package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// A document is first read into a tree of nodes that keeps object keys in
// document order; the typed decoder then walks that tree. Going through a
// tree (instead of encoding/json's DisallowUnknownFields) is what lets every
// error name the full path of the field, lets JSON and YAML share one
// decoder, and makes "the first error" mean the first in the document.

type nodeKind uint8

const (
	nullNode nodeKind = iota
	boolNode
	numberNode
	stringNode
	objectNode
	arrayNode
)

func (k nodeKind) String() string {
	switch k {
	case nullNode:
		return "null"
	case boolNode:
		return "boolean"
	case numberNode:
		return "number"
	case stringNode:
		return "string"
	case objectNode:
		return "object"
	default:
		return "array"
	}
}

type node struct {
	kind  nodeKind
	b     bool     // boolNode
	text  string   // stringNode: the value; numberNode: the JSON literal
	keys  []string // objectNode, in document order, unique
	vals  []*node  // objectNode, parallel to keys
	items []*node  // arrayNode
}

// describe renders a node for an error message: strings quoted, numbers and
// booleans as written, containers by kind only.
func (n *node) describe() string {
	switch n.kind {
	case stringNode:
		return "string " + strconv.Quote(truncate(n.text, 64))
	case numberNode:
		return "number " + truncate(n.text, 32)
	case boolNode:
		return "boolean " + strconv.FormatBool(n.b)
	default:
		return n.kind.String()
	}
}

func truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}

// Limits that keep a hostile document from costing more than a config file
// reasonably can.
const (
	maxDepth = 64
	// maxNodes bounds the tree.
	maxNodes = 1 << 20
	// maxAliasNodes bounds what YAML aliases expand to: each use of an
	// alias copies its subtree, so nested aliases grow exponentially ("a
	// billion laughs").
	maxAliasNodes = 1 << 16
)

var errTooDeep = fmt.Errorf("document nests deeper than %d levels", maxDepth)

// parseJSONTree reads exactly one JSON value.
func parseJSONTree(data []byte) (*node, error) { return parseJSONTreeAt(data, "") }

// parseJSONTreeAt is parseJSONTree for a document embedded at path.
func parseJSONTreeAt(data []byte, path string) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	p := &jsonTreeParser{dec: dec}
	n, err := p.value(0, path)
	if err != nil {
		var fe *FieldError
		if errors.As(err, &fe) {
			return nil, fe
		}
		return nil, jsonSyntaxError(data, dec, err)
	}
	end := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			// Point at the start of the extra value, not past it.
			rest := data[end:]
			end += int64(len(rest) - len(bytes.TrimLeft(rest, " \t\r\n")))
			return nil, syntaxErrorAt(data, end, errors.New("unexpected data after the top-level value"))
		}
		return nil, jsonSyntaxError(data, dec, err)
	}
	return n, nil
}

var errUnexpectedEnd = errors.New("unexpected end of input")

// token is dec.Token with io.EOF, which inside a value means truncation,
// reported as such.
func (p *jsonTreeParser) token() (json.Token, error) {
	tok, err := p.dec.Token()
	if err == io.EOF {
		err = errUnexpectedEnd
	}
	return tok, err
}

type jsonTreeParser struct {
	dec   *json.Decoder
	nodes int
}

func (p *jsonTreeParser) value(depth int, path string) (*node, error) {
	tok, err := p.token()
	if err != nil {
		return nil, err
	}
	return p.fromToken(tok, depth, path)
}

func (p *jsonTreeParser) fromToken(tok json.Token, depth int, path string) (*node, error) {
	if p.nodes++; p.nodes > maxNodes {
		return nil, fmt.Errorf("document has more than %d values", maxNodes)
	}
	switch t := tok.(type) {
	case nil:
		return &node{kind: nullNode}, nil
	case bool:
		return &node{kind: boolNode, b: t}, nil
	case json.Number:
		return &node{kind: numberNode, text: string(t)}, nil
	case string:
		return &node{kind: stringNode, text: t}, nil
	case json.Delim:
		if depth >= maxDepth {
			return nil, errTooDeep
		}
		switch t {
		case '{':
			n := &node{kind: objectNode}
			seen := map[string]bool{}
			for p.dec.More() {
				kt, err := p.token()
				if err != nil {
					return nil, err
				}
				key, _ := kt.(string) // the decoder only yields string keys
				if seen[key] {
					return nil, fieldErr(joinPath(path, key), "duplicate field")
				}
				seen[key] = true
				v, err := p.value(depth+1, joinPath(path, key))
				if err != nil {
					return nil, err
				}
				n.keys = append(n.keys, key)
				n.vals = append(n.vals, v)
			}
			if _, err := p.token(); err != nil { // '}'
				return nil, err
			}
			return n, nil
		case '[':
			n := &node{kind: arrayNode}
			for p.dec.More() {
				v, err := p.value(depth+1, indexPath(path, len(n.items)))
				if err != nil {
					return nil, err
				}
				n.items = append(n.items, v)
			}
			if _, err := p.token(); err != nil { // ']'
				return nil, err
			}
			return n, nil
		}
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}

// jsonSyntaxError adds the line and column of the failure.
func jsonSyntaxError(data []byte, dec *json.Decoder, err error) error {
	off := dec.InputOffset()
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off = se.Offset
	}
	return syntaxErrorAt(data, off, err)
}

func syntaxErrorAt(data []byte, off int64, err error) error {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	line := 1 + bytes.Count(data[:off], []byte{'\n'})
	col := int(off) - bytes.LastIndexByte(data[:off], '\n')
	return &FieldError{Msg: fmt.Sprintf("invalid JSON at line %d, column %d: %v", line, col, err), Err: err}
}

// parseYAMLTree reads a single YAML document. yaml.v3 resolves tags
// (!!int, !!bool, ...) and refuses duplicate mapping keys for us; aliases and
// merge keys (<<) are expanded here.
func parseYAMLTree(data []byte) (n *node, err error) {
	var doc yaml.Node
	if err := safeYAMLUnmarshal(data, &doc); err != nil {
		return nil, &FieldError{Msg: "invalid YAML: " + strings.TrimPrefix(err.Error(), "yaml: "), Err: err}
	}
	if doc.Kind == 0 { // empty document
		return nil, nil
	}
	c := &yamlConverter{}
	n, err = c.convert(&doc, 0, "")
	if err != nil {
		if fe, ok := err.(*FieldError); ok {
			return nil, fe
		}
		return nil, &FieldError{Msg: "invalid YAML: " + err.Error(), Err: err}
	}
	return n, nil
}

// safeYAMLUnmarshal turns a panic inside the YAML library into an error:
// Parse promises never to panic, whatever the input.
func safeYAMLUnmarshal(data []byte, v *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: malformed document (%v)", r)
		}
	}()
	return yaml.Unmarshal(data, v)
}

type yamlConverter struct {
	nodes      int
	inAlias    int // > 0 while converting the target of an alias
	aliasNodes int
}

func (c *yamlConverter) convert(y *yaml.Node, depth int, path string) (*node, error) {
	if c.nodes++; c.nodes > maxNodes {
		return nil, fmt.Errorf("document has more than %d values", maxNodes)
	}
	if c.inAlias > 0 {
		if c.aliasNodes++; c.aliasNodes > maxAliasNodes {
			return nil, fmt.Errorf("aliases expand to more than %d values", maxAliasNodes)
		}
	}
	if depth >= maxDepth {
		return nil, errTooDeep
	}
	switch y.Kind {
	case yaml.DocumentNode:
		if len(y.Content) == 0 {
			return &node{kind: nullNode}, nil
		}
		return c.convert(y.Content[0], depth, path)
	case yaml.AliasNode:
		if y.Alias == nil {
			return nil, fmt.Errorf("line %d: unresolved alias", y.Line)
		}
		c.inAlias++
		defer func() { c.inAlias-- }()
		return c.convert(y.Alias, depth+1, path)
	case yaml.ScalarNode:
		return yamlScalar(y)
	case yaml.SequenceNode:
		n := &node{kind: arrayNode}
		for i, item := range y.Content {
			v, err := c.convert(item, depth+1, indexPath(path, i))
			if err != nil {
				return nil, err
			}
			n.items = append(n.items, v)
		}
		return n, nil
	case yaml.MappingNode:
		return c.mapping(y, depth, path)
	}
	return nil, fmt.Errorf("line %d: unsupported YAML node", y.Line)
}

func (c *yamlConverter) mapping(y *yaml.Node, depth int, path string) (*node, error) {
	n := &node{kind: objectNode}
	index := map[string]int{}
	var merges []*node
	for i := 0; i+1 < len(y.Content); i += 2 {
		k, v := y.Content[i], y.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("line %d: mapping keys must be scalars", k.Line)
		}
		if k.ShortTag() != "!!merge" {
			if _, dup := index[k.Value]; dup {
				return nil, fieldErr(joinPath(path, k.Value), "duplicate field")
			}
		}
		val, err := c.convert(v, depth+1, joinPath(path, k.Value))
		if err != nil {
			return nil, err
		}
		if k.ShortTag() == "!!merge" {
			merges = append(merges, val)
			continue
		}
		index[k.Value] = len(n.keys)
		n.keys = append(n.keys, k.Value)
		n.vals = append(n.vals, val)
	}
	// Merge keys (YAML 1.1 "<<") add the keys of the merged mappings that
	// the mapping does not set itself; earlier merged mappings win.
	for _, m := range merges {
		sources := []*node{m}
		if m.kind == arrayNode {
			sources = m.items
		}
		for _, s := range sources {
			if s.kind != objectNode {
				return nil, fmt.Errorf("line %d: the value of a merge key must be a mapping", y.Line)
			}
			for j, key := range s.keys {
				if _, ok := index[key]; ok {
					continue
				}
				index[key] = len(n.keys)
				n.keys = append(n.keys, key)
				n.vals = append(n.vals, s.vals[j])
			}
		}
	}
	return n, nil
}

// yamlScalar converts a resolved scalar. The common spellings are parsed
// directly (y.Decode costs microseconds, which adds up under aliases);
// anything else, such as explicitly tagged odd values, goes to y.Decode.
func yamlScalar(y *yaml.Node) (*node, error) {
	switch y.ShortTag() {
	case "!!null":
		return &node{kind: nullNode}, nil
	case "!!bool":
		if b, err := strconv.ParseBool(y.Value); err == nil {
			return &node{kind: boolNode, b: b}, nil
		}
		var b bool
		if err := y.Decode(&b); err != nil {
			return nil, fmt.Errorf("line %d: %v", y.Line, err)
		}
		return &node{kind: boolNode, b: b}, nil
	case "!!int":
		plain := strings.ReplaceAll(y.Value, "_", "")
		if i, err := strconv.ParseInt(plain, 0, 64); err == nil {
			return &node{kind: numberNode, text: strconv.FormatInt(i, 10)}, nil
		}
		if u, err := strconv.ParseUint(plain, 0, 64); err == nil {
			return &node{kind: numberNode, text: strconv.FormatUint(u, 10)}, nil
		}
		var i int64
		if err := y.Decode(&i); err == nil {
			return &node{kind: numberNode, text: strconv.FormatInt(i, 10)}, nil
		}
		var u uint64
		if err := y.Decode(&u); err == nil {
			return &node{kind: numberNode, text: strconv.FormatUint(u, 10)}, nil
		}
		return nil, fmt.Errorf("line %d: integer %s is out of range", y.Line, truncate(y.Value, 32))
	case "!!float":
		f, err := strconv.ParseFloat(strings.ReplaceAll(y.Value, "_", ""), 64)
		if err != nil {
			if err := y.Decode(&f); err != nil {
				return nil, fmt.Errorf("line %d: %v", y.Line, err)
			}
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("line %d: %s is not a finite number", y.Line, y.Value)
		}
		return &node{kind: numberNode, text: strconv.FormatFloat(f, 'g', -1, 64)}, nil
	default: // !!str, !!timestamp, !!binary and custom tags: keep the text
		return &node{kind: stringNode, text: y.Value}, nil
	}
}

// appendJSON writes n as compact JSON, keys in document order.
func appendJSON(buf *bytes.Buffer, n *node) {
	switch n.kind {
	case nullNode:
		buf.WriteString("null")
	case boolNode:
		buf.WriteString(strconv.FormatBool(n.b))
	case numberNode:
		buf.WriteString(n.text)
	case stringNode:
		appendJSONString(buf, n.text)
	case objectNode:
		buf.WriteByte('{')
		for i, k := range n.keys {
			if i > 0 {
				buf.WriteByte(',')
			}
			appendJSONString(buf, k)
			buf.WriteByte(':')
			appendJSON(buf, n.vals[i])
		}
		buf.WriteByte('}')
	case arrayNode:
		buf.WriteByte('[')
		for i, it := range n.items {
			if i > 0 {
				buf.WriteByte(',')
			}
			appendJSON(buf, it)
		}
		buf.WriteByte(']')
	}
}

func appendJSONString(buf *bytes.Buffer, s string) {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)           // a string always encodes
	buf.Truncate(buf.Len() - 1) // Encode appends a newline
}

// isZeroNode reports whether a raw value sets nothing: null, false, 0, "",
// or an object or array whose members are all zero. It decides whether a
// recognised but unsupported raw block was actually used.
func isZeroNode(n *node) bool {
	switch n.kind {
	case nullNode:
		return true
	case boolNode:
		return !n.b
	case numberNode:
		f, err := strconv.ParseFloat(n.text, 64)
		return err == nil && f == 0
	case stringNode:
		return n.text == ""
	case objectNode:
		for _, v := range n.vals {
			if !isZeroNode(v) {
				return false
			}
		}
		return true
	default:
		for _, v := range n.items {
			if !isZeroNode(v) {
				return false
			}
		}
		return true
	}
}
