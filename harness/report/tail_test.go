package report

import (
	"strings"
	"testing"

	"github.com/perfharness/harness/harness/compare"
	"github.com/perfharness/harness/harness/results"
)

// An open-loop answer judges a latency quantile only when every valid run
// on both sides holds 50 ops beyond it (the gate's rule): the fewest ops
// of any valid run decide, invalid runs do not count, and go test cells
// are never held to it.
func TestTailImpreciseAnswers(t *testing.T) {
	run := func(valid bool, ops int64) *RunInfo {
		return &RunInfo{Run: &results.Run{Status: results.StatusOK}, Valid: valid,
			Result: &driverResult{DriverResult: &results.DriverResult{Completed: ops}}}
	}
	sideOf := func(rs ...*RunInfo) *side { return &side{cells: []*Cell{{Runs: rs}}} }
	big := sideOf(run(true, 6000), run(true, 5000), run(false, 10))
	small := sideOf(run(true, 6000), run(true, 1500))
	for _, tc := range []struct {
		kind, unit string
		sides      []*side
		want       string // a part of the reason, "" for judged
	}{
		{"fixed-rate", "p99-ns", []*side{big, big}, ""},
		{"fixed-rate", "p99-ns", []*side{big, small}, "P99 rests on 15 samples beyond it in the shortest run (1500 ops): judged from 5000 ops a run"},
		{"http", "p99.9-ns", []*side{big, big}, "P99.9 rests on 5 samples"},
		{"fixed-rate", "p50-ns", []*side{small, small}, ""},
		{"fixed-rate", "ns/op", []*side{small, big}, "the mean latency of an open-loop run is driven by its tail"},
		{"fixed-rate", "p99-ns", []*side{nil, small}, "1500 ops"},
		{"gotest", "p99-ns", []*side{small, small}, ""},
		{"fixed-rate", "allocs/op", []*side{small, small}, ""},
	} {
		got := tailImprecise(tc.kind, tc.unit, tc.sides...)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("tailImprecise(%s, %s) = %q, want %q", tc.kind, tc.unit, got, tc.want)
		}
	}
}

// A figure shown but not judged counts for neither side of the verdict;
// a line with nothing else to judge says so.
func TestSumUpImprecise(t *testing.T) {
	p50 := &MetricAnswer{Unit: "p50-ns", Better: -1, Verdict: compare.Verdict{Outcome: compare.Lower}, Word: "faster"}
	p99 := &MetricAnswer{Unit: "p99-ns", Better: -1, Verdict: compare.Verdict{Outcome: compare.Higher}, Word: "slower", Imprecise: "P99 rests on 15 samples"}
	if v, class := sumUp([]*MetricAnswer{p50, p99}); v != "faster" || class != "good" {
		t.Errorf("sumUp(faster P50, imprecise slower P99) = %q %q, want faster good", v, class)
	}
	if v, _ := sumUp([]*MetricAnswer{p99}); v != verdictImprecise {
		t.Errorf("sumUp(imprecise P99 alone) = %q, want %q", v, verdictImprecise)
	}
	if txt := p99.Text(); !strings.Contains(txt, "not judged: P99 rests on 15 samples") || strings.Contains(txt, "slower") {
		t.Errorf("Text of an imprecise P99 = %q", txt)
	}
	// Too few valid runs as well: the tail's precision is the reason given.
	few := &MetricAnswer{Unit: "p99-ns", Verdict: compare.Verdict{Outcome: compare.Unusable, Reason: "too few valid runs"}, Imprecise: "P99 rests on 15 samples"}
	if txt := few.Text(); txt != "P99 not judged: P99 rests on 15 samples" {
		t.Errorf("Text of an imprecise P99 with too few runs = %q", txt)
	}
}
