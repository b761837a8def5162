package gate

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/perfharness/harness/harness/compare"
	"github.com/perfharness/harness/harness/host"
	"github.com/perfharness/harness/harness/results"
)

// ReportFormat is the version of gate.json.
const ReportFormat = 1

// An Outcome is the gate's answer for a whole comparison.
type Outcome string

// Outcomes, with the exit codes CI branches on.
const (
	Pass      Outcome = "pass"       // exit 0: no significant regression beyond its threshold
	Regressed Outcome = "regression" // exit 1
	Invalid   Outcome = "invalid"    // exit 3: the runs cannot be compared as they are
)

// ExitCode returns the process exit code of an outcome: 0 pass, 1
// regression, 3 invalid. Invalid wins over regression: the gate cannot
// vouch for a run it could not fully read (the report still lists the
// regressions it found).
func (o Outcome) ExitCode() int {
	switch o {
	case Pass:
		return 0
	case Regressed:
		return 1
	}
	return 3
}

// A Verdict is the gate's answer for one benchmark × configuration × metric.
type Verdict string

// Verdicts.
const (
	Regression  Verdict = "regression"  // significant, worse, its interval wholly beyond the threshold
	Improvement Verdict = "improvement" // significant, better, its interval wholly beyond the threshold
	Changed     Verdict = "changed"     // significant, beyond the threshold, direction unknown
	// Inconclusive is a significant change whose estimate is beyond the
	// threshold but whose interval reaches back within it: not enough
	// evidence either way.
	Inconclusive  Verdict = "inconclusive"
	Small         Verdict = "within-threshold" // significant but smaller than the threshold
	Unchanged     Verdict = "unchanged"        // not significant
	TooFewSamples Verdict = "too-few-samples"  // the test cannot reach alpha with these samples
	// Imprecise is a figure shown but not judged: a tail quantile (or the
	// tail-driven mean) of runs too short to hold enough ops beyond it.
	Imprecise Verdict = "imprecise"
	// NotCompared is a row of a cell one side cannot offer (failed, or
	// without enough valid runs): shown, never judged, never a change.
	NotCompared Verdict = "not-compared"
	// Contended is a row whose sides ran on hosts too differently
	// contended to compare: shown, never judged.
	Contended Verdict = "contended"
)

// Judged reports whether the verdict is the outcome of the test (as
// opposed to a row the gate declined to judge).
func (v Verdict) Judged() bool {
	switch v {
	case TooFewSamples, Imprecise, NotCompared, Contended, "":
		return false
	}
	return true
}

// A Float is a float64 that encodes in JSON even when infinite or NaN (as
// the strings "+Inf", "-Inf", "NaN"), as a delta from zero is.
type Float float64

// MarshalJSON implements json.Marshaler.
func (f Float) MarshalJSON() ([]byte, error) {
	v := float64(f)
	switch {
	case math.IsInf(v, 1):
		return []byte(`"+Inf"`), nil
	case math.IsInf(v, -1):
		return []byte(`"-Inf"`), nil
	case math.IsNaN(v):
		return []byte(`"NaN"`), nil
	}
	return strconv.AppendFloat(nil, v, 'g', -1, 64), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (f *Float) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case `"+Inf"`:
		*f = Float(math.Inf(1))
	case `"-Inf"`:
		*f = Float(math.Inf(-1))
	case `"NaN"`:
		*f = Float(math.NaN())
	default:
		var v float64
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*f = Float(v)
	}
	return nil
}

// A Stat is one side of a comparison: the center (median) with its
// confidence interval, and the number of samples.
type Stat struct {
	Center Float `json:"center"`
	Lo     Float `json:"lo"`
	Hi     Float `json:"hi"`
	N      int   `json:"n"`
}

func statOf(s compare.Summary) Stat {
	return Stat{Center: Float(s.Center), Lo: Float(s.Lo), Hi: Float(s.Hi), N: s.N}
}

