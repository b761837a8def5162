package report

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/perfharness/harness/harness/compare"
	"github.com/perfharness/harness/harness/results"
	"github.com/perfharness/harness/harness/spec"
)

// A QuestionReport is one question of the spec with its answers, tables
// and plots.
type QuestionReport struct {
	spec.Question
	// Slug names the question in anchors and plot files: its workload(s)
	// and compared dimension(s), e.g. "alloc-op-env".
	Slug    string
	Answers []*Answer
	// Units are the bench.txt units that answer it (p99-ns, ns/op, ...),
	// in the order the metrics were asked for.
	Units []string
	// Tables are the question's tables, one per unit: a row per answer,
	// a column per configuration, the base first.
	Tables []*compare.Table
	// Capacity is, for a question over a rate sweep whose workload states
	// an SLO, each configuration's capacity, per fixed combination.
	Capacity []*CapacityLine
}

// An Answer is a question's answer for one combination of the dimensions
// it holds fixed (and one benchmark, for a go test workload with several):
// every compared configuration against the base, per metric.
type Answer struct {
	Fixed string // the fixed combination, e.g. "json, toolchain=go1.27.3"
	Bench string // the benchmark, when the workload has several
	Base  string // the base configuration's label
	Lines []*AnswerLine
	// Kind is the workload's kind: it decides the headline metrics.
	Kind string
	// Configs are the compared configurations' labels, the base first;
	// Samples[unit][i] are the valid runs' values of Configs[i].
	Configs []string
	Samples map[string][][]float64
	// Workload is the workload the answer is about.
	Workload string
	// cells are each configuration's cells, as Configs.
	cells [][]*Cell
}

// An AnswerLine is one configuration against the base.
type AnswerLine struct {
	Cand    string
	Metrics []*MetricAnswer
	// Verdict sums the metrics up: "faster", "slower, fewer allocs",
	// "no detectable difference", "mixed", "unusable evidence".
	Verdict string
	// Notes say what limits the evidence (invalid or failed runs).
	Notes []string
	// Class sorts the verdict for display: good (better in every
	// changed metric), bad (worse), mixed, none, unusable.
	Class string
}

// A MetricAnswer is the verdict of one metric on one configuration.
type MetricAnswer struct {
	Unit       string // as in bench.txt: p99-ns, ns/op, allocs/op
	Better     int
	Base, Cand compare.Summary
	compare.Verdict
	// Word is the outcome in the metric's terms: faster, slower, fewer
	// allocs, no detectable difference, unusable.
	Word string
	// process says whose figure it is, for an http cell's runtime metric.
	process string
	// Imprecise says why the figure is shown but not judged: a latency
	// quantile (or an open-loop mean) of runs with too few ops beyond it
	// (results.TailImprecise, the gate's rule).
	Imprecise string
}

// metricLabel is how a unit reads in an answer.
func metricLabel(unit string) string {
	switch {
	case unit == "ns/op" || unit == "sec/op":
		return "time/op"
	case unit == "instructions/op":
		return "instructions/op"
	case strings.HasSuffix(unit, "-ns") && strings.HasPrefix(unit, "p"):
		return "P" + strings.TrimSuffix(unit[1:], "-ns")
	case strings.HasSuffix(unit, "-ns"):
		return strings.TrimSuffix(unit, "-ns")
	case strings.HasSuffix(unit, "-B"):
		return strings.TrimSuffix(unit, "-B")
	}
	return unit
}

// isTime reports whether a unit measures time.
func isTime(unit string) bool {
	return unit == "ns" || unit == "ns/op" || unit == "sec/op" || strings.HasSuffix(unit, "-ns") || strings.HasSuffix(unit, "-sec")
}

// outcomeWord says what an outcome means for a unit: a time lower is
// faster, a rate higher is faster, a count lower is fewer.
func outcomeWord(unit string, better int, o compare.Outcome) string {
	switch o {
	case compare.Unusable:
		return "unusable"
	case compare.NoDifference:
		return "no detectable difference"
	}
	lower := o == compare.Lower
	switch {
	case isTime(unit):
		if lower {
			return "faster"
		}
		return "slower"
	case better > 0 && strings.HasSuffix(unit, "/s"):
		if lower {
			return "slower"
		}
		return "faster"
	case strings.Contains(unit, "alloc"):
		if lower {
			return "fewer allocs"
		}
		return "more allocs"
	case unit == "instructions/op":
		if lower {
			return "fewer instructions"
		}
		return "more instructions"
	case unit == "B/op" || strings.HasSuffix(unit, "-B"):
		if lower {
			return "less memory"
		}
		return "more memory"
	}
	if lower {
		return "lower " + metricLabel(unit)
	}
	return "higher " + metricLabel(unit)
}

