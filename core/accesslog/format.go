package accesslog

import (
	"github.com/seed405ffdea/mosn/core/network"

	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/seed405ffdea/mosn/api"
)

// ErrInvalidFormat is matched (errors.Is) by every error Compile returns.
var ErrInvalidFormat = errors.New("accesslog: invalid log_format")

// formatError keeps Compile's messages exact while letting callers match
// ErrInvalidFormat.
type formatError struct{ msg string }

func (e *formatError) Error() string        { return e.msg }
func (e *formatError) Is(target error) bool { return target == ErrInvalidFormat }

func errorf(format string, args ...any) error {
	return &formatError{msg: fmt.Sprintf(format, args...)}
}

// Time layouts. MOSN formats start_time in local time with this layout
// (mosn pkg/proxy/var.go, startTimeGetter); Envoy's default %START_TIME% is
// RFC 3339 in UTC with milliseconds ("%Y-%m-%dT%H:%M:%E3SZ").
const (
	mosnTimeLayout  = "2006/01/02 15:04:05.000"
	envoyTimeLayout = "2006-01-02T15:04:05.000Z"
)

// Prefixes of MOSN's header variables (mosn pkg/types: VarPrefixReqHeader,
// VarPrefixRespHeader).
const (
	mosnReqHeaderPrefix  = "request_header_"
	mosnRespHeaderPrefix = "response_header_"
)

type opKind uint8

const (
	opText opKind = iota

	// MOSN variables, rendered as MOSN renders them.
	opMOSNStartTime        // local time, mosnTimeLayout
	opMOSNRequestReceived  // time.Duration.String
	opMOSNResponseReceived // time.Duration.String
	opMOSNDuration         // time.Duration.String
	opMOSNResponseFlag     // "true" if any flag is set, else "false"

	// Envoy command operators, rendered as Envoy renders them.
	opEnvoyStartTime        // UTC, envoyTimeLayout
	opEnvoyRequestDuration  // integer milliseconds, "-" if unknown
	opEnvoyResponseDuration // integer milliseconds, "-" if unknown
	opEnvoyDuration         // integer milliseconds
	opEnvoyResponseFlags    // "UH,UF", "-" if none

	// Both.
	opBytesSent
	opBytesReceived
	opProtocol
	opResponseCode
	opUpstreamLocalAddress
	opDownstreamLocalAddress
	opDownstreamRemoteAddress
	opUpstreamHost
	opUpstreamCluster
	opRequestID
	opRequestHeader
	opResponseHeader
	opRequestedServerName // Entry.Conn.ServerName (SNI)
	opPeerURISAN          // Entry.Conn.PeerURIs, comma-separated
	opDownstreamALPN      // Entry.Conn.NegotiatedProtocol
	opDownstreamTransport // Entry.Conn.TransportProtocol
)

// variables maps every plain variable name to its operation.
var variables = map[string]opKind{
	// MOSN (mosn pkg/types/variable.go).
	"start_time":                 opMOSNStartTime,
	"request_received_duration":  opMOSNRequestReceived,
	"response_received_duration": opMOSNResponseReceived,
	"request_finished_duration":  opMOSNDuration, // MOSN sets it when the response is done
	"duration":                   opMOSNDuration,
	"bytes_sent":                 opBytesSent,
	"bytes_received":             opBytesReceived,
	"protocol":                   opProtocol,
	"response_code":              opResponseCode,
	"response_flag":              opMOSNResponseFlag,
	"response_flags":             opMOSNResponseFlag,
	"upstream_local_address":     opUpstreamLocalAddress,
	"downstream_local_address":   opDownstreamLocalAddress,
	"downstream_remote_address":  opDownstreamRemoteAddress,
	"upstream_host":              opUpstreamHost,
	"upstream_cluster":           opUpstreamCluster,
	"request_id":                 opRequestID, // ours: MOSN has no such variable
	// Ours, for TLS listeners (MOSN has none).
	"requested_server_name":         opRequestedServerName,
	"downstream_peer_uri_san":       opPeerURISAN,
	"downstream_alpn":               opDownstreamALPN,
	"downstream_transport_protocol": opDownstreamTransport,

	// Envoy (config/observability/access_log/usage).
	"START_TIME":                opEnvoyStartTime,
	"REQUEST_DURATION":          opEnvoyRequestDuration,
	"RESPONSE_DURATION":         opEnvoyResponseDuration,
	"DURATION":                  opEnvoyDuration,
	"RESPONSE_CODE":             opResponseCode,
	"RESPONSE_FLAGS":            opEnvoyResponseFlags,
	"BYTES_RECEIVED":            opBytesReceived,
	"BYTES_SENT":                opBytesSent,
	"PROTOCOL":                  opProtocol,
	"UPSTREAM_HOST":             opUpstreamHost,
	"UPSTREAM_CLUSTER":          opUpstreamCluster,
	"UPSTREAM_LOCAL_ADDRESS":    opUpstreamLocalAddress,
	"DOWNSTREAM_REMOTE_ADDRESS": opDownstreamRemoteAddress,
	"DOWNSTREAM_LOCAL_ADDRESS":  opDownstreamLocalAddress,
	"REQUESTED_SERVER_NAME":     opRequestedServerName,
	"DOWNSTREAM_PEER_URI_SAN":   opPeerURISAN,
}