// A Row is the verdict on one benchmark × configuration × metric.
type Row struct {
	Workload  string `json:"workload,omitempty"`
	Cell      string `json:"cell,omitempty"` // the candidate cell it came from, when known
	Config    string `json:"config"`         // e.g. "workload: json, toolchain: go1.27.3"
	Benchmark string `json:"benchmark"`      // e.g. "Json/op=decode"
	Unit      string `json:"unit"`           // tidied: sec/op, p99-sec, B/op
	Better    int    `json:"better"`         // +1 higher is better, -1 lower, 0 unknown
	Base      Stat   `json:"baseline"`
	Cand      Stat   `json:"candidate"`
	Delta     Float  `json:"delta"` // (cand-base)/base of the centers
	// CILow and CIHigh bound the effect (cand/base − 1, compare.Effect)
	// at the policy's confidence, 1 − Alpha.
	CILow  Float `json:"ci_low"`
	CIHigh Float `json:"ci_high"`
	P      Float `json:"p"`
	// Q is P adjusted with Benjamini–Hochberg over the gated, judged rows
	// (P itself when the adjustment is off); NaN for rows outside that
	// family.
	Q Float `json:"q"`
	// Threshold is the minimum effect size that applied, and From where it
	// came from; Gated says whether the row can fail the gate.
	Threshold float64 `json:"threshold"`
	From      string  `json:"threshold_from"`
	Gated     bool    `json:"gated"`
	Verdict   Verdict `json:"verdict"`
	// Why says how the verdict was reached, or why the row was not judged.
	Why      string   `json:"why"`
	Warnings []string `json:"warnings,omitempty"`
	// HostAdjusted, when set, says Delta, the CI and P are of the figures
	// brought to one host speed, and holds the comparison as measured
	// (compare.HostAdjust).
	HostAdjusted *compare.HostAdjust `json:"host_adjusted,omitempty"`

	floor     bool     // an allocation figure under allocFloor: never beyond its threshold
	partial   []string // the partial cells (side NUL id) the row's samples come from
	contended string   // why the sides' host states are too different to judge
	hidden    bool     // refused for contention, it would have been a regression
}

// Fails reports whether the row fails the gate.
func (r *Row) Fails() bool { return r.Gated && r.Verdict == Regression }

// A RunInfo identifies one side of the comparison.
type RunInfo struct {
	RunID      string         `json:"run_id"`
	Path       string         `json:"path,omitempty"`
	Spec       string         `json:"spec"`
	SpecSHA256 string         `json:"spec_sha256"`
	Status     results.Status `json:"status"`
	Started    time.Time      `json:"started"`
	HostID     string         `json:"host_id"`
	Host       string         `json:"host"` // CPU brand and host name
	Toolchains []string       `json:"toolchains"`
	Shard      string         `json:"shard,omitempty"`
}

// Info describes a results folder's run for reports.
func Info(path string, m *results.Manifest) RunInfo {
	ri := RunInfo{RunID: m.RunID, Path: path, Spec: m.Name, SpecSHA256: m.SpecSHA256, Status: m.Status,
		Started: m.Started, HostID: m.Host.ID, Host: m.Host.Label(), Shard: m.Shard, Toolchains: []string{}}
	for _, tc := range m.Toolchains {
		ri.Toolchains = append(ri.Toolchains, tc.Name+"="+tc.Version)
	}
	return ri
}

// A Confirmation records the reruns that confirmed or cleared the first
// verdict's suspects (Report.Suspects).
type Confirmation struct {
	Runs     int      `json:"runs"`           // reruns per cell
	Cells    []string `json:"cells"`          // the candidate cells rerun
	Baseline bool     `json:"baseline_rerun"` // the baseline's binaries ran interleaved with them
	Folder   string   `json:"folder,omitempty"`
	Before   []Row    `json:"before"` // the suspects of the first verdict
	// Alone says the rows of the rerun cells were first judged on the
	// interleaved reruns alone (both sides rerun, enough runs for the
	// test; see Reconcile), and Decided how many of them that decided.
	Alone     bool `json:"reruns_alone"`
	Decided   int  `json:"decided_by_reruns_alone"`
	Confirmed int  `json:"confirmed"` // suspects that are regressions after the reruns
	Cleared   int  `json:"cleared"`   // suspects that are not
	// New counts the regressions after the reruns among rows of the rerun
	// cells that were not suspects (the interleaved reruns found them).
	New   int      `json:"new_regressions"`
	Notes []string `json:"notes,omitempty"`
}

// A Report is the gate's whole answer.
type Report struct {
	Format    int     `json:"format"`
	Outcome   Outcome `json:"outcome"`
	ExitCode  int     `json:"exit_code"`
	Baseline  RunInfo `json:"baseline"`
	Candidate RunInfo `json:"candidate"`
	// BaselineHost and CandidateHost are the sides' host states: how
	// contended the machine was while their runs ran.
	BaselineHost  HostState `json:"baseline_host_state"`
	CandidateHost HostState `json:"candidate_host_state"`
	Alpha         float64   `json:"alpha"`
	// FDR is the false discovery rate kept over the Family gated rows
	// judged (Benjamini–Hochberg); 0 when the adjustment is off.
	FDR       float64 `json:"fdr"`
	Family    int     `json:"gated_comparisons"`
	Threshold float64 `json:"threshold"`
	// Thresholds names the calibration file used, if any.
	Thresholds string `json:"thresholds,omitempty"`
	Rows       []Row  `json:"rows"`
	// Problems make the comparison invalid; Warnings do not.
	Problems []string      `json:"problems"`
	Warnings []string      `json:"warnings"`
	Confirm  *Confirmation `json:"confirmation,omitempty"`
}

