package gate

import (
	"bytes"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perfharness/harness/harness/compare"
	"github.com/perfharness/harness/harness/host"
	"github.com/perfharness/harness/harness/results"
)

var update = flag.Bool("update", false, "rewrite golden files")

const cfgJSON = "workload: json, toolchain: go1.27.3, rate: 1000/s"

var t0 = time.Date(2026, 11, 1, 2, 0, 0, 0, time.UTC)

func testHost(id string) host.Fingerprint {
	return host.Fingerprint{CPU: host.CPU{Arch: "amd64", Brand: "AMD EPYC"}, OS: "linux", Hostname: "ci-1", ID: id, Warnings: []string{}}
}

func okCell(id, workload, op string, cfg ...string) *results.Cell {
	c := &results.Cell{ID: id, Workload: workload, Op: op, Kind: "fixed-rate", Status: results.StatusOK}
	for i := 0; i+1 < len(cfg); i += 2 {
		c.Config = append(c.Config, results.KV{Key: cfg[i], Value: cfg[i+1]})
	}
	for i := 1; i <= 10; i++ {
		c.Runs = append(c.Runs, &results.Run{Index: i, Status: results.StatusOK})
	}
	return c
}

func jsonCell() *results.Cell {
	return okCell("json/decode/go1.27.3", "json", "decode", "workload", "json", "toolchain", "go1.27.3", "rate", "1000/s")
}

func manifest(id string, started time.Time, cells ...*results.Cell) *results.Manifest {
	return &results.Manifest{Format: 1, RunID: id, Name: "nightly", Status: results.RunComplete, Started: started,
		Host: testHost("h1"), Cells: cells,
		Toolchains: []results.Toolchain{{Name: "go1.27.3", Version: "go1.27.3"}}}
}

// withCI sets a comparison's effect interval.
func withCI(c compare.Comparison, lo, hi float64) compare.Comparison {
	c.Effect.Lo, c.Effect.Hi = lo, hi
	return c
}

// withOps sets the ops of each side's shortest run.
func withOps(c compare.Comparison, ops int) compare.Comparison {
	c.Base.MinIters, c.Cand.MinIters = ops, ops
	return c
}

// cmpOf builds a comparison the way compare.Pair reports one: runs of
// 10,000 ops (enough for P99), the effect's interval ±0.5% around delta.
func cmpOf(table, row, unit string, better int, base, cand float64, n int, p float64) compare.Comparison {
	sum := func(c float64) compare.Summary {
		return compare.Summary{Center: c, Lo: c * 0.99, Hi: c * 1.01, N: n, MinIters: 10000}
	}
	d := (cand - base) / base
	if base == 0 {
		d = math.Inf(1)
		if cand == 0 {
			d = 0
		}
	}
	c := compare.Comparison{Table: table, Row: row, Unit: unit, BaseLabel: "base", CandLabel: "cand",
		Base: sum(base), Cand: sum(cand), Better: better, Delta: d, P: p, Significant: p <= 0.05,
		Effect: compare.Effect{Center: d, Lo: d - 0.005, Hi: d + 0.005, Confidence: 0.95}}
	c.Regression = c.Significant && better != 0 && d*float64(better) < 0
	return c
}

