package report

import (
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/perfharness/harness/harness/results"
	"github.com/perfharness/harness/harness/spec"
)

// A Sweep is one configuration of a workload's op run at several rates (a
// rate list, a cell per rate; or a steps schedule, a step per rate within
// each run): its latency against throughput, and its capacity when the
// workload states an SLO.
type Sweep struct {
	Workload, Op string
	// Label names the configuration among the op's sweeps: the values
	// that tell them apart, or the op when it has one sweep.
	Label  string
	Points []SweepPoint // by rate
	// SLO are the workload's bounds (bench.txt unit → ns); Capacity is
	// nil without them.
	SLO      []results.KV
	Capacity *Capacity
	Plot     string // the name of its plot
}

// A SweepPoint is one rate of a sweep: the medians of its cell's valid
// runs.
type SweepPoint struct {
	Cell             *Cell
	Target, Achieved float64 // ops/s
	// P50 to P999 are latency percentiles from the intended start, in ns;
	// Valid is how many runs they come from.
	P50, P90, P99, P999 float64
	Valid               int
}

// A Capacity is where a sweep leaves its SLO: the highest rate swept up to
// which every rate kept it, and the rate achieved there.
type Capacity struct {
	Rate, Achieved float64 // 0 when even the lowest rate broke the SLO
	// Limit is the SLO as read: "P99 ≤ 10ms".
	Limit string
	// Next is the first rate that broke it and Why how (0 and "" when
	// every rate swept kept it: the capacity is at least Rate).
	Next float64
	Why  string
}

// Text renders the capacity: "15000/s (achieved 14990/s; 20000/s: P99 14ms > 10ms)".
func (c *Capacity) Text() string {
	var s string
	switch {
	case c.Rate == 0:
		s = "below the lowest rate swept"
	default:
		s = fmt.Sprintf("%s (achieved %s)", fmtRate(c.Rate), fmtRate(c.Achieved))
	}
	switch {
	case c.Next > 0:
		s += fmt.Sprintf("; at %s %s", fmtRate(c.Next), c.Why)
	case c.Rate > 0:
		s += "; every rate swept kept it: at least that"
	}
	return s
}

func fmtRate(r float64) string {
	return strconv.FormatFloat(math.Round(r), 'f', -1, 64) + "/s"
}

// sloLimit renders an SLO: "P99 ≤ 10ms".
func sloLimit(slo []results.KV) string {
	var parts []string
	for _, b := range slo {
		ns, _ := strconv.ParseInt(b.Value, 10, 64)
		parts = append(parts, fmt.Sprintf("%s ≤ %v", strings.ToUpper(strings.TrimSuffix(b.Key, "-ns")), time.Duration(ns)))
	}
	return strings.Join(parts, ", ")
}

// capacity finds where points, sorted by rate, leave slo: a rate keeps it
// when it has a valid run and the median of each bounded percentile is
// within its bound. A rate without a valid run (the server could not keep
// up: rate not achieved, or lag) breaks it too.
func capacity(points []SweepPoint, slo []results.KV) *Capacity {
	if len(slo) == 0 || len(points) == 0 {
		return nil
	}
	c := &Capacity{Limit: sloLimit(slo)}
	for _, p := range points {
		why := ""
		if p.Valid == 0 {
			why = "no valid run"
		}
		for _, b := range slo {
			if why != "" {
				break
			}
			limit, _ := strconv.ParseFloat(b.Value, 64)
			var v float64
			switch b.Key {
			case "p50-ns":
				v = p.P50
			case "p90-ns":
				v = p.P90
			case "p99-ns":
				v = p.P99
			case "p99.9-ns":
				v = p.P999
			}
			if v > limit {
				why = fmt.Sprintf("%s %v > %v", strings.ToUpper(strings.TrimSuffix(b.Key, "-ns")), time.Duration(v).Round(time.Microsecond), time.Duration(limit))
			}
		}
		if why != "" {
			c.Next, c.Why = p.Target, why
			return c
		}
		c.Rate, c.Achieved = p.Target, p.Achieved
	}
	return c
}

