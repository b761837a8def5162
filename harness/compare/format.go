package compare

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/perf/benchunit"
)

// DeltaString formats c's delta as benchstat does: "~" when not
// significant, else a signed percentage ("+3.20%"), "?" when the base is
// zero.
func (c *Comparison) DeltaString() string {
	switch {
	case !c.Significant:
		return "~"
	case c.Base.Center == c.Cand.Center:
		return "0.00%"
	case c.Base.Center == 0:
		return "?"
	}
	return fmt.Sprintf("%+.2f%%", c.Delta*100)
}

// PString formats the test as benchstat does: "p=0.008 n=5", or
// "p=0.008 n=5+6" when the sample sizes differ; the p-value is left out
// when it is 0 (an exact comparison).
func (c *Comparison) PString() string {
	s := ""
	if c.P != 0 {
		s = fmt.Sprintf("p=%0.3f ", c.P)
	}
	if c.Base.N == c.Cand.N {
		return s + fmt.Sprintf("n=%d", c.Base.N)
	}
	return s + fmt.Sprintf("n=%d+%d", c.Base.N, c.Cand.N)
}

// RangeString gives the confidence interval as a percentage of the center
// ("3%"), "∞" when there are too few samples, as benchstat does.
func (s Summary) RangeString() string {
	if math.IsInf(s.Lo, 0) || math.IsInf(s.Hi, 0) {
		return "∞"
	}
	sign := func(x float64) int {
		switch {
		case x > 0:
			return 1
		case x < 0:
			return -1
		}
		return 0
	}
	if c := sign(s.Center); c != sign(s.Lo) || c != sign(s.Hi) {
		return "?"
	}
	if s.Center == 0 {
		return "0%"
	}
	return fmt.Sprintf("%.0f%%", 100*math.Max(s.Hi/s.Center-1, 1-s.Lo/s.Center))
}

// rowScaler returns the scale shared by the centers of a row, so a row's
// numbers are easy to compare by eye.
func (t *Table) rowScaler(r *Row) benchunit.Scaler {
	var vals []float64
	for _, c := range r.Cells {
		if c != nil {
			vals = append(vals, c.Center)
		}
	}
	return benchunit.CommonScale(vals, benchunit.ClassOf(t.Unit))
}

// FormatValue formats a value of the table's unit with an SI or IEC
// prefix ("1.234m" for 0.001234 sec/op).
func (t *Table) FormatValue(v float64) string {
	return benchunit.Scale(v, benchunit.ClassOf(t.Unit))
}

// BetterString says which direction is better for the table's unit.
func (t *Table) BetterString() string {
	switch t.Better {
	case 1:
		return "higher is better"
	case -1:
		return "lower is better"
	}
	return "direction unknown"
}

// footnotes numbers warnings in the order they first appear.
type footnotes struct {
	list []string
	idx  map[string]int
}

func (f *footnotes) mark(ws ...[]string) string {
	if f.idx == nil {
		f.idx = map[string]int{}
	}
	var marks []string
	for _, w := range ws {
		for _, s := range w {
			i, ok := f.idx[s]
			if !ok {
				f.list = append(f.list, s)
				i = len(f.list)
				f.idx[s] = i
			}
			marks = append(marks, superscript(i))
		}
	}
	return strings.Join(marks, " ")
}

func superscript(i int) string {
	const digits = "⁰¹²³⁴⁵⁶⁷⁸⁹"
	s := strconv.Itoa(i)
	var b strings.Builder
	for _, c := range s {
		b.WriteString(string([]rune(digits)[c-'0']))
	}
	return b.String()
}

// WriteText renders r as fixed-width text tables in the style of
// benchstat: per row the center ± CI of each column and, for every column
// but the first, the delta ("~" when not significant) with its test.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	var prev []KV
	for i, t := range r.Tables {
		if i > 0 {
			b.WriteString("\n")
		}
		for j, kv := range t.Config {
			if j < len(prev) && prev[j] == kv && i > 0 {
				continue
			}
			fmt.Fprintf(&b, "%s: %s\n", kv.Key, oneLine(kv.Value))
		}
		prev = t.Config
		t.writeText(&b)
	}
	for _, wr := range r.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", wr)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeText lays a table out as a grid: a name column, then for each