func TestDecideVerdicts(t *testing.T) {
	const row = "Json/op=decode-2"
	for _, tc := range []struct {
		why    string
		cmp    compare.Comparison
		policy Policy
		want   Verdict
		fails  bool
	}{
		{"6% slower, significant, 5% threshold: a regression",
			cmpOf(cfgJSON, row, "p99-sec", -1, 100, 106, 10, 0.001), Policy{}, Regression, true},
		{"3% slower, significant, 5% threshold: within it",
			cmpOf(cfgJSON, row, "p99-sec", -1, 100, 103, 10, 0.001), Policy{}, Small, false},
		{"10% slower but p = 0.2: not significant",
			cmpOf(cfgJSON, row, "p99-sec", -1, 100, 110, 10, 0.2), Policy{}, Unchanged, false},
		{"throughput 10% up is better for a rate",
			cmpOf(cfgJSON, row, "ops/s", +1, 1000, 1100, 10, 0.001), Policy{}, Improvement, false},
		{"throughput 10% down is worse for a rate",
			cmpOf(cfgJSON, row, "ops/s", +1, 1000, 900, 10, 0.001), Policy{}, Regression, true},
		{"max latency is shown but not gated by default",
			cmpOf(cfgJSON, row, "max-sec", -1, 100, 150, 10, 0.001), Policy{}, Regression, false},
		{"naming max latency in the policy gates it (raw unit spelling)",
			cmpOf(cfgJSON, row, "max-sec", -1, 100, 150, 10, 0.001), Policy{Metrics: map[string]float64{"max-ns": 0.2}}, Regression, true},
		{"unknown direction: changed, never a failure",
			cmpOf(cfgJSON, row, "widgets", 0, 100, 150, 10, 0.001), Policy{}, Changed, false},
		{"3 runs a side cannot reach p 0.05: too few samples",
			cmpOf(cfgJSON, row, "p99-sec", -1, 100, 150, 3, 0.1), Policy{}, TooFewSamples, false},
		{"a per-workload threshold of 20% absorbs a 10% change",
			cmpOf(cfgJSON, row, "p99-sec", -1, 100, 110, 10, 0.001), Policy{Metrics: map[string]float64{"json": 0.2}}, Small, false},
		{"workload:unit beats the unit key",
			cmpOf(cfgJSON, row, "p99-sec", -1, 100, 110, 10, 0.001), Policy{Metrics: map[string]float64{"p99-ns": 0.2, "json:p99-ns": 0.05}}, Regression, true},
		{"a calibrated noise floor of 12% raises the 5% threshold",
			cmpOf(cfgJSON, row, "p99-sec", -1, 100, 110, 10, 0.001),
			Policy{Calibrated: &Thresholds{Entries: []Threshold{{Config: cfgJSON, Benchmark: row, Unit: "p99-sec", Threshold: 0.12}}}}, Small, false},
		{"a calibrated floor below the configured threshold changes nothing",
			cmpOf(cfgJSON, row, "p99-sec", -1, 100, 110, 10, 0.001),
			Policy{Calibrated: &Thresholds{Entries: []Threshold{{Config: cfgJSON, Benchmark: row, Unit: "p99-sec", Threshold: 0.01}}}}, Regression, true},
		{"a calibrated floor does not apply to a row of interleaved reruns (the drift between runs made apart is not in them)",
			cmpOf(cfgJSON, row, "p99-sec", -1, 100, 110, 10, 0.001),
			Policy{Calibrated: &Thresholds{Entries: []Threshold{{Config: cfgJSON, Benchmark: row, Unit: "p99-sec", Threshold: 0.12}}},
				Interleaved: map[string]bool{InterleavedKey(cfgJSON, row): true}}, Regression, true},
		{"another row's interleaved reruns leave this row's calibrated floor in place",
			cmpOf(cfgJSON, row, "p99-sec", -1, 100, 110, 10, 0.001),
			Policy{Calibrated: &Thresholds{Entries: []Threshold{{Config: cfgJSON, Benchmark: row, Unit: "p99-sec", Threshold: 0.12}}},
				Interleaved: map[string]bool{InterleavedKey(cfgJSON, "Json/op=encode-2"): true}}, Small, false},
		{"errors from 0 to 5: an infinite delta, a regression",
			cmpOf(cfgJSON, row, "errors", -1, 0, 5, 10, 0.001), Policy{}, Regression, true},
		{"alpha 0.01 makes p 0.03 not significant",
			cmpOf(cfgJSON, row, "p99-sec", -1, 100, 110, 10, 0.03), Policy{Alpha: 0.01}, Unchanged, false},
		{"min samples 12 makes 10 too few",
			cmpOf(cfgJSON, row, "p99-sec", -1, 100, 110, 10, 0.001), Policy{MinSamples: 12}, TooFewSamples, false},
		{"6% slower, but the interval [+3%, +9%] reaches within the 5% threshold: inconclusive, not a failure",
			withCI(cmpOf(cfgJSON, row, "p99-sec", -1, 100, 106, 10, 0.001), 0.03, 0.09), Policy{}, Inconclusive, false},
		{"the interval's lower end exactly at the threshold is beyond it",
			withCI(cmpOf(cfgJSON, row, "p99-sec", -1, 100, 107, 10, 0.001), 0.05, 0.09), Policy{}, Regression, true},
		{"an improvement never fails the gate",
			cmpOf(cfgJSON, row, "p50-sec", -1, 100, 60, 10, 0.0001), Policy{}, Improvement, false},
		{"P99 of 500-op runs rests on 5 samples: shown, not judged, whatever its change",
			withOps(cmpOf(cfgJSON, row, "p99-sec", -1, 100, 300, 10, 0.0001), 500), Policy{}, Imprecise, false},
		{"P90 of 500-op runs has 50 samples beyond it: judged",
			withOps(cmpOf(cfgJSON, row, "p90-sec", -1, 100, 130, 10, 0.0001), 500), Policy{}, Regression, true},
		{"P99 needs 5,000 ops in the shorter side's every run",
			withOps(cmpOf(cfgJSON, row, "p99-sec", -1, 100, 130, 10, 0.0001), 4999), Policy{}, Imprecise, false},
		{"a fixed-rate cell's mean (sec/op) of 500-op runs is tail-driven: not judged",
			withOps(cmpOf(cfgJSON, row, "sec/op", -1, 100, 180, 10, 0.0001), 500), Policy{}, Imprecise, false},
		{"tail samples 5 makes P99 of 500-op runs judged",
			withOps(cmpOf(cfgJSON, row, "p99-sec", -1, 100, 130, 10, 0.0001), 500), Policy{TailSamples: 5}, Regression, true},
	} {
		t.Run(tc.why, func(t *testing.T) {
			base := manifest("base", t0, jsonCell())
			cand := manifest("cand", t0.Add(time.Hour), jsonCell())
			if tc.policy.Threshold == 0 {
				tc.policy.Threshold = DefaultThreshold
			}
			rep := Decide(Input{Baseline: base, Candidate: cand, Comparisons: []compare.Comparison{tc.cmp}, Policy: tc.policy})
			if len(rep.Rows) != 1 {
				t.Fatalf("got %d rows", len(rep.Rows))
			}
			r := rep.Rows[0]
			if r.Verdict != tc.want || r.Fails() != tc.fails {
				t.Errorf("verdict %s (fails %v, threshold %s from %s, gated %v); want %s (fails %v)",
					r.Verdict, r.Fails(), Percent(r.Threshold), r.From, r.Gated, tc.want, tc.fails)
			}
			if r.Cell != "json/decode/go1.27.3" {
				t.Errorf("row not traced to its cell: %q", r.Cell)
			}
			wantExit := 0
			switch {
			case r.Gated && r.Verdict == TooFewSamples:
				wantExit = 3
			case tc.fails:
				wantExit = 1
			}
			if rep.ExitCode != wantExit {
				t.Errorf("exit %d, want %d (problems %q)", rep.ExitCode, wantExit, rep.Problems)
			}
		})
	}
}

