package report

import (
	"bytes"
	"fmt"
	"image/color"
	imgpng "image/png"
	"math"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/perfharness/harness/harness/compare"
)

// okabeIto is the Okabe–Ito palette, distinguishable with the common forms
// of colour blindness. Past eight series the colours repeat with other
// dash patterns.
var okabeIto = []color.RGBA{
	{0x00, 0x72, 0xB2, 0xff}, // blue
	{0xE6, 0x9F, 0x00, 0xff}, // orange
	{0x00, 0x9E, 0x73, 0xff}, // bluish green
	{0xCC, 0x79, 0xA7, 0xff}, // reddish purple
	{0x56, 0xB4, 0xE9, 0xff}, // sky blue
	{0xD5, 0x5E, 0x00, 0xff}, // vermillion
	{0x00, 0x00, 0x00, 0xff}, // black
	{0xF0, 0xE4, 0x42, 0xff}, // yellow
}

var dashes = [][]vg.Length{nil, {vg.Points(6), vg.Points(3)}, {vg.Points(2), vg.Points(2)}, {vg.Points(8), vg.Points(2), vg.Points(2), vg.Points(2)}}

func seriesColor(i int) color.Color { return okabeIto[i%len(okabeIto)] }

func seriesDash(i int) []vg.Length { return dashes[(i/len(okabeIto))%len(dashes)] }

// A Plot is a rendered figure: SVG for the HTML page, PNG for everything
// else.
type Plot struct {
	Name    string // file name without extension, unique in the report
	Title   string
	Caption string
	SVG     []byte
	PNG     []byte
}

// render draws p as SVG and PNG.
func render(p *plot.Plot, name, title, caption string, w, h vg.Length, png bool) (*Plot, error) {
	out := &Plot{Name: name, Title: title, Caption: caption}
	wt, err := p.WriterTo(w, h, "svg")
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if _, err := wt.WriteTo(&b); err != nil {
		return nil, err
	}
	out.SVG = svgFontFallback(b.Bytes())
	if png {
		// Draw and encode here rather than through p.WriterTo: the
		// default compression level costs more than the drawing.
		c := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(96))
		p.Draw(draw.New(c))
		var b bytes.Buffer
		enc := imgpng.Encoder{CompressionLevel: imgpng.BestSpeed}
		if err := enc.Encode(&b, c.Image()); err != nil {
			return nil, err
		}
		out.PNG = b.Bytes()
	}
	return out, nil
}

// svgFontFallback names, after the Liberation face gonum measured every
// label with, the faces made to the same metrics (Times New Roman on
// Windows and macOS, Tinos on ChromeOS): where Liberation is not installed,
// a browser would otherwise draw the text in its default serif face, wider
// than the space gonum left for it, so legend text ran into its swatches.
func svgFontFallback(svg []byte) []byte {
	return bytes.ReplaceAll(svg, []byte("font-family:Liberation Serif;"),
		[]byte("font-family:'Liberation Serif','Times New Roman',Tinos,serif;"))
}

func newPlot(title string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.Legend.Top = true
	p.Legend.Left = true
	p.Legend.TextStyle.Font.Size = vg.Points(9)
	p.Add(plotter.NewGrid())
	return p
}

// durationTicks labels a log axis whose values are seconds at powers of
// ten: 1µs, 10µs, 100µs, 1ms, ...
type durationTicks struct{}

func (durationTicks) Ticks(min, max float64) []plot.Tick {
	var ticks []plot.Tick
	if min <= 0 {
		min = 1e-9
	}
	// Label 2× and 5× too when the axis spans few decades, so that it
	// always has a few labels.
	dense := math.Log10(max/min) < 2.5
	for e := math.Floor(math.Log10(min)); e <= math.Ceil(math.Log10(max)); e++ {
		v := math.Pow(10, e)
		for k := 1.0; k < 10; k++ {
			t := plot.Tick{Value: k * v}
			if k == 1 || dense && (k == 2 || k == 5) {
				t.Label = formatSeconds(k * v)
			}
			if t.Value >= min*0.999 && t.Value <= max*1.001 {
				ticks = append(ticks, t)
			}
		}
	}
	return ticks
}

