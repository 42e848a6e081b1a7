package router

import (
	"regexp"
	"strings"

	"github.com/seed405ffdea/mosn/core/config"
)

// varMatcher is one compiled entry of a route's variables (MOSN's
// variable route rule).
type varMatcher struct {
	src     headerSource
	name    string // header, cookie or query parameter name
	value   string
	re      *regexp.Regexp // whole-value match
	present bool           // neither value nor regex: the variable must have a value
	or      bool           // combine with the next by "or"
}

// Variable name prefixes (MOSN's HTTP variables).
const (
	varHeaderPrefix  = "http_header_"
	varReqHdrPrefix  = "request_header_"
	varCookiePrefix  = "http_cookie_"
	varArgPrefix     = "http_arg_"
	varRequestPath   = "request_path"
	varRequestMethod = "request_method"
)

// Sources beyond headerSource's, for variables only.
const (
	srcCookie headerSource = 100 + iota
	srcArg
)

func compileVariables(vs []config.VariableMatcher) ([]varMatcher, error) {
	var out []varMatcher
	for _, v := range vs {
		m := varMatcher{or: strings.EqualFold(v.Model, "or")}
		name := strings.ToLower(v.Name)
		switch {
		case strings.HasPrefix(name, varHeaderPrefix):
			m.src, m.name = srcField, v.Name[len(varHeaderPrefix):]
		case strings.HasPrefix(name, varReqHdrPrefix):
			m.src, m.name = srcField, v.Name[len(varReqHdrPrefix):]
		case strings.HasPrefix(name, varCookiePrefix):
			m.src, m.name = srcCookie, v.Name[len(varCookiePrefix):]
		case strings.HasPrefix(name, varArgPrefix):
			m.src, m.name = srcArg, v.Name[len(varArgPrefix):]
		case name == varRequestPath:
			m.src = srcPath
		case name == varRequestMethod:
			m.src = srcMethod
		default:
			// The request-property names header matchers know, else a
			// header of that name.
			m.src = headerSources[name]
			m.name = v.Name
		}
		switch {
		case v.Value != nil:
			m.value = *v.Value
		case v.Regex != nil:
			re, err := compileWhole(*v.Regex)
			if err != nil {
				return nil, err
			}
			m.re = re
		default:
			m.present = true
		}
		out = append(out, m)
	}
	return out, nil
}

// matchVariables evaluates the matchers left to right, each result
// combined with the previous by the previous matcher's model.
func matchVariables(ms []varMatcher, v *view) bool {
	result := true
	or := false
	for i := range ms {
		ok := ms[i].match(v)
		if i == 0 {
			result = ok
		} else if or {
			result = result || ok
		} else {
			result = result && ok
		}
		or = ms[i].or
	}
	return result
}

// get returns the variable's value; false when the request has none.
func (m *varMatcher) get(v *view) ([]byte, bool) {
	switch m.src {
	case srcCookie:
		return cookie(v.Headers, m.name)
	case srcArg:
		return queryParam(v.query, m.name)
	}
	hm := headerMatcher{name: m.name, src: m.src}
	return hm.value0(v)
}

func (m *varMatcher) match(v *view) bool {
	val, ok := m.get(v)
	switch {
	case !ok:
		return false
	case m.present:
		return true
	case m.re != nil:
		return m.re.Match(val)
	}
	return string(val) == m.value
}

// queryParam returns the first value of the query parameter name (not
// decoded, as Envoy's query matchers).
func queryParam(query []byte, name string) ([]byte, bool) {
	for len(query) > 0 {
		var pair []byte
		pair, query = cutByte(query, '&')
		n, value := cutByte(pair, '=')
		if len(pair) > 0 && string(n) == name {
			return value, true
		}
	}
	return nil, false
}

// cutByte splits b at the first sep: what is before it and what is after
// it (nil when sep is absent).
func cutByte(b []byte, sep byte) (before, after []byte) {
	for i, c := range b {
		if c == sep {
			return b[:i], b[i+1:]
		}
	}
	return b, nil
}
