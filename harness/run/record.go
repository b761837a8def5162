package run

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/perfharness/harness/harness/host"
	"github.com/perfharness/harness/harness/plan"
	"github.com/perfharness/harness/harness/results"
)

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
		for _, b := range c.Workload.SLO.Bounds() {
			rc.SLO = append(rc.SLO, results.KV{Key: b.Key, Value: b.Value})
		}
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
		r.cells = append(r.cells, &cell{Cell: c, rec: rc})
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
		r.cells = append(r.cells, &cell{Cell: c, rec: rc})
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

// warn records a warning of the whole run and shows it.
func (r *Runner) warn(msg string) {
	r.mu.Lock()
	r.m.Warnings = append(r.m.Warnings, msg)
	r.mu.Unlock()
	r.prog.Printf("warning: %s", msg)
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
