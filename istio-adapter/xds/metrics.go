package xds

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the xDS client's counters. A nil *Metrics records nothing.
type Metrics struct {
	applyCount  *prometheus.CounterVec
	rejectCount *prometheus.CounterVec
	reconnects  prometheus.Counter
	connected   prometheus.Gauge
	notes       *prometheus.GaugeVec
}

// NewMetrics registers the xDS metrics on reg:
//
//	xds_updates_applied_total{type}   responses applied (ACKed), type cds/eds/lds/rds
//	xds_updates_rejected_total{type}  responses NACKed; type "deferred" counts
//	                                  warming resources refused when applied later
//	xds_stream_reconnects_total       ADS streams opened after the first
//	xds_connected                     1 while an ADS stream is open
//	xds_skipped                       filters and fields skipped by conversion, per type
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		applyCount:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "xds_updates_applied_total", Help: "xDS responses applied and ACKed, by type."}, []string{"type"}),
		rejectCount: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "xds_updates_rejected_total", Help: "xDS responses NACKed (or deferred resources refused), by type."}, []string{"type"}),
		reconnects:  prometheus.NewCounter(prometheus.CounterOpts{Name: "xds_stream_reconnects_total", Help: "ADS streams opened after the first."}),
		connected:   prometheus.NewGauge(prometheus.GaugeOpts{Name: "xds_connected", Help: "1 while an ADS stream is open."}),
		notes:       prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "xds_skipped", Help: "Filters and fields the conversion skipped in the resources held, by type."}, []string{"type"}),
	}
	for _, c := range []prometheus.Collector{m.applyCount, m.rejectCount, m.reconnects, m.connected, m.notes} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *Metrics) applied(kind string) {
	if m != nil {
		m.applyCount.WithLabelValues(kind).Inc()
	}
}

func (m *Metrics) rejected(kind string) {
	if m != nil {
		m.rejectCount.WithLabelValues(kind).Inc()
	}
}

func (m *Metrics) reconnect() {
	if m != nil {
		m.reconnects.Inc()
	}
}

func (m *Metrics) setConnected(up bool) {
	if m != nil {
		v := 0.0
		if up {
			v = 1
		}
		m.connected.Set(v)
	}
}

func (m *Metrics) setNotes(kind string, n int) {
	if m != nil {
		m.notes.WithLabelValues(kind).Set(float64(n))
	}
}
