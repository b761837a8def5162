package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/perfharness/harness/harness/gate"
	"github.com/perfharness/harness/harness/run"
	"github.com/perfharness/harness/harness/verify"
)

func cmdGate(ctx context.Context, e *env, args []string) error {
	fs := e.flags()
	var o verify.GateOptions
	fs.StringVar(&o.Baseline, "baseline", "", "baseline: a results folder, a run id under --results, or latest (the newest complete run of the same spec on the same host)")
	fs.StringVar(&o.Candidate, "candidate", "", "candidate: a results folder or a run id under --results (latest: the newest run)")
	fs.StringVar(&o.Root, "results", "", "folder the run ids and latest are looked up in (default: the candidate's parent folder, else results)")
	fs.StringVar(&o.Out, "out", "", "folder for summary.md, junit.xml and gate.json (default reports/gate-<candidate run id>)")
	fs.IntVar(&o.Confirm, "confirm", 0, "rerun each cell with a regression or a significant change for the worse that may pass its threshold `N` more times, interleaved with the baseline's binaries when still cached, and decide again (on the interleaved reruns alone where they decide, when both sides reran)")
	fs.StringVar(&o.Run.Cache, "cache", "", "build cache folder for --confirm (default: the user cache folder)")
	fs.StringVar(&o.Run.Lock, "lock", "", "with --confirm, the host lock file (default "+run.DefaultLockPath()+")")
	noWait := fs.Bool("no-wait", false, "with --confirm, fail instead of waiting for the host lock")
	fs.BoolVar(&o.AllowNoBaseline, "allow-no-baseline", false, "with --baseline latest, pass (exit 0) when no earlier run of the spec on this host is stored (the first nightly); earlier runs none of which is usable still fail")
	gf := addGateFlags(fs)
	if _, err := e.parse(fs, args, 0, 0); err != nil {
		return err
	}
	if o.Candidate == "" || o.Baseline == "" {
		return e.usage("want --baseline and --candidate")
	}
	if err := e.refuseZero(fs, "alpha"); err != nil {
		return err
	}
	o.Overrides = gf.overrides()
	if err := o.Validate(); err != nil {
		return e.usage("%v", err)
	}
	o.Run.Wait, o.Run.Soft, o.Run.Progress, o.Run.TTY, o.Run.Harness, o.Run.Log = !*noWait, SoftStop(ctx), e.stderr, isTerminal(e.stderr), Version(), e.log
	rep, outDir, err := verify.Gate(ctx, o)
	if err != nil {
		return e.verifyErr(err)
	}
	// Failing to write a report is exit 3: CI would otherwise show nothing.
	files, warnings, err := verify.WriteReports(rep, outDir, os.Getenv("GITHUB_STEP_SUMMARY"))
	for _, w := range warnings {
		e.logf("warning: %s", w)
	}
	if err != nil {
		printVerdict(e.stdout, rep, nil)
		return incomplete(fmt.Errorf("writing reports: %w", err))
	}
	printVerdict(e.stdout, rep, files)
	return exitSilently(rep.ExitCode)
}

// verifyErr classes an error of verify: its input errors are usage
// errors, the rest make the run invalid.
func (e *env) verifyErr(err error) error {
	var ie *verify.InputError
	switch {
	case errors.As(err, &ie) && ie.Usage:
		return e.usage("%v", ie.Err)
	case errors.As(err, &ie), errors.Is(err, verify.ErrMixedHosts):
		return usageErr(err)
	}
	return incomplete(err)
}

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

// gateFlags are the policy flags gate, calibrate and trend share.
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

// overrides are the flags' changes to a run's gate policy.
func (g *gateFlags) overrides() verify.Overrides {
	o := verify.Overrides{Alpha: *g.alpha, Metrics: g.metrics, ThresholdsFile: *g.thresholdsFile,
		MinSamples: *g.minSamples, AllowHostMismatch: *g.allowHostMismatch, ContentionOff: *g.ignoreContention, FDROff: g.fdr.set && g.fdr.off}
	if g.threshold.set {
		o.Threshold = &g.threshold.v
	}
	if g.fdr.set && !g.fdr.off {
		o.FDR = &g.fdr.v
	}
	return o
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
		on := "first runs and reruns pooled"
		if c.Alone {
			on = fmt.Sprintf("%d rows decided on the interleaved reruns alone, the others pooled", c.Decided)
		}
		fmt.Fprintf(w, "  confirmation: %d cells rerun %d times (%s): %d of %d suspects regressions, %d not; %d other regressions\n", len(c.Cells), c.Runs, on, c.Confirmed, len(c.Before), c.Cleared, c.New)
	}
	for _, wn := range rep.Warnings {
		fmt.Fprintf(w, "  warning: %s\n", wn)
	}
	if len(files) > 0 {
		fmt.Fprintf(w, "reports: %s\n", strings.Join(files, ", "))
	}
}
