package report

import (
	"fmt"
	"math"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// A TrendSeries is one benchmark × configuration × metric of a trend (the
// gate follows them across stored runs) as its plot shows it: one point
// per run of the history, in order.
type TrendSeries struct {
	Benchmark, Unit, Config string
	Points                  []TrendPoint
}

// A TrendPoint is a series in one run: its median with the confidence
// band, or no data — a gap once the series has begun.
type TrendPoint struct {
	Center, Lo, Hi float64
	Data           bool // the run has data for the series
	Gap            bool
	Change         bool // a change point: the gate's rule fired against the previous point
}

// TrendPlots draws each series of a trend whose runs started at the given
// times: the median of every run with its confidence band as error bars,
// the line broken where the series has a gap, and change points ringed. The
// x axis is the run's position in the history, labelled with its start
// date.
func TrendPlots(started []time.Time, series []TrendSeries, png bool) ([]*Plot, error) {
	var out []*Plot
	used := map[string]bool{}
	for i, s := range series {
		p, err := trendPlot(started, s)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", s.Benchmark, s.Unit, err)
		}
		name := plotName(used, "trend", fmt.Sprintf("%03d", i+1), s.Benchmark, s.Unit)
		title := s.Benchmark + " " + s.Unit
		caption := s.Config
		r, err := render(p, name, title, caption, 7*vg.Inch, 3*vg.Inch, png)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func trendPlot(started []time.Time, s TrendSeries) (*plot.Plot, error) {
	p := newPlot(s.Benchmark + " — " + s.Unit)
	p.Legend.Top, p.Legend.Left = true, false
	maxV := 0.0
	for _, pt := range s.Points {
		if pt.Data {
			maxV = math.Max(maxV, math.Abs(pt.Hi))
			maxV = math.Max(maxV, math.Abs(pt.Center))
		}
	}
	factor, label := scaleFor(s.Unit, maxV)
	p.Y.Label.Text = label
	p.X.Label.Text = "run"
	var ticks []plot.Tick
	for i, t := range started {
		l := ""
		if len(started) <= 12 || i%int(math.Ceil(float64(len(started))/12)) == 0 {
			l = t.UTC().Format("01-02 15:04")
		}
		ticks = append(ticks, plot.Tick{Value: float64(i + 1), Label: l})
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	p.X.Min, p.X.Max = 0.5, float64(len(started))+0.5

	color := seriesColor(0)
	var segment plotter.XYs
	var all, changes plotter.XYs
	var bars plotter.XYs
	var errs plotter.YErrors
	flush := func() error {
		if len(segment) > 1 {
			l, err := plotter.NewLine(segment)
			if err != nil {
				return err
			}
			l.Color, l.Width = color, vg.Points(1.4)
			p.Add(l)
		}
		segment = nil
		return nil
	}
	gaps := 0
	for i, pt := range s.Points {
		x := float64(i + 1)
		if !pt.Data {
			if err := flush(); err != nil {
				return nil, err
			}
			if pt.Gap {
				gaps++
			}
			continue
		}
		y := pt.Center * factor
		segment = append(segment, plotter.XY{X: x, Y: y})
		all = append(all, plotter.XY{X: x, Y: y})
		if lo, hi := pt.Lo*factor, pt.Hi*factor; !math.IsInf(lo, 0) && !math.IsInf(hi, 0) && hi >= lo {
			bars = append(bars, plotter.XY{X: x, Y: y})
			errs = append(errs, struct{ Low, High float64 }{y - lo, hi - y})
		}
		if pt.Change {
			changes = append(changes, plotter.XY{X: x, Y: y})
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	if len(all) > 0 {
		sc, err := plotter.NewScatter(all)
		if err != nil {
			return nil, err
		}
		sc.Color, sc.Radius = color, vg.Points(2)
		p.Add(sc)
		p.Legend.Add("median", sc)
	}
	if len(bars) > 0 {
		eb, err := plotter.NewYErrorBars(errBars{bars, errs})
		if err != nil {
			return nil, err
		}
		eb.Color = color
		p.Add(eb)
		p.Title.Text += " (median, 95% confidence band)"
	}
	if len(changes) > 0 {
		sc, err := plotter.NewScatter(changes)
		if err != nil {
			return nil, err
		}
		sc.Shape = draw.RingGlyph{}
		sc.Color, sc.Radius = okabeIto[5%len(okabeIto)], vg.Points(6)
		p.Add(sc)
		p.Legend.Add(fmt.Sprintf("change point (%d)", len(changes)), sc)
	}
	if gaps > 0 {
		p.Legend.Add(fmt.Sprintf("gaps: %d runs without data", gaps))
	}
	return p, nil
}
