package router

import (
	"encoding/json"
	"math/bits"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/seed405ffdea/mosn/core/config"
	"github.com/seed405ffdea/mosn/core/protocol/http1"
	"github.com/seed405ffdea/mosn/pkg/hashkey"
)

// RetryOn is a set of retry conditions.
type RetryOn uint8

// Retry conditions (Envoy's retry_on names in comments).
const (
	// RetryConnectFailure retries when no connection could be made
	// (connect-failure).
	RetryConnectFailure RetryOn = 1 << iota
	// RetryReset retries when the upstream reset or closed before a
	// response, or answered malformed (reset).
	RetryReset
	// RetryTimeout retries an attempt that ran out of its per-try timeout
	// before a response.
	RetryTimeout
	// Retry5xx retries any 5xx response (5xx).
	Retry5xx
	// RetryGatewayError retries 502, 503 and 504 (gateway-error).
	RetryGatewayError
	// RetryStatusCodes retries the policy's status codes
	// (retriable-status-codes; MOSN's status_codes).
	RetryStatusCodes
	// Retry4xx retries 409 (retriable-4xx).
	Retry4xx
)

// RetryPolicy is a route's compiled retry_policy.
type RetryPolicy struct {
	// On is the set of conditions that are retried.
	On RetryOn
	// NumRetries is the most retries a request gets (at least 1).
	NumRetries int
	// PerTryTimeout bounds each attempt until its response head; zero
	// means the route timeout alone.
	PerTryTimeout time.Duration
	statuses      [10]uint64 // bit per status 0–639
}

// RetriableStatus reports whether a response with this status is retried.
func (p *RetryPolicy) RetriableStatus(code int) bool {
	switch {
	case code < 0 || code >= 640:
		return false
	case p.On&Retry5xx != 0 && code >= 500:
		return true
	case p.On&RetryGatewayError != 0 && code >= 502 && code <= 504:
		return true
	case p.On&Retry4xx != 0 && code == 409:
		return true
	case p.On&RetryStatusCodes != 0:
		return p.statuses[code>>6]&(1<<(code&63)) != 0
	}
	return false
}

// newRetryPolicy compiles a validated retry_policy; nil when retries are
// off.
func newRetryPolicy(c *config.RetryPolicy) *RetryPolicy {
	if c == nil || c.RetryOn == "" {
		return nil
	}
	p := &RetryPolicy{NumRetries: int(c.NumRetries), PerTryTimeout: c.RetryTimeout.Duration}
	if p.NumRetries == 0 {
		p.NumRetries = 1
	}
	for _, s := range c.StatusCodes {
		p.statuses[s>>6] |= 1 << (s & 63)
	}
	if c.RetryOn == config.RetryOnMOSN {
		// MOSN: failures before a response, and the listed statuses (any
		// 5xx when none are listed).
		p.On = RetryConnectFailure | RetryReset | RetryTimeout | RetryStatusCodes
		if len(c.StatusCodes) == 0 {
			p.On |= Retry5xx
		}
		return p
	}
	for _, cond := range strings.Split(string(c.RetryOn), ",") {
		switch strings.TrimSpace(cond) {
		case "5xx":
			p.On |= Retry5xx | RetryConnectFailure | RetryReset | RetryTimeout
		case "gateway-error":
			p.On |= RetryGatewayError | RetryConnectFailure | RetryTimeout
		case "reset":
			p.On |= RetryReset
		case "connect-failure":
			p.On |= RetryConnectFailure
		case "retriable-4xx":
			p.On |= Retry4xx
		case "retriable-status-codes":
			p.On |= RetryStatusCodes
		case "refused-stream":
			// HTTP/2 upstreams: a refused stream is a reset before any
			// response.
			p.On |= RetryReset
		}
	}
	return p
}

// RetryPolicy returns the route's retry policy, nil when it has none.
func (r *Route) RetryPolicy() *RetryPolicy { return r.retry }

// mirror is a route's request_mirror_policies.
type mirror struct {
	cluster string
	percent uint64 // 1–100
	n       atomic.Uint64
}

// HasMirror reports whether the route has a request_mirror_policies.
func (r *Route) HasMirror() bool { return r.mirror != nil }

// MirrorCluster returns the cluster this request should be copied to, or
// "" when the route mirrors nothing or this request is not in its
// percentage (spread evenly, as weighted clusters are).
func (r *Route) MirrorCluster() string {
	m := r.mirror
	if m == nil {
		return ""
	}
	if m.percent < 100 {
		x := m.n.Add(1) * 0x9e3779b97f4a7c15
		if v, _ := bits.Mul64(x, 100); v >= m.percent {
			return ""
		}
	}
	return m.cluster
}

func newMirror(c *config.RequestMirrorPolicy) *mirror {
	if c == nil {
		return nil
	}
	m := &mirror{cluster: c.Cluster, percent: uint64(c.Percent)}
	if m.percent == 0 || m.percent > 100 {
		m.percent = 100
	}
	return m
}

