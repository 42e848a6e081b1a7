package api

import (
	"context"
	"errors"
)

// ErrVariableNotFound is returned for an unknown variable name.
var ErrVariableNotFound = errors.New("variable not found")

// ErrValueNotFound is returned when a known variable has no value for this
// stream.
var ErrValueNotFound = errors.New("variable value not found")

// Variable is a named value computed per stream or connection (MOSN's
// variable model, Envoy's %VARIABLE% formatters): request headers,
// addresses, upstream host, response code and the like.
type Variable struct {
	// Name is the variable's name, e.g. "request_id" or "header_" prefix
	// names matched by PrefixVariable.
	Name string
	// Get returns the value from ctx; nil means the variable is write-only.
	Get func(ctx context.Context, name string) (string, error)
	// Set stores a value in ctx; nil means the variable is read-only.
	Set func(ctx context.Context, name, value string) error
}
