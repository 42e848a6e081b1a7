package upstream

import (
	"math/rand/v2"
	"sync"
	"time"
)

// OutlierOptions configure outlier detection, Envoy's passive health
// checking by consecutive errors (outlier_detection). Fields are taken
// literally; DefaultOutlierOptions returns Envoy's defaults.
type OutlierOptions struct {
	// Consecutive5xx is the number of 5xx responses (or failed exchanges)
	// in a row that make a host an outlier; zero disables the check.
	Consecutive5xx uint32
	// ConsecutiveGatewayFailure is the number of 502/503/504 responses (or
	// failed exchanges) in a row that make a host an outlier; zero
	// disables the check.
	ConsecutiveGatewayFailure uint32
	// EnforcingConsecutive5xx and EnforcingConsecutiveGatewayFailure are
	// the chances, in percent, that such an outlier is actually ejected.
	EnforcingConsecutive5xx            uint32
	EnforcingConsecutiveGatewayFailure uint32
	// Interval is the time between sweeps that return ejected hosts.
	Interval time.Duration
	// BaseEjectionTime is how long a first ejection lasts; the n-th in a
	// row lasts n times as long, capped by MaxEjectionTime.
	BaseEjectionTime time.Duration
	// MaxEjectionTime caps an ejection (Envoy: at least BaseEjectionTime).
	MaxEjectionTime time.Duration
	// MaxEjectionPercent is the largest share of the cluster's hosts that
	// may be ejected at once, in percent; one host may always be ejected.
	MaxEjectionPercent uint32
}

// DefaultOutlierOptions returns Envoy's defaults: 5 consecutive 5xx
// (enforced 100%), 5 consecutive gateway failures (enforced 0%), a 10s
// interval, 30s base ejection time, 300s maximum, 10% of hosts.
func DefaultOutlierOptions() OutlierOptions {
	return OutlierOptions{
		Consecutive5xx:                     5,
		ConsecutiveGatewayFailure:          5,
		EnforcingConsecutive5xx:            100,
		EnforcingConsecutiveGatewayFailure: 0,
		Interval:                           10 * time.Second,
		BaseEjectionTime:                   30 * time.Second,
		MaxEjectionTime:                    300 * time.Second,
		MaxEjectionPercent:                 10,
	}
}

// outlierDetector ejects hosts inline, as the results that make them
// outliers arrive, and returns them on periodic sweeps.
type outlierDetector struct {
	c *Cluster
	o OutlierOptions
	// mu serialises ejection decisions (the max_ejection_percent check)
	// and sweeps.
	mu sync.Mutex
}

func newOutlierDetector(c *Cluster, o OutlierOptions) *outlierDetector {
	if o.Interval <= 0 {
		o.Interval = 10 * time.Second
	}
	if o.BaseEjectionTime <= 0 {
		o.BaseEjectionTime = 30 * time.Second
	}
	if o.MaxEjectionTime <= 0 {
		o.MaxEjectionTime = 300 * time.Second
	}
	o.MaxEjectionTime = max(o.MaxEjectionTime, o.BaseEjectionTime)
	return &outlierDetector{c: c, o: o}
}

func (d *outlierDetector) start() {
	d.c.after(d.o.Interval, d.sweep)
}

// record counts one result; it is on the request path and allocates
// nothing.
func (d *outlierDetector) record(h *Host, status int, err error) {
	st := h.st
	gateway := err != nil || status == 502 || status == 503 || status == 504
	if !gateway && status < 500 {
		if st.consecutive5xx.Load() != 0 {
			st.consecutive5xx.Store(0)
		}
		if st.consecutiveGateway.Load() != 0 {
			st.consecutiveGateway.Store(0)
		}
		return
	}
	if gateway {
		if n := st.consecutiveGateway.Add(1); n == d.o.ConsecutiveGatewayFailure {
			if d.eject(h, d.o.EnforcingConsecutiveGatewayFailure) {
				return
			}
		}
	} else if st.consecutiveGateway.Load() != 0 {
		st.consecutiveGateway.Store(0)
	}
	if n := st.consecutive5xx.Add(1); n == d.o.Consecutive5xx {
		d.eject(h, d.o.EnforcingConsecutive5xx)
	}
}

// eject ejects h with the given chance unless that would exceed
// max_ejection_percent; it reports whether h was ejected.
func (d *outlierDetector) eject(h *Host, enforcing uint32) bool {
	if enforcing == 0 || enforcing < 100 && rand.Uint32N(100) >= enforcing {
		return false
	}
	st := h.st
	d.mu.Lock()
	if st.flags.Load()&flagEjected != 0 {
		d.mu.Unlock()
		return false
	}
	hosts := d.c.snap.Load().hosts
	ejected := 0
	for _, o := range hosts {
		if o.st.flags.Load()&flagEjected != 0 {
			ejected++
		}
	}
	// Envoy: the share may not pass max_ejection_percent, but one host can
	// always be ejected.
	if ejected > 0 && uint64(ejected+1)*100 > uint64(d.o.MaxEjectionPercent)*uint64(len(hosts)) {
		d.mu.Unlock()
		return false
	}
	st.ejections.Add(1)
	d.c.stats.Ejections.Add(1)
	st.ejectedAt.Store(d.c.clock.Now().UnixNano())
	st.consecutive5xx.Store(0)
	st.consecutiveGateway.Store(0)
	st.setFlag(flagEjected, true)
	d.mu.Unlock()
	d.c.log.Warn("upstream: outlier detection ejected a host", "cluster", d.c.name, "host", h.address,
		"ejections", st.ejections.Load())
	d.c.healthChanged()
	return true
}

// ejectionTime is how long the current ejection of st lasts.
func (d *outlierDetector) ejectionTime(st *hostState) time.Duration {
	n := time.Duration(max(st.ejections.Load(), 1))
	if n > d.o.MaxEjectionTime/d.o.BaseEjectionTime {
		return d.o.MaxEjectionTime
	}
	return min(d.o.BaseEjectionTime*n, d.o.MaxEjectionTime)
}

// sweep returns the hosts whose ejection is over and, for hosts that
// stayed in, lowers the ejection count that multiplies the next ejection.
func (d *outlierDetector) sweep() {
	now := d.c.clock.Now().UnixNano()
	changed := false
	d.mu.Lock()
	for _, h := range d.c.snap.Load().hosts {
		st := h.st
		if st.flags.Load()&flagEjected != 0 {
			if now >= st.ejectedAt.Load()+int64(d.ejectionTime(st)) {
				st.consecutive5xx.Store(0)
				st.consecutiveGateway.Store(0)
				st.setFlag(flagEjected, false)
				changed = true
			}
		} else if n := st.ejections.Load(); n > 0 {
			st.ejections.CompareAndSwap(n, n-1)
		}
	}
	d.mu.Unlock()
	if changed {
		d.c.healthChanged()
	}
	d.c.after(d.o.Interval, d.sweep)
}

// forgive returns an ejected host that passed an active health check.
func (d *outlierDetector) forgive(st *hostState) {
	d.mu.Lock()
	st.consecutive5xx.Store(0)
	st.consecutiveGateway.Store(0)
	st.setFlag(flagEjected, false)
	d.mu.Unlock()
}
