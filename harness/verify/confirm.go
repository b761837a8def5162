package verify

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/perfharness/harness/harness/build"
	"github.com/perfharness/harness/harness/compare"
	"github.com/perfharness/harness/harness/gate"
	"github.com/perfharness/harness/harness/host"
	"github.com/perfharness/harness/harness/plan"
	"github.com/perfharness/harness/harness/results"
	"github.com/perfharness/harness/harness/run"
	"github.com/perfharness/harness/harness/spec"
	"github.com/perfharness/harness/harness/toolchain"
)

// RunOptions say how verify runs the harness itself, for confirmation and
// calibration runs (see run.Options).
type RunOptions struct {
	Cache    string // build cache folder ("" = the user cache folder)
	Lock     string // host lock file ("" = run.DefaultLockPath)
	Wait     bool   // wait for the host lock
	Soft     <-chan struct{}
	Progress io.Writer
	TTY      bool
	Harness  string // harness version, recorded
	// Log receives one line per step verify takes.
	Log func(string)
}

// sideKey is the configuration key that tells a confirmation run's
// candidate cells from the baseline's, so its own bench.txt reads with
// benchstat -col gate-side.
const sideKey = "gate-side"

// baselinePrefix marks the ids and build keys of the baseline's cells in a
// confirmation run.
const baselinePrefix = "baseline:"

// Confirm reruns the cells of the first verdict's suspects (its
// regressions, and the changes for the worse that may pass their
// threshold: gate.Report.Suspects) n more times — interleaved with the
// same cells of the baseline, run from the baseline's binaries when they
// are still in the build cache — into outDir/confirm, and decides again.
//
// When every rerun cell ran beside its baseline twin and n runs a side can
// reach alpha, each row of those cells is judged first on the interleaved
// reruns alone, without the calibrated noise floor: the first pass's two
// runs were made apart, so the host's drift between them (what calibration
// measures) is in their difference, while interleaved runs share the
// host's state run by run. That verdict stands where it decides; otherwise
// all samples pooled decide, never making a regression of a row the first
// pass did not call one (gate.Reconcile). Without twins, or with too few
// reruns, the samples are pooled. When confirmation cannot run, the first
// verdict stands, with a note saying why.
func Confirm(ctx context.Context, in gate.Input, first *gate.Report, n int, outDir string, o RunOptions) *gate.Report {
	c := &confirmation{in: in, first: first, o: o,
		conf: &gate.Confirmation{Runs: n, Before: first.Suspects(), Cells: []string{}}}
	for _, r := range c.conf.Before {
		if r.Cell == "" {
			c.note("%s %s (%s) is not traceable to one cell and is not rerun", r.Benchmark, r.Unit, r.Config)
		} else if !slices.Contains(c.conf.Cells, r.Cell) {
			c.conf.Cells = append(c.conf.Cells, r.Cell)
		}
	}
	slices.Sort(c.conf.Cells)
	if len(c.conf.Cells) == 0 {
		return c.unconfirmed("no suspect belongs to a single cell")
	}
	h := host.Detect()
	if h.ID != in.Candidate.Host.ID {
		return c.unconfirmed("this host (%s) is not the one the candidate ran on (%s); confirm on the same kind of host", h.ID, in.Candidate.Host.ID)
	}
	p, rb, origConfig, err := c.plan(ctx, h)
	if err != nil {
		return c.unconfirmed("%v", err)
	}
	logf(o.Log, "confirming %s: %d more runs each%s", gate.Plural(len(c.conf.Cells), "cell"), n,
		map[bool]string{true: ", interleaved with the baseline's binaries", false: " (candidate only)"}[c.conf.Baseline])
	d, m, err := run.Execute(ctx, p, run.Options{
		ResultsRoot: filepath.Join(outDir, "confirm"), Count: n, Builder: rb, LockPath: o.Lock, Wait: o.Wait,
		Soft: o.Soft, Progress: o.Progress, TTY: o.TTY, Harness: o.Harness,
	})
	if err != nil {
		return c.unconfirmed("%v", err)
	}
	c.conf.Folder = d.Path
	return c.decide(d, m, origConfig)
}

