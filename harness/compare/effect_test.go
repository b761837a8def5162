package compare

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// The ranks against published two-sided 5% critical values of the
// Mann-Whitney U test (reject when U ≤ c, so the interval's rank is c+1).
func TestShiftRank(t *testing.T) {
	for _, tc := range []struct {
		n1, n2, want int
		why          string
	}{
		{3, 3, 0, "min p = 2/20 = 0.1: no 95% interval exists"},
		{4, 4, 1, "critical U 0: P(U=0) = 1/70 ≤ 0.025"},
		{5, 5, 3, "critical U 2"},
		{6, 6, 6, "critical U 5"},
		{8, 8, 14, "critical U 13"},
		{10, 10, 24, "critical U 23 (R: qwilcox(0.025, 10, 10) = 24)"},
		{5, 10, 9, "critical U 8"},
		{20, 20, 128, "critical U 127"},
	} {
		if got := shiftRank(tc.n1, tc.n2, 0.05); got != tc.want {
			t.Errorf("shiftRank(%d, %d, 0.05) = %d, want %d: %s", tc.n1, tc.n2, got, tc.want, tc.why)
		}
	}
}

// The normal approximation used past exactLimit agrees with the exact
// distribution at the limit.
func TestShiftRankApprox(t *testing.T) {
	exact := shiftRank(50, 50, 0.05)
	mu, sigma := 1250.0, math.Sqrt(2500*101/12.0)
	approx := int(math.Floor(mu - 1.959963984540054*sigma + 0.5))
	if d := exact - approx; d < -1 || d > 1 {
		t.Errorf("n 50/50: exact rank %d, normal approximation %d", exact, approx)
	}
	// μ = 1800, σ = √(3600·121/12) = 190.5: 1800 − 1.96σ + ½ = 1427.1
	if got := shiftRank(60, 60, 0.05); got != 1427 {
		t.Errorf("n 60/60 (approximated): rank %d, want 1427", got)
	}
}

func TestUDistribution(t *testing.T) {
	d := uDistribution(2, 3) // C(5,2) = 10 arrangements: counts 1 1 2 2 2 1 1
	want := []float64{1, 1, 2, 2, 2, 1, 1}
	if len(d) != len(want) {
		t.Fatalf("len %d, want %d", len(d), len(want))
	}
	for u := range want {
		if math.Abs(d[u]-want[u]/10) > 1e-12 {
			t.Errorf("P(U=%d) = %g, want %g", u, d[u], want[u]/10)
		}
	}
	sum := 0.0
	for _, p := range uDistribution(30, 40) {
		sum += p
	}
	if math.Abs(sum-1) > 1e-9 {
		t.Errorf("P sums to %g", sum)
	}
}

func TestEffectOf(t *testing.T) {
	near := func(got, want, tol float64) bool { return math.Abs(got-want) <= tol }
	ten := func(center, spread float64) []float64 {
		out := make([]float64, 10)
		for i := range out {
			out[i] = center * (1 + spread*float64(i-5)/5)
		}
		return out
	}
	for _, tc := range []struct {
		why          string
		base, cand   []float64
		center       float64
		lo, hi       float64 // -1 for "below center", +1 "above" checks only when NaN
		wantExcludes bool    // the interval excludes 0
	}{
		{"5% slower, 1% spread: a ratio of 1.05, interval excludes 0",
			ten(100, 0.01), ten(105, 0.01), 0.05, 0.04, 0.06, true},
		{"identical samples: effect 0, interval holds 0",
			ten(100, 0.02), ten(100, 0.02), 0, -0.02, 0.02, false},
		{"zeros (allocs/op 0 → 1): additive shift over a zero median is infinite",
			[]float64{0, 0, 0, 0, 0, 0}, []float64{1, 1, 1, 1, 1, 1}, math.Inf(1), math.Inf(1), math.Inf(1), true},
	} {
		e := EffectOf(tc.base, tc.cand, 0.95)
		ok := near(e.Center, tc.center, 0.002) || e.Center == tc.center
		if !ok || !(near(e.Lo, tc.lo, 0.01) || e.Lo == tc.lo) || !(near(e.Hi, tc.hi, 0.01) || e.Hi == tc.hi) {
			t.Errorf("%s: %+v, want center %g in [%g, %g]", tc.why, e, tc.center, tc.lo, tc.hi)
		}
		if e.Contains(0) == tc.wantExcludes {
			t.Errorf("%s: %+v contains 0: %v", tc.why, e, e.Contains(0))
		}
	}
	// A hand-checked case: base {1,2,3,4}, cand {5,6,7,8} (no logs: base
	// 1 vs 8). Differences of logs range from log(5/4) to log(8); with
	// 4 a side the 95% rank is 1: the interval is the extreme ratios.
	e := EffectOf([]float64{1, 2, 3, 4}, []float64{5, 6, 7, 8}, 0.95)
	if !near(e.Lo, 5.0/4-1, 1e-12) || !near(e.Hi, 8-1, 1e-12) {
		t.Errorf("4 vs 4: %+v, want [%g, %g]", e, 5.0/4-1, 7.0)
	}
	// A ratio cannot fall below −100%: an unbounded log shift is −1.
	if e := EffectOf([]float64{1, 2, 3}, []float64{7, 8, 9}, 0.95); e.Lo != -1 || !math.IsInf(e.Hi, 1) {
		t.Errorf("3 a side at 95%% has no interval: %+v", e)
	}
	if e := EffectOf(nil, []float64{1}, 0.95); !math.IsNaN(e.Center) {
		t.Errorf("an empty side: %+v", e)
	}
}

// Pair carries each sample's fewest iterations and an effect whose
// interval agrees with the test: 10 runs a side, 5% apart, never
// overlapping.
func TestPairEffect(t *testing.T) {
	line := func(iters int, ns float64) string {
		return fmt.Sprintf("BenchmarkA/op=x %d %g ns/op %g p99-ns\n", iters, ns, ns*3)
	}
	var a, b strings.Builder
	for i := range 10 {
		a.WriteString(line(500+i, 1000+float64(i)))
		b.WriteString(line(5000, 1050+float64(i)))
	}
	base, err := Parse("a.txt", []byte(a.String()))
	if err != nil {
		t.Fatal(err)
	}
	cand, err := Parse("b.txt", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	cmps, err := Pair(base, cand, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cmps) != 2 {
		t.Fatalf("%d comparisons", len(cmps))
	}
	for _, c := range cmps {
		if c.Base.MinIters != 500 || c.Cand.MinIters != 5000 {
			t.Errorf("%s: iterations %d and %d, want 500 and 5000", c.Unit, c.Base.MinIters, c.Cand.MinIters)
		}
		if !c.Significant || c.Effect.Contains(0) || !c.Effect.Contains(c.Delta) || c.Effect.Lo < 0.03 || c.Effect.Hi > 0.07 {
			t.Errorf("%s: p %g, delta %g, effect %+v", c.Unit, c.P, c.Delta, c.Effect)
		}
	}
}
