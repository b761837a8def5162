package report

import (
	"slices"
	"testing"

	"github.com/perfharness/harness/harness/results"
)

// A valid run whose tail the generator's lag dominated keeps its median
// in the evidence and says which figures it left out, per side.
func TestLagNotes(t *testing.T) {
	run := func(valid bool, left ...string) *RunInfo {
		return &RunInfo{Run: &results.Run{Status: results.StatusOK, LagDominated: left}, Valid: valid}
	}
	base := &side{label: "nojsonv2", cells: []*Cell{{Runs: []*RunInfo{
		run(true, "p99-ns", "max-ns"), run(true), run(true, "p99-ns"), run(false, "p99-ns"),
	}}}}
	cand := &side{label: "jsonv2", cells: []*Cell{{Runs: []*RunInfo{run(true), run(true)}}}}
	got := lagNotes([]string{"p50-ns", "p99-ns"}, base, cand, nil)
	want := []string{"nojsonv2: P99 of 2/3 runs left out for lag"}
	if !slices.Equal(got, want) {
		t.Errorf("lagNotes = %q, want %q", got, want)
	}
}

func TestAllLagDominated(t *testing.T) {
	run := func(valid bool, left ...string) *RunInfo {
		return &RunInfo{Run: &results.Run{Status: results.StatusOK, LagDominated: left}, Valid: valid}
	}
	every := &side{cells: []*Cell{{Runs: []*RunInfo{run(true, "p99-ns"), run(true, "p99-ns", "max-ns"), run(false)}}}}
	some := &side{cells: []*Cell{{Runs: []*RunInfo{run(true, "p99-ns"), run(true)}}}}
	none := &side{cells: []*Cell{{Runs: []*RunInfo{run(false, "p99-ns")}}}}
	for _, tc := range []struct {
		s    *side
		unit string
		want bool
	}{{every, "p99-ns", true}, {every, "max-ns", false}, {some, "p99-ns", false}, {none, "p99-ns", false}, {nil, "p99-ns", false}} {
		if got := allLagDominated(tc.s, tc.unit); got != tc.want {
			t.Errorf("allLagDominated(%v, %s) = %v, want %v", tc.s, tc.unit, got, tc.want)
		}
	}
}
