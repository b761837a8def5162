package compare

import (
	"fmt"
	"math"
	"slices"

	"github.com/perfharness/harness/harness/results"
	"golang.org/x/perf/benchmath"
)

// An Outcome is what a comparison of two samples found.
type Outcome int

const (
	// Unusable: the evidence cannot answer (too few valid runs for the
	// test to ever reach its significance level, or an empty side).
	Unusable Outcome = iota
	// NoDifference: the test found no difference; Verdict.MDE says how
	// large a change this data could have detected.
	NoDifference
	// Lower and Higher: a significant change, the candidate's values
	// lower or higher than the base's (faster or slower for a time).
	Lower
	Higher
)

// DefaultPower is the power at which the minimum detectable effect is
// stated: the chance the test would have flagged a change that large.
const DefaultPower = 0.8

// A Verdict is the answer one metric gives to one comparison: the effect
// with its confidence interval, the Mann-Whitney U p-value, the sample
// sizes, and what they add up to. It is the unit of the report's Answers.
type Verdict struct {
	NBase, NCand int
	Effect       Effect // cand relative to base (EffectOf)
	P            float64
	Alpha        float64
	// MDE is the minimum detectable effect: the smallest change, as a
	// fraction of the base, that the test at Alpha would detect with
	// probability Power given these sample sizes and this noise. It is
	// set for every usable verdict; it matters for NoDifference.
	MDE, Power float64
	Outcome    Outcome
	// Reason says why the evidence is Unusable.
	Reason string
}

// Judge compares a candidate sample with a base sample at significance
// level alpha (0 means 0.05), with confidence intervals at confidence (0
// means 0.95). Neither slice is modified.
func Judge(base, cand []float64, alpha, confidence float64) Verdict {
	if alpha <= 0 || alpha >= 1 || math.IsNaN(alpha) {
		alpha = 0.05
	}
	v := Verdict{NBase: len(base), NCand: len(cand), Alpha: alpha, Power: DefaultPower, P: math.NaN(), MDE: math.NaN()}
	v.Effect = EffectOf(base, cand, confidence)
	switch {
	case len(base) == 0 || len(cand) == 0:
		v.Reason = "no valid runs on one side"
		return v
	case shiftRank(len(base), len(cand), alpha) < 1:
		// The most extreme arrangement of ranks is not significant:
		// no difference, however large, could be detected.
		v.Reason = fmt.Sprintf("too few valid runs (n=%d+%d): no difference can reach p ≤ %g", len(base), len(cand), alpha)
		return v
	}
	v.P = benchmath.AssumeNothing.Compare(benchmath.NewSample(base, &benchmath.DefaultThresholds), benchmath.NewSample(cand, &benchmath.DefaultThresholds)).P
	v.MDE = MDE(base, cand, alpha, v.Power)
	switch {
	case !(v.P <= alpha):
		v.Outcome = NoDifference
	case v.Effect.Center < 0:
		v.Outcome = Lower
	case v.Effect.Center > 0:
		v.Outcome = Higher
	default:
		// Significant with a zero center: the interval decides.
		switch {
		case v.Effect.Hi < 0:
			v.Outcome = Lower
		case v.Effect.Lo > 0:
			v.Outcome = Higher
		default:
			v.Outcome = NoDifference
		}
	}
	return v
}

// MDE returns the minimum detectable effect of a two-sample comparison
// with these sample sizes and this noise: the smallest relative change the
// Mann-Whitney U test at alpha detects with probability power.
//
// Note: the noise is the pooled standard deviation of the logarithms of
// the two samples (each around its own mean), since the effect is a ratio;
// samples with a value ≤ 0 use the values over the base's median instead.
// The shift the test detects is then
//
//	δ = (t(1−α/2, ν) + t(power, ν)) · σ · √(1/n₁ + 1/n₂) / √(3/π)
//
// the two-sample t-test's detectable shift with Student quantiles at
// ν = n₁+n₂−2 degrees of freedom (so small samples pay for estimating σ)
// and α the level the exact test attains (its statistic is discrete: 0.041
// at 6+6 for a nominal 0.05), divided by the square root of the Mann-Whitney test's asymptotic
// efficiency relative to the t-test under normal noise (3/π): a rank test
// needs about 5% more runs. TestMDEPower checks the result by simulation:
// at the MDE, the exact test rejects in 80% ± 5% of simulated runs for
// n from 6 to 20 a side. The result is a fraction: exp(δ) − 1 on the log
// scale, the larger of the two directions' changes (+X% up is a log shift
// of δ; −X% down is a larger one), so a change of at least that much
// either way would have been caught. NaN when either side has fewer than
// two values; +Inf when the test can never reach alpha.
func MDE(base, cand []float64, alpha, power float64) float64 {
	n1, n2 := len(base), len(cand)
	if n1 < 2 || n2 < 2 {
		return math.NaN()
	}
	if shiftRank(n1, n2, alpha) < 1 {
		return math.Inf(1)
	}
	positive := !slices.ContainsFunc(base, nonPositive) && !slices.ContainsFunc(cand, nonPositive)
	tr := func(x float64) float64 { return math.Log(x) }
	if !positive {
		scale := math.Abs(results.Median(base))
		if scale == 0 {
			scale = 1
		}
		tr = func(x float64) float64 { return x / scale }
	}
	ss := 0.0
	for _, s := range [][]float64{base, cand} {
		mean := 0.0
		for _, x := range s {
			mean += tr(x)
		}
		mean /= float64(len(s))
		for _, x := range s {
			d := tr(x) - mean
			ss += d * d
		}
	}
	df := float64(n1 + n2 - 2)
	sigma := math.Sqrt(ss / df)
	level := attainedAlpha(n1, n2, alpha)
	delta := (studentQuantile(1-level/2, df) + studentQuantile(power, df)) * sigma * math.Sqrt(1/float64(n1)+1/float64(n2)) / math.Sqrt(3/math.Pi)
	if !positive {
		return delta
	}
	return math.Expm1(delta)
}

