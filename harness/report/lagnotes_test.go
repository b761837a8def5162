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
	want := []string{"nojsonv2: P99 of 2 of 3 runs left out, generator lag a material part of it"}
	if !slices.Equal(got, want) {
		t.Errorf("lagNotes = %q, want %q", got, want)
	}
}
