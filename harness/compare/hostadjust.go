package compare

import (
	"fmt"
	"math"

	"golang.org/x/perf/benchmath"
	"regexp"
	"slices"

	"github.com/perfharness/harness/harness/results"
)

// HostProbeUnit is the tidied unit of a run's host speed: the median time
// of the driver's reference loop on the pacer's thread during the run's
// window (bench.txt's host-probe-ns; see workloads/driver.HostProbe).
const HostProbeUnit = "host-probe-sec"

// A HostAdjust says how a comparison took the host's speed into account.
//
// On a shared or virtual machine the speed at which the host runs a thread
// drifts by several percent between processes and over minutes (an SMT
// sibling's work, the package's clock), and a baseline and a candidate run
// made apart can sit on either side of such a drift. Each run of a driver
// workload records its host speed (HostProbeUnit). Where a figure follows
// it within each side — the runs' figures rise with their probe times, a
// stratified Kendall test significant at 0.5% one-sided — the comparison is
// made on the figures brought to one host speed: figure × pooled median
// probe time / the run's probe time. That is right for a figure that moves
// in proportion to the host's speed, a CPU-bound op's, so it is done only
// where the figure's elasticity to the probe time (Slope: the Theil–Sen
// median of the within-side pairwise slopes of the logarithms) is within
// [0.8, 1.25]; a figure that does not follow the host (an op waiting for a
// timer) or follows it only in part is compared as measured. The
// proportion is fixed, not fitted, so the test keeps its size: a fitted
// slope's own error, times the host's drift between the sides, would read
// as an effect (simulated: 22% false positives at 5% with 0.3% noise). This
// is covariate adjustment with a covariate the change under test does not
// move (the probe is the harness's own loop), as CUPED does for A/B tests:
// it removes the host's share of the variance without biasing the effect.
type HostAdjust struct {
	Slope float64 `json:"slope"`
	// Z is the stratified Kendall statistic of figure against probe time
	// (standard normal under no association).
	Z float64 `json:"z"`
	// BaseProbe and CandProbe are each side's median probe time (s): how
	// fast the host ran each side.
	BaseProbe float64 `json:"base_probe"`
	CandProbe float64 `json:"cand_probe"`
	// RawDelta, RawP and RawEffect are the comparison of the figures as
	// measured.
	RawDelta  float64 `json:"raw_delta"`
	RawP      float64 `json:"raw_p"`
	RawEffect Effect  `json:"raw_effect"`
}

const (
	// hostAdjustZ is the one-sided 0.5% point of the standard normal: the
	// association a figure must show with its host speed to be adjusted.
	hostAdjustZ = 2.5758
	// hostAdjustMinN is the fewest runs a side needs: below it the test
	// has too little power to tell a CPU-bound figure from noise.
	hostAdjustMinN = 5
	// minHostSlope and maxHostSlope bound the estimated slope of a figure
	// that is adjusted: one that moves in proportion to the host's speed.
	minHostSlope = 0.8
	maxHostSlope = 1.25
)

// hostTimeUnit matches the tidied units that are times of the op itself:
// sec/op and the latency percentiles.
var hostTimeUnit = regexp.MustCompile(`^(sec/op|p[0-9.]+-sec)$`)

// hostAdjusted returns the two sides' figures brought to one host speed,
// and how, or nil when the unit is not an op's time, a run lacks its probe
// time, a side has fewer than hostAdjustMinN runs or the figures do not
// follow the probe. bv and bx (cv and cx) are a side's figures and probe
// times, run by run.
func hostAdjusted(unit string, bv, bx, cv, cx []float64) (ba, ca []float64, adj *HostAdjust) {
	if !hostTimeUnit.MatchString(unit) || len(bx) != len(bv) || len(cx) != len(cv) ||
		len(bv) < hostAdjustMinN || len(cv) < hostAdjustMinN {
		return nil, nil, nil
	}
	for _, s := range [][]float64{bv, bx, cv, cx} {
		if slices.ContainsFunc(s, nonPositive) {
			return nil, nil, nil
		}
	}
	lbv, lbx, lcv, lcx := logs(bv), logs(bx), logs(cv), logs(cx)
	z := kendallZ(lbx, lbv, lcx, lcv)
	if !(z >= hostAdjustZ) {
		return nil, nil, nil
	}
	slope := theilSen(lbx, lbv, lcx, lcv)
	if !(slope >= minHostSlope && slope <= maxHostSlope) {
		return nil, nil, nil
	}
	ref := results.Median(append(slices.Clone(lbx), lcx...))
	bring := func(ly, lx []float64) []float64 {
		out := make([]float64, len(ly))
		for i := range ly {
			out[i] = math.Exp(ly[i] - (lx[i] - ref))
		}
		return out
	}
	adj = &HostAdjust{Slope: slope, Z: z, BaseProbe: results.Median(slices.Clone(bx)), CandProbe: results.Median(slices.Clone(cx))}
	return bring(lbv, lbx), bring(lcv, lcx), adj
}

