package gate

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/perfharness/harness/harness/compare"
	"github.com/perfharness/harness/harness/results"
)

// Defaults, the same as the spec's.
const (
	DefaultAlpha     = 0.05
	DefaultThreshold = 0.05
	DefaultFDR       = 0.05
	// DefaultInstructionsThreshold is the threshold of instructions/op
	// (the instructions tier) unless a metrics key names the unit: its
	// counts repeat to about 0.1% on a noisy host, so a change of half a
	// percent is real, where wall time needs several.
	DefaultInstructionsThreshold = 0.005
	DefaultTailSamples           = results.DefaultTailSamples
)

// A Policy says what the gate counts as a regression.
type Policy struct {
	// Alpha is the significance level of the Mann-Whitney U test, and
	// 1 − Alpha the confidence of the effects' intervals.
	Alpha float64
	// FDR is the false discovery rate kept among the gated rows
	// (Benjamini–Hochberg); 0 means DefaultFDR. FDROff turns the
	// adjustment off: each row is tested at Alpha alone.
	FDR    float64
	FDROff bool
	// TailSamples is how many ops each run needs beyond a latency
	// quantile for the quantile to be judged; 0 means DefaultTailSamples.
	TailSamples int
	// Threshold is the minimum effect size, a fraction (0.05 = 5%), for
	// metrics Metrics does not name.
	Threshold float64
	// Metrics are thresholds by key. A key is a unit as the workload
	// writes it or as benchstat tidies it ("p99-ns" or "p99-sec"), a
	// workload name ("json"), or both ("json:p99-ns"); the most specific
	// key that matches wins. Naming a unit gates it even when it is not
	// gated by default.
	Metrics map[string]float64
	// Calibrated are per-benchmark noise thresholds measured on the host;
	// each acts as a floor under the configured threshold. Nil: none.
	Calibrated *Thresholds
	// Interleaved names the rows (InterleavedKey) whose samples come from
	// a confirmation's interleaved reruns: both sides ran side by side,
	// sharing the host's state run by run, so the calibrated noise — the
	// drift between runs made apart — does not apply to them.
	Interleaved map[string]bool
	// MinSamples is the fewest samples per side a gated metric needs;
	// 0 means what the test needs to reach Alpha at all.
	MinSamples int
	// AllowHostMismatch turns a host fingerprint mismatch from a problem
	// (invalid) into a warning.
	AllowHostMismatch bool
	// ContentionOff judges rows whatever the difference between the
	// sides' host contention (see contended).
	ContentionOff bool
}

// PolicyFrom returns the policy a manifest's gate section asks for, with
// the defaults filled in.
func PolicyFrom(g results.Gate) Policy {
	p := Policy{Alpha: g.Alpha, Threshold: g.Threshold, FDR: g.FDR, FDROff: g.FDROff}
	if len(g.Metrics) > 0 {
		p.Metrics = map[string]float64{}
		for k, v := range g.Metrics {
			p.Metrics[k] = v
		}
	}
	return p.withDefaults()
}

func (p Policy) withDefaults() Policy {
	if p.Alpha <= 0 {
		p.Alpha = DefaultAlpha
	}
	if p.Threshold < 0 || math.IsNaN(p.Threshold) {
		p.Threshold = DefaultThreshold
	}
	if p.FDR <= 0 || math.IsNaN(p.FDR) {
		p.FDR = DefaultFDR
	}
	if p.TailSamples <= 0 {
		p.TailSamples = DefaultTailSamples
	}
	return p
}

// fdr is the FDR in effect, 0 when the adjustment is off.
func (p Policy) fdr() float64 {
	if p.FDROff {
		return 0
	}
	return p.FDR
}

// Validate reports the first setting out of range.
func (p Policy) Validate() error {
	if !(p.Alpha > 0 && p.Alpha <= 0.5) {
		return fmt.Errorf("alpha must be in (0, 0.5] (got %g)", p.Alpha)
	}
	if !p.FDROff && p.FDR != 0 && !(p.FDR > 0 && p.FDR <= 0.5) {
		return fmt.Errorf("fdr must be in (0, 0.5] or off (got %g)", p.FDR)
	}
	if !(p.Threshold >= 0 && p.Threshold < 10) {
		return fmt.Errorf("threshold must be between 0%% and 1000%% (got %s)", Percent(p.Threshold))
	}
	for k, v := range p.Metrics {
		if strings.TrimSpace(k) == "" {
			return fmt.Errorf("empty metric key")
		}
		if !(v >= 0 && v < 10) {
			return fmt.Errorf("threshold of %s must be between 0%% and 1000%% (got %s)", k, Percent(v))
		}
	}
	if p.MinSamples < 0 {
		return fmt.Errorf("min samples must be >= 0 (got %d)", p.MinSamples)
	}
	return nil
}

