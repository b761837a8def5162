package gate

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/perfharness/harness/harness/escape"
)

// MaxMarkdown is the most the Markdown summary may take: GitHub refuses a
// job summary over 1 MiB. The full table is cut short, with a note, to fit.
const MaxMarkdown = 1<<20 - 16<<10

var outcomeTitle = map[Outcome]string{
	Pass:      "✅ harness gate: pass",
	Regressed: "❌ harness gate: regression",
	Invalid:   "⚠️ harness gate: invalid",
}

var verdictLabel = map[Verdict]string{
	Regression:    "🔴 regression",
	Improvement:   "🟢 improvement",
	Changed:       "🟡 changed",
	Inconclusive:  "inconclusive",
	Small:         "within threshold",
	Unchanged:     "~",
	TooFewSamples: "⚠️ too few samples",
	Imprecise:     "not judged (imprecise)",
	NotCompared:   "not compared",
	Contended:     "not judged (contended)",
}

// WriteMarkdown renders the report as GitHub-flavoured Markdown, at most
// limit bytes (MaxMarkdown when limit <= 0): the outcome, the two runs
// and the policy, the problems, the regressions that fail the gate, the
// improvements apart, the other changes (not gated, direction unknown,
// inconclusive), what was not judged and why, the confirmation, the
// warnings, and then every row in a collapsed <details> section.
func WriteMarkdown(w io.Writer, r *Report, limit int) error {
	w = escape.NewWriter(w) // labels, reasons and names come from outside
	if limit <= 0 {
		limit = MaxMarkdown
	}
	var b strings.Builder
	fmt.Fprintf(&b, "## %s\n\n", outcomeTitle[r.Outcome])
	fails := len(r.Regressions())
	switch r.Outcome {
	case Pass:
		fmt.Fprintf(&b, "No significant regression beyond its threshold in %d comparisons (%d gated and judged).\n\n", len(r.Rows), r.Family)
	case Regressed:
		fmt.Fprintf(&b, "**%s** beyond %s threshold in %d comparisons (%d gated and judged).\n\n", Plural(fails, "significant regression"),
			map[bool]string{true: "its", false: "their"}[fails == 1], len(r.Rows), r.Family)
	case Invalid:
		fmt.Fprintf(&b, "The comparison is **invalid**: %s. ", Plural(len(r.Problems), "problem"))
		if fails > 0 {
			fmt.Fprintf(&b, "It also found %s.", Plural(fails, "significant regression"))
		}
		b.WriteString("\n\n")
	}
	b.WriteString("| | run | spec | host | toolchains |\n|---|---|---|---|---|\n")
	for _, side := range []struct {
		name string
		ri   RunInfo
	}{{"candidate", r.Candidate}, {"baseline", r.Baseline}} {
		if side.ri.RunID == "" {
			fmt.Fprintf(&b, "| %s | none | | | |\n", side.name)
			continue
		}
		fmt.Fprintf(&b, "| %s | `%s` | %s | %s (`%s`) | %s |\n", side.name, cell(side.ri.RunID), cell(side.ri.Spec),
			cell(side.ri.Host), cell(side.ri.HostID), cell(strings.Join(side.ri.Toolchains, ", ")))
	}
	fmt.Fprintf(&b, "\nHost state — baseline: %s. Candidate: %s.\n", line(r.BaselineHost.String()), line(r.CandidateHost.String()))
	fmt.Fprintf(&b, "\nMann-Whitney U test at α = %g", r.Alpha)
	if r.FDR > 0 {
		fmt.Fprintf(&b, ", p-values of the %s adjusted with Benjamini–Hochberg (FDR %s): a regression needs q ≤ %s", Plural(r.Family, "gated comparison"), Percent(r.FDR), Percent(r.FDR))
	} else {
		b.WriteString(", no adjustment for multiple comparisons (FDR off): a regression needs p ≤ α")
	}
	fmt.Fprintf(&b, " and its %g%% confidence interval wholly beyond the minimum effect, %s", 100*(1-r.Alpha), Percent(r.Threshold))
	if r.Thresholds != "" {
		fmt.Fprintf(&b, ", raised per benchmark to the noise calibrated in `%s`", cell(r.Thresholds))
	}
	b.WriteString(". Improvements never fail the gate.\n\n")
	if len(r.Problems) > 0 {
		b.WriteString("### Problems\n\n")
		for _, p := range r.Problems {
			fmt.Fprintf(&b, "- %s\n", line(p))
		}
		b.WriteString("\n")
	}
	regs, imps, others := changes(r.Rows)
	const head = "| benchmark | config | metric | baseline | candidate | Δ | CI | p | q | threshold |\n|---|---|---|---|---|---|---|---|---|---|\n"
	const labelled = "| verdict | benchmark | config | metric | baseline | candidate | Δ | CI | p | q | threshold |\n|---|---|---|---|---|---|---|---|---|---|---|\n"
	for _, sec := range []struct {
		title string
		rows  []Row
		label bool
	}{{"Regressions", regs, false}, {"Improvements", imps, false}, {"Other changes", others, true}} {
		if len(sec.rows) == 0 {
			continue
		}
		fmt.Fprintf(&b, "### %s (%d)\n\n", sec.title, len(sec.rows))
		if sec.label {
			b.WriteString("Not gated, of unknown direction, or significant with an interval that reaches within the threshold: none of these fails the gate.\n\n")
			b.WriteString(labelled)
		} else {
			b.WriteString(head)
		}
		for i, row := range sec.rows {
			v := ""
			if sec.label {
				v = "| " + rowVerdict(row) + " "
			}
			l := fmt.Sprintf("%s| %s | %s | %s | %s | %s | **%s** | %s | %s | %s | %s |\n", v, cell(row.Benchmark), cell(row.Config),
				cell(row.Unit), cell(formatStat(row.Base, row.Unit)), cell(formatStat(row.Cand, row.Unit)),
				SignedPercent(float64(row.Delta)), formatCI(row), formatP(float64(row.P)), formatP(float64(row.Q)), cell(Percent(row.Threshold)+" ("+row.From+")"))
			if b.Len()+len(l) > limit/2 {
				fmt.Fprintf(&b, "\n*… %d more not shown (size limit); gate.json has every row.*\n", len(sec.rows)-i)
				break
			}
			b.WriteString(l)
		}
		b.WriteString("\n")
	}
	if len(regs)+len(imps)+len(others) == 0 && len(r.Rows) > 0 {
		b.WriteString("No significant change beyond a threshold.\n\n")
	}
	if groups := notJudged(r.Rows); len(groups) > 0 {
		n := 0
		for _, g := range groups {
			n += g.n
		}
		fmt.Fprintf(&b, "### Not judged (%d)\n\n", n)
		b.WriteString("Shown in the full table, but neither a change nor a pass:\n\n")
		for i, g := range groups {
			if i == 20 {
				fmt.Fprintf(&b, "- … and %d more kinds (gate.json has every row's why)\n", len(groups)-i)
				break
			}
			fmt.Fprintf(&b, "- %s, %s: %s\n", verdictLabel[g.verdict], Plural(g.n, cell(g.unit)+" row"), line(g.why))
		}
		b.WriteString("\n")
	}
	if c := r.Confirm; c != nil {
		b.WriteString("### Confirmation\n\n")
		how := "the candidate alone (the baseline's binaries were not available)"
		if c.Baseline {
			how = "interleaved with the baseline's binaries"
		}
		on := "the first run's samples and the reruns' together"
		if c.Alone {
			on = fmt.Sprintf("the interleaved reruns alone where they decide (%d rows) and on all samples together otherwise", c.Decided)
		}
		fmt.Fprintf(&b, "%s with a first-pass suspect (a regression, or a change for the worse too close to its threshold to call) ran %s more each, %s; the verdict on them is on %s: %d of %s regressions after the reruns, %d not; %s found by the reruns.\n\n",
			Plural(len(c.Cells), "cell"), Plural(c.Runs, "time"), how, on, c.Confirmed, Plural(len(c.Before), "suspect"), c.Cleared, Plural(c.New, "other regression"))
		for _, n := range c.Notes {
			fmt.Fprintf(&b, "- %s\n", line(n))
		}
		if len(c.Notes) > 0 {
			b.WriteString("\n")
		}
	}
	if len(r.Warnings) > 0 {
		b.WriteString("### Warnings\n\n")
		for _, wn := range r.Warnings {
			fmt.Fprintf(&b, "- %s\n", line(wn))
		}
		b.WriteString("\n")
	}
	if len(r.Rows) > 0 {
		const closing = "\n</details>\n"
		fmt.Fprintf(&b, "<details><summary>All %d comparisons</summary>\n\n", len(r.Rows))
		b.WriteString("| benchmark | config | metric | baseline | candidate | Δ | CI | p | q | threshold | verdict |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
		for i, row := range r.Rows {
			l := fmt.Sprintf("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", cell(row.Benchmark), cell(row.Config), cell(row.Unit),
				cell(formatStat(row.Base, row.Unit)), cell(formatStat(row.Cand, row.Unit)), SignedPercent(float64(row.Delta)),
				formatCI(row), formatP(float64(row.P)), formatP(float64(row.Q)), cell(Percent(row.Threshold)), rowVerdict(row))
			if b.Len()+len(l)+len(closing)+200 > limit {
				fmt.Fprintf(&b, "\n*… truncated: %d more rows not shown (the summary is limited to %d KiB); gate.json has every row.*\n", len(r.Rows)-i, limit>>10)
				break
			}
			b.WriteString(l)
		}
		b.WriteString(closing)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func rowVerdict(r Row) string {
	s := verdictLabel[r.Verdict]
	if !r.Gated && r.Verdict.Judged() && r.Verdict != Unchanged {
		s += " (not gated)"
	}
	return s
}

// formatCI renders a row's effect interval, "—" when it has none.
func formatCI(r Row) string {
	lo, hi := float64(r.CILow), float64(r.CIHigh)
	if math.IsNaN(lo) || math.IsNaN(hi) {
		return "—"
	}
	return "[" + SignedPercent(lo) + ", " + SignedPercent(hi) + "]"
}

// changes returns the rows the summary lists as changes, each group by
// size: the regressions that fail the gate, the gated improvements, and
// the other significant changes (not gated, direction unknown,
// inconclusive). Rows not judged are never changes.
func changes(rows []Row) (regs, imps, others []Row) {
	for _, r := range rows {
		switch {
		case r.Fails():
			regs = append(regs, r)
		case r.Gated && r.Verdict == Improvement:
			imps = append(imps, r)
		case r.Verdict == Regression, r.Verdict == Improvement, r.Verdict == Changed, r.Verdict == Inconclusive:
			others = append(others, r)
		}
	}
	bySize := func(a, b Row) int { return cmp.Compare(math.Abs(float64(b.Delta)), math.Abs(float64(a.Delta))) }
	slices.SortStableFunc(regs, bySize)
	slices.SortStableFunc(imps, bySize)
	slices.SortStableFunc(others, bySize)
	return regs, imps, others
}

type judgedGroup struct {
	verdict   Verdict
	unit, why string
	n         int
}

// notJudged groups the rows the gate declined to judge by verdict and
// unit, with the first row's reason.
func notJudged(rows []Row) []judgedGroup {
	var out []judgedGroup
	idx := map[[2]string]int{}
	for _, r := range rows {
		if r.Verdict.Judged() {
			continue
		}
		k := [2]string{string(r.Verdict), r.Unit}
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, judgedGroup{verdict: r.Verdict, unit: r.Unit, why: r.Why})
		}
		out[i].n++
	}
	return out
}

// cell escapes text for a Markdown table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "\\", "\\\\")
	s = strings.ReplaceAll(s, "|", "\\|")
	return line(s)
}

// line keeps text on one Markdown line and neutralises HTML.
func line(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.ReplaceAll(s, "<", "&lt;")
	return strings.ReplaceAll(s, ">", "&gt;")
}

// Plural says how many of what: "1 run", "3 runs".
func Plural(n int, what string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", what)
	}
	return fmt.Sprintf("%d %ss", n, what)
}
