package driver

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"
)

// checkIterations validates a Config in iterations mode; it reports every
// problem at once.
func (c *Config) checkIterations(set flagsSet) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.Op == "" {
		bad("-op: required")
	}
	if c.Out == "" {
		bad("-out: required")
	}
	if set.rate || c.Schedule != "" {
		bad("-iterations: runs closed loop; -rate and -schedule do not apply")
	}
	if set.window {
		bad("-iterations: runs exactly n calls; -duration and -warmup do not apply")
	}
	if c.Concurrency != 1 {
		bad("-iterations: calls the op from one goroutine; -concurrency must be 1 (got %d)", c.Concurrency)
	}
	if c.Generators > 1 || !c.StartAt.IsZero() {
		bad("-iterations: has no schedule to share; -generators and -start-at do not apply")
	}
	return errors.Join(errs...)
}

// runIterations is iterations mode: after Setup, the op is called exactly
// cfg.Iterations times, one call after the other on one goroutine, with no
// pacing, no warm-up and no clock read between calls.
//
// Note: this mode exists for counting instructions under valgrind, where
// the harness runs a workload twice, with n and 2n iterations, and takes
// the difference: everything that does not scale with n (process start,
// the runtime's start-up, Setup, writing the files) cancels. That only
// works if nothing else in the process scales with wall time, so the loop
// reads no clock, records no per-op latency and starts no goroutine (no
// progress file, no per-second GC sampling); a pacer would also mean
// nothing on valgrind's slowed-down virtual CPU. An interrupt is noticed
// between calls by a non-blocking receive, whose cost is the same every
// time. The window's runtime figures (allocations, GC cycles) are read
// with ReadMemStats before the first call and after the last; the wall
// time of the loop gives ns/op, a closed-loop figure.
func runIterations(ctx context.Context, cfg Config, op Op) (*Result, error) {
	res := newResult(&cfg)
	res.Schedule = "closed-loop"
	res.Iterations = cfg.Iterations
	res.Scheduled = cfg.Iterations
	res.WarmupNs, res.DurationNs = 0, 0

	prof := newProfiler(cfg.Out, cfg.Profiles)
	params := NewParams(cfg.Params, cfg.Seed)
	if err := op.Setup(ctx, params); err != nil {
		prof.stop()
		res.fail(fmt.Sprintf("setup of op %s: %v", cfg.Op, err))
		return res, errors.Join(fmt.Errorf("setup of op %s: %w", cfg.Op, err), res.writeJSON(cfg.Out))
	}
	for _, k := range params.unused() {
		res.warn("param %s was not used by op %s", k, cfg.Op)
	}
	win, _ := op.(Windowed)
	if win != nil {
		if err := win.StartWindow(ctx); err != nil {
			res.warn("op StartWindow: %v", err)
		}
	}
	prof.start()
	rssOK := resetPeakRSS()
	stop := ctx.Done() // before the window: a cancelCtx makes its channel on first use
	snap0 := takeSnapshot()
	start := time.Now()
	done, errs, panicked := loop(ctx, stop, op.Do, cfg.Iterations)
	elapsed := time.Since(start)
	snap1 := takeEndSnapshot()
	res.Runtime = runtimeDelta(snap0, snap1)
	res.Runtime.PeakRSSB, res.Runtime.PeakRSSReset = peakRSS(), rssOK
	prof.stop()
	res.Files = append(res.Files, prof.files...)
	for _, err := range prof.errs {
		res.warn("%v", err)
	}
	if win != nil {
		if err := win.StopWindow(ctx); err != nil {
			res.warn("op StopWindow: %v", err)
		}
	}
	if rep, ok := op.(Reporter); ok {
		res.OpReport = rep.Report()
	}
	op.Teardown()

	res.Issued, res.Completed, res.Errors = done, done, errs
	res.ElapsedNs = int64(elapsed)
	if done > 0 && elapsed > 0 {
		res.AchievedRate = float64(done) / elapsed.Seconds()
	}
	res.Status = StatusOK
	switch {
	case panicked != "":
		res.fail(panicked)
	case done < cfg.Iterations:
		res.Interrupted = true
		res.notAchieved(fmt.Sprintf("interrupted after %d of %d iterations: %v", done, cfg.Iterations, context.Cause(ctx)))
		res.warn("run interrupted: figures cover only the iterations that ran")
	}
	if errs > 0 {
		res.warn("%d of %d ops returned an error", errs, done)
	}
	var werrs []error
	if err := writeFileAtomic(filepath.Join(cfg.Out, "bench.txt"), res.writeIterationsBench); err != nil {
		werrs = append(werrs, err)
	} else {
		res.Files = append(res.Files, "bench.txt")
	}
	werrs = append(werrs, res.writeJSON(cfg.Out))
	if res.Status == StatusFailed {
		werrs = append(werrs, errors.New(res.Reason))
	}
	return res, errors.Join(werrs...)
}

// loop calls do n times, or until stop (ctx's Done) is closed; it returns the calls made,
// how many returned an error, and why an op panicked (which ends the loop).
func loop(ctx context.Context, stop <-chan struct{}, do func(context.Context) error, n uint64) (calls, errs uint64, panicked string) {
	defer func() {
		if p := recover(); p != nil {
			calls++ // the call that panicked
			panicked = fmt.Sprintf("op panicked: %v", p)
		}
	}()
	for calls < n {
		select {
		case <-stop:
			return calls, errs, ""
		default:
		}
		if do(ctx) != nil {
			errs++
		}
		calls++
	}
	return calls, errs, ""
}
