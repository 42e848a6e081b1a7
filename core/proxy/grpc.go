package proxy

import (
	"time"

	"github.com/seed405ffdea/mosn/core/protocol/http1"
)

// grpcTimeout shortens the route's timeout to the request's grpc-timeout
// when that is shorter (the gRPC deadline the client propagated: "1-8
// digits, then H, M, S, m, u or n", gRPC over HTTP/2 spec).
func (s *serverConn) grpcTimeout(route time.Duration) time.Duration {
	for _, h := range s.req.Headers {
		if len(h.Name) == 12 && http1.EqualFold(h.Name, "grpc-timeout") {
			if d, ok := parseGRPCTimeout(h.Value); ok && d < route {
				return d
			}
			break
		}
	}
	return route
}

func parseGRPCTimeout(v []byte) (time.Duration, bool) {
	if len(v) < 2 || len(v) > 9 {
		return 0, false
	}
	var n int64
	for _, c := range v[:len(v)-1] {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	var unit time.Duration
	switch v[len(v)-1] {
	case 'H':
		unit = time.Hour
	case 'M':
		unit = time.Minute
	case 'S':
		unit = time.Second
	case 'm':
		unit = time.Millisecond
	case 'u':
		unit = time.Microsecond
	case 'n':
		unit = time.Nanosecond
	default:
		return 0, false
	}
	if n > int64(1<<63-1)/int64(unit) {
		return 1<<63 - 1, true
	}
	return time.Duration(n) * unit, true
}

// grpcStatus maps the HTTP status of a reply the proxy made itself to
// the gRPC status it sends instead (Envoy's mapping: a timeout is
// DEADLINE_EXCEEDED, other upstream failures UNAVAILABLE; the rest as in
// the gRPC spec's "HTTP to gRPC status code mapping").
func grpcStatus(httpStatus int) int {
	switch httpStatus {
	case 504, 408:
		return 4 // DEADLINE_EXCEEDED
	case 502, 503, 429:
		return 14 // UNAVAILABLE
	case 400:
		return 13 // INTERNAL
	case 401:
		return 16 // UNAUTHENTICATED
	case 403:
		return 7 // PERMISSION_DENIED
	case 404:
		return 12 // UNIMPLEMENTED
	case 413, 431:
		return 8 // RESOURCE_EXHAUSTED
	}
	return 2 // UNKNOWN
}

// grpcMessage percent-encodes a grpc-message value (gRPC over HTTP/2:
// bytes outside 0x20-0x7E and '%' are escaped).
func grpcMessage(b []byte) string {
	const hex = "0123456789ABCDEF"
	out := make([]byte, 0, len(b))
	for _, c := range b {
		if c < 0x20 || c > 0x7e || c == '%' {
			out = append(out, '%', hex[c>>4], hex[c&15])
			continue
		}
		out = append(out, c)
	}
	return string(out)
}
