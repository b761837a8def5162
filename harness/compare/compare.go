package compare

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/perfharness/harness/harness/results"
	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
	"golang.org/x/perf/benchproc"
	"golang.org/x/perf/benchunit"
)

// Options choose how results are split into tables, rows and columns, and
// the statistics. Projections and the filter use benchproc syntax, as
// benchstat's -table, -row, -col and -filter flags do
// (go doc golang.org/x/perf/benchproc/syntax).
type Options struct {
	// Col, Row, Table and Filter are benchproc expressions; "" chooses a
	// default from the data: Col becomes the configuration keys that vary
	// between results of the same benchmark (e.g. "toolchain" or
	// "goexperiment"; the first two when several vary, or ".file" when
	// none does and several files were read), Row ".fullname", Table
	// ".config" (the remaining configuration) and Filter "*".
	Col, Row, Table, Filter string
	// Ignore lists configuration keys (comma separated) to leave out of
	// the .config tables and of the "benchmarks vary in" warnings. The
	// keys that identify a run rather than a configuration (RunKeys) are
	// always ignored unless a projection names them.
	Ignore     string
	Alpha      float64 // significance level; 0 means 0.05
	Confidence float64 // confidence level of the intervals; 0 means 0.95
}

// RunKeys are the configuration keys that identify the run or the host
// rather than what was measured: comparisons match results across runs
// regardless of them (host differences are reported separately).
var RunKeys = []string{"harness-run", "host-id", "host-goamd64", "cpu", "goos", "goarch"}

// autoColSkip are keys never chosen as the default column: they identify
// the run, or (workload, pkg) the benchmark itself.
var autoColSkip = append([]string{"workload", "pkg"}, RunKeys...)

// A Summary is the center of a sample with its confidence interval:
// the median for the default assumption, or the exact value for units
// declared assume=exact.
type Summary struct {
	Center, Lo, Hi float64
	N              int
	Values         []float64 // sorted
	// MinIters is the fewest iterations behind one value: for a fixed-rate
	// or http run, its ops, on which the precision of a tail quantile
	// rests.
	MinIters int
	Warnings []string // e.g. "need >= 6 samples for confidence interval at level 0.95"
}

// A Comparison is the verdict on one benchmark × configuration × unit:
// a candidate sample against a base sample.
type Comparison struct {
	Table, Row, Unit     string // table key (configuration), row key (benchmark), unit (tidied: sec/op, p99-sec)
	BaseLabel, CandLabel string // column labels
	Base, Cand           Summary
	Better               int     // +1 higher is better, -1 lower is better, 0 unknown
	Delta                float64 // (Cand.Center-Base.Center)/Base.Center, signed
	// Effect is the change with its confidence interval at the report's
	// confidence level (EffectOf; exact units: Delta, without spread).
	Effect Effect
	P      float64 // Mann-Whitney U p-value (0 for exact units that differ)
	// Significant is P ≤ Alpha, the rule benchstat uses to print a delta
	// rather than "~" (so the two never disagree, even at the boundary).
	Significant bool
	Regression  bool     // Significant and worse in the unit's direction
	Warnings    []string // sample-size warnings, as benchstat gives them
	// Host, when set, says the comparison is of the figures brought to
	// one host speed, and holds the comparison as measured (HostAdjust).
	Host *HostAdjust

	alpha float64
}

// Improvement reports whether c is significant and better in its unit's
// direction.
func (c *Comparison) Improvement() bool {
	return c.Significant && c.Better != 0 && c.Delta*float64(c.Better) > 0
}

// A Report is the result of a comparison: benchstat-style tables, one per
// table key and unit.
type Report struct {
	Options  Options // resolved: every default filled in
	Tables   []*Table
	Warnings []string // problems that concern no single cell (e.g. filter errors)
}

