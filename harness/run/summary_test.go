package run

import (
	"fmt"
	"strings"
	"testing"

	"github.com/perfharness/harness/harness/results"
)

// TestSummaryGroupsWarnings: a warning every run of a cell gives, each with
// its own figures (a busy host's CPU wait), is one line of the end summary
// with their range, not one line per run.
func TestSummaryGroupsWarnings(t *testing.T) {
	cell := &results.Cell{ID: "json/decode/local/nojsonv2", Status: results.StatusOK}
	for i, w := range []string{"750ms", "7.5s", "2.25s", "1.1s", "3s", "900ms"} {
		cell.Runs = append(cell.Runs, &results.Run{Index: i + 1, Status: results.StatusOK, Warnings: []string{
			fmt.Sprintf("the process's threads waited %s in all for a CPU during the 1.5s window: other load on the machine, or this process's own GC workers, shaped the tails", w),
		}})
	}
	cell.Runs[2].Warnings = append(cell.Runs[2].Warnings, "3 ops started but did not complete")
	m := &results.Manifest{RunID: "r1", Status: results.RunComplete, Cells: []*results.Cell{cell}}
	var b strings.Builder
	Summary(&b, &results.Dir{Path: "results/r1"}, m)
	got := b.String()
	for _, want := range []string{
		"  - json/decode/local/nojsonv2: in 6 of 6 runs: the process's threads waited 750ms–7.5s in all for a CPU during the 1.5s window",
		"  - json/decode/local/nojsonv2: run 3 of 6: 3 ops started but did not complete",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("summary lacks %q:\n%s", want, got)
		}
	}
	if n := strings.Count(got, "waited"); n != 1 {
		t.Errorf("the CPU wait is listed %d times, want once:\n%s", n, got)
	}
}
