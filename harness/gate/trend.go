package gate

import (
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/perfharness/harness/harness/compare"
	"github.com/perfharness/harness/harness/escape"
	"github.com/perfharness/harness/harness/results"
)

// A TrendRun is one stored run in a history: its manifest and its results.
type TrendRun struct {
	Path     string
	Manifest *results.Manifest
	Set      *compare.Set
}

// DefaultSegment is the fewest runs a side of a change point needs: a
// step must hold for two runs before and two after, so one run caught in
// a stall of the host is not a change.
const DefaultSegment = 2

// A TrendReport is every benchmark × configuration × metric followed across
// a history of runs, oldest first.
type TrendReport struct {
	Spec    string    `json:"spec"`
	HostID  string    `json:"host_id"`
	Host    string    `json:"host"`
	Runs    []RunInfo `json:"runs"`
	Series  []*Series `json:"series"`
	Skipped []Skip    `json:"skipped"` // stored runs left out of the history, and why
	Alpha   float64   `json:"alpha"`
	// FDR is the false discovery rate kept over every change point
	// sought (0 when off), Segment the fewest runs on each side of one,
	// and Tests how many boundaries were tested.
	FDR     float64 `json:"fdr"`
	Segment int     `json:"segment"`
	Tests   int     `json:"tests"`
}

// A Series is one benchmark × configuration × metric across the runs.
type Series struct {
	Config    string  `json:"config"`
	Benchmark string  `json:"benchmark"`
	Unit      string  `json:"unit"`
	Better    int     `json:"better"`
	Gated     bool    `json:"gated"`
	Threshold float64 `json:"threshold"`
	Points    []Point `json:"points"` // one per run of the report, in order
	Changes   int     `json:"change_points"`
	Gaps      int     `json:"gaps"`
	// NoSearch says why no change point was sought (a metric not gated,
	// an imprecise tail); empty when it was.
	NoSearch string `json:"no_search,omitempty"`
}

// A Point is a series in one run: its median with the confidence band, or
// a gap with its reason. Delta and P compare it with the previous point
// with data, for reading; they decide nothing. Change marks a change
// point: the segment of runs from here to the next change point differs
// from the segment before by the gate's rule, and Step says by how much.
type Point struct {
	RunID   string  `json:"run_id"`
	Stat    *Stat   `json:"stat,omitempty"`
	Gap     string  `json:"gap,omitempty"` // why there is no data (after the series began)
	Delta   Float   `json:"delta_prev"`    // vs the previous point with data
	P       Float   `json:"p_prev"`
	Verdict Verdict `json:"verdict,omitempty"` // of the step, at a change point
	Change  bool    `json:"change_point"`
	Step    *Step   `json:"step,omitempty"`

	values []float64 // the run's samples
	ops    int       // the fewest ops of a sample
}

// A Step is the change at a change point: the runs after it (up to the
// next change point) against the runs before it (back to the previous
// one), their samples pooled, judged as the gate judges a row.
type Step struct {
	Before int   `json:"runs_before"`
	After  int   `json:"runs_after"`
	Delta  Float `json:"delta"`
	CILow  Float `json:"ci_low"`
	CIHigh Float `json:"ci_high"`
	P      Float `json:"p"`
	// Q is the p-value of the boundary's first test (Segment runs a side)
	// adjusted over every boundary tested.
	Q   Float  `json:"q"`
	Why string `json:"why"`
}