// column group the center, ±, range and footnotes, and after the first
// group the delta, test and footnotes.
func (t *Table) writeText(b *strings.Builder) {
	var fn footnotes
	type cell struct {
		s     string
		right bool
	}
	const baseW, cmpW = 4, 7 // sub-columns per group
	width := func(j int) int {
		if j == 0 {
			return baseW
		}
		return cmpW
	}
	var grid [][]cell
	addRow := func(name string, groups [][]cell) {
		row := []cell{{s: name}}
		for _, g := range groups {
			row = append(row, g...)
		}
		grid = append(grid, row)
	}
	for _, r := range t.Rows {
		sc := t.rowScaler(r)
		groups := make([][]cell, len(t.Cols))
		for j, c := range r.Cells {
			g := make([]cell, width(j))
			if c != nil {
				g[0] = cell{sc.Format(c.Center), true}
				g[1] = cell{s: "±"}
				g[2] = cell{c.RangeString(), true}
				g[3] = cell{s: fn.mark(c.Warnings)}
				if c.Cmp != nil {
					g[4] = cell{c.Cmp.DeltaString(), true}
					g[5] = cell{s: "(" + c.Cmp.PString() + ")"}
					g[6] = cell{s: fn.mark(c.Cmp.Warnings)}
				}
			}
			groups[j] = g
		}
		addRow(oneLine(r.Name), groups)
	}
	if t.Geomean != nil {
		groups := make([][]cell, len(t.Cols))
		for j, g := range t.Geomean {
			gc := make([]cell, width(j))
			if g.HasValue {
				gc[0] = cell{t.FormatValue(g.Value), true}
			}
			if j > 0 {
				if g.HasRatio {
					gc[4] = cell{fmt.Sprintf("%+.2f%%", (g.Ratio-1)*100), true}
				} else {
					gc[4] = cell{"?", true}
				}
				gc[6] = cell{s: fn.mark(g.Warnings)}
			} else {
				gc[3] = cell{s: fn.mark(g.Warnings)}
			}
			groups[j] = gc
		}
		addRow("geomean", groups)
	}
	// Column widths.
	ncol := 1
	for j := range t.Cols {
		ncol += width(j)
	}
	widths := make([]int, ncol)
	for _, row := range grid {
		for k, c := range row {
			widths[k] = max(widths[k], utf8.RuneCountInString(c.s))
		}
	}
	// Group widths, with one space between sub-columns.
	groupStart := func(j int) int {
		k := 1
		for i := 0; i < j; i++ {
			k += width(i)
		}
		return k
	}
	groupWidth := func(j int) int {
		n := 0
		for k := groupStart(j); k < groupStart(j)+width(j); k++ {
			n += widths[k] + 1
		}
		return n - 1
	}
	// Make each group wide enough for its headers.
	for j, col := range t.Cols {
		need := max(utf8.RuneCountInString(col), utf8.RuneCountInString(t.Unit))
		if j > 0 {
			need = max(need, utf8.RuneCountInString(t.Unit)+len("  vs base"))
		}
		if gw := groupWidth(j); gw < need {
			widths[groupStart(j)+width(j)-1] += need - gw
		}
	}
	pad := func(s string, n int, right bool) string {
		p := n - utf8.RuneCountInString(s)
		if p <= 0 {
			return s
		}
		if right {
			return strings.Repeat(" ", p) + s
		}
		return s + strings.Repeat(" ", p)
	}
	center := func(s string, n int) string {
		p := n - utf8.RuneCountInString(s)
		if p <= 0 {
			return s
		}
		return strings.Repeat(" ", p/2) + s + strings.Repeat(" ", p-p/2)
	}
	line := func(s string) { b.WriteString(strings.TrimRight(s, " ") + "\n") }
	// Header: column labels, then units.
	var h1, h2 strings.Builder
	h1.WriteString(strings.Repeat(" ", widths[0]))
	h2.WriteString(strings.Repeat(" ", widths[0]))
	for j, col := range t.Cols {
		gw := groupWidth(j)
		h1.WriteString(" │ " + center(col, gw))
		if j == 0 {
			h2.WriteString(" │ " + center(t.Unit, gw))
		} else {
			cw := 0
			for k := groupStart(j); k < groupStart(j)+3; k++ {
				cw += widths[k] + 1
			}
			h2.WriteString(" │ " + center(t.Unit, cw-1) + " " + pad("vs base", gw-cw, false))
		}
	}
	line(h1.String() + " │")
	line(h2.String() + " │")
	for _, row := range grid {
		var l strings.Builder
		l.WriteString(pad(row[0].s, widths[0], false))
		for j := range t.Cols {
			l.WriteString("   ")
			for k := groupStart(j); k < groupStart(j)+width(j); k++ {
				if k > groupStart(j) {
					l.WriteString(" ")
				}
				c := cell{}
				if k < len(row) {
					c = row[k]
				}
				l.WriteString(pad(c.s, widths[k], c.right))
			}
		}
		line(l.String())
	}
	for i, s := range fn.list {
		fmt.Fprintf(b, "%s %s\n", superscript(i+1), s)
	}
}