// A confirmation is one Confirm in progress.
type confirmation struct {
	in    gate.Input
	first *gate.Report
	conf  *gate.Confirmation
	o     RunOptions
}

func (c *confirmation) note(format string, args ...any) {
	c.conf.Notes = append(c.conf.Notes, fmt.Sprintf(format, args...))
}

// unconfirmed returns the first verdict with a note saying why it was not
// confirmed.
func (c *confirmation) unconfirmed(format string, args ...any) *gate.Report {
	rep := *c.first
	msg := "not confirmed: " + fmt.Sprintf(format, args...)
	c.conf.Notes = append(c.conf.Notes, msg)
	rep.Warnings = append(slices.Clone(rep.Warnings), msg)
	rep.Confirm = c.conf
	logf(c.o.Log, "%s; the first verdict stands", msg)
	return &rep
}

// plan re-plans both runs' specs on this host and builds the confirmation
// run's plan from them.
func (c *confirmation) plan(ctx context.Context, h host.Fingerprint) (*plan.Plan, *recordedBuilder, map[string][]results.KV, error) {
	candPlan, _, err := run.Replan(ctx, c.in.CandidatePath, h, c.o.Log)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("re-planning the candidate's spec: %w", err)
	}
	basePlan, _, err := run.Replan(ctx, c.in.BaselinePath, h, c.o.Log)
	if err != nil {
		c.note("the baseline is not rerun: re-planning its spec: %v", err)
		basePlan = nil
	}
	p, rb, origConfig := confirmPlan(candPlan, basePlan, c.in, c.conf, c.o.Cache)
	if len(p.Cells) == 0 {
		return nil, nil, nil, fmt.Errorf("none of the cells %s is in the candidate's plan on this host", strings.Join(c.conf.Cells, ", "))
	}
	return p, rb, origConfig, nil
}