// tailImprecise says why a latency figure of an open-loop cell is too
// imprecise to judge, from the fewest ops of any valid run on either side
// (the gate's rule, results.TailImprecise), or "".
func tailImprecise(kind, unit string, sides ...*side) string {
	if kind != spec.KindFixedRate && kind != spec.KindHTTP {
		return ""
	}
	fewest := -1
	for _, s := range sides {
		if s == nil {
			continue
		}
		for _, c := range s.cells {
			for _, r := range c.Runs {
				if r.Valid && r.Result != nil && (fewest < 0 || int(r.Result.Completed) < fewest) {
					fewest = int(r.Result.Completed)
				}
			}
		}
	}
	if fewest < 0 {
		return ""
	}
	tidy, _ := results.TidyUnit(unit)
	return results.TailImprecise(tidy, fewest, true, 0)
}

// verdictImprecise is the verdict of a line whose every judgeable metric
// is a tail too imprecise to judge.
const verdictImprecise = "not judged: too few ops a run for its tail"

// sumUp turns a line's metric words into its verdict, and a class for
// its colour: good when every change is for the better, bad when every one
// is for the worse. A figure shown but not judged (imprecise) counts for
// neither.
func sumUp(ms []*MetricAnswer) (verdict, class string) {
	var words []string
	usable, better, worse := 0, 0, 0
	imprecise := 0
	for _, m := range ms {
		if m.Imprecise != "" {
			imprecise++
			continue
		}
		switch m.Outcome {
		case compare.Unusable:
			continue
		case compare.NoDifference:
			usable++
			continue
		}
		usable++
		up := m.Outcome == compare.Higher
		switch {
		case m.Better > 0 && up, m.Better < 0 && !up:
			better++
		case m.Better != 0:
			worse++
		}
		if !slices.Contains(words, m.Word) {
			words = append(words, m.Word)
		}
	}
	switch {
	case usable == 0 && imprecise > 0:
		return verdictImprecise, "unusable"
	case usable == 0:
		return "unusable evidence", "unusable"
	case len(words) == 0:
		return "no detectable difference", "none"
	case slices.Contains(words, "faster") && slices.Contains(words, "slower"):
		return "mixed", "mixed"
	case better > 0 && worse > 0:
		return strings.Join(words, ", "), "mixed"
	case worse > 0:
		return strings.Join(words, ", "), "bad"
	case better > 0:
		return strings.Join(words, ", "), "good"
	}
	return strings.Join(words, ", "), "none"
}

var slugUnsafe = regexp.MustCompile(`[^a-z0-9.]+`)

func slug(parts ...string) string {
	s := slugUnsafe.ReplaceAllString(strings.ToLower(strings.Join(parts, "-")), "-")
	s = strings.Trim(s, "-.")
	if len(s) > 60 {
		s = strings.TrimRight(s[:60], "-.")
	}
	return s
}

// benchOp returns the op a fixed-rate or http benchmark name carries
// ("Json/op=decode-2" → "decode").
func benchOp(name string) string {
	_, rest, ok := strings.Cut(name, "/op=")
	if !ok {
		return ""
	}
	if i := strings.IndexAny(rest, "/"); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.LastIndex(rest, "-"); i >= 0 {
		if _, err := strconv.Atoi(rest[i+1:]); err == nil {
			rest = rest[:i]
		}
	}
	return rest
}

// benchLabel shortens a benchmark name for an answer: no Benchmark
// prefix, no op (the answer names it), no -GOMAXPROCS suffix.
func benchLabel(name string) string {
	name = strings.TrimPrefix(name, "Benchmark")
	if i := strings.LastIndex(name, "-"); i >= 0 {
		if _, err := strconv.Atoi(name[i+1:]); err == nil {
			name = name[:i]
		}
	}
	return name
}

