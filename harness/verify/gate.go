package verify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/perfharness/harness/harness/compare"
	"github.com/perfharness/harness/harness/gate"
	"github.com/perfharness/harness/harness/results"
	"github.com/perfharness/harness/harness/spec"
)

// Report file names inside the gate's output folder.
const (
	SummaryFile = "summary.md"
	JUnitFile   = "junit.xml"
	JSONFile    = "gate.json"
)

// Overrides are a command line's changes to the gate policy a run's spec
// asks for.
type Overrides struct {
	Alpha             float64  // 0: the spec's
	Threshold         *float64 // nil: the spec's
	FDR               *float64 // nil: the spec's
	FDROff            bool     // no false discovery rate control
	Metrics           map[string]float64
	ThresholdsFile    string // calibrated noise thresholds (harness calibrate)
	MinSamples        int
	AllowHostMismatch bool
	ContentionOff     bool // judge rows whatever the sides' host contention
}

// Policy returns the gate section of m overridden by o.
func (o Overrides) Policy(m *results.Manifest) (gate.Policy, error) {
	p := gate.PolicyFrom(m.Gate)
	if m.Gate.Alpha == 0 && m.Gate.Threshold == 0 && len(m.Gate.Metrics) == 0 {
		p.Threshold = gate.DefaultThreshold // a manifest without a gate section
	}
	if o.Alpha != 0 {
		p.Alpha = o.Alpha
	}
	if o.Threshold != nil {
		p.Threshold = *o.Threshold
	}
	switch {
	case o.FDROff:
		p.FDR, p.FDROff = 0, true
	case o.FDR != nil:
		p.FDR, p.FDROff = *o.FDR, false
	}
	if len(o.Metrics) > 0 && p.Metrics == nil {
		p.Metrics = map[string]float64{}
	}
	for k, v := range o.Metrics {
		p.Metrics[k] = v
	}
	p.MinSamples = o.MinSamples
	p.AllowHostMismatch = o.AllowHostMismatch
	p.ContentionOff = o.ContentionOff
	if o.ThresholdsFile != "" {
		th, err := gate.ReadThresholds(o.ThresholdsFile)
		if err != nil {
			return p, err
		}
		p.Calibrated = th
	}
	return p, p.Validate()
}

// Validate checks the overrides before any run is read: against the
// ranges of the gate's own settings (the policy they make from a run
// without a gate section), and a thresholds file that reads.
func (o Overrides) Validate() error {
	if o.Alpha < 0 || math.IsNaN(o.Alpha) {
		return fmt.Errorf("alpha must be in (0, 0.5] (got %g)", o.Alpha)
	}
	if o.MinSamples < 0 || o.MinSamples > spec.MaxCount {
		return fmt.Errorf("--min-samples must be between 0 and %d (got %d)", spec.MaxCount, o.MinSamples)
	}
	_, err := o.Policy(&results.Manifest{})
	return err
}

// Validate checks the options a command line sets.
func (o GateOptions) Validate() error {
	if o.Confirm < 0 || o.Confirm > spec.MaxCount {
		return fmt.Errorf("--confirm must be between 0 and %d (got %d)", spec.MaxCount, o.Confirm)
	}
	return o.Overrides.Validate()
}

// GateOptions name the runs the gate compares and how it decides.
type GateOptions struct {
	// Candidate is a results folder or a run id under Root; Baseline too,
	// or "latest": the newest complete run of the same spec on the same
	// host under Root.
	Baseline, Candidate string
	// Root is where run ids and latest are looked up ("": the candidate
	// folder's parent, else "results").
	Root string
	// Out is the reports folder ("": reports/gate-<candidate run id>).
	Out       string
	Overrides Overrides
	// Confirm reruns each cell with a first-pass suspect (a regression,
	// or a significant change for the worse that may pass its threshold:
	// gate.Report.Suspects) this many more times, then decides again (see
	// Confirm).
	Confirm int
	// AllowNoBaseline passes when Baseline is latest and no earlier run
	// of the spec on this host is stored (the first nightly); earlier runs
	// none of which is usable still fail.
	AllowNoBaseline bool
	Run             RunOptions
}

