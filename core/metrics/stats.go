package metrics

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Stat is one counter or gauge in the text dumps of the admin API.
type Stat struct {
	// Name is Envoy's dotted stat name, e.g.
	// "cluster.reviews.upstream_rq_200".
	Name string
	// Scope and Key are MOSN's grouping of the same value: type
	// ("downstream", "upstream"), namespace ("listener.l1",
	// "cluster.reviews", "cluster.reviews.host.10.0.0.7:80") and key
	// ("request_total").
	Type, Scope, Key string
	Value            float64
}

// HistogramStat is a histogram in the text dumps.
type HistogramStat struct {
	Name             string
	Type, Scope, Key string
	Count            uint64
	Sum              float64
	// Quantiles are P0, P25, P50, P75, P90, P95, P99, P99.5, P99.9, P100,
	// interpolated within buckets (NaN when empty).
	Quantiles [10]float64
}

// QuantileNames label HistogramStat.Quantiles, as Envoy prints them.
var QuantileNames = [10]string{"P0", "P25", "P50", "P75", "P90", "P95", "P99", "P99.5", "P99.9", "P100"}

var quantiles = [10]float64{0, .25, .5, .75, .9, .95, .99, .995, .999, 1}

// Stats returns every counter and gauge and every histogram, in a stable
// order, for the admin API's /stats (Envoy) and /api/v1/stats (MOSN).
func (m *Metrics) Stats() ([]Stat, []HistogramStat) {
	var out []Stat
	var hs []HistogramStat
	add := func(typ, envoyScope, mosnScope, envoyKey, mosnKey string, v float64) {
		out = append(out, Stat{Name: envoyScope + "." + envoyKey, Type: typ, Scope: mosnScope, Key: mosnKey, Value: v})
	}
	addHist := func(typ, envoyScope, mosnScope, envoyKey, mosnKey string, h prometheus.Histogram) {
		hs = append(hs, histStat(envoyScope+"."+envoyKey, typ, mosnScope, mosnKey, h))
	}
	for _, l := range m.listenerList() {
		src := l.conns.Load()
		if src == nil {
			continue
		}
		opened, closed := (*src)()
		es, ms := "listener."+envoyAddress(l.address), "listener."+l.name
		add("downstream", es, ms, "downstream_cx_total", "connection_total", float64(opened))
		add("downstream", es, ms, "downstream_cx_active", "connection_active", float64(opened-closed))
		add("downstream", es, ms, "downstream_cx_destroy", "connection_destroy", float64(closed))
	}
	for _, h := range m.httpList() {
		es, ms := "http."+h.prefix, "proxy."+h.prefix
		if src := h.reqs.Load(); src != nil {
			total, active := (*src)()
			add("downstream", es, ms, "downstream_rq_total", "request_total", float64(total))
			add("downstream", es, ms, "downstream_rq_active", "request_active", float64(active))
		}
		for i := 1; i <= 5; i++ {
			add("downstream", es, ms, "downstream_rq_"+classNames[i]+"xx", "request_"+classNames[i]+"xx", float64(h.xx[i].Load()))
		}
		add("downstream", es, ms, "downstream_cx_rx_bytes_total", "bytes_read_total", float64(h.rx.Load()))
		add("downstream", es, ms, "downstream_cx_tx_bytes_total", "bytes_write_total", float64(h.tx.Load()))
		add("downstream", es, ms, "downstream_cx_protocol_error", "request_protocol_error", float64(h.protocolError.Load()))
		add("downstream", es, ms, "downstream_rq_too_large", "request_too_large", float64(h.tooLarge.Load()))
		add("downstream", es, ms, "downstream_rq_header_timeout", "request_header_timeout", float64(h.headerTimeout.Load()))
		add("downstream", es, ms, "no_route", "request_no_route", float64(h.noRt.Load()))
		addHist("downstream", es, ms, "downstream_rq_time", "request_time", h.rqTime)
	}
	for _, cl := range m.clusterList() {
		s := "cluster." + cl.name
		add("upstream", s, s, "upstream_rq_total", "request_total", float64(cl.rqTotal.Load()))
		add("upstream", s, s, "upstream_rq_completed", "request_completed", float64(cl.rqCompleted.Load()))
		for i := 1; i <= 5; i++ {
			add("upstream", s, s, "upstream_rq_"+classNames[i]+"xx", "request_"+classNames[i]+"xx", float64(cl.xx[i].Load()))
		}
		for code := range cl.codes {
			if v := cl.codes[code].Load(); v > 0 {
				add("upstream", s, s, "upstream_rq_"+strconv.Itoa(code), "request_"+strconv.Itoa(code), float64(v))
			}
		}
		add("upstream", s, s, "upstream_rq_timeout", "request_timeout", float64(cl.timeout.Load()))
		add("upstream", s, s, "upstream_rq_per_try_timeout", "request_per_try_timeout", float64(cl.perTryTimeout.Load()))
		add("upstream", s, s, "upstream_rq_pending_overflow", "request_pending_overflow", float64(cl.pendingOverflow.Load()))
		add("upstream", s, s, "upstream_rq_rx_reset", "request_remote_reset", float64(cl.rxReset.Load()))
		add("upstream", s, s, "upstream_rq_retry", "request_retry", float64(cl.retry.Load()))
		add("upstream", s, s, "upstream_rq_retry_success", "request_retry_success", float64(cl.retrySuccess.Load()))
		add("upstream", s, s, "upstream_rq_retry_overflow", "request_retry_overflow", float64(cl.retryOverflow.Load()))
		add("upstream", s, s, "upstream_cx_connect_fail", "connection_con_fail", float64(cl.connectFail.Load()))
		add("upstream", s, s, "upstream_cx_none_healthy", "request_no_healthy_host", float64(cl.noneHealthy.Load()))
		add("upstream", s, s, "upstream_cx_protocol_error", "connection_protocol_error", float64(cl.protocolError.Load()))
		add("upstream", s, s, "upstream_cx_rx_bytes_total", "bytes_read_total", float64(cl.rx.Load()))
		add("upstream", s, s, "upstream_cx_tx_bytes_total", "bytes_write_total", float64(cl.tx.Load()))
		addHist("upstream", s, s, "upstream_rq_time", "request_duration", cl.rqTime)
		if m.ups != nil {
			if uc := m.ups.Get(cl.name); uc != nil {
				var healthy, ejected, cx, rq int64
				hosts := uc.Hosts()
				for _, h := range hosts {
					if h.Healthy() {
						healthy++
					}
					if h.Ejected() {
						ejected++
					}
					cx += h.OpenConnections()
					rq += h.ActiveRequests()
				}
				add("upstream", s, s, "membership_total", "host_total", float64(len(hosts)))
				add("upstream", s, s, "membership_healthy", "host_healthy", float64(healthy))
				add("upstream", s, s, "outlier_detection.ejections_active", "host_ejected", float64(ejected))
				rs := uc.Stats()
				add("upstream", s, s, "outlier_detection.ejections_enforced_total", "host_ejected_total", float64(rs.Ejections.Load()))
				add("upstream", s, s, "health_check.attempt", "health_check_total", float64(rs.HealthCheckAttempts.Load()))
				add("upstream", s, s, "health_check.success", "health_check_success", float64(rs.HealthCheckSuccesses.Load()))
				add("upstream", s, s, "health_check.failure", "health_check_failure", float64(rs.HealthCheckFailures.Load()))
				add("upstream", s, s, "upstream_cx_active", "connection_active", float64(cx))
				add("upstream", s, s, "upstream_rq_active", "request_active", float64(rq))
			}
		}
		for _, hm := range cl.hostList() {
			hsName := s + ".host." + hm.addr
			add("upstream", hsName, hsName, "rq_total", "request_total", float64(hm.rqTotal.Load()))
			add("upstream", hsName, hsName, "rq_success", "response_success", float64(hm.rqSuccess.Load()))
			add("upstream", hsName, hsName, "rq_error", "response_failed", float64(hm.rqError.Load()))
			add("upstream", hsName, hsName, "rq_timeout", "request_timeout", float64(hm.rqTimeout.Load()))
		}
	}
	paths, fs := m.logList()
	for i, p := range paths {
		add("accesslog", "access_log."+p, "access_log."+p, "dropped", "dropped", float64(fs[i]()))
	}
	return out, hs
}