// decide pools the confirmation run's results with the first run's, side
// by side, and decides again.
func (c *confirmation) decide(d *results.Dir, m *results.Manifest, origConfig map[string][]results.KV) *gate.Report {
	in := c.in
	var problems []string
	for _, cell := range m.Cells {
		if !cell.Status.Failed() {
			continue
		}
		if id, ok := strings.CutPrefix(cell.ID, baselinePrefix); ok {
			c.note("the baseline's rerun of %s %s: %s", id, cell.Status, results.FirstLine(cell.Reason))
		} else {
			problems = append(problems, fmt.Sprintf("confirmation run of candidate cell %s: %s: %s", cell.ID, cell.Status, results.FirstLine(cell.Reason)))
		}
	}
	if m.Status == results.RunInterrupted {
		return c.unconfirmed("the confirmation run was interrupted")
	}
	twins := map[string]bool{}
	for _, cell := range m.Cells {
		if id, ok := strings.CutPrefix(cell.ID, baselinePrefix); ok && !cell.Status.Failed() {
			twins[id] = true
		}
	}
	allTwins, enough := true, gate.Reachable(c.conf.Runs, c.conf.Runs, c.first.Alpha)
	for _, id := range c.conf.Cells {
		allTwins = allTwins && twins[id]
	}
	alone := allTwins && enough
	var reruns [2]string // each side's reruns as a bench file, "" for none
	sides := []struct{ name, path string }{{"baseline", in.BaselinePath}, {"candidate", in.CandidatePath}}
	for i, side := range sides {
		file := "bench-" + side.name + ".txt"
		wrote, err := writeSideBench(d, m, side.name, origConfig, file)
		if err != nil {
			return c.unconfirmed("collecting the reruns: %v", err)
		}
		if wrote {
			reruns[i] = filepath.Join(d.Path, file)
		}
	}
	pair := func(base, cand []string) ([]compare.Comparison, error) {
		var sets [2]*compare.Set
		for i, files := range [][]string{base, cand} {
			var err error
			if sets[i], err = compare.LoadFiles(slices.DeleteFunc(files, func(f string) bool { return f == "" })...); err != nil {
				return nil, fmt.Errorf("reading the reruns: %w", err)
			}
		}
		return compare.Pair(sets[0], sets[1], compare.Options{Alpha: in.Policy.Alpha})
	}
	cmps, err := pair([]string{filepath.Join(in.BaselinePath, results.BenchFile), reruns[0]},
		[]string{filepath.Join(in.CandidatePath, results.BenchFile), reruns[1]})
	if err != nil {
		return c.unconfirmed("comparing: %v", err)
	}
	in.Comparisons = cmps
	rep := gate.Decide(in)
	switch {
	case alone && reruns[0] != "" && reruns[1] != "":
		own, err := pair([]string{reruns[0]}, []string{reruns[1]})
		if err != nil {
			return c.unconfirmed("comparing the reruns: %v", err)
		}
		ain := in
		ain.Comparisons, ain.Policy.Interleaved = rerunsAlone(cmps, own)
		rep, c.conf.Decided = gate.Reconcile(c.first, rep, gate.Decide(ain), ain.Policy.Interleaved)
		c.conf.Alone = true
		c.note("the rerun cells' rows are judged first on their %d interleaved reruns a side alone, without the calibrated noise floor (the first pass's runs were made apart and carry the host's drift between them): %d decided there (a regression, or an interval whose worse end stays within the threshold); the others on all samples together",
			c.conf.Runs, c.conf.Decided)
	case alone:
		c.note("the rerun cells are judged on the first run's samples and the reruns' together: one side's reruns left no results")
	case !allTwins:
		c.note("the rerun cells are judged on the first run's samples and the reruns' together: not every baseline cell was rerun beside them")
	default:
		c.note("the rerun cells are judged on the first run's samples and the reruns' together: %d reruns a side are too few for the test alone", c.conf.Runs)
	}
	for _, pr := range problems {
		rep.AddProblem(pr)
	}
	suspect := map[string]bool{}
	for _, b := range c.conf.Before {
		suspect[gate.RowKey(b.Config, b.Benchmark, b.Unit)] = true
	}
	for _, r := range rep.Rows {
		switch k := gate.RowKey(r.Config, r.Benchmark, r.Unit); {
		case suspect[k] && r.Fails():
			c.conf.Confirmed++
		case suspect[k]:
			c.conf.Cleared++
		case r.Fails() && slices.Contains(c.conf.Cells, r.Cell):
			c.conf.New++
		}
	}
	rep.Confirm = c.conf
	return rep
}

// rerunsAlone returns the comparisons with those the reruns have replaced
// by the reruns' (the comparisons of the interleaved reruns alone), and
// the keys of the replaced rows for gate.Policy.Interleaved. A row the
// reruns lack keeps its comparison on all samples, so the family the gate
// adjusts over stays the same.
func rerunsAlone(cmps, reruns []compare.Comparison) ([]compare.Comparison, map[string]bool) {
	key := func(c compare.Comparison) string { return gate.RowKey(c.Table, c.Row, c.Unit) }
	rerun := map[string]bool{}
	for _, c := range reruns {
		rerun[key(c)] = true
	}
	var out []compare.Comparison
	for _, c := range cmps {
		if !rerun[key(c)] {
			out = append(out, c)
		}
	}
	keys := map[string]bool{}
	for _, c := range reruns {
		out = append(out, c)
		keys[gate.InterleavedKey(c.Table, c.Row)] = true
	}
	return out, keys
}

