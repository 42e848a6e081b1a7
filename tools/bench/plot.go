package main

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/seed405ffdea/mosn/tools/internal/loadgen"
)

// plotPrefix starts the name of every PNG the harness writes, so that a
// run can remove the previous run's plots without touching other images.
const plotPrefix = "bench-"

// targetColors keeps a target's colour the same in every plot.
var targetColors = map[string]color.Color{
	"mosn":    color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
	"nginx":   color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff},
	"haproxy": color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff},
}

func colorOf(name string, i int) color.Color {
	if c, ok := targetColors[name]; ok {
		return c
	}
	return plotutil.Color(i + 3)
}

// writePlots writes one PNG per scenario (throughput and CPU per unit,
// medians as bars and each round as a dot) and the latency CDF of the
// fixed-rate scenario into dir, after removing the previous run's
// bench-*.png files there. It returns the file names by scenario ID, and
// "rate-cdf" for the CDF.
func writePlots(dir string, outcomes []Outcome) (map[string]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	old, _ := filepath.Glob(filepath.Join(dir, plotPrefix+"*.png"))
	for _, f := range old {
		os.Remove(f)
	}
	out := map[string]string{}
	for _, oc := range outcomes {
		if oc.Scenario.Memory {
			continue
		}
		name := plotPrefix + oc.Scenario.ID + ".png"
		ok, err := scenarioPlot(filepath.Join(dir, name), oc)
		if err != nil {
			return out, fmt.Errorf("plot %s: %w", oc.Scenario.ID, err)
		}
		if ok {
			out[oc.Scenario.ID] = name
		}
		if oc.Scenario.ID == "rate" {
			name := plotPrefix + "rate-cdf.png"
			ok, err := cdfPlot(filepath.Join(dir, name), oc)
			if err != nil {
				return out, fmt.Errorf("plot rate CDF: %w", err)
			}
			if ok {
				out["rate-cdf"] = name
			}
		}
	}
	return out, nil
}

// barWidth is the width of one bar.
const barWidth = vg.Length(36)

// barSeries is one panel's data: per target, the median and every round,
// and the targets without figures.
type barSeries struct {
	names   []string
	medians []float64
	rounds  [][]float64
	missing []string
}

// series collects f over the successful runs of every target with figures.
func series(oc Outcome, f func(Measure) float64) barSeries {
	var s barSeries
	for _, to := range oc.Targets {
		var vs []float64
		for _, m := range to.Runs {
			if m.OK() {
				vs = append(vs, f(m))
			}
		}
		if len(vs) == 0 {
			s.missing = append(s.missing, to.Target)
			continue
		}
		s.names = append(s.names, to.Target)
		s.medians = append(s.medians, loadgen.Median(vs))
		s.rounds = append(s.rounds, vs)
	}
	return s
}

// barPlot draws one panel: a bar per target with its median written above
// it, and a dot per round.
func barPlot(title, ylabel string, s barSeries, format func(float64) string) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = ylabel
	p.Y.Min = 0
	top := 0.0
	var labels plotter.XYLabels
	for i, name := range s.names {
		bar, err := plotter.NewBarChart(plotter.Values{s.medians[i]}, barWidth)
		if err != nil {
			return nil, err
		}
		bar.XMin = float64(i)
		bar.Color = colorOf(name, i)
		bar.LineStyle.Width = 0
		p.Add(bar)
		var pts plotter.XYs
		for _, v := range s.rounds[i] {
			pts = append(pts, plotter.XY{X: float64(i), Y: v})
			top = math.Max(top, v)
		}
		dots, err := plotter.NewScatter(pts)
		if err != nil {
			return nil, err
		}
		dots.GlyphStyle.Radius = vg.Points(2)
		dots.GlyphStyle.Color = color.Black
		p.Add(dots)
		labels.XYs = append(labels.XYs, plotter.XY{X: float64(i), Y: s.medians[i]})
		labels.Labels = append(labels.Labels, format(s.medians[i]))
		top = math.Max(top, s.medians[i])
	}
	lab, err := plotter.NewLabels(labels)
	if err != nil {
		return nil, err
	}
	// Right of the bar's top, clear of the dots at the bar's centre.
	for i := range lab.TextStyle {
		lab.TextStyle[i].XAlign = 0
		lab.TextStyle[i].YAlign = -0.5
	}
	lab.Offset = vg.Point{X: barWidth/2 + vg.Points(3)}
	p.Add(lab)
	p.Y.Max = top * 1.2
	p.NominalX(s.names...)
	if len(s.missing) > 0 {
		p.X.Label.Text = "no figures: " + strings.Join(s.missing, ", ")
	}
	p.X.Min, p.X.Max = -0.6, float64(len(s.names))-0.4
	return p, nil
}

