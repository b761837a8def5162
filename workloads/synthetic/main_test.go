package main

import (
	"context"
	"testing"
	"time"

	"github.com/perfharness/harness/workloads/driver"
)

func TestRounds(t *testing.T) {
	for _, tc := range []struct {
		work  int
		slow  float64
		want  int
		isErr bool
		why   string
	}{
		{20000, 0, 20000, false, "no slowdown is the work itself"},
		{20000, 0.05, 21000, false, "5% slower is 5% more rounds"},
		{20000, -0.5, 10000, false, "a negative slowdown is a speed-up"},
		{3, 0.5, 5, false, "rounded to the nearest round (4.5 -> 5)"},
		{0, 0, 0, true, "no work is an error"},
		{100, -0.95, 0, true, "a speed-up past 90% is refused"},
	} {
		got, err := Rounds(tc.work, tc.slow)
		if (err != nil) != tc.isErr || got != tc.want {
			t.Errorf("Rounds(%d, %g) = %d, %v; want %d (err %v): %s", tc.work, tc.slow, got, err, tc.want, tc.isErr, tc.why)
		}
	}
}

// TestSpinAllocs checks the allocs param is the op's allocations per call
// exactly, which is what makes it a regression no timing noise can blur.
func TestSpinAllocs(t *testing.T) {
	for _, tc := range []struct {
		allocs string
		want   float64
		isErr  bool
		why    string
	}{
		{"", 0, false, "the op allocates nothing by default"},
		{"0", 0, false, "zero is nothing"},
		{"5", 5, false, "five blocks a call"},
		{"-1", 0, true, "a negative count is refused"},
		{"x", 0, true, "not a number"},
	} {
		values := map[string]string{"work": "10"}
		if tc.allocs != "" {
			values["allocs"] = tc.allocs
		}
		op := &spinOp{}
		err := op.Setup(context.Background(), driver.NewParams(values, 1))
		if (err != nil) != tc.isErr {
			t.Errorf("allocs=%q: Setup error %v, want error %v: %s", tc.allocs, err, tc.isErr, tc.why)
			continue
		}
		if err != nil {
			continue
		}
		if got := testing.AllocsPerRun(100, func() { op.Do(context.Background()) }); got != tc.want {
			t.Errorf("allocs=%q: %g allocations a call, want %g: %s", tc.allocs, got, tc.want, tc.why)
		}
	}
}

// TestSpinScales checks the op's cost grows with its rounds, which is what
// makes the slowdown knob a known slowdown. It times the two sizes
// interleaved, so a busy spell on a shared host (go test runs packages side
// by side) slows both alike, keeps the fastest of each, and retries a few
// times before it fails: a stall can only make a size slower, and one clean
// attempt is enough to show the ratio.
func TestSpinScales(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test")
	}
	var sink uint64
	attempt := func() (small, large time.Duration) {
		small, large = time.Duration(1<<62), time.Duration(1<<62)
		for range 40 {
			start := time.Now()
			sink += Spin(200000, sink)
			small = min(small, time.Since(start))
			start = time.Now()
			sink += Spin(400000, sink)
			large = min(large, time.Since(start))
		}
		return small, large
	}
	var r float64
	var small, large time.Duration
	for range 5 {
		small, large = attempt()
		if r = float64(large) / float64(small); r >= 1.6 && r <= 2.5 {
			return
		}
	}
	t.Errorf("twice the rounds took %.2fx the time (%s vs %s) in 5 attempts; want about 2x (sink %d)", r, large, small, sink)
}

func BenchmarkSpin(b *testing.B) {
	for range b.N {
		Spin(20000, 1)
	}
}
