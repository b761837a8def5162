package results

import (
	"strings"
	"testing"
)

func TestTailImprecise(t *testing.T) {
	for _, tc := range []struct {
		unit     string
		ops      int
		openLoop bool
		want     string // "" when precise enough
	}{
		{"p50-sec", 100, true, ""},
		{"p50-sec", 99, true, "P50 rests on 49 samples beyond it in the shortest run (99 ops): judged from 100 ops a run (50 beyond)"},
		{"p90-sec", 500, true, ""},
		{"p99-sec", 500, true, "P99 rests on 5 samples beyond it in the shortest run (500 ops): judged from 5000 ops a run (50 beyond)"},
		{"p99-sec", 5000, true, ""},
		{"p99.9-sec", 49999, true, "P99.9 rests on 49 samples"},
		{"sec/op", 4999, true, "the mean latency of an open-loop run is driven by its tail: judged from 5000 ops a run"},
		{"sec/op", 10, false, ""},
		{"lag-p99-sec", 10, true, ""},
		{"gc-pause-p99-sec", 10, true, ""},
		{"B/op", 1, true, ""},
	} {
		got := TailImprecise(tc.unit, tc.ops, tc.openLoop, 0)
		if (got == "") != (tc.want == "") || !strings.Contains(got, tc.want) {
			t.Errorf("TailImprecise(%s, %d, %v) = %q, want %q", tc.unit, tc.ops, tc.openLoop, got, tc.want)
		}
	}
}