// A Table holds every result with one table key and unit. Each row is a
// benchmark, each column a configuration; every cell but those in the
// first column is compared with the first column's cell of its row.
type Table struct {
	Config  []KV   // table key without the unit; a key the table lacks has ""
	Unit    string // tidied unit
	Better  int    // direction of Unit
	Summary string // name of the center statistic: "median" or "exact"
	Cols    []string
	Rows    []*Row
	Geomean []*Geomean // per column; nil when the table has one row

	// colKeys are the columns' values of each column key (toolchain,
	// goexperiment), for the text header; nil for tables made by NewTable.
	colKeys [][]string
}

// A KV is a configuration key and value (the harness's one pair type).
type KV = results.KV

// ConfigString renders a table key as "key: value" pairs, leaving out the
// keys the table lacks.
func (t *Table) ConfigString() string {
	var b strings.Builder
	for _, kv := range t.Config {
		if kv.Value == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s: %s", kv.Key, kv.Value)
	}
	return b.String()
}

// A Row is one benchmark in a Table.
type Row struct {
	Name  string
	Cells []*Cell // per column; nil where the benchmark has no result
}

// A Cell summarizes one sample; Cmp compares it with the base column (nil
// in the base column, or when the row has no base).
type Cell struct {
	Summary
	Cmp *Comparison
}

// A Geomean summarizes a column: the geometric mean of its centers, and of
// its ratios to the base column.
type Geomean struct {
	HasValue bool
	Value    float64
	HasRatio bool
	Ratio    float64 // geomean of cand/base center ratios
	Warnings []string
}

// Comparisons returns every cell of every table compared with its base, in
// table, row, column order.
func (r *Report) Comparisons() []Comparison {
	var out []Comparison
	for _, t := range r.Tables {
		for _, row := range t.Rows {
			for _, c := range row.Cells {
				if c != nil && c.Cmp != nil {
					out = append(out, *c.Cmp)
				}
			}
		}
	}
	return out
}

// Compare builds the tables of s, columns from opts.Col compared with the
// first column.
func (s *Set) Compare(opts Options) (*Report, error) {
	opts = s.defaults(opts)
	return build(s.results, s.units, opts)
}

// sideKey is the configuration key Pair adds to tell base from candidate.
const sideKey = ".side"

// Pair compares the same benchmark × configuration × unit across two Sets
// (yesterday's run and today's, say): base against cand. The run-identifying
// keys (RunKeys) are ignored when matching, and opts.Col is not used (the
// columns are the two Sets). Results present on one side only are left
// out.
func Pair(base, cand *Set, opts Options) ([]Comparison, error) {
	rep, err := PairReport(base, cand, opts)
	if err != nil {
		return nil, err
	}
	return rep.Comparisons(), nil
}

// PairReport is Pair as a Report, for rendering: two columns per table,
// rows present on only one side included.
func PairReport(base, cand *Set, opts Options) (*Report, error) {
	bl, cl := base.Label(), cand.Label()
	if bl == cl {
		bl, cl = "base "+bl, "cand "+cl
	}
	var all []*benchfmt.Result
	for _, side := range []struct {
		set   *Set
		label string
	}{{base, bl}, {cand, cl}} {
		for _, r := range side.set.results {
			r = r.Clone()
			// Note: one .file per side, so several files on a side
			// do not vary within a cell. Not SetConfig(".file", ""):
			// deleting swaps the last key into its place, which
			// reorders the table keys (benchstat prints them in the
			// order the files first set them).
			r.SetConfig(".file", side.label)
			r.SetConfig(sideKey, side.label)
			all = append(all, r)
		}
	}
	units := benchfmt.UnitMetadataMap{}
	for k, u := range base.units {
		units[k] = u
	}
	for k, u := range cand.units {
		if _, ok := units[k]; !ok {
			units[k] = u
		}
	}
	opts.Col = sideKey
	merged := &Set{results: all, units: units}
	opts = merged.defaults(opts)
	return build(all, units, opts)
}

