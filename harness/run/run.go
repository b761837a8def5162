// Package run executes a plan: it takes the host lock, builds every build
// configuration (through a Builder), runs the cells' repetitions interleaved,
// each as a child process in its own process group with a deadline, and
// records everything in a results folder as it goes — the manifest is
// rewritten after every run, so an interrupt or a crash loses at most the run
// in progress, and `harness run --resume` completes the rest.
//
// A Runner is one execution; its jobs live in files of their own: the
// results folder's lifecycle (record.go: create or reopen it, mark
// abandoned runs, save, settle the run's status), the builds (builds.go: in
// parallel, the PGO profiling pass; ops.go checks the binaries' ops), the
// schedule (schedule.go: interleaved order, retries of invalid runs,
// stopping on an interrupt; auto.go adds rounds for count: auto), the
// execution of one run (execute.go, instr.go: fixed-rate, http, gotest and
// counted processes, classified by their exit and result.json) and the
// end-of-run table (summary.go). The plan's cells and the manifest's are
// one slice of cells.
//
// run sits above plan (the cells and builds), results (the folder it
// records into), spec, toolchain and host, compare (count: auto reads the
// run's own results) and instr (it counts instructions cells under
// valgrind as instr describes), and below verify and cli. It does not build: a
// Builder does (build.PlanBuilder, handed in by the command line; tests
// fake it). Replan re-plans a run from the spec copy its folder kept, for
// --resume and for the gate's confirmation reruns.
package run

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/perfharness/harness/harness/host"
	"github.com/perfharness/harness/harness/plan"
	"github.com/perfharness/harness/harness/results"
	"github.com/perfharness/harness/harness/spec"
	"github.com/perfharness/harness/harness/toolchain"
)

// A Builder produces the binary of a build configuration, described as
// the manifest records it (status ok, cache key, build time, size, binary,
// build info; Log is the builder's own build log, which run copies into the
// results folder). build.PlanBuilder is the real one; tests fake it.
type Builder interface {
	// Build builds b; pgoProfile, when set, is passed as -pgo. For a
	// pgo=auto build without a profile it builds the profiling-pass binary
	// (the same configuration with -pgo=off).
	Build(ctx context.Context, b *plan.Build, pgoProfile string) (*results.Build, error)
	// KeptProfile returns the PGO profile kept from an earlier profiling
	// pass of b's profiling binary, if that binary is unchanged; KeepProfile
	// keeps one. Reusing it keeps an unchanged matrix from rebuilding.
	KeptProfile(b *plan.Build) (string, bool)
	KeepProfile(b *plan.Build, file string) (string, error)
	// BuildTool builds a helper program that is not a cell (the HTTP load
	// client) from the module containing moduleDir, with default settings.
	BuildTool(ctx context.Context, tc *toolchain.Toolchain, moduleDir, pkg string) (*results.Build, error)
}

// Options configures a run.
type Options struct {
	// ResultsRoot is where results/<run-id>/ folders go ("results").
	ResultsRoot string
	// Resume names a results folder to complete instead of starting anew.
	Resume string
	// Count overrides the spec's runs.count when > 0.
	Count int
	// Shard runs only cells whose position modulo N is I-1 ("I/N").
	Shard   string
	Builder Builder
	// LockPath is the host lock (DefaultLockPath when empty); Wait says
	// whether to wait for another run holding it.
	LockPath string
	Wait     bool
	// Soft is closed on the first interrupt: finish the run in progress,
	// then stop. Canceling ctx (the second interrupt) kills it.
	Soft <-chan struct{}
	// Progress receives progress lines; TTY selects the live display.
	Progress io.Writer
	TTY      bool
	Harness  string // harness version, recorded
	// Grace is how long a process gets between SIGTERM and SIGKILL.
	Grace time.Duration
	// Host overrides the detected host fingerprint (tests).
	Host *host.Fingerprint
	// AfterRun, when set, is called after each run is recorded (manifest
	// saved), from the goroutine running the schedule, with done of total
	// runs finished. c and run belong to the runner: copy what is needed.
	AfterRun func(d *results.Dir, c *results.Cell, run *results.Run, done, total int)
	// Finally, when set, is called once the run is recorded and before
	// the host lock is released: rendering the report there keeps a
	// queued run from measuring while this one still draws plots.
	Finally func(d *results.Dir, m *results.Manifest)
}

// A Runner is one execution of a plan.
type Runner struct {
	plan  *plan.Plan
	opts  Options
	dir   *results.Dir
	m     *results.Manifest
	prog  *progress
	built map[string]*results.Build // by build key
	tool  *results.Build            // HTTP load client
	mu    sync.Mutex                // guards m while builds run in parallel
	// cells are the run's cells in the manifest's order, each the plan's
	// and the manifest's together.
	cells    []*cell
	stopping bool
	order    int // runs started so far, in schedule order (Run.Order)
	// storageErr is the first failure to write the results folder.
	storageErr error
	// specErrs are spec values the built binaries refuse (checkOps): the
	// run stops after the builds, before anything runs.
	specErrs spec.ErrorList
	// instr holds each instructions cell's benchmarks and N (instr.go).
	instr instrCells
}

