package compare

import (
	"math"
	"math/rand/v2"
	"testing"

	"golang.org/x/perf/benchmath"
)

// Student quantiles against published tables.
func TestStudentQuantile(t *testing.T) {
	for _, tc := range []struct {
		p, df, want float64
	}{
		{0.975, 1, 12.7062},
		{0.975, 10, 2.2281},
		{0.975, 30, 2.0423},
		{0.8, 10, 0.8791},
		{0.8, 1, 1.3764},
		{0.995, 5, 4.0321},
		{0.975, 1e6, 1.9600},
		{0.2, 10, -0.8791},
	} {
		if got := studentQuantile(tc.p, tc.df); math.Abs(got-tc.want) > 1e-4 {
			t.Errorf("t(%g, %g) = %.5f, want %.4f", tc.p, tc.df, got, tc.want)
		}
	}
}

// MDE for samples whose log standard deviation is known: each row's
// arithmetic, from the formula in MDE's note.
func TestMDE(t *testing.T) {
	// Values e^(±s) around 1 with the same count each way have a log mean
	// of 0 and a log SD of s·√(n/(n−1)) per sample.
	sample := func(n int, s float64) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = math.Exp(s * float64(1-2*(i%2)))
		}
		return out
	}
	are := math.Sqrt(3 / math.Pi)
	// The exact test's attained levels: 6+6 rejects at U ≤ 5, P = 19/924 a
	// side; 10+10 at U ≤ 23; 6+6 at 1%: U ≤ 2, P = 4/924 a side.
	a66, a1010, a66s := 38.0/924, attainedAlpha(10, 10, 0.05), 8.0/924
	if math.Abs(a1010-0.043257) > 1e-5 {
		t.Errorf("10+10 attains α = %.6f, want 0.043257 (2·P(U ≤ 23))", a1010)
	}
	mde := func(level, df, sd float64, n1, n2 int) float64 {
		return math.Expm1((studentQuantile(1-level/2, df) + studentQuantile(0.8, df)) * sd * math.Sqrt(1/float64(n1)+1/float64(n2)) / are)
	}
	for _, tc := range []struct {
		why        string
		base, cand []float64
		alpha      float64
		want       float64
	}{
		{"6+6, log SD 0.01·√(6/5): δ = (t(1−0.0411/2, 10)+t(0.8, 10))·σ·√(1/3)/0.9772 = 2.11%",
			sample(6, 0.01), sample(6, 0.01), 0.05, mde(a66, 10, 0.01*math.Sqrt(6.0/5), 6, 6)},
		{"10+10, log SD 0.05·√(10/9), ν = 18",
			sample(10, 0.05), sample(10, 0.05), 0.05, mde(a1010, 18, 0.05*math.Sqrt(10.0/9), 10, 10)},
		{"6+6 at α = 0.01",
			sample(6, 0.01), sample(6, 0.01), 0.01, mde(a66s, 10, 0.01*math.Sqrt(6.0/5), 6, 6)},
		{"no noise: nothing is too small to see", []float64{5, 5, 5, 5, 5, 5}, []float64{5, 5, 5, 5, 5, 5}, 0.05, 0},
		{"3+3 can never reach 0.05", sample(3, 0.01), sample(3, 0.01), 0.05, math.Inf(1)},
		{"one value a side has no noise estimate", []float64{1}, []float64{2}, 0.05, math.NaN()},
	} {
		got := MDE(tc.base, tc.cand, tc.alpha, 0.8)
		if !(math.Abs(got-tc.want) <= 1e-4*math.Abs(tc.want)) && !(math.IsNaN(got) && math.IsNaN(tc.want)) && got != tc.want {
			t.Errorf("%s: MDE %.6g, want %.6g", tc.why, got, tc.want)
		}
	}
}

// TestMDEPower checks the MDE by simulation: samples with log-normal noise
// shifted by exactly the MDE of their sizes and noise are detected by the
// exact Mann-Whitney test about 80% of the time.
func TestMDEPower(t *testing.T) {
	if testing.Short() {
		t.Skip("simulation")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{6, 10, 20} {
		const sigma, trials = 0.03, 1500
		// The MDE the formula gives for the population SD: use a large
		// pair of samples with that SD to read off δ.
		big := func(shift float64) []float64 {
			out := make([]float64, n)
			for i := range out {
				out[i] = math.Exp(shift + sigma*rng.NormFloat64())
			}
			return out
		}
		var mdeSum float64
		hits := 0
		for range trials {
			base, cand := big(0), big(0)
			mdeSum += math.Log1p(MDE(base, cand, 0.05, 0.8))
		}
		// δ at the typical noise estimate of this n.
		delta := mdeSum / trials
		for range trials {
			base, cand := big(0), big(delta)
			p := benchmath.AssumeNothing.Compare(benchmath.NewSample(base, &benchmath.DefaultThresholds), benchmath.NewSample(cand, &benchmath.DefaultThresholds)).P
			if p <= 0.05 {
				hits++
			}
		}
		power := float64(hits) / trials
		t.Logf("n=%d+%d: MDE %.2f%%, simulated power %.3f", n, n, math.Expm1(delta)*100, power)
		if power < 0.75 || power > 0.85 {
			t.Errorf("n=%d+%d: power at the MDE is %.3f, want 0.80 ± 0.05", n, n, power)
		}
	}
}

func TestJudge(t *testing.T) {
	ramp := func(n int, center, spread float64) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = center * (1 + spread*(float64(i)/float64(n-1)-0.5))
		}
		return out
	}
	for _, tc := range []struct {
		why        string
		base, cand []float64
		want       Outcome
	}{
		{"31% larger, 2% spread, 6 a side: higher", ramp(6, 100, 0.02), ramp(6, 131, 0.02), Higher},
		{"10% smaller: lower", ramp(8, 100, 0.02), ramp(8, 90, 0.02), Lower},
		{"interleaved equal samples: no difference", ramp(6, 100, 0.04), ramp(6, 100.1, 0.04), NoDifference},
		{"3 a side: unusable, whatever the gap", ramp(3, 100, 0.01), ramp(3, 200, 0.01), Unusable},
		{"an empty side: unusable", nil, ramp(6, 100, 0.01), Unusable},
	} {
		v := Judge(tc.base, tc.cand, 0.05, 0.95)
		if v.Outcome != tc.want {
			t.Errorf("%s: outcome %v, want %v (%+v)", tc.why, v.Outcome, tc.want, v)
		}
		if tc.want == Unusable && v.Reason == "" {
			t.Errorf("%s: unusable without a reason", tc.why)
		}
		if tc.want == NoDifference && !(v.MDE > 0 && v.MDE < 0.1) {
			t.Errorf("%s: MDE %v, want a small positive fraction", tc.why, v.MDE)
		}
	}
	// The 31% case reads like benchstat's "+31% [+29%, +33%]".
	v := Judge(ramp(6, 100, 0.02), ramp(6, 131, 0.02), 0.05, 0.95)
	if math.Abs(v.Effect.Center-0.31) > 0.005 || !(v.Effect.Lo < 0.31 && v.Effect.Hi > 0.31) || v.P > 0.01 {
		t.Errorf("31%% larger: %+v", v)
	}
}