// answers computes every question's answers from the run's bench.txt.
func (m *Model) answers(alpha, confidence float64) {
	run := m.Run
	points := run.Manifest.Points()
	qs := run.Manifest.SpecQuestions(points)
	used := map[string]bool{}
	for qi := range qs {
		q := &qs[qi]
		qr := &QuestionReport{Question: *q}
		parts := append(slices.Clone([]string(q.Workloads)), q.By...)
		qr.Slug = slug(parts...)
		if qr.Slug == "" || used[qr.Slug] {
			qr.Slug = slug(append([]string{fmt.Sprintf("q%d", qi+1)}, parts...)...)
		}
		used[qr.Slug] = true
		groups := q.Groups(points)
		for _, g := range groups {
			m.answerGroup(qr, &g, points, alpha, confidence)
		}
		qr.Capacity = m.questionCapacity(groups, points)
		qr.tables(m, alpha, confidence)
		m.Questions = append(m.Questions, qr)
	}
}

// side is one configuration's cells in a group, with their values per
// benchmark for each unit.
type side struct {
	label string
	cells []*Cell
	// values[unit][bench] are the valid runs' values.
	values  map[string]map[string][]float64
	benches []string
}

func (m *Model) answerGroup(qr *QuestionReport, g *spec.Group, points []spec.Point, alpha, confidence float64) {
	kind := points[g.Configs[0].Points[0]].Kind
	// Each tier answers in its own units.
	instrTier := points[g.Configs[0].Points[0]].Value(spec.DimMeasure) == spec.MeasureInstructions
	units := qr.Question.Units(g, points)
	for _, u := range units {
		if !slices.Contains(qr.Units, u) {
			qr.Units = append(qr.Units, u)
		}
	}
	byID := map[string]*Cell{}
	for _, c := range m.Run.Cells {
		byID[c.ID] = c
	}
	sides := make([]*side, len(g.Configs))
	var benches []string
	for i, cfg := range g.Configs {
		s := &side{label: cfg.Label(), values: map[string]map[string][]float64{}}
		for _, k := range cfg.Points {
			c := byID[points[k].ID]
			if c == nil {
				continue
			}
			s.cells = append(s.cells, c)
			if m.Run.Set == nil {
				continue
			}
			config := c.Config
			for _, u := range units {
				if s.values[u] == nil {
					s.values[u] = map[string][]float64{}
				}
				for _, ser := range m.Run.Set.CellValues(config, c.Op, u) {
					b := benchLabel(ser.Name)
					if c.Op != "" {
						b = "" // the op is part of the fixed combination
					}
					s.values[u][b] = append(s.values[u][b], ser.Values...)
					if !slices.Contains(benches, b) {
						benches = append(benches, b)
					}
				}
			}
		}
		sides[i] = s
	}
	if len(benches) == 0 {
		benches = []string{""}
	}
	for _, b := range benches {
		a := &Answer{Fixed: g.FixedLabel(), Bench: b, Base: sides[0].label, Kind: kind, Workload: g.Fixed[0].Value, Samples: map[string][][]float64{}}
		if !g.HasBase {
			a.Base = baseLabel(qr.Question)
		}
		for _, s := range sides {
			a.Configs = append(a.Configs, s.label)
			a.cells = append(a.cells, s.cells)
			for _, u := range units {
				a.Samples[u] = append(a.Samples[u], s.values[u][b])
			}
		}
		for _, s := range sides {
			if g.HasBase && s == sides[0] {
				continue
			}
			line := &AnswerLine{Cand: s.label}
			var base *side
			if g.HasBase {
				base = sides[0]
			}
			for _, u := range units {
				ma := &MetricAnswer{Unit: u, Better: m.better(u), process: processNote(kind, u)}
				var bv, cv []float64
				if base != nil {
					bv = base.values[u][b]
				}
				cv = s.values[u][b]
				ma.Verdict = compare.Judge(bv, cv, alpha, confidence)
				ma.Base, ma.Cand = sampleSummary(bv), sampleSummary(cv)
				if ma.Outcome == compare.Unusable {
					ma.Reason = m.whyUnusable(ma.Verdict, base, s)
					if (len(bv) == 0 && allLagDominated(base, u)) || (len(cv) == 0 && allLagDominated(s, u)) {
						ma.Reason = fmt.Sprintf("left out of every run of a side: generator lag (the host stalling the process) is a material part of each run's %s", metricLabel(u))
					}
				}
				if why := cannotAnswer(base, s); instrTier && why != "" {
					ma.Outcome, ma.Reason = compare.Unusable, why
				}
				ma.Word = outcomeWord(u, ma.Better, ma.Outcome)
				// Checked whatever the outcome: a tail too short to judge
				// says so rather than that its runs were too few.
				ma.Imprecise = tailImprecise(kind, u, base, s)
				line.Metrics = append(line.Metrics, ma)
			}
			line.Verdict, line.Class = sumUp(line.Metrics)
			line.Notes = append(invalidNotes(base, s), lagNotes(units, base, s)...)
			a.Lines = append(a.Lines, line)
		}
		qr.Answers = append(qr.Answers, a)
	}
}

