package results

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// DefaultTailSamples is how many ops beyond a latency quantile each run
// needs for the quantile to carry a verdict: 50 beyond P99 is 5,000 ops a
// run. With 500 ops a run, P99 rests on 5 samples and moves by tens of
// percent between identical runs.
const DefaultTailSamples = 50

// TailImprecise says why a figure of runs of ops ops each (the fewest of
// any run compared) is too imprecise for a verdict, or "" when it is not.
// It is the one tail-precision rule, for the gate, the Answers, the plan
// and count: auto alike: a latency quantile (unit pNN-sec, tidied) needs
// tail ops beyond it in every run (0 means DefaultTailSamples); the mean
// latency of an open-loop run (sec/op of a fixed-rate or http cell), which
// its tail drives, needs as many ops as P99. Other units are never imprecise by this rule.
func TailImprecise(unit string, ops int, openLoop bool, tail int) string {
	if tail <= 0 {
		tail = DefaultTailSamples
	}
	if q, ok := QuantileOf(unit); ok {
		if need := OpsFor(tail, q); ops < need {
			beyond := int((1-q)*float64(ops) + 1e-9)
			what := strconv.Itoa(beyond) + " samples"
			if beyond == 1 {
				what = "1 sample"
			}
			return fmt.Sprintf("P%s rests on %s beyond it in the shortest run (%d ops): judged from %d ops a run (%d beyond)",
				strconv.FormatFloat(q*100, 'g', -1, 64), what, ops, need, tail)
		}
		return ""
	}
	if unit == "sec/op" && openLoop {
		if need := OpsFor(tail, 0.99); ops < need {
			return fmt.Sprintf("the mean latency of an open-loop run is driven by its tail: judged from %d ops a run, as P99 (the shortest run has %d); P50 is judged instead", need, ops)
		}
	}
	return ""
}

// QuantileOf returns the quantile a tidied latency unit names ("p99-sec"
// → 0.99, "p99.9-sec" → 0.999), and false for other units (the generator
// lag's and GC pauses' quantiles count other things than ops).
func QuantileOf(unit string) (float64, bool) {
	num, ok := strings.CutSuffix(strings.TrimPrefix(unit, "p"), "-sec")
	if !ok || len(num) == len(unit)-len("-sec") || num == "" || num[0] < '0' || num[0] > '9' {
		return 0, false
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || !(v > 0 && v < 100) {
		return 0, false
	}
	return v / 100, true
}

// OpsFor returns the ops a run needs to hold tail of them beyond quantile q.
func OpsFor(tail int, q float64) int {
	return int(math.Ceil(float64(tail)/(1-q) - 1e-6))
}