// TestSuspects checks what a confirmation reruns: regressions, and gated
// significant changes for the worse whose interval reaches beyond the
// threshold without lying wholly past it; never improvements, changes of
// unknown direction, rows that are not gated, or changes whose whole
// interval is within the threshold.
func TestSuspects(t *testing.T) {
	cell := jsonCell()
	cmps := []compare.Comparison{
		cmpOf(cfgJSON, "A", "p50-sec", -1, 100, 110, 10, 0.001),                      // regression
		withCI(cmpOf(cfgJSON, "B", "p50-sec", -1, 100, 106, 10, 0.001), 0.03, 0.09),  // inconclusive, worse
		withCI(cmpOf(cfgJSON, "C", "p50-sec", -1, 100, 94, 10, 0.001), -0.09, -0.03), // inconclusive, better
		withCI(cmpOf(cfgJSON, "D", "widgets", 0, 100, 106, 10, 0.001), 0.03, 0.09),   // direction unknown
		withCI(cmpOf(cfgJSON, "E", "max-sec", -1, 100, 106, 10, 0.001), 0.03, 0.09),  // not gated
		cmpOf(cfgJSON, "F", "p50-sec", -1, 100, 101, 10, 0.001),                      // within threshold, interval too
		withCI(cmpOf(cfgJSON, "H", "p50-sec", -1, 100, 104, 10, 0.001), 0.01, 0.07),  // within at the estimate, interval beyond
		cmpOf(cfgJSON, "G", "p50-sec", -1, 100, 90, 10, 0.001),                       // improvement
	}
	for i := range cmps {
		cmps[i].Row = cmps[i].Row + "/op=decode-2"
	}
	rep := Decide(Input{Baseline: manifest("base", t0, cell), Candidate: manifest("cand", t0.Add(time.Hour), jsonCell()),
		Comparisons: cmps, Policy: Policy{Threshold: DefaultThreshold, FDROff: true}})
	var got []string
	for _, r := range rep.Suspects() {
		got = append(got, r.Benchmark[:1]+":"+string(r.Verdict))
	}
	if want := "A:regression B:inconclusive H:within-threshold"; strings.Join(got, " ") != want {
		t.Errorf("suspects %q, want %q", strings.Join(got, " "), want)
	}
	// Significant at alpha alone but not among the family (q above the
	// FDR): a suspect when its interval reaches past the threshold.
	row := Row{Gated: true, Better: -1, Delta: 0.04, CILow: 0.01, CIHigh: 0.07, Threshold: 0.02, P: 0.01, Q: 0.08, Verdict: Unchanged}
	if !row.suspect(0.05) {
		t.Errorf("p 0.01, q 0.08, interval [+1%%, +7%%] past 2%%: not a suspect, want one")
	}
	row.P = 0.2
	if row.suspect(0.05) {
		t.Errorf("p 0.2: a suspect, want none")
	}
	row.P, row.CIHigh = 0.01, 0.015
	if row.suspect(0.05) {
		t.Errorf("interval within the threshold: a suspect, want none")
	}
}

func TestDecideValidity(t *testing.T) {
	regress := cmpOf(cfgJSON, "Json/op=decode-2", "p99-sec", -1, 100, 120, 10, 0.001)
	fine := cmpOf(cfgJSON, "Json/op=decode-2", "p99-sec", -1, 100, 100, 10, 0.9)
	for _, tc := range []struct {
		why      string
		edit     func(base, cand *results.Manifest)
		cmps     []compare.Comparison
		policy   Policy
		exit     int
		contains string // in problems (exit 3) or warnings
	}{
		{"all well: pass", func(b, c *results.Manifest) {}, []compare.Comparison{fine}, Policy{}, 0, ""},
		{"a failed candidate cell is invalid, not a pass",
			func(b, c *results.Manifest) {
				c.Cells[0].Status, c.Cells[0].Reason = results.StatusFailed, "setup: no such file"
				c.Status = results.RunIncomplete
			}, []compare.Comparison{fine}, Policy{}, 3, "candidate cell json/decode/go1.27.3: failed: setup: no such file"},
		{"a rate-not-achieved candidate cell is invalid",
			func(b, c *results.Manifest) {
				c.Cells[0].Status, c.Cells[0].Reason = results.StatusRateNotAchieved, "run 3: achieved 800/s of 1000/s"
			}, []compare.Comparison{fine}, Policy{}, 3, "rate-not-achieved"},
		{"a crashed run inside an ok-looking cell is invalid",
			func(b, c *results.Manifest) { c.Cells[0].Runs[4].Status = results.StatusCrashed }, []compare.Comparison{fine}, Policy{}, 3, "run 5: crashed"},
		{"an interrupted candidate is invalid",
			func(b, c *results.Manifest) { c.Status = results.RunInterrupted }, []compare.Comparison{fine}, Policy{}, 3, "is interrupted"},
		{"invalid wins over a regression",
			func(b, c *results.Manifest) { c.Cells[0].Status = results.StatusTimeout }, []compare.Comparison{regress}, Policy{}, 3, "timeout"},
		{"another host is invalid",
			func(b, c *results.Manifest) { c.Host = testHost("h2") }, []compare.Comparison{fine}, Policy{}, 3, "host fingerprint mismatch"},
		{"another host, allowed: a loud warning",
			func(b, c *results.Manifest) { c.Host = testHost("h2") }, []compare.Comparison{fine}, Policy{AllowHostMismatch: true}, 0, "HOST MISMATCH"},
		{"a failed baseline cell is a warning",
			func(b, c *results.Manifest) { b.Cells[0].Status = results.StatusCrashed }, []compare.Comparison{fine}, Policy{}, 0, "baseline cell json/decode/go1.27.3 crashed"},
		{"nothing in common is invalid", func(b, c *results.Manifest) {}, nil, Policy{}, 3, "nothing to compare"},
		{"a regression exits 1", func(b, c *results.Manifest) {}, []compare.Comparison{regress}, Policy{}, 1, ""},
	} {
		t.Run(tc.why, func(t *testing.T) {
			base := manifest("base", t0, jsonCell())
			cand := manifest("cand", t0.Add(time.Hour), jsonCell())
			tc.edit(base, cand)
			tc.policy.Threshold = DefaultThreshold
			rep := Decide(Input{Baseline: base, Candidate: cand, Comparisons: tc.cmps, Policy: tc.policy})
			if rep.ExitCode != tc.exit {
				t.Errorf("exit %d (%s), want %d; problems %q", rep.ExitCode, rep.Outcome, tc.exit, rep.Problems)
			}
			all := strings.Join(append(append([]string{}, rep.Problems...), rep.Warnings...), "\n")
			if tc.contains != "" && !strings.Contains(all, tc.contains) {
				t.Errorf("problems and warnings do not mention %q:\n%s", tc.contains, all)
			}
			if (rep.ExitCode == 3) != (len(rep.Problems) > 0) {
				t.Errorf("exit %d with problems %q", rep.ExitCode, rep.Problems)
			}
		})
	}
}