// source says where a header's value comes from.
type source uint8

const (
	srcMap       source = iota // the header map
	srcMethod                  // Entry.Method (:method)
	srcPath                    // Entry.Path (:path)
	srcAuthority               // Entry.Authority (:authority)
	srcRequestID               // Entry.RequestID, else the header map (x-request-id)
)

// header is a header to look up, resolved at compile time.
type header struct {
	name string // as configured; api.HeaderMap.Get ignores case
	src  source
}

type op struct {
	kind   opKind
	text   string // opText
	h, alt header // opRequestHeader, opResponseHeader
	hasAlt bool   // Envoy's REQ(A?B): B when A is missing
	max    int    // Envoy's REQ(A):N: at most N bytes; 0 means no limit
}

// Format is a compiled log_format. It is immutable and safe for
// concurrent use.
type Format struct {
	src string
	ops []op
}

// String returns the log_format f was compiled from (DefaultFormat for "").
func (f *Format) String() string { return f.src }

// Compile parses a log_format. The empty string means DefaultFormat.
//
// Text outside %...% is copied as is; \% writes a literal %. A variable is
// a MOSN variable (%start_time%, %request_header_<name>%, ...) or an Envoy
// command operator (%START_TIME%, %REQ(X-Header?Alt):N%, ...); see the
// README for the list. One trailing newline is dropped, since Envoy
// formats end with "\n" and Logger ends every line itself.
//
// Errors match ErrInvalidFormat and name the culprit:
//
//	accesslog: unknown variable "foo" in log_format
func Compile(format string) (*Format, error) {
	if format == "" {
		format = DefaultFormat
	}
	f := &Format{src: format}
	s := strings.TrimSuffix(format, "\n")
	var lit []byte
	flushText := func() {
		if len(lit) > 0 {
			f.ops = append(f.ops, op{kind: opText, text: string(lit)})
			lit = lit[:0]
		}
	}
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s) && s[i+1] == '%':
			lit = append(lit, '%')
			i += 2
		case c == '%':
			end := variableEnd(s, i)
			if end < 0 {
				return nil, errorf("accesslog: unterminated variable %q in log_format", clip(s[i:]))
			}
			o, err := compileVariable(s[i+1 : end])
			if err != nil {
				return nil, err
			}
			flushText()
			f.ops = append(f.ops, o)
			i = end + 1
		default:
			lit = append(lit, c)
			i++
		}
	}
	flushText()
	return f, nil
}

// variableEnd returns the index of the '%' closing the variable that opens
// at s[start], or -1. A '%' inside parentheses does not close it, so that
// Envoy operators with arguments, like START_TIME(%s), stay whole.
func variableEnd(s string, start int) int {
	for j := start + 1; j < len(s); j++ {
		switch s[j] {
		case '%':
			return j
		case '(':
			k := strings.IndexByte(s[j:], ')')
			if k < 0 {
				return -1
			}
			j += k
		}
	}
	return -1
}

// clip shortens s for an error message.
func clip(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}

func compileVariable(name string) (op, error) {
	if name == "" {
		return op{}, errorf(`accesslog: empty variable "%%%%" in log_format (write \%% for a literal %%)`)
	}
	if k, ok := variables[name]; ok {
		return op{kind: k}, nil
	}
	if h, ok := strings.CutPrefix(name, mosnReqHeaderPrefix); ok {
		return headerOp(opRequestHeader, name, h)
	}
	if h, ok := strings.CutPrefix(name, mosnRespHeaderPrefix); ok {
		return headerOp(opResponseHeader, name, h)
	}
	if cmd, rest, ok := strings.Cut(name, "("); ok && (cmd == "REQ" || cmd == "RESP") {
		return envoyHeaderOp(cmd, name, rest)
	}
	return op{}, errorf("accesslog: unknown variable %q in log_format", name)
}

func headerOp(kind opKind, variable, name string) (op, error) {
	h, err := compileHeader(kind, variable, name)
	if err != nil {
		return op{}, err
	}
	return op{kind: kind, h: h}, nil
}

