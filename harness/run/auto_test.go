package run

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/perfharness/harness/harness/plan"
	"github.com/perfharness/harness/harness/report"
	"github.com/perfharness/harness/harness/results"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// spread returns n values around center, evenly spread over ±frac.
func spread(n int, center, frac float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = center * (1 + frac*(2*float64(i)/float64(max(1, n-1))-1))
	}
	return out
}

func TestDecideAuto(t *testing.T) {
	tight := AutoTarget{Label: "tight", Base: spread(8, 100, 0.01), Cand: spread(8, 110, 0.01), Cells: []int{0, 1}}
	wide := AutoTarget{Label: "wide", Base: spread(6, 100, 0.3), Cand: spread(6, 110, 0.3), Cells: []int{2, 3}}
	few := AutoTarget{Label: "few", Base: spread(3, 100, 0.001), Cand: spread(3, 100, 0.001), Cells: []int{4, 5}}
	for _, tc := range []struct {
		why                    string
		targets                []AutoTarget
		count, maxCount        int
		elapsed, max, perRound time.Duration
		more                   string
		stop                   string // a substring of the reason when it stops
	}{
		{"8 a side, 1% spread: the 95% interval is ±1.3% < 5%: stop", []AutoTarget{tight}, 8, 20, 0, 0, time.Second, "", "within ±5%"},
		{"6 a side, ±30% spread: far wider than 5%: its cells run again", []AutoTarget{tight, wide}, 6, 20, 0, 0, time.Second, "[2 3]", ""},
		{"3 a side is too few to judge, however tight", []AutoTarget{few}, 3, 20, 0, 0, time.Second, "[4 5]", ""},
		{"the count budget is spent", []AutoTarget{wide}, 20, 20, 0, 0, time.Second, "", "max_count 20 reached"},
		{"another 30 s round would pass 2m after 100 s", []AutoTarget{wide}, 8, 20, 100 * time.Second, 2 * time.Minute, 30 * time.Second, "", "max_time 2m0s"},
		{"a round that fits the time budget goes ahead", []AutoTarget{wide}, 8, 20, 60 * time.Second, 2 * time.Minute, 30 * time.Second, "[2 3]", ""},
		{"nothing to aim at", nil, 6, 20, 0, 0, time.Second, "", "no question"},
	} {
		d := DecideAuto(tc.targets, 0.05, tc.count, tc.maxCount, tc.elapsed, tc.max, tc.perRound)
		if tc.stop != "" {
			if !d.Stop || !strings.Contains(d.Why, tc.stop) {
				t.Errorf("%s: %+v, want a stop saying %q", tc.why, d, tc.stop)
			}
			continue
		}
		if d.Stop || fmt.Sprint(d.More) != tc.more {
			t.Errorf("%s: %+v, want more runs of %s", tc.why, d, tc.more)
		}
	}
}

