package convert

import (
	"errors"
	"fmt"
)

// Notes collects what a conversion left out on purpose: skipped optional
// or telemetry-only filters and ignored fields. The xDS client shows them
// in config_dump and counts them in metrics; they never make a resource
// fail.
type Notes struct {
	// Skipped lists one line per skipped filter or ignored field, e.g.
	// `filter_chains[0].filters[0]: istio.metadata_exchange skipped (telemetry only)`.
	Skipped []string
}

func (n *Notes) skip(format string, args ...any) {
	if n != nil {
		n.Skipped = append(n.Skipped, fmt.Sprintf(format, args...))
	}
}

// ErrUnsupported is wrapped by the errors of resources that use an Envoy
// feature the model cannot express at all (as opposed to features core
// refuses during validation).
var ErrUnsupported = errors.New("not supported")

// Error is a conversion error naming the Envoy field, e.g.
// `virtual_hosts[0].routes[2].match.headers[0]: invert_match: not supported`.
type Error struct {
	Path string
	Msg  string
	Err  error
}

func (e *Error) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

func errf(path, format string, args ...any) error {
	return &Error{Path: path, Msg: fmt.Sprintf(format, args...)}
}

func unsupported(path, what string) error {
	return &Error{Path: path, Msg: what + ": " + ErrUnsupported.Error(), Err: ErrUnsupported}
}

// under prefixes the path of a conversion error with p.
func under(p string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		out := *e
		if out.Path == "" {
			out.Path = p
		} else if out.Path[0] == '[' {
			out.Path = p + out.Path
		} else {
			out.Path = p + "." + out.Path
		}
		return &out
	}
	return fmt.Errorf("%s: %w", p, err)
}

func idx(p string, i int) string { return fmt.Sprintf("%s[%d]", p, i) }
