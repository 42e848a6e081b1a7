package router

import (
	"bytes"
	"regexp"
	"strings"

	"github.com/seed405ffdea/mosn/core/config"
	"github.com/seed405ffdea/mosn/core/protocol/http1"
	"github.com/seed405ffdea/mosn/core/router/dsl"
)

// Request is what a route table matches. Its slices alias the caller's
// buffers (the proxy's read buffer); the router reads them during Match
// and the Route methods that take a Request, and keeps none of them.
type Request struct {
	// Method is the request method.
	Method []byte
	// Host is the Host header, or the authority of an absolute-form
	// target; any case, port included or not.
	Host []byte
	// Target is the request target in origin form: the path and, after a
	// '?', the query. A fragment, if a client sent one, is ignored.
	Target []byte
	// Headers are the request's fields in wire order.
	Headers []http1.Header
	// Internal says the client is internal (a loopback or private
	// address): require_tls "EXTERNAL_ONLY" does not redirect it.
	Internal bool
	// TLS says the request arrived over TLS.
	TLS bool
}

// SplitTarget returns the path and the query (without the '?'; nil when
// there is none) of an origin-form target, ignoring a fragment.
func SplitTarget(target []byte) (path, query []byte) {
	for i, c := range target {
		switch c {
		case '?':
			q := target[i+1:]
			for j, c := range q {
				if c == '#' {
					q = q[:j]
					break
				}
			}
			return target[:i], q
		case '#':
			return target[:i], nil
		}
	}
	return target, nil
}

// view is a Request with its target split, built once per Match.
type view struct {
	*Request
	path, query []byte
}

// pathKind is how a route matches the path.
type pathKind uint8

const (
	pathAny pathKind = iota
	pathPrefix
	pathExact
	pathRegex
)

// matcher is a route's match, compiled.
type matcher struct {
	kind    pathKind
	pattern string // prefix or path
	fold    bool   // case-insensitive prefix or path
	re      *regexp.Regexp
	headers []headerMatcher
	query   []queryMatcher
	vars    []varMatcher
	dsl     []*dsl.Expression
}

// matchPath reports whether the path matches, the route's other
// conditions aside.
func (m *matcher) matchPath(path []byte) bool {
	switch m.kind {
	case pathPrefix:
		if len(path) < len(m.pattern) {
			return false
		}
		if m.fold {
			return http1.EqualFold(path[:len(m.pattern)], m.pattern)
		}
		return string(path[:len(m.pattern)]) == m.pattern
	case pathExact:
		if m.fold {
			return http1.EqualFold(path, m.pattern)
		}
		return string(path) == m.pattern
	case pathRegex:
		return m.re.Match(path)
	}
	return true
}

// matchRest checks everything but the path.
func (m *matcher) matchRest(v *view) bool {
	for i := range m.headers {
		if !m.headers[i].match(v) {
			return false
		}
	}
	for i := range m.query {
		if !m.query[i].match(v.query) {
			return false
		}
	}
	if len(m.vars) > 0 && !matchVariables(m.vars, v) {
		return false
	}
	if len(m.dsl) > 0 {
		return matchDSL(m.dsl, v)
	}
	return true
}

// matchDSL is apart so that the dsl.Request, which escapes, is allocated
// only for routes with expressions.
//
//go:noinline
func matchDSL(exprs []*dsl.Expression, v *view) bool {
	r := &dsl.Request{Method: v.Method, Host: v.Host, Path: v.path, Query: v.query, Headers: v.Headers}
	for _, e := range exprs {
		if !e.Match(r) {
			return false
		}
	}
	return true
}

// headerSource says where a header matcher's value comes from.
type headerSource uint8

const (
	srcField     headerSource = iota // the first field of that name
	srcMethod                        // :method, method, x-mosn-method
	srcAuthority                     // :authority, x-mosn-host
	srcTarget                        // :path (with the query, as in Envoy)
	srcPath                          // x-mosn-path (without the query)
	srcQuery                         // x-mosn-querystring
	srcScheme                        // :scheme
)

// headerSources maps the names that stand for request properties.
var headerSources = map[string]headerSource{
	":method":            srcMethod,
	"method":             srcMethod, // MOSN maps it to x-mosn-method
	"x-mosn-method":      srcMethod,
	":authority":         srcAuthority,
	"x-mosn-host":        srcAuthority,
	":path":              srcTarget,
	"x-mosn-path":        srcPath,
	"x-mosn-querystring": srcQuery,
	":scheme":            srcScheme,
}

type headerMatcher struct {
	name  string
	src   headerSource
	value string
	re    *regexp.Regexp // whole-value match; nil for an exact value
}

func (h *headerMatcher) match(v *view) bool {
	val, ok := h.value0(v)
	if !ok {
		return false
	}
	if h.re != nil {
		return h.re.Match(val)
	}
	return string(val) == h.value
}