// sweeps finds the rate sweeps among the run's cells: for each workload
// and op with cells at two rates or more, one sweep per configuration
// (the cells alike but for the rate).
func (m *Model) sweeps() []*Sweep {
	type key struct{ workload, op, config string }
	byKey := map[key]*Sweep{}
	var order []key
	rates := map[[2]string]map[float64]bool{}
	for _, c := range m.Run.Cells {
		if c.Kind != spec.KindHTTP && c.Kind != spec.KindFixedRate {
			continue
		}
		target := cellRate(c)
		if target <= 0 {
			continue
		}
		var rest []string
		for _, kv := range c.Config {
			if kv.Key != string(spec.DimRate) && kv.Key != string(spec.DimWorkload) {
				rest = append(rest, kv.Key+"="+kv.Value)
			}
		}
		k := key{c.Workload, c.Op, strings.Join(rest, ",")}
		s := byKey[k]
		if s == nil {
			s = &Sweep{Workload: c.Workload, Op: c.Op, SLO: c.SLO}
			byKey[k] = s
			order = append(order, k)
		}
		s.Points = append(s.Points, sweepPoint(c, target))
		wo := [2]string{c.Workload, c.Op}
		if rates[wo] == nil {
			rates[wo] = map[float64]bool{}
		}
		rates[wo][target] = true
	}
	var out []*Sweep
	for _, k := range order {
		s := byKey[k]
		if len(rates[[2]string{k.workload, k.op}]) < 2 {
			continue
		}
		sort.Slice(s.Points, func(i, j int) bool { return s.Points[i].Target < s.Points[j].Target })
		s.Capacity = capacity(s.Points, s.SLO)
		out = append(out, s)
	}
	// A steps schedule is a sweep within each run.
	for _, c := range m.Run.Cells {
		if pts := stepPoints(c); len(pts) > 1 {
			out = append(out, &Sweep{Workload: c.Workload, Op: c.Op, SLO: c.SLO, Points: pts, Capacity: capacity(pts, c.SLO)})
		}
	}
	labelSweeps(out)
	return out
}

// labelSweeps names each sweep by the configuration values that differ
// among its op's sweeps.
func labelSweeps(sw []*Sweep) {
	byOp := map[[2]string][]*Sweep{}
	for _, s := range sw {
		k := [2]string{s.Workload, s.Op}
		byOp[k] = append(byOp[k], s)
	}
	for _, group := range byOp {
		vals := make([]map[string]string, len(group))
		for i, s := range group {
			vals[i] = map[string]string{}
			for _, kv := range s.Points[0].Cell.Config {
				vals[i][kv.Key] = kv.Value
			}
		}
		var varying []string
		for k := range vals[0] {
			for _, v := range vals[1:] {
				if v[k] != vals[0][k] && !slices.Contains(varying, k) {
					varying = append(varying, k)
				}
			}
		}
		sort.Strings(varying)
		for i, s := range group {
			var parts []string
			for _, k := range varying {
				parts = append(parts, k+"="+vals[i][k])
			}
			s.Label = strings.Join(parts, ", ")
			if s.Label == "" {
				s.Label = strings.Trim(s.Workload+"/"+s.Op, "/")
			}
		}
	}
}

// cellRate is the cell's target rate: its runs', or its configuration's.
func cellRate(c *Cell) float64 {
	var ts []float64
	for _, r := range c.Runs {
		if r.Result != nil && r.Result.TargetRate > 0 {
			ts = append(ts, r.Result.TargetRate)
		}
	}
	if len(ts) > 0 {
		return results.Median(ts)
	}
	for _, kv := range c.Config {
		if kv.Key == string(spec.DimRate) {
			if r, err := spec.ParseRate(kv.Value); err == nil {
				return r
			}
		}
	}
	return 0
}

func sweepPoint(c *Cell, target float64) SweepPoint {
	p := SweepPoint{Cell: c, Target: target}
	var ach, p50, p90, p99, p999 []float64
	for _, r := range c.Runs {
		if !r.Valid || r.Result == nil {
			continue
		}
		p.Valid++
		ach = append(ach, r.Result.AchievedRate)
		p50 = append(p50, float64(r.Result.Latency.P50Ns))
		p90 = append(p90, float64(r.Result.Latency.P90Ns))
		p99 = append(p99, float64(r.Result.Latency.P99Ns))
		p999 = append(p999, float64(r.Result.Latency.P999Ns))
	}
	p.Achieved, p.P50, p.P90 = results.Median(ach), results.Median(p50), results.Median(p90)
	p.P99, p.P999 = results.Median(p99), results.Median(p999)
	return p
}