// Regressions returns the rows that fail the gate.
func (r *Report) Regressions() []Row { return r.rowsWhere((*Row).Fails) }

// Suspects returns the rows a confirmation reruns: the regressions, and
// the gated rows significantly worse at alpha — alone, before the
// adjustment over the family: the reruns test them afresh — whose
// interval reaches past their threshold without lying wholly beyond it.
// More evidence decides them: the first pass's sides ran apart, so a drift
// of the host between them can make or hide a change of this size.
func (r *Report) Suspects() []Row {
	return r.rowsWhere(func(row *Row) bool { return row.suspect(r.Alpha) })
}

// rowsWhere returns the rows for which keep is true.
func (r *Report) rowsWhere(keep func(*Row) bool) []Row {
	var out []Row
	for i := range r.Rows {
		if keep(&r.Rows[i]) {
			out = append(out, r.Rows[i])
		}
	}
	return out
}

func (r *Row) suspect(alpha float64) bool {
	if r.Fails() {
		return true
	}
	if !r.Gated || !r.Worse() || r.floor {
		return false
	}
	t := r.Threshold
	reaches := r.Better < 0 && float64(r.CIHigh) >= t || r.Better > 0 && float64(r.CILow) <= -t
	switch r.Verdict {
	case Inconclusive:
		return true
	case Small:
		return reaches
	case Unchanged: // significant alone, not among the family
		return float64(r.P) <= alpha && reaches
	}
	return false
}

// Worse reports whether the row's candidate is worse than its baseline in
// its unit's direction (false when the direction is unknown).
func (r *Row) Worse() bool {
	d := float64(r.Delta)
	return r.Better < 0 && d > 0 || r.Better > 0 && d < 0
}

// Count returns how many rows have verdict v (gated or not).
func (r *Report) Count(v Verdict) int {
	n := 0
	for _, row := range r.Rows {
		if row.Verdict == v {
			n++
		}
	}
	return n
}

// An Input is everything Decide needs: the two manifests and the
// comparisons of their benchmarks (compare.Pair of their bench.txt).
type Input struct {
	Baseline, Candidate         *results.Manifest
	BaselinePath, CandidatePath string
	Comparisons                 []compare.Comparison
	Policy                      Policy
	ThresholdsFile              string
}

// Decide gives the verdict. It is pure: everything it reads is in in.
//
// Each comparison becomes a row. A row is not judged when a side's cell
// cannot be compared, when it is a tail figure of runs too short to hold
// it, or when the test cannot reach alpha with its samples (a problem if
// the row is gated). The p-values of the gated rows that are judged form
// one family, adjusted with Benjamini–Hochberg; a gated row is a
// regression when its q is at most the FDR (and its p at most alpha), it
// is worse in its unit's direction, and the effect's whole confidence
// interval lies beyond the threshold.
func Decide(in Input) *Report {
	p := in.Policy.withDefaults()
	rep := &Report{Format: ReportFormat, Alpha: p.Alpha, FDR: p.fdr(), Threshold: p.Threshold, Thresholds: in.ThresholdsFile,
		Baseline: Info(in.BaselinePath, in.Baseline), Candidate: Info(in.CandidatePath, in.Candidate),
		BaselineHost: hostStateOf(in.Baseline), CandidateHost: hostStateOf(in.Candidate),
		Rows: []Row{}, Problems: []string{}, Warnings: []string{}}
	cells := checkRuns(rep, in.Baseline, in.Candidate, p)
	if p.Calibrated != nil && p.Calibrated.HostID != "" && p.Calibrated.HostID != in.Candidate.Host.ID {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("the thresholds file was calibrated on host %s (%s), not the candidate's host %s: its noise figures may not apply",
			p.Calibrated.HostID, p.Calibrated.Host, in.Candidate.Host.ID))
	}
	for _, c := range in.Comparisons {
		rep.Rows = append(rep.Rows, assess(c, p, in.Baseline, in.Candidate, cells))
	}
	partialNotes(rep, cells, p)
	rep.Family = judge(rep.Rows, p)
	slices.SortStableFunc(rep.Rows, func(a, b Row) int {
		return cmp.Or(cmp.Compare(a.Config, b.Config), cmp.Compare(a.Benchmark, b.Benchmark), cmp.Compare(a.Unit, b.Unit))
	})
	if len(in.Comparisons) == 0 {
		rep.Problems = append(rep.Problems, "nothing to compare: no benchmark × configuration × metric is in both runs (different specs, or every candidate cell failed?)")
	}
	few := 0
	for _, r := range rep.Rows {
		if r.Gated && r.Verdict == TooFewSamples {
			few++
			if few <= 5 {
				rep.Problems = append(rep.Problems, fmt.Sprintf("%s %s (%s): too few samples (%d baseline, %d candidate) for the test to reach alpha %g",
					r.Benchmark, r.Unit, r.Config, r.Base.N, r.Cand.N, p.Alpha))
			}
		}
	}
	if few > 5 {
		rep.Problems = append(rep.Problems, fmt.Sprintf("... and %d more metrics with too few samples", few-5))
	}
	if w := familyPower(rep.Rows, p); w != "" {
		rep.Warnings = append(rep.Warnings, w)
	}
	contentionNotes(rep)
	rep.settle()
	return rep
}

