package l4

import (
	"time"

	"github.com/seed405ffdea/mosn/api"
	"github.com/seed405ffdea/mosn/core/accesslog"
	"github.com/seed405ffdea/mosn/core/metrics"
)

// Passive gives a filter that reads its connection itself (an
// api.ConnectionServer) the api.ReadFilter methods, which do nothing.
type Passive struct{}

// OnNewConnection implements api.ReadFilter.
func (Passive) OnNewConnection() api.FilterStatus { return api.Continue }

// OnData implements api.ReadFilter; the filter reads for itself.
func (Passive) OnData(api.IoBuffer, bool) api.FilterStatus { return api.Continue }

// InitializeReadFilterCallbacks implements api.ReadFilter.
func (Passive) InitializeReadFilterCallbacks(api.ReadFilterCallbacks) {}

// Outcome is what the access logs and metrics learn about a finished
// connection or session.
type Outcome struct {
	Start   time.Time
	Cluster string
	// Host and UpstreamLocal are the upstream host and the local address
	// of the connection to it; empty if none.
	Host, UpstreamLocal string
	Flags               api.ResponseFlag
	// Received and Sent count bytes from and to downstream.
	Received, Sent uint64
}

// Report writes o to the access logs and, when m is set, to the
// cluster's metrics (bytes received from the upstream are those sent
// downstream).
func (o *Outcome) Report(conn api.Connection, logs []*accesslog.Logger, m *metrics.Metrics) {
	if m != nil && o.Cluster != "" {
		m.RecordL4(o.Cluster, o.Sent, o.Received, o.Flags)
	}
	if len(logs) == 0 {
		return
	}
	e := accesslog.Entry{
		StartTime:               o.Start,
		Duration:                time.Since(o.Start),
		ResponseFlags:           o.Flags,
		BytesReceived:           o.Received,
		BytesSent:               o.Sent,
		DownstreamRemoteAddress: conn.RemoteAddr().String(),
		DownstreamLocalAddress:  conn.LocalAddr().String(),
		UpstreamHost:            o.Host,
		UpstreamLocalAddress:    o.UpstreamLocal,
		UpstreamCluster:         o.Cluster,
	}
	for _, l := range logs {
		l.Log(&e)
	}
}
