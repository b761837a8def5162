// Package run executes a plan: it takes the host lock, builds every build
// configuration (through a Builder), runs the cells' repetitions interleaved,
// each as a child process in its own process group with a deadline, and
// records everything in a results folder as it goes — the manifest is
// rewritten after every run, so an interrupt or a crash loses at most the run
// in progress, and `harness run --resume` completes the rest.
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
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/perfharness/harness/harness/escape"
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
	plan     *plan.Plan
	opts     Options
	dir      *results.Dir
	m        *results.Manifest
	prog     *progress
	built    map[string]*results.Build // by build key
	tool     *results.Build            // HTTP load client
	mu       sync.Mutex                // guards m while builds run in parallel
	cells    []*plan.Cell              // plan cells in manifest order
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

// markAbandoned marks runs that say "running" but whose harness is gone.
// Holding the host lock proves no harness on this host is running, so any
// such folder from this host was left by one that died (kill -9, power).
func (r *Runner) markAbandoned() {
	dirs, err := results.ListRuns(r.opts.ResultsRoot)
	if err != nil {
		return
	}
	h := r.host()
	for _, path := range dirs {
		d, err := results.Open(path)
		if err != nil {
			continue
		}
		m, err := d.ReadManifest()
		if err != nil || m.Status != results.RunRunning || m.Host.Hostname != h.Hostname {
			continue
		}
		m.Status = results.RunAbandoned
		m.Reason = fmt.Sprintf("the harness (pid %d) stopped without finishing; harness run --resume %s completes it", m.PID, path)
		for _, c := range m.Cells {
			for _, run := range c.Runs {
				if run.Status == results.StatusPlanned && !run.Started.IsZero() {
					run.Status, run.Reason = results.StatusInterrupted, "the harness died during this run"
				}
			}
		}
		if err := d.WriteManifest(m); err == nil {
			r.prog.Printf("marked %s abandoned (its harness died mid-run)", path)
		}
	}
}

func (r *Runner) host() host.Fingerprint {
	if r.opts.Host != nil {
		return *r.opts.Host
	}
	return r.plan.Host
}

