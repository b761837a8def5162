package cli

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/perfharness/harness/harness/compare"
	"github.com/perfharness/harness/harness/gate"
	"github.com/perfharness/harness/harness/host"
	"github.com/perfharness/harness/harness/plan"
	"github.com/perfharness/harness/harness/results"
	"github.com/perfharness/harness/harness/run"
	"github.com/perfharness/harness/harness/spec"
	"github.com/perfharness/harness/harness/toolchain"
)

// sideKey is the configuration key that tells a confirmation run's
// candidate cells from the baseline's, so its own bench.txt reads with
// benchstat -col gate-side.
const sideKey = "gate-side"

// baselinePrefix marks the ids and build keys of the baseline's cells in a
// confirmation run.
const baselinePrefix = "baseline:"

type confirmArgs struct {
	in               gate.Input
	first            *gate.Report
	n                int
	outDir, cache    string
	wait             bool
	baseSet, candSet *compare.Set
}

// confirm reruns the cells of the first verdict's regressions n more
// times — interleaved with the same cells of the baseline, run from the
// baseline's binaries when they are still in the build cache — and decides
// again on all samples: the first run's and the reruns', on both sides. A
// regression that was a noisy moment of the host does not survive twice
// the evidence; a real one does. When confirmation cannot run, the first
// verdict stands, with a note saying why.
func (e *env) confirm(ctx context.Context, a confirmArgs) *gate.Report {
	in := a.in
	conf := &gate.Confirmation{Runs: a.n, Before: a.first.Regressions(), Cells: []string{}}
	unconfirmed := func(format string, args ...any) *gate.Report {
		rep := *a.first
		msg := "not confirmed: " + fmt.Sprintf(format, args...)
		conf.Notes = append(conf.Notes, msg)
		rep.Warnings = append(slices.Clone(rep.Warnings), msg)
		rep.Confirm = conf
		fmt.Fprintf(e.stderr, "harness: %s; the first verdict stands\n", msg)
		return &rep
	}
	for _, r := range conf.Before {
		if r.Cell == "" {
			conf.Notes = append(conf.Notes, fmt.Sprintf("%s %s (%s) is not traceable to one cell and is not rerun", r.Benchmark, r.Unit, r.Config))
		} else if !slices.Contains(conf.Cells, r.Cell) {
			conf.Cells = append(conf.Cells, r.Cell)
		}
	}
	slices.Sort(conf.Cells)
	if len(conf.Cells) == 0 {
		return unconfirmed("no regression belongs to a single cell")
	}
	h := host.Detect()
	if h.ID != in.Candidate.Host.ID {
		return unconfirmed("this host (%s) is not the one the candidate ran on (%s); confirm on the same kind of host", h.ID, in.Candidate.Host.ID)
	}
	progress := func(msg string) { fmt.Fprintf(e.stderr, "harness: %s\n", msg) }
	candPlan, err := replan(ctx, in.CandidatePath, in.Candidate, h, progress)
	if err != nil {
		return unconfirmed("re-planning the candidate's spec: %v", err)
	}
	basePlan, err := replan(ctx, in.BaselinePath, in.Baseline, h, progress)
	if err != nil {
		conf.Notes = append(conf.Notes, fmt.Sprintf("the baseline is not rerun: re-planning its spec: %v", err))
		basePlan = nil
	}
	p, rb, origConfig := confirmPlan(candPlan, basePlan, in, conf)
	if len(p.Cells) == 0 {
		return unconfirmed("none of the cells %s is in the candidate's plan on this host", strings.Join(conf.Cells, ", "))
	}
	rb.cacheDir = a.cache
	fmt.Fprintf(e.stderr, "harness: confirming %s: %d more runs each%s\n", plural(len(conf.Cells), "cell"), a.n,
		map[bool]string{true: ", interleaved with the baseline's binaries", false: " (candidate only)"}[conf.Baseline])
	d, m, err := run.Execute(ctx, p, run.Options{
		ResultsRoot: filepath.Join(a.outDir, "confirm"), Count: a.n, Builder: rb, Wait: a.wait,
		Soft: SoftStop(ctx), Progress: e.stderr, TTY: isTerminal(e.stderr), Harness: Version(),
	})
	if err != nil {
		return unconfirmed("%v", err)
	}
	conf.Folder = d.Path
	var problems []string
	for _, c := range m.Cells {
		if !c.Status.Failed() {
			continue
		}
		if strings.HasPrefix(c.ID, baselinePrefix) {
			conf.Notes = append(conf.Notes, fmt.Sprintf("the baseline's rerun of %s %s: %s", strings.TrimPrefix(c.ID, baselinePrefix), c.Status, firstLine(c.Reason)))
		} else {
			problems = append(problems, fmt.Sprintf("confirmation run of candidate cell %s: %s: %s", c.ID, c.Status, firstLine(c.Reason)))
		}
	}
	if m.Status == results.RunInterrupted {
		return unconfirmed("the confirmation run was interrupted")
	}
	candFiles := []string{filepath.Join(in.CandidatePath, results.BenchFile)}
	baseFiles := []string{filepath.Join(in.BaselinePath, results.BenchFile)}
	for _, side := range []struct {
		name  string
		files *[]string
	}{{"candidate", &candFiles}, {"baseline", &baseFiles}} {
		file := "bench-" + side.name + ".txt"
		wrote, err := writeSideBench(d, m, side.name, origConfig, file)
		if err != nil {
			return unconfirmed("collecting the reruns: %v", err)
		}
		if wrote {
			*side.files = append(*side.files, filepath.Join(d.Path, file))
		}
	}
	candSet, err := compare.LoadFiles(candFiles...)
	if err != nil {
		return unconfirmed("reading the reruns: %v", err)
	}
	baseSet, err := compare.LoadFiles(baseFiles...)
	if err != nil {
		return unconfirmed("reading the reruns: %v", err)
	}
	cmps, err := compare.Pair(baseSet, candSet, compare.Options{Alpha: in.Policy.Alpha})
	if err != nil {
		return unconfirmed("comparing: %v", err)
	}
	in.Comparisons = cmps
	rep := gate.Decide(in)
	for _, pr := range problems {
		rep.AddProblem(pr)
	}
	for _, before := range conf.Before {
		still := false
		for _, r := range rep.Rows {
			if r.Config == before.Config && r.Benchmark == before.Benchmark && r.Unit == before.Unit {
				still = r.Fails()
			}
		}
		if still {
			conf.Confirmed++
		} else {
			conf.Cleared++
		}
	}
	rep.Confirm = conf
	return rep
}