// sweepPlot draws latency against throughput: for each sweep, its P50
// (dotted), P99 (solid) and P99.9 (dashed) at each rate's achieved rate,
// and the SLO's bounds as grey lines.
func sweepPlot(title string, sw []*Sweep) (*plot.Plot, error) {
	p := newPlot(title)
	maxX := 0.0
	ymin, ymax := math.Inf(1), 0.0
	for _, s := range sw {
		for _, pt := range s.Points {
			if pt.Valid > 0 {
				maxX = math.Max(maxX, pt.Achieved)
				for _, v := range []float64{pt.P50, pt.P99, pt.P999} {
					if v > 0 {
						ymin, ymax = math.Min(ymin, v/1e9), math.Max(ymax, v/1e9)
					}
				}
			}
		}
	}
	f, unit := scaleFor("ops/s", maxX)
	p.X.Label.Text = "achieved rate (" + unit + ")"
	p.Y.Label.Text = "latency from the intended start"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = durationTicks{}
	p.X.Min = 0
	entries := 0
	for i, s := range sw {
		for k, q := range []struct {
			name string
			get  func(SweepPoint) float64
			dash []vg.Length
		}{
			{"P50", func(p SweepPoint) float64 { return p.P50 }, []vg.Length{vg.Points(2), vg.Points(2)}},
			{"P99", func(p SweepPoint) float64 { return p.P99 }, nil},
			{"P99.9", func(p SweepPoint) float64 { return p.P999 }, []vg.Length{vg.Points(6), vg.Points(3)}},
		} {
			var xys plotter.XYs
			for _, pt := range s.Points {
				if v := q.get(pt); pt.Valid > 0 && v > 0 {
					xys = append(xys, plotter.XY{X: pt.Achieved * f, Y: v / 1e9})
				}
			}
			if len(xys) == 0 {
				continue
			}
			l, pts, err := plotter.NewLinePoints(xys)
			if err != nil {
				return nil, err
			}
			l.Color, l.Dashes, l.Width = seriesColor(i), q.dash, vg.Points(1.5)
			if k == 1 {
				l.Width = vg.Points(2)
			}
			pts.Color, pts.Radius = seriesColor(i), vg.Points(2.5)
			p.Add(l, pts)
			p.Legend.Add(fitTitle(s.Label, 40)+" "+q.name, l, pts)
			entries++
		}
	}
	if len(sw) > 0 {
		for _, b := range sw[0].SLO {
			ns, _ := strconv.ParseFloat(b.Value, 64)
			y := ns / 1e9
			ymin, ymax = math.Min(ymin, y), math.Max(ymax, y)
			l, err := plotter.NewLine(plotter.XYs{{X: 0, Y: y}, {X: maxX * f * 1.05, Y: y}})
			if err != nil {
				return nil, err
			}
			l.Color, l.Width = color.Gray{Y: 0x90}, vg.Points(1)
			p.Add(l)
			p.Legend.Add("SLO "+sloLimit([]results.KV{b}), l)
			entries++
		}
	}
	p.X.Max = maxX * f * 1.05
	logHeadroom(p, ymin, ymax, entries)
	return p, nil
}

// sweepPlotJobs draws one latency-against-throughput plot per swept op,
// every configuration on it.
func (m *Model) sweepPlotJobs(used map[string]bool) []plotJob {
	var jobs []plotJob
	var order [][2]string
	byOp := map[[2]string][]*Sweep{}
	for _, s := range m.Sweeps {
		k := [2]string{s.Workload, s.Op}
		if byOp[k] == nil {
			order = append(order, k)
		}
		byOp[k] = append(byOp[k], s)
	}
	for _, k := range order {
		sw := byOp[k]
		what := strings.Trim(k[0]+"/"+k[1], "/")
		name := plotName(used, "sweep", what)
		title := fitTitle(what, 50) + ": latency vs throughput"
		for _, s := range sw {
			s.Plot = name
		}
		caption := "Latency from the intended start against the achieved rate, each point a rate of the sweep (medians of its valid runs): P50 dotted, P99 solid, P99.9 dashed, one colour per configuration."
		if len(sw[0].SLO) > 0 {
			caption += " Grey: the SLO; the capacity is the highest rate up to which every rate kept it."
		}
		jobs = append(jobs, func(png bool) (*Plot, error) {
			p, err := sweepPlot(title, sw)
			if err != nil {
				return nil, err
			}
			return render(p, name, title, caption, plotW, plotH, png)
		})
	}
	return jobs
}

