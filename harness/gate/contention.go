package gate

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/perfharness/harness/harness/results"
)

// Note: a comparison is only as fair as the two sides' hosts were alike.
// Contention on both sides adds noise, which the test and the thresholds
// absorb; contention on one side only biases the comparison, which no
// test can tell from a change in the code. So the gate compares each
// cell's host state across the sides — the medians, over the cell's valid
// runs, of the CPU its threads had to wait for, of the machine's CPU spent
// outside the run, and of the CPU a hypervisor stole — and refuses to
// judge a row whose sides differ by more than identical runs differ on
// this host when quiet (harness calibrate measures that; defaults stand
// in without a calibration). A refused row never fails the gate; one that
// would have been a regression makes the comparison invalid (exit 3), as
// does a gate with nothing left to judge.

// A ContentionLevel is one cell's host state during a calibration: the
// medians of its runs' contention figures (the level), and the largest
// difference of those medians between two A/A runs (the spread a gate
// allows between its sides).
type ContentionLevel struct {
	Cell         string  `json:"cell"`
	Runs         int     `json:"runs"` // repetitions measured, over all A/A runs
	Withheld     float64 `json:"cpu_withheld"`
	Others       float64 `json:"others_share"`
	Steal        float64 `json:"steal_share"`
	WithheldDiff float64 `json:"cpu_withheld_aa_diff"`
	OthersDiff   float64 `json:"others_share_aa_diff"`
	StealDiff    float64 `json:"steal_share_aa_diff"`
}

// Default allowed differences between the sides' host states, for cells
// without a calibrated level: a tenth of the CPU the runs asked for, a
// fifth of the machine, 2% stolen. Beyond the calibrated A/A spread, a
// margin of half that much again is allowed.
const (
	DefaultWithheldDiff = 0.10
	DefaultOthersDiff   = 0.20
	DefaultStealDiff    = 0.02
)

// A HostState summarizes one side's contention over the runs the gate
// compares (valid runs of the cells with figures).
type HostState struct {
	Runs     int   `json:"runs"` // with contention figures
	Withheld Float `json:"cpu_withheld_median"`
	// WithheldMax is the most withheld from any one run.
	WithheldMax Float `json:"cpu_withheld_max"`
	Others      Float `json:"others_share_median"`
	Steal       Float `json:"steal_share_max"`
	LoadStart   Float `json:"load_start"` // the 1-minute load average when the run began and ended (manifest)
	LoadEnd     Float `json:"load_end"`
}

// sideState is one cell's contention medians on one side.
type sideState struct {
	n                      int
	withheld, others, stel float64
}

func contentionOf(c *results.Cell) sideState {
	var w, o, s []float64
	for _, r := range c.ValidRuns() {
		if r.Contention == nil {
			continue
		}
		w, o, s = append(w, r.Contention.Withheld), append(o, r.Contention.OthersShare), append(s, r.Contention.StealShare)
	}
	if len(w) == 0 {
		return sideState{}
	}
	return sideState{n: len(w), withheld: results.Median(w), others: results.Median(o), stel: results.Median(s)}
}

// contended says why a row's sides ran under host states too different to
// compare, or "". Cells without figures on either side are not judged on
// them.
func (p Policy) contended(base, cand *results.Cell) string {
	if base == nil || cand == nil || p.ContentionOff {
		return ""
	}
	b, c := contentionOf(base), contentionOf(cand)
	if b.n == 0 || c.n == 0 {
		return ""
	}
	lv := p.Calibrated.contentionLevel(cand.ID)
	allow := func(diff, def float64) float64 {
		if lv == nil {
			return def
		}
		return 1.5*diff + def/2
	}
	var why []string
	for _, m := range []struct {
		name       string
		base, cand float64
		allowed    float64
	}{
		{"CPU withheld from the runs", b.withheld, c.withheld, allow(lvDiff(lv, 0), DefaultWithheldDiff)},
		{"machine busy outside the runs", b.others, c.others, allow(lvDiff(lv, 1), DefaultOthersDiff)},
		{"CPU stolen by the hypervisor", b.stel, c.stel, allow(lvDiff(lv, 2), DefaultStealDiff)},
	} {
		if d := math.Abs(m.cand - m.base); d > m.allowed {
			why = append(why, fmt.Sprintf("%s: baseline %s, candidate %s (median of %d and %d runs), %s apart > %s allowed",
				m.name, Percent(m.base), Percent(m.cand), b.n, c.n, Percent(d), Percent(m.allowed)))
		}
	}
	if len(why) == 0 {
		return ""
	}
	from := "the default allowance"
	if lv != nil {
		from = "the A/A spread calibrated on this host"
	}
	return "the sides ran on differently contended hosts (" + strings.Join(why, "; ") + "; " + from + ")"
}