// defaults fills in the options left empty.
func (s *Set) defaults(o Options) Options {
	if o.Alpha == 0 {
		o.Alpha = benchmath.DefaultThresholds.CompareAlpha
	}
	if o.Confidence == 0 {
		o.Confidence = 0.95
	}
	if o.Row == "" {
		o.Row = ".fullname"
	}
	if o.Table == "" {
		o.Table = ".config"
	}
	if o.Filter == "" {
		o.Filter = "*"
	}
	if o.Col == "" {
		o.Col = s.defaultCol()
	}
	return o
}

// defaultCol picks the configuration keys that vary between results of the
// same benchmark, in the order they first appear.
func (s *Set) defaultCol() string {
	var order []string
	vals := map[string]map[string]map[string]bool{} // key -> benchmark -> values
	names := map[string]bool{}
	for _, r := range s.results {
		names[string(r.Name)] = true
		for _, c := range r.Config {
			if !c.File || slices.Contains(autoColSkip, c.Key) {
				continue
			}
			if vals[c.Key] == nil {
				vals[c.Key] = map[string]map[string]bool{}
				order = append(order, c.Key)
			}
		}
	}
	for _, r := range s.results {
		name := string(r.Name)
		for _, k := range order {
			if vals[k][name] == nil {
				vals[k][name] = map[string]bool{}
			}
			vals[k][name][r.GetConfig(k)] = true
		}
	}
	var varying []string
	for _, k := range order {
		for _, vs := range vals[k] {
			if len(vs) > 1 {
				varying = append(varying, k)
				break
			}
		}
	}
	switch {
	case len(varying) == 0:
		return ".file"
	case len(varying) > 2:
		varying = varying[:2]
	}
	return strings.Join(varying, ",")
}

// Validate checks opts for values out of range and projections that do not
// parse, without reading any results.
func (o Options) Validate() error {
	o = (&Set{}).defaults(o)
	if o.Alpha < 0 || o.Alpha > 1 || math.IsNaN(o.Alpha) {
		return fmt.Errorf("alpha must be in [0, 1] (got %v)", o.Alpha)
	}
	if o.Confidence <= 0 || o.Confidence >= 1 || math.IsNaN(o.Confidence) {
		return fmt.Errorf("confidence must be in (0, 1) (got %v)", o.Confidence)
	}
	_, err := parseProjections(o)
	return err
}

type projections struct {
	filter                   *benchproc.Filter
	table, row, col, residue *benchproc.Projection
	unitField                *benchproc.Field
}

func parseProjections(o Options) (*projections, error) {
	p := &projections{}
	var err error
	if p.filter, err = benchproc.NewFilter(o.Filter); err != nil {
		return nil, fmt.Errorf("parsing filter %q: %w", o.Filter, err)
	}
	var parser benchproc.ProjectionParser
	if p.table, p.unitField, err = parser.ParseWithUnit(o.Table, p.filter); err != nil {
		return nil, fmt.Errorf("parsing table %q: %w", o.Table, err)
	}
	if p.row, err = parser.Parse(o.Row, p.filter); err != nil {
		return nil, fmt.Errorf("parsing row %q: %w", o.Row, err)
	}
	if p.col, err = parser.Parse(o.Col, p.filter); err != nil {
		return nil, fmt.Errorf("parsing col %q: %w", o.Col, err)
	}
	named := o.Table + "," + o.Row + "," + o.Col
	var ignore []string
	for _, k := range RunKeys {
		if !strings.Contains(named, k) {
			ignore = append(ignore, k)
		}
	}
	for _, k := range strings.Split(o.Ignore, ",") {
		if k = strings.TrimSpace(k); k != "" {
			ignore = append(ignore, k)
		}
	}
	ignore = append(ignore, sideKey)
	if _, err := parser.Parse(strings.Join(ignore, ","), nil); err != nil {
		return nil, fmt.Errorf("parsing ignore %q: %w", o.Ignore, err)
	}
	p.residue = parser.Residue()
	return p, nil
}