// open creates the results folder and its manifest, or reopens the one to
// resume, checking it belongs to the same plan.
func (r *Runner) open() error {
	p := r.plan
	s := p.Spec
	count := s.Runs.Count
	auto := s.Runs.Auto
	if r.opts.Count > 0 {
		count, auto = r.opts.Count, false
	}
	shardI, shardN, err := results.ParseShard(r.opts.Shard)
	if err != nil {
		return err
	}
	if r.opts.Resume != "" {
		return r.reopen(shardI, shardN)
	}
	now := time.Now()
	var d *results.Dir
	for i := 0; ; i++ {
		id := results.NewRunID(now, s.Name, i+1)
		d, err = results.Create(r.opts.ResultsRoot, id)
		if err == nil {
			break
		}
		if !errors.Is(err, os.ErrExist) || i > 20 {
			return err
		}
	}
	r.dir = d
	seed := s.Runs.Shuffle.Seed
	if s.Runs.Shuffle.On && seed == 0 {
		seed = now.UnixNano()
	}
	m := &results.Manifest{
		Format: results.FormatVersion, RunID: filepath.Base(d.Path), Name: s.Name,
		SpecFile: s.File, SpecSHA256: results.SHA256(s.Source), SpecDir: s.Dir, Status: results.RunRunning,
		Harness: r.opts.Harness, PID: os.Getpid(), Started: now, Host: r.host(),
		Count: count, Retries: *s.Runs.Retries, Interleave: *s.Runs.Interleave, Shuffle: s.Runs.Shuffle.On, Seed: seed,
		Shard: r.opts.Shard, Profiles: s.Profiles,
		Gate: results.Gate{Threshold: float64(s.Gate.Threshold), Alpha: s.Gate.Alpha,
			FDR: float64(s.Gate.FDR.Level), FDROff: s.Gate.FDR.Off},
		Report:   results.Projection{Col: s.Report.Col, Row: s.Report.Row, Table: s.Report.Table, Filter: s.Report.Filter},
		Warnings: append([]string{}, p.Warnings...),
	}
	if m.Profiles == nil {
		m.Profiles = []string{}
	}
	if len(s.Gate.Metrics) > 0 {
		m.Gate.Metrics = map[string]float64{}
		for k, v := range s.Gate.Metrics {
			m.Gate.Metrics[k] = float64(v)
		}
	}
	for _, d := range p.Dimensions {
		m.Dimensions = append(m.Dimensions, string(d))
	}
	m.Questions = results.QuestionsOf(s.Questions())
	if auto {
		m.Auto = &results.AutoCount{CITarget: float64(s.Runs.CITarget), MaxCount: s.Runs.MaxCount, MaxTimeNs: int64(s.Runs.MaxTime)}
	}
	for _, tc := range p.Toolchains {
		id, _ := tc.Identity()
		m.Toolchains = append(m.Toolchains, results.Toolchain{Name: tc.Name, Version: tc.Version, GOROOT: tc.GOROOT,
			Identity: id, Defaults: tc.Defaults, Experiments: tc.Experiments})
	}
	for _, b := range p.Builds {
		m.Builds = append(m.Builds, &results.Build{Key: b.Key, Status: results.StatusPlanned, Env: b.Env, Flags: b.Flags})
	}
	for i, c := range p.Cells {
		if !results.InShard(i, shardI, shardN) {
			continue
		}
		rc := &results.Cell{ID: c.ID, Dir: filepath.Join("cells", results.CellDir(c.ID)), Workload: c.Workload.Name,
			Op: c.Op, Kind: c.Workload.Kind, Status: c.Status, Reason: c.Reason, RunEnv: c.RunEnv, Runs: []*results.Run{}}
		rc.Config = slices.Clone(c.Config)
		if c.Build != nil {
			rc.Build = c.Build.Key
		}
		if c.VirtualCPU != nil && p.Valgrind != nil {
			rc.VirtualCPU = virtualCPU(p.Valgrind, c.VirtualCPU)
		}
		if c.Status == plan.Planned {
			for rep := 1; rep <= count; rep++ {
				rc.Runs = append(rc.Runs, &results.Run{Index: rep, Status: results.StatusPlanned,
					Dir: filepath.Join(rc.Dir, fmt.Sprintf("run-%d", rep))})
			}
		}
		m.Cells = append(m.Cells, rc)
		r.cells = append(r.cells, c)
	}
	r.m = m
	if err := d.WriteFile(results.SpecFile, s.Source); err != nil {
		return err
	}
	if err := r.save(); err != nil {
		return err
	}
	results.SetLatest(r.opts.ResultsRoot, m.RunID)
	return nil
}

// reopen continues an interrupted or abandoned run: same folder, same cells
// (the plan must match), finished runs kept.
func (r *Runner) reopen(shardI, shardN int) error {
	path, err := filepath.EvalSymlinks(r.opts.Resume)
	if err != nil {
		return err
	}
	d, err := results.Open(path)
	if err != nil {
		return err
	}
	m, err := d.ReadManifest()
	if err != nil {
		return err
	}
	if !m.Status.Resumable() {
		return fmt.Errorf("%s is %s: nothing to resume", d.Path, m.Status)
	}
	byID := map[string]*plan.Cell{}
	for _, c := range r.plan.Cells {
		byID[c.ID] = c
	}
	for _, rc := range m.Cells {
		c := byID[rc.ID]
		if c == nil {
			return fmt.Errorf("resuming %s: its cell %s is not in the plan any more (did the spec or the host change?)", d.Path, rc.ID)
		}
		if (c.Status == plan.Planned) != (rc.Status != results.StatusSkipped) {
			return fmt.Errorf("resuming %s: cell %s was %s and is now %s (did the host change?)", d.Path, rc.ID, rc.Status, c.Status)
		}
		r.cells = append(r.cells, c)
		// A cell that failed to build gets another chance.
		if rc.Status == results.StatusBuildFailed {
			rc.Status, rc.Reason = results.StatusPlanned, ""
		}
		pending := false
		for _, run := range rc.Runs {
			if !run.Finished() {
				run.Status, run.Reason = results.StatusPlanned, ""
				pending = true
			}
		}
		if pending && rc.Status != results.StatusSkipped {
			rc.Status, rc.Reason = results.StatusPlanned, ""
		}
	}
	m.Status, m.Reason, m.PID, m.Finished = results.RunRunning, "", os.Getpid(), time.Time{}
	m.Warnings = append(m.Warnings, fmt.Sprintf("resumed at %s", time.Now().Format(time.RFC3339)))
	r.dir, r.m = d, m
	r.prog.Printf("resuming %s", d.Path)
	return r.save()
}