func baseLabel(q spec.Question) string {
	var parts []string
	for _, kv := range q.Base {
		v := kv.Value
		if v == "" {
			v = "default"
		}
		parts = append(parts, v)
	}
	return strings.Join(parts, "/")
}

func (m *Model) better(unit string) int {
	if m.Run.Set != nil {
		return m.Run.Set.Better(unit)
	}
	return -1
}

// sampleSummary is a sample's median with the benchstat-style interval.
func sampleSummary(vs []float64) compare.Summary {
	s := compare.Summary{N: len(vs), Center: math.NaN(), Lo: math.NaN(), Hi: math.NaN()}
	if len(vs) == 0 {
		return s
	}
	sorted := slices.Sorted(slices.Values(vs))
	s.Values = sorted
	s.Center = results.Median(sorted)
	s.Lo, s.Hi = sorted[0], sorted[len(sorted)-1]
	return s
}

// whyUnusable explains missing evidence with what became of the cells:
// skipped, failed to build, or runs that were invalid.
func (m *Model) whyUnusable(v compare.Verdict, base, cand *side) string {
	var why []string
	check := func(role string, s *side, n int) {
		if s == nil {
			why = append(why, "the base is not in this run")
			return
		}
		if n > 0 && n >= 3 {
			return
		}
		for _, c := range s.cells {
			bad := statusCounts(c)
			switch {
			case c.Status == results.StatusSkipped:
				why = append(why, fmt.Sprintf("%s skipped: %s", role, c.Reason))
			case c.Status == results.StatusBuildFailed:
				why = append(why, fmt.Sprintf("%s failed to build", role))
			case bad != "":
				why = append(why, fmt.Sprintf("%s %d valid of %d runs (%s)", role, c.ValidRuns(), len(c.Runs), bad))
			case c.Status != results.StatusOK:
				why = append(why, fmt.Sprintf("%s %s: %s", role, c.Status, c.Reason))
			}
		}
	}
	check("base", base, v.NBase)
	check(cand.label, cand, v.NCand)
	if len(why) == 0 {
		return v.Reason
	}
	return v.Reason + "; " + strings.Join(why, "; ")
}

// statusCounts says how many of a cell's runs ended in each invalid
// status: "3 rate-not-achieved, 1 crashed".
func statusCounts(c *Cell) string {
	counts := map[string]int{}
	var order []string
	for _, r := range c.Invalid() {
		st := string(r.Status)
		if counts[st] == 0 {
			order = append(order, st)
		}
		counts[st]++
	}
	var parts []string
	for _, s := range order {
		parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
	}
	return strings.Join(parts, ", ")
}

// invalidNotes list the runs left out of a line's evidence.
func invalidNotes(base, cand *side) []string {
	var out []string
	for _, s := range []*side{base, cand} {
		if s == nil {
			continue
		}
		for _, c := range s.cells {
			if bad := statusCounts(c); bad != "" {
				out = append(out, fmt.Sprintf("%s: %s left out", s.label, bad))
			}
		}
	}
	return out
}

// lagNotes say, per side, of how many valid runs the driver left a figure
// out because the generator's lag was a material part of it (the tail of
// a fast op on a host that stalls threads now and then).
func lagNotes(units []string, sides ...*side) []string {
	var out []string
	for _, s := range sides {
		if s == nil {
			continue
		}
		var parts []string
		for _, u := range units {
			n, left := 0, 0
			for _, c := range s.cells {
				for _, r := range c.Runs {
					if !r.Valid {
						continue
					}
					n++
					if slices.Contains(r.Run.LagDominated, u) {
						left++
					}
				}
			}
			if left > 0 {
				parts = append(parts, fmt.Sprintf("%s of %d/%d runs", metricLabel(u), left, n))
			}
		}
		if len(parts) > 0 {
			out = append(out, fmt.Sprintf("%s: %s left out for lag", s.label, strings.Join(parts, ", ")))
		}
	}
	return out
}

