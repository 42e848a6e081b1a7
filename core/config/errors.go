package config

import (
	"errors"
	"fmt"
	"strconv"
)

// ErrNotSupported is wrapped by every error that refuses a field MOSN knows
// but this binary does not implement yet, so callers can tell "not yet" from
// "wrong": errors.Is(err, config.ErrNotSupported).
var ErrNotSupported = errors.New("not supported yet")

// ErrUnknownField is wrapped by the error for a field that is not part of
// MOSN's configuration schema at all (usually a misspelling).
var ErrUnknownField = errors.New("unknown field")

// FieldError reports one problem with one field of a configuration. Its
// Error text is "<path>: <msg>", for example
// `servers[0].listeners[1].address: required`.
type FieldError struct {
	// Path names the field, e.g. "servers[0].graceful_timeout". It is empty
	// when the problem concerns the whole document (a syntax error).
	Path string
	// Msg says what is wrong, lowercase, values quoted.
	Msg string
	// Err is the cause, if any: ErrNotSupported, ErrUnknownField, a
	// strconv/time/net error. It is returned by Unwrap and not repeated in
	// Error.
	Err error
}

// Error returns "<path>: <msg>", or just msg when Path is empty.
func (e *FieldError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// Unwrap returns the cause.
func (e *FieldError) Unwrap() error { return e.Err }

// fieldErr builds a FieldError without a cause.
func fieldErr(path, format string, args ...any) *FieldError {
	return &FieldError{Path: path, Msg: fmt.Sprintf(format, args...)}
}

// causeErr builds a FieldError that wraps cause.
func causeErr(path string, cause error, format string, args ...any) *FieldError {
	return &FieldError{Path: path, Msg: fmt.Sprintf(format, args...), Err: cause}
}

// notSupported builds the "<path>: <what> is not supported yet" error. An
// empty what gives "<path>: not supported yet", for paths that already name
// the feature (tracing, listeners[0].use_original_dst).
func notSupported(path, what string) *FieldError {
	msg := "not supported yet"
	if what != "" {
		msg = what + " is " + msg
	}
	return &FieldError{Path: path, Msg: msg, Err: ErrNotSupported}
}

// notSupportedf is notSupported with a formatted subject.
func notSupportedf(path, format string, args ...any) *FieldError {
	return notSupported(path, fmt.Sprintf(format, args...))
}

// joinPath appends an object key to a path. Keys that are not plain
// identifiers are written in brackets so the path stays unambiguous:
// metadata["a.b"].
func joinPath(path, key string) string {
	if !isIdent(key) {
		return path + "[" + strconv.Quote(key) + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// indexPath appends a list index to a path.
func indexPath(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', c == '-', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
