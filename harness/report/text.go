package report

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/perfharness/harness/harness/compare"
	"github.com/perfharness/harness/harness/escape"
	"github.com/perfharness/harness/harness/results"
)

// A headerLine is one "name: value" line of the report header.
type headerLine struct{ Name, Value string }

// header is the run's identity: what ran, where, with what.
func (m *Model) header() []headerLine {
	mf := m.Run.Manifest
	h := mf.Host
	cores := h.CPUsLine()
	level := h.GOAMD64
	if level != "" {
		level = "GOAMD64 " + level
	} else if h.GOARM64 != "" {
		level = "GOARM64 " + h.GOARM64
	}
	hv := "no"
	if h.Hypervisor {
		hv = "yes " + h.HypervisorVendor
	}
	lines := []headerLine{
		{"run", mf.RunID},
		{"spec", fmt.Sprintf("%s (%s)", mf.Name, mf.SpecFile)},
		{"status", statusLine(string(mf.Status), mf.Reason)},
		{"started", mf.Started.UTC().Format(time.RFC3339)},
	}
	if !mf.Finished.IsZero() {
		lines = append(lines, headerLine{"finished", fmt.Sprintf("%s (%s)", mf.Finished.UTC().Format(time.RFC3339), mf.Finished.Sub(mf.Started).Round(time.Second))})
	}
	lines = append(lines,
		headerLine{"harness", mf.Harness},
		headerLine{"host", fmt.Sprintf("%s, %s/%s, %s, %s, hypervisor %s, host id %s", h.Brand, h.OS, h.Arch, cores, level, hv, h.ID)},
		headerLine{"cpu features", strings.Join(h.KeyFeatures(), ", ")},
		headerLine{"kernel", fmt.Sprintf("%s, governor %s, boost %s, ASLR %s", h.Kernel, h.Governor, h.Boost, h.ASLR)},
	)
	for _, t := range mf.Toolchains {
		lines = append(lines, headerLine{"toolchain " + t.Name, fmt.Sprintf("%s (%s)", t.Version, t.GOROOT)})
	}
	for _, kv := range m.Run.Matrix() {
		lines = append(lines, headerLine{"matrix " + kv.Key, kv.Value})
	}
	ok, failed, skipped, invalid := 0, 0, 0, 0
	for _, c := range m.Run.Cells {
		switch {
		case c.Status == results.StatusSkipped:
			skipped++
		case c.Status == results.StatusOK:
			ok++
		default:
			failed++
		}
		invalid += len(c.Invalid())
	}
	order := "in order"
	if mf.Interleave {
		order = "interleaved"
	}
	if mf.Shuffle {
		order += ", shuffled (seed " + fmt.Sprint(mf.Seed) + ")"
	}
	lines = append(lines, headerLine{"runs", fmt.Sprintf("%d per cell, %s; %d cells: %d ok, %d failed, %d skipped; %d invalid runs", mf.Count, order, len(m.Run.Cells), ok, failed, skipped, invalid)})
	return lines
}

func statusLine(status, reason string) string {
	if reason == "" {
		return status
	}
	return status + ": " + reason
}