type cellKey struct{ row, col benchproc.Key }

type accCell struct {
	values   []float64
	probes   []float64 // each value's run's host probe time (HostProbeUnit), NaN when it has none
	minIters int
	residue  map[benchproc.Key]bool
}

type accTable struct {
	rows, cols map[benchproc.Key]bool
	cells      map[cellKey]*accCell
}

// build groups results into tables the way benchstat does and computes
// the statistics.
func build(results []*benchfmt.Result, units benchfmt.UnitMetadataMap, o Options) (*Report, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	p, err := parseProjections(o)
	if err != nil {
		return nil, err
	}
	rep := &Report{Options: o}
	thresholds := benchmath.DefaultThresholds
	thresholds.CompareAlpha = o.Alpha
	tables := map[benchproc.Key]*accTable{}
	filterErrs := map[string]bool{}
	for _, r0 := range results {
		r := r0.Clone()
		ok, err := p.filter.Apply(r)
		if !ok {
			if err != nil && !filterErrs[err.Error()] {
				filterErrs[err.Error()] = true
				rep.Warnings = append(rep.Warnings, err.Error())
			}
			continue
		}
		tkeys := p.table.ProjectValues(r)
		probe := math.NaN()
		for _, v := range r.Values {
			if v.Unit == HostProbeUnit {
				probe = v.Value
			}
		}
		rk, ck, res := p.row.Project(r), p.col.Project(r), p.residue.Project(r)
		for i, tk := range tkeys {
			t := tables[tk]
			if t == nil {
				t = &accTable{rows: map[benchproc.Key]bool{}, cols: map[benchproc.Key]bool{}, cells: map[cellKey]*accCell{}}
				tables[tk] = t
			}
			k := cellKey{rk, ck}
			c := t.cells[k]
			if c == nil {
				c = &accCell{residue: map[benchproc.Key]bool{}}
				t.cells[k] = c
				t.rows[rk], t.cols[ck] = true, true
			}
			c.values = append(c.values, r.Values[i].Value)
			c.probes = append(c.probes, probe)
			if len(c.values) == 1 || r.Iters < c.minIters {
				c.minIters = r.Iters
			}
			c.residue[res] = true
		}
	}
	tkeys := sortedKeys(tables)
	for _, tk := range tkeys {
		at := tables[tk]
		unit := tk.Get(p.unitField)
		assumption := units.GetAssumption(unit)
		t := &Table{Unit: unit, Better: better(units, unit), Summary: assumption.SummaryLabel()}
		for _, f := range tk.Projection().FlattenedFields() {
			if f == p.unitField {
				continue
			}
			t.Config = append(t.Config, KV{Key: f.Name, Value: tk.Get(f)})
		}
		rows, cols := sortedKeys(at.rows), sortedKeys(at.cols)
		for _, c := range cols {
			t.Cols = append(t.Cols, colLabel(c))
			var vals []string
			for _, f := range c.Projection().FlattenedFields() {
				vals = append(vals, c.Get(f))
			}
			t.colKeys = append(t.colKeys, vals)
		}
		tableName := t.ConfigString()
		samples := map[cellKey]*benchmath.Sample{}
		for k, c := range at.cells {
			samples[k] = benchmath.NewSample(slices.Clone(c.values), &thresholds)
		}
		for _, rk := range rows {
			row := &Row{Name: rk.StringValues(), Cells: make([]*Cell, len(cols))}
			var base *Cell
			for j, ck := range cols {
				k := cellKey{rk, ck}
				sample := samples[k]
				if sample == nil {
					continue
				}
				var vary []string
				if nsk := benchproc.NonSingularFields(sortedKeys(at.cells[k].residue)); len(nsk) > 0 {
					names := make([]string, len(nsk))
					for i, f := range nsk {
						names[i] = f.Name
					}
					vary = append(vary, "benchmarks vary in "+strings.Join(names, ", "))
				}
				cell := &Cell{Summary: summarize(assumption, sample, o.Confidence, vary...)}
				cell.MinIters = at.cells[k].minIters
				if j == 0 {
					base = cell
				} else if base != nil {
					bk := cellKey{rk, cols[0]}
					cell.Cmp = compareCells(assumption, samples[bk], sample, base, cell, t, j, tableName, row.Name, o.Alpha, o.Confidence)
					cell.Cmp.adjustForHost(assumption, at.cells[bk], at.cells[k], o.Confidence)
				}
				row.Cells[j] = cell
			}
			t.Rows = append(t.Rows, row)
		}
		if len(t.Rows) > 1 {
			t.Geomean = geomeans(t)
		}
		rep.Tables = append(rep.Tables, t)
	}
	return rep, nil
}

