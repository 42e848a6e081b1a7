package accesslog

import (
	"slices"
	"unicode/utf8"
)

// JSONFormat is a compiled json_format: Envoy's format dictionary, a map
// from JSON key to a format string (any log_format text: MOSN variables,
// Envoy command operators, literal text). Each line is one JSON object
// with the keys sorted, as Envoy writes them.
//
// A value that is exactly one operator is typed as Envoy types it: a
// number for %RESPONSE_CODE%, %BYTES_SENT%, %BYTES_RECEIVED%, %DURATION%,
// %REQUEST_DURATION%, %RESPONSE_DURATION% (and their MOSN twins
// %response_code%, %bytes_sent%, %bytes_received%), a boolean for
// %response_flag%, and null when the value is missing (where the text
// format prints "-"). Everything else is a JSON string; invalid UTF-8 is
// replaced by U+FFFD.
//
// A JSONFormat is immutable and safe for concurrent use.
type JSONFormat struct {
	src    map[string]string
	fields []jsonField
}

type jsonKind uint8

const (
	jsonString jsonKind = iota // quoted
	jsonRaw                    // the operator renders a JSON number or boolean
)

type jsonField struct {
	key    string // `"key":`, JSON-quoted
	f      *Format
	kind   jsonKind
	single bool // one operator: "-" means missing, rendered null
}

// CompileJSON compiles a json_format. It needs at least one key; each
// value is compiled as a log_format (an empty value is an empty string,
// not DefaultFormat). Errors match ErrInvalidFormat and name the key.
func CompileJSON(fields map[string]string) (*JSONFormat, error) {
	if len(fields) == 0 {
		return nil, errorf("accesslog: json_format has no keys")
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	j := &JSONFormat{src: make(map[string]string, len(fields))}
	for _, k := range keys {
		v := fields[k]
		j.src[k] = v
		var f *Format
		if v == "" {
			f = &Format{}
		} else {
			var err error
			if f, err = Compile(v); err != nil {
				return nil, errorf("accesslog: json_format key %q: %s", k, trimPrefix(err.Error()))
			}
		}
		fd := jsonField{key: string(appendJSONString(nil, k)) + ":", f: f}
		if len(f.ops) == 1 && f.ops[0].kind != opText {
			fd.single = true
			switch f.ops[0].kind {
			case opResponseCode, opBytesSent, opBytesReceived, opEnvoyDuration,
				opEnvoyRequestDuration, opEnvoyResponseDuration, opMOSNResponseFlag:
				fd.kind = jsonRaw
			}
		}
		j.fields = append(j.fields, fd)
	}
	return j, nil
}

func trimPrefix(s string) string {
	const p = "accesslog: "
	if len(s) >= len(p) && s[:len(p)] == p {
		return s[len(p):]
	}
	return s
}

// Fields returns a copy of the json_format j was compiled from.
func (j *JSONFormat) Fields() map[string]string {
	out := make(map[string]string, len(j.src))
	for k, v := range j.src {
		out[k] = v
	}
	return out
}

// Append renders e as one JSON object, without a newline, appended to
// dst. It allocates nothing when dst has room.
func (j *JSONFormat) Append(dst []byte, e *Entry) []byte {
	dst = append(dst, '{')
	for i := range j.fields {
		fd := &j.fields[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, fd.key...)
		start := len(dst)
		dst = fd.f.Append(dst, e)
		if fd.single && len(dst)-start == 1 && dst[start] == '-' {
			dst = append(dst[:start], "null"...)
			continue
		}
		if fd.kind == jsonRaw {
			continue
		}
		dst = quoteTail(dst, start)
	}
	return append(dst, '}')
}

// quoteTail turns dst[start:] into a JSON string in place: quotes around
// it, '"' and '\' escaped, control characters as \u00XX, invalid UTF-8 as
// \ufffd. It grows dst once, then rewrites front to back: the text is
// first moved to the end of the grown slice, so the writer, which starts
// at start, never overtakes the reader.
func quoteTail(dst []byte, start int) []byte {
	n := len(dst) - start
	extra := 0
	for i := start; i < len(dst); {
		c := dst[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				extra++
			case c < 0x20 || c == 0x7f:
				extra += 5
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(dst[i:])
		if r == utf8.RuneError && size == 1 {
			extra += 5 // one byte becomes \ufffd
		}
		i += size
	}
	dst = slices.Grow(dst, extra+2)[:len(dst)+extra+2]
	src := start + extra + 2
	copy(dst[src:], dst[start:start+n])
	w := start
	dst[w] = '"'
	w++
	for r := src; r < len(dst); {
		c := dst[r]
		if c < utf8.RuneSelf {
			r++
			switch {
			case c == '"' || c == '\\':
				dst[w], dst[w+1] = '\\', c
				w += 2
			case c < 0x20 || c == 0x7f:
				dst[w], dst[w+1], dst[w+2], dst[w+3], dst[w+4], dst[w+5] = '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf]
				w += 6
			default:
				dst[w] = c
				w++
			}
			continue
		}
		ru, size := utf8.DecodeRune(dst[r:])
		if ru == utf8.RuneError && size == 1 {
			r++
			w += copy(dst[w:], `\ufffd`)
			continue
		}
		w += copy(dst[w:], dst[r:r+size])
		r += size
	}
	dst[w] = '"'
	return dst[:w+1]
}

// appendJSONString appends s as a JSON string (for keys, at compile time).
func appendJSONString(dst []byte, s string) []byte {
	start := len(dst)
	dst = append(dst, s...)
	return quoteTail(dst, start)
}
