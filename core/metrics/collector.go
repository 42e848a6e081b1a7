package metrics

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/seed405ffdea/mosn/core/upstream"
)

// descs holds one Desc per counter or gauge family, by family name.
type descs map[string]*prometheus.Desc

func newDescs(n *names) descs {
	d := descs{}
	add := func(f family, labels ...string) {
		d[f.name] = prometheus.NewDesc(f.name, f.help, labels, nil)
	}
	for _, f := range []family{n.lnCxTotal, n.lnCxActive, n.lnCxDestroy} {
		add(f, n.listenerLabel)
	}
	for _, f := range []family{n.httpRqTotal, n.httpRqActive, n.httpCxTotal, n.httpCxActive, n.httpCxDestroy,
		n.httpRxBytes, n.httpTxBytes, n.httpProtocolError, n.httpTooLarge, n.httpHeaderTimeout, n.httpNoRoute} {
		add(f, n.httpLabel)
	}
	add(n.httpRqXX, n.httpLabel, n.classLabel)
	for _, f := range []family{n.clRqTotal, n.clRqCompleted, n.clRqActive, n.clRqTimeout, n.clRqPerTryTimeout,
		n.clRqPendingOverflow, n.clRqRxReset, n.clRqRetry, n.clRqRetrySuccess, n.clRqRetryOverflow,
		n.clCxTotal, n.clCxActive, n.clCxDestroy, n.clCxConnectFail, n.clCxNoneHealthy, n.clCxProtocolError,
		n.clRxBytes, n.clTxBytes, n.clMembershipTotal, n.clMembershipHealthy, n.clEjectionsActive,
		n.clHCAttempt, n.clHCSuccess, n.clHCFailure, n.clEjectionsTotal} {
		add(f, n.clusterLabel)
	}
	add(n.clRqXX, n.clusterLabel, n.classLabel)
	add(n.clRqCode, n.clusterLabel, n.codeLabel)
	for _, f := range []family{n.hRqTotal, n.hRqSuccess, n.hRqError, n.hRqTimeout, n.hRqActive, n.hCxActive, n.hHealthy} {
		add(f, n.clusterLabel, n.hostLabel)
	}
	add(n.accessLogDropped, "log_path")
	return d
}

// collector exports a Metrics. It describes nothing up front (an
// "unchecked" collector): its series come and go with listeners, clusters
// and hosts.
type collector struct{ m *Metrics }

func (collector) Describe(chan<- *prometheus.Desc) {}

// connCounter is implemented by connection pools that count the
// connections they opened and closed (read for upstream_cx_total and
// upstream_cx_destroy).
type connCounter interface {
	ConnCounts() (opened, closed uint64)
}