// contentionNotes makes the rows refused for contention count: a refused
// row that would have been a regression, or a gate with no gated row left
// to judge, makes the comparison invalid (exit 3, never 1); other refusals
// are a warning.
func contentionNotes(rep *Report) {
	refused, would := 0, 0
	var first string
	for _, r := range rep.Rows {
		if r.Verdict != Contended || !r.Gated {
			continue
		}
		refused++
		if r.hidden {
			would++
			if would <= 5 {
				rep.Problems = append(rep.Problems, fmt.Sprintf("%s %s (%s): %s", r.Benchmark, r.Unit, r.Config, r.Why))
			}
		}
		if first == "" {
			first = r.Why
		}
	}
	switch {
	case would > 5:
		rep.Problems = append(rep.Problems, fmt.Sprintf("... and %d more regressions that could not be judged for contention", would-5))
	case refused == 0:
		return
	case rep.Family == 0:
		rep.Problems = append(rep.Problems, fmt.Sprintf("nothing left to judge: all %d gated comparisons were refused for contention (%s)", refused, first))
	case would == 0:
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s not judged for contention, none a regression; the first: %s", Plural(refused, "gated comparison"), first))
	}
}

// partialNotes says, once per partial cell, whether it was compared on its
// valid runs or not compared at all for want of them: never both. A
// candidate cell not compared is a problem (the gate cannot vouch for it).
func partialNotes(rep *Report, cells map[string]cellState, p Policy) {
	compared, short := map[string]bool{}, map[string]bool{}
	for _, r := range rep.Rows {
		for _, k := range r.partial {
			if r.Verdict == NotCompared {
				short[k] = true
			} else {
				compared[k] = true
			}
		}
	}
	keys := slices.Sorted(maps.Keys(cells))
	for _, k := range keys {
		st := cells[k]
		side, id, _ := strings.Cut(k, "\x00")
		switch {
		case short[k] && side == "candidate":
			rep.Problems = append(rep.Problems, fmt.Sprintf("candidate cell %s has only %s (%s): too few for the test to reach α %g; not compared", id, st.partial, st.reason, p.Alpha))
		case short[k]:
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("baseline cell %s has only %s (%s): too few for the test to reach α %g; its benchmarks are not compared", id, st.partial, st.reason, p.Alpha))
		case compared[k]:
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s cell %s is partial: compared on its %s (%s)", side, id, st.partial, st.reason))
		}
	}
}

// Reconcile merges the verdicts of a confirmation whose reruns ran
// interleaved with the baseline's: first, the first pass's; pooled, on
// every sample of both runs and of the reruns; and alone, on the reruns'
// samples alone for the rows interleaved names (InterleavedKey). For those
// rows the verdict on the reruns alone stands where it decides — a
// regression, or an interval whose worse end stays within the threshold,
// which rules one out — and the pooled verdict otherwise, except that the
// pooled samples, which include the first pass's that chose the cell for
// rerunning, may not make a regression of a row the first pass did not
// call one: that row keeps its first verdict. It returns the merged report
// and how many rows the reruns alone decided.
func Reconcile(first, pooled, alone *Report, interleaved map[string]bool) (*Report, int) {
	key := func(r Row) string { return RowKey(r.Config, r.Benchmark, r.Unit) }
	own, before := map[string]Row{}, map[string]Row{}
	for _, r := range alone.Rows {
		if interleaved[InterleavedKey(r.Config, r.Benchmark)] {
			own[key(r)] = r
		}
	}
	for _, r := range first.Rows {
		before[key(r)] = r
	}
	rep := *pooled
	rep.Rows = slices.Clone(pooled.Rows)
	decided := 0
	for i, r := range rep.Rows {
		a, ok := own[key(r)]
		if !ok {
			continue
		}
		if a.decisive() {
			a.Why = "on the interleaved reruns alone: " + a.Why
			rep.Rows[i] = a
			decided++
			continue
		}
		undecided := fmt.Sprintf("the interleaved reruns alone do not decide (Δ %s, CI %s, threshold %s)",
			SignedPercent(float64(a.Delta)), formatCI(a), Percent(a.Threshold))
		if b, ok := before[key(r)]; ok && r.Fails() && !b.Fails() {
			b.Why = fmt.Sprintf("%s; all samples pooled would call it a regression, but they include the first pass's that chose it for rerunning: the first verdict stands: %s", undecided, b.Why)
			rep.Rows[i] = b
			continue
		}
		rep.Rows[i].Why = undecided + "; on all samples: " + r.Why
	}
	rep.settle()
	return &rep, decided
}