// summarize summarizes a sample; its warnings are the sample's, then
// sampleWarnings, then the summary's, in benchstat's order (which numbers
// the footnotes).
func summarize(a benchmath.Assumption, s *benchmath.Sample, confidence float64, sampleWarnings ...string) Summary {
	sum := a.Summary(s, confidence)
	out := Summary{Center: sum.Center, Lo: sum.Lo, Hi: sum.Hi, N: len(s.Values), Values: s.Values}
	out.Warnings = append(out.Warnings, errStrings(s.Warnings)...)
	out.Warnings = append(out.Warnings, sampleWarnings...)
	out.Warnings = append(out.Warnings, errStrings(sum.Warnings)...)
	return out
}

func compareCells(a benchmath.Assumption, bs, cs *benchmath.Sample, base, cell *Cell, t *Table, col int, table, row string, alpha, confidence float64) *Comparison {
	c := a.Compare(bs, cs)
	cmp := &Comparison{
		Table: table, Row: row, Unit: t.Unit,
		BaseLabel: t.Cols[0], CandLabel: t.Cols[col],
		Base: base.Summary, Cand: cell.Summary,
		Better: t.Better, P: c.P,
		Warnings: errStrings(c.Warnings),
		alpha:    alpha,
	}
	cmp.Delta = delta(base.Center, cell.Center)
	if a == benchmath.AssumeExact {
		cmp.Effect = Effect{Center: cmp.Delta, Lo: cmp.Delta, Hi: cmp.Delta, Confidence: confidence}
	} else {
		cmp.Effect = EffectOf(bs.Values, cs.Values, confidence)
	}
	// benchstat prints "~" when P > alpha; exact units have P 0.
	cmp.Significant = !(c.P > alpha)
	cmp.Regression = cmp.Significant && cmp.Better != 0 && cmp.Delta*float64(cmp.Better) < 0
	return cmp
}

func delta(base, cand float64) float64 {
	switch {
	case base == cand:
		return 0
	case base == 0:
		return math.Inf(int(math.Copysign(1, cand)))
	}
	return cand/base - 1
}

// geomeans summarizes each column as benchstat does: the geomean of the
// ratios to the base (not the ratio of geomeans), with a warning when the
// column's benchmarks differ from the base column's.
func geomeans(t *Table) []*Geomean {
	nBase := 0
	for _, r := range t.Rows {
		if r.Cells[0] != nil {
			nBase++
		}
	}
	out := make([]*Geomean, len(t.Cols))
	for j := range t.Cols {
		g := &Geomean{}
		var centers, ratios []float64
		badRatio := false
		for _, r := range t.Rows {
			c := r.Cells[j]
			if c == nil {
				continue
			}
			centers = append(centers, c.Center)
			if j > 0 && r.Cells[0] != nil {
				a, b := c.Center, r.Cells[0].Center
				switch {
				case a == b:
					ratios = append(ratios, 1)
				case b == 0:
					badRatio = true
					ratios = append(ratios, 0)
				default:
					ratios = append(ratios, a/b)
				}
			}
		}
		if j > 0 && nBase != len(ratios) {
			g.Warnings = append(g.Warnings, "benchmark set differs from baseline; geomeans may not be comparable")
		}
		if gm := geoMean(centers); math.IsNaN(gm) {
			g.Warnings = append(g.Warnings, "summaries must be >0 to compute geomean")
		} else {
			g.HasValue, g.Value = true, gm
		}
		if j > 0 && !badRatio {
			if gm := geoMean(ratios); math.IsNaN(gm) {
				g.Warnings = append(g.Warnings, "ratios must be >0 to compute geomean")
			} else {
				g.HasRatio, g.Ratio = true, gm
			}
		}
		out[j] = g
	}
	return out
}

