package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/perfharness/harness/harness/compare"
	"github.com/perfharness/harness/harness/gate"
	"github.com/perfharness/harness/harness/results"
)

// Report file names inside the gate's output folder.
const (
	gateSummaryFile = "summary.md"
	gateJUnitFile   = "junit.xml"
	gateJSONFile    = "gate.json"
)

// metricFlags collects repeated --metric KEY=PCT flags.
type metricFlags map[string]float64

func (m metricFlags) String() string {
	var parts []string
	for k, v := range m {
		parts = append(parts, k+"="+gate.Percent(v))
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func (m metricFlags) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(k) == "" {
		return fmt.Errorf("want KEY=PERCENT, e.g. p99-ns=10%% or json:p99-ns=10%%")
	}
	f, err := parsePercent(v)
	if err != nil {
		return err
	}
	m[strings.TrimSpace(k)] = f
	return nil
}

// percentFlag is a fraction given as "5%" or "0.05"; set says whether the
// flag was given.
type percentFlag struct {
	v   float64
	set bool
}

func (p *percentFlag) String() string {
	if !p.set {
		return ""
	}
	return gate.Percent(p.v)
}

func (p *percentFlag) Set(s string) error {
	f, err := parsePercent(s)
	p.v, p.set = f, err == nil
	return err
}

// fdrFlag is a false discovery rate given as "5%", "0.05" or "off".
type fdrFlag struct {
	percentFlag
	off bool
}

func (f *fdrFlag) String() string {
	if f.off {
		return "off"
	}
	return f.percentFlag.String()
}

func (f *fdrFlag) Set(s string) error {
	if strings.TrimSpace(s) == "off" {
		f.off, f.set = true, true
		return nil
	}
	f.off = false
	return f.percentFlag.Set(s)
}

// parsePercent parses "5%" or a plain fraction "0.05".
func parsePercent(s string) (float64, error) {
	s = strings.TrimSpace(s)
	div := 1.0
	if t, ok := strings.CutSuffix(s, "%"); ok {
		s, div = strings.TrimSpace(t), 100
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 || v != v {
		return 0, fmt.Errorf("invalid percentage %q (want e.g. 5%% or 0.05)", s)
	}
	return v / div, nil
}

// gateFlags are the policy flags gate and calibrate share.
type gateFlags struct {
	alpha             *float64
	fdr               fdrFlag
	threshold         percentFlag
	metrics           metricFlags
	thresholdsFile    *string
	minSamples        *int
	allowHostMismatch *bool
	ignoreContention  *bool
}

func addGateFlags(fs *flag.FlagSet) *gateFlags {
	g := &gateFlags{metrics: metricFlags{}}
	g.alpha = fs.Float64("alpha", 0, "significance level of the Mann-Whitney U test (default: the candidate spec's gate.alpha, else 0.05)")
	fs.Var(&g.fdr, "fdr", "false discovery rate `PCT` kept over the gated comparisons (Benjamini–Hochberg), or off (default: the spec's gate.fdr, else 5%)")
	fs.Var(&g.threshold, "threshold", "minimum effect size `PCT`, e.g. 5% (default: the spec's gate.threshold, else 5%)")
	fs.Var(g.metrics, "metric", "the threshold of a metric, a workload or both, `KEY=PCT`: p99-ns=10%, json=8%, json:p99-ns=3% (naming a metric gates it; repeatable)")
	g.thresholdsFile = fs.String("thresholds", "", "per-benchmark noise thresholds from harness calibrate (each a floor under the configured threshold)")
	g.minSamples = fs.Int("min-samples", 0, "fewest samples per side a gated metric needs (default: what the test needs to reach alpha)")
	g.allowHostMismatch = fs.Bool("allow-host-mismatch", false, "compare runs from different hosts (a loud warning instead of exit 3)")
	g.ignoreContention = fs.Bool("ignore-contention", false, "judge rows even when the sides ran on differently contended hosts")
	return g
}

// policy returns the candidate's gate section overridden by the flags.
func (g *gateFlags) policy(m *results.Manifest) (gate.Policy, error) {
	p := gate.PolicyFrom(m.Gate)
	if m.Gate.Alpha == 0 && m.Gate.Threshold == 0 && len(m.Gate.Metrics) == 0 {
		p.Threshold = gate.DefaultThreshold // a manifest without a gate section
	}
	if *g.alpha != 0 {
		p.Alpha = *g.alpha
	}
	if g.threshold.set {
		p.Threshold = g.threshold.v
	}
	if g.fdr.set {
		p.FDR, p.FDROff = g.fdr.v, g.fdr.off
	}
	if len(g.metrics) > 0 && p.Metrics == nil {
		p.Metrics = map[string]float64{}
	}
	for k, v := range g.metrics {
		p.Metrics[k] = v
	}
	p.MinSamples = *g.minSamples
	p.AllowHostMismatch = *g.allowHostMismatch
	p.ContentionOff = *g.ignoreContention
	if *g.thresholdsFile != "" {
		th, err := gate.ReadThresholds(*g.thresholdsFile)
		if err != nil {
			return p, err
		}
		p.Calibrated = th
	}
	return p, p.Validate()
}

func cmdGate(ctx context.Context, e *env, args []string) int {
	fs := e.flags()
	baseArg := fs.String("baseline", "", "baseline: a results folder, a run id under --results, or latest (the newest complete run of the same spec on the same host)")
	candArg := fs.String("candidate", "", "candidate: a results folder or a run id under --results (latest: the newest run)")
	root := fs.String("results", "", "folder the run ids and latest are looked up in (default: the candidate's parent folder, else results)")
	out := fs.String("out", "", "folder for summary.md, junit.xml and gate.json (default reports/gate-<candidate run id>)")
	confirmN := fs.Int("confirm", 0, "rerun each cell with a regression `N` more times (with the baseline's binaries, interleaved, when still cached), then decide on all samples")
	cache := fs.String("cache", "", "build cache folder for --confirm (default: the user cache folder)")
	noWait := fs.Bool("no-wait", false, "with --confirm, fail instead of waiting for the host lock")
	allowNoBaseline := fs.Bool("allow-no-baseline", false, "with --baseline latest, pass (exit 0) when no earlier run of the spec on this host is stored (the first nightly); earlier runs none of which is usable still fail")
	gf := addGateFlags(fs)
	if _, code, ok := e.parse(fs, args, 0, 0); !ok {
		return code
	}
	if *candArg == "" || *baseArg == "" {
		return e.usageError(fs, "want --baseline and --candidate")
	}
	if *confirmN < 0 || *confirmN > 1000 {
		return e.usageError(fs, "--confirm must be between 0 and 1000")
	}
	if *root == "" {
		*root = "results"
		if fi, err := os.Stat(*candArg); err == nil && fi.IsDir() {
			*root = filepath.Dir(filepath.Clean(*candArg))
		}
	}
	candPath, cand, err := openRun(*candArg, *root)
	if err != nil {
		e.errorf("candidate: %v", err)
		return ExitUsage
	}
	pol, err := gf.policy(cand)
	if err != nil {
		e.errorf("%v", err)
		return ExitUsage
	}
	outDir := *out
	if outDir == "" {
		outDir = filepath.Join("reports", "gate-"+results.SafeName(cand.RunID))
	}

	var basePath string
	var base *results.Manifest
	var skipped []gate.Skip
	if *baseArg == "latest" {
		stored, warnings, err := loadStored(*root)
		if err != nil {
			e.errorf("baseline: %v", err)
			return ExitUsage
		}
		for _, w := range warnings {
			fmt.Fprintf(e.stderr, "harness: warning: %s\n", w)
		}
		choice, sk := gate.SelectBaseline(cand, candPath, stored, pol.AllowHostMismatch)
		skipped = sk
		earlier := 0
		for _, s := range sk {
			fmt.Fprintf(e.stderr, "harness: baseline: passed over %s\n", s)
			if s.Earlier {
				earlier++
			}
		}
		if choice == nil {
			where := fmt.Sprintf("spec %s on host %s (%s) under %s", cand.Name, cand.Host.ID, gate.HostLabel(cand.Host), *root)
			switch {
			case earlier > 0:
				msg := fmt.Sprintf("no usable baseline: %s of %s, none usable (see above)", plural(earlier, "earlier run"), where)
				if *allowNoBaseline {
					msg += "; --allow-no-baseline passes only a first run, with no earlier run at all"
				}
				e.errorf("%s", msg)
				return ExitIncomplete
			case *allowNoBaseline:
				msg := fmt.Sprintf("no earlier run of %s: a first run, nothing to compare it with", where)
				fmt.Fprintf(e.stderr, "harness: %s; passing (--allow-no-baseline)\n", msg)
				rep := &gate.Report{Format: gate.ReportFormat, Outcome: gate.Pass, Candidate: gate.Info(candPath, cand),
					Alpha: pol.Alpha, FDR: pol.FDR, Threshold: pol.Threshold, Rows: []gate.Row{}, Problems: []string{}, Warnings: []string{msg + "; nothing was compared"}}
				addSkips(rep, skipped)
				return e.finishGate(rep, outDir)
			}
			e.errorf("no earlier run of %s to compare with (pass --allow-no-baseline for a first run)", where)
			return ExitIncomplete
		}
		basePath, base = choice.Path, choice.Manifest
		fmt.Fprintf(e.stderr, "harness: baseline: %s (%s)\n", base.RunID, basePath)
	} else if basePath, base, err = openRun(*baseArg, *root); err != nil {
		e.errorf("baseline: %v", err)
		return ExitUsage
	}
	if basePath == candPath {
		return e.usageError(fs, "baseline and candidate are the same run (%s)", candPath)
	}

	baseSet, candSet, err := loadSets(basePath, candPath)
	if err != nil {
		e.errorf("%v", err)
		return ExitIncomplete
	}
	in := gate.Input{Baseline: base, Candidate: cand, BaselinePath: basePath, CandidatePath: candPath,
		Policy: pol, ThresholdsFile: *gf.thresholdsFile}
	if in.Comparisons, err = compare.Pair(baseSet, candSet, compare.Options{Alpha: pol.Alpha}); err != nil {
		e.errorf("comparing: %v", err)
		return ExitIncomplete
	}
	rep := gate.Decide(in)
	if *confirmN > 0 && rep.Outcome == gate.Regressed {
		rep = e.confirm(ctx, confirmArgs{in: in, first: rep, n: *confirmN, outDir: outDir, cache: *cache, wait: !*noWait,
			baseSet: baseSet, candSet: candSet})
	}
	addSkips(rep, skipped)
	return e.finishGate(rep, outDir)
}

func addSkips(rep *gate.Report, skipped []gate.Skip) {
	for _, s := range skipped {
		rep.Warnings = append(rep.Warnings, "baseline selection passed over run "+s.String())
	}
}

// loadSets reads the bench.txt of both runs. A candidate whose results do
// not read is invalid (exit 3), as is a corrupted baseline.
func loadSets(basePath, candPath string) (*compare.Set, *compare.Set, error) {
	baseSet, err := compare.LoadResults(basePath)
	if err != nil {
		return nil, nil, fmt.Errorf("baseline: %w", err)
	}
	candSet, err := compare.LoadResults(candPath)
	if err != nil {
		return nil, nil, fmt.Errorf("candidate: %w", err)
	}
	return baseSet, candSet, nil
}

// finishGate writes the reports, prints the verdict and returns its exit
// code. Failing to write a report is exit 3: CI would otherwise show
// nothing.
func (e *env) finishGate(rep *gate.Report, outDir string) int {
	files, err := writeGateReports(rep, outDir)
	if err != nil {
		e.errorf("writing reports: %v", err)
		printVerdict(e.stdout, rep, nil)
		return ExitIncomplete
	}
	if path := os.Getenv("GITHUB_STEP_SUMMARY"); path != "" {
		if err := appendFile(path, files[gateSummaryFile]); err != nil {
			fmt.Fprintf(e.stderr, "harness: warning: writing $GITHUB_STEP_SUMMARY: %v\n", err)
		}
	}
	printVerdict(e.stdout, rep, []string{
		filepath.Join(outDir, gateSummaryFile), filepath.Join(outDir, gateJUnitFile), filepath.Join(outDir, gateJSONFile)})
	return rep.ExitCode
}

// writeGateReports renders the three reports and writes them into outDir
// (created if needed) through an os.Root, so no file lands outside it,
// whatever links the folder holds. It returns the rendered bytes by name.
func writeGateReports(rep *gate.Report, outDir string) (map[string][]byte, error) {
	files := map[string][]byte{}
	var md, junit bytes.Buffer
	if err := gate.WriteMarkdown(&md, rep, 0); err != nil {
		return nil, err
	}
	if err := gate.WriteJUnit(&junit, rep); err != nil {
		return nil, err
	}
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return nil, err
	}
	files[gateSummaryFile], files[gateJUnitFile], files[gateJSONFile] = md.Bytes(), junit.Bytes(), append(js, '\n')
	if err := writeInto(outDir, files); err != nil {
		return nil, err
	}
	return files, nil
}

// writeInto writes each file atomically (temporary file, rename) inside
// dir, through an os.Root: names are plain file names, and a symlink in dir
// cannot lead a write outside it.
func writeInto(dir string, files map[string][]byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if !filepath.IsLocal(name) || strings.ContainsRune(name, filepath.Separator) {
			return fmt.Errorf("report file name %q is not a plain name", name)
		}
		tmp := "." + name + ".tmp"
		if err := root.WriteFile(tmp, files[name], 0o644); err != nil {
			return err
		}
		if err := root.Rename(tmp, name); err != nil {
			root.Remove(tmp)
			return err
		}
	}
	return nil
}

func appendFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// printVerdict prints the outcome for a terminal or a CI log: one line,
// then the regressions, problems and where the reports are.
func printVerdict(w io.Writer, rep *gate.Report, files []string) {
	vs := "baseline " + rep.Baseline.RunID
	if rep.Baseline.RunID == "" {
		vs = "no baseline"
	}
	fmt.Fprintf(w, "harness gate: %s (exit %d): candidate %s vs %s, %d comparisons\n",
		strings.ToUpper(string(rep.Outcome)), rep.ExitCode, rep.Candidate.RunID, vs, len(rep.Rows))
	for _, p := range rep.Problems {
		fmt.Fprintf(w, "  problem: %s\n", p)
	}
	for _, r := range rep.Regressions() {
		fmt.Fprintf(w, "  regression: %s %s [%s]: %s → %s, %s, CI [%s, %s] (p=%.3g, q=%.3g, threshold %s)\n", r.Benchmark, r.Unit, r.Config,
			gate.FormatValue(float64(r.Base.Center), r.Unit), gate.FormatValue(float64(r.Cand.Center), r.Unit),
			gate.SignedPercent(float64(r.Delta)), gate.SignedPercent(float64(r.CILow)), gate.SignedPercent(float64(r.CIHigh)),
			float64(r.P), float64(r.Q), gate.Percent(r.Threshold))
	}
	if n := rep.Count(gate.Improvement); n > 0 {
		fmt.Fprintf(w, "  improvements: %d (never fail the gate; listed in the summary)\n", n)
	}
	if n := rep.Count(gate.Imprecise) + rep.Count(gate.NotCompared) + rep.Count(gate.Contended); n > 0 {
		fmt.Fprintf(w, "  not judged: %d comparisons (imprecise tails, cells not compared, sides too differently contended; the summary says why)\n", n)
	}
	if rep.Baseline.RunID != "" {
		fmt.Fprintf(w, "  host state: baseline %s\n  host state: candidate %s\n", rep.BaselineHost, rep.CandidateHost)
	}
	if c := rep.Confirm; c != nil {
		fmt.Fprintf(w, "  confirmation: %d cells rerun %d times: %d confirmed, %d cleared\n", len(c.Cells), c.Runs, c.Confirmed, c.Cleared)
	}
	for _, wn := range rep.Warnings {
		fmt.Fprintf(w, "  warning: %s\n", wn)
	}
	if len(files) > 0 {
		fmt.Fprintf(w, "reports: %s\n", strings.Join(files, ", "))
	}
}

// safeID keeps a run id usable as one path element.

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