// scenarioPlot writes the two-panel figure of one scenario; false when no
// target has figures.
func scenarioPlot(path string, oc Outcome) (bool, error) {
	sc := oc.Scenario
	rates := series(oc, func(m Measure) float64 { return m.Rate(sc) })
	if len(rates.names) == 0 {
		return false, nil
	}
	cpu := series(oc, func(m Measure) float64 { return m.CPUPerUnit(sc) })
	left, err := barPlot(sc.ID+": throughput", sc.RateUnit, rates, func(v float64) string { return formatRate(v, sc) })
	if err != nil {
		return false, err
	}
	right, err := barPlot(sc.ID+": proxy CPU per "+sc.Unit, "CPU µs / "+sc.Unit, cpu, func(v float64) string { return fmt.Sprintf("%.2f", v) })
	if err != nil {
		return false, err
	}
	w, h := vg.Inch*9, vg.Inch*3.2
	img := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(96))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Millimeter * 8, PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	plots := [][]*plot.Plot{{left, right}}
	canvases := plot.Align(plots, tiles, dc)
	left.Draw(canvases[0][0])
	right.Draw(canvases[0][1])
	return true, savePNG(path, img)
}

// cdfPlot writes the latency distribution of the fixed-rate scenario, one
// line per target from the round with the median p99, on a "nines" axis.
func cdfPlot(path string, oc Outcome) (bool, error) {
	p := plot.New()
	p.Title.Text = "Latency at a fixed rate (from scheduled send time)"
	p.X.Label.Text = "percentile"
	p.Y.Label.Text = "latency ms"
	p.X.Scale = plot.LogScale{}
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.TickerFunc(oneTwoFive)
	p.X.Tick.Marker = plot.TickerFunc(ninesTicks)
	p.Legend.Top = true
	p.Legend.Left = true
	n, maxX := 0, 1.0
	for i, to := range oc.Targets {
		m, ok := medianP99Run(to)
		if !ok || len(m.Result.CDF) == 0 {
			continue
		}
		var pts plotter.XYs
		for _, c := range m.Result.CDF {
			if c.Q >= 1 || c.Micros <= 0 {
				continue
			}
			pts = append(pts, plotter.XY{X: 1 / (1 - c.Q), Y: c.Micros / 1000})
			maxX = math.Max(maxX, 1/(1-c.Q))
		}
		if len(pts) == 0 {
			continue
		}
		line, err := plotter.NewLine(pts)
		if err != nil {
			return false, err
		}
		line.Color = colorOf(to.Target, i)
		line.Width = vg.Points(1.5)
		p.Add(line)
		p.Legend.Add(to.Target, line)
		n++
	}
	if n == 0 {
		return false, nil
	}
	// Room for the last tick label.
	p.X.Min, p.X.Max = 1, maxX*1.5
	p.Add(plotter.NewGrid())
	w, h := vg.Inch*7, vg.Inch*4
	img := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(96))
	p.Draw(draw.New(img))
	return true, savePNG(path, img)
}

// ninesTicks labels a 1/(1-q) axis with percentiles: 1 is 0%, 2 is 50%,
// 10 is 90%, 100 is 99% and so on.
func ninesTicks(min, max float64) []plot.Tick {
	ticks := []plot.Tick{{Value: 1, Label: "0%"}, {Value: 2, Label: "50%"}}
	nines := "9"
	for v := 10.0; v <= max; v *= 10 {
		var pct string
		switch len(nines) {
		case 1:
			pct = "90"
		case 2:
			pct = "99"
		default:
			pct = "99." + nines[2:]
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: pct + "%"})
		nines += "9"
	}
	return ticks
}

// oneTwoFive labels a logarithmic axis at 1, 2 and 5 times powers of ten.
func oneTwoFive(min, max float64) []plot.Tick {
	if min <= 0 || max <= min {
		return nil
	}
	var ticks []plot.Tick
	for e := math.Floor(math.Log10(min)); math.Pow(10, e) <= max; e++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, e)
			if v >= min && v <= max {
				ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'g', -1, 64)})
			}
		}
	}
	return ticks
}

// medianP99Run returns the successful run whose p99 is the median one.
func medianP99Run(to TargetOutcome) (Measure, bool) {
	var ok []Measure
	for _, m := range to.Runs {
		if m.OK() {
			ok = append(ok, m)
		}
	}
	if len(ok) == 0 {
		return Measure{}, false
	}
	// Few rounds: a selection by counting is clearer than sorting copies.
	for _, m := range ok {
		below, above := 0, 0
		for _, o := range ok {
			switch {
			case o.Result.P99 < m.Result.P99:
				below++
			case o.Result.P99 > m.Result.P99:
				above++
			}
		}
		if below <= len(ok)/2 && above <= len(ok)/2 {
			return m, true
		}
	}
	return ok[0], true
}

func savePNG(path string, img *vgimg.Canvas) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// relPath returns target relative to the directory of from, with slashes.
func relPath(from, target string) string {
	r, err := filepath.Rel(filepath.Dir(from), target)
	if err != nil {
		return target
	}
	return strings.ReplaceAll(r, string(filepath.Separator), "/")
}