var classNames = [6]string{"", "1", "2", "3", "4", "5"}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	m := c.m
	n := m.n
	emit := func(f family, v float64, labels ...string) {
		t := prometheus.CounterValue
		if f.kind == gauge {
			t = prometheus.GaugeValue
		}
		ch <- prometheus.MustNewConstMetric(m.d[f.name], t, v, labels...)
	}
	for _, l := range m.listenerList() {
		src := l.conns.Load()
		if src == nil {
			continue
		}
		opened, closed := (*src)()
		lbl := l.label(n)
		emit(n.lnCxTotal, float64(opened), lbl)
		emit(n.lnCxActive, float64(opened-closed), lbl)
		emit(n.lnCxDestroy, float64(closed), lbl)
	}
	for _, h := range m.httpList() {
		p := h.prefix
		if src := h.reqs.Load(); src != nil {
			total, active := (*src)()
			emit(n.httpRqTotal, float64(total), p)
			emit(n.httpRqActive, float64(active), p)
		}
		if src := h.conns.Load(); src != nil {
			opened, closed := (*src)()
			emit(n.httpCxTotal, float64(opened), p)
			emit(n.httpCxActive, float64(opened-closed), p)
			emit(n.httpCxDestroy, float64(closed), p)
		}
		for i := 1; i <= 5; i++ {
			emit(n.httpRqXX, float64(h.xx[i].Load()), p, classNames[i])
		}
		ch <- h.rqTime
		emit(n.httpRxBytes, float64(h.rx.Load()), p)
		emit(n.httpTxBytes, float64(h.tx.Load()), p)
		emit(n.httpProtocolError, float64(h.protocolError.Load()), p)
		emit(n.httpTooLarge, float64(h.tooLarge.Load()), p)
		emit(n.httpHeaderTimeout, float64(h.headerTimeout.Load()), p)
		emit(n.httpNoRoute, float64(h.noRt.Load()), p)
	}
	for _, cl := range m.clusterList() {
		name := cl.name
		emit(n.clRqTotal, float64(cl.rqTotal.Load()), name)
		emit(n.clRqCompleted, float64(cl.rqCompleted.Load()), name)
		for i := 1; i <= 5; i++ {
			emit(n.clRqXX, float64(cl.xx[i].Load()), name, classNames[i])
		}
		for code := range cl.codes {
			if v := cl.codes[code].Load(); v > 0 {
				emit(n.clRqCode, float64(v), name, strconv.Itoa(code))
			}
		}
		ch <- cl.rqTime
		emit(n.clRqTimeout, float64(cl.timeout.Load()), name)
		emit(n.clRqPerTryTimeout, float64(cl.perTryTimeout.Load()), name)
		emit(n.clRqPendingOverflow, float64(cl.pendingOverflow.Load()), name)
		emit(n.clRqRxReset, float64(cl.rxReset.Load()), name)
		emit(n.clRqRetry, float64(cl.retry.Load()), name)
		emit(n.clRqRetrySuccess, float64(cl.retrySuccess.Load()), name)
		emit(n.clRqRetryOverflow, float64(cl.retryOverflow.Load()), name)
		emit(n.clCxConnectFail, float64(cl.connectFail.Load()), name)
		emit(n.clCxNoneHealthy, float64(cl.noneHealthy.Load()), name)
		emit(n.clCxProtocolError, float64(cl.protocolError.Load()), name)
		emit(n.clRxBytes, float64(cl.rx.Load()), name)
		emit(n.clTxBytes, float64(cl.tx.Load()), name)
		var live map[string]*upstream.Host
		if m.ups != nil {
			if uc := m.ups.Get(name); uc != nil {
				live = c.clusterState(uc, emit, name)
			}
		}
		for _, hm := range cl.hostList() {
			a := hm.addr
			emit(n.hRqTotal, float64(hm.rqTotal.Load()), name, a)
			emit(n.hRqSuccess, float64(hm.rqSuccess.Load()), name, a)
			emit(n.hRqError, float64(hm.rqError.Load()), name, a)
			emit(n.hRqTimeout, float64(hm.rqTimeout.Load()), name, a)
			ch <- hm.rqTime
		}
		for a, uh := range live {
			emit(n.hRqActive, float64(uh.ActiveRequests()), name, a)
			emit(n.hCxActive, float64(uh.OpenConnections()), name, a)
			healthy := 0.0
			if uh.Healthy() {
				healthy = 1
			}
			emit(n.hHealthy, healthy, name, a)
		}
		if cl.istio != nil {
			cl.istio.collect(ch)
		}
	}
	if m.noCluster != nil {
		m.noCluster.collect(ch)
	}
	paths, fs := m.logList()
	for i, p := range paths {
		emit(n.accessLogDropped, float64(fs[i]()), p)
	}
}

// clusterState emits the gauges read from the live cluster and returns
// its hosts by address.
func (c collector) clusterState(uc *upstream.Cluster, emit func(family, float64, ...string), name string) map[string]*upstream.Host {
	n := c.m.n
	hosts := uc.Hosts()
	live := make(map[string]*upstream.Host, len(hosts))
	var healthy, ejected, cxActive, rqActive int64
	var opened, closed uint64
	counted := false
	for _, h := range hosts {
		live[h.Address()] = h
		if h.Healthy() {
			healthy++
		}
		if h.Ejected() {
			ejected++
		}
		cxActive += h.OpenConnections()
		rqActive += h.ActiveRequests()
		if cc, ok := any(h.Pool()).(connCounter); ok {
			o, cl := cc.ConnCounts()
			opened, closed, counted = opened+o, closed+cl, true
		}
	}
	emit(n.clMembershipTotal, float64(len(hosts)), name)
	emit(n.clMembershipHealthy, float64(healthy), name)
	emit(n.clEjectionsActive, float64(ejected), name)
	rs := uc.Stats()
	emit(n.clHCAttempt, float64(rs.HealthCheckAttempts.Load()), name)
	emit(n.clHCSuccess, float64(rs.HealthCheckSuccesses.Load()), name)
	emit(n.clHCFailure, float64(rs.HealthCheckFailures.Load()), name)
	emit(n.clEjectionsTotal, float64(rs.Ejections.Load()), name)
	emit(n.clCxActive, float64(cxActive), name)
	emit(n.clRqActive, float64(rqActive), name)
	if counted {
		emit(n.clCxTotal, float64(opened), name)
		emit(n.clCxDestroy, float64(closed), name)
	}
	return live
}
