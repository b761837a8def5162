package run

import (
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/perfharness/harness/harness/escape"
	"github.com/perfharness/harness/harness/results"
)

// runLine is the progress line of a finished run.
func runLine(n, total int, id string, run *results.Run, count int) string {
	s := fmt.Sprintf("[%d/%d] %s #%d/%d: %s", n, total, id, run.Index, count, run.Status)
	if run.AchievedRate > 0 {
		s += fmt.Sprintf(", %.4g/%.4g ops/s, p50 %s, p99 %s", run.AchievedRate, run.TargetRate,
			sig4(time.Duration(run.P50Ns)), sig4(time.Duration(run.P99Ns)))
	}
	s += fmt.Sprintf(" (%s)", time.Duration(run.Duration).Round(time.Millisecond))
	if run.Reason != "" {
		s += ": " + results.FirstLine(run.Reason)
	}
	return s
}

// Summary writes the end-of-run table: every cell with its status, runs,
// headline figures and, for failures, the reason.
func Summary(w io.Writer, d *results.Dir, m *results.Manifest) {
	w = escape.NewWriter(w) // labels, reasons and names come from outside
	fmt.Fprintf(w, "\n%s: %s", escape.Line(m.RunID), escape.Line(string(m.Status)))
	if m.Reason != "" {
		fmt.Fprintf(w, " (%s)", escape.Line(m.Reason))
	}
	fmt.Fprintf(w, "\n\n")
	type row struct{ status, id, runs, rate, p50, p99, reason string }
	rows := []row{{"STATUS", "CELL", "RUNS OK", "OPS/S|TIME/OP", "P50", "P99", "REASON"}}
	for _, c := range m.Cells {
		ok := 0
		var rates, nsPerOp []float64
		var p50s, p99s []float64
		for _, run := range c.Runs {
			if run.Status == results.StatusOK {
				ok++
				if run.AchievedRate > 0 {
					rates = append(rates, run.AchievedRate)
					p50s = append(p50s, float64(run.P50Ns))
					p99s = append(p99s, float64(run.P99Ns))
				}
				if run.NsPerOp > 0 {
					nsPerOp = append(nsPerOp, run.NsPerOp)
				}
			}
		}
		reason := results.FirstLine(c.Reason)
		if c.Status == results.StatusBuildFailed {
			reason = buildErrorLine(c.Reason)
		}
		if reason == "" {
			reason = retriedNote(c)
		}
		rw := row{status: escape.Line(string(c.Status)), id: escape.Line(c.ID), runs: fmt.Sprintf("%d/%d", ok, len(c.Runs)), reason: escape.Line(reason)}
		if len(nsPerOp) > 0 {
			rw.rate = sig4(time.Duration(results.Median(nsPerOp))) + "/op"
		}
		if len(rates) > 0 {
			rw.rate = fmt.Sprintf("%.4g", results.Median(rates))
			rw.p50 = sig4(time.Duration(results.Median(p50s)))
			rw.p99 = sig4(time.Duration(results.Median(p99s)))
		}
		rows = append(rows, rw)
	}
	widths := make([]int, 6)
	for _, rw := range rows {
		for i, f := range []string{rw.status, rw.id, rw.runs, rw.rate, rw.p50, rw.p99} {
			widths[i] = max(widths[i], len(f))
		}
	}
	// Reasons are wrapped in their column, never cut: the advice (an
	// install command, a flag) is at their end.
	indent := 2*6 + widths[0] + widths[1] + widths[2] + widths[3] + widths[4] + widths[5]
	for _, rw := range rows {
		fmt.Fprintf(w, "%-*s  %-*s  %*s  %*s  %*s  %*s  %s\n", widths[0], rw.status, widths[1], rw.id, widths[2], rw.runs,
			widths[3], rw.rate, widths[4], rw.p50, widths[5], rw.p99, wrapAfter(rw.reason, indent, summaryWidth))
	}
	// The host's state and each cell's runs' warnings (CPU withheld,
	// histogram overflow, ...): the numbers above are read in their light.
	var notes []string
	for _, s := range m.Host.Warnings {
		notes = append(notes, "host at the start: "+s)
	}
	if m.HostAfter != nil {
		for _, s := range m.HostAfter.Warnings {
			if !slices.Contains(m.Host.Warnings, s) {
				notes = append(notes, "host at the end: "+s)
			}
		}
	}
	for _, c := range m.Cells {
		for _, s := range c.WarningLines() {
			notes = append(notes, results.FirstLine(s))
		}
	}
	if len(notes) > 0 {
		fmt.Fprintf(w, "\nwarnings:\n")
		for _, n := range notes {
			fmt.Fprintf(w, "  - %s\n", wrapAfter(escape.Line(n), 4, summaryWidth))
		}
	}
	fmt.Fprintf(w, "\nresults: %s (manifest.json, bench.txt; benchstat -col toolchain %s)\n", d.Path, filepath.Join(d.Path, results.BenchFile))
}

// retriedNote names the runs of a cell that needed retries, with the first
// attempt's reason, so an ok cell that had to be retried says so.
func retriedNote(c *results.Cell) string {
	var runs []string
	first := ""
	for _, run := range c.Runs {
		if len(run.Attempts) > 0 {
			runs = append(runs, strconv.Itoa(run.Index))
			if first == "" {
				first = results.FirstLine(run.Attempts[0].Reason)
			}
		}
	}
	if len(runs) == 0 {
		return ""
	}
	return fmt.Sprintf("retried run %s after %s", strings.Join(runs, ", "), first)
}

// summaryWidth is the width the end summary wraps its reasons to.
const summaryWidth = 160

// wrapAfter wraps s to lines of width, every line after the first indented
// by indent (the column s starts in); a word longer than a line stays whole.
func wrapAfter(s string, indent, width int) string {
	room := max(40, width-indent)
	var b strings.Builder
	line := 0
	for i, word := range strings.Fields(s) {
		n := len([]rune(word))
		switch {
		case i == 0:
		case line+1+n > room:
			b.WriteString("\n" + strings.Repeat(" ", indent))
			line = 0
		default:
			b.WriteString(" ")
			line++
		}
		b.WriteString(word)
		line += n
	}
	return b.String()
}

// sig4 renders a duration with 3–4 significant digits: 8.196ms, not
// 8.196095ms.
func sig4(d time.Duration) string {
	if d <= 0 {
		return d.String()
	}
	unit := time.Duration(1)
	for x := d; x >= 10000; x /= 10 {
		unit *= 10
	}
	return d.Round(unit).String()
}

var compileErrorRE = regexp.MustCompile(`(?m)^.*\.(go|s|c|h):\d+(:\d+)?: .*$`)

// buildErrorLine picks the line of a build error worth one line of
// progress: the first compiler diagnostic, else the first line.
func buildErrorLine(s string) string {
	if m := compileErrorRE.FindString(s); m != "" {
		return strings.TrimSpace(m)
	}
	return results.FirstLine(s)
}

func sizeString(b int64) string {
	switch {
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(b)/(1<<10))
	}
	return fmt.Sprintf("%d B", b)
}