// colLabel names a column: "key=value" for configuration keys, the bare
// value for the pseudo-keys (.file, .side, .name).
func colLabel(k benchproc.Key) string {
	var parts []string
	for _, f := range k.Projection().FlattenedFields() {
		v := k.Get(f)
		if strings.HasPrefix(f.Name, ".") || strings.HasPrefix(f.Name, "/") {
			parts = append(parts, v)
		} else {
			parts = append(parts, f.Name+"="+v)
		}
	}
	return strings.Join(parts, " ")
}

func sortedKeys[V any](m map[benchproc.Key]V) []benchproc.Key {
	keys := make([]benchproc.Key, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	benchproc.SortKeys(keys)
	return keys
}

func errStrings(errs []error) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}

// geoMean is the geometric mean as benchstat computes it (a running mean of
// the logs), NaN when a value is not positive or there are none.
func geoMean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	m := 0.0
	for i, x := range xs {
		if x <= 0 {
			return math.NaN()
		}
		m += (math.Log(x) - m) / float64(i+1)
	}
	return math.Exp(m)
}

// NewTable builds a table from samples given directly rather than
// projected from a Set: values[row][col] are the values of one benchmark
// row and configuration column, in unit as written in bench.txt (p99-ns;
// tidied here, as a Set's are). Every column is compared with the first,
// as in Compare; a geomean row is added when geomean is set and there are
// several rows. The report's question tables are made this way.
func NewTable(config []KV, unit string, better int, cols, rows []string, values [][][]float64, alpha, confidence float64, geomean bool) *Table {
	if alpha == 0 {
		alpha = benchmath.DefaultThresholds.CompareAlpha
	}
	if confidence == 0 {
		confidence = 0.95
	}
	thresholds := benchmath.DefaultThresholds
	thresholds.CompareAlpha = alpha
	_, tidied := benchunit.Tidy(1, unit)
	factor, _ := benchunit.Tidy(1, unit)
	t := &Table{Config: config, Unit: tidied, Better: better, Summary: benchmath.AssumeNothing.SummaryLabel(), Cols: cols}
	a := benchmath.AssumeNothing
	for i, name := range rows {
		row := &Row{Name: name, Cells: make([]*Cell, len(cols))}
		var baseSample *benchmath.Sample
		var base *Cell
		for j := range cols {
			if i >= len(values) || j >= len(values[i]) || len(values[i][j]) == 0 {
				continue
			}
			vs := make([]float64, len(values[i][j]))
			for k, v := range values[i][j] {
				vs[k] = v * factor
			}
			sample := benchmath.NewSample(vs, &thresholds)
			cell := &Cell{Summary: summarize(a, sample, confidence)}
			if j == 0 {
				base, baseSample = cell, sample
			} else if base != nil {
				cell.Cmp = compareCells(a, baseSample, sample, base, cell, t, j, t.ConfigString(), name, alpha, confidence)
			}
			row.Cells[j] = cell
		}
		t.Rows = append(t.Rows, row)
	}
	if geomean && len(t.Rows) > 1 {
		t.Geomean = geomeans(t)
	}
	return t
}
