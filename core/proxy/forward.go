package proxy

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/seed405ffdea/mosn/api"
	"github.com/seed405ffdea/mosn/core/protocol/http1"
	"github.com/seed405ffdea/mosn/core/router"
	"github.com/seed405ffdea/mosn/core/upstream"
	"github.com/seed405ffdea/mosn/pkg/buffer"
)

// Envoy's local-reply bodies, so that clients and dashboards that match on
// them keep working.
var (
	bodyNoHealthy   = []byte("no healthy upstream")
	bodyConnectFail = []byte("upstream connect error or disconnect/reset before headers. reset reason: connection failure")
	bodyReset       = []byte("upstream connect error or disconnect/reset before headers. reset reason: connection termination")
	bodyTimeout     = []byte("upstream request timeout")
	bodyOverflow    = []byte("upstream connect error or disconnect/reset before headers. reset reason: overflow")
	bodyProtocol    = []byte("upstream sent an invalid response")
)

// errUpstreamFailed is what the host's outlier detection is told when an
// exchange failed without a usable response.
var errUpstreamFailed = errors.New("proxy: upstream failed before a response")

// errRetry asks forward to try once more on a fresh connection.
var errRetry = errors.New("proxy: retry on a fresh connection")

// forward runs the exchange with an upstream host. It retries once, on a
// fresh connection, when a reused keep-alive connection turns out to have
// been closed by the server before it answered (the request is still
// wholly in hand then); and it retries on other hosts as the route's
// retry policy says.
func (s *serverConn) forward(ctx context.Context) error {
	st := &s.st
	first := st.first
	st.retry = st.route.RetryPolicy()
	if st.retry != nil {
		defer s.releaseRetries()
	}
	stale := true // the stale-connection retry is left
	for {
		host := s.chooseHost()
		if host == nil {
			st.flags |= api.NoHealthyUpstream
			return s.localReply(503, bodyNoHealthy, false)
		}
		st.host = host
		if st.filters != nil && st.nTried == 0 {
			if done, err := st.filters.receive(api.AfterChooseHost); done {
				return err
			}
		}
		err := s.attempt(ctx, host, first, stale)
		switch err {
		case errRetry:
			stale = false
			continue
		case errRetryOther:
			s.rememberTried(host)
			stale = false
			continue
		}
		return err
	}
}

// attempt runs one exchange with host, keeping the host's request count
// and outcome for the balancers, health and outlier detection.
func (s *serverConn) attempt(ctx context.Context, host *upstream.Host, first []byte, canRetry bool) error {
	st := &s.st
	host.BeginRequest()
	defer host.EndRequest()
	st.tryDeadline = st.deadline
	if st.retry != nil && st.retry.PerTryTimeout > 0 {
		st.tryDeadline = minTime(st.deadline, time.Now().Add(st.retry.PerTryTimeout))
	}
	uc, err := s.getUpstream(ctx, host)
	if err != nil {
		if errors.Is(err, upstream.ErrOverflow) {
			st.flags |= api.UpstreamOverflow
			return s.localReply(503, bodyOverflow, false)
		}
		host.RecordResult(0, err)
		s.opts.Stats.UpstreamErrors.Add(1)
		if s.mayRetry(s.retryOn(router.RetryConnectFailure)) {
			return errRetryOther
		}
		st.flags |= api.UpstreamConnectionFailure
		return s.localReply(503, bodyConnectFail, false)
	}
	st.uc = uc
	if len(s.opts.AccessLogs) > 0 {
		st.upCluster, st.upLocal = st.cluster.Name(), uc.LocalAddress
	}
	err = s.exchange(uc, first, canRetry)
	if err == errRetry {
		host.Pool().Discard(uc)
		st.uc = nil
	}
	return err
}

// firstBody consumes the request body bytes already read with the head and
// returns them; they stay valid until the next read from downstream. Bad
// chunk framing among them is refused before anything goes upstream.
func (s *serverConn) firstBody() ([]byte, error) {
	if s.st.bodyKind == http1.ChunkedBody {
		s.cs.Reset()
	}
	data := s.in.data()
	n, err := s.bodyPart(data)
	if err != nil {
		return nil, err
	}
	s.in.consume(n)
	return data[:n], nil
}

// bodyPart accounts for the request body bytes at the front of data: it
// returns how many belong to the body and marks the body done at its end.
func (s *serverConn) bodyPart(data []byte) (int, error) {
	st := &s.st
	var n int
	switch st.bodyKind {
	case http1.Length:
		n = int(min(int64(len(data)), st.bodyLeft))
		st.bodyLeft -= int64(n)
		st.bodyDone = st.bodyLeft == 0
	case http1.ChunkedBody:
		var err error
		n, st.bodyDone, err = s.cs.Scan(data)
		if err != nil {
			return 0, err
		}
	}
	st.bytesIn += uint64(n)
	return n, nil
}