// envoyHeaderOp compiles Envoy's REQ(name[?alt])[:max] and RESP(...);
// rest is what follows "REQ(".
func envoyHeaderOp(cmd, variable, rest string) (op, error) {
	kind := opRequestHeader
	if cmd == "RESP" {
		kind = opResponseHeader
	}
	args, after, ok := strings.Cut(rest, ")")
	if !ok {
		return op{}, errorf("accesslog: missing ) in variable %q in log_format", variable)
	}
	o := op{kind: kind}
	if after != "" {
		digits, ok := strings.CutPrefix(after, ":")
		n, err := strconv.Atoi(digits)
		if !ok || err != nil || n <= 0 || digits[0] == '+' {
			return op{}, errorf("accesslog: invalid length %q in variable %q in log_format, want :N with N >= 1", after, variable)
		}
		o.max = n
	}
	name, alt, hasAlt := strings.Cut(args, "?")
	var err error
	if o.h, err = compileHeader(kind, variable, name); err != nil {
		return op{}, err
	}
	if hasAlt {
		if o.alt, err = compileHeader(kind, variable, alt); err != nil {
			return op{}, err
		}
		o.hasAlt = true
	}
	return o, nil
}

// compileHeader checks a header name (a token, or ':' and a token for a
// pseudo header) and says where its value comes from.
func compileHeader(kind opKind, variable, name string) (header, error) {
	if name == "" {
		return header{}, errorf("accesslog: empty header name in variable %q in log_format", variable)
	}
	if !isToken(strings.TrimPrefix(name, ":")) {
		return header{}, errorf("accesslog: invalid header name %q in variable %q in log_format", name, variable)
	}
	h := header{name: name}
	if kind == opRequestHeader {
		switch strings.ToLower(name) {
		case ":method":
			h.src = srcMethod
		case ":path":
			h.src = srcPath
		case ":authority":
			h.src = srcAuthority
		case "x-request-id":
			h.src = srcRequestID
		}
	}
	return h, nil
}

// isToken reports whether s is an RFC 9110 token (section 5.6.2).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// Append renders e with f and appends the line, without a newline, to dst.
// It allocates nothing when dst has room. Values taken from the request or
// response (headers, path, addresses, ...) have control characters
// (bytes below 0x20 and 0x7F) written as \xHH, so a client cannot forge
// or break log lines.
func (f *Format) Append(dst []byte, e *Entry) []byte { return f.render(dst, e, "-") }

// AppendValue is Append for a header value (a route's
// request_headers_to_add, say): an unknown or empty value renders as
// nothing instead of "-", as Envoy's header formatter does, so that a
// value made of one missing variable comes out empty.
func (f *Format) AppendValue(dst []byte, e *Entry) []byte { return f.render(dst, e, "") }

// render is Append with missing values written as missing.
func (f *Format) render(dst []byte, e *Entry, missing string) []byte {
	for i := range f.ops {
		o := &f.ops[i]
		switch o.kind {
		case opText:
			dst = append(dst, o.text...)
		case opMOSNStartTime:
			if e.StartTime.IsZero() {
				dst = append(dst, missing...)
			} else {
				dst = appendTime(dst, e.StartTime.Local(), '/', ' ')
			}
		case opEnvoyStartTime:
			if e.StartTime.IsZero() {
				dst = append(dst, missing...)
			} else {
				dst = appendTime(dst, e.StartTime.UTC(), '-', 'T')
				dst = append(dst, 'Z')
			}
		case opMOSNRequestReceived:
			dst = append(dst, e.RequestReceived.String()...)
		case opMOSNResponseReceived:
			dst = append(dst, e.ResponseReceived.String()...)
		case opMOSNDuration:
			dst = append(dst, e.Duration.String()...)
		case opEnvoyRequestDuration:
			dst = appendMillis(dst, e.RequestReceived, missing)
		case opEnvoyResponseDuration:
			dst = appendMillis(dst, e.ResponseReceived, missing)
		case opEnvoyDuration:
			dst = strconv.AppendInt(dst, e.Duration.Milliseconds(), 10)
		case opMOSNResponseFlag:
			dst = strconv.AppendBool(dst, e.ResponseFlags != 0)
		case opEnvoyResponseFlags:
			dst = appendFlags(dst, e.ResponseFlags, missing)
		case opBytesSent:
			dst = strconv.AppendUint(dst, e.BytesSent, 10)
		case opBytesReceived:
			dst = strconv.AppendUint(dst, e.BytesReceived, 10)
		case opResponseCode:
			dst = strconv.AppendInt(dst, int64(e.ResponseCode), 10)
		case opProtocol:
			dst = appendValue(dst, e.Protocol, 0, missing)
		case opUpstreamLocalAddress:
			dst = appendValue(dst, e.UpstreamLocalAddress, 0, missing)
		case opDownstreamLocalAddress:
			dst = appendValue(dst, e.DownstreamLocalAddress, 0, missing)
		case opDownstreamRemoteAddress:
			dst = appendValue(dst, e.DownstreamRemoteAddress, 0, missing)
		case opUpstreamHost:
			dst = appendValue(dst, e.UpstreamHost, 0, missing)
		case opUpstreamCluster:
			dst = appendValue(dst, e.UpstreamCluster, 0, missing)
		case opRequestID:
			dst = appendValue(dst, view(e.RequestID), 0, missing)
		case opRequestedServerName, opPeerURISAN, opDownstreamALPN, opDownstreamTransport:
			dst = appendConn(dst, o.kind, e.Conn, missing)
		case opRequestHeader, opResponseHeader:
			hm := e.RequestHeaders
			if o.kind == opResponseHeader {
				hm = e.ResponseHeaders
			}
			v := lookup(e, hm, o.h)
			if v == "" && o.hasAlt {
				v = lookup(e, hm, o.alt)
			}
			dst = appendValue(dst, v, o.max, missing)
		}
	}
	return dst
}

