// Package envoyjson reads Envoy's JSON (bootstrap files, config dumps)
// into go-control-plane messages. Envoy JSON may hold typed configs of
// extensions this binary has no Go type for (Istio's stats plugin, its
// ALPN filter, ...); protojson refuses an Any of an unknown type, so
// Unmarshal first rewrites each such Any into an xds.type.v3.TypedStruct
// that keeps the type URL and the fields: the resource still loads, and
// the adapter still sees which extension it names.
package envoyjson

import (
	"encoding/json"
	"fmt"
	"strings"

	_ "github.com/cncf/xds/go/udpa/type/v1" // TypedStruct
	_ "github.com/cncf/xds/go/xds/type/v3"  // TypedStruct
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// TypedStructURL is the type that stands in for unknown typed configs.
const TypedStructURL = "type.googleapis.com/xds.type.v3.TypedStruct"

// MaxDepth bounds the nesting of a document.
const MaxDepth = 200

// Unmarshal decodes Envoy JSON into m. Unknown fields are errors, as in
// Envoy; Any values of unknown types become TypedStructs.
func Unmarshal(data []byte, m proto.Message) error { return UnmarshalWith(data, m, false) }

// UnmarshalWith is Unmarshal; discardUnknown drops unknown fields instead
// of refusing them (Envoy's --allow-unknown-static-fields).
func UnmarshalWith(data []byte, m proto.Message, discardUnknown bool) error {
	var tree any
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	if err := dec.Decode(&tree); err != nil {
		return fmt.Errorf("envoyjson: %w", err)
	}
	if dec.More() {
		return fmt.Errorf("envoyjson: data after the top-level value")
	}
	// A resource printed as an Any carries its own "@type": drop it when
	// it names m's type.
	if top, ok := tree.(map[string]any); ok {
		if t, ok := top["@type"].(string); ok {
			if want := string(m.ProtoReflect().Descriptor().FullName()); !strings.HasSuffix(t, "/"+want) {
				return fmt.Errorf("envoyjson: @type %q, want %s", t, want)
			}
			delete(top, "@type")
		}
	}
	tree, err := rewrite(tree, 0)
	if err != nil {
		return err
	}
	b, err := json.Marshal(tree)
	if err != nil {
		return fmt.Errorf("envoyjson: %w", err)
	}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: discardUnknown}).Unmarshal(b, m); err != nil {
		return fmt.Errorf("envoyjson: %w", err)
	}
	return nil
}

// Known reports whether the type URL names a message this binary has.
func Known(typeURL string) bool {
	_, err := protoregistry.GlobalTypes.FindMessageByURL(typeURL)
	return err == nil
}

func rewrite(v any, depth int) (any, error) {
	if depth > MaxDepth {
		return nil, fmt.Errorf("envoyjson: nested more than %d levels", MaxDepth)
	}
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			r, err := rewrite(e, depth+1)
			if err != nil {
				return nil, err
			}
			x[k] = r
		}
		t, ok := x["@type"].(string)
		if !ok || Known(t) {
			return x, nil
		}
		fields := map[string]any{}
		for k, e := range x {
			if k != "@type" {
				fields[k] = e
			}
		}
		return map[string]any{"@type": TypedStructURL, "typeUrl": t, "value": fields}, nil
	case []any:
		for i, e := range x {
			r, err := rewrite(e, depth+1)
			if err != nil {
				return nil, err
			}
			x[i] = r
		}
	}
	return v, nil
}

type protoMessage = proto.Message
