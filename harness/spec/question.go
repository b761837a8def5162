package spec

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// A Question is what a spec asks of its matrix: how the configurations of
// one or more dimensions compare with a base ("GOEXPERIMENT=jsonv2 against
// nojsonv2", "every allocator against the Go heap"). The report opens with
// its answers: one per combination of the dimensions it holds fixed (jsonv2
// on go1.26 and, separately, on go1.27).
//
// A spec declares questions at the top level (questions:) or per workload
// (compare:); without declarations, one question per varying dimension is
// derived, its first value as the base (see [DeriveQuestions]).
type Question struct {
	// Title says what is asked, in the reader's words. Derived questions
	// and declared ones without a title get one made from By and Base.
	Title string `yaml:"title"`
	// Workloads limits the question to these workloads; empty means every
	// workload in which the By dimensions vary.
	Workloads Names `yaml:"workload"`
	// By are the dimensions whose values are compared (op, env,
	// goexperiment, ...); a configuration is one combination of their
	// values.
	By Names `yaml:"by"`
	// Base is the configuration the others are compared with: one value
	// per By dimension ("" is the default value).
	Base Base `yaml:"base"`
	// Metrics are the figures that answer the question: p50, p99, sec/op,
	// allocs/op, ... Default: the workload kind's headline metrics
	// (HeadlineMetrics).
	Metrics []string `yaml:"metrics"`
	// Fixed are the dimensions held fixed: one answer per combination of
	// their values. Default: every other dimension that varies among the
	// question's cells. Workload is always held fixed, and so is op unless
	// it is compared.
	Fixed Names `yaml:"fixed"`
	// Where narrows the question to the cells matching every value.
	Where Selector `yaml:"where"`
	// Derived is set on questions the spec did not declare.
	Derived bool `yaml:"-"`
	// Path locates the question in the spec ("questions[1]",
	// "workloads[0].compare[0]"), for errors of later stages.
	Path string `yaml:"-"`
}

// Names is one name or a list of names.
type Names []string

func (ns *Names) decodeNode(d *decoder, n *yaml.Node, path string) {
	if n.Kind == yaml.SequenceNode {
		if len(n.Content) == 0 {
			d.errorf(n, path, "empty list")
		}
		out := make(Names, len(n.Content))
		for i, e := range n.Content {
			e = d.resolve(e)
			d.pos[index(path, i)] = Pos{e.Line, e.Column}
			if s, ok := d.scalar(e, index(path, i), "a name"); ok {
				out[i] = s
			}
		}
		*ns = out
		return
	}
	if s, ok := d.scalar(n, path, "a name or a list of names"); ok {
		*ns = Names{s}
	}
}

// A Base is a question's base configuration: a value per compared
// dimension. It is written as a bare value (for a question with one By
// dimension, stored under the key "" until validation knows the dimension)
// or a mapping from dimension to value.
type Base []KV

func (b *Base) decodeNode(d *decoder, n *yaml.Node, path string) {
	if n.Kind == yaml.ScalarNode && !isNull(n) {
		*b = Base{{Key: "", Value: n.Value}}
		return
	}
	(*Selector)(b).decodeNode(d, n, path)
}

// The headline metrics per workload kind: what a question is answered with
// unless it names its own.
var HeadlineMetrics = map[string][]string{
	KindFixedRate: {"p50", "p99"},
	KindHTTP:      {"p50", "p99"},
	KindGoTest:    {"sec/op", "allocs/op"},
}

// Metrics a question may name, with the bench.txt unit each stands for.
// Units written out (p99-ns, B/op) are accepted too, and so is any other
// benchmark unit with a slash (a go test benchmark's own b.ReportMetric).
var metricUnits = []KV{
	{"p50", "p50-ns"}, {"p90", "p90-ns"}, {"p99", "p99-ns"}, {"p99.9", "p99.9-ns"},
	{"max", "max-ns"}, {"sec/op", "ns/op"}, {"ns/op", "ns/op"}, {"ops/s", "ops/s"},
	{"allocs/op", "allocs/op"}, {"B/op", "B/op"}, {"peak-rss", "peak-rss-B"},
	{"gc-pause-p99", "gc-pause-p99-ns"}, {"lag-p99", "lag-p99-ns"}, {"errors", "errors"},
	{"instructions/op", "instructions/op"},
}