func lvDiff(lv *ContentionLevel, i int) float64 {
	if lv == nil {
		return 0
	}
	return [3]float64{lv.WithheldDiff, lv.OthersDiff, lv.StealDiff}[i]
}

// contentionLevel finds a cell's calibrated level.
func (t *Thresholds) contentionLevel(cell string) *ContentionLevel {
	if t == nil {
		return nil
	}
	for i := range t.Contention {
		if t.Contention[i].Cell == cell {
			return &t.Contention[i]
		}
	}
	return nil
}

// CalibrateContention measures each cell's host state over A/A runs: the
// medians of its contention figures over all repetitions, and the largest
// difference between two runs' medians. Cells without figures (go test
// cells, hosts other than Linux) are left out.
func CalibrateContention(runs []*results.Manifest) []ContentionLevel {
	type acc struct {
		all     [3][]float64
		medians [][3]float64
	}
	cells := map[string]*acc{}
	var order []string
	for _, m := range runs {
		for _, c := range m.Cells {
			st := contentionOf(c)
			if st.n == 0 {
				continue
			}
			a := cells[c.ID]
			if a == nil {
				a = &acc{}
				cells[c.ID] = a
				order = append(order, c.ID)
			}
			for _, r := range c.ValidRuns() {
				if r.Contention != nil {
					a.all[0] = append(a.all[0], r.Contention.Withheld)
					a.all[1] = append(a.all[1], r.Contention.OthersShare)
					a.all[2] = append(a.all[2], r.Contention.StealShare)
				}
			}
			a.medians = append(a.medians, [3]float64{st.withheld, st.others, st.stel})
		}
	}
	slices.Sort(order)
	out := []ContentionLevel{}
	for _, id := range order {
		a := cells[id]
		lv := ContentionLevel{Cell: id, Runs: len(a.all[0]), Withheld: results.Median(a.all[0]), Others: results.Median(a.all[1]), Steal: results.Median(a.all[2])}
		var diff [3]float64
		for i := range a.medians {
			for j := i + 1; j < len(a.medians); j++ {
				for k := range 3 {
					diff[k] = max(diff[k], math.Abs(a.medians[i][k]-a.medians[j][k]))
				}
			}
		}
		lv.WithheldDiff, lv.OthersDiff, lv.StealDiff = diff[0], diff[1], diff[2]
		out = append(out, lv)
	}
	return out
}

// hostStateOf summarizes a side's contention over its cells' valid runs.
func hostStateOf(m *results.Manifest) HostState {
	var w, o []float64
	hs := HostState{LoadStart: Float(math.NaN()), LoadEnd: Float(math.NaN()), Withheld: Float(math.NaN()), WithheldMax: Float(math.NaN()), Others: Float(math.NaN()), Steal: Float(math.NaN())}
	if len(m.Host.LoadAvg) > 0 {
		hs.LoadStart = Float(m.Host.LoadAvg[0])
	}
	if m.HostAfter != nil && len(m.HostAfter.LoadAvg) > 0 {
		hs.LoadEnd = Float(m.HostAfter.LoadAvg[0])
	}
	steal := 0.0
	for _, c := range m.Cells {
		for _, r := range c.ValidRuns() {
			if r.Contention == nil {
				continue
			}
			w, o = append(w, r.Contention.Withheld), append(o, r.Contention.OthersShare)
			steal = max(steal, r.Contention.StealShare)
		}
	}
	hs.Runs = len(w)
	if len(w) > 0 {
		hs.Withheld, hs.WithheldMax, hs.Others, hs.Steal = Float(results.Median(w)), Float(slices.Max(w)), Float(results.Median(o)), Float(steal)
	}
	return hs
}

// String renders a host state for people.
func (h HostState) String() string {
	num := func(f Float) string {
		if math.IsNaN(float64(f)) {
			return "?"
		}
		return fmt.Sprintf("%.2f", float64(f))
	}
	load := "load average " + num(h.LoadStart) + " → " + num(h.LoadEnd)
	if h.Runs == 0 {
		return load + "; no contention figures (go test cells or an older harness)"
	}
	return fmt.Sprintf("%s; CPU withheld from the runs: median %s, most %s; machine busy outside the runs: median %s; stolen: at most %s (%d runs)",
		load, Percent(float64(h.Withheld)), Percent(float64(h.WithheldMax)), Percent(float64(h.Others)), Percent(float64(h.Steal)), h.Runs)
}
