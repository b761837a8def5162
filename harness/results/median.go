package results

import (
	"math"
	"slices"
)

// Median returns the median of xs — the mean of the two middle values for
// an even count — without changing xs; for none, NaN (0 for an integer
// type). Summaries, exports, reports, trends and effect sizes take a
// median through it.
func Median[T ~int64 | ~float64](xs []T) T {
	if len(xs) == 0 {
		half := 0.5
		if T(half) != 0 { // a float type
			return T(math.NaN())
		}
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