// A cell is one cell of the run: what the plan says of it and what the
// manifest records, kept together (not in two slices in step by index).
type cell struct {
	*plan.Cell
	rec *results.Cell
}

// planned reports whether the cell still waits for its runs: planned, and
// not failed to build.
func (c *cell) planned() bool { return c.rec.Status == results.StatusPlanned }

// of reports whether the cell is built by build key.
func (c *cell) of(key string) bool { return c.Build != nil && c.Build.Key == key }

// Execute runs the plan and returns the results folder and its manifest. The
// error is for failures of the harness itself (results folder not writable,
// lock refused); failures of cells are data in the manifest.
func Execute(ctx context.Context, p *plan.Plan, opts Options) (*results.Dir, *results.Manifest, error) {
	if opts.ResultsRoot == "" {
		opts.ResultsRoot = "results"
	}
	if opts.LockPath == "" {
		opts.LockPath = DefaultLockPath()
	}
	if opts.Grace <= 0 {
		opts.Grace = 5 * time.Second
	}
	if opts.Progress == nil {
		opts.Progress = io.Discard
	}
	r := &Runner{plan: p, opts: opts, built: map[string]*results.Build{}, prog: newProgress(opts.Progress, opts.TTY)}
	defer r.prog.close()

	holder := fmt.Sprintf("pid %d, spec %s, started %s", os.Getpid(), p.Spec.File, time.Now().Format(time.RFC3339))
	lock, err := r.acquireLock(ctx, holder)
	if err != nil {
		return nil, nil, err
	}
	defer lock.Release()
	done := make(chan struct{})
	defer close(done) // before the progress closes: deferred later
	go func() {
		select {
		case <-opts.Soft:
			r.prog.Printf("interrupt: finishing the run in progress, then stopping (interrupt again to stop now)")
		case <-done:
		}
	}()
	r.markAbandoned()
	for _, w := range r.host().Warnings {
		r.prog.Printf("noisy host: %s", w)
	}

	if err := r.open(); err != nil {
		return nil, nil, err
	}
	r.prog.Printf("results: %s", r.dir.Path)
	r.buildAll(ctx)
	if len(r.specErrs) > 0 {
		r.finish(ctx)
		r.specErrs.Sort()
		return r.dir, r.m, r.specErrs
	}
	r.runAll(ctx)
	r.finish(ctx)
	if r.storageErr != nil {
		return r.dir, r.m, fmt.Errorf("recording results in %s: %w (the runs recorded before it are intact; free space and harness run --resume %s)", r.dir.Path, r.storageErr, r.dir.Path)
	}
	if opts.Finally != nil {
		r.prog.close() // the live status line ends before the summary
		opts.Finally(r.dir, r.m)
	}
	return r.dir, r.m, nil
}

// ErrStoppedWaiting says an interrupt came while the run waited for the
// host lock: it stopped waiting, and nothing ran.
var ErrStoppedWaiting = errors.New("interrupted while waiting for the host lock: stopped waiting; nothing ran")

// acquireLock takes the host lock, waiting for another run holding it
// unless told not to. The first interrupt (Soft) or a canceled ctx stops
// the wait with ErrStoppedWaiting.
func (r *Runner) acquireLock(ctx context.Context, holder string) (*Lock, error) {
	waitCtx, stopWaiting := context.WithCancel(ctx)
	defer stopWaiting()
	go func() {
		select {
		case <-r.opts.Soft:
			stopWaiting()
		case <-waitCtx.Done():
		}
	}()
	heldBy, asked := "", time.Now()
	lock, err := AcquireLock(waitCtx, r.opts.LockPath, r.opts.Wait, func(who string) {
		heldBy = who
		r.prog.Printf("waiting for the host lock %s, held by another harness run (%s)", r.opts.LockPath, who)
	}, holder)
	stopped := waitCtx.Err() != nil
	if err == nil && !stopped {
		select {
		case <-r.opts.Soft: // the interrupt came as the lock was taken
			stopped = true
		default:
		}
	}
	if stopped {
		if err == nil {
			lock.Release()
		}
		if heldBy != "" {
			return nil, fmt.Errorf("%w (the lock %s was held by %s)", ErrStoppedWaiting, r.opts.LockPath, heldBy)
		}
		return nil, ErrStoppedWaiting
	}
	if err == nil && heldBy != "" {
		r.prog.Printf("acquired the host lock after %s", time.Since(asked).Round(time.Second))
	}
	return lock, err
}