// save writes the manifest; a failure is reported once but does not stop the
// run (the run folders still hold the results).
func (r *Runner) save() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.dir.WriteManifest(r.m)
}

// saveOrStop writes the manifest; when that fails (disk full, folder gone)
// the run cannot record anything more, so it stops after the run in
// progress and Execute reports the error. What was written before stays
// readable: every write replaces a whole file or nothing.
func (r *Runner) saveOrStop() {
	if err := r.save(); err != nil && r.storageErr == nil {
		r.storageErr = err
		r.prog.Printf("cannot record results: %v; stopping", err)
	}
}

// buildAll builds every build configuration the (sharded) cells need, in
// parallel, and the HTTP load client if any cell needs it.
func (r *Runner) buildAll(ctx context.Context) {
	need := map[string]bool{}
	needTool := false
	for i, c := range r.cells {
		if r.m.Cells[i].Status == results.StatusPlanned && c.Build != nil {
			need[c.Build.Key] = true
			needTool = needTool || c.Workload.Kind == spec.KindHTTP
		}
	}
	var builds []*plan.Build
	for _, b := range r.plan.Builds {
		if need[b.Key] {
			builds = append(builds, b)
		}
	}
	if len(builds) == 0 {
		return
	}
	r.prog.Printf("building %s", plural(len(builds), "configuration"))
	r.prog.status(fmt.Sprintf("building %s", plural(len(builds), "configuration")), 0, "")
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(1, numCPU()))
	for _, b := range builds {
		if b.PGO == "auto" {
			continue // built after a profiling pass, below
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			r.build(ctx, b, "")
		}()
	}
	if needTool {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.buildTool(ctx)
		}()
	}
	wg.Wait()
	for _, b := range builds {
		if b.PGO == "auto" && ctx.Err() == nil && len(r.specErrs) == 0 {
			r.buildPGO(ctx, b)
		}
	}
	r.saveOrStop()
}

// build builds one configuration and records the outcome on the build and
// its cells.
func (r *Runner) build(ctx context.Context, b *plan.Build, profile string) *results.Build {
	start := time.Now()
	bt, err := r.opts.Builder.Build(ctx, b, profile)
	check := time.Since(start)
	r.mu.Lock()
	rb := r.buildRecord(b.Key)
	if err != nil {
		rb.Status, rb.Reason = results.StatusBuildFailed, err.Error()
		r.failCellsOfBuild(b.Key, results.StatusBuildFailed, err.Error())
		r.mu.Unlock()
		r.prog.Printf("build %s: FAILED: %s", b.Key, buildErrorLine(err.Error()))
		return nil
	}
	r.built[b.Key] = bt
	rb.Status, rb.Reason, rb.CacheKey, rb.Cached = results.StatusOK, "", bt.CacheKey, bt.Cached
	rb.BuildNs, rb.SizeB, rb.Binary, rb.GoVersion, rb.Settings = bt.BuildNs, bt.SizeB, bt.Binary, bt.GoVersion, bt.Settings
	rb.ModuleRoot = bt.ModuleRoot
	r.mu.Unlock()
	if bt.Log != "" {
		if data, err := os.ReadFile(bt.Log); err == nil {
			rel := filepath.Join("builds", results.CellDir(b.Key)+".log")
			if _, err := r.dir.MkdirAll("builds"); err == nil && r.dir.WriteFile(rel, data) == nil {
				r.mu.Lock()
				rb.Log = rel
				r.mu.Unlock()
			}
		}
	}
	r.checkOps(ctx, b, bt)
	if bt.Cached {
		r.prog.Printf("build %s: cache hit (checked in %s; originally built in %s, %s)", b.Key,
			check.Round(time.Millisecond), time.Duration(bt.BuildNs).Round(time.Millisecond), sizeString(bt.SizeB))
	} else {
		r.prog.Printf("build %s: built in %s (%s)", b.Key, time.Duration(bt.BuildNs).Round(time.Millisecond), sizeString(bt.SizeB))
	}
	return bt
}