// studentQuantile returns the p-quantile of Student's t distribution with
// df degrees of freedom, by bisection on its distribution function.
func studentQuantile(p, df float64) float64 {
	if p == 0.5 {
		return 0
	}
	if p < 0.5 {
		return -studentQuantile(1-p, df)
	}
	lo, hi := 0.0, 1.0
	for studentCDF(hi, df) < p {
		hi *= 2
		if hi > 1e12 {
			return math.Inf(1)
		}
	}
	for range 200 {
		mid := (lo + hi) / 2
		if studentCDF(mid, df) < p {
			lo = mid
		} else {
			hi = mid
		}
		if hi-lo < 1e-12*hi {
			break
		}
	}
	return (lo + hi) / 2
}

// studentCDF is P(T ≤ t) for Student's t with df degrees of freedom:
// 1 − I_x(df/2, 1/2)/2 with x = df/(df+t²), for t ≥ 0.
func studentCDF(t, df float64) float64 {
	x := df / (df + t*t)
	tail := 0.5 * regIncBeta(df/2, 0.5, x)
	if t >= 0 {
		return 1 - tail
	}
	return tail
}

// regIncBeta is the regularized incomplete beta function I_x(a, b), by
// its continued fraction (Lentz's method), as in Numerical Recipes'
// betai/betacf.
func regIncBeta(a, b, x float64) float64 {
	switch {
	case x <= 0:
		return 0
	case x >= 1:
		return 1
	}
	la, _ := math.Lgamma(a + b)
	lb, _ := math.Lgamma(a)
	lc, _ := math.Lgamma(b)
	front := math.Exp(la - lb - lc + a*math.Log(x) + b*math.Log(1-x))
	if x < (a+1)/(a+b+2) {
		return front * betaCF(a, b, x) / a
	}
	return 1 - front*betaCF(b, a, 1-x)/b
}

func betaCF(a, b, x float64) float64 {
	const tiny = 1e-300
	c, d := 1.0, 1-(a+b)*x/(a+1)
	if math.Abs(d) < tiny {
		d = tiny
	}
	d = 1 / d
	h := d
	for m := 1; m <= 300; m++ {
		fm := float64(m)
		num := fm * (b - fm) * x / ((a + 2*fm - 1) * (a + 2*fm))
		d = 1 + num*d
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = 1 + num/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		h *= d * c
		num = -(a + fm) * (a + b + fm) * x / ((a + 2*fm) * (a + 2*fm + 1))
		d = 1 + num*d
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = 1 + num/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		del := d * c
		h *= del
		if math.Abs(del-1) < 1e-15 {
			break
		}
	}
	return h
}

// attainedAlpha is the significance level the exact Mann-Whitney test
// really has at nominal alpha: its statistic is discrete, so it rejects
// with probability P(U ≤ k−1) a side, below alpha/2 (0.041 at 6+6 for
// 0.05). Past the exact limit it is alpha.
func attainedAlpha(n1, n2 int, alpha float64) float64 {
	if n1*n2 > exactLimit {
		return alpha
	}
	k := shiftRank(n1, n2, alpha)
	cdf := 0.0
	for u, p := range uDistribution(n1, n2) {
		if u > k-1 {
			break
		}
		cdf += p
	}
	return 2 * cdf
}

// HalfWidth is half the width of the effect's interval, as a fraction of
// the base: the precision count: auto aims at. +Inf when unbounded.
func (e Effect) HalfWidth() float64 {
	if math.IsNaN(e.Lo) || math.IsNaN(e.Hi) {
		return math.Inf(1)
	}
	return (e.Hi - e.Lo) / 2
}