// WriteMarkdown renders r as GitHub-flavoured Markdown: a heading and a
// table per table key and unit, significant deltas in bold, warnings as
// numbered notes. Every label is escaped, so names and configuration
// values can neither break the table nor inject HTML.
func (r *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	for _, t := range r.Tables {
		t.writeMarkdown(&b)
	}
	for _, wr := range r.Warnings {
		fmt.Fprintf(&b, "> warning: %s\n\n", MarkdownEscape(wr))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Title is the heading of a table: its configuration and unit.
func (t *Table) Title() string {
	if len(t.Config) == 0 {
		return t.Unit
	}
	return t.ConfigString() + " — " + t.Unit
}

func (t *Table) writeMarkdown(b *strings.Builder) {
	var fn footnotes
	fmt.Fprintf(b, "#### %s\n\n", MarkdownEscape(t.Title()))
	fmt.Fprintf(b, "%s with %s; %s.\n\n", t.Summary, "95% CI", t.BetterString())
	b.WriteString("| benchmark |")
	align := "|:--|"
	for j, c := range t.Cols {
		fmt.Fprintf(b, " %s |", MarkdownEscape(c))
		align += "--:|"
		if j > 0 {
			b.WriteString(" vs base |")
			align += "--:|"
		}
	}
	b.WriteString("\n" + align + "\n")
	for _, r := range t.Rows {
		sc := t.rowScaler(r)
		fmt.Fprintf(b, "| %s |", MarkdownEscape(oneLine(r.Name)))
		for j, c := range r.Cells {
			if c == nil {
				b.WriteString(" |")
				if j > 0 {
					b.WriteString(" |")
				}
				continue
			}
			fmt.Fprintf(b, " %s ± %s%s |", sc.Format(c.Center), c.RangeString(), mdMark(fn.mark(c.Warnings)))
			if j > 0 {
				if c.Cmp == nil {
					b.WriteString(" |")
					continue
				}
				d := c.Cmp.DeltaString()
				if c.Cmp.Significant {
					d = "**" + d + "**"
				}
				fmt.Fprintf(b, " %s (%s)%s |", d, c.Cmp.PString(), mdMark(fn.mark(c.Cmp.Warnings)))
			}
		}
		b.WriteString("\n")
	}
	if t.Geomean != nil {
		b.WriteString("| *geomean* |")
		for j, g := range t.Geomean {
			v := ""
			if g.HasValue {
				v = t.FormatValue(g.Value)
			}
			if j == 0 {
				fmt.Fprintf(b, " %s%s |", v, mdMark(fn.mark(g.Warnings)))
				continue
			}
			r := "?"
			if g.HasRatio {
				r = fmt.Sprintf("%+.2f%%", (g.Ratio-1)*100)
			}
			fmt.Fprintf(b, " %s | %s%s |", v, r, mdMark(fn.mark(g.Warnings)))
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
	for i, s := range fn.list {
		fmt.Fprintf(b, "%s %s  \n", superscript(i+1), MarkdownEscape(s))
	}
	if len(fn.list) > 0 {
		b.WriteString("\n")
	}
}

func mdMark(s string) string {
	if s == "" {
		return ""
	}
	return " " + s
}

// MarkdownEscape makes s literal text in Markdown, inside a table cell
// too: Markdown punctuation is backslash-escaped, HTML special characters
// become entities, line breaks become spaces.
func MarkdownEscape(s string) string {
	var b strings.Builder
	for _, c := range oneLine(s) {
		switch c {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '\\', '|', '*', '_', '`', '[', ']', '#', '~':
			b.WriteByte('\\')
			b.WriteRune(c)
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// CSVHeader is the first row WriteCSV writes.
var CSVHeader = []string{"table", "benchmark", "unit", "column", "center", "lo", "hi", "n", "vs_base", "delta", "p", "significant", "regression", "warnings"}

// WriteCSV writes one row per cell: raw numbers in the table's tidied
// unit, so spreadsheets and scripts need no parsing of "1.2m".
func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write(CSVHeader)
	num := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	for _, t := range r.Tables {
		for _, row := range t.Rows {
			for j, c := range row.Cells {
				if c == nil {
					continue
				}
				rec := []string{t.ConfigString(), row.Name, t.Unit, t.Cols[j], num(c.Center), num(c.Lo), num(c.Hi), strconv.Itoa(c.N), "", "", "", "", "", strings.Join(c.Warnings, "; ")}
				if c.Cmp != nil {
					rec[8] = c.Cmp.DeltaString()
					rec[9] = num(c.Cmp.Delta)
					rec[10] = num(c.Cmp.P)
					rec[11] = strconv.FormatBool(c.Cmp.Significant)
					rec[12] = strconv.FormatBool(c.Cmp.Regression)
					rec[13] = strings.Join(append(append([]string(nil), c.Warnings...), c.Cmp.Warnings...), "; ")
				}
				cw.Write(rec)
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n\t") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}