// WriteText writes report.txt: the header, the failed cells, and the
// benchstat tables.
func (m *Model) WriteText(w io.Writer) {
	w = escape.NewWriter(w) // labels, reasons and names come from outside
	var b strings.Builder
	m.writeAnswersText(&b)
	for _, l := range m.header() {
		fmt.Fprintf(&b, "%-16s %s\n", l.Name+":", oneLine(l.Value))
	}
	if hw := m.HostWarnings(); len(hw) > 0 {
		b.WriteString("\nnoisy host:\n")
		for _, s := range hw {
			fmt.Fprintf(&b, "  - %s\n", oneLine(s))
		}
	}
	if f := m.Failed(); len(f) > 0 {
		b.WriteString("\ncells that failed, were skipped or have invalid runs (their invalid runs are not in the tables):\n")
		for _, c := range f {
			fmt.Fprintf(&b, "  %-18s %s: %s\n", c.Status, oneLine(c.ID), oneLine(c.Reason))
			for _, r := range c.Invalid() {
				fmt.Fprintf(&b, "    run %d %s: %s\n", r.Index, r.Status, oneLine(r.Reason))
			}
		}
	}
	for _, s := range append(m.Run.Manifest.Warnings, m.Warnings...) {
		fmt.Fprintf(&b, "warning: %s\n", oneLine(s))
	}
	b.WriteString("\n")
	if qt := m.questionTables(); len(qt.Tables) > 0 {
		b.WriteString("QUESTIONS: a row per answer, a column per configuration, the base first\n\n")
		qt.WriteText(&b)
		b.WriteString("\n")
	}
	if bs := m.builds(); len(bs) > 0 {
		b.WriteString("BUILDS\n\n")
		for _, bd := range bs {
			fmt.Fprintf(&b, "  %-40s %-12s %-40s %10s  %d cells\n", oneLine(bd.Key), bd.Status, bd.Time, bd.Size, bd.Cells)
		}
		b.WriteString("\n")
	}
	if len(m.HTTP) > 0 {
		b.WriteString("HTTP CELLS (valid runs)\n\n")
		for _, h := range m.HTTP {
			fmt.Fprintf(&b, "  %s: %d runs; status %s; errors %s; %s\n    server:      %s\n    load client: %s\n", oneLine(h.Cell), h.Runs, h.StatusCodes, h.Errors, h.Connections, h.Server, h.Client)
		}
		b.WriteString("\n")
	}
	if len(m.Sweeps) > 0 {
		b.WriteString("RATE SWEEPS\n\n" + wrap(sweepIntro, 78, "") + "\n\n")
		for _, s := range m.Sweeps {
			fmt.Fprintf(&b, "  %s\n", wrap(oneLine(s.Title()), 78, "    "))
			fmt.Fprintf(&b, "    %10s %11s %10s %10s %10s  %s\n", sweepHead[0], sweepHead[1], sweepHead[2], sweepHead[3], sweepHead[4], sweepHead[5])
			for _, r := range s.Rows() {
				fmt.Fprintf(&b, "    %10s %11s %10s %10s %10s  %s\n", r[0], r[1], r[2], r[3], r[4], r[5])
			}
		}
		b.WriteString("\n")
	}
	if len(m.Instr) > 0 {
		b.WriteString("INSTRUCTIONS CELLS\n\n" + wrap(instrIntro, 78, "") + "\n\n")
		for _, r := range m.Instr {
			fmt.Fprintf(&b, "  %s: %d runs; %s\n    hidden from Go: %s; turned off: %s\n", oneLine(r.Cell), r.Runs, r.Counts, r.Hidden, r.Masked)
			if r.Note != "" {
				fmt.Fprintf(&b, "    %s\n", r.Note)
			}
		}
		b.WriteString("\n")
	}
	if m.Compare != nil {
		b.WriteString("ALL METRICS (benchstat)\n\n")
	}
	if m.Compare != nil {
		m.Compare.WriteText(&b)
	} else {
		b.WriteString("no benchmark results\n")
	}
	for _, d := range m.Diffs {
		fmt.Fprintf(&b, "\nprofile diff %s → %s\n", oneLine(d.Base), oneLine(d.Cand))
		for _, pd := range d.Diffs {
			fmt.Fprintf(&b, "  %s per run: largest absolute changes (driver frames left out)\n", pd.Kind)
			for _, f := range limit(pd.Funcs, 8) {
				fmt.Fprintf(&b, "    flat %10s → %-10s cum %10s → %-10s %s\n", fmtSample(pd.Unit, f.BaseFlatV), fmtSample(pd.Unit, f.CandFlatV), fmtSample(pd.Unit, f.BaseCumV), fmtSample(pd.Unit, f.CandCumV), oneLine(f.Name))
			}
		}
	}
	io.WriteString(w, b.String())
}