// Trend builds the history of runs (any order; sorted oldest first here).
// Runs should come from one spec and one host (SelectHistory picks them).
// segment is the fewest runs on each side of a change point (0 means
// DefaultSegment).
//
// Change points follow the gate's rule, on windows of runs rather than
// single runs:
//
//  1. Every boundary between two runs with data, with segment runs with
//     data on each side, is tested: the samples of the segment runs
//     before it pooled against those of the segment runs after it, by the
//     gate's test, giving p and the effect's interval. Only gated series
//     are tested (a metric the gate would not judge cannot change), and
//     not tails of runs too short to hold them.
//  2. The p-values of all boundaries of all series are adjusted together
//     (Benjamini–Hochberg, the gate's FDR); a boundary is a candidate when
//     the gate would call its row a regression, an improvement or a change.
//  3. Of candidates closer than segment runs, the most significant stays
//     (a step shows at the boundaries around it too).
//  4. Each survivor is tested again on its whole adjacent segments (to the
//     neighbouring change points) and dropped if it no longer passes; this
//     repeats until nothing changes. Its Step is that final comparison.
//
// Identical runs therefore give no change point but at the FDR's rate, and
// a single run off its neighbours (a stall) is at most a dip, not a step.
func Trend(runs []TrendRun, policy Policy, segment int) (*TrendReport, error) {
	p := policy.withDefaults()
	if segment <= 0 {
		segment = DefaultSegment
	}
	runs = slices.Clone(runs)
	slices.SortStableFunc(runs, func(a, b TrendRun) int {
		return cmp.Or(a.Manifest.Started.Compare(b.Manifest.Started), cmp.Compare(a.Manifest.RunID, b.Manifest.RunID))
	})
	rep := &TrendReport{Alpha: p.Alpha, FDR: p.fdr(), Segment: segment, Runs: []RunInfo{}, Series: []*Series{}, Skipped: []Skip{}}
	if len(runs) == 0 {
		return rep, nil
	}
	last := runs[len(runs)-1].Manifest
	rep.Spec, rep.HostID, rep.Host = last.Name, last.Host.ID, last.Host.Label()
	type key struct{ config, bench, unit string }
	series := map[key]*Series{}
	kinds := map[*Series]string{}
	var order []key
	opts := compare.Options{Alpha: p.Alpha, Confidence: 1 - p.Alpha}
	for i, r := range runs {
		rep.Runs = append(rep.Runs, Info(r.Path, r.Manifest))
		self, err := compare.Pair(r.Set, r.Set, opts)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.Path, err)
		}
		for _, c := range self {
			k := key{c.Table, c.Row, c.Unit}
			s := series[k]
			if s == nil {
				lim := p.limit(ConfigValue(c.Table, "workload"), c.Table, c.Row, c.Unit)
				s = &Series{Config: c.Table, Benchmark: c.Row, Unit: c.Unit, Better: c.Better, Gated: lim.Gated,
					Threshold: lim.Threshold, Points: make([]Point, len(runs))}
				series[k] = s
				order = append(order, k)
			}
			if cell := CellFor(r.Manifest, c.Table, c.Row); cell != nil {
				kinds[s] = cell.Kind
			}
			st := statOf(c.Base)
			s.Points[i] = Point{RunID: r.Manifest.RunID, Stat: &st, Delta: Float(math.NaN()), P: Float(math.NaN()),
				values: c.Base.Values, ops: c.Base.MinIters}
		}
	}
	var all []*Series
	for _, k := range order {
		s := series[k]
		started := false
		prev := -1
		for i := range s.Points {
			pt := &s.Points[i]
			if pt.Stat != nil {
				started = true
				if prev >= 0 {
					v := compare.Judge(s.Points[prev].values, pt.values, p.Alpha, 1-p.Alpha)
					pt.Delta, pt.P = Float(delta(float64(s.Points[prev].Stat.Center), float64(pt.Stat.Center))), Float(v.P)
				}
				prev = i
				continue
			}
			pt.RunID, pt.Delta, pt.P = runs[i].Manifest.RunID, Float(math.NaN()), Float(math.NaN())
			if started {
				pt.Gap = gapReason(runs[i].Manifest, k.config, k.bench)
				s.Gaps++
			}
		}
		all = append(all, s)
	}
	rep.Tests = changePoints(all, kinds, p, segment)
	for _, s := range all {
		for _, pt := range s.Points {
			if pt.Change {
				s.Changes++
			}
		}
	}
	rep.Series = all
	slices.SortStableFunc(rep.Series, func(a, b *Series) int {
		return cmp.Or(cmp.Compare(a.Config, b.Config), cmp.Compare(a.Benchmark, b.Benchmark), cmp.Compare(a.Unit, b.Unit))
	})
	return rep, nil
}

// delta is (b−a)/a, ±Inf from zero, 0 between equal values.
func delta(a, b float64) float64 {
	switch {
	case a == b:
		return 0
	case a == 0:
		return math.Inf(int(math.Copysign(1, b)))
	}
	return b/a - 1
}

// A boundary is a place between two runs with data of a series where a
// change point may be: before data point at, in the series' data points.
type boundary struct {
	s   *Series
	at  int   // index into the series' data points: the first run after
	idx []int // the series' data points (indices into Points)
	row Row
}

