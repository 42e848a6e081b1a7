package loadgen

import (
	"math"
	"slices"
)

// Percentile returns the q-quantile (0 ≤ q ≤ 1) of sorted, an ascending
// slice, by the nearest-rank method: the smallest value such that at least
// q of the samples are less than or equal to it. q ≤ 0 gives the minimum,
// q ≥ 1 the maximum, an empty slice 0.
func Percentile(sorted []float64, q float64) float64 {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	if q <= 0 {
		return sorted[0]
	}
	if q >= 1 {
		return sorted[n-1]
	}
	rank := int(math.Ceil(q * float64(n)))
	if rank < 1 {
		rank = 1
	}
	return sorted[rank-1]
}

// Median returns the median of xs (the mean of the two middle values for
// an even count), without reordering xs; 0 for an empty slice.
func Median(xs []float64) float64 {
	n := len(xs)
	if n == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// CDFPoint is one point of a latency distribution: the fraction Q of
// requests completed within Micros microseconds.
type CDFPoint struct {
	Q      float64 `json:"q"`
	Micros float64 `json:"us"`
}

// cdfQuantiles are the quantiles a CDF is sampled at: evenly spaced on the
// "nines" scale (1/(1-q) logarithmic), ten per decade up to 99.99%.
var cdfQuantiles = func() []float64 {
	var qs []float64
	for k := 0; k <= 40; k++ {
		qs = append(qs, 1-math.Pow(10, -float64(k)/10))
	}
	return qs
}()

// cdf samples the distribution of sorted (ascending, µs) at cdfQuantiles
// that the sample count resolves, and ends with the maximum at
// q = 1 - 1/n. Nil for no samples.
func cdf(sorted []float64) []CDFPoint {
	n := len(sorted)
	if n == 0 {
		return nil
	}
	maxQ := 1 - 1/float64(n)
	var pts []CDFPoint
	for _, q := range cdfQuantiles {
		if q >= maxQ && n > 1 {
			break
		}
		pts = append(pts, CDFPoint{Q: q, Micros: Percentile(sorted, q)})
	}
	return append(pts, CDFPoint{Q: maxQ, Micros: sorted[n-1]})
}

// Summarize sorts lat (µs) in place and fills r's percentiles and CDF.
func (r *Result) Summarize(lat []float64, withCDF bool) {
	slices.Sort(lat)
	r.P50 = Percentile(lat, 0.50)
	r.P90 = Percentile(lat, 0.90)
	r.P99 = Percentile(lat, 0.99)
	r.Max = Percentile(lat, 1)
	if withCDF {
		r.CDF = cdf(lat)
	}
}
