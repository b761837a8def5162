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
	"github.com/perfharness/harness/harness/results"
)

// A TrendRun is one stored run in a history: its manifest and its results.
type TrendRun struct {
	Path     string
	Manifest *results.Manifest
	Set      *compare.Set
}

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
}

// A Series is one benchmark × configuration × metric across the runs.
type Series struct {
	Config    string  `json:"config"`
	Benchmark string  `json:"benchmark"`
	Unit      string  `json:"unit"`
	Better    int     `json:"better"`
	Gated     bool    `json:"gated"`
	Points    []Point `json:"points"` // one per run of the report, in order
	Changes   int     `json:"change_points"`
	Gaps      int     `json:"gaps"`
}

// A Point is a series in one run: its median with the confidence band, or
// a gap with its reason. Change marks a change point: the gate's rule,
// applied between this run and the previous run that had data, found a
// significant change beyond the threshold.
type Point struct {
	RunID   string  `json:"run_id"`
	Stat    *Stat   `json:"stat,omitempty"`
	Gap     string  `json:"gap,omitempty"` // why there is no data (after the series began)
	Delta   Float   `json:"delta_prev"`    // vs the previous point with data
	P       Float   `json:"p_prev"`
	Verdict Verdict `json:"verdict,omitempty"`
	Change  bool    `json:"change_point"`
}

// Trend builds the history of runs (any order; sorted oldest first here).
// Runs should come from one spec and one host (SelectHistory picks them);
// thresholds and significance follow policy, as the gate would apply them
// between consecutive runs.
func Trend(runs []TrendRun, policy Policy) (*TrendReport, error) {
	p := policy.withDefaults()
	runs = slices.Clone(runs)
	slices.SortStableFunc(runs, func(a, b TrendRun) int {
		return cmp.Or(a.Manifest.Started.Compare(b.Manifest.Started), cmp.Compare(a.Manifest.RunID, b.Manifest.RunID))
	})
	rep := &TrendReport{Alpha: p.Alpha, Runs: []RunInfo{}, Series: []*Series{}, Skipped: []Skip{}}
	if len(runs) == 0 {
		return rep, nil
	}
	last := runs[len(runs)-1].Manifest
	rep.Spec, rep.HostID, rep.Host = last.Name, last.Host.ID, HostLabel(last.Host)
	type key struct{ config, bench, unit string }
	series := map[key]*Series{}
	var order []key
	opts := compare.Options{Alpha: p.Alpha}
	// lastSet[k] is the index of the last run with data for k.
	lastRun := map[key]int{}
	for i, r := range runs {
		rep.Runs = append(rep.Runs, Info(r.Path, r.Manifest))
		self, err := compare.Pair(r.Set, r.Set, opts)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.Path, err)
		}
		present := map[key]bool{}
		for _, c := range self {
			k := key{c.Table, c.Row, c.Unit}
			s := series[k]
			if s == nil {
				lim := p.limit(ConfigValue(c.Table, "workload"), c.Table, c.Row, c.Unit)
				s = &Series{Config: c.Table, Benchmark: c.Row, Unit: c.Unit, Better: c.Better, Gated: lim.Gated,
					Points: make([]Point, len(runs))}
				series[k] = s
				order = append(order, k)
			}
			st := statOf(c.Base)
			s.Points[i] = Point{RunID: r.Manifest.RunID, Stat: &st, Delta: Float(math.NaN()), P: Float(math.NaN())}
			present[k] = true
		}
		// Change points: against the previous run with data.
		prevs := map[int][]key{}
		for k := range present {
			if j, ok := lastRun[k]; ok {
				prevs[j] = append(prevs[j], k)
			}
		}
		for j, keys := range prevs {
			cmps, err := compare.Pair(runs[j].Set, r.Set, opts)
			if err != nil {
				return nil, fmt.Errorf("%s vs %s: %w", runs[j].Path, r.Path, err)
			}
			want := map[key]bool{}
			for _, k := range keys {
				want[k] = true
			}
			for _, c := range cmps {
				k := key{c.Table, c.Row, c.Unit}
				if !want[k] {
					continue
				}
				rows := []Row{assess(c, p, runs[j].Manifest, r.Manifest, nil)}
				judge(rows, p)
				row := rows[0]
				pt := &series[k].Points[i]
				pt.Delta, pt.P, pt.Verdict = Float(c.Delta), Float(c.P), row.Verdict
				switch row.Verdict {
				case Regression, Improvement, Changed:
					pt.Change = true
				}
			}
		}
		for k := range present {
			lastRun[k] = i
		}
	}
	for _, k := range order {
		s := series[k]
		started := false
		for i := range s.Points {
			pt := &s.Points[i]
			if pt.Stat != nil {
				started = true
				if pt.Change {
					s.Changes++
				}
				continue
			}
			pt.RunID, pt.Delta, pt.P = runs[i].Manifest.RunID, Float(math.NaN()), Float(math.NaN())
			if started {
				pt.Gap = gapReason(runs[i].Manifest, k.config, k.bench)
				s.Gaps++
			}
		}
		rep.Series = append(rep.Series, s)
	}
	slices.SortStableFunc(rep.Series, func(a, b *Series) int {
		return cmp.Or(cmp.Compare(a.Config, b.Config), cmp.Compare(a.Benchmark, b.Benchmark), cmp.Compare(a.Unit, b.Unit))
	})
	return rep, nil
}