func formatSeconds(v float64) string {
	return time.Duration(math.Round(v * 1e9)).String()
}

// percentileTicks labels the 1/(1-q) axis of a percentile spectrum.
type percentileTicks struct{}

func (percentileTicks) Ticks(min, max float64) []plot.Tick {
	labels := []string{"0%", "90%", "99%", "99.9%", "99.99%", "99.999%", "99.9999%", "99.99999%"}
	var ticks []plot.Tick
	for i, l := range labels {
		v := math.Pow(10, float64(i))
		if v > max*1.0001 {
			break
		}
		if i == 0 {
			ticks = append(ticks, plot.Tick{Value: 1, Label: "0%"}, plot.Tick{Value: 2, Label: "50%"})
			continue
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: l})
	}
	return ticks
}

// A spectrumSeries is the spectrum of one cell.
type spectrumSeries struct {
	label            string
	intended, actual []SpectrumPoint
}

func spectrumXY(pts []SpectrumPoint) plotter.XYs {
	xy := make(plotter.XYs, 0, len(pts))
	for _, p := range pts {
		y := p.Latency.Seconds()
		if y <= 0 {
			y = 1e-9
		}
		xy = append(xy, plotter.XY{X: 1 / (1 - p.Q), Y: y})
	}
	return xy
}

// spectrumPlot draws latency percentile spectra HdrHistogram style: the
// x axis is 1/(1-p) on a log scale, so the tail gets the room; solid lines
// are latency from the intended start, dashed ones from the actual start
// (what a closed-loop tool would have reported).
func spectrumPlot(title string, series []spectrumSeries) (*plot.Plot, error) {
	p := newPlot(title)
	p.X.Label.Text = "percentile"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = percentileTicks{}
	p.Y.Label.Text = "latency"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = durationTicks{}
	maxX := 2.0
	for i, s := range series {
		for _, kind := range []struct {
			pts    []SpectrumPoint
			suffix string
			dash   []vg.Length
			width  vg.Length
		}{
			{s.intended, "intended start", seriesDash(i), vg.Points(1.8)},
			{s.actual, "actual start", []vg.Length{vg.Points(1.5), vg.Points(2.5)}, vg.Points(1.1)},
		} {
			if len(kind.pts) == 0 {
				continue
			}
			l, err := plotter.NewLine(spectrumXY(kind.pts))
			if err != nil {
				return nil, err
			}
			l.Color = seriesColor(i)
			l.Dashes = kind.dash
			l.Width = kind.width
			p.Add(l)
			p.Legend.Add(s.label+" ("+kind.suffix+")", l)
			maxX = math.Max(maxX, 1/(1-kind.pts[len(kind.pts)-1].Q))
		}
	}
	p.X.Min, p.X.Max = 1, math.Max(10, maxX)
	ymin, ymax := math.Inf(1), math.Inf(-1)
	for _, s := range series {
		for _, pts := range [][]SpectrumPoint{s.intended, s.actual} {
			for _, xy := range spectrumXY(pts) {
				ymin, ymax = math.Min(ymin, xy.Y), math.Max(ymax, xy.Y)
			}
		}
	}
	logHeadroom(p, ymin, ymax, len(series)*2)
	return p, nil
}

// A timelineSeries is the per-interval latency of one cell.
type timelineSeries struct {
	label    string
	at       []float64 // seconds from the window's start, interval midpoints
	p50, p99 []float64 // seconds
	gcs      int64
	gcPerSec []float64 // GC cycles in each second of the window (median of runs)
}

