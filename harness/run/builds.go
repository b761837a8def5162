package run

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/perfharness/harness/harness/plan"
	"github.com/perfharness/harness/harness/results"
	"github.com/perfharness/harness/harness/spec"
	"github.com/perfharness/harness/harness/toolchain"
)

// buildAll builds every build configuration the (sharded) cells need, in
// parallel, and the HTTP load client if any cell needs it.
func (r *Runner) buildAll(ctx context.Context) {
	need := map[string]bool{}
	needTool := false
	for _, c := range r.cells {
		if c.planned() && c.Build != nil {
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
	rb.ModuleRoot, rb.BinarySHA256 = bt.ModuleRoot, bt.BinarySHA256
	r.mu.Unlock()
	if bt.Log != "" {
		if data, err := readCapped(bt.Log, DefaultLogCap); err == nil {
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
	for _, c := range r.cells {
		if c.of(key) && c.planned() {
			c.rec.Status, c.rec.Reason = status, reason
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
		for _, c := range r.cells {
			if c.Workload.Kind == spec.KindHTTP && c.planned() {
				c.rec.Status, c.rec.Reason = results.StatusBuildFailed, reason
			}
		}
		r.mu.Unlock()
		r.prog.Printf("build %s: FAILED: %s", httploadPackage, results.FirstLine(err.Error()))
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
		r.prog.Printf("build %s: FAILED: %s", b.Key, results.FirstLine(reason))
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
	var first *cell
	for _, c := range r.cells {
		if c.of(b.Key) && c.planned() {
			first = c
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
	r.execute(ctx, first.Cell, first.rec, run, bt, []string{"cpu"})
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
