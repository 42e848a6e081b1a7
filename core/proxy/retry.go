package proxy

import (
	"errors"
	"net"
	"time"

	"github.com/seed405ffdea/mosn/api"
	"github.com/seed405ffdea/mosn/core/router"
	"github.com/seed405ffdea/mosn/core/upstream"
)

// errRetryOther asks forward to retry the request on another host under
// the route's retry policy; the failed attempt has been cleaned up.
var errRetryOther = errors.New("proxy: retry on another host")

// maxTried is how many tried hosts a request remembers to avoid.
const maxTried = 4

// mayRetry decides whether a failed attempt is retried: the route retries
// this condition (eligible), retries remain, the whole request body is
// still in hand (a body streamed upstream cannot be sent again), the
// route deadline has not passed, and the cluster's retry breaker
// (max_retries) admits one more. When retries were wanted but are used up
// the answer stands with the URX flag.
func (s *serverConn) mayRetry(eligible bool) bool {
	st := &s.st
	if !eligible || st.retry == nil || !st.bodyDone || st.streamed || s.req.Upgrade {
		return false
	}
	if int(st.retries) >= st.retry.NumRetries {
		st.flags |= api.UpstreamRetryLimitExceeded
		return false
	}
	if !time.Now().Before(st.deadline) {
		return false
	}
	if !st.cluster.AcquireRetry() {
		st.retryOverflow = true
		return false
	}
	st.retryHeld++
	st.retries++
	return true
}

// retryOn reports whether the route's policy covers cond.
func (s *serverConn) retryOn(cond router.RetryOn) bool {
	return s.st.retry != nil && s.st.retry.On&cond != 0
}

// releaseRetries gives back the retry breaker's slots the request held.
func (s *serverConn) releaseRetries() {
	st := &s.st
	for ; st.retryHeld > 0; st.retryHeld-- {
		st.cluster.ReleaseRetry()
	}
}

// chooseHost asks the balancer for a host; on a retry it prefers one the
// request has not tried (Envoy's previous_hosts predicate): up to three
// picks, then the first healthy untried host in the cluster, then the
// balancer's choice.
func (s *serverConn) chooseHost() *upstream.Host {
	st := &s.st
	h := st.cluster.ChooseHost(s)
	if st.nTried == 0 || h == nil || !s.tried(h) {
		return h
	}
	for range 2 {
		if c := st.cluster.ChooseHost(s); c != nil && !s.tried(c) {
			return c
		}
	}
	for _, c := range st.cluster.Hosts() {
		if c.Healthy() && !s.tried(c) {
			return c
		}
	}
	return h
}

func (s *serverConn) tried(h *upstream.Host) bool {
	st := &s.st
	for _, t := range st.triedHosts[:min(int(st.nTried), maxTried)] {
		if t == h {
			return true
		}
	}
	return false
}

func (s *serverConn) rememberTried(h *upstream.Host) {
	st := &s.st
	if int(st.nTried) < maxTried {
		st.triedHosts[st.nTried] = h
	}
	if st.nTried < 255 {
		st.nTried++
	}
}

// OriginalDst implements upstream.OriginalDstContext: the address the
// client connected to (the original destination once original_dst has
// run), for ORIGINAL_DST clusters.
func (s *serverConn) OriginalDst() string {
	if s.localAddr == "" {
		s.remoteAddr = s.conn.RemoteAddr().String()
		s.localAddr = s.conn.LocalAddr().String()
	}
	return s.localAddr
}

// MetadataMatchCriteria implements upstream.MetadataMatchContext: the
// route's metadata_match for the chosen cluster.
func (s *serverConn) MetadataMatchCriteria() map[string]string {
	if s.st.route == nil || s.st.cluster == nil {
		return nil
	}
	return s.st.route.MetadataMatch(s.st.cluster.Name())
}

// HashKey implements api.LBContext: the route's hash policies over this
// request.
func (s *serverConn) HashKey() uint64 {
	if s.st.route == nil {
		return 0
	}
	return s.st.route.HashKey(&s.st.rreq, s.remote())
}

// remote is the client's address.
func (s *serverConn) remote() net.Addr { return s.conn.RemoteAddr() }

var (
	_ upstream.OriginalDstContext   = (*serverConn)(nil)
	_ upstream.MetadataMatchContext = (*serverConn)(nil)
)