// notGatedByDefault are the tidied units shown but not gated unless the
// policy names them: single extreme samples, the harness's own generator,
// build figures (one sample per run), and GC pause tails (a handful of
// cycles per run). See the package doc.
var notGatedByDefault = []string{
	"max-sec", "p99.9-sec", "p99.99-sec", "lag-p99-sec",
	"build-sec", "binary-B", "gc-pause-p99-sec", compare.HostProbeUnit,
}

// unitDefaults are thresholds of their own for units whose noise is far
// from wall time's: they replace the threshold and a workload's, and give
// way to a metrics key naming the unit.
var unitDefaults = map[string]float64{
	"instructions/op": DefaultInstructionsThreshold,
}

// TidyUnit normalizes a unit as benchstat does before comparing
// ([results.TidyUnit]: "ns/op" → "sec/op", "p99-ns" → "p99-sec", "MB/s" →
// "B/s"), so thresholds may name a unit either way.
func TidyUnit(unit string) string {
	tidy, _ := results.TidyUnit(unit)
	return tidy
}

// A Limit is the threshold that applies to one comparison and where it
// came from.
type Limit struct {
	Threshold float64
	From      string // e.g. "gate.threshold", "metric p99-ns", "calibrated noise"
	Gated     bool
}

// limit resolves the threshold of a workload's benchmark × unit.
func (p Policy) limit(workload, table, benchmark, unit string) Limit {
	tidy := TidyUnit(unit)
	l := Limit{Threshold: p.Threshold, From: "threshold", Gated: !slices.Contains(notGatedByDefault, tidy)}
	named := false
	best := 0 // 1 workload, 2 unit, 3 workload:unit
	keys := make([]string, 0, len(p.Metrics))
	for k := range p.Metrics {
		keys = append(keys, k)
	}
	slices.Sort(keys) // "p99-ns" and "p99-sec" may both be given: the first wins
	for _, k := range keys {
		rank := 0
		w, u, both := strings.Cut(k, ":")
		switch {
		case both && w == workload && TidyUnit(u) == tidy:
			rank = 3
		case !both && TidyUnit(k) == tidy:
			rank = 2
		case !both && k == workload:
			rank = 1
		}
		if rank > best {
			best, l.Threshold, l.From = rank, p.Metrics[k], k
		}
		if rank >= 2 {
			named = true
		}
	}
	if best > 0 {
		l.From = "metrics[" + l.From + "]"
	}
	if t, ok := unitDefaults[tidy]; ok && best < 2 {
		l.Threshold, l.From = t, tidy+" default"
	}
	if named {
		l.Gated = true
	}
	if t, ok := p.Calibrated.lookup(table, benchmark, tidy); ok && t > l.Threshold {
		if p.Interleaved[InterleavedKey(table, benchmark)] {
			l.From += fmt.Sprintf(" (interleaved reruns: the calibrated noise %s between runs made apart does not apply)", Percent(t))
		} else {
			l.Threshold, l.From = t, "calibrated noise"
		}
	}
	return l
}

// InterleavedKey is the key of a row (compare's table and row keys) in
// Policy.Interleaved.
func InterleavedKey(config, benchmark string) string {
	return normalConfig(config) + "\x00" + benchmark
}

// Percent formats a fraction as a percentage with up to three significant
// digits: 0.05 → "5%", 0.0123 → "1.23%".
func Percent(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "+∞%"
	case math.IsInf(f, -1):
		return "-∞%"
	case math.IsNaN(f):
		return "?"
	}
	return strconv.FormatFloat(f*100, 'g', 3, 64) + "%"
}

// SignedPercent is Percent with a sign: "+5.1%", "-0.3%".
func SignedPercent(f float64) string {
	if f >= 0 && !math.IsInf(f, 1) {
		return "+" + Percent(f)
	}
	return Percent(f)
}

// imprecise says why a comparison's figure is too imprecise to judge, or
// "" (results.TailImprecise, with the fewer ops a run of the two sides).
func (p Policy) imprecise(c compare.Comparison, kind string) string {
	return results.TailImprecise(TidyUnit(c.Unit), min(c.Base.MinIters, c.Cand.MinIters), kind == "fixed-rate" || kind == "http", p.TailSamples)
}