// allLagDominated reports whether a side has valid runs and every one of
// them left unit out of its bench.txt for its lag.
func allLagDominated(s *side, unit string) bool {
	if s == nil {
		return false
	}
	n := 0
	for _, c := range s.cells {
		for _, r := range c.Runs {
			if !r.Valid {
				continue
			}
			if !slices.Contains(r.Run.LagDominated, unit) {
				return false
			}
			n++
		}
	}
	return n > 0
}

// fmtEffect renders an effect as a signed percentage with 3 significant
// digits ("+31.2%", "−4.12%"), or a factor past +1000% ("×12.3").
func fmtEffect(x float64) string {
	switch {
	case math.IsNaN(x):
		return "?"
	case math.IsInf(x, 1):
		return "+∞"
	case math.IsInf(x, -1):
		return "−∞"
	case x >= 9.995:
		return "×" + strconv.FormatFloat(1+x, 'g', 3, 64)
	}
	s := strconv.FormatFloat(math.Abs(x)*100, 'g', 3, 64)
	if strings.Contains(s, "e") {
		s = strconv.FormatFloat(math.Abs(x)*100, 'f', 0, 64)
	}
	sign := "+"
	if x < 0 {
		sign = "−"
	}
	if s == "0" {
		sign = "±"
	}
	return sign + s + "%"
}

// fmtMDE renders a minimum detectable effect: "±4.12%".
func fmtMDE(x float64) string {
	switch {
	case math.IsNaN(x):
		return "?"
	case math.IsInf(x, 1):
		return "no change"
	case x == 0:
		return "any change"
	}
	return "±" + strings.TrimPrefix(fmtEffect(x), "+")
}

// fmtValue renders a value of a unit with 3–4 significant digits: times
// as durations, bytes in binary units.
func fmtValue(unit string, v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	g := func(x float64) string { return strconv.FormatFloat(x, 'g', 4, 64) }
	switch {
	case isTime(unit):
		ns := v
		if strings.HasSuffix(unit, "sec") || unit == "sec/op" {
			ns = v * 1e9
		}
		switch a := math.Abs(ns); {
		case a >= 1e9:
			return g(ns/1e9) + "s"
		case a >= 1e6:
			return g(ns/1e6) + "ms"
		case a >= 1e3:
			return g(ns/1e3) + "µs"
		}
		return g(ns) + "ns"
	case unit == "B" || unit == "B/op" || strings.HasSuffix(unit, "-B"):
		switch a := math.Abs(v); {
		case a >= 1<<30:
			return g(v/(1<<30)) + " GiB"
		case a >= 1<<20:
			return g(v/(1<<20)) + " MiB"
		case a >= 1<<10:
			return g(v/(1<<10)) + " KiB"
		}
		return g(v) + " B"
	}
	return g(v)
}

// processNote says whose process a runtime figure of an http cell is: the
// bench.txt figures come from the load client, not the server.
func processNote(kind, unit string) string {
	if kind != "http" {
		return ""
	}
	switch unit {
	case "gc-pause-p99-ns", "peak-rss-B", "allocs/op", "B/op":
		return " (load client)"
	}
	return ""
}

// Text renders a metric's answer on one line: "P99 −31.2% [−35.0%,
// −27.1%] p=0.002 n=6+6 faster", or what could have been seen, or why not.
func (ma *MetricAnswer) Text() string {
	label := metricLabel(ma.Unit) + ma.process
	switch {
	case ma.Imprecise != "" && ma.Outcome == compare.Unusable:
		return fmt.Sprintf("%s not judged: %s", label, ma.Imprecise)
	case ma.Outcome == compare.Unusable:
		return fmt.Sprintf("%s unusable: %s", label, ma.Reason)
	case ma.Imprecise != "":
		return fmt.Sprintf("%s %s [%s, %s] n=%d+%d, not judged: %s",
			label, fmtEffect(ma.Effect.Center), fmtEffect(ma.Effect.Lo), fmtEffect(ma.Effect.Hi), ma.NBase, ma.NCand, ma.Imprecise)
	}
	switch ma.Outcome {
	case compare.NoDifference:
		return fmt.Sprintf("%s no detectable difference (could have detected %s; measured %s [%s, %s] %s n=%d+%d)",
			label, fmtMDE(ma.MDE), fmtEffect(ma.Effect.Center), fmtEffect(ma.Effect.Lo), fmtEffect(ma.Effect.Hi), fmtP(ma.P), ma.NBase, ma.NCand)
	}
	return fmt.Sprintf("%s %s [%s, %s] %s n=%d+%d %s (%s → %s)",
		label, fmtEffect(ma.Effect.Center), fmtEffect(ma.Effect.Lo), fmtEffect(ma.Effect.Hi), fmtP(ma.P), ma.NBase, ma.NCand, ma.Word,
		fmtValue(ma.Unit, ma.Base.Center), fmtValue(ma.Unit, ma.Cand.Center))
}