// warn records a warning of the whole run and shows it.
func (r *Runner) warn(msg string) {
	r.mu.Lock()
	r.m.Warnings = append(r.m.Warnings, msg)
	r.mu.Unlock()
	r.prog.Printf("warning: %s", msg)
}

// buildRecord returns the manifest record of a build, adding it if the plan
// gained it (the pgo=off companion of a pgo=auto build). Callers hold r.mu.
func (r *Runner) buildRecord(key string) *results.Build {
	for _, b := range r.m.Builds {
		if b.Key == key {
			return b
		}
	}
	b := &results.Build{Key: key, Status: results.StatusPlanned}
	r.m.Builds = append(r.m.Builds, b)
	return b
}

// failCellsOfBuild marks every still-planned cell of a build. Callers hold r.mu.
func (r *Runner) failCellsOfBuild(key string, status results.Status, reason string) {
	for i, c := range r.cells {
		if c.Build != nil && c.Build.Key == key && r.m.Cells[i].Status == results.StatusPlanned {
			r.m.Cells[i].Status, r.m.Cells[i].Reason = status, reason
		}
	}
}

// buildTool builds the HTTP load client once, with the first toolchain, from
// the module of the first http workload.
func (r *Runner) buildTool(ctx context.Context) {
	var dir string
	var tc *toolchain.Toolchain
	for _, c := range r.cells {
		if c.Workload.Kind == spec.KindHTTP && c.Build != nil {
			dir, tc = c.Build.Package, c.TC
			break
		}
	}
	bt, err := r.opts.Builder.BuildTool(ctx, tc, dir, httploadPackage)
	if err != nil {
		reason := fmt.Sprintf("building the load client %s: %v", httploadPackage, err)
		r.mu.Lock()
		for i, c := range r.cells {
			if c.Workload.Kind == spec.KindHTTP && r.m.Cells[i].Status == results.StatusPlanned {
				r.m.Cells[i].Status, r.m.Cells[i].Reason = results.StatusBuildFailed, reason
			}
		}
		r.mu.Unlock()
		r.prog.Printf("build %s: FAILED: %s", httploadPackage, firstLine(err.Error()))
		return
	}
	r.tool = bt
	r.prog.Printf("build %s: ready (%s)", httploadPackage, map[bool]string{true: "cache hit", false: "built"}[bt.Cached])
}

// httploadPackage is the open-loop HTTP client http cells are driven with.
const httploadPackage = "github.com/perfharness/harness/workloads/httpload"

