package run

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/perfharness/harness/harness/plan"
	"github.com/perfharness/harness/harness/results"
	"github.com/perfharness/harness/harness/spec"
)

// A Slot is one repetition of one cell in the run order.
type Slot struct {
	Cell int // index into the runnable cells
	Rep  int // 1-based repetition
}

// Order lays out count repetitions of n cells. Interleaved, repetitions go
// round-robin (A B C A B C …) so that drift in the machine — thermal state,
// background load, page cache — spreads evenly over the cells instead of
// landing on whichever ran last. With shuffle, each round's cell order is a
// fresh permutation from seed (recorded, so the order can be replayed).
// Not interleaved, each cell runs all its repetitions back to back (cell
// order shuffled once when asked).
func Order(n, count int, interleave, shuffle bool, seed int64) []Slot {
	rng := rand.New(rand.NewPCG(uint64(seed), uint64(seed)>>32|1))
	perm := func() []int {
		p := make([]int, n)
		for i := range p {
			p[i] = i
		}
		if shuffle {
			rng.Shuffle(n, func(i, j int) { p[i], p[j] = p[j], p[i] })
		}
		return p
	}
	slots := make([]Slot, 0, n*count)
	if interleave {
		for rep := 1; rep <= count; rep++ {
			for _, c := range perm() {
				slots = append(slots, Slot{c, rep})
			}
		}
		return slots
	}
	for _, c := range perm() {
		for rep := 1; rep <= count; rep++ {
			slots = append(slots, Slot{c, rep})
		}
	}
	return slots
}

// runAll runs every planned repetition in schedule order.
func (r *Runner) runAll(ctx context.Context) {
	var runnable []*cell
	for _, c := range r.cells {
		if c.planned() && r.built[c.Build.Key] != nil {
			runnable = append(runnable, c)
		}
	}
	start := time.Now()
	slots := Order(len(runnable), r.m.Count, r.m.Interleave, r.m.Shuffle, r.m.Seed)
	for _, rc := range r.m.Cells { // a resumed run goes on counting
		for _, run := range rc.Runs {
			r.order = max(r.order, run.Order)
		}
	}
	var todo []Slot
	for _, sl := range slots {
		rc := runnable[sl.Cell].rec
		if sl.Rep <= len(rc.Runs) && !rc.Runs[sl.Rep-1].Finished() {
			todo = append(todo, sl)
		}
	}
	r.prog.setTotal(len(todo))
	if len(todo) > 0 {
		r.prog.Printf("running %s of %s (%s each%s)", plural(len(todo), "run"), plural(len(runnable), "cell"),
			plural(r.m.Count, "repetition"), map[bool]string{true: ", interleaved", false: ""}[r.m.Interleave])
	}
	for n, sl := range todo {
		if r.shouldStop(ctx) {
			r.prog.Printf("stopping: %d of %d runs done; harness run --resume %s completes the rest", n, len(todo), r.dir.Path)
			return
		}
		r.runSlot(ctx, runnable, sl, n+1, len(todo))
	}
	r.retryAll(ctx, runnable, slots)
	if r.m.Auto != nil && r.m.Auto.Stopped == "" {
		r.autoRounds(ctx, runnable, start)
	}
}

// shouldStop reports whether the schedule must stop before its next run: an
// interrupt, a cancelled context or results that can no longer be stored.
func (r *Runner) shouldStop(ctx context.Context) bool {
	select {
	case <-r.opts.Soft:
		r.stopping = true
	default:
	}
	return r.stopping || ctx.Err() != nil || r.storageErr != nil
}

// runSlot runs one repetition, the n-th of total in this pass, and records it.
func (r *Runner) runSlot(ctx context.Context, runnable []*cell, sl Slot, n, total int) {
	c := runnable[sl.Cell]
	rc := c.rec
	run := rc.Runs[sl.Rep-1]
	r.order++
	run.Order = r.order
	r.prog.status(fmt.Sprintf("run %d/%d %s #%d/%d", n, total, shorten(c.ID, 70), sl.Rep, r.m.Count), expectedDuration(c.Cell),
		filepath.Join(r.dir.Path, run.Dir, "progress.json"))
	r.execute(ctx, c.Cell, rc, run, r.built[c.Build.Key], r.m.Profiles)
	r.prog.runFinished(time.Duration(run.Duration))
	r.prog.Printf("%s", runLine(n, total, c.ID, run, r.m.Count))
	r.updateCellStatus(rc)
	if err := results.AssembleBench(r.dir, r.m); err != nil {
		r.prog.Printf("warning: assembling bench.txt: %v", err)
	}
	r.saveOrStop() // after bench.txt: the manifest records its digest
	if r.opts.AfterRun != nil {
		r.opts.AfterRun(r.dir, rc, run, n, total)
	}
}

// retryAll gives each repetition that ended invalid (rate-not-achieved,
// host-contended, generator-lagged) up to m.Retries more attempts, after
// the whole schedule and in its order, so a stall of the host (another
// tenant, a page-cache flush) does not void a run that was otherwise
// sound, while a cell that cannot keep its rate fails every attempt. Crashes, timeouts and failures are never retried:
// they are the workload's own. Each earlier attempt stays on disk as
// run-N.attempt-K and in the run's attempts; its figures never reach
// bench.txt.
func (r *Runner) retryAll(ctx context.Context, runnable []*cell, slots []Slot) {
	for {
		var todo []Slot
		for _, sl := range slots {
			run := runnable[sl.Cell].rec.Runs[sl.Rep-1]
			if run.Status.Invalid() && len(run.Attempts) < r.m.Retries {
				todo = append(todo, sl)
			}
		}
		if len(todo) == 0 {
			return
		}
		r.prog.setTotal(r.prog.total() + len(todo))
		r.prog.Printf("retrying %s whose figures could not be trusted (up to %s each)", plural(len(todo), "run"), plural(r.m.Retries, "more attempt"))
		for k, sl := range todo {
			if r.shouldStop(ctx) {
				r.prog.Printf("stopping: %d of %d retries done; harness run --resume %s completes the rest", k, len(todo), r.dir.Path)
				return
			}
			rc := runnable[sl.Cell].rec
			if err := r.keepAttempt(rc.Runs[sl.Rep-1]); err != nil {
				r.storageErr = err
				continue
			}
			r.saveOrStop()
			r.runSlot(ctx, runnable, sl, k+1, len(todo))
		}
	}
}

// keepAttempt moves a finished run's folder aside as its next attempt and
// records it, leaving the run to be executed again.
func (r *Runner) keepAttempt(run *results.Run) error {
	a := results.Attempt{Status: run.Status, Reason: run.Reason, Started: run.Started, Duration: run.Duration, Order: run.Order,
		Dir: fmt.Sprintf("%s.attempt-%d", run.Dir, len(run.Attempts)+1)}
	from, to := filepath.Join(r.dir.Path, run.Dir), filepath.Join(r.dir.Path, a.Dir)
	if _, err := os.Stat(from); err == nil {
		// A harness killed between the move and the manifest write may
		// have left a half-kept attempt; the run folder is the truth.
		os.RemoveAll(to)
		if err := os.Rename(from, to); err != nil {
			return fmt.Errorf("keeping %s as %s: %w", run.Dir, a.Dir, err)
		}
	}
	run.Attempts = append(run.Attempts, a)
	run.Status, run.Reason = results.StatusPlanned, ""
	return nil
}

func expectedDuration(c *plan.Cell) time.Duration {
	if c.Workload.Kind == spec.KindGoTest {
		return 0
	}
	return c.Workload.Duration.D() + c.Workload.Warmup.D()
}