// hashPolicy is one compiled hash_policy entry.
type hashPolicy struct {
	header   string // header name; "" for the others
	cookie   string // cookie name
	sourceIP bool
}

// HashKey returns the request's hash for consistent-hash balancers: each
// hash policy that yields a value is mixed in, in order (Envoy); 0 when
// the route has no policy or none yields. remote is the client's address
// (for source_ip). It allocates nothing.
func (r *Route) HashKey(req *Request, remote net.Addr) uint64 {
	var h uint64
	found := false
	for i := range r.hashes {
		p := &r.hashes[i]
		var v uint64
		ok := false
		switch {
		case p.header != "":
			if b, has := header(req.Headers, p.header); has {
				v, ok = HashBytes(b), true
			}
		case p.cookie != "":
			if b, has := cookie(req.Headers, p.cookie); has {
				v, ok = HashBytes(b), true
			}
		case p.sourceIP:
			v, ok = hashIP(remote)
		}
		if ok {
			h = bits.RotateLeft64(h, 1) ^ v
			found = true
		}
	}
	if found && h == 0 {
		h = 1 // 0 means "no key" to the balancers
	}
	return h
}

// HashBytes is the stable hash of a hash policy's value (the one host
// keys use too), the same in every process so that proxies in front of
// the same hosts agree.
func HashBytes(b []byte) uint64 { return hashkey.Bytes(b, 0) }

func hashIP(a net.Addr) (uint64, bool) {
	switch a := a.(type) {
	case *net.TCPAddr:
		return HashBytes(a.IP), true
	case *net.UDPAddr:
		return HashBytes(a.IP), true
	}
	return 0, false
}

// cookie finds a cookie's value in the request's Cookie fields.
func cookie(hs []http1.Header, name string) ([]byte, bool) {
	for _, f := range hs {
		if !http1.EqualFold(f.Name, "cookie") {
			continue
		}
		v := f.Value
		for len(v) > 0 {
			var pair []byte
			pair, v = cutByte(v, ';')
			for len(pair) > 0 && pair[0] == ' ' {
				pair = pair[1:]
			}
			if len(pair) > len(name) && pair[len(name)] == '=' && string(pair[:len(name)]) == name {
				val := pair[len(name)+1:]
				if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
					val = val[1 : len(val)-1]
				}
				return val, true
			}
		}
	}
	return nil, false
}

func newHashPolicies(hps []config.HashPolicy) []hashPolicy {
	var out []hashPolicy
	for _, hp := range hps {
		switch {
		case hp.Header != nil:
			out = append(out, hashPolicy{header: hp.Header.Key})
		case hp.HTTPCookie != nil:
			out = append(out, hashPolicy{cookie: hp.HTTPCookie.Name})
		case hp.SourceIP != nil:
			out = append(out, hashPolicy{sourceIP: true})
		}
	}
	return out
}

// MetadataMatch returns the "mosn.lb" metadata a host of cluster must
// have for this route: the route's metadata_match, overridden key by key
// by the weighted cluster entry's for that cluster. nil when none.
func (r *Route) MetadataMatch(cluster string) map[string]string {
	if r.weightedMD != nil {
		if m, ok := r.weightedMD[cluster]; ok {
			return m
		}
	}
	return r.metadata
}

// newMetadataMatch compiles the route's and weighted clusters' criteria.
func (r *Route) newMetadataMatch(a *config.RouteAction) {
	if a.MetadataMatch != nil && len(a.MetadataMatch.LB) > 0 {
		r.metadata = a.MetadataMatch.LB
	}
	for _, wc := range a.WeightedClusters {
		md := wc.Cluster.MetadataMatch
		if md == nil || len(md.LB) == 0 {
			continue
		}
		merged := make(map[string]string, len(r.metadata)+len(md.LB))
		for k, v := range r.metadata {
			merged[k] = v
		}
		for k, v := range md.LB {
			merged[k] = v
		}
		if r.weightedMD == nil {
			r.weightedMD = map[string]map[string]string{}
		}
		r.weightedMD[wc.Cluster.Name] = merged
	}
}

// PerFilterConfig implements api.PerFilterConfigRoute: the route's
// per_filter_config entry for the filter type name, else its virtual
// host's.
func (r *Route) PerFilterConfig(name string) (json.RawMessage, bool) {
	c, ok := r.perFilter[name]
	return c, ok
}

// mergeConfigs returns route's entries over vhost's; nil when both are
// empty.
func mergeConfigs(route, vhost map[string]json.RawMessage) map[string]json.RawMessage {
	if len(route) == 0 {
		return vhost
	}
	if len(vhost) == 0 {
		return route
	}
	m := make(map[string]json.RawMessage, len(route)+len(vhost))
	for k, v := range vhost {
		m[k] = v
	}
	for k, v := range route {
		m[k] = v
	}
	return m
}
