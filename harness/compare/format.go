package compare

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"golang.org/x/perf/benchunit"

	"github.com/perfharness/harness/harness/escape"
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

// WriteText renders r as benchstat renders its tables, byte for byte:
// before each table the table keys whose value changed since the previous
// table ("key: value"; a key the table does not have is cleared as
// "key: "), then the table — its column header (one line per column key),
// the unit line, per row the center ± CI of each column and, for every
// column but the first, the delta ("~" when not significant) with its
// test, the geomean row, and the footnotes. The report's own warnings
// follow the tables ("warning: ..."; benchstat has none of its own).
func (r *Report) WriteText(w io.Writer) error {
	w = escape.NewWriter(w) // labels, reasons and names come from outside
	var b strings.Builder
	var prev map[string]string
	for i, t := range r.Tables {
		if i > 0 {
			b.WriteString("\n")
		}
		for _, kv := range t.Config {
			if old, ok := prev[kv.Key]; i == 0 || !ok || old != kv.Value {
				fmt.Fprintf(&b, "%s: %s\n", kv.Key, oneLine(kv.Value))
			}
		}
		prev = map[string]string{}
		for _, kv := range t.Config {
			prev[kv.Key] = kv.Value
		}
		if err := t.writeText(&b); err != nil {
			return err
		}
	}
	for _, wr := range r.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", wr)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// headerNode is one label of the column header: a value of one column key
// shared by the columns [start, start+n), under its parent's label.
type headerNode struct {
	value    string
	start, n int
	children []*headerNode
}

// columnHeader merges the column keys' values into header levels, one per
// key, the way benchproc.NewKeyHeader does: adjacent columns with the same
// value under the same parent share one label. Columns built without keys
// (NewTable) have one level, their labels.
func (t *Table) columnHeader() []*headerNode {
	keys := t.colKeys
	if len(keys) != len(t.Cols) {
		keys = make([][]string, len(t.Cols))
		for j, c := range t.Cols {
			keys[j] = []string{c}
		}
	}
	var walk func(parent *headerNode, level int)
	walk = func(parent *headerNode, level int) {
		var node *headerNode
		for j := parent.start; j < parent.start+parent.n; j++ {
			if level >= len(keys[j]) {
				return
			}
			v := keys[j][level]
			if node != nil && v == node.value {
				node.n++
				continue
			}
			node = &headerNode{value: v, start: j, n: 1}
			parent.children = append(parent.children, node)
		}
		for _, c := range parent.children {
			walk(c, level+1)
		}
	}
	root := &headerNode{n: len(keys)}
	walk(root, 0)
	return root.children
}

// writeText lays a table out as benchstat does (see textGrid): a label
// column, then for each column group the center, the range after " ± "
// and the footnotes, and after the first group the delta, the test and
// their footnotes.
func (t *Table) writeText(b *strings.Builder) error {
	var g textGrid
	var fn footnotes
	const centerCols, deltaCols = 3, 3
	start := func(j int) int {
		if j == 0 {
			return 1
		}
		return 1 + centerCols + (j-1)*(centerCols+deltaCols)
	}
	notes := func(ws ...[]string) { g.put(1, fn.mark(ws...), alignLeft) }
	edge := start(len(t.Cols) + 1)
	for level := t.columnHeader(); len(level) > 0; {
		var next []*headerNode
		g.newRow()
		for _, n := range level {
			l, r := start(n.start), start(n.start+n.n)
			g.at(l).put(r-l, oneLine(n.value), alignCenter, " │ ")
			next = append(next, n.children...)
		}
		g.at(edge).put(1, "", alignLeft, " │")
		level = next
	}
	g.newRow()
	for j := range t.Cols {
		l := start(j)
		g.at(l).put(centerCols, t.Unit, alignCenter, " │ ")
		if j > 0 {
			g.put(deltaCols, "vs base", alignLeft, "  ")
		}
		for k := l + 1; k < g.col; k++ {
			g.setShrink(k)
		}
	}
	g.at(edge).put(1, "", alignLeft, " │")
	for _, r := range t.Rows {
		g.newRow()
		g.put(1, oneLine(r.Name), alignLeft)
		sc := t.rowScaler(r)
		for j, c := range r.Cells {
			if c == nil {
				continue
			}
			g.at(start(j)).put(1, sc.Format(c.Center), alignRight)
			g.put(1, c.RangeString(), alignRight, " ± ")
			notes(c.Warnings)
			if j > 0 && c.Cmp != nil {
				g.put(1, c.Cmp.DeltaString(), alignRight)
				g.put(1, "("+c.Cmp.PString()+")", alignLeft)
				notes(c.Cmp.Warnings)
			}
		}
	}
	if t.Geomean != nil {
		g.newRow()
		g.put(1, "geomean", alignLeft)
		for j, gm := range t.Geomean {
			if gm.HasValue {
				g.at(start(j)).put(1, t.FormatValue(gm.Value), alignRight)
			}
			if j > 0 {
				g.at(start(j) + centerCols)
				if gm.HasRatio {
					g.put(1, fmt.Sprintf("%+.2f%%", (gm.Ratio-1)*100), alignRight)
				} else {
					g.put(1, "?", alignLeft)
				}
			}
			g.at(start(j+1) - 1)
			notes(gm.Warnings)
		}
	}
	if err := g.write(b); err != nil {
		return err
	}
	for i, s := range fn.list {
		fmt.Fprintf(b, "%s %s\n", superscript(i+1), s)
	}
	return nil
}

// WriteMarkdown renders r as GitHub-flavoured Markdown: a heading and a
// table per table key and unit, significant deltas in bold, warnings as
// numbered notes. Every label is escaped, so names and configuration
// values can neither break the table nor inject HTML.
func (r *Report) WriteMarkdown(w io.Writer) error {
	w = escape.NewWriter(w) // labels, reasons and names come from outside
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
	if cs := t.ConfigString(); cs != "" {
		return cs + " — " + t.Unit
	}
	return t.Unit
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

// WriteCSV writes one row per cell: plain numbers in the table's tidied
// unit, so spreadsheets and scripts need no parsing of "1.2m". Numbers
// have at most 12 significant digits (CSVNumber). A confidence interval
// unbounded on either side at this confidence (too few samples: "∞" in
// the text) has empty lo and hi, as has the delta of a change from zero.
func (r *Report) WriteCSV(w io.Writer) error {
	w = escape.NewWriter(w) // labels, reasons and names come from outside
	cw := csv.NewWriter(w)
	cw.Write(CSVHeader)
	num := CSVNumber
	for _, t := range r.Tables {
		for _, row := range t.Rows {
			for j, c := range row.Cells {
				if c == nil {
					continue
				}
				lo, hi := num(c.Lo), num(c.Hi)
				if lo == "" || hi == "" {
					lo, hi = "", ""
				}
				rec := []string{t.ConfigString(), row.Name, t.Unit, t.Cols[j], num(c.Center), lo, hi, strconv.Itoa(c.N), "", "", "", "", "", strings.Join(c.Warnings, "; ")}
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

// CSVNumber formats a number for CSV: at most 12 significant digits,
// which keeps every digit a measurement has and drops the binary noise of
// unit conversions (1.0092000000000001e-05 sec is 1.0092e-05); "" when it
// is not finite, which CSV readers take as a missing value.
func CSVNumber(v float64) string {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return ""
	}
	return strconv.FormatFloat(v, 'g', 12, 64)
}

func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n\t") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}