// The example of Benjamini and Hochberg (1995): 15 p-values; at FDR 5%
// the first four are discoveries. The q-values are R's p.adjust(p, "BH").
func TestAdjustBH(t *testing.T) {
	ps := []float64{0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.000}
	want := []float64{0.0015, 0.003, 0.0095, 0.035625, 0.0603, 0.063857142857, 0.063857142857, 0.0645, 0.0765, 0.486, 0.581181818182, 0.714875, 0.753230769231, 0.813214285714, 1}
	// In another order, with a NaN left out of the family: the same q.
	perm := []int{14, 3, 0, 9, 7, 1, 12, 5, 2, 11, 4, 13, 6, 10, 8}
	in := make([]float64, 0, 16)
	for _, i := range perm {
		in = append(in, ps[i])
	}
	in = append(in, math.NaN())
	got := AdjustBH(in)
	for k, i := range perm {
		if math.Abs(got[k]-want[i]) > 1e-9 {
			t.Errorf("q of p %g = %g, want %g", ps[i], got[k], want[i])
		}
	}
	if !math.IsNaN(got[15]) {
		t.Errorf("a NaN p got q %g", got[15])
	}
	discoveries := 0
	for _, q := range got[:15] {
		if q <= 0.05 {
			discoveries++
		}
	}
	if discoveries != 4 {
		t.Errorf("%d discoveries at FDR 5%%, want 4", discoveries)
	}
	if len(AdjustBH(nil)) != 0 {
		t.Errorf("empty family")
	}
}

// A family of 20 gated rows: one 10% regression at p 0.004 among 19
// unchanged rows. Alone at α it fails; adjusted over the 20 (q 0.08) it
// does not, and three such regressions together do (q 0.027).
func TestDecideFDR(t *testing.T) {
	family := func(regressions int) []compare.Comparison {
		var out []compare.Comparison
		for i := range 20 {
			row := fmt.Sprintf("Json/op=op%02d-2", i)
			if i < regressions {
				out = append(out, cmpOf(cfgJSON, row, "p50-sec", -1, 100, 110, 10, 0.004))
			} else {
				out = append(out, cmpOf(cfgJSON, row, "p50-sec", -1, 100, 100.5, 10, 0.5+float64(i)/100))
			}
		}
		return out
	}
	for _, tc := range []struct {
		why         string
		regressions int
		policy      Policy
		fails       int
	}{
		{"one regression among 20, FDR 5%: q = 0.004·20 = 0.08, not a discovery", 1, Policy{}, 0},
		{"FDR off: each row at α alone, p 0.004 fails", 1, Policy{FDROff: true}, 1},
		{"FDR 10%: q 0.08 is a discovery", 1, Policy{FDR: 0.1}, 1},
		{"three together: q = 0.004·20/3 = 0.027", 3, Policy{}, 3},
	} {
		t.Run(tc.why, func(t *testing.T) {
			tc.policy.Threshold = DefaultThreshold
			cells := []*results.Cell{}
			for i := range 20 {
				cells = append(cells, okCell(fmt.Sprintf("json/op%02d", i), "json", fmt.Sprintf("op%02d", i), "workload", "json", "toolchain", "go1.27.3", "rate", "1000/s"))
			}
			rep := Decide(Input{Baseline: manifest("base", t0, cells...), Candidate: manifest("cand", t0.Add(time.Hour), cells...),
				Comparisons: family(tc.regressions), Policy: tc.policy})
			if got := len(rep.Regressions()); got != tc.fails {
				t.Errorf("%d regressions, want %d", got, tc.fails)
			}
			if rep.Family != 20 {
				t.Errorf("family of %d, want 20", rep.Family)
			}
			for _, r := range rep.Rows {
				if r.Why == "" {
					t.Errorf("%s: no why", r.Benchmark)
				}
				if tc.policy.FDROff && r.Q != r.P {
					t.Errorf("FDR off: q %g, p %g", r.Q, r.P)
				}
			}
		})
	}
}

