package compare

import (
	"math"
	"slices"

	"github.com/perfharness/harness/harness/results"
)

// An Effect is the size of a change from a base sample to a candidate
// sample, as a fraction of the base (+0.05 = 5% larger), with its
// confidence interval. It is the one effect estimate of the harness: the
// gate judges regressions by it and reports state it.
//
// The estimate is the Hodges–Lehmann shift (the median of all pairwise
// differences between the samples) and the interval inverts the
// Mann-Whitney U test (Bauer 1972): the shifts the test would not reject
// at 1 − Confidence. So it makes the same assumptions as the p-value
// beside it (none about the distribution), an interval that excludes 0
// goes with a significant test, and it is exact for small samples. When
// every value is positive the shift is taken on the logarithms, so the
// effect is a ratio (cand/base − 1) and the interval is not symmetric
// around it; otherwise the additive shift is divided by the base's median.
//
// When the samples are too small for any interval at that level (3 runs a
// side at 95%), the interval is unbounded: Hi is +Inf and Lo is −1 for a
// ratio (nothing is smaller than −100%), −Inf otherwise. All are NaN when
// a side is empty.
type Effect struct {
	Center, Lo, Hi float64
	Confidence     float64
}

// Contains reports whether the interval holds x.
func (e Effect) Contains(x float64) bool { return e.Lo <= x && x <= e.Hi }

// EffectOf estimates the effect of cand relative to base (see Effect) at
// the given confidence level (0 means 0.95). Neither slice is modified.
func EffectOf(base, cand []float64, confidence float64) Effect {
	if confidence <= 0 || confidence >= 1 || math.IsNaN(confidence) {
		confidence = 0.95
	}
	e := Effect{Center: math.NaN(), Lo: math.NaN(), Hi: math.NaN(), Confidence: confidence}
	n1, n2 := len(base), len(cand)
	if n1 == 0 || n2 == 0 {
		return e
	}
	positive := !slices.ContainsFunc(base, nonPositive) && !slices.ContainsFunc(cand, nonPositive)
	diffs := make([]float64, 0, n1*n2)
	for _, c := range cand {
		for _, b := range base {
			if positive {
				diffs = append(diffs, math.Log(c)-math.Log(b))
			} else {
				diffs = append(diffs, c-b)
			}
		}
	}
	slices.Sort(diffs)
	k := shiftRank(n1, n2, 1-confidence)
	lo, hi := math.Inf(-1), math.Inf(1)
	if k >= 1 {
		lo, hi = diffs[k-1], diffs[len(diffs)-k]
	}
	center := results.Median(diffs)
	if positive {
		e.Center, e.Lo, e.Hi = math.Expm1(center), math.Expm1(lo), math.Expm1(hi)
		return e
	}
	scale := math.Abs(results.Median(base))
	rel := func(d float64) float64 {
		switch {
		case scale != 0:
			return d / scale
		case d == 0:
			return 0
		}
		return math.Inf(int(math.Copysign(1, d)))
	}
	e.Center, e.Lo, e.Hi = rel(center), rel(lo), rel(hi)
	return e
}

func nonPositive(v float64) bool { return !(v > 0) }

// exactLimit bounds the sample sizes whose U distribution is computed
// exactly (n1·n2); past it the normal approximation is within a rank.
const exactLimit = 2500

// shiftRank returns the rank k (1-based) of the pairwise differences that
// bound the two-sided 1−gamma interval of the shift: the largest k with
// P(U ≤ k−1) ≤ gamma/2 under the null hypothesis, where U counts the pairs
// in which the candidate is larger. 0 means no interval at that level
// exists (the test cannot reject anything).
func shiftRank(n1, n2 int, gamma float64) int {
	half := gamma / 2
	if n1*n2 <= exactLimit {
		cdf := 0.0
		for k, p := range uDistribution(n1, n2) {
			cdf += p
			if cdf > half*(1+1e-12) {
				return k // P(U ≤ k−1) ≤ half < P(U ≤ k)
			}
		}
		return 0
	}
	mu := float64(n1*n2) / 2
	sigma := math.Sqrt(float64(n1*n2) * float64(n1+n2+1) / 12)
	z := math.Sqrt2 * math.Erfinv(1-gamma)
	return max(0, int(math.Floor(mu-z*sigma+0.5)))
}

// uDistribution returns P(U = u) for u = 0..n1·n2 under the null
// hypothesis (no ties), by the recurrence
// P[i,j](u) = i/(i+j)·P[i−1,j](u−j) + j/(i+j)·P[i,j−1](u), which stays in
// probabilities and so never overflows.
func uDistribution(n1, n2 int) []float64 {
	if n1 > n2 {
		n1, n2 = n2, n1 // symmetric; fewer rows
	}
	// prev[j] is P[i−1, j]; cur[j] is P[i, j].
	prev := make([][]float64, n2+1)
	for j := range prev {
		prev[j] = []float64{1}
	}
	for i := 1; i <= n1; i++ {
		cur := make([][]float64, n2+1)
		cur[0] = []float64{1}
		for j := 1; j <= n2; j++ {
			d := make([]float64, i*j+1)
			a, b := float64(i)/float64(i+j), float64(j)/float64(i+j)
			for u, p := range prev[j] { // P[i−1,j] has (i−1)j+1 entries, shifted by j
				d[u+j] += a * p
			}
			for u, p := range cur[j-1] { // P[i,j−1] has i(j−1)+1 entries
				d[u] += b * p
			}
			cur[j] = d
		}
		prev = cur
	}
	return prev[n2]
}
