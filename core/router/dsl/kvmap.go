package dsl

import (
	"net/url"
	"reflect"
	"unsafe"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"

	"github.com/seed405ffdea/mosn/core/protocol/http1"
)

type kvKind uint8

const (
	kindHeaders kvKind = iota
	kindQuery
)

// kvMap is request.headers or request.query_params as a CEL map(string,
// string) read straight from the request, without building a Go map for
// the common lookups (m["k"], "k" in m). Iteration and conversion build
// one.
type kvMap struct {
	kind kvKind
	r    *Request
}

var _ traits.Mapper = (*kvMap)(nil)

// get returns the first value of k: header names ignore case, query
// names do not and query values are percent-decoded (as MOSN's
// request.query_params).
func (m *kvMap) get(k string) (string, bool) {
	if m.kind == kindHeaders {
		for _, f := range m.r.Headers {
			if http1.EqualFold(f.Name, k) {
				return view(f.Value), true
			}
		}
		return "", false
	}
	found := false
	var value string
	eachParam(m.r.Query, func(name, v []byte) bool {
		if string(name) == k {
			found, value = true, decode(v)
			return false
		}
		return true
	})
	return value, found
}

// native builds the whole map: the first value of each name (header names
// lower-cased).
func (m *kvMap) native() map[string]string {
	out := map[string]string{}
	if m.kind == kindHeaders {
		for _, f := range m.r.Headers {
			k := lower(f.Name)
			if _, dup := out[k]; !dup {
				out[k] = string(f.Value)
			}
		}
		return out
	}
	eachParam(m.r.Query, func(name, v []byte) bool {
		if _, dup := out[string(name)]; !dup {
			out[string(name)] = decode(v)
		}
		return true
	})
	return out
}

func (m *kvMap) asMapper() traits.Mapper {
	return types.NewStringStringMap(types.DefaultTypeAdapter, m.native())
}

func (m *kvMap) Find(key ref.Val) (ref.Val, bool) {
	k, ok := key.(types.String)
	if !ok {
		return types.ValOrErr(key, "no such key: %v", key), false
	}
	v, found := m.get(string(k))
	if !found {
		return nil, false
	}
	return types.String(v), true
}

func (m *kvMap) Get(key ref.Val) ref.Val {
	v, found := m.Find(key)
	if !found {
		return types.ValOrErr(v, "no such key: %v", key)
	}
	return v
}

func (m *kvMap) Contains(key ref.Val) ref.Val {
	_, found := m.Find(key)
	return types.Bool(found)
}

func (m *kvMap) Size() ref.Val             { return types.Int(len(m.native())) }
func (m *kvMap) Iterator() traits.Iterator { return m.asMapper().Iterator() }
func (m *kvMap) Type() ref.Type            { return types.MapType }
func (m *kvMap) Value() any                { return m.native() }

func (m *kvMap) ConvertToNative(t reflect.Type) (any, error) {
	return m.asMapper().ConvertToNative(t)
}

func (m *kvMap) ConvertToType(t ref.Type) ref.Val {
	switch t {
	case types.MapType:
		return m
	case types.TypeType:
		return types.MapType
	}
	return types.NewErr("type conversion error from map to %s", t)
}

func (m *kvMap) Equal(other ref.Val) ref.Val { return m.asMapper().Equal(other) }

// eachParam calls f for each name=value pair of a raw query string
// (pairs split at '&'; a pair without '=' has an empty value) until f
// returns false.
func eachParam(q []byte, f func(name, value []byte) bool) {
	for len(q) > 0 {
		pair := q
		if i := indexByte(q, '&'); i >= 0 {
			pair, q = q[:i], q[i+1:]
		} else {
			q = nil
		}
		if len(pair) == 0 {
			continue
		}
		name, value := pair, []byte(nil)
		if i := indexByte(pair, '='); i >= 0 {
			name, value = pair[:i], pair[i+1:]
		}
		if !f(name, value) {
			return
		}
	}
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// decode percent-decodes a query value; an undecodable one is kept raw.
func decode(v []byte) string {
	s, err := url.QueryUnescape(string(v))
	if err != nil {
		return string(v)
	}
	return s
}

func lower(b []byte) string {
	out := make([]byte, len(b))
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return string(out)
}

// view returns b as a string without copying; used only while an
// expression is evaluated.
func view(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}