// timelinePlot draws P99 (solid) and P50 (dotted) latency per interval.
func timelinePlot(title string, series []timelineSeries) (*plot.Plot, error) {
	p := newPlot(title)
	p.X.Label.Text = "time in the measured window (s)"
	p.Y.Label.Text = "latency from intended start"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = durationTicks{}
	for i, s := range series {
		for _, k := range []struct {
			ys   []float64
			name string
			dash []vg.Length
		}{{s.p99, "P99", seriesDash(i)}, {s.p50, "P50", []vg.Length{vg.Points(1), vg.Points(2)}}} {
			xy := make(plotter.XYs, len(s.at))
			for j := range s.at {
				xy[j] = plotter.XY{X: s.at[j], Y: math.Max(k.ys[j], 1e-9)}
			}
			l, sc, err := plotter.NewLinePoints(xy)
			if err != nil {
				return nil, err
			}
			l.Color, l.Dashes, l.Width = seriesColor(i), k.dash, vg.Points(1.4)
			sc.Color, sc.Radius = seriesColor(i), vg.Points(1.6)
			p.Add(l, sc)
			name := s.label + " " + k.name
			if k.name == "P99" && s.gcs > 0 {
				name += fmt.Sprintf(" (%d GC cycles)", s.gcs)
			}
			p.Legend.Add(name, l)
		}
		// GC cycles, marked on the P99 line in the seconds they ran.
		var marks plotter.XYs
		most := 0.0
		marked := map[int]bool{}
		for j, at := range s.at {
			// GC cycles are counted per second: mark the first
			// interval of each second that had one.
			if sec := int(at); sec < len(s.gcPerSec) && s.gcPerSec[sec] >= 1 && !marked[sec] {
				marked[sec] = true
				marks = append(marks, plotter.XY{X: at, Y: math.Max(s.p99[j], 1e-9)})
				most = math.Max(most, s.gcPerSec[sec])
			}
		}
		if len(marks) > 0 {
			sc, err := plotter.NewScatter(marks)
			if err != nil {
				return nil, err
			}
			sc.Shape, sc.Color, sc.Radius = draw.TriangleGlyph{}, seriesColor(i), vg.Points(4)
			p.Add(sc)
			p.Legend.Add(fmt.Sprintf("%s GC in that second (up to %g cycles)", s.label, most), sc)
		}
	}
	ymin, ymax := math.Inf(1), math.Inf(-1)
	for _, s := range series {
		for _, ys := range [][]float64{s.p50, s.p99} {
			for _, y := range ys {
				y = math.Max(y, 1e-9)
				ymin, ymax = math.Min(ymin, y), math.Max(ymax, y)
			}
		}
	}
	logHeadroom(p, ymin, ymax, len(series)*2)
	return p, nil
}

// scaleFor picks a display unit for values of a benchstat unit.
func scaleFor(unit string, max float64) (factor float64, label string) {
	switch {
	case strings.Contains(unit, "sec"):
		for _, s := range []struct {
			f float64
			n string
		}{{1, "s"}, {1e-3, "ms"}, {1e-6, "µs"}, {1e-9, "ns"}} {
			if max >= s.f || s.f == 1e-9 {
				return 1 / s.f, strings.Replace(unit, "sec", s.n, 1)
			}
		}
	case strings.HasSuffix(unit, "B") || strings.HasPrefix(unit, "B/") || strings.Contains(unit, "-B"):
		for _, s := range []struct {
			f float64
			n string
		}{{1 << 30, "GiB"}, {1 << 20, "MiB"}, {1 << 10, "KiB"}, {1, "B"}} {
			if max >= s.f || s.f == 1 {
				return 1 / s.f, strings.Replace(unit, "B", s.n, 1)
			}
		}
	}
	for _, s := range []struct {
		f float64
		n string
	}{{1e9, "G"}, {1e6, "M"}, {1e3, "k"}} {
		if max >= s.f {
			return 1 / s.f, s.n + " " + unit
		}
	}
	return 1, unit
}

type errBars struct {
	plotter.XYs
	plotter.YErrors
}

