package gate

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/perfharness/harness/harness/compare"
	"github.com/perfharness/harness/harness/results"
)

// contendedCell is jsonCell with every run's contention set.
func contendedCell(withheld, others float64) *results.Cell {
	c := jsonCell()
	for _, r := range c.Runs {
		r.Contention = &results.Contention{Withheld: withheld, OthersShare: others, CPUs: 2}
	}
	return c
}

func TestContendedRows(t *testing.T) {
	regress := cmpOf(cfgJSON, "Json/op=decode-2", "p50-sec", -1, 100, 120, 10, 0.0001)
	fine := cmpOf(cfgJSON, "Json/op=decode-2", "p90-sec", -1, 100, 100.2, 10, 0.8)
	for _, tc := range []struct {
		why        string
		base, cand *results.Cell
		policy     Policy
		cmps       []compare.Comparison
		verdict    Verdict // of the p50 row
		exit       int
		says       string
	}{
		{"both sides equally contended: judged (noise is the test's business)", contendedCell(0.40, 0.9), contendedCell(0.42, 0.95), Policy{},
			[]compare.Comparison{regress, fine}, Regression, 1, ""},
		{"the candidate alone contended: refused; it would have been a regression, so the gate cannot pass (exit 3, never 1)",
			contendedCell(0.03, 0.05), contendedCell(0.40, 0.90), Policy{}, []compare.Comparison{regress, fine}, Contended, 3,
			"CPU withheld from the runs: baseline 3%, candidate 40% (median of 10 and 10 runs), 37% apart > 10% allowed"},
		{"a calibrated A/A spread of 30 points allows 1.5 × 30 + 5 = 50", contendedCell(0.03, 0.05), contendedCell(0.40, 0.20),
			Policy{Calibrated: &Thresholds{Contention: []ContentionLevel{{Cell: "json/decode/go1.27.3", WithheldDiff: 0.3, OthersDiff: 0.2}}}},
			[]compare.Comparison{regress, fine}, Regression, 1, ""},
		{"no contention figures on a side: judged", jsonCell(), contendedCell(0.40, 0.9), Policy{}, []compare.Comparison{regress, fine}, Regression, 1, ""},
		{"--ignore-contention: judged", contendedCell(0.03, 0.05), contendedCell(0.40, 0.90), Policy{ContentionOff: true},
			[]compare.Comparison{regress, fine}, Regression, 1, ""},
		{"every gated row refused, none a regression: nothing left to judge (exit 3)", contendedCell(0.03, 0.05), contendedCell(0.40, 0.90), Policy{},
			[]compare.Comparison{fine}, "", 3, "nothing left to judge: all 1 gated comparisons were refused for contention"},
	} {
		t.Run(tc.why, func(t *testing.T) {
			tc.policy.Threshold = DefaultThreshold
			rep := Decide(Input{Baseline: manifest("base", t0, tc.base), Candidate: manifest("cand", t0.Add(time.Hour), tc.cand),
				Comparisons: tc.cmps, Policy: tc.policy})
			if rep.ExitCode != tc.exit {
				t.Errorf("exit %d, want %d; problems %q", rep.ExitCode, tc.exit, rep.Problems)
			}
			all := strings.Join(append(append([]string{}, rep.Problems...), rep.Warnings...), "\n")
			for _, r := range rep.Rows {
				all += "\n" + r.Why
				if r.Unit == "p50-sec" && r.Verdict != tc.verdict {
					t.Errorf("p50: %s (%s), want %s", r.Verdict, r.Why, tc.verdict)
				}
				if r.Verdict == Contended && r.Fails() {
					t.Errorf("a contended row fails the gate")
				}
			}
			if !strings.Contains(all, tc.says) {
				t.Errorf("nothing says %q:\n%s", tc.says, all)
			}
			if tc.verdict == Contended && !strings.Contains(all, "it would have been a regression") {
				t.Errorf("the refused regression is not said:\n%s", all)
			}
		})
	}
}

func TestHostState(t *testing.T) {
	m := manifest("m", t0, contendedCell(0.2, 0.5))
	m.Cells[0].Runs[3].Contention.Withheld = 0.9
	m.Host.LoadAvg = []float64{1.5, 1, 1}
	hs := hostStateOf(m)
	if hs.Runs != 10 || hs.Withheld != 0.2 || hs.WithheldMax != 0.9 || hs.Others != 0.5 || hs.LoadStart != 1.5 || !math.IsNaN(float64(hs.LoadEnd)) {
		t.Errorf("%+v", hs)
	}
	if s := hs.String(); !strings.Contains(s, "CPU withheld from the runs: median 20%, most 90%") {
		t.Errorf("%s", s)
	}
	if s := hostStateOf(manifest("g", t0, jsonCell())).String(); !strings.Contains(s, "no contention figures") {
		t.Errorf("%s", s)
	}
}

func TestCalibrateContention(t *testing.T) {
	a, b, c := manifest("a", t0, contendedCell(0.02, 0.1)), manifest("b", t0, contendedCell(0.05, 0.1)), manifest("c", t0, contendedCell(0.03, 0.3))
	got := CalibrateContention([]*results.Manifest{a, b, c})
	if len(got) != 1 {
		t.Fatalf("%+v", got)
	}
	lv := got[0]
	if lv.Cell != "json/decode/go1.27.3" || lv.Runs != 30 || lv.Withheld != 0.03 || lv.Others != 0.1 ||
		math.Abs(lv.WithheldDiff-0.03) > 1e-12 || math.Abs(lv.OthersDiff-0.2) > 1e-12 {
		t.Errorf("%+v; want medians 3%% and 10%%, A/A spreads 3 and 20 points", lv)
	}
	if len(CalibrateContention([]*results.Manifest{manifest("g", t0, jsonCell())})) != 0 {
		t.Errorf("a cell without figures is not calibrated")
	}
}