// exchange sends the request on uc and relays the response. canRetry allows
// errRetry when a reused connection fails before any response byte.
func (s *serverConn) exchange(uc *upstream.UpConn, first []byte, canRetry bool) error {
	st := &s.st
	upgrade := s.req.Upgrade
	s.head = s.appendRequestHead(s.headBuf(), upgrade)
	if st.nTried == 0 && canRetry && st.route.HasMirror() {
		s.mirror(first)
	}
	s.iov = append(s.iovArr[:0], s.head)
	if len(first) > 0 {
		s.iov = append(s.iov, first)
	}
	// uc.Conn, not uc: net.Buffers finds writev only on the concrete conn.
	if _, err := s.iov.WriteTo(uc.Conn); err != nil {
		if canRetry && uc.Reused && !st.streamed {
			return errRetry
		}
		return s.upstreamFailed(uc, 502, api.UpstreamRemoteReset, bodyReset, router.RetryReset)
	}
	if !st.bodyDone {
		if err := s.pumpRequestBody(uc); err != nil {
			return err
		}
	}
	sentAt := time.Now()
	if len(s.opts.AccessLogs) > 0 {
		st.reqDoneAt = sentAt
	}
	// The response head.
	s.up.r, s.up.w = 0, 0
	// Wait at most ClientCheck at a time, to look at the client in between.
	uc.SetReadDeadline(minTime(st.tryDeadline, time.Now().Add(s.opts.ClientCheck)))
	for {
		hl, err := http1.ParseResponse(s.up.data(), &s.resp, s.opts.Limits)
		if err != nil {
			return s.upstreamFailed(uc, 502, api.UpstreamProtocolError, bodyProtocol, router.RetryReset)
		}
		if hl > 0 {
			if len(s.opts.AccessLogs) > 0 && st.respHeadAt.IsZero() {
				st.respHeadAt = time.Now()
			}
			if s.resp.Status >= 100 && s.resp.Status < 200 && s.resp.Status != 101 {
				// Interim responses (100 Continue, 103) are ours to drop:
				// we answered Expect ourselves.
				s.up.consume(hl)
				continue
			}
			s.up.consume(hl)
			st.host.RecordLatency(time.Since(sentAt))
			st.host.RecordResult(s.resp.Status, nil)
			if st.retry != nil && s.mayRetry(st.retry.RetriableStatus(s.resp.Status)) {
				// The response is dropped with its connection.
				uc.Pool().Discard(uc)
				st.uc = nil
				return errRetryOther
			}
			break
		}
		n, rerr := s.up.fill(uc, s.opts.Limits.MaxHeaderBytes+1)
		if n > 0 {
			continue
		}
		switch {
		case rerr == errBufferFull:
			return s.upstreamFailed(uc, 502, api.UpstreamProtocolError, bodyProtocol, router.RetryReset)
		case isTimeout(rerr):
			now := time.Now()
			if !now.Before(st.tryDeadline) {
				if st.tryDeadline.Before(st.deadline) {
					st.perTryTimeouts++
				}
				return s.upstreamFailed(uc, 504, api.UpstreamRequestTimeout, bodyTimeout, router.RetryTimeout)
			}
			if s.clientGone() {
				st.flags |= api.DownstreamConnectionTermination
				uc.Pool().Discard(uc)
				st.uc = nil
				return errClientGone
			}
			// Look again at the client in ClientCheck, or give up at the
			// attempt's deadline, whichever is first.
			uc.SetReadDeadline(minTime(st.tryDeadline, now.Add(s.opts.ClientCheck)))
		default:
			if s.up.len() == 0 && canRetry && uc.Reused && !st.streamed && st.bodyDone {
				return errRetry
			}
			flag := api.UpstreamRemoteReset
			if errors.Is(rerr, io.EOF) {
				flag = api.UpstreamConnectionTermination
			}
			return s.upstreamFailed(uc, 502, flag, bodyReset, router.RetryReset)
		}
	}
	if upgrade && s.resp.Status == 101 {
		return s.tunnel(uc)
	}
	return s.relayResponse(uc)
}