// MetricUnit returns the bench.txt unit a metric name stands for, and
// whether the name is known (a unit with a slash is taken as it is).
func MetricUnit(name string) (string, bool) {
	for _, kv := range metricUnits {
		if kv.Key == name || kv.Value == name {
			return kv.Value, true
		}
	}
	if strings.Contains(name, "/") && !strings.ContainsAny(name, " \t") {
		return name, true
	}
	return "", false
}

func metricNames() []string {
	var out []string
	for _, kv := range metricUnits {
		out = append(out, kv.Key)
	}
	return out
}

// A Point is a cell as questions see it: its workload and kind and the value
// of every dimension ("" for the default). Points come from spec cells
// (Spec.Points) or, for a finished run, from its manifest, so the report
// groups a run's cells with the same rules the spec was validated with.
type Point struct {
	ID       string
	Workload string
	Kind     string
	Values   map[Dimension]string
}

// Value returns the point's value of d ("" when unset).
func (p *Point) Value(d Dimension) string {
	switch d {
	case DimWorkload:
		return p.Workload
	}
	return p.Values[d]
}

// Points returns the spec's cells as points.
func (s *Spec) Points() []Point {
	cells := s.Cells()
	out := make([]Point, len(cells))
	for i := range cells {
		c := &cells[i]
		p := Point{ID: c.ID, Workload: c.Workload.Name, Kind: c.Workload.Kind, Values: map[Dimension]string{}}
		for _, d := range Dimensions {
			if d != DimWorkload {
				if v := c.Value(d); v != "" {
					p.Values[d] = v
				}
			}
		}
		out[i] = p
	}
	return out
}

// A Group is one answer's worth of a question: the cells that share one
// combination of the fixed dimensions, split into configurations of the By
// dimensions, the base first.
type Group struct {
	Question *Question
	// Fixed is the combination this answer holds, workload first.
	Fixed []KV
	// Configs are the compared configurations, the base first.
	Configs []Config
	HasBase bool // always true for the groups Groups returns
}

// A Config is one combination of the By values and the cells that have it.
type Config struct {
	Values []KV // By dimension → value
	Points []int
}

// Label renders a configuration's values: "jsonv2", or "cgo-malloc/tcmalloc"
// for several dimensions; the default value reads "default".
func (c Config) Label() string {
	parts := make([]string, len(c.Values))
	for i, kv := range c.Values {
		parts[i] = orDefaultLabel(kv.Value)
	}
	return strings.Join(parts, "/")
}

// FixedLabel renders a fixed combination: "json, toolchain=go1.27.3".
func (g *Group) FixedLabel() string {
	var parts []string
	for _, kv := range g.Fixed {
		if kv.Key == string(DimWorkload) {
			parts = append(parts, kv.Value)
			continue
		}
		v := orDefaultLabel(kv.Value)
		if kv.Key == string(DimMeasure) && kv.Value == "" {
			v = MeasureTime
		}
		parts = append(parts, kv.Key+"="+v)
	}
	return strings.Join(parts, ", ")
}

func orDefaultLabel(v string) string {
	if v == "" {
		return "default"
	}
	return v
}

// byDims returns the question's By names as dimensions.
func (q *Question) byDims() []Dimension {
	out := make([]Dimension, len(q.By))
	for i, b := range q.By {
		out[i] = Dimension(b)
	}
	return out
}

// matchesWhere reports whether p is among the question's cells.
func (q *Question) member(p *Point) bool {
	if len(q.Workloads) > 0 && !slices.Contains(q.Workloads, p.Workload) {
		return false
	}
	for _, kv := range q.Where {
		if !sameValue(p.Value(Dimension(kv.Key)), kv.Value) {
			return false
		}
	}
	return true
}

// sameValue compares dimension values, "default" standing for "".
func sameValue(a, b string) bool {
	if a == "default" {
		a = ""
	}
	if b == "default" {
		b = ""
	}
	return a == b
}