// A cell is as good as its valid runs: compared on them when they can
// reach α, listed as not compared (with why) otherwise — never both, and a
// row not compared is never listed as a change.
func TestPartialCells(t *testing.T) {
	withRuns := func(c *results.Cell, statuses ...results.Status) *results.Cell {
		for i, st := range statuses {
			c.Runs[i].Status, c.Runs[i].Reason = st, "achieved 800/s of 1000/s"
		}
		c.Status, c.Reason = results.CellStatus(c.Runs)
		return c
	}
	rna := results.StatusRateNotAchieved
	nine := []results.Status{rna, rna, rna, rna, rna, rna, rna, rna, rna} // 1 valid run of 10
	for _, tc := range []struct {
		why          string
		base, cand   *results.Cell
		nBase, nCand int
		verdict      Verdict
		exit         int
		says         string // in the rows' why or the warnings and problems
	}{
		{"a baseline cell with 1 valid run of 10: not compared, never a change", withRuns(jsonCell(), nine...), jsonCell(), 1, 10,
			NotCompared, 0, "baseline cell json/decode/go1.27.3 has 1 valid runs of 10: n 1 and 10 cannot reach α 0.05"},
		{"a baseline cell with no valid run at all", withRuns(jsonCell(), append(nine, rna)...), jsonCell(), 10, 10,
			NotCompared, 0, "baseline cell json/decode/go1.27.3 has no valid run: rate-not-achieved: run 1: achieved 800/s of 1000/s: its benchmarks are not compared"},
		{"a partial baseline cell with 8 valid runs: compared on them, and said so", withRuns(jsonCell(), rna, results.StatusGeneratorLagged), jsonCell(), 8, 10,
			Regression, 1, "baseline cell json/decode/go1.27.3 is partial: compared on its 8 valid runs of 10"},
		{"a candidate cell with 1 valid run of 10: not compared, and the gate cannot vouch for it", jsonCell(), withRuns(jsonCell(), nine...), 10, 1,
			NotCompared, 3, "candidate cell json/decode/go1.27.3 has 1 valid runs of 10"},
		{"a crash in the baseline cell: not compared", withRuns(jsonCell(), results.StatusCrashed), jsonCell(), 9, 10,
			NotCompared, 0, "baseline cell json/decode/go1.27.3 crashed"},
	} {
		t.Run(tc.why, func(t *testing.T) {
			base, cand := manifest("base", t0, tc.base), manifest("cand", t0.Add(time.Hour), tc.cand)
			cmps := []compare.Comparison{
				cmpOf(cfgJSON, "Json/op=decode-2", "p90-sec", -1, 100, 42.3, tc.nBase, 0.0001),
				cmpOf(cfgJSON, "Json/op=decode-2", "p50-sec", -1, 100, 160, tc.nBase, 0.0001),
			}
			for i := range cmps {
				cmps[i].Cand.N = tc.nCand
				cmps[i].Significant = false // what the test says is decided by n alone here
				if Reachable(tc.nBase, tc.nCand, 0.05) {
					cmps[i].Significant = true
				}
			}
			rep := Decide(Input{Baseline: base, Candidate: cand, Comparisons: cmps, Policy: Policy{Threshold: DefaultThreshold}})
			if rep.ExitCode != tc.exit {
				t.Errorf("exit %d, want %d (problems %q)", rep.ExitCode, tc.exit, rep.Problems)
			}
			all := strings.Join(append(append([]string{}, rep.Problems...), rep.Warnings...), "\n")
			for _, r := range rep.Rows {
				all += "\n" + r.Why
				if r.Unit == "p50-sec" && r.Verdict != tc.verdict {
					t.Errorf("p50: verdict %s (%s), want %s", r.Verdict, r.Why, tc.verdict)
				}
			}
			if !strings.Contains(all, tc.says) {
				t.Errorf("nothing says %q:\n%s", tc.says, all)
			}
			var b bytes.Buffer
			WriteMarkdown(&b, rep, 0)
			md := b.String()
			if tc.verdict == NotCompared {
				for _, section := range []string{"### Regressions", "### Improvements", "### Other changes"} {
					if strings.Contains(md, section) {
						t.Errorf("a not-compared row listed under %s", section)
					}
				}
				if !strings.Contains(md, "### Not judged (2)") {
					t.Errorf("the not-compared rows are not accounted for:\n%s", md)
				}
				if strings.Contains(all, "compared on its") {
					t.Errorf("said to be compared and not compared:\n%s", all)
				}
			}
		})
	}
}

// With 200 gated rows of 6 runs a side, BH needs p ≤ 0.00025 for a lone
// change; the smallest p of 6 vs 6 is 2/924 = 0.0022: the gate says so.
func TestFamilyPowerWarning(t *testing.T) {
	var cmps []compare.Comparison
	var cells []*results.Cell
	for i := range 200 {
		op := fmt.Sprintf("op%03d", i)
		cmps = append(cmps, cmpOf(cfgJSON, "Json/op="+op+"-2", "p50-sec", -1, 100, 100, 6, 0.9))
		cells = append(cells, okCell("json/"+op, "json", op, "workload", "json", "toolchain", "go1.27.3", "rate", "1000/s"))
	}
	rep := Decide(Input{Baseline: manifest("base", t0, cells...), Candidate: manifest("cand", t0.Add(time.Hour), cells...),
		Comparisons: cmps, Policy: Policy{Threshold: DefaultThreshold}})
	w := strings.Join(rep.Warnings, "\n")
	// 8 a side: 2/12870 = 0.00016.
	if !strings.Contains(w, "with 200 gated comparisons at FDR 5% a lone regression needs p ≤ 0.00025, but the smallest p these samples can give is 0.0022 (n 6)") ||
		!strings.Contains(w, "run 8 repetitions a side") {
		t.Errorf("warnings:\n%s", w)
	}
}

func TestReachable(t *testing.T) {
	for _, tc := range []struct {
		n1, n2 int
		alpha  float64
		want   bool
		why    string
	}{
		{3, 3, 0.05, false, "min p = 2/20 = 0.1"},
		{4, 4, 0.05, true, "min p = 2/70 = 0.029"},
		{3, 4, 0.05, false, "min p = 2/35 = 0.057"},
		{5, 5, 0.01, true, "min p = 2/252 = 0.0079"},
		{4, 4, 0.01, false, "0.029 > 0.01"},
		{10, 10, 0.001, true, "2/184756"},
		{1, 100, 0.05, true, "2/101 = 0.0198"},
		{1, 30, 0.05, false, "2/31 = 0.065"},
		{0, 10, 0.05, false, "an empty side"},
	} {
		if got := Reachable(tc.n1, tc.n2, tc.alpha); got != tc.want {
			t.Errorf("Reachable(%d, %d, %g) = %v, want %v: %s", tc.n1, tc.n2, tc.alpha, got, tc.want, tc.why)
		}
	}
}

