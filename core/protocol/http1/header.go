package http1

import "strconv"

// EqualFold reports whether a and b are equal under ASCII case folding. It
// does not fold non-ASCII letters (field names and tokens are ASCII) and
// does not allocate.
func EqualFold(a []byte, b string) bool { return equalFold(a, b) }

func equalFold[S string | []byte](a []byte, b S) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		if x|0x20 != y|0x20 {
			return false
		}
		// Same except for bit 0x20: equal only if both are letters.
		if l := x | 0x20; l < 'a' || l > 'z' {
			return false
		}
	}
	return true
}

// IsHopByHop reports whether a field with this name describes only the
// connection it arrived on, so a proxy removes it before forwarding. The
// list is RFC 9110 section 7.6.1's: "Connection ... Proxy-Connection ...
// Keep-Alive ... TE ... Transfer-Encoding ... Upgrade" ("intermediaries
// SHOULD remove or replace fields that are known to require removal before
// forwarding"). Envoy removes the same set (TE since 1.29, keeping
// "TE: trailers" for gRPC since envoyproxy/envoy#32255; a proxy that wants
// that re-adds it).
//
// Proxy-Authenticate, Proxy-Authorization and Trailer were hop-by-hop in
// RFC 2616 section 13.5.1 but are not in RFC 9110 (a proxy "MAY relay the
// credentials", section 11.7.2); they are not listed. Fields named in the
// message's Connection field are hop-by-hop too: see
// RequestHead.IsConnectionToken.
func IsHopByHop(name []byte) bool {
	switch len(name) {
	case 2:
		return EqualFold(name, "te")
	case 7:
		return EqualFold(name, "upgrade")
	case 10:
		return EqualFold(name, "connection") || EqualFold(name, "keep-alive")
	case 16:
		return EqualFold(name, "proxy-connection")
	case 17:
		return EqualFold(name, "transfer-encoding")
	}
	return false
}

// AppendRequestLine appends "method SP uri SP HTTP/1.1 CRLF" to dst.
func AppendRequestLine(dst, method, uri []byte) []byte {
	dst = append(dst, method...)
	dst = append(dst, ' ')
	dst = append(dst, uri...)
	return append(dst, " HTTP/1.1\r\n"...)
}

// AppendStatusLine appends "HTTP/1.1 SP status SP reason CRLF" to dst. An
// empty reason is replaced by StatusText(status) (which may be empty too:
// the reason-phrase is optional, RFC 9112 section 4).
func AppendStatusLine(dst []byte, status int, reason []byte) []byte {
	dst = append(dst, "HTTP/1.1 "...)
	if status >= 100 && status <= 999 {
		dst = append(dst, byte('0'+status/100), byte('0'+status/10%10), byte('0'+status%10))
	} else {
		dst = strconv.AppendInt(dst, int64(status), 10)
	}
	dst = append(dst, ' ')
	if len(reason) > 0 {
		dst = append(dst, reason...)
	} else {
		dst = append(dst, StatusText(status)...)
	}
	return append(dst, "\r\n"...)
}

// AppendHeader appends "name: value CRLF" to dst. It does not validate:
// values copied from a parsed head are valid already.
func AppendHeader(dst []byte, name, value []byte) []byte {
	dst = append(dst, name...)
	dst = append(dst, ": "...)
	dst = append(dst, value...)
	return append(dst, "\r\n"...)
}

// StatusText returns the reason phrase registered for code (RFC 9110
// section 15 and the IANA registry), or "" if unknown.
func StatusText(code int) string {
	switch code {
	case 100:
		return "Continue"
	case 101:
		return "Switching Protocols"
	case 102:
		return "Processing"
	case 103:
		return "Early Hints"
	case 200:
		return "OK"
	case 201:
		return "Created"
	case 202:
		return "Accepted"
	case 203:
		return "Non-Authoritative Information"
	case 204:
		return "No Content"
	case 205:
		return "Reset Content"
	case 206:
		return "Partial Content"
	case 207:
		return "Multi-Status"
	case 208:
		return "Already Reported"
	case 226:
		return "IM Used"
	case 300:
		return "Multiple Choices"
	case 301:
		return "Moved Permanently"
	case 302:
		return "Found"
	case 303:
		return "See Other"
	case 304:
		return "Not Modified"
	case 305:
		return "Use Proxy"
	case 307:
		return "Temporary Redirect"
	case 308:
		return "Permanent Redirect"
	case 400:
		return "Bad Request"
	case 401:
		return "Unauthorized"
	case 402:
		return "Payment Required"
	case 403:
		return "Forbidden"
	case 404:
		return "Not Found"
	case 405:
		return "Method Not Allowed"
	case 406:
		return "Not Acceptable"
	case 407:
		return "Proxy Authentication Required"
	case 408:
		return "Request Timeout"
	case 409:
		return "Conflict"
	case 410:
		return "Gone"
	case 411:
		return "Length Required"
	case 412:
		return "Precondition Failed"
	case 413:
		return "Content Too Large"
	case 414:
		return "URI Too Long"
	case 415:
		return "Unsupported Media Type"
	case 416:
		return "Range Not Satisfiable"
	case 417:
		return "Expectation Failed"
	case 418:
		return "I'm a teapot"
	case 421:
		return "Misdirected Request"
	case 422:
		return "Unprocessable Content"
	case 423:
		return "Locked"
	case 424:
		return "Failed Dependency"
	case 425:
		return "Too Early"
	case 426:
		return "Upgrade Required"
	case 428:
		return "Precondition Required"
	case 429:
		return "Too Many Requests"
	case 431:
		return "Request Header Fields Too Large"
	case 451:
		return "Unavailable For Legal Reasons"
	case 500:
		return "Internal Server Error"
	case 501:
		return "Not Implemented"
	case 502:
		return "Bad Gateway"
	case 503:
		return "Service Unavailable"
	case 504:
		return "Gateway Timeout"
	case 505:
		return "HTTP Version Not Supported"
	case 506:
		return "Variant Also Negotiates"
	case 507:
		return "Insufficient Storage"
	case 508:
		return "Loop Detected"
	case 510:
		return "Not Extended"
	case 511:
		return "Network Authentication Required"
	}
	return ""
}