// changePoints marks the change points of every series (see Trend) and
// returns how many boundaries it tested.
func changePoints(all []*Series, kinds map[*Series]string, p Policy, segment int) int {
	var tests []*boundary
	bySeries := map[*Series][]*boundary{}
	for _, s := range all {
		var idx []int
		for i, pt := range s.Points {
			if pt.Stat != nil {
				idx = append(idx, i)
			}
		}
		if !s.Gated {
			s.NoSearch = "not gated"
			continue
		}
		for at := segment; at+segment <= len(idx); at++ {
			b := &boundary{s: s, at: at, idx: idx}
			b.row = stepRow(s, idx[at-segment:at], idx[at:at+segment], p, kinds[s])
			if b.row.Verdict == Imprecise {
				s.NoSearch = b.row.Why
				continue
			}
			tests = append(tests, b)
			bySeries[s] = append(bySeries[s], b)
		}
	}
	rows := make([]Row, len(tests))
	for i, b := range tests {
		rows[i] = b.row
	}
	judge(rows, p)
	for i, b := range tests {
		b.row = rows[i]
	}
	for s, bs := range bySeries {
		var kept []*boundary
		for _, b := range bs {
			if isChange(b.row.Verdict) {
				kept = append(kept, b)
			}
		}
		kept = suppress(kept, segment)
		// Confirm each on its whole adjacent segments until stable.
		for changed := true; changed && len(kept) > 0; {
			changed = false
			for i, b := range kept {
				lo, hi := 0, len(b.idx)
				if i > 0 {
					lo = kept[i-1].at
				}
				if i+1 < len(kept) {
					hi = kept[i+1].at
				}
				row := stepRow(s, b.idx[lo:b.at], b.idx[b.at:hi], p, kinds[s])
				row.Q = b.row.Q
				row.decide(p)
				if !isChange(row.Verdict) {
					kept = slices.Delete(kept, i, i+1)
					changed = true
					break
				}
				kept[i].row.Delta, kept[i].row.CILow, kept[i].row.CIHigh = row.Delta, row.CILow, row.CIHigh
				kept[i].row.P, kept[i].row.Verdict, kept[i].row.Why = row.P, row.Verdict, row.Why
				kept[i].row.Base.N, kept[i].row.Cand.N = b.at-lo, hi-b.at // runs, for Step
			}
		}
		for _, b := range kept {
			pt := &s.Points[b.idx[b.at]]
			pt.Change, pt.Verdict = true, b.row.Verdict
			pt.Step = &Step{Before: b.row.Base.N, After: b.row.Cand.N, Delta: b.row.Delta, CILow: b.row.CILow, CIHigh: b.row.CIHigh,
				P: b.row.P, Q: b.row.Q, Why: b.row.Why}
		}
	}
	return len(tests)
}

func isChange(v Verdict) bool { return v == Regression || v == Improvement || v == Changed }

// suppress keeps, of candidates closer than segment data points, the most
// significant (then the larger step, then the earlier).
func suppress(bs []*boundary, segment int) []*boundary {
	var out []*boundary
	for i := 0; i < len(bs); {
		j := i + 1
		for j < len(bs) && bs[j].at-bs[j-1].at < segment {
			j++
		}
		best := bs[i]
		for _, b := range bs[i+1 : j] {
			if b.row.P < best.row.P || b.row.P == best.row.P && math.Abs(float64(b.row.Delta)) > math.Abs(float64(best.row.Delta)) {
				best = b
			}
		}
		out = append(out, best)
		i = j
	}
	return out
}

// stepRow is the gate's row for the runs after a boundary against the runs
// before it, their samples pooled (not yet judged unless not judgeable).
func stepRow(s *Series, before, after []int, p Policy, kind string) Row {
	var bv, av []float64
	bops, aops := math.MaxInt, math.MaxInt
	for _, i := range before {
		bv = append(bv, s.Points[i].values...)
		bops = min(bops, s.Points[i].ops)
	}
	for _, i := range after {
		av = append(av, s.Points[i].values...)
		aops = min(aops, s.Points[i].ops)
	}
	slices.Sort(bv)
	slices.Sort(av)
	v := compare.Judge(bv, av, p.Alpha, 1-p.Alpha)
	bm, am := results.Median(bv), results.Median(av)
	c := compare.Comparison{Table: s.Config, Row: s.Benchmark, Unit: s.Unit, Better: s.Better,
		Base: compare.Summary{Center: bm, N: len(bv), MinIters: bops}, Cand: compare.Summary{Center: am, N: len(av), MinIters: aops},
		Delta: delta(bm, am), Effect: v.Effect, P: v.P}
	c.Significant = c.P <= p.Alpha
	r := Row{Config: s.Config, Benchmark: s.Benchmark, Unit: s.Unit, Better: s.Better, Gated: true, Threshold: s.Threshold,
		Delta: Float(c.Delta), P: Float(c.P), Q: Float(math.NaN()), CILow: Float(v.Effect.Lo), CIHigh: Float(v.Effect.Hi),
		Base: Stat{Center: Float(bm), N: len(bv)}, Cand: Stat{Center: Float(am), N: len(av)}}
	if why := p.imprecise(c, kind); why != "" {
		r.Verdict, r.Why = Imprecise, why
	} else if math.IsNaN(v.P) {
		r.Verdict, r.Why = TooFewSamples, v.Reason
	}
	return r
}

