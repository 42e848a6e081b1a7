package router

import (
	"slices"
	"strings"
)

// hostIndex finds a virtual host by request host in time independent of
// the number of virtual hosts: exact domains in a map; wildcard domains
// in one map per length ("*.foo.com" is the suffix ".foo.com" in the map
// for length 8), tried longest first, so a lookup costs one map probe per
// distinct wildcard length shorter than the host (Envoy keeps its
// wildcards the same way).
type hostIndex struct {
	exact    map[string]*VirtualHost
	suffixes []wildcards // longest first
	prefixes []wildcards // longest first
	fallback *VirtualHost
}

// wildcards are the suffix (or prefix) wildcards of one length.
type wildcards struct {
	n  int
	vh map[string]*VirtualHost
}

// add records a lower-case domain; validation has refused duplicates.
func (x *hostIndex) add(d string, vh *VirtualHost) bool {
	switch {
	case d == "*":
		if x.fallback != nil {
			return false
		}
		x.fallback = vh
		return true
	case strings.HasPrefix(d, "*"):
		return addWildcard(&x.suffixes, d[1:], vh)
	case strings.HasSuffix(d, "*"):
		return addWildcard(&x.prefixes, d[:len(d)-1], vh)
	}
	if x.exact == nil {
		x.exact = map[string]*VirtualHost{}
	}
	if _, dup := x.exact[d]; dup {
		return false
	}
	x.exact[d] = vh
	return true
}

func addWildcard(list *[]wildcards, s string, vh *VirtualHost) bool {
	i, found := slices.BinarySearchFunc(*list, len(s), func(w wildcards, n int) int { return n - w.n })
	if !found {
		*list = slices.Insert(*list, i, wildcards{n: len(s), vh: map[string]*VirtualHost{}})
	}
	m := (*list)[i].vh
	if _, dup := m[s]; dup {
		return false
	}
	m[s] = vh
	return true
}

// find looks up a lower-case host: exact names (with the port, then
// without), the longest suffix wildcard, the longest prefix wildcard
// (each again with the port, then without), then "*". A wildcard's star
// stands for at least one character.
func (x *hostIndex) find(h []byte) *VirtualHost {
	bare := h
	if i := portIndex(h); i >= 0 {
		bare = h[:i]
	}
	if len(x.exact) > 0 {
		if vh, ok := x.exact[string(h)]; ok {
			return vh
		}
		if len(bare) < len(h) {
			if vh, ok := x.exact[string(bare)]; ok {
				return vh
			}
		}
	}
	for _, host := range [2][]byte{h, bare} {
		for _, w := range x.suffixes {
			if w.n < len(host) {
				if vh, ok := w.vh[string(host[len(host)-w.n:])]; ok {
					return vh
				}
			}
		}
		if len(bare) == len(h) {
			break
		}
	}
	for _, host := range [2][]byte{h, bare} {
		for _, w := range x.prefixes {
			if w.n < len(host) {
				if vh, ok := w.vh[string(host[:w.n])]; ok {
					return vh
				}
			}
		}
		if len(bare) == len(h) {
			break
		}
	}
	return x.fallback
}

// portIndex returns the index of the ':' before a port, or -1 (IPv6
// literals in brackets are handled).
func portIndex(h []byte) int {
	for i := len(h) - 1; i >= 0; i-- {
		switch c := h[i]; {
		case c == ':':
			return i
		case c == ']':
			return -1
		case c < '0' || c > '9':
			return -1
		}
	}
	return -1
}