// buildPGO builds a pgo=auto configuration: first its pgo=off twin, then one
// profiling run of its first cell, then the build with that profile — so
// PGO's effect is one more column in the comparison, as in sweet. A profile
// kept from an earlier pass with the same binary is reused.
func (r *Runner) buildPGO(ctx context.Context, b *plan.Build) {
	fail := func(reason string) {
		r.mu.Lock()
		rb := r.buildRecord(b.Key)
		rb.Status, rb.Reason = results.StatusBuildFailed, reason
		r.failCellsOfBuild(b.Key, results.StatusBuildFailed, reason)
		r.mu.Unlock()
		r.prog.Printf("build %s: FAILED: %s", b.Key, firstLine(reason))
	}
	pass := *b
	pass.Key = b.Key + "+profiling-pass"
	bt := r.build(ctx, &pass, "")
	if bt == nil {
		fail("the pgo=off build for the profiling pass failed")
		return
	}
	// The pass binary answers for the op names before the profiling run
	// uses them (build found no cells under the pass's key).
	if r.checkOps(ctx, b, bt); len(r.specErrs) > 0 {
		return
	}
	if kept, ok := r.opts.Builder.KeptProfile(b); ok {
		r.prog.Printf("build %s: reusing the PGO profile of an earlier pass with the same binary", b.Key)
		r.build(ctx, b, kept)
		return
	}
	var first *plan.Cell
	var rc *results.Cell
	for i, c := range r.cells {
		if c.Build != nil && c.Build.Key == b.Key && r.m.Cells[i].Status == results.StatusPlanned {
			first, rc = c, r.m.Cells[i]
			break
		}
	}
	if first == nil {
		return
	}
	rel := filepath.Join("pgo", results.CellDir(b.Key))
	dir, err := r.dir.MkdirAll(rel)
	if err != nil {
		fail(err.Error())
		return
	}
	r.prog.Printf("build %s: profiling pass of %s", b.Key, first.ID)
	run := &results.Run{Index: 0, Dir: rel}
	r.execute(ctx, first, rc, run, bt, []string{"cpu"})
	if run.Status != results.StatusOK && !run.Status.Invalid() {
		fail(fmt.Sprintf("the PGO profiling pass %s: %s", run.Status, run.Reason))
		return
	}
	profile := filepath.Join(dir, "cpu.pprof")
	if _, err := os.Stat(profile); err != nil {
		fail("the PGO profiling pass wrote no CPU profile")
		return
	}
	if kept, err := r.opts.Builder.KeepProfile(b, profile); err == nil {
		profile = kept
	}
	r.build(ctx, b, profile)
}

