package compare

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"
)

// A textGrid lays out a table of cells in fixed-width columns with the
// rules of benchstat's text tables, so that `harness compare` prints what
// `benchstat` prints, byte for byte (the golden test runs benchstat):
//
//   - A cell sits at a row and column and may span several columns. Its
//     left margin (" " by default; none in column 0 or for an empty
//     value) is drawn in the margin area of its first column, which is as
//     wide as the widest margin of any cell in that column.
//   - Column widths come from the single-column cells first; a spanning
//     cell that does not fit widens the columns it spans, widest first,
//     toward an equal share each — except "shrink" columns, which keep
//     the width their own cells need.
//   - Values are aligned left (no padding), centered (padded on the left
//     only) or right within their span; empty cells without a margin are
//     not drawn, so no line ends in spaces.
//
// Note: the layout depends on the order cells are added (a stable order of
// spanning cells widens columns differently), so the table code adds its
// cells in the order benchstat does, empty footnote cells included.
type textGrid struct {
	cells    []gridCell
	ncols    int
	shrink   []bool
	row, col int
}

type gridAlign int

const (
	alignLeft gridAlign = iota
	alignCenter
	alignRight
)

type gridCell struct {
	row, col, span int
	value          string
	margin         string
	align          gridAlign
}

// newRow starts a row (the first row is row 0 until a cell is added).
func (g *textGrid) newRow() {
	if len(g.cells) > 0 {
		g.row++
	}
	g.col = 0
}

// at moves to column col of the current row; columns only move right.
func (g *textGrid) at(col int) *textGrid {
	if col < g.col {
		panic(fmt.Sprintf("textGrid: column %d is left of %d", col, g.col))
	}
	g.col = col
	return g
}

// put adds a cell spanning span columns at the current position and moves
// past it. margin, when given, replaces the default left margin.
func (g *textGrid) put(span int, value string, align gridAlign, margin ...string) *textGrid {
	m := " "
	if g.col == 0 || value == "" {
		m = ""
	}
	if len(margin) > 0 {
		m = margin[0]
	}
	g.cells = append(g.cells, gridCell{row: g.row, col: g.col, span: span, value: value, margin: m, align: align})
	g.col += span
	g.ncols = max(g.ncols, g.col)
	return g
}

// setShrink makes col a column that spanning cells do not widen.
func (g *textGrid) setShrink(col int) {
	for len(g.shrink) <= col {
		g.shrink = append(g.shrink, false)
	}
	g.shrink[col] = true
}

func (g *textGrid) isShrink(col int) bool { return col < len(g.shrink) && g.shrink[col] }

func runes(s string) int { return utf8.RuneCountInString(s) }

// write lays the grid out and writes it, one line per row.
func (g *textGrid) write(w io.Writer) error {
	margins := make([]int, g.ncols)
	for _, c := range g.cells {
		margins[c.col] = max(margins[c.col], runes(c.margin))
	}
	widths := make([]int, g.ncols)
	sort.Slice(g.cells, func(i, j int) bool { return g.cells[i].span < g.cells[j].span })
	var grow []int
	for _, c := range g.cells {
		need := runes(c.value) + margins[c.col]
		if c.span == 1 {
			widths[c.col] = max(widths[c.col], need)
			continue
		}
		have := 0
		for k := c.col; k < c.col+c.span; k++ {
			have += widths[k]
		}
		if have >= need {
			continue
		}
		grow = grow[:0]
		for k := c.col; k < c.col+c.span; k++ {
			if g.isShrink(k) {
				need -= widths[k]
			} else {
				grow = append(grow, k)
			}
		}
		sort.Slice(grow, func(i, j int) bool { return widths[grow[i]] > widths[grow[j]] })
		left := len(grow)
		for _, k := range grow {
			share := (need + left - 1) / left
			widths[k] = max(widths[k], share)
			need -= widths[k]
			left--
		}
	}
	offsets := make([]int, g.ncols+1)
	for k, wd := range widths {
		offsets[k+1] = offsets[k] + wd
	}
	sort.Slice(g.cells, func(i, j int) bool {
		if g.cells[i].row != g.cells[j].row {
			return g.cells[i].row < g.cells[j].row
		}
		return g.cells[i].col < g.cells[j].col
	})
	var b strings.Builder
	row, pos := 0, 0
	for _, c := range g.cells {
		if strings.TrimSpace(c.value) == "" && strings.TrimSpace(c.margin) == "" {
			continue
		}
		for ; row < c.row; row++ {
			b.WriteString("\n")
			pos = 0
		}
		fmt.Fprintf(&b, "%*s%*s", offsets[c.col]-pos, "", margins[c.col], c.margin)
		pos = offsets[c.col] + margins[c.col]
		width := offsets[c.col+c.span] - offsets[c.col] - margins[c.col]
		var s string
		switch c.align {
		case alignLeft:
			s = c.value
		case alignCenter:
			s = fmt.Sprintf("%*s%s", (width-runes(c.value))/2, "", c.value)
		case alignRight:
			s = fmt.Sprintf("%*s", width, c.value)
		}
		b.WriteString(s)
		pos += runes(s)
	}
	if len(g.cells) > 0 {
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