// upstreamFailed ends an attempt that failed before any response byte
// went downstream: it is retried on another host when the route's policy
// covers cond, else answered locally.
func (s *serverConn) upstreamFailed(uc *upstream.UpConn, status int, flag api.ResponseFlag, body []byte, cond router.RetryOn) error {
	if s.st.host != nil {
		// Resets, timeouts and malformed responses count against the host.
		s.st.host.RecordResult(0, errUpstreamFailed)
	}
	s.opts.Stats.UpstreamErrors.Add(1)
	uc.Pool().Discard(uc)
	s.st.uc = nil
	if s.mayRetry(s.retryOn(cond)) {
		return errRetryOther
	}
	s.st.flags |= flag
	return s.localReply(status, body, false)
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// pumpRequestBody streams the rest of the request body to uc.
func (s *serverConn) pumpRequestBody(uc *upstream.UpConn) error {
	st := &s.st
	if s.req.Expect100 && !st.sent100 && s.in.len() == 0 {
		st.sent100 = true
		if err := s.conn.Write(continue100); err != nil {
			uc.Pool().Discard(uc)
			st.uc = nil
			return err
		}
	}
	uc.SetWriteDeadline(st.deadline)
	defer uc.SetWriteDeadline(time.Time{})
	for !st.bodyDone {
		if s.in.len() == 0 {
			s.conn.SetReadDeadline(time.Now().Add(s.opts.StreamIdleTimeout))
			n, err := s.in.fill(s.conn, readBufSize)
			if n == 0 {
				// The client went away mid-body: the upstream request can't
				// complete, so cancel it by closing its connection.
				st.flags |= api.DownstreamConnectionTermination
				uc.Pool().Discard(uc)
				st.uc = nil
				if err == nil {
					err = io.ErrUnexpectedEOF
				}
				return err
			}
		}
		st.streamed = true
		data := s.in.data()
		n, err := s.bodyPart(data)
		if err != nil {
			// The rest of the message can't be framed: abort both sides.
			st.flags |= api.DownstreamProtocolError
			uc.Pool().Discard(uc)
			st.uc = nil
			return err
		}
		if s.bodyOverLimit() {
			uc.Pool().Discard(uc)
			st.uc = nil
			return errBodyTooLarge
		}
		if _, err := uc.Write(data[:n]); err != nil {
			// The upstream stopped reading (it may have answered early, e.g.
			// 413): read its response; this connection can't carry another.
			s.in.consume(n)
			st.closeDown = true
			return nil
		}
		s.in.consume(n)
	}
	s.conn.SetReadDeadline(time.Time{})
	return nil
}

var continue100 = []byte("HTTP/1.1 100 Continue\r\n\r\n")

// relayResponse writes the response head with the body bytes already read
// in one writev, then streams the rest; it returns uc to its pool when the
// exchange left it reusable.
func (s *serverConn) relayResponse(uc *upstream.UpConn) error {
	st := &s.st
	kind, left := s.resp.Body(st.isHEAD)
	if s.st.filters != nil {
		if done, err := st.filters.send(); done {
			uc.Pool().Discard(uc)
			st.uc = nil
			return err
		}
	}
	if kind == http1.UntilClose || !s.resp.KeepAlive {
		st.closeDown = st.closeDown || kind == http1.UntilClose
	}
	dechunk := kind == http1.ChunkedBody && s.req.Minor == 0
	if dechunk {
		// An HTTP/1.0 client can't read chunked framing: send the data
		// delimited by the connection's close.
		st.closeDown = true
	}
	st.status = s.resp.Status
	s.head = s.appendResponseHead(s.headBuf(), kind, dechunk)

	// Body bytes that came with the head.
	data := s.up.data()
	var n int
	done := false
	var out []byte
	switch kind {
	case http1.NoBody:
		done = true
	case http1.Length:
		n = int(min(int64(len(data)), left))
		left -= int64(n)
		done = left == 0
		out = data[:n]
	case http1.ChunkedBody:
		s.rcs.Reset()
		var err error
		n, out, done, err = s.scanResponse(data, dechunk)
		if err != nil {
			return s.abortResponse(uc)
		}
	case http1.UntilClose:
		n = len(data)
		out = data
	}
	s.up.consume(n)
	st.bytesOut += uint64(len(out))
	s.iov = append(s.iovArr[:0], s.head, out)
	if err := s.writeDown(); err != nil {
		st.flags |= api.DownstreamConnectionTermination
		uc.Pool().Discard(uc)
		st.uc = nil
		return err
	}
	if !done {
		// The rest of the body is bounded by the route timeout alone.
		uc.SetReadDeadline(st.deadline)
		if err := s.pumpResponseBody(uc, kind, left, dechunk); err != nil {
			return err
		}
	}
	reusable := s.resp.KeepAlive && kind != http1.UntilClose && s.up.len() == 0 && st.bodyDone
	uc.Pool().Put(uc, reusable)
	st.uc = nil
	return nil
}

// pumpResponseBody streams the rest of a response body downstream.
func (s *serverConn) pumpResponseBody(uc *upstream.UpConn, kind http1.BodyKind, left int64, dechunk bool) error {
	st := &s.st
	raw := s.conn.RawConn()
	raw.SetWriteDeadline(time.Now().Add(s.opts.StreamIdleTimeout))
	defer raw.SetWriteDeadline(time.Time{})
	for {
		n, err := s.up.fill(uc, readBufSize)
		if n == 0 {
			if kind == http1.UntilClose && err == io.EOF {
				uc.Pool().Discard(uc)
				st.uc = nil
				return nil
			}
			// Reset or timeout mid-body: the response can't be completed,
			// so the client's connection is closed to tell it so.
			if isTimeout(err) {
				st.flags |= api.UpstreamRequestTimeout
			} else {
				st.flags |= api.UpstreamRemoteReset
			}
			return s.abortResponse(uc)
		}
		data := s.up.data()
		var m int
		done := false
		out := data
		switch kind {
		case http1.Length:
			m = int(min(int64(len(data)), left))
			left -= int64(m)
			done = left == 0
			out = data[:m]
		case http1.ChunkedBody:
			m, out, done, err = s.scanResponse(data, dechunk)
			if err != nil {
				st.flags |= api.UpstreamProtocolError
				return s.abortResponse(uc)
			}
		case http1.UntilClose:
			m = len(data)
		}
		st.bytesOut += uint64(len(out))
		if len(out) > 0 {
			if err := s.conn.Write(out); err != nil {
				st.flags |= api.DownstreamConnectionTermination
				uc.Pool().Discard(uc)
				st.uc = nil
				return err
			}
		}
		s.up.consume(m)
		if done {
			return nil
		}
	}
}

// abortResponse ends an exchange whose response is half sent: both
// connections close, which is how HTTP/1 tells the client the response is
// incomplete.
func (s *serverConn) abortResponse(uc *upstream.UpConn) error {
	uc.Pool().Discard(uc)
	s.st.uc = nil
	s.st.closeDown = true
	return errUpstreamAborted
}

var errUpstreamAborted = errors.New("proxy: upstream response aborted")

func (s *serverConn) writeDown() error {
	if s.nc != nil {
		return s.nc.WriteBuffers(&s.iov)
	}
	return s.conn.Write(s.iov...)
}

// headBuf returns the scratch buffer for building a head.
func (s *serverConn) headBuf() []byte {
	if s.headp == nil {
		s.headp = buffer.GetBytes(1024)
		s.head = (*s.headp)[:0]
	}
	return s.head[:0]
}

// Context implements api.LBContext.
func (s *serverConn) Context() context.Context { return s.conn.Context() }

// Headers implements api.LBContext.
func (s *serverConn) Headers() api.HeaderMap {
	s.lbHdr.Reset(&s.req.Headers)
	return &s.lbHdr
}

// UpstreamIndex implements upstream.RequestRoundRobinContext.
func (s *serverConn) UpstreamIndex() int { return s.st.upIndex }

// SetUpstreamIndex implements upstream.RequestRoundRobinContext.
func (s *serverConn) SetUpstreamIndex(i int) { s.st.upIndex = i }

var _ upstream.RequestRoundRobinContext = (*serverConn)(nil)

// scanResponse finds how much of data belongs to a chunked response body.
// With dechunk it also returns the chunk data alone, for HTTP/1.0 clients.
func (s *serverConn) scanResponse(data []byte, dechunk bool) (n int, out []byte, done bool, err error) {
	if !dechunk {
		n, done, err = s.rcs.Scan(data)
		return n, data[:n], done, err
	}
	s.plain = s.plain[:0]
	n, done, err = s.rcs.ScanData(data, func(d []byte) { s.plain = append(s.plain, d...) })
	return n, s.plain, done, err
}

// bodyOverLimit reports a request body beyond MaxRequestBody (counted as
// decoded data for chunked bodies).
func (s *serverConn) bodyOverLimit() bool {
	if s.opts.MaxRequestBody <= 0 {
		return false
	}
	if s.st.bodyKind == http1.ChunkedBody {
		return s.cs.DataLen() > s.opts.MaxRequestBody
	}
	return int64(s.st.bytesIn) > s.opts.MaxRequestBody
}