// A CapacityLine is a question's answer about a rate sweep, for one
// combination of its fixed dimensions (the rate left out): where each
// compared configuration leaves the SLO.
type CapacityLine struct {
	Where   string // e.g. "api, toolchain=go1.26.8"
	Limit   string // "P99 ≤ 10ms"
	Configs []ConfigCapacity
}

// A ConfigCapacity is one configuration's capacity in a CapacityLine.
type ConfigCapacity struct {
	Label    string // "" when the rate is all that varies
	Capacity *Capacity
}

// Text renders the line: "capacity within P99 ≤ 10ms, api: glibc 15000/s
// (achieved 14990/s; at 20000/s P99 14ms > 10ms); tcmalloc …".
func (c *CapacityLine) Text() string {
	var parts []string
	for _, cc := range c.Configs {
		t := cc.Capacity.Text()
		if cc.Label != "" {
			t = cc.Label + " " + t
		}
		parts = append(parts, t)
	}
	return fmt.Sprintf("capacity within %s, %s: %s", c.Limit, c.Where, strings.Join(parts, "; "))
}

// questionCapacity gathers a question's cells by fixed combination and
// configuration with the rate left out of both: where that leaves several
// rates and the workload states an SLO, each configuration's capacity.
func (m *Model) questionCapacity(groups []spec.Group, points []spec.Point) []*CapacityLine {
	byID := map[string]*Cell{}
	for _, c := range m.Run.Cells {
		byID[c.ID] = c
	}
	noRate := func(kvs []spec.KV) []spec.KV {
		var out []spec.KV
		for _, kv := range kvs {
			if kv.Key != string(spec.DimRate) {
				out = append(out, kv)
			}
		}
		return out
	}
	type series struct {
		label string
		cells []*Cell
	}
	var lines []*CapacityLine
	byWhere := map[string][]*series{}
	var whereOrder []string
	for _, g := range groups {
		where := (&spec.Group{Fixed: noRate(g.Fixed)}).FixedLabel()
		if _, ok := byWhere[where]; !ok {
			whereOrder = append(whereOrder, where)
		}
		for _, cfg := range g.Configs {
			label := spec.Config{Values: noRate(cfg.Values)}.Label()
			var s *series
			for _, x := range byWhere[where] {
				if x.label == label {
					s = x
				}
			}
			if s == nil {
				s = &series{label: label}
				byWhere[where] = append(byWhere[where], s)
			}
			for _, pi := range cfg.Points {
				if c := byID[points[pi].ID]; c != nil && !slices.Contains(s.cells, c) {
					s.cells = append(s.cells, c)
				}
			}
		}
	}
	for _, where := range whereOrder {
		var line *CapacityLine
		for _, s := range byWhere[where] {
			if len(s.cells) == 0 || len(s.cells[0].SLO) == 0 {
				continue
			}
			rates := map[float64]bool{}
			var pts []SweepPoint
			for _, c := range s.cells {
				r := cellRate(c)
				rates[r] = true
				pts = append(pts, sweepPoint(c, r))
			}
			if len(rates) < 2 && len(s.cells) == 1 {
				pts = stepPoints(s.cells[0]) // a steps schedule
			} else if len(rates) < 2 {
				continue
			}
			if len(pts) < 2 {
				continue
			}
			sort.Slice(pts, func(i, j int) bool { return pts[i].Target < pts[j].Target })
			if line == nil {
				line = &CapacityLine{Where: where, Limit: sloLimit(s.cells[0].SLO)}
				lines = append(lines, line)
			}
			line.Configs = append(line.Configs, ConfigCapacity{Label: s.label, Capacity: capacity(pts, s.cells[0].SLO)})
		}
	}
	return lines
}

// Title names the sweep and, with an SLO, its capacity.
func (s *Sweep) Title() string {
	t := strings.Trim(s.Workload+"/"+s.Op, "/")
	if s.Label != t {
		t += ", " + s.Label
	}
	if s.Capacity != nil {
		t += ": capacity within " + s.Capacity.Limit + ": " + s.Capacity.Text()
	}
	return t
}

// sweepHead and Rows are the sweep's table: a row per rate.
var sweepHead = []string{"rate", "achieved", "P50", "P99", "P99.9", "valid runs"}

func (s *Sweep) Rows() [][]string {
	var out [][]string
	for _, p := range s.Points {
		out = append(out, []string{fmtRate(p.Target), fmtRateNaN(p.Achieved), fmtValue("ns", p.P50), fmtValue("ns", p.P99), fmtValue("ns", p.P999),
			fmt.Sprintf("%d of %d", p.Valid, len(p.Cell.Runs))})
	}
	return out
}

