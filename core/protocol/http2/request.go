package http2

import (
	"errors"
	"strconv"
	"strings"

	"golang.org/x/net/http2/hpack"
)

// Request is a decoded request head: the pseudo-header fields (RFC 9113
// 8.3.1) and the regular fields in wire order. Strings are the decoder's
// own copies, valid for the stream's life.
type Request struct {
	Method, Scheme, Authority, Path string
	// Fields are the regular header fields, names in lowercase.
	Fields []hpack.HeaderField
	// ContentLength is the content-length field's value, -1 when absent.
	ContentLength int64
}

// Get returns the first value of the lowercase field name.
func (r *Request) Get(name string) (string, bool) {
	for _, f := range r.Fields {
		if f.Name == name {
			return f.Value, true
		}
	}
	return "", false
}

// Errors that make a request malformed (RFC 9113 8.1.1): the stream is
// reset with PROTOCOL_ERROR.
var (
	errMissingPseudo    = errors.New("http2: missing or empty :method, :scheme or :path")
	errBadPseudo        = errors.New("http2: unknown or misplaced pseudo-header field")
	errConnSpecific     = errors.New("http2: connection-specific header field")
	errBadTE            = errors.New("http2: te header field other than \"trailers\"")
	errBadContentLength = errors.New("http2: invalid content-length")
	errBadPath          = errors.New("http2: :path is not an absolute path or \"*\"")
	errTooManyHeaders   = errors.New("http2: too many header fields")
)

// parseRequest checks a request's header fields and splits off the
// pseudo-header fields. Pseudo-header order, duplicates, field name case
// and field values were already checked by the frame reader.
func parseRequest(fields []hpack.HeaderField, maxCount int) (Request, error) {
	r := Request{ContentLength: -1}
	if len(fields) > maxCount+4 {
		return r, errTooManyHeaders
	}
	i := 0
	for ; i < len(fields) && strings.HasPrefix(fields[i].Name, ":"); i++ {
		f := fields[i]
		switch f.Name {
		case ":method":
			r.Method = f.Value
		case ":scheme":
			r.Scheme = f.Value
		case ":authority":
			r.Authority = f.Value
		case ":path":
			r.Path = f.Value
		default:
			// :status in a request, :protocol without
			// SETTINGS_ENABLE_CONNECT_PROTOCOL, or an unknown one: "Endpoints
			// MUST treat a request or response that contains undefined or
			// invalid pseudo-header fields as malformed" (8.3).
			return r, errBadPseudo
		}
	}
	r.Fields = fields[i:]
	if len(r.Fields) > maxCount {
		return r, errTooManyHeaders
	}
	if r.Method == "CONNECT" {
		// 8.5: ":scheme and :path pseudo-header fields MUST be omitted".
		if r.Scheme != "" || r.Path != "" || r.Authority == "" {
			return r, errMissingPseudo
		}
	} else {
		// 8.3.1: all requests MUST include exactly one valid value for
		// :method, :scheme and :path, and :path MUST NOT be empty.
		if r.Method == "" || r.Scheme == "" || r.Path == "" {
			return r, errMissingPseudo
		}
		if r.Path[0] != '/' && !(r.Path == "*" && r.Method == "OPTIONS") {
			return r, errBadPath
		}
	}
	for _, f := range r.Fields {
		switch f.Name {
		case "connection", "proxy-connection", "keep-alive", "transfer-encoding", "upgrade":
			// 8.2.2: "An endpoint MUST NOT generate an HTTP/2 message
			// containing connection-specific header fields ... any message
			// containing connection-specific header fields MUST be treated
			// as malformed".
			return r, errConnSpecific
		case "te":
			// 8.2.2: "The only exception to this is the TE header field,
			// which MAY be present ... but it MUST NOT contain any value
			// other than "trailers"."
			if f.Value != "trailers" {
				return r, errBadTE
			}
		case "content-length":
			n, err := strconv.ParseInt(f.Value, 10, 64)
			if err != nil || n < 0 || f.Value[0] == '+' || (r.ContentLength >= 0 && n != r.ContentLength) {
				return r, errBadContentLength
			}
			r.ContentLength = n
		}
	}
	return r, nil
}

// checkTrailers checks a trailer section: "Trailers MUST NOT include
// pseudo-header fields" (8.1).
func checkTrailers(fields []hpack.HeaderField) error {
	for _, f := range fields {
		if strings.HasPrefix(f.Name, ":") {
			return errBadPseudo
		}
	}
	return nil
}
