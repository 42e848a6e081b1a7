package proxy

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seed405ffdea/mosn/core/protocol/http1"
	"github.com/seed405ffdea/mosn/core/upstream"
	"github.com/seed405ffdea/mosn/pkg/buffer"
	"github.com/seed405ffdea/mosn/pkg/workerpool"
)

// Mirroring (request_mirror_policies): the request as sent upstream —
// head and body, which must be wholly in hand — is copied into a pooled
// buffer and handed to a shared, bounded worker pool that sends it to a
// host of the mirror cluster, reads the response and drops it. The main
// request never waits: when the pool's queue is full the copy is dropped
// and counted.

// Mirror worker pool bounds: at most mirrorWorkers copies in flight, up
// to mirrorQueue waiting.
const (
	mirrorWorkers = 64
	mirrorQueue   = 1024
)

var (
	mirrorOnce sync.Once
	mirrorPool *workerpool.Pool
)

func mirrors() *workerpool.Pool {
	mirrorOnce.Do(func() {
		mirrorPool = workerpool.New(mirrorWorkers, mirrorQueue, workerpool.WithIdleTimeout(2*time.Second))
	})
	return mirrorPool
}

// MirrorStats count mirrored requests.
type MirrorStats struct {
	// Sent copies got a response (any status); Failed did not (no host,
	// connect error, reset, timeout); Dropped were never sent: the body
	// was not in hand or the mirror queue was full.
	Sent, Failed, Dropped atomic.Uint64
}

// mirror copies the request just built for the upstream (s.head, then the
// body bytes in hand) to the route's mirror cluster, if this request is
// mirrored.
func (s *serverConn) mirror(first []byte) {
	st := &s.st
	name := st.route.MirrorCluster()
	if name == "" {
		return
	}
	ms := &s.opts.Stats.Mirror
	cl := s.opts.Clusters.Get(name)
	if cl == nil || !st.bodyDone || st.streamed || s.req.Upgrade {
		ms.Dropped.Add(1)
		return
	}
	host := cl.ChooseHost(s)
	if host == nil {
		ms.Failed.Add(1)
		return
	}
	bp := buffer.GetBytes(len(s.head) + len(first))
	b := append((*bp)[:0], s.head...)
	b = append(b, first...)
	*bp = b
	timeout := time.Until(st.deadline)
	isHEAD := st.isHEAD
	limits := s.opts.Limits
	if !mirrors().Submit(func() { sendMirror(host, bp, timeout, isHEAD, limits, ms) }) {
		buffer.PutBytes(bp)
		ms.Dropped.Add(1)
	}
}

var errMirrorResponse = errors.New("proxy: mirror: bad response")

// sendMirror sends req to host and reads the response to its end, so that
// the connection can be reused, within timeout.
func sendMirror(host *upstream.Host, req *[]byte, timeout time.Duration, isHEAD bool, limits http1.Limits, ms *MirrorStats) {
	defer buffer.PutBytes(req)
	host.BeginRequest()
	defer host.EndRequest()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	uc, err := host.Pool().Get(ctx)
	if err != nil {
		host.RecordResult(0, err)
		ms.Failed.Add(1)
		return
	}
	uc.SetDeadline(time.Now().Add(timeout))
	status, reusable, err := exchangeMirror(uc, *req, isHEAD, limits)
	uc.SetDeadline(time.Time{})
	uc.Pool().Put(uc, reusable && err == nil)
	if err != nil {
		host.RecordResult(0, err)
		ms.Failed.Add(1)
		return
	}
	host.RecordResult(status, nil)
	ms.Sent.Add(1)
}

// exchangeMirror writes req and reads (and drops) the response.
func exchangeMirror(uc *upstream.UpConn, req []byte, isHEAD bool, limits http1.Limits) (status int, reusable bool, err error) {
	if _, err := uc.Conn.Write(req); err != nil {
		return 0, false, err
	}
	bp := buffer.GetBytes(readBufSize)
	defer buffer.PutBytes(bp)
	buf := (*bp)[:cap(*bp)]
	var resp http1.ResponseHead
	n := 0
	for {
		m, err := uc.Conn.Read(buf[n:])
		n += m
		hl, perr := http1.ParseResponse(buf[:n], &resp, limits)
		if perr != nil {
			return 0, false, perr
		}
		if hl > 0 {
			if resp.Status >= 100 && resp.Status < 200 {
				copy(buf, buf[hl:n])
				n -= hl
				continue
			}
			copy(buf, buf[hl:n])
			n -= hl
			break
		}
		if err != nil {
			return 0, false, err
		}
		if n == len(buf) {
			return 0, false, errMirrorResponse
		}
	}
	status = resp.Status
	kind, left := resp.Body(isHEAD)
	keep := resp.KeepAlive
	var cs http1.ChunkedScanner
	data := buf[:n]
	for {
		switch kind {
		case http1.NoBody:
			return status, keep && len(data) == 0, nil
		case http1.Length:
			c := min(int64(len(data)), left)
			left -= c
			if left == 0 {
				return status, keep && int64(len(data)) == c, nil
			}
		case http1.ChunkedBody:
			used, done, err := cs.Scan(data)
			if err != nil {
				return 0, false, err
			}
			if done {
				return status, keep && used == len(data), nil
			}
		}
		m, err := uc.Conn.Read(buf)
		data = buf[:m]
		if err != nil && m == 0 {
			if kind == http1.UntilClose && err == io.EOF {
				return status, false, nil
			}
			return 0, false, err
		}
	}
}
