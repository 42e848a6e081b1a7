package dsl

import (
	"testing"

	"github.com/seed405ffdea/mosn/core/protocol/http1"
)

func request() *Request {
	return &Request{
		Method: []byte("GET"),
		Host:   []byte("dslhost"),
		Path:   []byte("/dsl"),
		Query:  []byte("k=a%20b&k=second&flag"),
		Headers: []http1.Header{
			{Name: []byte("X-User"), Value: []byte("alice")},
			{Name: []byte("x-user"), Value: []byte("bob")},
			{Name: []byte("dsl"), Value: []byte("dsl")},
		},
	}
}

func TestMatch(t *testing.T) {
	cases := []struct {
		expr string
		want bool
	}{
		// MOSN's own examples (pkg/router/dsl_rule_test.go, dsl-sample).
		{`conditional((request.method == "GET") && (request.host == "dslhost"),true,false)`, true},
		{`conditional((request.method == "POST") && (request.host == "dslhost"),true,false)`, false},
		{`(request.host == "dslhost") && (request.headers["dsl"] | "empty" == "dsl")`, true},
		{`request.headers["missing"] | "empty" == "empty"`, true},
		{`request.headers["missing"] | request.headers["dsl"] | "x" == "dsl"`, true},
		{`(request.headers["missing"] | request.headers["nope"]) | "d" == "d"`, true},
		// Plain CEL.
		{`request.headers["x-user"] == "alice"`, true}, // names ignore case; the first field wins
		{`"dsl" in request.headers && !("nope" in request.headers)`, true},
		{`request.method == "GET" ? request.path == "/dsl" : false`, true},
		{`request.path.startsWith("/d") && request.url_path == "/dsl?k=a%20b&k=second&flag"`, true},
		{`request.query_params["k"] == "a b"`, true}, // decoded, first value
		{`request.query_params["flag"] == ""`, true},
		{`has(request.query_params.flag)`, true},
		{`context.protocol == "http"`, true},
		{`request.headers.size() == 2`, true},
		{`request.headers.exists(k, k == "dsl")`, true},
		// An evaluation error is no match.
		{`request.headers["missing"] == "x"`, false},
	}
	r := request()
	for _, c := range cases {
		e, err := Compile(c.expr)
		if err != nil {
			t.Errorf("%s: %v", c.expr, err)
			continue
		}
		if got := e.Match(r); got != c.want {
			t.Errorf("%s: %v, want %v", c.expr, got, c.want)
		}
		if e.String() != c.expr {
			t.Errorf("String() = %q", e.String())
		}
	}
}

func TestCompileErrors(t *testing.T) {
	cases := []struct{ expr, want string }{
		{``, "empty expression"},
		{`request.hots == "x"`, "1:8: undeclared reference to 'request.hots' (did you mean 'request.host'?)"},
		{`request.host`, "evaluates to string, want bool"},
		{`request.host ==`, "1:16: Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}"},
	}
	for _, c := range cases {
		_, err := Compile(c.expr)
		if err == nil || err.Error() != c.want {
			t.Errorf("%q: got %v, want %s", c.expr, err, c.want)
		}
	}
}

func TestCEXLTranslation(t *testing.T) {
	for src, want := range map[string]string{
		`a | b == c`:                    `pick(a, b) == c`,
		`(a | b) | c`:                   `pick(a, b, c)`,
		`x || y`:                        `x || y`,
		`f(m["k"] | "d")`:               `f(pick(m["k"], "d"))`,
		`"a|b" == s`:                    `"a|b" == s`,
		`request.headers["x"] | "none"`: `pick(request.headers["x"], "none")`,
	} {
		if got := cexlToCEL(src); got != want {
			t.Errorf("%s: got %s, want %s", src, got, want)
		}
	}
}
