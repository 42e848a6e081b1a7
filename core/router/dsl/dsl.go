// Package dsl compiles and evaluates the routing conditions of MOSN's
// dsl_expressions: CEL expressions (cel.dev/cel-go) over the request,
// accepting MOSN's CEXL dialect as well.
//
// The variables are MOSN's attribute names that a router can resolve
// (mosn pkg/cel/extract):
//
//	request.headers       map(string, string)  first field of each name, names ignoring case
//	request.host          string               the Host header
//	request.method        string
//	request.path          string               without the query
//	request.url_path      string               path and "?query" when there is one
//	request.query_params  map(string, string)  first value of each name, percent-decoded
//	context.protocol      string               "http" (HTTP/1)
//
// CEXL, MOSN's dialect, is CEL written in Go syntax with two additions,
// both supported: conditional(c, a, b) for c ? a : b, and the operator
// a | b ("a if it is present, else b": request.headers["x"] | "none").
// MOSN's automatic conversion of duration-looking strings and its extra
// functions (toLower, match, ...) are not provided; CEL's standard
// library is.
package dsl

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"strings"
	"sync"

	"cel.dev/cel-go/cel"
	celast "cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/operators"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/interpreter"

	"github.com/seed405ffdea/mosn/core/protocol/http1"
)

// Request is what an expression sees. Its slices alias the caller's
// buffers and are read only during Match.
type Request struct {
	Method, Host []byte
	// Path excludes the query; Query excludes the '?' (nil when there is
	// no query).
	Path, Query []byte
	Headers     []http1.Header
}

// Expression is a compiled condition. It is immutable and safe for
// concurrent use.
type Expression struct {
	src string
	prg cel.Program
}

// String returns the expression as configured.
func (e *Expression) String() string { return e.src }

var env = sync.OnceValues(func() (*cel.Env, error) {
	return cel.NewEnv(
		cel.Variable("request.headers", cel.MapType(cel.StringType, cel.StringType)),
		cel.Variable("request.host", cel.StringType),
		cel.Variable("request.method", cel.StringType),
		cel.Variable("request.path", cel.StringType),
		cel.Variable("request.url_path", cel.StringType),
		cel.Variable("request.query_params", cel.MapType(cel.StringType, cel.StringType)),
		cel.Variable("context.protocol", cel.StringType),
		cel.Macros(
			cel.GlobalMacro("conditional", 3, expandConditional),
			cel.GlobalVarArgMacro("pick", expandPick),
		),
	)
})

// Compile parses and type-checks src, which must evaluate to a bool.
// Errors are one line: `1:9: undeclared reference to 'reqest' ...`.
func Compile(src string) (*Expression, error) {
	if strings.TrimSpace(src) == "" {
		return nil, errors.New("empty expression")
	}
	e, err := env()
	if err != nil {
		return nil, err
	}
	tree, iss := e.Compile(cexlToCEL(src))
	if iss.Err() != nil {
		return nil, issueError(iss)
	}
	if !tree.OutputType().IsExactType(cel.BoolType) {
		return nil, fmt.Errorf("evaluates to %s, want bool", tree.OutputType())
	}
	prg, err := e.Program(tree, cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return nil, err
	}
	return &Expression{src: src, prg: prg}, nil
}

// issueError keeps the first error, without CEL's source excerpt.
func issueError(iss *cel.Issues) error {
	errs := iss.Errors()
	if len(errs) == 0 {
		return iss.Err()
	}
	first := errs[0]
	msg := first.Message
	if l := first.Location; l != nil && l.Line() > 0 {
		msg = fmt.Sprintf("%d:%d: %s", l.Line(), l.Column()+1, msg)
	}
	if len(errs) > 1 {
		msg += fmt.Sprintf(" (and %d more)", len(errs)-1)
	}
	return errors.New(msg)
}

// Match evaluates the expression; an evaluation error (a missing map key,
// say) counts as false, as in MOSN.
func (e *Expression) Match(r *Request) bool {
	a := activations.Get().(*activation)
	a.r = r
	a.headers.r = r
	a.query.r = r
	out, _, err := e.prg.Eval(a)
	a.r, a.headers.r, a.query.r = nil, nil, nil
	activations.Put(a)
	return err == nil && out == types.True
}

var activations = sync.Pool{New: func() any {
	a := &activation{}
	a.headers.kind = kindHeaders
	a.query.kind = kindQuery
	return a
}}

// activation resolves the variables; pooled, so that an evaluation does
// not allocate one.
type activation struct {
	r       *Request
	headers kvMap
	query   kvMap
}