func fmtRateNaN(r float64) string {
	if math.IsNaN(r) {
		return "—"
	}
	return fmtRate(r)
}

const sweepIntro = "Each rate of a sweep (a workload run at several rates): the medians of its valid runs' achieved rate and latency from the intended start. A rate without a valid run could not be sustained (its runs missed the rate or lagged). With an SLO, the capacity is the highest rate up to which every rate swept kept it."

// StepFigures are one step of a run's steps schedule, from its latency
// log: the ops due in the step, and their latency from the intended start.
type StepFigures struct {
	Rate                float64 // the step's target, ops/s
	Achieved            float64 // ops due in the step (and completed) per second of it
	P50, P90, P99, P999 float64
}

// stepRates reads a steps schedule's rates ("steps:5000,10000"); nil for
// other schedules.
func stepRates(res *driverResult) []float64 {
	if res == nil {
		return nil
	}
	list, ok := strings.CutPrefix(res.Schedule, "steps:")
	if !ok {
		return nil
	}
	var out []float64
	for _, f := range strings.Split(list, ",") {
		r, err := strconv.ParseFloat(f, 64)
		if err != nil || !(r > 0) {
			return nil
		}
		out = append(out, r)
	}
	return out
}

// readSteps cuts a run's latency log into the steps of its schedule: the
// window's n equal parts, each interval going to the step its middle falls
// in (an interval straddles a step boundary only when the window's
// twentieth does not divide the step's length).
func readSteps(path string, rates []float64, window time.Duration) ([]StepFigures, error) {
	if window <= 0 {
		return nil, fmt.Errorf("no window length")
	}
	data, err := results.ReadFileIn(filepath.Dir(path), filepath.Base(path))
	if err != nil {
		return nil, err
	}
	step := window / time.Duration(len(rates))
	hs := make([]*hdrhistogram.Histogram, len(rates))
	for i := range hs {
		hs[i] = hdrhistogram.New(1, int64(time.Hour), 3)
	}
	first := int64(math.MinInt64)
	err = eachInterval(path, onlyTag(data, TagIntended), func(h *hdrhistogram.Histogram) error {
		if first == math.MinInt64 {
			first = h.StartTimeMs()
		}
		mid := time.Duration(h.StartTimeMs()-first)*time.Millisecond + time.Duration(h.EndTimeMs()-h.StartTimeMs())*time.Millisecond/2
		k := min(max(int(mid/step), 0), len(hs)-1)
		if dropped := hs[k].Merge(h); dropped > 0 {
			return fmt.Errorf("%d values out of the histogram's range", dropped)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]StepFigures, len(rates))
	for i, h := range hs {
		out[i] = StepFigures{Rate: rates[i], Achieved: float64(h.TotalCount()) / step.Seconds(),
			P50: float64(h.ValueAtQuantile(50)), P90: float64(h.ValueAtQuantile(90)),
			P99: float64(h.ValueAtQuantile(99)), P999: float64(h.ValueAtQuantile(99.9))}
	}
	return out, nil
}

// stepPoints are a steps cell's sweep: per step, the medians over its
// valid runs.
func stepPoints(c *Cell) []SweepPoint {
	// The steps, from any run's schedule: a rate no run sustained is a
	// point too.
	var rates []float64
	for _, r := range c.Runs {
		if rates = stepRates(r.Result); rates != nil {
			break
		}
	}
	n := len(rates)
	out := make([]SweepPoint, n)
	for i := range out {
		p := SweepPoint{Cell: c, Target: rates[i], Achieved: math.NaN(), P50: math.NaN(), P90: math.NaN(), P99: math.NaN(), P999: math.NaN()}
		var ach, p50, p90, p99, p999 []float64
		for _, r := range c.Runs {
			if !r.Valid || len(r.Steps) != n {
				continue
			}
			s := r.Steps[i]
			p.Valid++
			ach, p50, p90 = append(ach, s.Achieved), append(p50, s.P50), append(p90, s.P90)
			p99, p999 = append(p99, s.P99), append(p999, s.P999)
		}
		if p.Valid > 0 {
			p.Achieved, p.P50, p.P90 = results.Median(ach), results.Median(p50), results.Median(p90)
			p.P99, p.P999 = results.Median(p99), results.Median(p999)
		}
		out[i] = p
	}
	return out
}
