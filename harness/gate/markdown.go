package gate

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
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
	Small:         "within threshold",
	Unchanged:     "~",
	TooFewSamples: "⚠️ too few samples",
}

// WriteMarkdown renders the report as GitHub-flavoured Markdown, at most
// limit bytes (MaxMarkdown when limit <= 0): the outcome, the two runs
// and the policy, the problems, the significant changes (regressions that
// fail the gate first), the confirmation, the warnings, and then every row
// in a collapsed <details> section.
func WriteMarkdown(w io.Writer, r *Report, limit int) error {
	if limit <= 0 {
		limit = MaxMarkdown
	}
	var b strings.Builder
	fmt.Fprintf(&b, "## %s\n\n", outcomeTitle[r.Outcome])
	fails := len(r.Regressions())
	switch r.Outcome {
	case Pass:
		fmt.Fprintf(&b, "No significant regression beyond its threshold in %d comparisons.\n\n", len(r.Rows))
	case Regressed:
		fmt.Fprintf(&b, "**%s** beyond %s threshold in %d comparisons.\n\n", plural(fails, "significant regression"), map[bool]string{true: "its", false: "their"}[fails == 1], len(r.Rows))
	case Invalid:
		fmt.Fprintf(&b, "The comparison is **invalid**: %s. ", plural(len(r.Problems), "problem"))
		if fails > 0 {
			fmt.Fprintf(&b, "It also found %s.", plural(fails, "significant regression"))
		}
		b.WriteString("\n\n")
	}
	b.WriteString("| | run | spec | host | toolchains |\n|---|---|---|---|---|\n")
	for _, side := range []struct {
		name string
		ri   RunInfo
	}{{"candidate", r.Candidate}, {"baseline", r.Baseline}} {
		fmt.Fprintf(&b, "| %s | `%s` | %s | %s (`%s`) | %s |\n", side.name, cell(side.ri.RunID), cell(side.ri.Spec),
			cell(side.ri.Host), cell(side.ri.HostID), cell(strings.Join(side.ri.Toolchains, ", ")))
	}
	fmt.Fprintf(&b, "\nMann-Whitney U test at α = %g; minimum effect %s", r.Alpha, Percent(r.Threshold))
	if r.Thresholds != "" {
		fmt.Fprintf(&b, ", raised per benchmark to the noise calibrated in `%s`", cell(r.Thresholds))
	}
	b.WriteString(".\n\n")
	if len(r.Problems) > 0 {
		b.WriteString("### Problems\n\n")
		for _, p := range r.Problems {
			fmt.Fprintf(&b, "- %s\n", line(p))
		}
		b.WriteString("\n")
	}
	sig := significant(r.Rows)
	if len(sig) > 0 {
		fmt.Fprintf(&b, "### Significant changes (%d)\n\n", len(sig))
		b.WriteString("| verdict | benchmark | config | metric | baseline | candidate | Δ | p | threshold |\n|---|---|---|---|---|---|---|---|---|\n")
		for i, row := range sig {
			l := fmt.Sprintf("| %s | %s | %s | %s | %s | %s | **%s** | %s | %s |\n", rowVerdict(row), cell(row.Benchmark), cell(row.Config),
				cell(row.Unit), cell(formatStat(row.Base, row.Unit)), cell(formatStat(row.Cand, row.Unit)),
				SignedPercent(float64(row.Delta)), formatP(float64(row.P)), cell(Percent(row.Threshold)+" ("+row.From+")"))
			if b.Len()+len(l) > limit/2 {
				fmt.Fprintf(&b, "\n*… %d more significant changes not shown (size limit); gate.json has every row.*\n", len(sig)-i)
				break
			}
			b.WriteString(l)
		}
		b.WriteString("\n")
	} else if len(r.Rows) > 0 {
		b.WriteString("No significant change beyond a threshold.\n\n")
	}
	if c := r.Confirm; c != nil {
		b.WriteString("### Confirmation\n\n")
		how := "the candidate alone (the baseline's binaries were not available)"
		if c.Baseline {
			how = "interleaved with the baseline's binaries"
		}
		fmt.Fprintf(&b, "%s with a first-pass regression ran %s more each, %s; the verdict is on all samples: %d confirmed, %d cleared.\n\n",
			plural(len(c.Cells), "cell"), plural(c.Runs, "time"), how, c.Confirmed, c.Cleared)
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
		b.WriteString("| benchmark | config | metric | baseline | candidate | Δ | p | threshold | verdict |\n|---|---|---|---|---|---|---|---|---|\n")
		for i, row := range r.Rows {
			l := fmt.Sprintf("| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", cell(row.Benchmark), cell(row.Config), cell(row.Unit),
				cell(formatStat(row.Base, row.Unit)), cell(formatStat(row.Cand, row.Unit)), SignedPercent(float64(row.Delta)),
				formatP(float64(row.P)), cell(Percent(row.Threshold)), rowVerdict(row))
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
	if !r.Gated && r.Verdict != Unchanged {
		s += " (not gated)"
	}
	return s
}

// significant returns the rows with a significant change at least their
// threshold: gate failures first, then other regressions, changes and
// improvements, each by size.
func significant(rows []Row) []Row {
	var out []Row
	for _, r := range rows {
		switch r.Verdict {
		case Regression, Improvement, Changed:
			out = append(out, r)
		}
	}
	rank := func(r Row) int {
		switch {
		case r.Fails():
			return 0
		case r.Verdict == Regression:
			return 1
		case r.Verdict == Changed:
			return 2
		}
		return 3
	}
	slices.SortStableFunc(out, func(a, b Row) int {
		return cmp.Or(cmp.Compare(rank(a), rank(b)), cmp.Compare(math.Abs(float64(b.Delta)), math.Abs(float64(a.Delta))))
	})
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

func plural(n int, what string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", what)
	}
	return fmt.Sprintf("%d %ss", n, what)
}