func logs(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = math.Log(x)
	}
	return out
}

// kendallZ is the stratified Kendall statistic of y against x over the
// groups given as x, y pairs: the sum of the groups' concordant minus
// discordant pairs over its standard deviation under independence (tie
// corrections left out: ties only make it conservative).
func kendallZ(xy ...[]float64) float64 {
	var s, v float64
	for g := 0; g+1 < len(xy); g += 2 {
		x, y := xy[g], xy[g+1]
		n := float64(len(x))
		for i := range x {
			for j := i + 1; j < len(x); j++ {
				s += sign(x[j]-x[i]) * sign(y[j]-y[i])
			}
		}
		v += n * (n - 1) * (2*n + 5) / 18
	}
	if v == 0 {
		return 0
	}
	return s / math.Sqrt(v)
}

// theilSen is the median of the pairwise slopes within each group (x, y
// pairs), leaving out pairs whose x differ by less than 1e-6.
func theilSen(xy ...[]float64) float64 {
	var slopes []float64
	for g := 0; g+1 < len(xy); g += 2 {
		x, y := xy[g], xy[g+1]
		for i := range x {
			for j := i + 1; j < len(x); j++ {
				if dx := x[j] - x[i]; math.Abs(dx) > 1e-6 {
					slopes = append(slopes, (y[j]-y[i])/dx)
				}
			}
		}
	}
	if len(slopes) == 0 {
		return 0
	}
	return results.Median(slopes)
}

func sign(d float64) float64 {
	switch {
	case d > 0:
		return 1
	case d < 0:
		return -1
	}
	return 0
}

// adjustForHost remakes c on its figures brought to one host speed when
// both cells' runs carry their probe times and the figures follow them
// (hostAdjusted); the comparison of the figures as measured stays in
// c.Host. The cells' summaries (Base, Cand) stay as measured.
func (c *Comparison) adjustForHost(a benchmath.Assumption, base, cand *accCell, confidence float64) {
	if base == nil || cand == nil || a == benchmath.AssumeExact {
		return
	}
	ba, ca, adj := hostAdjusted(c.Unit, base.values, base.probes, cand.values, cand.probes)
	if adj == nil {
		return
	}
	adj.RawDelta, adj.RawP, adj.RawEffect = c.Delta, c.P, c.Effect
	thresholds := benchmath.DefaultThresholds
	bs, cs := benchmath.NewSample(ba, &thresholds), benchmath.NewSample(ca, &thresholds)
	r := a.Compare(bs, cs)
	c.P = r.P
	c.Delta = delta(results.Median(ba), results.Median(ca))
	c.Effect = EffectOf(ba, ca, confidence)
	alpha := c.alpha
	c.Significant = !(c.P > alpha)
	c.Regression = c.Significant && c.Better != 0 && c.Delta*float64(c.Better) < 0
	c.Host = adj
	c.Warnings = append(c.Warnings, fmt.Sprintf("%s (host probe %.4g µs baseline, %.4g µs candidate; as measured %+.2f%%, p=%.3g)",
		HostAdjustedNote, adj.BaseProbe*1e6, adj.CandProbe*1e6, 100*adj.RawDelta, adj.RawP))
}

// HostAdjustedNote begins the warning of a comparison made at one host
// speed.
const HostAdjustedNote = "compared at one host speed"
