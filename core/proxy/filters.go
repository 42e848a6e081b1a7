package proxy

import (
	"context"
	"net"
	"time"

	"github.com/seed405ffdea/mosn/api"
	"github.com/seed405ffdea/mosn/core/protocol/http1"
)

// filterChain is one request's stream filters, built only when the
// listener configures some (requests without filters skip all of this).
//
// The HTTP/1 path streams bodies, so filters see headers only; data and
// trailers are nil. A filter that returns StreamFilterStop must resume the
// chain with Continue before its OnReceive returns: asynchronous filters
// arrive with the multiplexed protocols.
type filterChain struct {
	s         *serverConn
	ctx       context.Context
	receivers [3][]api.StreamReceiverFilter
	senders   []api.StreamSenderFilter
	reqHdr    http1.HeaderMap
	respHdr   http1.HeaderMap
	hijacked  bool
	hijackErr error
}

func (s *serverConn) newFilterChain(ctx context.Context) *filterChain {
	fc := &filterChain{s: s, ctx: ctx}
	fc.reqHdr.Reset(&s.req.Headers)
	fc.respHdr.Reset(&s.resp.Headers)
	for _, f := range s.opts.StreamFilters {
		f.CreateFilterChain(ctx, fc)
	}
	for _, fs := range fc.receivers {
		for _, f := range fs {
			f.SetReceiveFilterHandler(fc)
		}
	}
	for _, f := range fc.senders {
		f.SetSenderFilterHandler(fc)
	}
	return fc
}

// AddStreamReceiverFilter implements api.StreamFilterChainFactoryCallbacks.
func (fc *filterChain) AddStreamReceiverFilter(f api.StreamReceiverFilter, p api.ReceiverFilterPhase) {
	if p < 0 || int(p) >= len(fc.receivers) {
		p = api.BeforeRoute
	}
	fc.receivers[p] = append(fc.receivers[p], f)
}

// AddStreamSenderFilter implements api.StreamFilterChainFactoryCallbacks.
func (fc *filterChain) AddStreamSenderFilter(f api.StreamSenderFilter) {
	fc.senders = append(fc.senders, f)
}

// receive runs one phase. done means the request was answered (hijacked)
// and err is that answer's write error.
func (fc *filterChain) receive(p api.ReceiverFilterPhase) (done bool, err error) {
	for _, f := range fc.receivers[p] {
		st := f.OnReceive(fc.ctx, &fc.reqHdr, nil, nil)
		if fc.hijacked {
			return true, fc.hijackErr
		}
		if st == api.StreamFilterHijack {
			// The filter claimed to answer but did not: answer for it.
			return true, fc.s.localReply(500, nil, false)
		}
	}
	return false, nil
}

// send runs the sender filters on the upstream response's headers.
func (fc *filterChain) send() (done bool, err error) {
	for _, f := range fc.senders {
		f.Append(fc.ctx, &fc.respHdr, nil, nil)
	}
	return false, nil
}

// sendLocal runs sender filters for a locally generated response: they
// see its status only through RequestInfo.
func (fc *filterChain) sendLocal(status int) {
	for _, f := range fc.senders {
		f.Append(fc.ctx, emptyHeaders{}, nil, nil)
	}
}

func (fc *filterChain) destroy() {
	for _, fs := range fc.receivers {
		for _, f := range fs {
			f.OnDestroy()
		}
	}
	for _, f := range fc.senders {
		f.OnDestroy()
	}
}

// Route implements api.StreamFilterHandler.
func (fc *filterChain) Route() api.Route {
	if fc.s.st.route == nil {
		return nil
	}
	return fc.s.st.route
}

// RequestInfo implements api.StreamFilterHandler.
func (fc *filterChain) RequestInfo() api.RequestInfo { return (*requestInfo)(fc.s) }

// Connection implements api.StreamFilterHandler.
func (fc *filterChain) Connection() api.Connection { return fc.s.conn }

// SendHijackReply implements api.StreamReceiverFilterHandler.
func (fc *filterChain) SendHijackReply(code int, headers api.HeaderMap) {
	fc.SendDirectResponse(code, headers, nil)
}

// SendDirectResponse implements api.StreamReceiverFilterHandler.
func (fc *filterChain) SendDirectResponse(code int, headers api.HeaderMap, body []byte) {
	if fc.hijacked {
		return
	}
	fc.hijacked = true
	fc.hijackErr = fc.s.reply(code, headers, body, false)
}

// Continue implements the handlers' Continue; filters run synchronously
// here, so there is nothing to resume.
func (fc *filterChain) Continue() {}

type emptyHeaders struct{}

func (emptyHeaders) Get(string) (string, bool)       { return "", false }
func (emptyHeaders) Set(string, string)              {}
func (emptyHeaders) Add(string, string)              {}
func (emptyHeaders) Del(string)                      {}
func (emptyHeaders) Range(func(string, string) bool) {}

// requestInfo is the api.RequestInfo view of a connection's current stream.
type requestInfo serverConn

func (r *requestInfo) StartTime() time.Time { return r.st.start }
func (r *requestInfo) Protocol() api.ProtocolName {
	if r.h2stream {
		return api.HTTP2
	}
	return api.HTTP1
}
func (r *requestInfo) ResponseCode() int                 { return r.st.status }
func (r *requestInfo) BytesReceived() uint64             { return r.st.bytesIn }
func (r *requestInfo) BytesSent() uint64                 { return r.st.bytesOut }
func (r *requestInfo) ResponseFlags() api.ResponseFlag   { return r.st.flags }
func (r *requestInfo) DownstreamRemoteAddress() net.Addr { return r.conn.RemoteAddr() }
func (r *requestInfo) UpstreamHost() api.HostInfo {
	if r.st.host == nil {
		return nil
	}
	return r.st.host
}