// fixedDims returns the dimensions a question holds fixed among pts: its
// Fixed list, or every dimension that varies among them and is not
// compared. Workload comes first, then op unless compared.
func (q *Question) fixedDims(points []Point, members []int) []Dimension {
	by := q.byDims()
	out := []Dimension{DimWorkload}
	if !slices.Contains(by, DimOp) {
		out = append(out, DimOp)
	}
	// Time and instructions are never compared with each other: a
	// workload measured both ways is answered in each tier on its own,
	// whether or not the Fixed list names measure.
	if slices.Contains(varying(points, members), DimMeasure) {
		out = append(out, DimMeasure)
	}
	if len(q.Fixed) > 0 {
		for _, f := range q.Fixed {
			if d := Dimension(f); !slices.Contains(out, d) {
				out = append(out, d)
			}
		}
		return out
	}
	for _, d := range varying(points, members) {
		if !slices.Contains(out, d) && !slices.Contains(by, d) {
			out = append(out, d)
		}
	}
	return out
}

// varying lists the dimensions (besides workload) with more than one value
// among the points, in Dimensions order.
func varying(points []Point, members []int) []Dimension {
	var out []Dimension
	for _, d := range Dimensions {
		if d == DimWorkload {
			continue
		}
		first, many := "", false
		for i, k := range members {
			if v := points[k].Value(d); i == 0 {
				first = v
			} else if v != first {
				many = true
				break
			}
		}
		if many {
			out = append(out, d)
		}
	}
	return out
}

// Groups splits the points that belong to the question into its answers:
// one Group per combination of the fixed dimensions, in the order the
// points come, each with its configurations (the base first, then in
// order). Only groups that compare something are kept: a base and at least
// one other configuration.
func (q *Question) Groups(points []Point) []Group {
	var members []int
	for i := range points {
		if q.member(&points[i]) {
			members = append(members, i)
		}
	}
	by := q.byDims()
	var groups []Group
	index := map[string]int{}
	// The dimensions held fixed are found per workload: a question asked
	// of several workloads is answered for each on its own terms.
	dimsOf := map[string][]Dimension{}
	for _, k := range members {
		w := points[k].Workload
		if _, ok := dimsOf[w]; !ok {
			var mine []int
			for _, j := range members {
				if points[j].Workload == w {
					mine = append(mine, j)
				}
			}
			dimsOf[w] = q.fixedDims(points, mine)
		}
	}
	{
		for _, k := range members {
			p := &points[k]
			dims := dimsOf[p.Workload]
			var fixed []KV
			var key strings.Builder
			for _, d := range dims {
				v := p.Value(d)
				if d == DimOp && v == "" {
					continue
				}
				fixed = append(fixed, KV{string(d), v})
				key.WriteString(string(d) + "=" + v + "\x00")
			}
			gi, ok := index[key.String()]
			if !ok {
				gi = len(groups)
				index[key.String()] = gi
				groups = append(groups, Group{Question: q, Fixed: fixed})
			}
			g := &groups[gi]
			vals := make([]KV, len(by))
			for i, d := range by {
				vals[i] = KV{string(d), p.Value(d)}
			}
			ci := slices.IndexFunc(g.Configs, func(c Config) bool { return slices.Equal(c.Values, vals) })
			if ci < 0 {
				g.Configs = append(g.Configs, Config{Values: vals})
				ci = len(g.Configs) - 1
			}
			g.Configs[ci].Points = append(g.Configs[ci].Points, k)
		}
	}
	var out []Group
	for _, g := range groups {
		bi := slices.IndexFunc(g.Configs, func(c Config) bool { return q.isBase(c.Values) })
		if bi >= 0 {
			base := g.Configs[bi]
			g.Configs = append([]Config{base}, slices.Delete(g.Configs, bi, bi+1)...)
			g.HasBase = true
		}
		if !g.HasBase || len(g.Configs) < 2 {
			// Only the base, or no base: the matrix (its exclusions)
			// asks nothing here. A base cell that was planned but
			// skipped is still a point, so its answer says why.
			continue
		}
		out = append(out, g)
	}
	return out
}