// barPlot draws a table's centers as grouped bars, one group per row and
// one bar per column, with the confidence interval as whiskers.
func barPlot(t *compare.Table, width vg.Length) (*plot.Plot, error) {
	p := newPlot(t.Title())
	maxV, minV := 0.0, math.Inf(1)
	for _, r := range t.Rows {
		for _, c := range r.Cells {
			if c != nil {
				maxV = math.Max(maxV, c.Center)
				if c.Center > 0 {
					minV = math.Min(minV, c.Center)
				}
			}
		}
	}
	f, unit := scaleFor(t.Unit, maxV)
	// Rows of very different magnitudes (a 23 ms ModExp beside a 3 µs
	// AES-GCM) would leave all but the largest as slivers on one linear
	// axis: then each row is drawn relative to its base column, which is
	// also the question a comparison asks.
	base := make([]float64, len(t.Rows))
	relative := len(t.Cols) > 1 && maxV/minV > 20
	for i, r := range t.Rows {
		if c := r.Cells[0]; c != nil && c.Center > 0 {
			base[i] = c.Center
		} else {
			relative = false
		}
	}
	scale := func(i int, v float64) float64 {
		if relative {
			return v / base[i]
		}
		return v * f
	}
	if relative {
		p.Y.Label.Text = fmt.Sprintf("× %s (%s; %s)", t.Cols[0], t.Summary, t.BetterString())
	} else {
		p.Y.Label.Text = fmt.Sprintf("%s (%s; %s)", unit, t.Summary, t.BetterString())
	}
	p.Y.Min = 0
	names := make([]string, len(t.Rows))
	for i, r := range t.Rows {
		names[i] = r.Name
	}
	p.NominalX(names...)
	chars := 0
	for _, n := range names {
		chars += len(n)
	}
	switch {
	case len(names) > 12:
		p.X.Tick.Label.Rotation = math.Pi / 2
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YCenter
		p.X.Tick.Label.Font.Size = vg.Points(8)
	case len(names) > 3 || float64(chars)*5.5 > float64(width-vg.Points(100)):
		// Labels that would run into each other lean instead.
		p.X.Tick.Label.Rotation = math.Pi / 8
		p.X.Tick.Label.XAlign = draw.XRight
	}
	n := len(t.Cols)
	// Bars are placed in data units (XMin), their width in points: the
	// axis spans the rows, about plotWidth less the margins.
	ppu := float64(width-vg.Points(80)) / float64(len(t.Rows))
	slot := 0.8 / float64(n)
	w := vg.Length(math.Max(1, math.Min(slot*ppu*0.85, 48)))
	p.X.Min, p.X.Max = -0.5, float64(len(t.Rows))-0.5
	maxAll := 0.0
	for i, r := range t.Rows {
		for _, c := range r.Cells {
			if c != nil {
				maxAll = math.Max(maxAll, scale(i, c.Center))
				for _, v := range c.Values {
					maxAll = math.Max(maxAll, scale(i, v))
				}
				if !math.IsInf(c.Hi, 0) {
					maxAll = math.Max(maxAll, scale(i, c.Hi))
				}
			}
		}
	}
	// Room above the bars for the legend (top right): a line per
	// column and one for the runs.
	p.Y.Max = maxAll * (1.1 + 0.07*float64(len(t.Cols)+1))
	var dots plotter.XYs
	for j, col := range t.Cols {
		vals := make(plotter.Values, len(t.Rows))
		x0 := -0.4 + (float64(j)+0.5)*slot
		eb := errBars{XYs: make(plotter.XYs, 0), YErrors: make(plotter.YErrors, 0)}
		for i, r := range t.Rows {
			c := r.Cells[j]
			if c == nil {
				continue
			}
			vals[i] = scale(i, c.Center)
			for _, v := range c.Values {
				dots = append(dots, plotter.XY{X: float64(i) + x0, Y: scale(i, v)})
			}
			if !math.IsInf(c.Lo, 0) && !math.IsInf(c.Hi, 0) {
				eb.XYs = append(eb.XYs, plotter.XY{X: float64(i) + x0, Y: scale(i, c.Center)})
				eb.YErrors = append(eb.YErrors, struct{ Low, High float64 }{scale(i, c.Center) - scale(i, c.Lo), scale(i, c.Hi) - scale(i, c.Center)})
			}
		}
		b, err := plotter.NewBarChart(vals, w)
		if err != nil {
			return nil, err
		}
		b.Color = seriesColor(j)
		b.LineStyle.Width = 0
		b.XMin = x0
		p.Add(b)
		p.Legend.Add(col, b)
		if len(eb.XYs) > 0 {
			e, err := plotter.NewYErrorBars(eb)
			if err != nil {
				return nil, err
			}
			e.LineStyle.Width = vg.Points(1)
			e.CapWidth = w / 2
			p.Add(e)
		}
	}
	if len(dots) > 0 {
		sc, err := plotter.NewScatter(dots)
		if err != nil {
			return nil, err
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: color.Gray{Y: 0x30}, Radius: vg.Points(1.5), Shape: draw.CircleGlyph{}}
		p.Add(sc)
		p.Legend.Add("each run", sc)
	}
	p.Legend.Top, p.Legend.Left = true, false
	return p, nil
}