// fmtP renders a p-value as "p=0.042" or "p<0.001".
func fmtP(p float64) string {
	switch {
	case math.IsNaN(p):
		return "p=?"
	case p < 0.001:
		return "p<0.001"
	}
	return "p=" + strconv.FormatFloat(p, 'f', 3, 64)
}

// Where names an answer: its fixed combination and benchmark.
func (a *Answer) Where() string {
	if a.Bench == "" {
		return a.Fixed
	}
	return a.Fixed + ", " + a.Bench
}

// AnswerCount is how many answer lines the report opens with.
func (m *Model) AnswerCount() (lines int, verdicts map[string]int) {
	verdicts = map[string]int{}
	for _, q := range m.Questions {
		for _, a := range q.Answers {
			for _, l := range a.Lines {
				lines++
				verdicts[l.Verdict]++
			}
		}
	}
	return lines, verdicts
}

// answersIntro is the sentence under the Answers heading: how many
// answers, what they found, and how they were judged.
func (m *Model) answersIntro() string {
	n, verdicts := m.AnswerCount()
	if n == 0 {
		return "No question could be answered: the run has no comparable cells."
	}
	var parts []string
	changed := n - verdicts["no detectable difference"] - verdicts["unusable evidence"] - verdicts[verdictImprecise]
	if changed > 0 {
		parts = append(parts, fmt.Sprintf("%d with a detectable difference", changed))
	}
	for _, v := range []string{"no detectable difference", "unusable evidence", verdictImprecise} {
		if verdicts[v] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", verdicts[v], v))
		}
	}
	noun := "answers"
	if n == 1 {
		noun = "answer"
	}
	auto := ""
	if a := m.Run.Manifest.Auto; a != nil && a.Stopped != "" {
		auto = fmt.Sprintf(" Repetitions (count: auto, ±%.3g%% target): %s.", a.CITarget*100, a.Stopped)
	}
	if hw := m.HostWarnings(); len(hw) > 0 {
		auto += fmt.Sprintf(" The host was noisy (%s): read small effects with care.", strings.Join(hw, "; "))
	}
	return fmt.Sprintf("%d %s to %d questions: %s.%s Effects are the candidate against the base with their 95%% confidence interval (Hodges–Lehmann, Mann-Whitney U p-value, n runs per side); \"no detectable difference\" says which change this run would have caught (80%% power at α = %g).",
		n, noun, len(m.Questions), strings.Join(parts, ", "), auto, m.alpha())
}

func (m *Model) alpha() float64 {
	for _, q := range m.Questions {
		for _, a := range q.Answers {
			for _, l := range a.Lines {
				for _, ma := range l.Metrics {
					return ma.Alpha
				}
			}
		}
	}
	return 0.05
}

// lineText renders one answer line without markup.
func (a *Answer) lineText(l *AnswerLine) (where, verdict, detail string) {
	var ms []string
	same := len(l.Metrics) > 0
	for _, ma := range l.Metrics {
		ms = append(ms, ma.Text())
		same = same && ma.Outcome == compare.Unusable && ma.Reason == l.Metrics[0].Reason
	}
	if same {
		// One reason for every metric: say it once.
		return fmt.Sprintf("%s: %s vs %s", a.Where(), l.Cand, a.Base), l.Verdict, l.Metrics[0].Reason
	}
	detail = strings.Join(ms, "; ")
	if len(l.Notes) > 0 {
		detail += " (" + strings.Join(l.Notes, "; ") + ")"
	}
	return fmt.Sprintf("%s: %s vs %s", a.Where(), l.Cand, a.Base), l.Verdict, detail
}

