package report

import (
	"fmt"
	"strings"

	"github.com/perfharness/harness/harness/instr"
	"github.com/perfharness/harness/harness/spec"
)

// An InstrRow is one instructions cell as the report describes it: how its
// instructions were counted, and what valgrind's virtual CPU hid from Go.
type InstrRow struct {
	Cell   string
	Runs   int    // valid runs
	Counts string // "valgrind 3.19.0, cachegrind …"
	Hidden string // features Go sees natively but not when counted
	Masked string // features turned off because valgrind advertises what the host lacks
	Note   string // closed loop, for a fixed-rate op
}

// instrRows describes the instructions cells.
func (m *Model) instrRows() []InstrRow {
	var out []InstrRow
	for _, c := range m.Run.Cells {
		v := c.VirtualCPU
		if v == nil {
			continue
		}
		row := InstrRow{Cell: c.ID, Runs: c.ValidRuns(), Counts: v.Tool, Hidden: orNone(v.Hidden), Masked: orNone(v.Masked)}
		if v.Level != "" {
			row.Counts += ", " + v.Level
		}
		if c.Kind == spec.KindFixedRate {
			row.Note = "the op called N times closed loop: no rate (pacing means nothing on valgrind's slowed-down CPU)"
		}
		out = append(out, row)
	}
	return out
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// instrIntro heads the report's instructions section.
const instrIntro = "Instructions per op counted under valgrind: the difference of a 2-iteration and an N-iteration run over N-2, GOMAXPROCS=1, preemption signals and the GC's concurrent mark off. These are instructions, not time: deterministic to about 0.1%, blind to caches, memory and concurrency, and counted on valgrind's virtual CPU, which hides the features listed from Go (the code that uses them natively took its fallback path)."

// cannotAnswer says why the instructions tier cannot answer a line: a
// compared cell was skipped because valgrind's virtual CPU cannot represent
// it (a CPU-feature question: the feature is hidden, or the level not run).
func cannotAnswer(sides ...*side) string {
	for _, s := range sides {
		if s == nil {
			continue
		}
		for _, c := range s.cells {
			if c.Status == "skipped" && instr.IsVirtualCPUReason(c.Reason) {
				return fmt.Sprintf("the instructions tier cannot answer this CPU-feature question: %s skipped: %s; ask the time tier", s.label, c.Reason)
			}
		}
	}
	return ""
}
