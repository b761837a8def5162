package compare

import (
	"math"
	"math/rand/v2"
	"testing"
)

// sides makes n runs a side of a figure that scales as probe^slope, with a
// host whose speed differs between the sides by drift and within them by
// 8%, a change of effect on the candidate side and 0.3% noise.
func sides(seed uint64, n int, slope, drift, effect float64) (bv, bx, cv, cx []float64) {
	rng := rand.New(rand.NewPCG(seed, 1))
	for i := range 2 * n {
		x := 11e-6 * (1 + 0.08*rng.Float64())
		y := 0.0
		if i < n {
			y = 70e-6 * math.Pow(x/11e-6, slope) * (1 + 0.003*rng.NormFloat64())
			bv, bx = append(bv, y), append(bx, x)
			continue
		}
		x *= 1 + drift
		y = 70e-6 * (1 + effect) * math.Pow(x/11e-6, slope) * (1 + 0.003*rng.NormFloat64())
		cv, cx = append(cv, y), append(cx, x)
	}
	return
}

func TestHostAdjusted(t *testing.T) {
	// A CPU-bound figure on a host 6% slower for the candidate: as measured
	// a +6% change; at one host speed none.
	bv, bx, cv, cx := sides(1, 10, 1, 0.06, 0)
	ba, ca, adj := hostAdjusted("p50-sec", bv, bx, cv, cx)
	if adj == nil {
		t.Fatal("a figure that follows the host was not adjusted")
	}
	if math.Abs(adj.Slope-1) > 0.1 {
		t.Errorf("slope %.3f, want ~1", adj.Slope)
	}
	if e := EffectOf(ba, ca, 0.95); !e.Contains(0) || e.Hi-e.Lo > 0.01 {
		t.Errorf("adjusted effect %+v: want an interval within ±0.5%% holding 0", e)
	}
	if e := EffectOf(bv, cv, 0.95); e.Contains(0) {
		t.Errorf("as measured, effect %+v: the drift should show", e)
	}

	// A real 5% slowdown on a drifting host is found at its size.
	bv, bx, cv, cx = sides(2, 10, 1, -0.05, 0.05)
	ba, ca, adj = hostAdjusted("sec/op", bv, bx, cv, cx)
	if adj == nil {
		t.Fatal("not adjusted")
	}
	if e := EffectOf(ba, ca, 0.95); !e.Contains(0.05) || e.Lo < 0.04 {
		t.Errorf("adjusted effect %+v, want ~+5%%", e)
	}

	// A figure that does not follow the host (an op waiting on a timer),
	// or follows it only in part, is compared as measured, even when the
	// host drifted.
	for _, slope := range []float64{0, 0.5} {
		bv, bx, cv, cx = sides(3, 10, slope, 0.06, 0)
		if _, _, adj := hostAdjusted("p50-sec", bv, bx, cv, cx); adj != nil {
			t.Errorf("a figure of slope %g was adjusted: %+v", slope, adj)
		}
	}
	// Not an op's time, a run without its probe, too few runs: as measured.
	bv, bx, cv, cx = sides(4, 10, 1, 0, 0)
	if _, _, adj := hostAdjusted("B/op", bv, bx, cv, cx); adj != nil {
		t.Error("B/op adjusted")
	}
	bx[3] = math.NaN()
	if _, _, adj := hostAdjusted("p50-sec", bv, bx, cv, cx); adj != nil {
		t.Error("adjusted with a run lacking its probe")
	}
	bv, bx, cv, cx = sides(5, 4, 1, 0, 0)
	if _, _, adj := hostAdjusted("p50-sec", bv, bx, cv, cx); adj != nil {
		t.Error("adjusted with 4 runs a side")
	}
}

// TestHostAdjustedNull checks the adjustment keeps the test's size: on
// identical code with the host drifting between the sides, the adjusted
// comparison is significant at 5% in about 5% of trials, not more.
func TestHostAdjustedNull(t *testing.T) {
	sig, adjusted := 0, 0
	const trials = 400
	for i := range trials {
		bv, bx, cv, cx := sides(uint64(100+i), 10, 1, 0.04*float64(i%5-2), 0)
		ba, ca, adj := hostAdjusted("p50-sec", bv, bx, cv, cx)
		if adj == nil {
			continue
		}
		adjusted++
		if e := EffectOf(ba, ca, 0.95); !e.Contains(0) {
			sig++
		}
	}
	if adjusted < trials*9/10 {
		t.Fatalf("only %d of %d trials adjusted", adjusted, trials)
	}
	if rate := float64(sig) / float64(adjusted); rate > 0.10 {
		t.Errorf("identical code called different in %d of %d adjusted trials (%.1f%%): the adjustment inflates the test's size", sig, adjusted, 100*rate)
	}
}