// TestAutoGolden simulates count: auto on synthetic log-normal samples —
// three comparisons of different noise — round by round until the rule
// stops, and compares each round's decision with testdata/auto.golden.
func TestAutoGolden(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	type side struct{ center, sigma float64 }
	cmp := []struct {
		label      string
		base, cand side
	}{
		{"quiet 10% change", side{100, 0.01}, side{110, 0.01}},
		{"noisy, no change", side{100, 0.06}, side{100, 0.06}},
		{"very noisy P99", side{100, 0.25}, side{120, 0.25}},
	}
	samples := make([][2][]float64, len(cmp))
	draw := func(s side) float64 { return s.center * math.Exp(s.sigma*rng.NormFloat64()) }
	var b strings.Builder
	count, perRound := 6, 10*time.Second
	for i, c := range cmp {
		for range count {
			samples[i][0] = append(samples[i][0], draw(c.base))
			samples[i][1] = append(samples[i][1], draw(c.cand))
		}
	}
	for round := 1; ; round++ {
		var targets []AutoTarget
		for i, c := range cmp {
			targets = append(targets, AutoTarget{Label: c.label, Base: samples[i][0], Cand: samples[i][1], Cells: []int{2 * i, 2*i + 1}})
		}
		d := DecideAuto(targets, 0.05, count, 20, time.Duration(count)*perRound, 3*time.Minute, perRound)
		fmt.Fprintf(&b, "after %d repetitions: stop=%v more=%v: %s\n", count, d.Stop, d.More, d.Why)
		if d.Stop {
			break
		}
		for _, cell := range d.More {
			i, s := cell/2, cell%2
			sd := cmp[i].base
			if s == 1 {
				sd = cmp[i].cand
			}
			samples[i][s] = append(samples[i][s], draw(sd))
		}
		count++
	}
	path := "testdata/auto.golden"
	if *update {
		os.WriteFile(path, []byte(b.String()), 0o644)
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if b.String() != string(want) {
		t.Errorf("decisions differ from %s (go test -update rewrites it):\ngot:\n%s\nwant:\n%s", path, b.String(), want)
	}
}

// count: auto does not watch a tail its runs are too short to judge: more
// runs of 1,500 ops never give P99 50 ops beyond it.
func TestJudgeable(t *testing.T) {
	for _, tc := range []struct {
		metrics []string
		ops     int
		want    []string
	}{
		{[]string{"p50-ns", "p99-ns"}, 1500, []string{"p50-ns"}},
		{[]string{"p50-ns", "p99-ns"}, 5000, []string{"p50-ns", "p99-ns"}},
		{[]string{"p99.9-ns", "ns/op", "allocs/op"}, 3000, []string{"allocs/op"}},
		{[]string{"ns/op", "allocs/op"}, 0, []string{"ns/op", "allocs/op"}}, // go test: no window
	} {
		if got := judgeable(tc.metrics, tc.ops); !slices.Equal(got, tc.want) {
			t.Errorf("judgeable(%q, %d) = %q, want %q", tc.metrics, tc.ops, got, tc.want)
		}
	}
}

// count: auto watches the comparisons the Answers make: where a question
// compares ops, each side's values are its own op's (their benchmark names
// differ), and a side this run cannot repeat (a skipped cell) is not
// watched. Before, an op question's base never had values, so count: auto
// always ran to max_time.
func TestAutoTargets(t *testing.T) {
	res, err := report.Synthesize(t.TempDir(), report.SynthOptions{Ops: 2, Runs: 6})
	if err != nil {
		t.Fatal(err)
	}
	d, err := results.Open(res)
	if err != nil {
		t.Fatal(err)
	}
	m, err := d.ReadManifest()
	if err != nil {
		t.Fatal(err)
	}
	r := &Runner{dir: d, m: m}
	var runnable []*cell
	for _, c := range m.Cells {
		runnable = append(runnable, &cell{Cell: &plan.Cell{}, rec: c})
	}
	targets := r.autoTargets(runnable)
	ops := 0
	for _, tg := range targets {
		if len(tg.Base) < 6 || len(tg.Cand) < 6 {
			t.Errorf("%s: %d base and %d candidate values, want 6 each", tg.Label, len(tg.Base), len(tg.Cand))
		}
		if strings.Contains(tg.Label, "op1") {
			ops++
		}
	}
	if ops == 0 {
		t.Fatalf("no target compares the ops: %+v", targets)
	}
	// Without the first cell (as if skipped), nothing that needs it is watched.
	for _, tg := range r.autoTargets(runnable[1:]) {
		for _, k := range tg.Cells {
			if k < 0 || k >= len(runnable)-1 {
				t.Errorf("%s: cell index %d out of range", tg.Label, k)
			}
		}
		if len(tg.Base) == 0 || len(tg.Cand) == 0 {
			t.Errorf("%s: watched with a side that cannot run", tg.Label)
		}
	}
	if n, all := len(r.autoTargets(runnable[1:])), len(targets); n >= all {
		t.Errorf("without the first cell: %d targets, want fewer than %d", n, all)
	}
}
