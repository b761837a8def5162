package results

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// A WarningGroup is one kind of warning among a cell's runs: the runs'
// warnings that read the same but for their numbers. A busy host makes
// every run of a cell say it waited for a CPU, each with its own figures;
// the group says it once, with the range of each figure.
type WarningGroup struct {
	Runs []int // the indices of the runs that warned, in order
	Of   int   // the cell's finished runs
	// Text is the warning with each number as its range over the runs
	// ("750ms–7.5s"), "~" and the median when they are within 10% of each
	// other ("~1.5s"), or the number when it is the same in all.
	Text string
}

// String renders the group as one line: "in 6 of 6 runs: TEXT", "in 2 of
// 6 runs (1, 4): TEXT" or "run 3 of 6: TEXT".
func (g WarningGroup) String() string {
	switch {
	case len(g.Runs) == 1:
		return fmt.Sprintf("run %d of %d: %s", g.Runs[0], g.Of, g.Text)
	case len(g.Runs) == g.Of:
		return fmt.Sprintf("in %d of %d runs: %s", len(g.Runs), g.Of, g.Text)
	}
	idx := make([]string, len(g.Runs))
	for i, r := range g.Runs {
		idx[i] = strconv.Itoa(r)
	}
	return fmt.Sprintf("in %d of %d runs (%s): %s", len(g.Runs), g.Of, strings.Join(idx, ", "), g.Text)
}

// WarningLines returns the cell's run warnings as the lines the end of run
// summary and every report list: "CELL: " and a WarningGroup each, in the
// order the kinds first appear.
func (c *Cell) WarningLines() []string {
	var out []string
	for _, g := range GroupWarnings(c.Runs) {
		out = append(out, c.ID+": "+g.String())
	}
	return out
}

// GroupWarnings groups the warnings of runs by kind (see WarningGroup), in
// the order the kinds first appear.
func GroupWarnings(runs []*Run) []WarningGroup {
	type group struct {
		parts []string   // the text around the numbers
		nums  [][]number // per number, its value in each warning
		runs  []int
	}
	var order []string
	groups := map[string]*group{}
	of := 0
	for _, r := range runs {
		if r.Finished() || len(r.Warnings) > 0 {
			of++
		}
		for _, w := range r.Warnings {
			parts, nums := splitNumbers(w)
			key := fmt.Sprintf("%q", parts) // unambiguous, whatever the text holds
			g := groups[key]
			if g == nil {
				g = &group{parts: parts, nums: make([][]number, len(nums))}
				groups[key] = g
				order = append(order, key)
			}
			for i, n := range nums {
				g.nums[i] = append(g.nums[i], n)
			}
			if !slices.Contains(g.runs, r.Index) {
				g.runs = append(g.runs, r.Index)
			}
		}
	}
	out := make([]WarningGroup, 0, len(order))
	for _, k := range order {
		g := groups[k]
		var b strings.Builder
		for i, p := range g.parts {
			b.WriteString(p)
			if i < len(g.nums) {
				b.WriteString(numberRange(g.nums[i]))
			}
		}
		out = append(out, WarningGroup{Runs: g.runs, Of: max(of, len(g.runs)), Text: b.String()})
	}
	return out
}

// A number is a figure in a warning: its text and its value (seconds for a
// duration).
type number struct {
	text string
	v    float64
}

// numberRange renders the values one number of a warning took.
func numberRange(ns []number) string {
	lo, hi := ns[0], ns[0]
	same := true
	for _, n := range ns[1:] {
		same = same && n.text == ns[0].text
		if n.v < lo.v {
			lo = n
		}
		if n.v > hi.v {
			hi = n
		}
	}
	switch {
	case same:
		return ns[0].text
	case lo.v > 0 && hi.v <= 1.1*lo.v:
		sorted := slices.SortedFunc(slices.Values(ns), func(a, b number) int { return compareFloat(a.v, b.v) })
		return "~" + sorted[(len(sorted)-1)/2].text
	case lo.v == hi.v:
		return lo.text
	}
	return lo.text + "–" + hi.text
}

func compareFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// splitNumbers cuts a warning into the text around its numbers and the
// numbers: plain ("250", "72.5") or Go durations ("1.5s", "750ms",
// "1m30s"). Digits inside a word ("p99", "go1.26.8", "cpu0") are text.
func splitNumbers(s string) (parts []string, nums []number) {
	start := 0 // of the current text part
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !isDigit(r) {
			i += size
			continue
		}
		prev, _ := utf8.DecodeLastRuneInString(s[:i])
		end := i + numberLen(s[i:])
		if i > 0 && (unicode.IsLetter(prev) || isDigit(prev) || prev == '.' || prev == '_') {
			i = end // part of a word
			continue
		}
		n := number{text: s[i:end]}
		if d, dlen := durationLen(s[i:]); dlen > 0 {
			end = i + dlen
			n = number{text: s[i:end], v: d.Seconds()}
		} else {
			n.v, _ = strconv.ParseFloat(n.text, 64)
		}
		parts = append(parts, s[start:i])
		nums = append(nums, n)
		start, i = end, end
	}
	return append(parts, s[start:]), nums
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

// numberLen returns the length of the number s starts with: digits and an
// optional fraction ("72.5", not the dot of "5." ending a sentence).
func numberLen(s string) int {
	n := 0
	for n < len(s) && isDigit(rune(s[n])) {
		n++
	}
	if n+1 < len(s) && s[n] == '.' && isDigit(rune(s[n+1])) {
		n++
		for n < len(s) && isDigit(rune(s[n])) {
			n++
		}
	}
	return n
}

// durationUnits are time.Duration's units, longest first where one is the
// prefix of another.
var durationUnits = []string{"ns", "us", "µs", "μs", "ms", "s", "m", "h"}

// durationLen returns the duration s starts with ("1.5s", "1m30s") and its
// length, or 0 when s does not start with one followed by the end of a word.
func durationLen(s string) (time.Duration, int) {
	n := 0
	for n < len(s) && isDigit(rune(s[n])) {
		l := numberLen(s[n:])
		unit := ""
		for _, u := range durationUnits {
			if strings.HasPrefix(s[n+l:], u) {
				unit = u
				break
			}
		}
		if unit == "" {
			return 0, 0
		}
		n += l + len(unit)
	}
	if n == 0 {
		return 0, 0
	}
	if r, _ := utf8.DecodeRuneInString(s[n:]); n < len(s) && (unicode.IsLetter(r) || isDigit(r)) {
		return 0, 0
	}
	d, err := time.ParseDuration(s[:n])
	if err != nil {
		return 0, 0
	}
	return d, n
}