func TestTidyUnit(t *testing.T) {
	for in, want := range map[string]string{
		"ns/op": "sec/op", "p99-ns": "p99-sec", "p99.9-ns": "p99.9-sec", "gc-pause-p99-ns": "gc-pause-p99-sec",
		"MB/s": "B/s", "B/op": "B/op", "allocs/op": "allocs/op", "ops/s": "ops/s", "peak-rss-B": "peak-rss-B",
		"nsx": "nsx", "sec/op": "sec/op", "ns/ns": "sec/ns",
	} {
		if got := TidyUnit(in); got != want {
			t.Errorf("TidyUnit(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCellFor(t *testing.T) {
	m := manifest("m", t0,
		okCell("json/decode/go1.27.3", "json", "decode", "workload", "json", "toolchain", "go1.27.3", "rate", "1000/s"),
		okCell("json/decode-any/go1.27.3", "json", "decode-any", "workload", "json", "toolchain", "go1.27.3", "rate", "1000/s"),
		okCell("json/decode/go1.26.8", "json", "decode", "workload", "json", "toolchain", "go1.26.8", "rate", "1000/s"),
		okCell("crypto/go1.27.3", "crypto", "", "workload", "crypto", "toolchain", "go1.27.3", "gcflags", ""),
	)
	for _, tc := range []struct {
		table, bench, want, why string
	}{
		{cfgJSON, "Json/op=decode-2", "json/decode/go1.27.3", "op and configuration"},
		{cfgJSON, "Json/op=decode-any-2", "json/decode-any/go1.27.3", "op=decode is not a prefix match of decode-any"},
		{cfgJSON, "Json/op=decode", "json/decode/go1.27.3", "no GOMAXPROCS suffix"},
		{"workload: json, toolchain: go1.26.8, rate: 1000/s", "Json/op=decode-2", "json/decode/go1.26.8", "toolchain tells cells apart"},
		{"rate: 1000/s, workload: json, toolchain: go1.27.3", "Json/op=decode-2", "json/decode/go1.27.3", "order of keys does not matter"},
		{"workload: crypto, toolchain: go1.27.3", "RSASign-2", "crypto/go1.27.3", "gotest cell, empty values left out"},
		{cfgJSON, "Build/workload=json", "", "build rows belong to no single cell"},
		{"workload: json, toolchain: go1.27.3", "Json/op=decode-2", "", "a key missing from the table"},
	} {
		got := ""
		if c := CellFor(m, tc.table, tc.bench); c != nil {
			got = c.ID
		}
		if got != tc.want {
			t.Errorf("CellFor(%q, %q) = %q, want %q: %s", tc.table, tc.bench, got, tc.want, tc.why)
		}
	}
}

func TestSelectBaseline(t *testing.T) {
	stored := func(id string, hours int, edit func(m *results.Manifest)) results.Stored {
		m := manifest(id, t0.Add(time.Duration(hours)*time.Hour), jsonCell())
		if edit != nil {
			edit(m)
		}
		return results.Stored{Path: "results/" + id, Manifest: m}
	}
	allRuns := func(st results.Status) func(m *results.Manifest) {
		return func(m *results.Manifest) {
			for _, r := range m.Cells[0].Runs {
				r.Status, r.Reason = st, "achieved 640 ops/s < target 1000 ops/s"
			}
			m.Cells[0].Status, m.Cells[0].Reason = results.CellStatus(m.Cells[0].Runs)
			m.Status, m.Reason = results.RunIncomplete, "some cells failed; see their reasons"
		}
	}
	cand := manifest("cand", t0.Add(100*time.Hour))
	for _, tc := range []struct {
		why      string
		runs     []results.Stored
		mismatch bool
		want     string // run id, "" for none
		skipped  []string
		earlier  bool // some skipped run is an earlier run of this spec on this host
	}{
		{"the newest usable run older than the candidate, saying why it passed over the newer ones", []results.Stored{
			stored("oldest", 1, nil),
			stored("good", 2, nil),
			stored("other-host", 5, func(m *results.Manifest) { m.Host = testHost("h9") }),
			stored("other-spec", 6, func(m *results.Manifest) { m.Name = "other" }),
			stored("unusable", 7, allRuns(results.StatusRateNotAchieved)),
			stored("shard", 8, func(m *results.Manifest) { m.Shard = "1/3" }),
			stored("running", 9, func(m *results.Manifest) { m.Status = results.RunRunning }),
			{Path: "results/cand", Manifest: cand},
			stored("future", 200, nil),
		}, false, "good", []string{
			"future: newer than the candidate",
			"running: still running (or its harness died without a trace; the next harness run marks it abandoned)",
			"shard: a single shard (1/3); merge the shards first",
			"unusable: no usable cell: every cell failed or has no valid run: some cells failed; see their reasons",
			"other-host: another host: h9 (AMD EPYC, ci-1), the candidate ran on h1 (AMD EPYC, ci-1)",
		}, true},
		{"a partial run (one run of ten generator-lagged) is usable: a cell is as good as its valid runs", []results.Stored{
			stored("good", 2, nil),
			stored("partial", 3, func(m *results.Manifest) {
				m.Cells[0].Runs[4].Status = results.StatusGeneratorLagged
				m.Cells[0].Status, m.Cells[0].Reason = results.CellStatus(m.Cells[0].Runs)
			}),
		}, false, "partial", nil, false},
		{"an incomplete run whose cells still have valid runs is usable", []results.Stored{
			stored("good", 2, nil),
			stored("incomplete", 3, func(m *results.Manifest) {
				m.Cells = append(m.Cells, okCell("json/other", "json", "other"))
				m.Cells[1].Status = results.StatusCrashed
				m.Status = results.RunIncomplete
			}),
		}, false, "incomplete", nil, false},
		{"another host's runs only: none, and none was an earlier run on this host", []results.Stored{
			stored("other-host", 5, func(m *results.Manifest) { m.Host = testHost("h9") }),
		}, false, "", []string{"other-host: another host: h9 (AMD EPYC, ci-1), the candidate ran on h1 (AMD EPYC, ci-1)"}, false},
		{"... unless host mismatches are allowed", []results.Stored{
			stored("other-host", 5, func(m *results.Manifest) { m.Host = testHost("h9") }),
		}, true, "other-host", nil, false},
		{"earlier runs, none usable: none, and it says there were earlier runs", []results.Stored{
			stored("crashed", 5, allRuns(results.StatusCrashed)),
		}, false, "", []string{"crashed: no usable cell: every cell failed or has no valid run: some cells failed; see their reasons"}, true},
		{"nothing stored", nil, false, "", nil, false},
	} {
		t.Run(tc.why, func(t *testing.T) {
			got, skipped := SelectBaseline(cand, "results/cand", tc.runs, tc.mismatch)
			id := ""
			if got != nil {
				id = got.Manifest.RunID
			}
			if id != tc.want {
				t.Errorf("picked %q, want %q", id, tc.want)
			}
			var reasons []string
			earlier := false
			for _, s := range skipped {
				reasons = append(reasons, s.String())
				earlier = earlier || s.Earlier
				if s.RunID == "" {
					t.Errorf("a skipped run without a name: %+v", s)
				}
			}
			if strings.Join(reasons, "\n") != strings.Join(tc.skipped, "\n") {
				t.Errorf("skipped:\n%s\nwant:\n%s", strings.Join(reasons, "\n"), strings.Join(tc.skipped, "\n"))
			}
			if earlier != tc.earlier {
				t.Errorf("earlier run skipped: %v, want %v", earlier, tc.earlier)
			}
		})
	}
}

func TestCalibrate(t *testing.T) {
	row := "Json/op=decode-2"
	pairs := []AAPair{
		{0, 1, []compare.Comparison{cmpOf(cfgJSON, row, "p99-sec", -1, 100, 102, 10, 0.2), cmpOf(cfgJSON, row, "errors", -1, 0, 0, 10, 1)}},
		{0, 2, []compare.Comparison{cmpOf(cfgJSON, row, "p99-sec", -1, 100, 97, 10, 0.01)}},
		{1, 2, []compare.Comparison{cmpOf(cfgJSON, row, "p99-sec", -1, 100, 101, 10, 0.5), cmpOf(cfgJSON, row, "errors", -1, 0, 3, 10, 0.01)}},
	}
	got := Calibrate(pairs, 2, 0.01)
	if len(got) != 2 {
		t.Fatalf("got %d thresholds: %+v", len(got), got)
	}
	errs, p99 := got[0], got[1]
	if p99.Unit != "p99-sec" || math.Abs(p99.MaxDelta-0.03) > 1e-9 || math.Abs(p99.Threshold-0.06) > 1e-9 || p99.Pairs != 3 || p99.Significant != 1 || p99.Outlier != 0 {
		t.Errorf("p99: %+v; want max delta 3%%, threshold 2 × 3%% = 6%%, 3 pairs, 1 significant, no outlier left out of 3 runs", p99)
	}
	if errs.Unit != "errors" || errs.Threshold != 10 {
		t.Errorf("errors: %+v; want a threshold that never fires on a metric that was zero in one A/A run", errs)
	}
	quiet := Calibrate([]AAPair{{0, 1, []compare.Comparison{cmpOf(cfgJSON, row, "ns/op", -1, 100, 100.1, 10, 0.5)}}}, 2, 0.01)
	if quiet[0].Threshold != 0.01 || quiet[0].Unit != "sec/op" {
		t.Errorf("quiet metric: %+v; want the 1%% floor and a tidied unit", quiet[0])
	}
	// Five runs, run 4 (index 3) caught in a stall: 8% off the others,
	// which agree within 1%. Its pairs are left out of the threshold.
	centers := []float64{100, 100.5, 101, 108, 100.2}
	var five []AAPair
	for i := range centers {
		for j := i + 1; j < len(centers); j++ {
			five = append(five, AAPair{i, j, []compare.Comparison{cmpOf(cfgJSON, row, "p50-sec", -1, centers[i], centers[j], 10, 0.01)}})
		}
	}
	th := Calibrate(five, 2, 0.01)[0]
	if th.Outlier != 4 || math.Abs(th.MaxDelta-0.01) > 1e-9 || math.Abs(th.MaxDeltaAll-0.08) > 1e-9 || math.Abs(th.Threshold-0.02) > 1e-9 {
		t.Errorf("with an outlier run: %+v; want run 4 left out, max delta 1%% (8%% with it), threshold 2%%", th)
	}
}

func TestParseThresholds(t *testing.T) {
	th := &Thresholds{Format: 1, Spec: "s", HostID: "h1", Entries: []Threshold{{Config: cfgJSON, Benchmark: "B", Unit: "p99-sec", Threshold: 0.07}}}
	data, err := th.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseThresholds("t.json", data)
	if err != nil || back.Entries[0].Threshold != 0.07 {
		t.Fatalf("round trip: %+v, %v", back, err)
	}
	for _, tc := range []struct{ data, want string }{
		{`{"format": 2}`, "newer than this harness"},
		{`{}`, "not a thresholds file"},
		{`{"format": 1, "bogus": 1}`, "unknown field"},
		{`{"format": 1, "thresholds": [{"benchmark": "B", "unit": "u", "threshold": -1}]}`, "out of range"},
		{`{"format": 1, "thresholds": [{"unit": "u"}]}`, "missing benchmark"},
	} {
		if _, err := ParseThresholds("t.json", []byte(tc.data)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseThresholds(%s) = %v, want an error with %q", tc.data, err, tc.want)
		}
	}
}

func TestPolicyValidate(t *testing.T) {
	for _, tc := range []struct {
		p    Policy
		want string
	}{
		{Policy{Alpha: 0.05, Threshold: 0.05}, ""},
		{Policy{Alpha: 0.6, Threshold: 0.05}, "alpha"},
		{Policy{Alpha: 0.05, Threshold: 12}, "threshold"},
		{Policy{Alpha: 0.05, Threshold: 0.05, Metrics: map[string]float64{"p99-ns": -1}}, "p99-ns"},
		{Policy{Alpha: 0.05, Threshold: 0.05, FDR: 0.7}, "fdr"},
		{Policy{Alpha: 0.05, Threshold: 0.05, FDR: 0.7, FDROff: true}, ""},
	} {
		err := tc.p.Validate()
		if (err == nil) != (tc.want == "") || err != nil && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%+v) = %v, want %q", tc.p, err, tc.want)
		}
	}
}

func TestFloatJSON(t *testing.T) {
	for _, f := range []float64{0, 1.5, math.Inf(1), math.Inf(-1)} {
		data, err := Float(f).MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		var back Float
		if err := back.UnmarshalJSON(data); err != nil || float64(back) != f {
			t.Errorf("%v: %s back to %v, %v", f, data, back, err)
		}
	}
}

// golden compares got with testdata/name, rewriting it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < max(len(gl), len(wl)); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("%s differs at line %d:\n got: %s\nwant: %s\n(run with -update to accept)", path, i+1, g, w)
			}
		}
	}
}