// lookup returns h's value, or "" if it is missing. The result may alias
// e's byte slices.
func lookup(e *Entry, hm api.HeaderMap, h header) string {
	switch h.src {
	case srcMethod:
		return view(e.Method)
	case srcPath:
		return view(e.Path)
	case srcAuthority:
		return view(e.Authority)
	case srcRequestID:
		if len(e.RequestID) > 0 {
			return view(e.RequestID)
		}
	}
	if hm == nil {
		return ""
	}
	v, _ := hm.Get(h.name)
	return v
}

// view returns b as a string without copying; it is used only while
// formatting, during which the Entry's slices must not change.
func view(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// appendTime appends t as "2006/01/02 15:04:05.000" (with dateSep '/'
// and sep ' ') or "2006-01-02T15:04:05.000" ('-', 'T') in t's location.
// It is AppendFormat with those layouts at a third of the cost
// (TestAppendTime checks they agree).
func appendTime(dst []byte, t time.Time, dateSep, sep byte) []byte {
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		layout := mosnTimeLayout
		if dateSep == '-' {
			layout = envoyTimeLayout[:len(envoyTimeLayout)-1] // without the Z
		}
		return t.AppendFormat(dst, layout)
	}
	hour, minute, second := t.Clock()
	ms := t.Nanosecond() / int(time.Millisecond)
	return append(dst,
		byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), dateSep,
		byte('0'+month/10), byte('0'+month%10), dateSep,
		byte('0'+day/10), byte('0'+day%10), sep,
		byte('0'+hour/10), byte('0'+hour%10), ':',
		byte('0'+minute/10), byte('0'+minute%10), ':',
		byte('0'+second/10), byte('0'+second%10), '.',
		byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10))
}

// appendMillis appends d in whole milliseconds, or missing for zero
// (unknown).
func appendMillis(dst []byte, d time.Duration, missing string) []byte {
	if d == 0 {
		return append(dst, missing...)
	}
	return strconv.AppendInt(dst, d.Milliseconds(), 10)
}

func appendFlags(dst []byte, fl api.ResponseFlag, missing string) []byte {
	n := len(dst)
	for _, f := range api.ResponseFlagNames {
		if fl&f.Flag == 0 {
			continue
		}
		if len(dst) > n {
			dst = append(dst, ',')
		}
		dst = append(dst, f.Name...)
	}
	if len(dst) == n {
		dst = append(dst, missing...)
	}
	return dst
}

const hexDigits = "0123456789abcdef"

// appendValue appends s, at most max bytes of it if max > 0, with control
// characters escaped; an empty s appends missing ("-", Envoy's missing
// value, in access logs).
func appendValue(dst []byte, s string, max int, missing string) []byte {
	if s == "" {
		return append(dst, missing...)
	}
	if max > 0 && len(s) > max {
		s = s[:max]
	}
	start := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
			start = i + 1
		}
	}
	return append(dst, s[start:]...)
}

// appendConn renders a variable of the downstream connection's ConnInfo.
func appendConn(dst []byte, kind opKind, ci *network.ConnInfo, missing string) []byte {
	if ci == nil {
		return append(dst, missing...)
	}
	switch kind {
	case opRequestedServerName:
		return appendValue(dst, ci.ServerName, 0, missing)
	case opDownstreamALPN:
		return appendValue(dst, ci.NegotiatedProtocol, 0, missing)
	case opDownstreamTransport:
		return appendValue(dst, ci.TransportProtocol, 0, missing)
	}
	if len(ci.PeerURIs) == 0 {
		return append(dst, missing...)
	}
	for i, u := range ci.PeerURIs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendValue(dst, u, 0, missing)
	}
	return dst
}
