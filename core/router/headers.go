package router

import (
	"github.com/seed405ffdea/mosn/core/accesslog"
	"github.com/seed405ffdea/mosn/core/config"
	"github.com/seed405ffdea/mosn/core/protocol/http1"
)

// HeaderMutations are the header changes for one direction (request or
// response) of a route: its own, its virtual host's and its table's
// request_headers_to_add/_remove or response_headers_to_add/_remove,
// flattened in Envoy's order of evaluation: route, virtual host, table;
// within each, removals, then additions. A later step wins: a removal
// or a replacement (append false) drops what earlier steps and the
// message itself had under that name. Immutable.
type HeaderMutations struct {
	ops     []headerOp
	dynamic bool // some value has variables
}

type headerOp struct {
	name   string
	remove bool
	append bool
	value  string            // static value
	format *accesslog.Format // non-nil: value has variables
}

// Dynamic reports whether some value has variables, so Mutator.Reset
// needs an Entry.
func (m *HeaderMutations) Dynamic() bool { return m != nil && m.dynamic }

// level compiles one level's removals and additions.
func level(remove []string, add []config.HeaderValueOption) ([]headerOp, error) {
	var ops []headerOp
	for _, n := range remove {
		ops = append(ops, headerOp{name: n, remove: true})
	}
	for _, a := range add {
		if a.Header == nil {
			continue
		}
		op := headerOp{name: a.Header.Key, value: a.Header.Value, append: a.Append == nil || *a.Append}
		if containsPercent(op.value) {
			f, err := accesslog.Compile(op.value)
			if err != nil {
				return nil, err
			}
			op.format = f
		}
		ops = append(ops, op)
	}
	return ops, nil
}

func containsPercent(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '%' {
			return true
		}
	}
	return false
}

// merge flattens levels, most specific first; nil when there is nothing.
func merge(levels ...[]headerOp) *HeaderMutations {
	var m HeaderMutations
	for _, l := range levels {
		for _, op := range l {
			m.ops = append(m.ops, op)
			if op.format != nil {
				m.dynamic = true
			}
		}
	}
	if len(m.ops) == 0 {
		return nil
	}
	return &m
}

// Mutator applies HeaderMutations to one message. Keep one per
// connection and Reset it per message: it reuses its buffers, so that
// applying mutations allocates nothing once they have grown.
type Mutator struct {
	m     *HeaderMutations
	buf   []byte // rendered dynamic values
	spans []span // per op
}

// span is where an op's value is: static (the op's own), in buf, or
// skipped (it rendered empty; Envoy then does not add the field).
type span struct {
	start, end int32
	state      spanState
}

type spanState uint8

const (
	spanStatic spanState = iota
	spanBuf
	spanSkip
)

// Reset prepares x for one message: it renders the variable values with
// e, which may be nil when m is not Dynamic. A nil m makes x a no-op.
func (x *Mutator) Reset(m *HeaderMutations, e *accesslog.Entry) {
	x.m = m
	x.buf = x.buf[:0]
	x.spans = x.spans[:0]
	if m == nil {
		return
	}
	for i := range m.ops {
		op := &m.ops[i]
		s := span{}
		switch {
		case op.remove:
		case op.format != nil:
			start := len(x.buf)
			if e != nil {
				x.buf = op.format.AppendValue(x.buf, e)
			}
			s = span{start: int32(start), end: int32(len(x.buf)), state: spanBuf}
			if s.start == s.end {
				s.state = spanSkip
			}
		case op.value == "":
			s.state = spanSkip
		}
		x.spans = append(x.spans, s)
	}
}

// Active reports whether x has mutations to apply.
func (x *Mutator) Active() bool { return x.m != nil }

// replaces reports whether op i removes or replaces fields of its name.
func (x *Mutator) replaces(i int) bool {
	op := &x.m.ops[i]
	return op.remove || !op.append && x.spans[i].state != spanSkip
}

// Keep reports whether a field of the message named name survives the
// mutations.
func (x *Mutator) Keep(name []byte) bool {
	if x.m == nil {
		return true
	}
	for i := range x.m.ops {
		if x.replaces(i) && http1.EqualFold(name, x.m.ops[i].name) {
			return false
		}
	}
	return true
}

// KeepString is Keep for a name given as a string.
func (x *Mutator) KeepString(name string) bool {
	if x.m == nil {
		return true
	}
	for i := range x.m.ops {
		if x.replaces(i) && equalFoldString(name, x.m.ops[i].name) {
			return false
		}
	}
	return true
}

// AppendAdded appends the fields the mutations add, each as
// "Name: value\r\n", in order.
func (x *Mutator) AppendAdded(dst []byte) []byte {
	if x.m == nil {
		return dst
	}
	ops := x.m.ops
	for i := range ops {
		op := &ops[i]
		if op.remove || x.spans[i].state == spanSkip {
			continue
		}
		dropped := false
		for j := i + 1; j < len(ops); j++ {
			if x.replaces(j) && equalFoldString(op.name, ops[j].name) {
				dropped = true
				break
			}
		}
		if dropped {
			continue
		}
		dst = append(dst, op.name...)
		dst = append(dst, ": "...)
		if s := x.spans[i]; s.state == spanBuf {
			dst = append(dst, x.buf[s.start:s.end]...)
		} else {
			dst = append(dst, op.value...)
		}
		dst = append(dst, "\r\n"...)
	}
	return dst
}

func equalFoldString(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
