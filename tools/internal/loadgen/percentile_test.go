package loadgen

import (
	"math"
	"testing"
)

func TestPercentile(t *testing.T) {
	ten := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	tests := []struct {
		name   string
		sorted []float64
		q      float64
		want   float64
	}{
		{"empty", nil, 0.5, 0},
		{"single", []float64{7}, 0.99, 7},
		{"min", ten, 0, 1},
		{"below zero", ten, -1, 1},
		{"max", ten, 1, 10},
		{"p50 nearest rank", ten, 0.5, 5},
		{"p90", ten, 0.9, 9},
		{"p99 rounds up", ten, 0.99, 10},
		{"p11 rounds up", ten, 0.11, 2},
		{"p10 exact", ten, 0.1, 1},
		{"two", []float64{1, 100}, 0.5, 1},
		{"two p51", []float64{1, 100}, 0.51, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Percentile(tt.sorted, tt.q); got != tt.want {
				t.Errorf("Percentile(%v, %v) = %v, want %v", tt.sorted, tt.q, got, tt.want)
			}
		})
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		in   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{3}, 3},
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{10, 10, 1}, 10},
	}
	for _, tt := range tests {
		in := append([]float64(nil), tt.in...)
		if got := Median(in); got != tt.want {
			t.Errorf("Median(%v) = %v, want %v", tt.in, got, tt.want)
		}
		for i := range in {
			if in[i] != tt.in[i] {
				t.Errorf("Median reordered its input: %v", in)
			}
		}
	}
}

func TestCDF(t *testing.T) {
	if got := cdf(nil); got != nil {
		t.Errorf("cdf(nil) = %v", got)
	}
	var lat []float64
	for i := 1; i <= 1000; i++ {
		lat = append(lat, float64(i))
	}
	pts := cdf(lat)
	last := pts[len(pts)-1]
	if last.Micros != 1000 || math.Abs(last.Q-0.999) > 1e-9 {
		t.Errorf("last point = %+v, want the maximum at q=0.999", last)
	}
	if pts[0].Q != 0 || pts[0].Micros != 1 {
		t.Errorf("first point = %+v, want the minimum at q=0", pts[0])
	}
	for i := 1; i < len(pts); i++ {
		if pts[i].Q <= pts[i-1].Q || pts[i].Micros < pts[i-1].Micros {
			t.Fatalf("points not increasing at %d: %+v then %+v", i, pts[i-1], pts[i])
		}
	}
	// 1000 samples resolve quantiles up to 99.9%: 10 per decade of nines
	// for three decades, then the maximum.
	if len(pts) != 31 {
		t.Errorf("len = %d, want 31", len(pts))
	}
}

func TestSummarize(t *testing.T) {
	var r Result
	r.Summarize([]float64{5, 1, 4, 2, 3}, true)
	if r.P50 != 3 || r.P90 != 5 || r.P99 != 5 || r.Max != 5 {
		t.Errorf("summarize = %+v", r)
	}
	if len(r.CDF) == 0 {
		t.Error("no CDF")
	}
}