func limit[T any](s []T, n int) []T {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// WriteMarkdown writes report.md.
func (m *Model) WriteMarkdown(w io.Writer) {
	w = escape.NewWriter(w) // labels, reasons and names come from outside
	esc := compare.MarkdownEscape
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", esc(m.Run.Manifest.Name+" — "+m.Run.Manifest.RunID))
	m.writeAnswersMarkdown(&b)
	b.WriteString("## Run\n\n")
	b.WriteString("| | |\n|:--|:--|\n")
	for _, l := range m.header() {
		fmt.Fprintf(&b, "| %s | %s |\n", esc(l.Name), esc(l.Value))
	}
	b.WriteString("\n")
	if hw := m.HostWarnings(); len(hw) > 0 {
		b.WriteString("**Noisy host:**\n\n")
		for _, s := range hw {
			fmt.Fprintf(&b, "- %s\n", esc(s))
		}
		b.WriteString("\n")
	}
	if f := m.Failed(); len(f) > 0 {
		b.WriteString("## Failed, skipped and invalid\n\nInvalid runs are reported here and left out of every table and plot figure.\n\n| cell | status | reason |\n|:--|:--|:--|\n")
		for _, c := range f {
			fmt.Fprintf(&b, "| %s | %s | %s |\n", esc(c.ID), esc(string(c.Status)), esc(c.Reason))
			for _, r := range c.Invalid() {
				fmt.Fprintf(&b, "| %s run %d | %s | %s |\n", esc(c.ID), r.Index, esc(string(r.Status)), esc(r.Reason))
			}
		}
		b.WriteString("\n")
	}
	if ws := append(append([]string(nil), m.Run.Manifest.Warnings...), m.Warnings...); len(ws) > 0 {
		b.WriteString("## Warnings\n\n")
		for _, s := range ws {
			fmt.Fprintf(&b, "- %s\n", esc(s))
		}
		b.WriteString("\n")
	}
	if qt := m.questionTables(); len(qt.Tables) > 0 {
		b.WriteString("## Questions\n\nOne table per question and metric: a row per answer, a column per configuration, the base first; each candidate's delta is against the base.\n\n")
		for _, q := range m.Questions {
			fmt.Fprintf(&b, "<a id=\"%s\"></a>\n\n", q.Slug)
			(&compare.Report{Tables: q.Tables}).WriteMarkdown(&b)
		}
	}
	if bs := m.builds(); len(bs) > 0 {
		b.WriteString("## Builds\n\nOne binary per build configuration; a cache hit says how long the original build took.\n\n| build | status | time | binary | cells |\n|:--|:--|:--|--:|--:|\n")
		for _, bd := range bs {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %d |\n", esc(bd.Key), esc(bd.Status), esc(bd.Time), esc(bd.Size), bd.Cells)
		}
		b.WriteString("\n")
	}
	if len(m.HTTP) > 0 {
		b.WriteString("## HTTP cells\n\nOver the valid runs: the answers the load client got, its connections, and the runtime figures of each process (the comparison tables' gc-pause, peak-rss and allocs are the load client's).\n\n| cell | runs | status codes | errors | connections | server | load client |\n|:--|--:|:--|:--|:--|:--|:--|\n")
		for _, h := range m.HTTP {
			fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s | %s |\n", esc(h.Cell), h.Runs, esc(h.StatusCodes), esc(h.Errors), esc(h.Connections), esc(h.Server), esc(h.Client))
		}
		b.WriteString("\n")
	}
	if len(m.Sweeps) > 0 {
		b.WriteString("## Rate sweeps\n\n" + esc(sweepIntro) + "\n\n")
		for _, s := range m.Sweeps {
			fmt.Fprintf(&b, "**%s**", esc(s.Title()))
			if s.Plot != "" {
				fmt.Fprintf(&b, " ([plot](plots/%s.svg))", s.Plot)
			}
			b.WriteString("\n\n| " + strings.Join(sweepHead, " | ") + " |\n|--:|--:|--:|--:|--:|--:|\n")
			for _, r := range s.Rows() {
				b.WriteString("| " + strings.Join(r, " | ") + " |\n")
			}
			b.WriteString("\n")
		}
	}
	if len(m.Instr) > 0 {
		b.WriteString("## Instructions cells\n\n" + esc(instrIntro) + "\n\n| cell | runs | counted with | hidden from Go | turned off | note |\n|:--|--:|:--|:--|:--|:--|\n")
		for _, r := range m.Instr {
			fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s |\n", esc(r.Cell), r.Runs, esc(r.Counts), esc(r.Hidden), esc(r.Masked), esc(r.Note))
		}
		b.WriteString("\n")
	}
	b.WriteString("## All metrics (benchstat)\n\n")
	if m.Compare != nil {
		o := m.Compare.Options
		fmt.Fprintf(&b, "Columns: `%s`, rows: `%s`, tables: `%s`, filter: `%s`; α = %v, %v%% confidence intervals. `~` means no significant difference.\n\n",
			strings.ReplaceAll(o.Col, "`", "'"), strings.ReplaceAll(o.Row, "`", "'"), strings.ReplaceAll(o.Table, "`", "'"), strings.ReplaceAll(o.Filter, "`", "'"), o.Alpha, o.Confidence*100)
		m.Compare.WriteMarkdown(&b)
	} else {
		b.WriteString("No benchmark results.\n\n")
	}
	if len(m.Plots) > 0 {
		b.WriteString("## Plots\n\n")
		for _, p := range m.Plots {
			fmt.Fprintf(&b, "### %s\n\n![%s](plots/%s.svg)\n\n%s\n\n", esc(p.Title), esc(p.Title), p.Name, esc(p.Caption))
		}
	}
	if len(m.Diffs) > 0 {
		b.WriteString("## Profile changes\n\n")
		for _, d := range m.Diffs {
			fmt.Fprintf(&b, "### %s → %s\n\n", esc(d.Base), esc(d.Cand))
			for _, c := range limit(d.Changes, 10) {
				fmt.Fprintf(&b, "- %s %s: %s (%s)\n", esc(c.Row), esc(c.Unit), c.DeltaString(), c.PString())
			}
			if len(d.Changes) > 0 {
				b.WriteString("\n")
			}
			for _, pd := range d.Diffs {
				fmt.Fprintf(&b, "%s profile, per run (%d base, %d candidate runs merged), the largest absolute changes first; the driver's own frames (pacer, recorder) left out:\n\n| function | flat | Δ flat | cum | Δ cum |\n|:--|--:|--:|--:|--:|\n", esc(pd.Kind), pd.BaseRuns, pd.CandRuns)
				for _, f := range pd.Funcs {
					fmt.Fprintf(&b, "| %s | %s → %s (%s → %s) | %s | %s → %s (%s → %s) | %s |\n", esc(f.Name),
						fmtSample(pd.Unit, f.BaseFlatV), fmtSample(pd.Unit, f.CandFlatV), pct(f.BaseFlat), pct(f.CandFlat), fmtSampleDelta(pd.Unit, f.CandFlatV-f.BaseFlatV),
						fmtSample(pd.Unit, f.BaseCumV), fmtSample(pd.Unit, f.CandCumV), pct(f.BaseCum), pct(f.CandCum), fmtSampleDelta(pd.Unit, f.CandCumV-f.BaseCumV))
				}
				b.WriteString("\n")
			}
		}
	}
	if len(m.Profiles) > 0 {
		b.WriteString("## Profiles\n\n")
		for _, cp := range m.Profiles {
			for _, t := range cp.Tops {
				fmt.Fprintf(&b, "### %s — %s (%s)\n\n| function | flat | cum |\n|:--|--:|--:|\n", esc(cp.Cell), esc(t.Kind), esc(t.SampleType))
				for _, f := range t.Funcs {
					fmt.Fprintf(&b, "| %s | %s | %s |\n", esc(f.Name), pct(f.Flat), pct(f.Cum))
				}
				b.WriteString("\n")
			}
		}
	}
	io.WriteString(w, b.String())
}

func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n\t") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// questionTables gathers every question's tables into one report.
func (m *Model) questionTables() *compare.Report {
	r := &compare.Report{}
	for _, q := range m.Questions {
		r.Tables = append(r.Tables, q.Tables...)
	}
	return r
}