// replan plans the spec a results folder kept, against the package folder
// it was run from.
func replan(ctx context.Context, path string, m *results.Manifest, h host.Fingerprint, progress func(string)) (*plan.Plan, error) {
	s, err := spec.LoadIn(filepath.Join(path, results.SpecFile), m.SpecDir)
	if err != nil {
		return nil, err
	}
	if m.SpecSHA256 != "" && results.SHA256(s.Source) != m.SpecSHA256 {
		return nil, fmt.Errorf("%s: the spec copy does not match the manifest's sha256", filepath.Join(path, results.SpecFile))
	}
	return plan.Make(ctx, s, h, plan.Options{Resolver: &toolchain.Resolver{Progress: progress}})
}

// confirmPlan builds the confirmation run's plan: the candidate's cells to
// rerun and, where the baseline's plan has the same cell and its binary is
// still on disk, a twin of each under "baseline:" running the baseline's
// binary with the baseline's settings. origConfig maps each cell id of the
// new plan to the configuration its results must carry to pool with the
// first run's.
func confirmPlan(candPlan, basePlan *plan.Plan, in gate.Input, conf *gate.Confirmation) (*plan.Plan, *recordedBuilder, map[string][]results.KV) {
	s := *candPlan.Spec
	interleave := true
	s.Runs.Interleave = &interleave
	p := &plan.Plan{Spec: &s, Host: candPlan.Host, Toolchains: candPlan.Toolchains, Dimensions: candPlan.Dimensions}
	rb := &recordedBuilder{recorded: map[string]*results.Build{}, pinned: map[string]bool{}}
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
			p.Builds = append(p.Builds, b)
		}
	}
	withSide := func(cfg []spec.KV, side string) []spec.KV {
		return append(slices.Clone(cfg), spec.KV{Key: sideKey, Value: side})
	}
	byID := func(pl *plan.Plan, id string) *plan.Cell {
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
	for _, id := range conf.Cells {
		cc := byID(candPlan, id)
		rc := in.Candidate.Cell(id)
		if cc == nil || rc == nil {
			conf.Notes = append(conf.Notes, fmt.Sprintf("cell %s is not planned on this host now; not rerun", id))
			continue
		}
		c := *cc
		c.Config = withSide(cc.Config, "candidate")
		p.Cells = append(p.Cells, &c)
		addBuild(c.Build)
		origConfig[c.ID] = rc.Config
		bc, brc := byID(basePlan, id), in.Baseline.Cell(id)
		if bc == nil || brc == nil {
			conf.Notes = append(conf.Notes, fmt.Sprintf("the baseline has no cell %s to rerun", id))
			continue
		}
		rec := rb.recorded[baselinePrefix+brc.Build]
		if rec == nil || rec.Binary == "" || !isFile(rec.Binary) {
			conf.Notes = append(conf.Notes, fmt.Sprintf("the baseline's binary for %s is no longer in the build cache; only the candidate is rerun", id))
			continue
		}
		twin := *bc
		twin.ID = baselinePrefix + bc.ID
		twin.Config = withSide(bc.Config, "baseline")
		b := builds[baselinePrefix+bc.Build.Key]
		if b == nil {
			bb := *bc.Build
			bb.Key = baselinePrefix + bc.Build.Key
			b = &bb
			addBuild(b)
		}
		twin.Build = b
		p.Cells = append(p.Cells, &twin)
		origConfig[twin.ID] = brc.Config
		conf.Baseline = true
	}
	return p, rb, origConfig
}

func isFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

// A recordedBuilder runs the binaries a run recorded instead of building
// anew: a confirmation must run the very code that was measured. A
// candidate binary gone from the cache is rebuilt, and refused if the
// rebuild differs (the source changed since); a baseline binary (pinned)
// is never rebuilt.
type recordedBuilder struct {
	recorded map[string]*results.Build // by plan build key
	pinned   map[string]bool
	cacheDir string
	real     *builder
}

var _ run.Builder = (*recordedBuilder)(nil)

func (b *recordedBuilder) usable(key string) *results.Build {
	rec := b.recorded[key]
	if rec == nil || rec.Status != results.StatusOK || rec.Binary == "" || !isFile(rec.Binary) {
		return nil
	}
	return rec
}

func (b *recordedBuilder) builder() (*builder, error) {
	if b.real == nil {
		r, err := newBuilder(b.cacheDir)
		if err != nil {
			return nil, err
		}
		b.real = r
	}
	return b.real, nil
}

func (b *recordedBuilder) Build(ctx context.Context, pb *plan.Build, profile string) (*run.Built, error) {
	if rec := b.usable(pb.Key); rec != nil {
		return &run.Built{Binary: rec.Binary, CacheKey: rec.CacheKey, Cached: true, BuildTime: time.Duration(rec.BuildNs),
			Size: rec.SizeB, GoVersion: rec.GoVersion, Settings: rec.Settings}, nil
	}
	if b.pinned[pb.Key] {
		return nil, fmt.Errorf("the baseline's binary for %s is no longer in the build cache", strings.TrimPrefix(pb.Key, baselinePrefix))
	}
	real, err := b.builder()
	if err != nil {
		return nil, err
	}
	bt, err := real.Build(ctx, pb, profile)
	if err != nil {
		return nil, err
	}
	if rec := b.recorded[pb.Key]; rec != nil && rec.CacheKey != "" && bt.CacheKey != rec.CacheKey {
		return nil, fmt.Errorf("the candidate's binary for %s is gone from the build cache and a rebuild differs (cache key %s, was %s): the source changed since the candidate ran",
			pb.Key, bt.CacheKey, rec.CacheKey)
	}
	return bt, nil
}

func (b *recordedBuilder) KeptProfile(pb *plan.Build) (string, bool) {
	if b.usable(pb.Key) != nil {
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

func (b *recordedBuilder) BuildTool(ctx context.Context, tc *toolchain.Toolchain, moduleDir, pkg string) (*run.Built, error) {
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
	var b bytes.Buffer
	fmt.Fprintf(&b, "goos: %s\ngoarch: %s\nhost-id: %s\nharness-run: %s\n", m.Host.OS, m.Host.Arch, m.Host.ID, m.RunID)
	units := map[string]bool{}
	var prev []results.KV
	wrote := false
	for _, c := range m.Cells {
		if sideOf(c) != side {
			continue
		}
		cfg := origConfig[c.ID]
		var body bytes.Buffer
		for _, r := range c.Runs {
			if r.Status != results.StatusOK {
				continue
			}
			data, err := d.ReadFile(filepath.Join(r.Dir, results.BenchFile))
			if err != nil {
				return false, fmt.Errorf("cell %s run %d: %w", c.ID, r.Index, err)
			}
			sc := bufio.NewScanner(bytes.NewReader(data))
			sc.Buffer(make([]byte, 64<<10), 1<<20)
			for sc.Scan() {
				line := strings.TrimRight(sc.Text(), "\r")
				switch {
				case strings.HasPrefix(line, "Benchmark"):
					body.WriteString(line + "\n")
				case strings.HasPrefix(line, "Unit ") && !units[line]:
					units[line] = true
					body.WriteString(line + "\n")
				}
			}
		}
		if body.Len() == 0 {
			continue
		}
		b.WriteString("\n")
		for _, kv := range prev {
			if !slices.ContainsFunc(cfg, func(x results.KV) bool { return x.Key == kv.Key }) {
				fmt.Fprintf(&b, "%s:\n", kv.Key)
			}
		}
		for _, kv := range cfg {
			fmt.Fprintf(&b, "%s: %s\n", kv.Key, strings.Join(strings.Fields(kv.Value), " "))
		}
		prev = cfg
		b.Write(body.Bytes())
		wrote = true
	}
	if !wrote {
		return false, nil
	}
	return true, d.WriteFile(file, b.Bytes())
}

func sideOf(c *results.Cell) string {
	for _, kv := range c.Config {
		if kv.Key == sideKey {
			return kv.Value
		}
	}
	return ""
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}