// A rateCell is one cell's target and achieved rates.
type rateCell struct {
	label    string
	target   float64
	achieved []float64
	valid    []bool
}

// ratePlot draws each cell's target rate as a bar and every run's achieved
// rate as a point: filled for valid runs, a cross for runs that missed
// their rate (shown, never averaged in).
func ratePlot(cells []rateCell) (*plot.Plot, error) {
	p := newPlot("achieved vs target rate")
	maxV := 0.0
	for _, c := range cells {
		maxV = math.Max(maxV, c.target)
		for _, a := range c.achieved {
			maxV = math.Max(maxV, a)
		}
	}
	f, unit := scaleFor("ops/s", maxV)
	p.Y.Label.Text = unit
	p.Y.Min, p.Y.Max = 0, maxV*f*1.35
	names := make([]string, len(cells))
	targets := make(plotter.Values, len(cells))
	var ok, bad plotter.XYs
	for i, c := range cells {
		names[i] = c.label
		targets[i] = c.target * f
		for k, a := range c.achieved {
			// Spread the runs of a cell a little so they do not hide
			// each other.
			x := float64(i) + (float64(k)-float64(len(c.achieved)-1)/2)*0.06
			if c.valid[k] {
				ok = append(ok, plotter.XY{X: x, Y: a * f})
			} else {
				bad = append(bad, plotter.XY{X: x, Y: a * f})
			}
		}
	}
	p.NominalX(names...)
	chars := 0
	for _, n := range names {
		chars += len(n)
	}
	switch {
	case len(names) > 12:
		// Many cells: vertical labels, one per bar, never overlapping.
		p.X.Tick.Label.Rotation = math.Pi / 2
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YCenter
		p.X.Tick.Label.Font.Size = vg.Points(8)
	case len(names) > 2:
		p.X.Tick.Label.Rotation = math.Pi / 6
		p.X.Tick.Label.XAlign = draw.XRight
	}
	b, err := plotter.NewBarChart(targets, vg.Points(math.Max(4, math.Min(30, 400/float64(len(cells)+1)))))
	if err != nil {
		return nil, err
	}
	b.Color = color.Gray{Y: 0xd0}
	b.LineStyle.Width = 0
	p.Add(b)
	p.Legend.Add("target", b)
	if len(ok) > 0 {
		s, err := plotter.NewScatter(ok)
		if err != nil {
			return nil, err
		}
		s.GlyphStyle = draw.GlyphStyle{Color: okabeIto[0], Radius: vg.Points(3), Shape: draw.CircleGlyph{}}
		p.Add(s)
		p.Legend.Add("achieved (valid run)", s)
	}
	if len(bad) > 0 {
		s, err := plotter.NewScatter(bad)
		if err != nil {
			return nil, err
		}
		s.GlyphStyle = draw.GlyphStyle{Color: okabeIto[5], Radius: vg.Points(4), Shape: draw.CrossGlyph{}}
		p.Add(s)
		p.Legend.Add("achieved (rate not achieved: invalid)", s)
	}
	p.Legend.Top, p.Legend.Left = true, false
	return p, nil
}

// logHeadroom raises the top of a log y axis so that a legend of n
// entries at the top does not cover the data.
func logHeadroom(p *plot.Plot, ymin, ymax float64, n int) {
	if ymin <= 0 || ymax <= 0 || math.IsInf(ymin, 0) || math.IsInf(ymax, 0) {
		return
	}
	decades := math.Max(math.Log10(ymax/ymin), 0.5)
	p.Y.Min = ymin / 1.2
	p.Y.Max = ymax * math.Pow(10, decades*0.06*float64(n+1))
}
