package config

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// decoder copies a node tree into typed structs, field by field, naming the
// path of the first field it cannot place. Struct fields are matched by
// their json tag; like encoding/json (and therefore MOSN) a key that
// differs from the tag only in case is accepted, with a warning.
type decoder struct {
	warnings []string
}

// nodeDecoder is implemented by types with their own configuration syntax
// (Duration, CircuitBreakers).
type nodeDecoder interface {
	decodeNode(d *decoder, n *node, path string) error
}

// legacyFielder is implemented by structs that accept keys MOSN once had and
// now silently ignores; the decoder skips those keys with a warning instead
// of calling them unknown. The map value says why the key is ignored.
type legacyFielder interface {
	legacyFields() map[string]string
}

var (
	rawMessageType  = reflect.TypeFor[json.RawMessage]()
	nodeDecoderType = reflect.TypeFor[nodeDecoder]()
	legacyType      = reflect.TypeFor[legacyFielder]()
)

// decode stores n into v, which must be settable.
func (d *decoder) decode(n *node, v reflect.Value, path string, opt string) error {
	if v.CanAddr() && v.Addr().Type().Implements(nodeDecoderType) {
		if n.kind == nullNode {
			return nil
		}
		return v.Addr().Interface().(nodeDecoder).decodeNode(d, n, path)
	}
	if v.Type() == rawMessageType {
		return d.decodeRaw(n, v, path, opt)
	}
	switch opt {
	case "processor":
		return decodeProcessor(n, v, path)
	case "original_dst":
		return decodeOriginalDst(n, v, path)
	}
	switch v.Kind() {
	case reflect.Pointer:
		if n.kind == nullNode {
			v.SetZero()
			return nil
		}
		p := reflect.New(v.Type().Elem())
		if err := d.decode(n, p.Elem(), path, opt); err != nil {
			return err
		}
		v.Set(p)
		return nil
	case reflect.Struct:
		return d.decodeStruct(n, v, path)
	case reflect.Slice:
		if n.kind == nullNode {
			v.SetZero()
			return nil
		}
		if n.kind != arrayNode {
			return fieldErr(path, "expected a list, got %s", n.describe())
		}
		s := reflect.MakeSlice(v.Type(), len(n.items), len(n.items))
		for i, it := range n.items {
			if err := d.decode(it, s.Index(i), indexPath(path, i), ""); err != nil {
				return err
			}
		}
		v.Set(s)
		return nil
	case reflect.Map:
		if n.kind == nullNode {
			v.SetZero()
			return nil
		}
		if n.kind != objectNode {
			return fieldErr(path, "expected an object, got %s", n.describe())
		}
		m := reflect.MakeMapWithSize(v.Type(), len(n.keys))
		for i, k := range n.keys {
			e := reflect.New(v.Type().Elem()).Elem()
			if err := d.decode(n.vals[i], e, joinPath(path, k), ""); err != nil {
				return err
			}
			m.SetMapIndex(reflect.ValueOf(k).Convert(v.Type().Key()), e)
		}
		v.Set(m)
		return nil
	case reflect.String:
		if n.kind != stringNode {
			if n.kind == nullNode {
				v.SetString("")
				return nil
			}
			return fieldErr(path, "expected a string, got %s", n.describe())
		}
		v.SetString(n.text)
		return nil
	case reflect.Bool:
		if n.kind != boolNode {
			if n.kind == nullNode {
				v.SetBool(false)
				return nil
			}
			return fieldErr(path, "expected a boolean, got %s", n.describe())
		}
		v.SetBool(n.b)
		return nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, err := nodeInt(n, path, v.Type().Bits())
		if err != nil {
			return err
		}
		v.SetInt(i)
		return nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		u, err := nodeUint(n, path, v.Type().Bits())
		if err != nil {
			return err
		}
		v.SetUint(u)
		return nil
	case reflect.Float32, reflect.Float64:
		if n.kind != numberNode {
			if n.kind == nullNode {
				v.SetFloat(0)
				return nil
			}
			return fieldErr(path, "expected a number, got %s", n.describe())
		}
		f, err := strconv.ParseFloat(n.text, v.Type().Bits())
		if err != nil {
			return causeErr(path, err, "number %s is out of range", truncate(n.text, 32))
		}
		v.SetFloat(f)
		return nil
	}
	// Only reachable if a model type gains a field kind this decoder does
	// not know; a programming error, reported rather than panicking.
	return fieldErr(path, "cannot decode into %s", v.Type())
}

// decodeRaw stores the subtree as compact JSON. With opt "object" the value
// must be an object (filter configs are objects in MOSN).
func (d *decoder) decodeRaw(n *node, v reflect.Value, path, opt string) error {
	if n.kind == nullNode {
		v.SetZero()
		return nil
	}
	if opt == "object" && n.kind != objectNode {
		return fieldErr(path, "expected an object, got %s", n.describe())
	}
	var buf bytes.Buffer
	appendJSON(&buf, n)
	v.SetBytes(buf.Bytes())
	return nil
}