func TestInstructionsThreshold(t *testing.T) {
	for _, tt := range []struct {
		why     string
		metrics map[string]float64
		unit    string
		want    float64
		from    string
	}{
		{"instructions have their own default", nil, "instructions/op", 0.005, "instructions/op default"},
		{"time keeps the threshold", nil, "sec/op", 0.05, "threshold"},
		{"a workload key does not loosen instructions", map[string]float64{"json": 0.08}, "instructions/op", 0.005, "instructions/op default"},
		{"naming the unit does", map[string]float64{"instructions/op": 0.01}, "instructions/op", 0.01, "metrics[instructions/op]"},
		{"and so does workload:unit", map[string]float64{"json:instructions/op": 0.02}, "instructions/op", 0.02, "metrics[json:instructions/op]"},
	} {
		l := Policy{Threshold: 0.05, Metrics: tt.metrics}.limit("json", "", "Decode", tt.unit)
		if l.Threshold != tt.want || l.From != tt.from || !l.Gated {
			t.Errorf("%s: limit %+v; want %g from %s, gated", tt.why, l, tt.want, tt.from)
		}
	}
}

// TestReconcile checks how a confirmation's verdicts merge: for the rows
// of interleaved reruns, the reruns alone decide when they can (a
// regression, or an interval whose worse end stays within the threshold,
// which rules one out); otherwise all samples pooled decide, but never make
// a regression of a row the first pass did not call one (the pool holds the
// samples that chose it); other rows keep the pooled verdict. Rows match
// whatever the order of their table's configuration keys.
func TestReconcile(t *testing.T) {
	const reordered = "toolchain: go1.27.3, rate: 1000/s, workload: json"
	rows := []string{"A/op=decode-2", "B/op=decode-2", "C/op=decode-2", "D/op=decode-2", "E/op=decode-2"}
	decide := func(cmps ...compare.Comparison) *Report {
		in := Input{Baseline: manifest("base", t0, jsonCell()), Candidate: manifest("cand", t0.Add(time.Hour), jsonCell()),
			Policy: Policy{Threshold: 0.02, FDROff: true}, Comparisons: cmps}
		return Decide(in)
	}
	regressed := func(row string, n int) compare.Comparison {
		return withCI(cmpOf(cfgJSON, row, "p50-sec", -1, 100, 110, n, 0.001), 0.06, 0.14)
	}
	first := decide(regressed(rows[0], 10), regressed(rows[1], 10), regressed(rows[2], 10), regressed(rows[3], 10),
		withCI(cmpOf(cfgJSON, rows[4], "p50-sec", -1, 100, 104, 10, 0.001), 0.01, 0.07)) // E: a suspect, not a regression
	pooled := decide(regressed(rows[0], 20), regressed(rows[1], 20), regressed(rows[2], 20), regressed(rows[3], 20), regressed(rows[4], 20))
	alone := decide(
		withCI(cmpOf(reordered, rows[0], "p50-sec", -1, 100, 108, 10, 0.001), 0.03, 0.12),   // a regression
		withCI(cmpOf(reordered, rows[1], "p50-sec", -1, 100, 100.5, 10, 0.6), -0.01, 0.015), // rules one out
		withCI(cmpOf(reordered, rows[2], "p50-sec", -1, 100, 103, 10, 0.2), -0.02, 0.08),    // cannot tell
		withCI(cmpOf(reordered, rows[3], "p50-sec", -1, 100, 100, 10, 0.9), -0.01, 0.01),    // not interleaved
		withCI(cmpOf(reordered, rows[4], "p50-sec", -1, 100, 103, 10, 0.2), -0.02, 0.08),    // cannot tell
	)
	interleaved := map[string]bool{}
	for _, r := range []string{rows[0], rows[1], rows[2], rows[4]} {
		interleaved[InterleavedKey(reordered, r)] = true
	}
	rep, decided := Reconcile(first, pooled, alone, interleaved)
	if decided != 2 {
		t.Errorf("%d rows decided by the reruns alone, want 2", decided)
	}
	for i, want := range []struct {
		verdict Verdict
		n       int
		why     string
	}{
		{Regression, 10, "on the interleaved reruns alone: "},
		{Unchanged, 10, "on the interleaved reruns alone: "},
		{Regression, 20, "the interleaved reruns alone do not decide (Δ +3%, CI [-2%, +8%], threshold 2%); on all samples: "},
		{Regression, 20, "significant"},
		{Inconclusive, 10, "the interleaved reruns alone do not decide (Δ +3%, CI [-2%, +8%], threshold 2%); all samples pooled would call it a regression"},
	} {
		r := rep.Rows[i]
		if r.Verdict != want.verdict || r.Cand.N != want.n || !strings.HasPrefix(r.Why, want.why) {
			t.Errorf("%s: %s on n %d (%s); want %s on n %d, why starting %q", r.Benchmark, r.Verdict, r.Cand.N, r.Why, want.verdict, want.n, want.why)
		}
	}
	if rep.ExitCode != 1 || len(rep.Regressions()) != 3 {
		t.Errorf("exit %d with %d regressions, want 1 with 3", rep.ExitCode, len(rep.Regressions()))
	}
}
