package main

// Feature is a kind of traffic a target may or may not proxy. A scenario
// needs exactly one feature; a target without it is reported as
// "n/a (not supported)" for that scenario instead of failing.
type Feature string

// The features the scenarios need.
const (
	// FeatHTTP1 is HTTP/1.1 downstream and upstream, keep-alive both sides.
	FeatHTTP1 Feature = "http1"
	// FeatH2C is cleartext HTTP/2 (prior knowledge) downstream.
	FeatH2C Feature = "h2c"
	// FeatGRPC is gRPC (HTTP/2 with trailers) both sides.
	FeatGRPC Feature = "grpc"
	// FeatTCP is an L4 TCP proxy.
	FeatTCP Feature = "tcp"
	// FeatTLS is TLS termination in front of HTTP/1.1.
	FeatTLS Feature = "tls"
)

// allFeatures lists every feature, in the order listeners are configured.
var allFeatures = []Feature{FeatHTTP1, FeatH2C, FeatGRPC, FeatTCP, FeatTLS}

// capabilities says which target kind proxies what. When the proxy gains a
// protocol, flip its entry here (and teach config_mosn.go to configure it):
// the scenarios, report and plots follow.
var capabilities = map[string]map[Feature]bool{
	"mosn": {
		FeatHTTP1: true,
		FeatH2C:   true,
		FeatGRPC:  true,
		FeatTCP:   true,
		FeatTLS:   false, // the harness does not configure a TLS listener for mosn yet
	},
	"nginx":   {FeatHTTP1: true, FeatH2C: true, FeatGRPC: true, FeatTCP: true, FeatTLS: true},
	"haproxy": {FeatHTTP1: true, FeatH2C: true, FeatGRPC: true, FeatTCP: true, FeatTLS: true},
	// A proxy given with -extra gets the HTTP/1 listener and origin only.
	"extra": {FeatHTTP1: true},
}

// supports reports whether targets of the kind proxy f.
func supports(kind string, f Feature) bool {
	return capabilities[kind][f]
}