var _ interpreter.Activation = (*activation)(nil)

func (a *activation) ResolveName(name string) (any, bool) {
	switch name {
	case "request.headers":
		return &a.headers, true
	case "request.query_params":
		return &a.query, true
	case "request.host":
		return types.String(view(a.r.Host)), true
	case "request.method":
		return types.String(view(a.r.Method)), true
	case "request.path":
		return types.String(view(a.r.Path)), true
	case "request.url_path":
		if a.r.Query == nil {
			return types.String(view(a.r.Path)), true
		}
		return types.String(string(a.r.Path) + "?" + string(a.r.Query)), true
	case "context.protocol":
		return types.String("http"), true
	}
	return nil, false
}

func (a *activation) Parent() interpreter.Activation { return nil }

// expandConditional turns MOSN's conditional(c, a, b) into c ? a : b.
func expandConditional(eh cel.MacroExprFactory, target celast.Expr, args []celast.Expr) (celast.Expr, *cel.Error) {
	return eh.NewCall(operators.Conditional, args...), nil
}

// expandPick is MOSN's pick(a, b, ...), what CEXL's a | b | ... becomes:
// the first argument that is present. A field selection a.f is present
// when has(a.f); an index m[k] when k in m; anything else always is.
func expandPick(eh cel.MacroExprFactory, target celast.Expr, args []celast.Expr) (celast.Expr, *cel.Error) {
	if len(args) == 0 {
		return nil, eh.NewError(0, "pick needs at least one argument")
	}
	out := args[len(args)-1]
	for i := len(args) - 2; i >= 0; i-- {
		var present celast.Expr
		switch a := args[i]; a.Kind() {
		case celast.SelectKind:
			s := a.AsSelect()
			if s.IsTestOnly() {
				return nil, eh.NewError(a.ID(), "unsupported use of has() in pick()")
			}
			present = eh.NewPresenceTest(eh.Copy(s.Operand()), s.FieldName())
		case celast.CallKind:
			if c := a.AsCall(); c.FunctionName() == operators.Index && len(c.Args()) == 2 {
				present = eh.NewCall(operators.In, eh.Copy(c.Args()[1]), eh.Copy(c.Args()[0]))
			}
		}
		if present == nil {
			out = args[i]
			continue
		}
		out = eh.NewCall(operators.Conditional, present, args[i], out)
	}
	return out, nil
}

// cexlToCEL rewrites MOSN's CEXL operator a | b into pick(a, b), the way
// MOSN does (pkg/cel/cexl): through Go's parser, since CEXL is Go syntax.
// Anything Go cannot parse, or without a |, is returned unchanged.
func cexlToCEL(src string) string {
	if !strings.Contains(strings.ReplaceAll(src, "||", ""), "|") {
		return src
	}
	e, err := parser.ParseExpr(src)
	if err != nil {
		return src
	}
	changed := false
	e = rewritePipe(e, &changed)
	if !changed {
		return src
	}
	var b strings.Builder
	if err := printer.Fprint(&b, token.NewFileSet(), e); err != nil {
		return src
	}
	return b.String()
}

func rewritePipe(e ast.Expr, changed *bool) ast.Expr {
	switch n := e.(type) {
	case *ast.BinaryExpr:
		n.X = rewritePipe(n.X, changed)
		n.Y = rewritePipe(n.Y, changed)
		if n.Op != token.OR {
			return n
		}
		*changed = true
		var args []ast.Expr
		for _, side := range []ast.Expr{n.X, n.Y} {
			inner := side
			for {
				p, ok := inner.(*ast.ParenExpr)
				if !ok {
					break
				}
				inner = p.X
			}
			if c, ok := inner.(*ast.CallExpr); ok {
				if id, ok := c.Fun.(*ast.Ident); ok && id.Name == "pick" {
					args = append(args, c.Args...)
					continue
				}
			}
			args = append(args, side)
		}
		return &ast.CallExpr{Fun: ast.NewIdent("pick"), Args: args}
	case *ast.ParenExpr:
		n.X = rewritePipe(n.X, changed)
	case *ast.UnaryExpr:
		n.X = rewritePipe(n.X, changed)
	case *ast.CallExpr:
		n.Fun = rewritePipe(n.Fun, changed)
		for i := range n.Args {
			n.Args[i] = rewritePipe(n.Args[i], changed)
		}
	case *ast.IndexExpr:
		n.X = rewritePipe(n.X, changed)
		n.Index = rewritePipe(n.Index, changed)
	case *ast.SelectorExpr:
		n.X = rewritePipe(n.X, changed)
	}
	return e
}