// gapReason says why a run has no data for a series: its cell's status
// and reason when the manifest has the cell.
func gapReason(m *results.Manifest, table, benchmark string) string {
	if c := CellFor(m, table, benchmark); c != nil {
		if c.Status == results.StatusOK {
			return "the cell ran ok but reported no such metric"
		}
		return string(c.Status) + suffix(results.FirstLine(c.Reason))
	}
	for _, c := range m.Cells {
		if configMatches(c.Config, table) && c.Status.Failed() {
			return string(c.Status) + suffix(results.FirstLine(c.Reason))
		}
	}
	return "not in this run (spec changed?)"
}

// SelectHistory picks the runs of a trend: those of spec (the newest run's
// when empty) on host (the newest run's when empty) that finished, the
// last max of them (all when max <= 0), and says what it skipped.
func SelectHistory(stored []results.Stored, spec, hostID string, max int) ([]results.Stored, []Skip) {
	runs := slices.Clone(stored)
	results.SortNewestFirst(runs)
	var out []results.Stored
	var skipped []Skip
	for _, s := range runs {
		m := s.Manifest
		if spec == "" {
			spec = m.Name
		}
		if m.Name != spec {
			continue
		}
		if hostID == "" {
			hostID = m.Host.ID
		}
		reason := ""
		switch {
		case m.Host.ID != hostID:
			reason = fmt.Sprintf("another host: %s (%s)", m.Host.ID, m.Host.Label())
		case m.Status == results.RunRunning:
			reason = "still running (or its harness died)"
		case m.Shard != "":
			reason = "a single shard (" + m.Shard + ")"
		case max > 0 && len(out) >= max:
			reason = fmt.Sprintf("older than the last %d runs", max)
		}
		if reason != "" {
			skipped = append(skipped, Skip{RunID: m.RunID, Reason: reason})
			continue
		}
		out = append(out, s)
	}
	slices.Reverse(out)
	return out, skipped
}

var sparks = []rune("▁▂▃▄▅▆▇█")

// Scale returns the range the sparkline spans: the medians' minimum and
// maximum, widened to at least ± the series' threshold around their
// median, so changes smaller than the gate cares about stay flat.
func (s *Series) Scale() (lo, hi float64) {
	var cs []float64
	for _, p := range s.Points {
		if p.Stat != nil {
			cs = append(cs, float64(p.Stat.Center))
		}
	}
	if len(cs) == 0 {
		return math.NaN(), math.NaN()
	}
	slices.Sort(cs)
	mid := math.Abs(results.Median(cs))
	return math.Min(cs[0], results.Median(cs)-s.Threshold*mid), math.Max(cs[len(cs)-1], results.Median(cs)+s.Threshold*mid)
}

// Range returns the medians' minimum and maximum.
func (s *Series) Range() (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, p := range s.Points {
		if p.Stat != nil {
			lo, hi = math.Min(lo, float64(p.Stat.Center)), math.Max(hi, float64(p.Stat.Center))
		}
	}
	return lo, hi
}

// Sparkline draws a series' medians as a line of block characters on the
// range Scale returns; a gap is "·", a run before the series began is a
// space.
func (s *Series) Sparkline() string {
	lo, hi := s.Scale()
	var b strings.Builder
	for _, p := range s.Points {
		switch {
		case p.Stat != nil:
			i := 0
			if hi > lo {
				i = int(math.Round((float64(p.Stat.Center) - lo) / (hi - lo) * float64(len(sparks)-1)))
			}
			b.WriteRune(sparks[max(0, min(i, len(sparks)-1))])
		case p.Gap != "":
			b.WriteRune('·')
		default:
			b.WriteRune(' ')
		}
	}
	return b.String()
}