// value0 returns the value the matcher looks at; false when the request
// has none.
func (h *headerMatcher) value0(v *view) ([]byte, bool) {
	switch h.src {
	case srcField:
		for _, f := range v.Headers {
			if http1.EqualFold(f.Name, h.name) {
				return f.Value, true
			}
		}
		return nil, false
	case srcMethod:
		return v.Method, true
	case srcAuthority:
		return v.Host, true
	case srcTarget:
		return v.Target, true
	case srcPath:
		return v.path, true
	case srcQuery:
		return v.query, v.query != nil
	case srcScheme:
		if v.TLS {
			return httpsBytes, true
		}
		return httpBytes, true
	}
	return nil, false
}

var httpBytes, httpsBytes = []byte("http"), []byte("https")

type queryMatcher struct {
	name string
	sm   *stringMatcher // nil: presence
}

// match finds the first parameter named q.name in the raw query (Envoy:
// pairs split at '&', values not decoded).
func (q *queryMatcher) match(query []byte) bool {
	value, ok := queryParam(query, q.name)
	return ok && (q.sm == nil || q.sm.match(value))
}

type stringKind uint8

const (
	strExact stringKind = iota
	strPrefix
	strSuffix
	strContains
	strRegex
)

// stringMatcher is Envoy's StringMatcher.
type stringMatcher struct {
	kind stringKind
	s    string
	fold bool
	re   *regexp.Regexp
	b    []byte // s, for bytes.Contains
}

func (m *stringMatcher) match(v []byte) bool {
	switch m.kind {
	case strExact:
		if m.fold {
			return http1.EqualFold(v, m.s)
		}
		return string(v) == m.s
	case strPrefix:
		if len(v) < len(m.s) {
			return false
		}
		if m.fold {
			return http1.EqualFold(v[:len(m.s)], m.s)
		}
		return string(v[:len(m.s)]) == m.s
	case strSuffix:
		if len(v) < len(m.s) {
			return false
		}
		tail := v[len(v)-len(m.s):]
		if m.fold {
			return http1.EqualFold(tail, m.s)
		}
		return string(tail) == m.s
	case strContains:
		if !m.fold {
			return bytes.Contains(v, m.b)
		}
		for i := 0; i+len(m.s) <= len(v); i++ {
			if http1.EqualFold(v[i:i+len(m.s)], m.s) {
				return true
			}
		}
		return false
	case strRegex:
		return m.re.Match(v)
	}
	return false
}

// compileWhole compiles re to match a whole value (Envoy's safe_regex).
func compileWhole(re string) (*regexp.Regexp, error) {
	if _, err := regexp.Compile(re); err != nil {
		return nil, err // the error names the pattern as written
	}
	return regexp.Compile(`^(?:` + re + `)$`)
}

func compileMatch(m *config.RouterMatch) (matcher, error) {
	var out matcher
	out.fold = m.CaseSensitive != nil && !*m.CaseSensitive
	switch {
	case m.Prefix != "":
		out.kind, out.pattern = pathPrefix, m.Prefix
	case m.Path != "":
		out.kind, out.pattern = pathExact, m.Path
	case m.Regex != "":
		re, err := compileWhole(m.Regex)
		if err != nil {
			return out, err
		}
		out.kind, out.re = pathRegex, re
	}
	for _, h := range m.Headers {
		hm := headerMatcher{name: h.Name, value: h.Value}
		hm.src = headerSources[strings.ToLower(h.Name)]
		if h.Regex {
			re, err := compileWhole(h.Value)
			if err != nil {
				return out, err
			}
			hm.re = re
		}
		out.headers = append(out.headers, hm)
	}
	for _, q := range m.QueryParameters {
		qm := queryMatcher{name: q.Name}
		if sm := q.StringMatch; sm != nil {
			c := &stringMatcher{fold: sm.IgnoreCase}
			switch {
			case sm.Exact != nil:
				c.kind, c.s = strExact, *sm.Exact
			case sm.Prefix != "":
				c.kind, c.s = strPrefix, sm.Prefix
			case sm.Suffix != "":
				c.kind, c.s = strSuffix, sm.Suffix
			case sm.Contains != "":
				c.kind, c.s, c.b = strContains, sm.Contains, []byte(sm.Contains)
			case sm.SafeRegex != nil:
				re, err := compileWhole(sm.SafeRegex.Regex)
				if err != nil {
					return out, err
				}
				c.kind, c.re = strRegex, re
			}
			qm.sm = c
		}
		out.query = append(out.query, qm)
	}
	vars, err := compileVariables(m.Variables)
	if err != nil {
		return out, err
	}
	out.vars = vars
	for _, d := range m.DslExpressions {
		e, err := dsl.Compile(d.Expression)
		if err != nil {
			return out, err
		}
		out.dsl = append(out.dsl, e)
	}
	return out, nil
}