// confirmPlan builds the confirmation run's plan: the candidate's cells to
// rerun and, where the baseline's plan has the same cell and its binary is
// still in the build cache (cacheDir), a twin of each under "baseline:"
// running the baseline's binary with the baseline's settings. origConfig
// maps each cell id of the new plan to the configuration its results must
// carry to pool with the first run's.
func confirmPlan(candPlan, basePlan *plan.Plan, in gate.Input, conf *gate.Confirmation, cacheDir string) (*plan.Plan, *recordedBuilder, map[string][]results.KV) {
	s := *candPlan.Spec
	interleave := true
	s.Runs.Interleave = &interleave
	// Shuffled within each round, so that neither side always runs first:
	// an order effect would otherwise favour one side in every pair.
	s.Runs.Shuffle = spec.Shuffle{On: true}
	p := &plan.Plan{Spec: &s, Host: candPlan.Host, Toolchains: candPlan.Toolchains, Dimensions: candPlan.Dimensions}
	rb := &recordedBuilder{recorded: map[string]*results.Build{}, planned: map[string]*plan.Build{}, pinned: map[string]bool{}, cacheDir: cacheDir}
	for _, b := range in.Candidate.Builds {
		rb.recorded[b.Key] = b
	}
	for _, b := range in.Baseline.Builds {
		rb.recorded[baselinePrefix+b.Key] = b
		rb.pinned[baselinePrefix+b.Key] = true
	}
	origConfig := map[string][]results.KV{}
	builds := map[string]*plan.Build{}
	addBuild := func(b *plan.Build) {
		if builds[b.Key] == nil {
			builds[b.Key] = b
			rb.planned[b.Key] = b
			p.Builds = append(p.Builds, b)
		}
	}
	for _, id := range conf.Cells {
		cc, rc := plannedCell(candPlan, id), in.Candidate.Cell(id)
		if cc == nil || rc == nil {
			conf.Notes = append(conf.Notes, fmt.Sprintf("cell %s is not planned on this host now; not rerun", id))
			continue
		}
		c := *cc
		c.Config = withSide(cc.Config, "candidate")
		p.Cells = append(p.Cells, &c)
		addBuild(c.Build)
		origConfig[c.ID] = rc.Config
		bc, brc := plannedCell(basePlan, id), in.Baseline.Cell(id)
		if bc == nil || brc == nil {
			conf.Notes = append(conf.Notes, fmt.Sprintf("the baseline has no cell %s to rerun", id))
			continue
		}
		b := builds[baselinePrefix+bc.Build.Key]
		if b == nil {
			bb := *bc.Build
			bb.Key = baselinePrefix + bc.Build.Key
			b = &bb
		}
		rb.planned[b.Key] = b
		if _, err := rb.cached(baselinePrefix + brc.Build); err != nil {
			conf.Notes = append(conf.Notes, fmt.Sprintf("the baseline's binary for %s is not rerun (%v); only the candidate is rerun", id, err))
			continue
		}
		addBuild(b)
		twin := *bc
		twin.ID = baselinePrefix + bc.ID
		twin.Config = withSide(bc.Config, "baseline")
		twin.Build = b
		p.Cells = append(p.Cells, &twin)
		origConfig[twin.ID] = brc.Config
		conf.Baseline = true
	}
	return p, rb, origConfig
}

// plannedCell returns the planned cell id of pl, or nil.
func plannedCell(pl *plan.Plan, id string) *plan.Cell {
	if pl == nil {
		return nil
	}
	for _, c := range pl.Cells {
		if c.ID == id && c.Status == plan.Planned && c.Build != nil {
			return c
		}
	}
	return nil
}

func withSide(cfg []spec.KV, side string) []spec.KV {
	return append(slices.Clone(cfg), spec.KV{Key: sideKey, Value: side})
}

// A recordedBuilder runs the binaries a run recorded instead of building
// anew: a confirmation must run the very code that was measured. The
// binary is the build cache's entry under the cache key the run recorded,
// its digest checked (build.Builder.Verified) — never the binary path a
// manifest names: a results folder is untrusted and could name any
// executable. A candidate binary not in the cache is rebuilt, and refused
// if the rebuild's key differs (the source changed since); a baseline
// binary (pinned) is never rebuilt.
type recordedBuilder struct {
	recorded map[string]*results.Build // by plan build key
	planned  map[string]*plan.Build    // by plan build key
	pinned   map[string]bool
	cacheDir string
	real     *build.PlanBuilder
}

var _ run.Builder = (*recordedBuilder)(nil)