// Gate compares the candidate run against the baseline run and returns the
// verdict and the folder its reports belong in (see WriteReports). Runs
// that cannot be found or a policy that does not validate are
// InputErrors; results that cannot be read make the run invalid.
func Gate(ctx context.Context, o GateOptions) (*gate.Report, string, error) {
	if o.Root == "" {
		o.Root = "results"
		if fi, err := os.Stat(o.Candidate); err == nil && fi.IsDir() {
			o.Root = filepath.Dir(filepath.Clean(o.Candidate))
		}
	}
	cand, err := results.Find(o.Candidate, o.Root)
	if err != nil {
		return nil, "", inputErrorf("candidate: %w", err)
	}
	pol, err := o.Overrides.Policy(cand.Manifest)
	if err != nil {
		return nil, "", &InputError{Err: err}
	}
	if o.Out == "" {
		o.Out = filepath.Join("reports", "gate-"+results.SafeName(cand.Manifest.RunID))
	}
	base, skipped, err := baseline(o, cand, pol)
	if err != nil || base == nil {
		if err == nil { // a first run, passing without a baseline
			rep := &gate.Report{Format: gate.ReportFormat, Outcome: gate.Pass, Candidate: gate.Info(cand.Path, cand.Manifest),
				Alpha: pol.Alpha, FDR: pol.FDR, Threshold: pol.Threshold, Rows: []gate.Row{}, Problems: []string{},
				Warnings: []string{firstRun(o, cand) + "; nothing was compared"}}
			addSkips(rep, skipped)
			return rep, o.Out, nil
		}
		return nil, "", err
	}
	if base.Path == cand.Path {
		return nil, "", &InputError{Err: fmt.Errorf("baseline and candidate are the same run (%s)", cand.Path), Usage: true}
	}
	baseSet, err := compare.LoadResults(base.Path)
	if err != nil {
		return nil, "", fmt.Errorf("baseline: %w", err)
	}
	candSet, err := compare.LoadResults(cand.Path)
	if err != nil {
		return nil, "", fmt.Errorf("candidate: %w", err)
	}
	in := gate.Input{Baseline: base.Manifest, Candidate: cand.Manifest, BaselinePath: base.Path, CandidatePath: cand.Path,
		Policy: pol, ThresholdsFile: o.Overrides.ThresholdsFile}
	if in.Comparisons, err = compare.Pair(baseSet, candSet, compare.Options{Alpha: pol.Alpha}); err != nil {
		return nil, "", fmt.Errorf("comparing: %w", err)
	}
	rep := gate.Decide(in)
	if o.Confirm > 0 && rep.Outcome != gate.Invalid && len(rep.Suspects()) > 0 {
		rep = Confirm(ctx, in, rep, o.Confirm, o.Out, o.Run)
	}
	addSkips(rep, skipped)
	return rep, o.Out, nil
}

// baseline finds the baseline run: the one named, or the newest usable
// one. It returns nil without an error for a first run — no earlier run of
// the spec on the host at all — when AllowNoBaseline says to pass it.
func baseline(o GateOptions, cand results.Stored, pol gate.Policy) (*results.Stored, []gate.Skip, error) {
	if o.Baseline != "latest" {
		base, err := results.Find(o.Baseline, o.Root)
		if err != nil {
			return nil, nil, inputErrorf("baseline: %w", err)
		}
		return &base, nil, nil
	}
	stored, warnings, err := results.List(o.Root)
	if err != nil {
		return nil, nil, inputErrorf("baseline: %w", err)
	}
	for _, w := range warnings {
		logf(o.Run.Log, "warning: %s", w)
	}
	choice, skipped := gate.SelectBaseline(cand.Manifest, cand.Path, stored, pol.AllowHostMismatch)
	earlier := 0
	for _, s := range skipped {
		logf(o.Run.Log, "baseline: passed over %s", s)
		if s.Earlier {
			earlier++
		}
	}
	if choice == nil {
		switch {
		case earlier > 0:
			msg := fmt.Sprintf("no usable baseline: %s of %s, none usable (see above)", gate.Plural(earlier, "earlier run"), where(o, cand))
			if o.AllowNoBaseline {
				msg += "; --allow-no-baseline passes only a first run, with no earlier run at all"
			}
			return nil, nil, errors.New(msg)
		case o.AllowNoBaseline:
			logf(o.Run.Log, "%s; passing (--allow-no-baseline)", firstRun(o, cand))
			return nil, skipped, nil
		}
		return nil, nil, fmt.Errorf("no earlier run of %s to compare with (pass --allow-no-baseline for a first run)", where(o, cand))
	}
	logf(o.Run.Log, "baseline: %s (%s)", choice.Manifest.RunID, choice.Path)
	return choice, skipped, nil
}

// where names the runs a latest baseline is looked for among.
func where(o GateOptions, cand results.Stored) string {
	m := cand.Manifest
	return fmt.Sprintf("spec %s on host %s (%s) under %s", m.Name, m.Host.ID, m.Host.Label(), o.Root)
}

func firstRun(o GateOptions, cand results.Stored) string {
	return fmt.Sprintf("no earlier run of %s: a first run, nothing to compare it with", where(o, cand))
}

func addSkips(rep *gate.Report, skipped []gate.Skip) {
	for _, s := range skipped {
		rep.Warnings = append(rep.Warnings, "baseline selection passed over run "+s.String())
	}
}

// WriteReports renders the verdict as summary.md, junit.xml and gate.json
// and writes them into outDir (created if needed; nothing is written
// outside it, whatever links it holds), and appends the summary to the
// file stepSummary when it is set (GitHub's $GITHUB_STEP_SUMMARY). It
// returns the paths written and, as warnings, what went wrong with
// stepSummary.
func WriteReports(rep *gate.Report, outDir, stepSummary string) (paths, warnings []string, err error) {
	var md, junit bytes.Buffer
	if err := gate.WriteMarkdown(&md, rep, 0); err != nil {
		return nil, nil, err
	}
	if err := gate.WriteJUnit(&junit, rep); err != nil {
		return nil, nil, err
	}
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return nil, nil, err
	}
	files := map[string][]byte{SummaryFile: md.Bytes(), JUnitFile: junit.Bytes(), JSONFile: append(js, '\n')}
	if err := results.WriteInto(outDir, files); err != nil {
		return nil, nil, err
	}
	if stepSummary != "" {
		if err := results.AppendFile(stepSummary, md.Bytes()); err != nil {
			warnings = append(warnings, fmt.Sprintf("writing $GITHUB_STEP_SUMMARY: %v", err))
		}
	}
	return []string{filepath.Join(outDir, SummaryFile), filepath.Join(outDir, JUnitFile), filepath.Join(outDir, JSONFile)}, warnings, nil
}
