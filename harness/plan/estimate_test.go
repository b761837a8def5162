package plan

import (
	"testing"
	"time"

	"github.com/perfharness/harness/harness/spec"
)

func TestEstimateRuns(t *testing.T) {
	fixed := &spec.Workload{Kind: spec.KindFixedRate, Duration: spec.Duration(time.Second), Warmup: spec.Duration(500 * time.Millisecond)}
	bench := &spec.Workload{Kind: spec.KindGoTest, Benchtime: "2s"}
	iters := &spec.Workload{Kind: spec.KindGoTest, Benchtime: "100x"}
	cells := []*Cell{
		{Cell: spec.Cell{Workload: fixed}, Status: Planned},   // 1.5 s + 0.4 s
		{Cell: spec.Cell{Workload: bench}, Status: Planned},   // 2 s × 1.5 + 0.4 s
		{Cell: spec.Cell{Workload: iters}, Status: Planned},   // a guessed second + 0.4 s
		{Cell: spec.Cell{Workload: fixed}, Status: "skipped"}, // not run
	}
	round := 1900*time.Millisecond + 3400*time.Millisecond + 1400*time.Millisecond
	for _, tc := range []struct {
		why      string
		runs     spec.Runs
		min, max time.Duration
	}{
		{"6 fixed repetitions", spec.Runs{Count: 6}, 6 * round, 6 * round},
		{"auto: 6 to 20 rounds", spec.Runs{Count: 6, Auto: true, MaxCount: 20}, 6 * round, 20 * round},
		{"auto capped by max_time (plus the round under way)", spec.Runs{Count: 6, Auto: true, MaxCount: 20, MaxTime: spec.Duration(time.Minute)}, 6 * round, time.Minute + round},
	} {
		p := &Plan{Spec: &spec.Spec{Runs: tc.runs}, Cells: cells}
		e := p.EstimateRuns()
		if e.PerRound != round || e.Min != tc.min || e.Max != tc.max {
			t.Errorf("%s: %+v, want a round of %v, %v to %v", tc.why, e, round, tc.min, tc.max)
		}
	}
}
