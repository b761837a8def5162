package gate

import (
	"cmp"
	"math"
	"slices"
)

// AdjustBH returns the Benjamini–Hochberg adjusted p-values (q-values) of
// ps, in the same order: q(i) = min over j ranked at or above i of
// p(j)·m/rank(j), capped at 1. Rejecting every test with q ≤ L keeps the
// expected share of false discoveries among the rejections at most L
// (for independent or positively dependent tests, as the metrics of one
// run are). NaN p-values are left out of the family and stay NaN.
func AdjustBH(ps []float64) []float64 {
	q := make([]float64, len(ps))
	idx := make([]int, 0, len(ps))
	for i, p := range ps {
		q[i] = math.NaN()
		if !math.IsNaN(p) {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(ps[a], ps[b]) })
	m := float64(len(idx))
	run := 1.0
	for r := len(idx) - 1; r >= 0; r-- {
		i := idx[r]
		run = math.Min(run, ps[i]*m/float64(r+1))
		q[i] = run
	}
	return q
}

// minP is the smallest two-sided p-value a Mann-Whitney U test of samples
// of sizes n1 and n2 can give: 2/C(n1+n2, n1), when they do not overlap.
func minP(n1, n2 int) float64 {
	if n1 < 1 || n2 < 1 {
		return 1
	}
	lc := 0.0
	for i := 1; i <= n1; i++ {
		lc += math.Log(float64(n2+i)) - math.Log(float64(i))
	}
	return math.Min(1, 2*math.Exp(-lc))
}