// writeAnswersText writes the Answers section of report.txt.
func (m *Model) writeAnswersText(b *strings.Builder) {
	b.WriteString("ANSWERS\n\n")
	b.WriteString(wrap(m.answersIntro(), 78, "") + "\n")
	for _, q := range m.Questions {
		fmt.Fprintf(b, "\n%s\n", oneLine(q.Title))
		if len(q.Answers) == 0 {
			b.WriteString("  no cells of this run answer it\n")
		}
		for _, a := range q.Answers {
			for _, l := range a.Lines {
				where, verdict, detail := a.lineText(l)
				fmt.Fprintf(b, "  %s: %s\n%s\n", oneLine(where), strings.ToUpper(verdict), wrap(oneLine(detail), 78, "      "))
			}
		}
		for _, c := range q.Capacity {
			fmt.Fprintf(b, "  %s\n", wrap(oneLine(c.Text()), 78, "      "))
		}
	}
	b.WriteString("\n")
}

// writeAnswersMarkdown writes the Answers section of report.md.
func (m *Model) writeAnswersMarkdown(b *strings.Builder) {
	esc := compare.MarkdownEscape
	b.WriteString("## Answers\n\n")
	b.WriteString(esc(m.answersIntro()) + "\n\n")
	for _, q := range m.Questions {
		fmt.Fprintf(b, "**%s** ([table](#%s)", esc(q.Title), q.Slug)
		for _, u := range q.Units {
			if p := m.questionPlot(q, u); p != nil {
				fmt.Fprintf(b, ", [%s plot](plots/%s.svg)", esc(metricLabel(u)), p.Name)
			}
		}
		b.WriteString(")\n\n")
		if len(q.Answers) == 0 {
			b.WriteString("- no cells of this run answer it\n")
		}
		for _, a := range q.Answers {
			for _, l := range a.Lines {
				where, verdict, detail := a.lineText(l)
				fmt.Fprintf(b, "- %s: **%s** — %s\n", esc(where), esc(verdict), esc(detail))
			}
		}
		for _, c := range q.Capacity {
			fmt.Fprintf(b, "- %s\n", esc(c.Text()))
		}
		b.WriteString("\n")
	}
}

// questionPlot returns the plot of a question's metric, if drawn.
func (m *Model) questionPlot(q *QuestionReport, unit string) *Plot {
	name := q.Slug + "-" + slug(metricLabel(unit))
	for _, p := range m.Plots {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// wrap breaks s into lines of at most width runes (a longer word stays
// whole), each after indent: reasons are wrapped, never cut.
func wrap(s string, width int, indent string) string {
	var b strings.Builder
	line := indent
	for _, w := range strings.Fields(s) {
		if len([]rune(line)) > len(indent) && len([]rune(line))+1+len([]rune(w)) > width {
			b.WriteString(line + "\n")
			line = indent
		}
		if len([]rune(line)) > len(indent) {
			line += " "
		}
		line += w
	}
	b.WriteString(line)
	return b.String()
}

// tables builds the question's tables: per unit, a row per answer and a
// column per configuration (labels in first-seen order, the base first).
// The geomean row appears only where rows are comparable: several rows of
// one workload and one benchmark.
func (qr *QuestionReport) tables(m *Model, alpha, confidence float64) {
	var cols []string
	for _, a := range qr.Answers {
		for _, c := range a.Configs {
			if !slices.Contains(cols, c) {
				cols = append(cols, c)
			}
		}
	}
	comparable := len(qr.Answers) > 1
	for _, a := range qr.Answers {
		comparable = comparable && a.Workload == qr.Answers[0].Workload && a.Bench == qr.Answers[0].Bench
	}
	for _, u := range qr.Units {
		var rows []string
		var values [][][]float64
		for _, a := range qr.Answers {
			if a.Samples[u] == nil {
				continue // another kind of workload: not its metric
			}
			rows = append(rows, a.Where())
			row := make([][]float64, len(cols))
			for i, c := range a.Configs {
				if ss := a.Samples[u]; i < len(ss) {
					row[slices.Index(cols, c)] = ss[i]
				}
			}
			values = append(values, row)
		}
		if len(rows) == 0 {
			continue
		}
		t := compare.NewTable([]compare.KV{{Key: "question", Value: qr.Title}}, u, m.better(u), cols, rows, values, alpha, confidence, comparable)
		qr.Tables = append(qr.Tables, t)
	}
}