// HostStats are a host's counters for the admin API's /clusters.
type HostStats struct {
	RqTotal, RqSuccess, RqError, RqTimeout uint64
}

// HostStats returns the counters of a host of a cluster; zeros when
// either is unknown.
func (m *Metrics) HostStats(cluster, addr string) HostStats {
	cl := (*m.clusters.Load())[cluster]
	if cl == nil {
		return HostStats{}
	}
	hm := (*cl.hosts.Load())[addr]
	if hm == nil {
		return HostStats{}
	}
	return HostStats{hm.rqTotal.Load(), hm.rqSuccess.Load(), hm.rqError.Load(), hm.rqTimeout.Load()}
}

func histStat(name, typ, scope, key string, h prometheus.Histogram) HistogramStat {
	var d dto.Metric
	hs := HistogramStat{Name: name, Type: typ, Scope: scope, Key: key}
	if err := h.Write(&d); err != nil || d.Histogram == nil {
		return hs
	}
	hh := d.Histogram
	hs.Count, hs.Sum = hh.GetSampleCount(), hh.GetSampleSum()
	for i, q := range quantiles {
		hs.Quantiles[i] = bucketQuantile(q, hh)
	}
	return hs
}

// bucketQuantile estimates a quantile from cumulative buckets by linear
// interpolation within the bucket that holds it, as PromQL's
// histogram_quantile does; the last finite bound stands in for +Inf.
func bucketQuantile(q float64, h *dto.Histogram) float64 {
	total := h.GetSampleCount()
	if total == 0 {
		return math.NaN()
	}
	rank := q * float64(total)
	lower, prevCount := 0.0, uint64(0)
	for _, b := range h.Bucket {
		upper, cum := b.GetUpperBound(), b.GetCumulativeCount()
		if float64(cum) >= rank && cum > prevCount {
			if q == 0 {
				return lower
			}
			return lower + (upper-lower)*(rank-float64(prevCount))/float64(cum-prevCount)
		}
		lower, prevCount = upper, cum
	}
	return lower
}

// FormatHistogram renders a histogram stat for Envoy's text /stats:
// "P0(v) P25(v) ... P100(v) count(n) sum(s)".
func FormatHistogram(h HistogramStat) string {
	var b strings.Builder
	for i, q := range h.Quantiles {
		if i > 0 {
			b.WriteByte(' ')
		}
		if math.IsNaN(q) {
			fmt.Fprintf(&b, "%s(nan)", QuantileNames[i])
		} else {
			fmt.Fprintf(&b, "%s(%s)", QuantileNames[i], strconv.FormatFloat(q, 'g', 6, 64))
		}
	}
	fmt.Fprintf(&b, " count(%d) sum(%s)", h.Count, strconv.FormatFloat(h.Sum, 'g', -1, 64))
	return b.String()
}
