package http1

import (
	"unsafe"

	"github.com/seed405ffdea/mosn/api"
)

// HeaderMap adapts a parsed []Header to api.HeaderMap for stream filters.
// Keys compare ASCII case-insensitively.
//
// Get and Range return strings that alias the header bytes (the read
// buffer, or the map's own arena for values set through it) without
// copying: they are valid until the stream ends, as api.HeaderMap allows.
// Set and Add copy key and value into an arena owned by the map, which is
// reused after Reset, so a pooled HeaderMap stops allocating once the
// arena has grown.
//
// Changes through the map are not reflected in the derived fields of a
// RequestHead or ResponseHead (Host, ContentLength, ...).
//
// The zero value is an empty map with no backing slice; use Reset or
// NewHeaderMap to attach one. Embed a HeaderMap in a pooled per-stream
// object and pass its address to avoid allocating one per request.
type HeaderMap struct {
	h     *[]Header
	arena []byte
	own   []Header // backing slice when none was attached
}

var _ api.HeaderMap = (*HeaderMap)(nil)

// NewHeaderMap returns a map over *h; changes are made to *h.
func NewHeaderMap(h *[]Header) *HeaderMap {
	m := &HeaderMap{}
	m.Reset(h)
	return m
}

// Reset attaches the map to *h (nil for an empty map of its own) and
// recycles the arena: strings obtained from the map before Reset may
// change afterwards.
func (m *HeaderMap) Reset(h *[]Header) {
	m.arena = m.arena[:0]
	if h == nil {
		m.own = m.own[:0]
		h = &m.own
	}
	m.h = h
}

// Headers returns the current header slice.
func (m *HeaderMap) Headers() []Header {
	if m.h == nil {
		return nil
	}
	return *m.h
}

func (m *HeaderMap) slice() *[]Header {
	if m.h == nil {
		m.h = &m.own
	}
	return m.h
}

// Get returns the first value of key.
func (m *HeaderMap) Get(key string) (string, bool) {
	for _, f := range m.Headers() {
		if equalFold(f.Name, key) {
			return bytesString(f.Value), true
		}
	}
	return "", false
}

// Set replaces every value of key with value: the first field named key
// keeps its place, the others are removed; if none exists one is added.
func (m *HeaderMap) Set(key, value string) {
	hs := m.slice()
	found := false
	out := (*hs)[:0]
	for _, f := range *hs {
		if equalFold(f.Name, key) {
			if found {
				continue
			}
			found = true
			f.Value = m.copy(value)
		}
		out = append(out, f)
	}
	clear((*hs)[len(out):])
	*hs = out
	if !found {
		m.Add(key, value)
	}
}

// Add appends a field key: value after the existing fields.
func (m *HeaderMap) Add(key, value string) {
	hs := m.slice()
	*hs = append(*hs, Header{Name: m.copy(key), Value: m.copy(value)})
}

// Del removes every field named key.
func (m *HeaderMap) Del(key string) {
	hs := m.slice()
	out := (*hs)[:0]
	for _, f := range *hs {
		if !equalFold(f.Name, key) {
			out = append(out, f)
		}
	}
	clear((*hs)[len(out):])
	*hs = out
}

// Range calls f for each field in wire order until f returns false.
func (m *HeaderMap) Range(f func(key, value string) bool) {
	for _, h := range m.Headers() {
		if !f(bytesString(h.Name), bytesString(h.Value)) {
			return
		}
	}
}

// copy appends s to the arena and returns the copy. Growing the arena
// moves later copies to a new array; earlier ones keep the old array alive
// and unchanged.
func (m *HeaderMap) copy(s string) []byte {
	start := len(m.arena)
	m.arena = append(m.arena, s...)
	return m.arena[start:len(m.arena):len(m.arena)]
}

// bytesString views b as a string without copying; b must not change
// while the string is in use.
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}