// runAll runs every planned repetition in schedule order.
func (r *Runner) runAll(ctx context.Context) {
	var runnable []int // indexes into r.cells / r.m.Cells
	for i := range r.cells {
		if r.m.Cells[i].Status == results.StatusPlanned && r.built[r.cells[i].Build.Key] != nil {
			runnable = append(runnable, i)
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
		rc := r.m.Cells[runnable[sl.Cell]]
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
func (r *Runner) runSlot(ctx context.Context, runnable []int, sl Slot, n, total int) {
	i := runnable[sl.Cell]
	c, rc := r.cells[i], r.m.Cells[i]
	run := rc.Runs[sl.Rep-1]
	r.order++
	run.Order = r.order
	r.prog.status(fmt.Sprintf("run %d/%d %s #%d/%d", n, total, shorten(c.ID, 70), sl.Rep, r.m.Count), expectedDuration(c),
		filepath.Join(r.dir.Path, run.Dir, "progress.json"))
	r.execute(ctx, c, rc, run, r.built[c.Build.Key], r.m.Profiles)
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
func (r *Runner) retryAll(ctx context.Context, runnable []int, slots []Slot) {
	for {
		var todo []Slot
		for _, sl := range slots {
			run := r.m.Cells[runnable[sl.Cell]].Runs[sl.Rep-1]
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
			rc := r.m.Cells[runnable[sl.Cell]]
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

// updateCellStatus derives a cell's status from its runs
// (results.CellStatus).
func (r *Runner) updateCellStatus(rc *results.Cell) {
	switch rc.Status {
	case results.StatusSkipped, results.StatusBuildFailed:
		return // decided before any run
	}
	rc.Status, rc.Reason = results.CellStatus(rc.Runs)
}

// finish settles the run's status, records the host state at the end and
// writes everything.
func (r *Runner) finish(ctx context.Context) {
	m := r.m
	m.Finished = time.Now()
	after := host.Detect()
	m.HostAfter = &after
	for _, rc := range m.Cells {
		r.updateCellStatus(rc)
	}
	switch {
	case len(r.specErrs) > 0:
		m.Status, m.Reason = results.RunIncomplete, "stopped after building, before running: the spec does not match the built workloads ("+r.specErrs[0].Msg+")"
	case r.stopping || ctx.Err() != nil:
		m.Status = results.RunInterrupted
		m.Reason = "stopped by an interrupt; harness run --resume " + r.dir.Path + " completes it"
	default:
		m.Status, m.Reason = m.Outcome()
	}
	if err := results.AssembleBench(r.dir, m); err != nil && r.storageErr == nil {
		r.storageErr = err
	}
	r.saveOrStop() // after bench.txt: the manifest records its digest
}

var compileErrorRE = regexp.MustCompile(`(?m)^.*\.(go|s|c|h):\d+(:\d+)?: .*$`)

// buildErrorLine picks the line of a build error worth one line of
// progress: the first compiler diagnostic, else the first line.
func buildErrorLine(s string) string {
	if m := compileErrorRE.FindString(s); m != "" {
		return strings.TrimSpace(m)
	}
	return firstLine(s)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func sizeString(b int64) string {
	switch {
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(b)/(1<<10))
	}
	return fmt.Sprintf("%d B", b)
}

// runLine is the progress line of a finished run.
func runLine(n, total int, id string, run *results.Run, count int) string {
	s := fmt.Sprintf("[%d/%d] %s #%d/%d: %s", n, total, id, run.Index, count, run.Status)
	if run.AchievedRate > 0 {
		s += fmt.Sprintf(", %.4g/%.4g ops/s, p50 %s, p99 %s", run.AchievedRate, run.TargetRate,
			sig4(time.Duration(run.P50Ns)), sig4(time.Duration(run.P99Ns)))
	}
	s += fmt.Sprintf(" (%s)", time.Duration(run.Duration).Round(time.Millisecond))
	if run.Reason != "" {
		s += ": " + firstLine(run.Reason)
	}
	return s
}

// Summary writes the end-of-run table: every cell with its status, runs,
// headline figures and, for failures, the reason.
func Summary(w io.Writer, d *results.Dir, m *results.Manifest) {
	w = escape.NewWriter(w) // labels, reasons and names come from outside
	fmt.Fprintf(w, "\n%s: %s", escape.Line(m.RunID), escape.Line(string(m.Status)))
	if m.Reason != "" {
		fmt.Fprintf(w, " (%s)", escape.Line(m.Reason))
	}
	fmt.Fprintf(w, "\n\n")
	type row struct{ status, id, runs, rate, p50, p99, reason string }
	rows := []row{{"STATUS", "CELL", "RUNS OK", "OPS/S|TIME/OP", "P50", "P99", "REASON"}}
	for _, c := range m.Cells {
		ok := 0
		var rates, nsPerOp []float64
		var p50s, p99s []float64
		for _, run := range c.Runs {
			if run.Status == results.StatusOK {
				ok++
				if run.AchievedRate > 0 {
					rates = append(rates, run.AchievedRate)
					p50s = append(p50s, float64(run.P50Ns))
					p99s = append(p99s, float64(run.P99Ns))
				}
				if run.NsPerOp > 0 {
					nsPerOp = append(nsPerOp, run.NsPerOp)
				}
			}
		}
		reason := firstLine(c.Reason)
		if c.Status == results.StatusBuildFailed {
			reason = buildErrorLine(c.Reason)
		}
		if reason == "" {
			reason = retriedNote(c)
		}
		rw := row{status: escape.Line(string(c.Status)), id: escape.Line(c.ID), runs: fmt.Sprintf("%d/%d", ok, len(c.Runs)), reason: escape.Line(reason)}
		if len(nsPerOp) > 0 {
			rw.rate = sig4(time.Duration(results.Median(nsPerOp))) + "/op"
		}
		if len(rates) > 0 {
			rw.rate = fmt.Sprintf("%.4g", results.Median(rates))
			rw.p50 = sig4(time.Duration(results.Median(p50s)))
			rw.p99 = sig4(time.Duration(results.Median(p99s)))
		}
		rows = append(rows, rw)
	}
	widths := make([]int, 6)
	for _, rw := range rows {
		for i, f := range []string{rw.status, rw.id, rw.runs, rw.rate, rw.p50, rw.p99} {
			widths[i] = max(widths[i], len(f))
		}
	}
	// Reasons are wrapped in their column, never cut: the advice (an
	// install command, a flag) is at their end.
	indent := 2*6 + widths[0] + widths[1] + widths[2] + widths[3] + widths[4] + widths[5]
	for _, rw := range rows {
		fmt.Fprintf(w, "%-*s  %-*s  %*s  %*s  %*s  %*s  %s\n", widths[0], rw.status, widths[1], rw.id, widths[2], rw.runs,
			widths[3], rw.rate, widths[4], rw.p50, widths[5], rw.p99, wrapAfter(rw.reason, indent, summaryWidth))
	}
	// The host's state and each cell's runs' warnings (CPU withheld,
	// histogram overflow, ...): the numbers above are read in their light.
	var notes []string
	for _, s := range m.Host.Warnings {
		notes = append(notes, "host at the start: "+s)
	}
	if m.HostAfter != nil {
		for _, s := range m.HostAfter.Warnings {
			if !slices.Contains(m.Host.Warnings, s) {
				notes = append(notes, "host at the end: "+s)
			}
		}
	}
	for _, c := range m.Cells {
		seen := map[string]bool{}
		for _, run := range c.Runs {
			for _, s := range run.Warnings {
				if k := firstLine(s); !seen[k] {
					seen[k] = true
					notes = append(notes, fmt.Sprintf("%s: %s", c.ID, k))
				}
			}
		}
	}
	if len(notes) > 0 {
		fmt.Fprintf(w, "\nwarnings:\n")
		for _, n := range notes {
			fmt.Fprintf(w, "  - %s\n", wrapAfter(escape.Line(n), 4, summaryWidth))
		}
	}
	fmt.Fprintf(w, "\nresults: %s (manifest.json, bench.txt; benchstat -col toolchain %s)\n", d.Path, filepath.Join(d.Path, results.BenchFile))
}

// retriedNote names the runs of a cell that needed retries, with the first
// attempt's reason, so an ok cell that had to be retried says so.
func retriedNote(c *results.Cell) string {
	var runs []string
	first := ""
	for _, run := range c.Runs {
		if len(run.Attempts) > 0 {
			runs = append(runs, strconv.Itoa(run.Index))
			if first == "" {
				first = firstLine(run.Attempts[0].Reason)
			}
		}
	}
	if len(runs) == 0 {
		return ""
	}
	return fmt.Sprintf("retried run %s after %s", strings.Join(runs, ", "), first)
}

// summaryWidth is the width the end summary wraps its reasons to.
const summaryWidth = 160

// wrapAfter wraps s to lines of width, every line after the first indented
// by indent (the column s starts in); a word longer than a line stays whole.
func wrapAfter(s string, indent, width int) string {
	room := max(40, width-indent)
	var b strings.Builder
	line := 0
	for i, word := range strings.Fields(s) {
		n := len([]rune(word))
		switch {
		case i == 0:
		case line+1+n > room:
			b.WriteString("\n" + strings.Repeat(" ", indent))
			line = 0
		default:
			b.WriteString(" ")
			line++
		}
		b.WriteString(word)
		line += n
	}
	return b.String()
}

// sig4 renders a duration with 3–4 significant digits: 8.196ms, not
// 8.196095ms.
func sig4(d time.Duration) string {
	if d <= 0 {
		return d.String()
	}
	unit := time.Duration(1)
	for x := d; x >= 10000; x /= 10 {
		unit *= 10
	}
	return d.Round(unit).String()
}