// RowKey identifies a row by its table, benchmark and unit, whatever the
// order of the table's configuration keys (compare lists them in the order
// a file first set them, which two sets of files may not share).
func RowKey(config, benchmark, unit string) string {
	return InterleavedKey(config, benchmark) + "\x00" + unit
}

func normalConfig(config string) string {
	parts := strings.Split(config, ", ")
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

// decisive reports whether a judged row settles the question on its own:
// a regression, or an interval whose worse end stays within the threshold.
func (r *Row) decisive() bool {
	switch {
	case r.Fails():
		return true
	case !r.Gated || !r.Verdict.Judged() || r.Better == 0:
		return false
	case r.Better < 0:
		return float64(r.CIHigh) < r.Threshold
	}
	return float64(r.CILow) > -r.Threshold
}

// AddProblem records a problem found after Decide (a confirmation run
// that failed, say): the report becomes invalid.
func (r *Report) AddProblem(msg string) {
	r.Problems = append(r.Problems, msg)
	r.settle()
}

// settle sets the outcome and exit code from problems and rows.
func (r *Report) settle() {
	switch {
	case len(r.Problems) > 0:
		r.Outcome = Invalid
	case len(r.Regressions()) > 0:
		r.Outcome = Regressed
	default:
		r.Outcome = Pass
	}
	r.ExitCode = r.Outcome.ExitCode()
}

// assess makes a comparison a row: its figures, its threshold, and the
// verdicts that need no test (not compared, imprecise, too few samples).
// The others are left to judge.
func assess(c compare.Comparison, p Policy, base, cand *results.Manifest, cells map[string]cellState) Row {
	workload := ConfigValue(c.Table, "workload")
	lim := p.limit(workload, c.Table, c.Row, c.Unit)
	r := Row{
		Workload: workload, Config: c.Table, Benchmark: c.Row, Unit: c.Unit, Better: c.Better,
		Base: statOf(c.Base), Cand: statOf(c.Cand), Delta: Float(c.Delta), P: Float(c.P), Q: Float(math.NaN()),
		CILow: Float(c.Effect.Lo), CIHigh: Float(c.Effect.Hi),
		Threshold: lim.Threshold, From: lim.From, Gated: lim.Gated, HostAdjusted: c.Host,
	}
	if c.Effect.Confidence == 0 { // a comparison built without an effect
		r.CILow, r.CIHigh = Float(math.NaN()), Float(math.NaN())
	}
	for _, w := range c.Warnings {
		if !strings.HasPrefix(w, compare.HostAdjustedNote) { // the reason says it
			r.Warnings = append(r.Warnings, w)
		}
	}
	cell := CellFor(cand, c.Table, c.Row)
	if cell != nil {
		r.Cell = cell.ID
	}
	var partial []string
	for _, side := range []struct {
		name string
		m    *results.Manifest
	}{{"baseline", base}, {"candidate", cand}} {
		sc := CellFor(side.m, c.Table, c.Row)
		if sc == nil {
			continue
		}
		key := side.name + "\x00" + sc.ID
		st := cells[key]
		if st.excluded != "" {
			r.Verdict, r.Why = NotCompared, fmt.Sprintf("%s cell %s %s: not compared", side.name, sc.ID, st.excluded)
			return r
		}
		if st.partial != "" {
			partial = append(partial, side.name+" cell "+sc.ID+" has "+st.partial)
			r.partial = append(r.partial, key)
		}
	}
	r.contended = p.contended(CellFor(base, c.Table, c.Row), cell)
	if len(partial) > 0 && !Reachable(c.Base.N, c.Cand.N, p.Alpha) && !c.Significant {
		r.Verdict = NotCompared
		r.Why = fmt.Sprintf("%s: n %d and %d cannot reach α %g", strings.Join(partial, "; "), c.Base.N, c.Cand.N, p.Alpha)
		return r
	}
	kind := ""
	if cell != nil {
		kind = cell.Kind
	}
	if why := p.imprecise(c, kind); why != "" {
		r.Verdict, r.Why = Imprecise, why
		return r
	}
	need := p.MinSamples
	switch {
	case need > 0 && (c.Base.N < need || c.Cand.N < need):
		r.Verdict, r.Why = TooFewSamples, fmt.Sprintf("n %d and %d: fewer than the %d samples a side the policy asks for", c.Base.N, c.Cand.N, need)
		return r
	case !Reachable(c.Base.N, c.Cand.N, p.Alpha) && !c.Significant:
		r.Verdict, r.Why = TooFewSamples, fmt.Sprintf("n %d and %d: the smallest p this test can give is %s > α %g", c.Base.N, c.Cand.N, formatP(minP(c.Base.N, c.Cand.N)), p.Alpha)
		return r
	}
	if cell != nil && cell.Kind != "gotest" && belowAllocFloor(c) {
		// A driver-measured allocation figure this small is the driver's and
		// the runtime's own background allocations spread over the ops; its
		// relative changes are large and meaningless.
		r.floor = true
		r.Warnings = append(r.Warnings, fmt.Sprintf("%s below %v on both sides: not gated", c.Unit, allocFloor[c.Unit]))
	}
	return r
}

// judge adjusts the p-values of the gated rows left to judge with
// Benjamini–Hochberg and gives every such row its verdict. It returns the
// size of the family.
func judge(rows []Row, p Policy) int {
	var family []int
	var ps []float64
	for i := range rows {
		if rows[i].Verdict == "" && rows[i].Gated && rows[i].contended == "" {
			family = append(family, i)
			ps = append(ps, float64(rows[i].P))
		}
	}
	qs := ps
	if !p.FDROff {
		qs = AdjustBH(ps)
	}
	for k, i := range family {
		rows[i].Q = Float(qs[k])
	}
	for i := range rows {
		r := &rows[i]
		switch {
		case r.Verdict != "":
		case r.contended != "":
			// What it would have been, alone at alpha: a refusal that
			// hides a regression must say so.
			would := *r
			would.Gated = false
			would.decide(p)
			r.Verdict, r.Why = Contended, r.contended
			if r.Gated && would.Verdict == Regression {
				r.hidden = true
				r.Why += fmt.Sprintf("; it would have been a regression (Δ %s, %s, p %s)", SignedPercent(float64(r.Delta)), formatCI(*r), formatP(float64(r.P)))
			}
		default:
			r.decide(p)
		}
	}
	return len(family)
}

// decide gives a row that can be judged its verdict and says why.
func (r *Row) decide(p Policy) {
	defer func() {
		if h := r.HostAdjusted; h != nil {
			r.Why += "; " + HostNote(h)
		}
	}()
	pv, qv, t := float64(r.P), float64(r.Q), r.Threshold
	lo, hi, d := float64(r.CILow), float64(r.CIHigh), float64(r.Delta)
	ci := fmt.Sprintf("%g%% CI [%s, %s]", 100*(1-p.Alpha), SignedPercent(lo), SignedPercent(hi))
	test := "p " + formatP(pv)
	switch {
	case !r.Gated:
		test += " (not gated: unadjusted)"
	case !p.FDROff:
		test += ", q " + formatP(qv)
	}
	switch {
	case pv > p.Alpha:
		r.Verdict, r.Why = Unchanged, fmt.Sprintf("not significant: %s > α %g", test, p.Alpha)
		return
	case r.Gated && !p.FDROff && !(qv <= p.fdr()):
		r.Verdict, r.Why = Unchanged, fmt.Sprintf("not significant among the gated comparisons: %s > FDR %s", test, Percent(p.fdr()))
		return
	case r.floor:
		r.Verdict, r.Why = Small, fmt.Sprintf("significant (%s), but an allocation figure this small is the driver's own", test)
		return
	}
	// beyond: the interval lies wholly on one side, at least t from 0.
	up := lo >= t && lo > 0
	down := hi <= -t && hi < 0
	switch {
	case r.Better == 0 && (up || down):
		r.Verdict = Changed
	case r.Better < 0 && up, r.Better > 0 && down:
		r.Verdict = Regression
	case r.Better < 0 && down, r.Better > 0 && up:
		r.Verdict = Improvement
	case math.Abs(d) >= t || math.IsNaN(d):
		r.Verdict, r.Why = Inconclusive, fmt.Sprintf("significant (%s), Δ %s, but the %s reaches within the %s threshold", test, SignedPercent(d), ci, Percent(t))
		return
	default:
		r.Verdict, r.Why = Small, fmt.Sprintf("significant (%s), but Δ %s is within the %s threshold", test, SignedPercent(d), Percent(t))
		return
	}
	r.Why = fmt.Sprintf("significant (%s), %s wholly beyond the %s threshold", test, ci, Percent(t))
}

// HostNote says how a comparison took the host's speed into account.
func HostNote(h *compare.HostAdjust) string {
	return fmt.Sprintf("compared at one host speed: the figures follow the host's (slope %.2f, z %.1f); the baseline's runs ran at a probe time of %s, the candidate's %s (%s); as measured, Δ %s, p %s",
		h.Slope, h.Z, formatSeconds(h.BaseProbe), formatSeconds(h.CandProbe), SignedPercent(h.CandProbe/h.BaseProbe-1), SignedPercent(h.RawDelta), formatP(h.RawP))
}

// familyPower warns when the gated family is too large for its samples: BH
// then needs a p no test of these sizes can give for a lone change, so
// only several changes together can be found.
func familyPower(rows []Row, p Policy) string {
	if p.FDROff {
		return ""
	}
	m, best, n := 0, 1.0, 0
	for _, r := range rows {
		if r.Gated && r.Verdict.Judged() {
			m++
			if mp := minP(r.Base.N, r.Cand.N); mp < best {
				best, n = mp, min(r.Base.N, r.Cand.N)
			}
		}
	}
	need := p.fdr() / float64(m)
	if m == 0 || best <= need {
		return ""
	}
	more := n
	for more < 1000 && minP(more, more) > need {
		more++
	}
	return fmt.Sprintf("with %d gated comparisons at FDR %s a lone regression needs p ≤ %s, but the smallest p these samples can give is %s (n %d): "+
		"it cannot be detected; run %d repetitions a side or gate fewer metrics", m, Percent(p.fdr()), strconv.FormatFloat(need, 'g', 2, 64),
		strconv.FormatFloat(best, 'g', 2, 64), n, more)
}

// allocFloor is, per allocation unit, the value under which fixed-rate and
// http figures are not gated.
var allocFloor = map[string]float64{"allocs/op": 1, "B/op": 64}

func belowAllocFloor(c compare.Comparison) bool {
	f, ok := allocFloor[c.Unit]
	return ok && c.Base.Center < f && c.Cand.Center < f
}

// Reachable reports whether a two-sided Mann-Whitney U test of samples of
// sizes n1 and n2 can reach p ≤ alpha at all: its smallest p-value, when
// the samples do not overlap, is 2/C(n1+n2, n1). With 3 runs a side it is
// 0.1, so a gate at 0.05 could never fire: that is a problem, not a pass.
func Reachable(n1, n2 int, alpha float64) bool {
	return n1 >= 1 && n2 >= 1 && minP(n1, n2) <= alpha*(1+1e-12)
}

// A cellState is what one side's cell offers the comparison: nothing
// (excluded says why) or its valid runs only (partial says how many).
type cellState struct{ excluded, partial, reason string }

// stateOf judges a cell by its runs (results.Cell.ValidRuns): a hard
// failure (crashed, timeout, failed, interrupted, build-failed) or no
// valid run excludes it; invalid runs beside valid ones make it partial.
// Judging by runs, not only the cell's status, reads manifests written
// before partial cells existed the same way.
func stateOf(c *results.Cell) cellState {
	if c.Status == results.StatusSkipped {
		return cellState{}
	}
	valid := len(c.ValidRuns())
	finished, invalid := 0, 0
	var hard *results.Run
	for _, r := range c.Runs {
		if !r.Finished() {
			continue
		}
		finished++
		switch {
		case r.Status.Invalid():
			invalid++
		case r.Status.Failed() && hard == nil:
			hard = r
		}
	}
	switch {
	case c.Status.Failed() && (!c.Status.Invalid() || invalid == 0):
		// A hard failure; or an invalid status whose runs do not say
		// which (a manifest that records only the cell's verdict).
		return cellState{excluded: string(c.Status) + suffix(results.FirstLine(c.Reason))}
	case hard != nil:
		return cellState{excluded: fmt.Sprintf("run %d: %s%s", hard.Index, hard.Status, suffix(results.FirstLine(hard.Reason)))}
	case valid == 0:
		return cellState{excluded: "has no valid run: " + string(c.Status) + suffix(results.FirstLine(c.Reason))}
	case invalid > 0:
		return cellState{partial: fmt.Sprintf("%d valid runs of %d", valid, finished), reason: results.FirstLine(c.Reason)}
	}
	return cellState{}
}

// checkRuns adds what makes the two runs incomparable (problems) or worth
// a caveat (warnings), and returns what each cell offers, keyed by side
// ("baseline" or "candidate"), NUL and cell id.
func checkRuns(rep *Report, base, cand *results.Manifest, p Policy) map[string]cellState {
	problem := func(format string, args ...any) { rep.Problems = append(rep.Problems, fmt.Sprintf(format, args...)) }
	warn := func(format string, args ...any) { rep.Warnings = append(rep.Warnings, fmt.Sprintf(format, args...)) }
	cells := map[string]cellState{}
	switch cand.Status {
	case results.RunRunning, results.RunInterrupted, results.RunAbandoned:
		problem("candidate run %s is %s%s", cand.RunID, cand.Status, suffix(cand.Reason))
	}
	for _, c := range cand.Cells {
		st := stateOf(c)
		cells["candidate\x00"+c.ID] = st
		if st.excluded != "" {
			problem("candidate cell %s: %s", c.ID, st.excluded)
		}
	}
	switch base.Status {
	case results.RunRunning, results.RunInterrupted, results.RunAbandoned:
		warn("baseline run %s is %s: only its finished runs are compared", base.RunID, base.Status)
	}
	candCells := map[string]*results.Cell{}
	for _, c := range cand.Cells {
		candCells[c.ID] = c
	}
	for _, c := range base.Cells {
		st := stateOf(c)
		cells["baseline\x00"+c.ID] = st
		if st.excluded != "" {
			warn("baseline cell %s %s: its benchmarks are not compared", c.ID, st.excluded)
		}
		switch {
		case c.Status == results.StatusSkipped || st.excluded != "":
		case candCells[c.ID] == nil && cand.Shard == "":
			warn("baseline cell %s is not in the candidate run (spec changed?)", c.ID)
		case candCells[c.ID] != nil && candCells[c.ID].Status == results.StatusSkipped:
			warn("cell %s ran in the baseline but was skipped in the candidate: %s", c.ID, candCells[c.ID].Reason)
		}
	}
	if base.Host.ID != cand.Host.ID {
		diffs := host.Compare(base.Host, cand.Host)
		detail := ""
		if len(diffs) > 0 {
			detail = ": " + strings.Join(diffs, "; ")
		}
		if p.AllowHostMismatch {
			warn("HOST MISMATCH (allowed): baseline ran on host %s (%s), candidate on %s (%s)%s",
				base.Host.ID, base.Host.Label(), cand.Host.ID, cand.Host.Label(), detail)
		} else {
			problem("host fingerprint mismatch: baseline ran on host %s (%s), candidate on %s (%s)%s; compare runs from the same kind of host, or pass --allow-host-mismatch",
				base.Host.ID, base.Host.Label(), cand.Host.ID, cand.Host.Label(), detail)
		}
	} else if diffs := host.Compare(base.Host, cand.Host); len(diffs) > 0 {
		warn("same CPU, but the hosts differ: %s", strings.Join(diffs, "; "))
	}
	if len(cand.Host.Warnings) > 0 {
		warn("candidate host: %s", strings.Join(cand.Host.Warnings, "; "))
	}
	return cells
}

func suffix(s string) string {
	if s == "" {
		return ""
	}
	return ": " + s
}

// ConfigValue returns the value of key in a compare table key ("workload:
// json, toolchain: go1.27.3"), or "".
func ConfigValue(table, key string) string {
	for _, part := range strings.Split(table, ", ") {
		if v, ok := strings.CutPrefix(part, key+": "); ok {
			return v
		}
	}
	return ""
}

// CellFor finds the cell of m a comparison came from: the one whose
// configuration is exactly the table key and whose op the benchmark names.
// Nil when none or several match (build rows, say, belong to every cell of
// a workload).
func CellFor(m *results.Manifest, table, benchmark string) *results.Cell {
	var found *results.Cell
	for _, c := range m.Cells {
		if !configMatches(c.Config, table) {
			continue
		}
		if c.Op != "" && !namesOp(benchmark, c.Op) {
			continue
		}
		if found != nil {
			return nil
		}
		found = c
	}
	return found
}

// configMatches reports whether table is exactly the cell's non-empty
// configuration, in any order.
func configMatches(cfg []results.KV, table string) bool {
	wrapped := ", " + table + ", "
	n := 0
	for _, kv := range cfg {
		v := strings.Join(strings.Fields(kv.Value), " ")
		if v == "" {
			continue
		}
		part := kv.Key + ": " + v
		if !strings.Contains(wrapped, ", "+part+", ") {
			return false
		}
		n += len(part)
		if n > len(part) {
			n += 2
		}
	}
	return n == len(table)
}

// namesOp reports whether a benchmark name has the path element op=NAME
// (followed by "/", a "-GOMAXPROCS" suffix, or the end).
func namesOp(benchmark, op string) bool {
	for rest := benchmark; ; {
		i := strings.Index(rest, "/op="+op)
		if i < 0 {
			return false
		}
		after := rest[i+len("/op="+op):]
		if after == "" || after[0] == '/' {
			return true
		}
		if after[0] == '-' {
			if _, err := strconv.Atoi(after[1:]); err == nil {
				return true
			}
		}
		rest = rest[i+1:]
	}
}
