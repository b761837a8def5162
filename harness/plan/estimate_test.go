package plan

import (
	"strings"
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

// TestWriteTextFirstPassOverBudget: a plan whose first pass alone outlasts
// max_time says so, since count: auto then never adds a run.
func TestWriteTextFirstPassOverBudget(t *testing.T) {
	fixed := &spec.Workload{Kind: spec.KindFixedRate, Duration: spec.Duration(12 * time.Second)}
	cells := []*Cell{{Cell: spec.Cell{Workload: fixed}, Status: Planned}}
	for _, tc := range []struct {
		maxTime time.Duration
		note    bool
	}{{time.Minute, true}, {10 * time.Minute, false}} {
		p := &Plan{Spec: &spec.Spec{Runs: spec.Runs{Count: 6, Auto: true, MaxCount: 20, MaxTime: spec.Duration(tc.maxTime)}}, Cells: cells}
		var b strings.Builder
		p.WriteText(&b, false)
		got := strings.Contains(b.String(), "first pass (6 runs per cell, about 1m10s) already exceeds max_time 1m0s")
		if got != tc.note {
			t.Errorf("max_time %v: note shown %v, want %v:\n%s", tc.maxTime, got, tc.note, b.String())
		}
	}
}

// TestTailNote: a question whose runs hold too few ops for a tail it
// answers says so at plan time, with the window that would judge it; the
// fewest ops of any of its cells decide.
func TestTailNote(t *testing.T) {
	for _, tc := range []struct {
		why, yaml string
		want      string // "" for no note
	}{
		{"P99 of 1,500 ops", "rate: [1000/s, 2000/s]\n    duration: 1500ms",
			"P99 will be shown, not judged: a run holds 1500 ops (1000/s), and judging it takes 5000, 50 beyond it (a 5s window at 1000/s)"},
		{"P99 of 5,000 ops", "rate: 1000/s\n    duration: 5s", ""},
		{"the mean and P99.9", "rate: 2000/s\n    duration: 1500ms\n    x-m: 0", "P99.9, sec/op will be shown, not judged: a run holds 3000 ops (2000/s), and judging it takes 50000, 50 beyond it (a 25s window at 2000/s)"},
	} {
		metrics := ""
		if strings.Contains(tc.yaml, "x-m") {
			metrics = "\n    metrics: [p50, p99.9, sec/op]"
			tc.yaml = strings.ReplaceAll(tc.yaml, "\n    x-m: 0", "")
		}
		src := "name: t\ntoolchains: [local]\nworkloads:\n  - name: w\n    kind: fixed-rate\n    package: ./w\n    ops: [a, b]\n    " + tc.yaml +
			"\nquestions:\n  - title: q\n    workload: w\n    by: op\n    base: a" + metrics + "\n"
		s, err := spec.Parse("t.yaml", []byte(src))
		if err != nil {
			t.Fatalf("%s: %v\n%s", tc.why, err, src)
		}
		q := s.Questions()[0]
		if got := tailNote(&q, s.Points(), s.Cells()); got != tc.want {
			t.Errorf("%s: note %q, want %q", tc.why, got, tc.want)
		}
	}
}
