package run

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"time"

	"github.com/perfharness/harness/harness/compare"
	"github.com/perfharness/harness/harness/results"
	"github.com/perfharness/harness/harness/spec"
)

// An AutoTarget is one comparison that count: auto watches: a question's
// candidate configuration against its base on one headline metric, with
// the cells of both sides (indexes into the runnable cells).
type AutoTarget struct {
	Label      string // "jsonv2: json, toolchain=go1.27.3 P99", for the reason
	Base, Cand []float64
	Cells      []int
}

// An AutoDecision is what count: auto does after a round: run one more
// repetition of More (sorted), or stop, and why.
type AutoDecision struct {
	More []int
	Stop bool
	Why  string
}

// minAutoRuns is the fewest valid runs a side needs before its interval is
// judged: fewer give no interval at 95% (3 a side) or one too wide to mean
// anything.
const minAutoRuns = 4

// DecideAuto is count: auto's stopping rule, pure so it is tested on
// synthetic samples. After count repetitions and elapsed time, each
// target whose effect interval (compare.EffectOf, the interval the
// answers report) has a half-width above ciTarget, or a side with fewer
// than minAutoRuns valid runs, asks for one more repetition of its cells.
// The rule stops when no target asks, when count has reached maxCount, or
// when another round (perRound, the time the last one took) would pass
// maxTime (0: no time limit). Each reason names the widest interval left.
func DecideAuto(targets []AutoTarget, ciTarget float64, count, maxCount int, elapsed, maxTime, perRound time.Duration) AutoDecision {
	more := map[int]bool{}
	widest, widestHW := "", 0.0
	for _, t := range targets {
		hw := math.Inf(1)
		if len(t.Base) >= minAutoRuns && len(t.Cand) >= minAutoRuns {
			hw = compare.EffectOf(t.Base, t.Cand, 0.95).HalfWidth()
		}
		if math.IsNaN(hw) || hw > ciTarget {
			for _, c := range t.Cells {
				more[c] = true
			}
			if widest == "" || hw > widestHW {
				widest, widestHW = t.Label, hw
			}
		}
	}
	left := func() string {
		if math.IsInf(widestHW, 1) {
			return fmt.Sprintf("%s has fewer than %d valid runs a side", widest, minAutoRuns)
		}
		return fmt.Sprintf("widest: %s ±%.3g%%", widest, widestHW*100)
	}
	switch {
	case len(targets) == 0:
		return AutoDecision{Stop: true, Why: "no question compares these cells: nothing to aim at"}
	case len(more) == 0:
		return AutoDecision{Stop: true, Why: fmt.Sprintf("every headline metric's interval is within ±%.3g%% after %d repetitions", ciTarget*100, count)}
	case count >= maxCount:
		return AutoDecision{Stop: true, Why: fmt.Sprintf("max_count %d reached with intervals wider than ±%.3g%% (%s)", maxCount, ciTarget*100, left())}
	case maxTime > 0 && elapsed+perRound > maxTime:
		return AutoDecision{Stop: true, Why: fmt.Sprintf("max_time %v would be passed by another round of %v after %v (%d repetitions; %s)", maxTime, perRound.Round(time.Second), elapsed.Round(time.Second), count, left())}
	}
	d := AutoDecision{}
	for c := range more {
		d.More = append(d.More, c)
	}
	sort.Ints(d.More)
	d.Why = fmt.Sprintf("%d cells need more runs (%s)", len(d.More), left())
	return d
}