// gapReason says why a run has no data for a series: its cell's status
// and reason when the manifest has the cell.
func gapReason(m *results.Manifest, table, benchmark string) string {
	if c := CellFor(m, table, benchmark); c != nil {
		if c.Status == results.StatusOK {
			return "the cell ran ok but reported no such metric"
		}
		return string(c.Status) + suffix(firstLine(c.Reason))
	}
	for _, c := range m.Cells {
		if configMatches(c.Config, table) && c.Status.Failed() {
			return string(c.Status) + suffix(firstLine(c.Reason))
		}
	}
	return "not in this run (spec changed?)"
}

// SelectHistory picks the runs of a trend: those of spec (the newest run's
// when empty) on host (the newest run's when empty) that finished, the
// last max of them (all when max <= 0), and says what it skipped.
func SelectHistory(stored []Stored, spec, hostID string, max int) ([]Stored, []Skip) {
	runs := slices.Clone(stored)
	slices.SortStableFunc(runs, func(a, b Stored) int {
		return cmp.Or(b.Manifest.Started.Compare(a.Manifest.Started), cmp.Compare(b.Manifest.RunID, a.Manifest.RunID))
	})
	var out []Stored
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
			reason = fmt.Sprintf("another host: %s (%s)", m.Host.ID, HostLabel(m.Host))
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

// Sparkline draws a series' medians as a line of block characters scaled
// between their minimum and maximum; a gap is "·", a run before the series
// began is a space.
func (s *Series) Sparkline() string {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range s.Points {
		if p.Stat != nil {
			lo, hi = math.Min(lo, float64(p.Stat.Center)), math.Max(hi, float64(p.Stat.Center))
		}
	}
	var b strings.Builder
	for _, p := range s.Points {
		switch {
		case p.Stat != nil:
			i := 0
			if hi > lo {
				i = int(math.Round((float64(p.Stat.Center) - lo) / (hi - lo) * float64(len(sparks)-1)))
			}
			b.WriteRune(sparks[i])
		case p.Gap != "":
			b.WriteRune('·')
		default:
			b.WriteRune(' ')
		}
	}
	return b.String()
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
	fmt.Fprintf(&b, "%s from %s to %s, oldest first. A change point (◆) is a significant change (Mann-Whitney U, α = %g) beyond the gate's threshold from the previous run with data; a gap (·) is a run where the benchmark produced no data after it had begun.\n\n",
		plural(len(t.Runs), "run"), t.Runs[0].Started.UTC().Format(time.DateTime), t.Runs[len(t.Runs)-1].Started.UTC().Format(time.DateTime), t.Alpha)
	if len(t.Skipped) > 0 {
		fmt.Fprintf(&b, "<details><summary>%s left out</summary>\n\n", plural(len(t.Skipped), "stored run"))
		for _, s := range t.Skipped {
			fmt.Fprintf(&b, "- `%s`: %s\n", cell(s.RunID), line(s.Reason))
		}
		b.WriteString("\n</details>\n\n")
	}
	shown := t.filter(units)
	b.WriteString("| benchmark | config | metric | latest | history | change points | gaps |\n|---|---|---|---|---|---|---|\n")
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
					cs = append(cs, fmt.Sprintf("◆ `%s` %s %s", p.RunID, SignedPercent(float64(p.Delta)), p.Verdict))
				}
			}
			changes = strings.Join(cs, "<br>")
		}
		gaps := "—"
		if s.Gaps > 0 {
			gaps = fmt.Sprint(s.Gaps)
			if p := s.Points[len(s.Points)-1]; p.Gap != "" {
				gaps += " (stopped: " + line(p.Gap) + ")"
			}
		}
		l := fmt.Sprintf("| %s | %s | %s | %s | `%s` | %s | %s |\n", cell(s.Benchmark), cell(s.Config), cell(s.Unit), cell(latest),
			s.Sparkline(), changes, cell(gaps))
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
					flag = "◆ " + string(p.Verdict)
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
	cw := csv.NewWriter(w)
	cw.Write([]string{"run_id", "started", "config", "benchmark", "unit", "median", "lo", "hi", "n", "delta_prev", "p_prev", "verdict", "change_point", "gap"})
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
				num(p.Delta), num(p.P), string(p.Verdict), strconv.FormatBool(p.Change), p.Gap}
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