// isBase reports whether a configuration is the question's base.
func (q *Question) isBase(vals []KV) bool {
	for _, kv := range vals {
		found := false
		for _, b := range q.Base {
			if b.Key == kv.Key {
				found = true
				if !sameValue(b.Value, kv.Value) {
					return false
				}
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// DeriveQuestions makes one question per dimension that varies within a
// workload, its first value (in cell order) as the base; workloads that
// vary the same dimension from the same base share the question, and each
// is answered separately (workload is held fixed).
func DeriveQuestions(points []Point) []Question {
	var out []Question
	byKey := map[string]int{}
	var workloads []string
	members := map[string][]int{}
	// Each tier of a workload on its own: time and instructions are not
	// compared with each other, and an instructions cell has no rate.
	for i := range points {
		w := points[i].Workload + "\x00" + points[i].Value(DimMeasure)
		if members[w] == nil {
			workloads = append(workloads, w)
		}
		members[w] = append(members[w], i)
	}
	for _, w := range workloads {
		for _, d := range varying(points, members[w]) {
			base := points[members[w][0]].Value(d)
			key := string(d) + "\x00" + base
			qi, ok := byKey[key]
			if !ok {
				qi = len(out)
				byKey[key] = qi
				out = append(out, Question{By: Names{string(d)}, Base: Base{{string(d), base}}, Derived: true})
			}
			if name := points[members[w][0]].Workload; !slices.Contains(out[qi].Workloads, name) {
				out[qi].Workloads = append(out[qi].Workloads, name)
			}
		}
	}
	// A dimension may vary without a comparison to make (each value only
	// where the others are excluded): such a question has no answer.
	kept := out[:0]
	for _, q := range out {
		if len(q.Groups(points)) > 0 {
			kept = append(kept, q)
		}
	}
	out = kept
	for i := range out {
		q := &out[i]
		q.Path = fmt.Sprintf("questions (derived %d)", i+1)
		q.Title = q.defaultTitle(points)
	}
	return out
}

// defaultTitle names a question that has no title: "goexperiment: jsonv2 vs
// nojsonv2", or "op: each vs go-heap" when there are several candidates.
func (q *Question) defaultTitle(points []Point) string {
	var base []string
	for _, kv := range q.Base {
		base = append(base, orDefaultLabel(kv.Value))
	}
	others := map[string]bool{}
	var order []string
	for _, g := range q.Groups(points) {
		for _, c := range g.Configs[1:] {
			if l := c.Label(); !others[l] {
				others[l] = true
				order = append(order, l)
			}
		}
	}
	cand := "each"
	if len(order) == 1 {
		cand = order[0]
	}
	return fmt.Sprintf("%s: %s vs %s", strings.Join(q.By, "×"), cand, strings.Join(base, "/"))
}

// Questions returns the spec's questions: the declared ones (top level
// first, then each workload's compare:), defaults filled in, or, when none
// is declared, the derived ones; an explicit `questions: []` asks none.
func (s *Spec) Questions() []Question {
	if _, given := s.pos["questions"]; given && len(s.Declared)+s.compareCount() == 0 {
		return nil // questions: [] — this spec asks no comparison
	}
	if len(s.Declared)+s.compareCount() == 0 {
		return DeriveQuestions(s.Points())
	}
	var out []Question
	out = append(out, s.Declared...)
	for i := range s.Workloads {
		out = append(out, s.Workloads[i].Compare...)
	}
	return out
}

func (s *Spec) compareCount() int {
	n := 0
	for i := range s.Workloads {
		n += len(s.Workloads[i].Compare)
	}
	return n
}

// questions validates the declared questions against the cells, fills in
// their defaults and titles.
func (v *validator) questions() {
	s := v.s
	if s.compareCount()+len(s.Declared) == 0 {
		return
	}
	// The checks against the cells need a spec that expands: they run once
	// everything else is valid.
	var points []Point
	if len(v.errs) == 0 && len(s.failed) == 0 {
		points = s.Points()
	}
	for i := range s.Declared {
		v.question(&s.Declared[i], index("questions", i), points, "")
	}
	for wi := range s.Workloads {
		w := &s.Workloads[wi]
		for i := range w.Compare {
			p := index(join(index("workloads", wi), "compare"), i)
			if len(w.Compare[i].Workloads) > 0 {
				v.errorf(join(p, "workload"), "not used in a workload's compare: (the question is this workload's)")
				continue
			}
			w.Compare[i].Workloads = Names{w.Name}
			v.question(&w.Compare[i], p, points, w.Name)
		}
	}
}

func dimensionNames() []string {
	names := make([]string, len(Dimensions))
	for i, d := range Dimensions {
		names[i] = string(d)
	}
	return names
}

// question checks one declared question and fills in its defaults.
func (v *validator) question(q *Question, p string, points []Point, owner string) {
	q.Path = p
	ok := true
	if len(q.By) == 0 {
		if !v.given(join(p, "by")) {
			v.errorf(p, "missing by (the dimension(s) compared, e.g. by: goexperiment)")
		}
		ok = false
	}
	for i, b := range q.By {
		bp := index(join(p, "by"), i)
		if len(q.By) == 1 {
			bp = join(p, "by")
		}
		switch {
		case b == string(DimWorkload):
			v.errorf(bp, "workloads are different programs: compare a dimension within them (op, env, toolchain, ...)")
			ok = false
		case b == string(DimMeasure):
			v.errorf(bp, "time and instructions are different quantities: a question is answered in each tier on its own (measure is held fixed)")
			ok = false
		case !isDimension(b):
			v.errorf(bp, "unknown dimension %q%s", b, DidYouMean(b, dimensionNames()))
			ok = false
		case slices.Index(q.By, b) != i:
			v.errorf(bp, "dimension %q listed twice", b)
			ok = false
		}
	}
	for i, w := range q.Workloads {
		if owner != "" {
			break
		}
		wp := join(p, "workload")
		if len(q.Workloads) > 1 {
			wp = index(wp, i)
		}
		if !v.hasWorkload(w) {
			names := make([]string, len(v.s.Workloads))
			for j, x := range v.s.Workloads {
				names[j] = x.Name
			}
			v.errorf(wp, "unknown workload %q%s", w, DidYouMean(w, names))
			ok = false
		}
	}
	for i, f := range q.Fixed {
		fp := index(join(p, "fixed"), i)
		if len(q.Fixed) == 1 {
			fp = join(p, "fixed")
		}
		switch {
		case !isDimension(f):
			v.errorf(fp, "unknown dimension %q%s", f, DidYouMean(f, dimensionNames()))
			ok = false
		case slices.Contains(q.By, f):
			v.errorf(fp, "%q is compared (by), so it cannot be held fixed", f)
			ok = false
		}
	}
	if !ok || points == nil {
		return
	}
	// The question's cells: its workloads (or those in which By varies),
	// narrowed by where.
	var members []int
	for i := range points {
		if q.member(&points[i]) {
			members = append(members, i)
		}
	}
	if len(q.Workloads) == 0 {
		var ws Names
		for _, w := range v.s.Workloads {
			var mine []int
			for _, k := range members {
				if points[k].Workload == w.Name {
					mine = append(mine, k)
				}
			}
			vary := varying(points, mine)
			all := true
			for _, d := range q.byDims() {
				all = all && slices.Contains(vary, d)
			}
			if all && len(mine) > 0 {
				ws = append(ws, w.Name)
			}
		}
		q.Workloads = ws
		members = members[:0]
		for i := range points {
			if q.member(&points[i]) {
				members = append(members, i)
			}
		}
	}
	if len(members) == 0 {
		if len(q.Where) > 0 {
			v.errorf(join(p, "where"), "matches no cell of the question's workloads")
		} else {
			v.errorf(join(p, "by"), "%s does not vary in any workload: nothing to compare", strings.Join(q.By, ", "))
		}
		return
	}
	// Every By dimension must vary among the question's cells.
	vary := varying(points, members)
	for i, d := range q.byDims() {
		if !slices.Contains(vary, d) {
			bp := join(p, "by")
			if len(q.By) > 1 {
				bp = index(bp, i)
			}
			v.errorf(bp, "%s has one value (%s) in the question's cells: nothing to compare", d, orDefaultLabel(points[members[0]].Value(d)))
			ok = false
		}
	}
	// A declared fixed list must account for every dimension that varies
	// within a workload of the question (each workload is answered on
	// its own).
	if len(q.Fixed) > 0 {
		var within []Dimension
		for _, w := range q.Workloads {
			var mine []int
			for _, k := range members {
				if points[k].Workload == w {
					mine = append(mine, k)
				}
			}
			for _, d := range varying(points, mine) {
				if !slices.Contains(within, d) {
					within = append(within, d)
				}
			}
		}
		for _, d := range within {
			if d == DimOp || d == DimMeasure || slices.Contains(q.By, string(d)) || slices.Contains(q.Fixed, string(d)) {
				continue
			}
			v.errorf(join(p, "fixed"), "%s varies among the question's cells: hold it fixed too, compare it (by), or narrow the cells (where)", d)
			ok = false
		}
	}
	if !ok {
		return
	}
	v.questionBase(q, p, points, members)
	for i, m := range q.Metrics {
		if _, known := MetricUnit(m); !known {
			v.errorf(index(join(p, "metrics"), i), "unknown metric %q%s (want one of %s, or a benchmark unit such as MB/s)", m, DidYouMean(m, metricNames()), strings.Join(metricNames(), ", "))
		}
	}
	if q.Title == "" {
		q.Title = q.defaultTitle(points)
	}
}

// questionBase resolves a bare base value to its dimension, defaults a
// missing base to the first configuration, and checks the base is a
// configuration some cell has.
func (v *validator) questionBase(q *Question, p string, points []Point, members []int) {
	bp := join(p, "base")
	if len(q.Base) == 0 {
		first := &points[members[0]]
		for _, d := range q.byDims() {
			q.Base = append(q.Base, KV{string(d), first.Value(d)})
		}
		return
	}
	if len(q.Base) == 1 && q.Base[0].Key == "" {
		if len(q.By) > 1 {
			v.errorf(bp, "the question compares %s: give the base as a mapping, e.g. {%s: ...}", strings.Join(q.By, " and "), strings.Join(q.By, ": ..., "))
			return
		}
		q.Base[0].Key = q.By[0]
	}
	for _, kv := range q.Base {
		if !slices.Contains(q.By, kv.Key) {
			v.errorf(join(bp, kv.Key), "%q is not compared (by: %s): the base names a value of each compared dimension", kv.Key, strings.Join(q.By, ", "))
			return
		}
	}
	for _, d := range q.By {
		if !slices.ContainsFunc(q.Base, func(kv KV) bool { return kv.Key == d }) {
			v.errorf(bp, "missing a value for %s", d)
			return
		}
	}
	for _, kv := range q.Base {
		var vals []string
		found := false
		for _, k := range members {
			val := points[k].Value(Dimension(kv.Key))
			if sameValue(val, kv.Value) {
				found = true
			}
			if l := orDefaultLabel(val); !slices.Contains(vals, l) {
				vals = append(vals, l)
			}
		}
		if !found {
			path := bp
			if len(q.By) > 1 {
				path = join(bp, kv.Key)
			}
			v.errorf(path, "no cell of the question has %s %q%s (it has %s)", kv.Key, kv.Value, DidYouMean(kv.Value, vals), strings.Join(vals, ", "))
			return
		}
	}
	for _, k := range members {
		vals := make([]KV, len(q.By))
		for i, d := range q.byDims() {
			vals[i] = KV{string(d), points[k].Value(d)}
		}
		if q.isBase(vals) {
			return
		}
	}
	var parts []string
	for _, kv := range q.Base {
		parts = append(parts, kv.Key+"="+orDefaultLabel(kv.Value))
	}
	v.errorf(bp, "no cell of the question has the base %s (each value exists, but not together)", strings.Join(parts, ", "))
}

// TierUnits narrows an answer's units to those its tier writes: an
// instructions cell has instructions/op, allocs/op and B/op; a time cell
// everything but instructions/op. An instructions answer with none of the
// asked-for units left answers with instructions/op and allocs/op. The
// report's Answers and count: auto use it alike.
func TierUnits(instructions bool, units []string) []string {
	keep := func(u string) bool {
		if instructions {
			return slices.Contains(InstructionsUnits, u)
		}
		return u != "instructions/op"
	}
	var out []string
	for _, u := range units {
		if keep(u) {
			out = append(out, u)
		}
	}
	if instructions && !slices.Contains(out, "instructions/op") {
		out = nil
		for _, name := range InstructionsMetrics {
			u, _ := MetricUnit(name)
			out = append(out, u)
		}
	}
	return out
}

// Units are the bench.txt units that answer a group of the question: the
// metrics it names (HeadlineMetrics of the cells' kind when none), narrowed
// to those the group's tier writes (TierUnits). The report's Answers and
// count: auto ask the same.
func (q *Question) Units(g *Group, points []Point) []string {
	first := &points[g.Configs[0].Points[0]]
	metrics := q.Metrics
	if len(metrics) == 0 {
		metrics = HeadlineMetrics[first.Kind]
	}
	var units []string
	for _, name := range metrics {
		if u, ok := MetricUnit(name); ok {
			units = append(units, u)
		}
	}
	return TierUnits(first.Value(DimMeasure) == MeasureInstructions, units)
}
