package gate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"slices"
	"sort"
	"time"

	"github.com/perfharness/harness/harness/compare"
)

// ThresholdsFormat is the version of the thresholds file this package
// writes; readers refuse newer ones.
const ThresholdsFormat = 1

// Thresholds are per-benchmark noise thresholds measured on one host by
// A/A runs (the same build run several times): how far apart runs of
// identical code land there. harness calibrate writes them as JSON; the
// gate reads them with --thresholds and uses each as a floor under the
// configured threshold of its benchmark × metric.
type Thresholds struct {
	Format     int       `json:"format"`
	Spec       string    `json:"spec"`
	SpecSHA256 string    `json:"spec_sha256"`
	HostID     string    `json:"host_id"`
	Host       string    `json:"host"` // CPU brand and host name, for people
	Created    time.Time `json:"created"`
	Runs       []string  `json:"runs"` // the A/A run ids measured
	// Margin multiplies the largest A/A difference; Floor is the least
	// threshold written.
	Margin  float64     `json:"margin"`
	Floor   float64     `json:"floor"`
	Entries []Threshold `json:"thresholds"`
	// Contention is each cell's host state during the A/A runs: the gate
	// refuses rows whose sides' states differ by more than these runs did.
	Contention []ContentionLevel `json:"contention,omitempty"`
}

// A Threshold is the noise threshold of one benchmark × configuration ×
// metric, with the measurements behind it.
type Threshold struct {
	Config    string  `json:"config"`    // compare's table key, e.g. "workload: json, toolchain: go1.27.3"
	Benchmark string  `json:"benchmark"` // compare's row key, e.g. "Json/op=decode"
	Unit      string  `json:"unit"`      // tidied, e.g. "p99-sec"
	Threshold float64 `json:"threshold"` // fraction
	// MaxDelta is the largest relative difference of the medians between
	// two A/A runs, the outlier run's pairs left out; MaxDeltaAll counts
	// them; Outlier is that run (1-based; 0 when none was left out).
	// Significant counts the A/A pairs the test called significant (each
	// a false alarm but for the threshold).
	MaxDelta    float64 `json:"max_aa_delta"`
	MaxDeltaAll float64 `json:"max_aa_delta_all"`
	Outlier     int     `json:"outlier_run,omitempty"`
	Pairs       int     `json:"pairs"`
	Significant int     `json:"aa_significant"`
}

// An AAPair is the comparison (compare.Pair) of A/A runs I and J of a
// calibration: runs of the same build, so every difference is noise.
type AAPair struct {
	I, J        int
	Comparisons []compare.Comparison
}

// Calibrate computes thresholds from the comparisons of A/A run pairs: per
// benchmark × configuration × metric, margin × the largest |delta| between
// two runs, at least floor, at most 1000%. With four runs or more, the one
// run whose pairs differ most is left out of that largest delta (each
// entry records both figures): a single run caught in another tenant's
// stall would otherwise set the threshold for every night, and stalls are
// what the validity checks and --confirm are for. A metric missing from
// some pairs is calibrated from the others.
func Calibrate(pairs []AAPair, margin, floor float64) []Threshold {
	type key struct{ config, bench, unit string }
	type obs struct {
		i, j int
		d    float64
	}
	acc := map[key]*Threshold{}
	deltas := map[key][]obs{}
	var order []key
	runs := map[int]bool{}
	for _, p := range pairs {
		runs[p.I], runs[p.J] = true, true
		for _, c := range p.Comparisons {
			k := key{c.Table, c.Row, TidyUnit(c.Unit)}
			t := acc[k]
			if t == nil {
				t = &Threshold{Config: k.config, Benchmark: k.bench, Unit: k.unit}
				acc[k] = t
				order = append(order, k)
			}
			t.Pairs++
			if c.Significant {
				t.Significant++
			}
			d := math.Abs(c.Delta)
			if math.IsInf(d, 0) || math.IsNaN(d) {
				d = maxThreshold // zero in one run and not in another: never gate it on noise alone
			}
			deltas[k] = append(deltas[k], obs{p.I, p.J, d})
			t.MaxDeltaAll = max(t.MaxDeltaAll, d)
		}
	}
	out := make([]Threshold, 0, len(order))
	for _, k := range order {
		t := acc[k]
		t.MaxDelta = t.MaxDeltaAll
		if len(runs) >= 4 {
			for _, r := range slices.Sorted(maps.Keys(runs)) { // ties go to the earliest run
				m, n := 0.0, 0
				for _, o := range deltas[k] {
					if o.i != r && o.j != r {
						m, n = max(m, o.d), n+1
					}
				}
				if n > 0 && m < t.MaxDelta {
					t.MaxDelta, t.Outlier = m, r+1
				}
			}
		}
		t.Threshold = min(maxThreshold, max(floor, margin*t.MaxDelta))
		out = append(out, *t)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Config != b.Config {
			return a.Config < b.Config
		}
		if a.Benchmark != b.Benchmark {
			return a.Benchmark < b.Benchmark
		}
		return a.Unit < b.Unit
	})
	return out
}

// maxThreshold (1000%) is the largest threshold a thresholds file holds:
// a metric that noisy is, in effect, not gated.
const maxThreshold = 10

// lookup finds the threshold of a benchmark × configuration × tidied unit;
// when the configuration differs (a toolchain upgraded since calibration),
// a unique entry for the benchmark and unit is used.
func (t *Thresholds) lookup(config, benchmark, unit string) (float64, bool) {
	if t == nil {
		return 0, false
	}
	var loose []float64
	for _, e := range t.Entries {
		if e.Benchmark != benchmark || TidyUnit(e.Unit) != unit {
			continue
		}
		if e.Config == config {
			return e.Threshold, true
		}
		loose = append(loose, e.Threshold)
	}
	if len(loose) == 1 {
		return loose[0], true
	}
	return 0, false
}

// ReadThresholds reads and checks a thresholds file.
func ReadThresholds(path string) (*Thresholds, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseThresholds(path, data)
}

// ParseThresholds decodes a thresholds file strictly: unknown fields, a
// newer format and thresholds out of range are errors naming the file.
func ParseThresholds(file string, data []byte) (*Thresholds, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var t Thresholds
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	switch {
	case t.Format > ThresholdsFormat:
		return nil, fmt.Errorf("%s: thresholds format %d is newer than this harness understands (%d)", file, t.Format, ThresholdsFormat)
	case t.Format < 1:
		return nil, fmt.Errorf("%s: not a thresholds file (no format)", file)
	}
	for i, e := range t.Entries {
		if e.Benchmark == "" || e.Unit == "" {
			return nil, fmt.Errorf("%s: thresholds[%d]: missing benchmark or unit", file, i)
		}
		if !(e.Threshold >= 0 && e.Threshold <= maxThreshold) {
			return nil, fmt.Errorf("%s: thresholds[%d] (%s %s): threshold %g out of range [0, 10]", file, i, e.Benchmark, e.Unit, e.Threshold)
		}
	}
	return &t, nil
}

// Marshal encodes t as indented JSON.
func (t *Thresholds) Marshal() ([]byte, error) {
	data, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}