// rangeText states the medians' range and its spread: "70.1µs – 70.6µs
// (0.713%)".
func (s *Series) rangeText() string {
	lo, hi := s.Range()
	if lo > hi {
		return "—"
	}
	out := FormatValue(lo, s.Unit) + " – " + FormatValue(hi, s.Unit)
	if lo > 0 {
		out += " (" + Percent(hi/lo-1) + ")"
	}
	return out
}

// latest returns the last point with data.
func (s *Series) latest() *Point {
	for i := len(s.Points) - 1; i >= 0; i-- {
		if s.Points[i].Stat != nil {
			return &s.Points[i]
		}
	}
	return nil
}

// WriteMarkdown renders the trend: a summary table (latest median, a
// sparkline of the history, change points, gaps) and, per series with a
// change point or a gap, its run-by-run table in a collapsed section. units
// limits the series shown (tidied or raw units; all gated ones when empty).
func (t *TrendReport) WriteMarkdown(w io.Writer, units []string, limit int) error {
	w = escape.NewWriter(w) // labels, reasons and names come from outside
	if limit <= 0 {
		limit = MaxMarkdown
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Trend: %s on %s (`%s`)\n\n", cell(t.Spec), cell(t.Host), cell(t.HostID))
	if len(t.Runs) == 0 {
		b.WriteString("No stored runs.\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	fdr := "FDR off"
	if t.FDR > 0 {
		fdr = "Benjamini–Hochberg over the " + Plural(t.Tests, "boundary") + " tested, FDR " + Percent(t.FDR)
	}
	fmt.Fprintf(&b, "%s from %s to %s, oldest first. A change point (◆) is a step the gate would call a change between the runs before and after it, "+
		"at least %d with data on each side, their samples pooled (Mann-Whitney U, α = %g, %s; the step's interval wholly beyond the gate's threshold); "+
		"Δ is the step between the adjacent segments. A gap (·) is a run where the benchmark produced no data after it had begun. "+
		"Each sparkline spans the medians' range, widened to at least ± the threshold around their median, so changes below it stay flat.\n\n",
		Plural(len(t.Runs), "run"), t.Runs[0].Started.UTC().Format(time.DateTime), t.Runs[len(t.Runs)-1].Started.UTC().Format(time.DateTime), t.Segment, t.Alpha, fdr)
	if len(t.Skipped) > 0 {
		fmt.Fprintf(&b, "<details><summary>%s left out</summary>\n\n", Plural(len(t.Skipped), "stored run"))
		for _, s := range t.Skipped {
			fmt.Fprintf(&b, "- `%s`: %s\n", cell(s.RunID), line(s.Reason))
		}
		b.WriteString("\n</details>\n\n")
	}
	shown := t.filter(units)
	b.WriteString("| benchmark | config | metric | latest | history | range | change points | gaps |\n|---|---|---|---|---|---|---|---|\n")
	for i, s := range shown {
		latest := "—"
		if p := s.latest(); p != nil {
			latest = formatStat(*p.Stat, s.Unit)
		}
		changes := "—"
		if s.Changes > 0 {
			var cs []string
			for _, p := range s.Points {
				if p.Change {
					cs = append(cs, fmt.Sprintf("◆ `%s` %s %s %s", p.RunID, SignedPercent(float64(p.Step.Delta)),
						formatCI(Row{CILow: p.Step.CILow, CIHigh: p.Step.CIHigh}), p.Verdict))
				}
			}
			changes = strings.Join(cs, "<br>")
		} else if s.NoSearch != "" {
			changes = "— (not sought: " + line(s.NoSearch) + ")"
		}
		gaps := "—"
		if s.Gaps > 0 {
			gaps = fmt.Sprint(s.Gaps)
			if p := s.Points[len(s.Points)-1]; p.Gap != "" {
				gaps += " (stopped: " + line(p.Gap) + ")"
			}
		}
		l := fmt.Sprintf("| %s | %s | %s | %s | `%s` | %s | %s | %s |\n", cell(s.Benchmark), cell(s.Config), cell(s.Unit), cell(latest),
			s.Sparkline(), cell(s.rangeText()), cell(changes), cell(gaps))
		if b.Len()+len(l) > limit/2 {
			fmt.Fprintf(&b, "\n*… %d more series not shown (size limit); trend.csv has every point.*\n", len(shown)-i)
			break
		}
		b.WriteString(l)
	}
	b.WriteString("\n")
	for _, s := range shown {
		if s.Changes == 0 && s.Gaps == 0 {
			continue
		}
		var d strings.Builder
		fmt.Fprintf(&d, "<details><summary>%s %s (%s)</summary>\n\n| run | started | median | 95%% CI | n | Δ vs previous | p | |\n|---|---|---|---|---|---|---|---|\n",
			cell(s.Benchmark), cell(s.Unit), cell(s.Config))
		for i, p := range s.Points {
			started := t.Runs[i].Started.UTC().Format(time.DateTime)
			switch {
			case p.Stat != nil:
				flag := ""
				if p.Change {
					flag = fmt.Sprintf("◆ %s: %d runs after vs %d before %s %s (p %s, q %s)", p.Verdict, p.Step.After, p.Step.Before,
						SignedPercent(float64(p.Step.Delta)), formatCI(Row{CILow: p.Step.CILow, CIHigh: p.Step.CIHigh}),
						formatP(float64(p.Step.P)), formatP(float64(p.Step.Q)))
				}
				delta, pv := "", ""
				if !math.IsNaN(float64(p.Delta)) {
					delta, pv = SignedPercent(float64(p.Delta)), formatP(float64(p.P))
				}
				fmt.Fprintf(&d, "| `%s` | %s | %s | %s – %s | %d | %s | %s | %s |\n", cell(p.RunID), started,
					FormatValue(float64(p.Stat.Center), s.Unit), FormatValue(float64(p.Stat.Lo), s.Unit), FormatValue(float64(p.Stat.Hi), s.Unit),
					p.Stat.N, delta, pv, flag)
			case p.Gap != "":
				fmt.Fprintf(&d, "| `%s` | %s | · no data | | | | | %s |\n", cell(p.RunID), started, cell(p.Gap))
			}
		}
		d.WriteString("\n</details>\n\n")
		if b.Len()+d.Len() > limit-200 {
			b.WriteString("*… more series details not shown (size limit); trend.csv has every point.*\n")
			break
		}
		b.WriteString(d.String())
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// filter returns the series to show: those whose unit is listed (raw or
// tidied), or the gated ones when units is empty.
// Shown returns the series trend.md shows: those of the given metrics, or
// the gated ones when units is empty.
func (t *TrendReport) Shown(units []string) []*Series { return t.filter(units) }

func (t *TrendReport) filter(units []string) []*Series {
	var out []*Series
	for _, s := range t.Series {
		if len(units) == 0 && s.Gated || slices.ContainsFunc(units, func(u string) bool { return TidyUnit(u) == TidyUnit(s.Unit) }) {
			out = append(out, s)
		}
	}
	return out
}

// WriteCSV writes every point of every series, one row each: run id,
// start time, configuration, benchmark, unit, median, interval, n, the
// change from the previous point with data, its p-value and verdict, and
// the gap reason.
func (t *TrendReport) WriteCSV(w io.Writer) error {
	w = escape.NewWriter(w) // labels, reasons and names come from outside
	cw := csv.NewWriter(w)
	cw.Write([]string{"run_id", "started", "config", "benchmark", "unit", "median", "lo", "hi", "n", "delta_prev", "p_prev", "verdict", "change_point", "gap",
		"step_delta", "step_ci_low", "step_ci_high", "step_p", "step_q"})
	num := func(f Float) string {
		if math.IsNaN(float64(f)) {
			return ""
		}
		return strconv.FormatFloat(float64(f), 'g', -1, 64)
	}
	for _, s := range t.Series {
		for i, p := range s.Points {
			if p.Stat == nil && p.Gap == "" {
				continue
			}
			rec := []string{p.RunID, t.Runs[i].Started.UTC().Format(time.RFC3339), s.Config, s.Benchmark, s.Unit, "", "", "", "",
				num(p.Delta), num(p.P), string(p.Verdict), strconv.FormatBool(p.Change), p.Gap, "", "", "", "", ""}
			if p.Step != nil {
				rec[14], rec[15], rec[16], rec[17], rec[18] = num(p.Step.Delta), num(p.Step.CILow), num(p.Step.CIHigh), num(p.Step.P), num(p.Step.Q)
			}
			if p.Stat != nil {
				rec[5], rec[6], rec[7], rec[8] = num(p.Stat.Center), num(p.Stat.Lo), num(p.Stat.Hi), strconv.Itoa(p.Stat.N)
			}
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}