// autoRounds is count: auto after the first pass: while DecideAuto asks
// for more, one more repetition of the cells it names, interleaved (and
// shuffled with the run's seed, round by round), retries included. Why
// it stopped is recorded in the manifest and printed.
func (r *Runner) autoRounds(ctx context.Context, runnable []*cell, start time.Time) {
	a := r.m.Auto
	lastRound := time.Since(start) / time.Duration(max(1, r.m.Count))
	for {
		if r.shouldStop(ctx) {
			return
		}
		d := DecideAuto(r.autoTargets(runnable), a.CITarget, r.m.Count, a.MaxCount, time.Since(start), time.Duration(a.MaxTimeNs), lastRound)
		if d.Stop {
			a.Stopped = d.Why
			r.prog.Printf("count auto: stopped: %s", d.Why)
			r.saveOrStop()
			return
		}
		r.prog.Printf("count auto: repetition %d of %s: %s", r.m.Count+1, plural(len(d.More), "cell"), d.Why)
		roundStart := time.Now()
		var slots []Slot
		for _, k := range Order(len(d.More), 1, true, r.m.Shuffle, r.m.Seed+int64(r.m.Count)) {
			cell := d.More[k.Cell]
			rc := runnable[cell].rec
			rep := len(rc.Runs) + 1
			rc.Runs = append(rc.Runs, &results.Run{Index: rep, Status: results.StatusPlanned,
				Dir: filepath.Join(rc.Dir, fmt.Sprintf("run-%d", rep))})
			slots = append(slots, Slot{Cell: cell, Rep: rep})
		}
		r.m.Count++
		a.Rounds++
		r.saveOrStop()
		r.prog.setTotal(r.prog.total() + len(slots))
		for n, sl := range slots {
			if r.shouldStop(ctx) {
				return
			}
			r.runSlot(ctx, runnable, sl, n+1, len(slots))
		}
		r.retryAll(ctx, runnable, slots)
		lastRound = time.Since(roundStart)
	}
}

// judgeable are the units (bench.txt's) a verdict can rest on when each
// run holds ops ops (0: not an open-loop cell at a constant rate): a
// latency quantile, or an open-loop mean, needs 50 ops beyond its tail in
// every run (results.TailImprecise, the rule of the gate and the Answers),
// and more runs of the same length do not give it that.
func judgeable(units []string, ops int) []string {
	var out []string
	for _, unit := range units {
		if tidy, _ := results.TidyUnit(unit); ops > 0 && results.TailImprecise(tidy, ops, true, 0) != "" {
			continue
		}
		out = append(out, unit)
	}
	return out
}

// autoTargets are the comparisons count: auto watches: for every question
// of the run, each candidate configuration against the base, on each of
// its headline metrics its runs can judge (judgeable), per benchmark, with
// the valid runs' values from bench.txt. Cells index runnable.
func (r *Runner) autoTargets(runnable []*cell) []AutoTarget {
	set, err := compare.LoadResults(r.dir.Path)
	if err != nil {
		return nil
	}
	points := r.m.Points()
	where := map[*results.Cell]int{} // manifest cell → index in runnable
	for k, c := range runnable {
		where[c.rec] = k
	}
	var out []AutoTarget
	for _, q := range r.m.SpecQuestions(points) {
		for _, g := range q.Groups(points) {
			fewest := 0
			for _, c := range g.Configs {
				for _, i := range c.Points {
					if k, ok := where[r.m.Cells[i]]; ok {
						if ops := runnable[k].WindowOps(); ops > 0 && (fewest == 0 || ops < fewest) {
							fewest = ops
						}
					}
				}
			}
			for _, unit := range judgeable(q.Units(&g, points), fewest) {
				side := func(c spec.Config) (map[string][]float64, []int) {
					vals := map[string][]float64{}
					var cells []int
					for _, i := range c.Points {
						mc := r.m.Cells[i]
						if k, ok := where[mc]; ok {
							cells = append(cells, k)
						}
						for _, s := range set.CellValues(mc.Config, mc.Op, unit) {
							// A cell's op is in its benchmark name: where ops
							// are compared, the sides' names differ, and the
							// op is the configuration, not the benchmark (as
							// the report's answers key them).
							name := s.Name
							if mc.Op != "" {
								name = ""
							}
							vals[name] = append(vals[name], s.Values...)
						}
					}
					return vals, cells
				}
				base, baseCells := side(g.Configs[0])
				for _, c := range g.Configs[1:] {
					cand, candCells := side(c)
					if len(baseCells) == 0 || len(candCells) == 0 {
						// A side with no cell this run can repeat (skipped,
						// failed to build, or another shard's) never gets
						// runs here: repeating the other side answers nothing.
						continue
					}
					cells := append(slices.Clone(baseCells), candCells...)
					for bench, cv := range cand {
						out = append(out, AutoTarget{Label: fmt.Sprintf("%s: %s, %s %s", q.Title, g.FixedLabel(), c.Label(), unit), Base: base[bench], Cand: cv, Cells: cells})
					}
					if len(cand) == 0 {
						// No valid run yet: ask for runs of both sides.
						out = append(out, AutoTarget{Label: fmt.Sprintf("%s: %s, %s %s", q.Title, g.FixedLabel(), c.Label(), unit), Cells: cells})
					}
				}
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Label < out[j].Label })
	return out
}