// cached returns the build recorded under the plan key as this host's
// build cache holds it, or why it cannot be used.
func (b *recordedBuilder) cached(key string) (*results.Build, error) {
	rec := b.recorded[key]
	if rec == nil || rec.Status != results.StatusOK {
		return nil, fmt.Errorf("the run recorded no binary for %s", strings.TrimPrefix(key, baselinePrefix))
	}
	if rec.CacheKey == "" {
		return nil, fmt.Errorf("the run recorded no cache key for %s", strings.TrimPrefix(key, baselinePrefix))
	}
	pb := b.planned[key]
	if pb == nil {
		return nil, fmt.Errorf("%s is not planned", strings.TrimPrefix(key, baselinePrefix))
	}
	real, err := b.builder()
	if err != nil {
		return nil, err
	}
	bt, err := real.Verified(pb, rec.CacheKey, rec.BinarySHA256)
	if err != nil {
		return nil, err
	}
	bt.Log = ""
	return bt, nil
}

func (b *recordedBuilder) builder() (*build.PlanBuilder, error) {
	if b.real == nil {
		r, err := build.NewPlanBuilder(b.cacheDir)
		if err != nil {
			return nil, err
		}
		b.real = r
	}
	return b.real, nil
}

func (b *recordedBuilder) Build(ctx context.Context, pb *plan.Build, profile string) (*results.Build, error) {
	bt, err := b.cached(pb.Key)
	if err == nil {
		return bt, nil
	}
	if b.pinned[pb.Key] {
		return nil, fmt.Errorf("the baseline's binary for %s is not rerun: %w", strings.TrimPrefix(pb.Key, baselinePrefix), err)
	}
	// Rebuild from the sources here: the result is the measured code only
	// if it lands on the cache key the candidate recorded.
	rec := b.recorded[pb.Key]
	if rec == nil || rec.CacheKey == "" {
		return nil, fmt.Errorf("the candidate's binary for %s cannot be used (%v), and the candidate recorded no cache key to check a rebuild against", pb.Key, err)
	}
	real, err := b.builder()
	if err != nil {
		return nil, err
	}
	bt, err = real.Build(ctx, pb, profile)
	if err != nil {
		return nil, err
	}
	if bt.CacheKey != rec.CacheKey {
		return nil, fmt.Errorf("the candidate's binary for %s is not in the build cache and a rebuild differs (cache key %s, was %s): the source changed since the candidate ran",
			pb.Key, bt.CacheKey, rec.CacheKey)
	}
	return bt, nil
}

func (b *recordedBuilder) KeptProfile(pb *plan.Build) (string, bool) {
	if _, err := b.cached(pb.Key); err == nil {
		return "", true // the recorded binary was built with its profile already
	}
	if b.pinned[pb.Key] || b.real == nil {
		return "", false
	}
	return b.real.KeptProfile(pb)
}

func (b *recordedBuilder) KeepProfile(pb *plan.Build, file string) (string, error) {
	if b.pinned[pb.Key] || b.real == nil {
		return "", fmt.Errorf("no profiling build of %s", pb.Key)
	}
	return b.real.KeepProfile(pb, file)
}

func (b *recordedBuilder) BuildTool(ctx context.Context, tc *toolchain.Toolchain, moduleDir, pkg string) (*results.Build, error) {
	real, err := b.builder()
	if err != nil {
		return nil, err
	}
	return real.BuildTool(ctx, tc, moduleDir, pkg)
}

// writeSideBench writes the results of one side's cells of a confirmation
// run as a bench.txt under the configuration the first run's cells had,
// so that compare pools them with the first run's samples. It reports
// whether any result was written.
func writeSideBench(d *results.Dir, m *results.Manifest, side string, origConfig map[string][]results.KV, file string) (bool, error) {
	w := results.NewBenchWriter([]results.KV{{Key: "goos", Value: m.Host.OS}, {Key: "goarch", Value: m.Host.Arch},
		{Key: "host-id", Value: m.Host.ID}, {Key: "harness-run", Value: m.RunID}})
	wrote := false
	for _, c := range m.Cells {
		if configValue(c.Config, sideKey) != side {
			continue
		}
		lines, err := d.ReadRunBench(c)
		if err != nil {
			return false, err
		}
		wrote = w.Block(origConfig[c.ID], lines) || wrote
	}
	if !wrote {
		return false, nil
	}
	return true, d.WriteFile(file, w.Bytes())
}

func configValue(cfg []results.KV, key string) string {
	for _, kv := range cfg {
		if kv.Key == key {
			return kv.Value
		}
	}
	return ""
}