func (d *decoder) decodeStruct(n *node, v reflect.Value, path string) error {
	if n.kind == nullNode {
		return nil
	}
	if n.kind != objectNode {
		return fieldErr(path, "expected an object, got %s", n.describe())
	}
	fields := structFields(v.Type())
	var legacy map[string]string
	if v.CanAddr() && v.Addr().Type().Implements(legacyType) {
		legacy = v.Addr().Interface().(legacyFielder).legacyFields()
	}
	set := make([]bool, len(fields.list))
	for i, key := range n.keys {
		fpath := joinPath(path, key)
		idx, ok := fields.byName[key]
		if !ok {
			if why, isLegacy := legacy[key]; isLegacy {
				d.warnings = append(d.warnings, fpath+": ignored: "+why)
				continue
			}
			idx, ok = fields.byFold[strings.ToLower(key)]
			if !ok {
				return &FieldError{Path: fpath, Msg: "unknown field", Err: ErrUnknownField}
			}
			d.warnings = append(d.warnings, fpath+": matched field "+
				strconv.Quote(fields.list[idx].name)+" ignoring case; write it as "+
				strconv.Quote(fields.list[idx].name))
		}
		if set[idx] {
			return fieldErr(fpath, "duplicate field (%q is already set)", fields.list[idx].name)
		}
		set[idx] = true
		f := fields.list[idx]
		if err := d.decode(n.vals[i], v.Field(f.index), fpath, f.opt); err != nil {
			return err
		}
	}
	return nil
}

type structField struct {
	name  string // json name
	index int
	opt   string // the `decode` tag
}

type fieldSet struct {
	list   []structField
	byName map[string]int
	byFold map[string]int
}

var fieldCache sync.Map // reflect.Type -> *fieldSet

func structFields(t reflect.Type) *fieldSet {
	if fs, ok := fieldCache.Load(t); ok {
		return fs.(*fieldSet)
	}
	fs := &fieldSet{byName: map[string]int{}, byFold: map[string]int{}}
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		fs.byName[name] = len(fs.list)
		if _, dup := fs.byFold[strings.ToLower(name)]; !dup {
			fs.byFold[strings.ToLower(name)] = len(fs.list)
		}
		fs.list = append(fs.list, structField{name: name, index: i, opt: sf.Tag.Get("decode")})
	}
	actual, _ := fieldCache.LoadOrStore(t, fs)
	return actual.(*fieldSet)
}

func nodeInt(n *node, path string, bits int) (int64, error) {
	switch n.kind {
	case nullNode:
		return 0, nil
	case numberNode:
	default:
		return 0, fieldErr(path, "expected an integer, got %s", n.describe())
	}
	i, err := strconv.ParseInt(n.text, 10, bits)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, causeErr(path, err, "integer %s is out of range", truncate(n.text, 32))
		}
		return 0, causeErr(path, err, "expected an integer, got %s", n.describe())
	}
	return i, nil
}

func nodeUint(n *node, path string, bits int) (uint64, error) {
	switch n.kind {
	case nullNode:
		return 0, nil
	case numberNode:
	default:
		return 0, fieldErr(path, "expected a non-negative integer, got %s", n.describe())
	}
	if strings.HasPrefix(n.text, "-") {
		return 0, fieldErr(path, "expected a non-negative integer, got %s", n.describe())
	}
	u, err := strconv.ParseUint(n.text, 10, bits)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, causeErr(path, err, "integer %s is out of range (maximum %d)", truncate(n.text, 32), uint64(math.MaxUint64)>>(64-bits))
		}
		return 0, causeErr(path, err, "expected a non-negative integer, got %s", n.describe())
	}
	return u, nil
}

// decodeProcessor reads MOSN's server "processor": a number of OS threads,
// or the string "auto" (match the CPU quota), or a number written as a
// string. "auto" becomes 0, which leaves GOMAXPROCS at the Go runtime's
// default; since Go 1.25 that default already follows the cgroup CPU limit,
// which is what MOSN's "auto" did through automaxprocs.
func decodeProcessor(n *node, v reflect.Value, path string) error {
	switch n.kind {
	case stringNode:
		if strings.EqualFold(n.text, "auto") {
			v.SetInt(0)
			return nil
		}
		i, err := strconv.ParseInt(n.text, 10, 32)
		if err != nil {
			return causeErr(path, err, "expected a number of processors or \"auto\", got %s", n.describe())
		}
		v.SetInt(i)
		return nil
	case numberNode, nullNode:
		i, err := nodeInt(n, path, 32)
		if err != nil {
			return err
		}
		v.SetInt(i)
		return nil
	}
	return fieldErr(path, "expected a number of processors or \"auto\", got %s", n.describe())
}

// decodeOriginalDst reads MOSN's use_original_dst: a boolean in older
// versions (true meant iptables REDIRECT) or a string ("redirect",
// "tproxy") in newer ones.
func decodeOriginalDst(n *node, v reflect.Value, path string) error {
	switch n.kind {
	case nullNode:
		v.SetString("")
	case boolNode:
		if n.b {
			v.SetString("redirect")
		} else {
			v.SetString("")
		}
	case stringNode:
		v.SetString(n.text)
	default:
		return fieldErr(path, "expected a boolean or a string, got %s", n.describe())
	}
	return nil
}

// decodeInto decodes a whole tree into v (a pointer) and returns the
// warnings collected on the way.
func decodeInto(n *node, v any, path string) ([]string, error) {
	d := &decoder{}
	err := d.decode(n, reflect.ValueOf(v).Elem(), path, "")
	return d.warnings, err
}

// decodeRawJSON decodes a json.RawMessage (a filter's config) strictly into
// v, naming fields below path.
func decodeRawJSON(raw json.RawMessage, v any, path string) ([]string, error) {
	if len(raw) == 0 {
		raw = json.RawMessage("{}")
	}
	n, err := parseJSONTreeAt(raw, path)
	if err != nil {
		if fe, ok := err.(*FieldError); ok && fe.Path == "" {
			fe.Path = path
		}
		return nil, err
	}
	return decodeInto(n, v, path)
}
