package verify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/perfharness/harness/harness/compare"
	"github.com/perfharness/harness/harness/gate"
	"github.com/perfharness/harness/harness/plan"
	"github.com/perfharness/harness/harness/results"
	"github.com/perfharness/harness/harness/run"
)

// ErrMixedHosts says A/A runs came from different hosts: their
// differences would be the machines', not noise.
var ErrMixedHosts = errors.New("A/A runs must come from one host")

// RunAA runs the plan n times on this host with the same build (A/A: any
// difference between the runs is noise), count repetitions per cell, into
// root, and returns the runs' folders. A run with a failing cell stops it:
// noise cannot be measured on failing cells.
func RunAA(ctx context.Context, p *plan.Plan, n, count int, root string, b run.Builder, o RunOptions) ([]string, error) {
	if err := CheckAA(n, count); err != nil {
		return nil, &InputError{Err: err, Usage: true}
	}
	var dirs []string
	for i := 1; i <= n; i++ {
		logf(o.Log, "calibration run %d of %d", i, n)
		d, m, err := run.Execute(ctx, p, run.Options{
			ResultsRoot: root, Count: count, Builder: b, LockPath: o.Lock, Wait: o.Wait, Soft: o.Soft,
			Progress: o.Progress, TTY: o.TTY, Harness: o.Harness,
		})
		if err != nil {
			return nil, err
		}
		if m.Failed() {
			return nil, fmt.Errorf("calibration run %s is %s: noise cannot be measured on failing cells; fix them first", d.Path, m.Status)
		}
		dirs = append(dirs, d.Path)
	}
	return dirs, nil
}

// CalibrateOptions say how A/A differences become thresholds.
type CalibrateOptions struct {
	Alpha  float64 // significance level counting A/A false alarms
	Margin float64 // threshold = Margin × the largest A/A difference
	Floor  float64 // least threshold written
	Log    func(string)
}

// MaxAARuns bounds the A/A runs of a calibration: each is a whole run of
// the spec, and every pair of them is compared.
const MaxAARuns = 100

// CheckAA checks the A/A runs asked for: at least two (a pair), at most
// MaxAARuns, each with a valid repetition count (0: the spec's).
func CheckAA(runs, count int) error {
	var errs []error
	if runs < 2 || runs > MaxAARuns {
		errs = append(errs, fmt.Errorf("--runs must be between 2 and %d (got %d)", MaxAARuns, runs))
	}
	if err := (run.Options{Count: count}).Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Validate checks the options against the ranges the gate's own settings
// have, every problem at once.
func (o CalibrateOptions) Validate() error {
	var errs []error
	if !(o.Alpha > 0 && o.Alpha <= 0.5) {
		errs = append(errs, fmt.Errorf("--alpha must be in (0, 0.5] (got %g)", o.Alpha))
	}
	if !(o.Margin >= 1 && o.Margin <= 100) {
		errs = append(errs, fmt.Errorf("--margin must be between 1 and 100 (got %g)", o.Margin))
	}
	if !(o.Floor >= 0 && o.Floor < 10) {
		errs = append(errs, fmt.Errorf("--floor must be between 0%% and 1000%% (got %s)", gate.Percent(o.Floor)))
	}
	return errors.Join(errs...)
}

// Thresholds compares every pair of the A/A runs as the gate would and
// returns per benchmark × metric noise thresholds (see gate.Calibrate) and
// the number of pairs compared. Runs from different hosts are refused
// (ErrMixedHosts).
func Thresholds(runs []results.Stored, o CalibrateOptions) (*gate.Thresholds, int, error) {
	var sets []*compare.Set
	for i, r := range runs {
		if m0 := runs[0].Manifest; i > 0 && r.Manifest.Host.ID != m0.Host.ID {
			return nil, 0, fmt.Errorf("%s ran on host %s, %s on %s: %w", r.Path, r.Manifest.Host.ID, runs[0].Path, m0.Host.ID, ErrMixedHosts)
		} else if i > 0 && r.Manifest.SpecSHA256 != m0.SpecSHA256 {
			logf(o.Log, "warning: %s ran another version of the spec than %s", r.Path, runs[0].Path)
		}
		set, err := compare.LoadResults(r.Path)
		if err != nil {
			return nil, 0, err
		}
		sets = append(sets, set)
	}
	var pairs []gate.AAPair
	for i := range sets {
		for j := i + 1; j < len(sets); j++ {
			cmps, err := compare.Pair(sets[i], sets[j], compare.Options{Alpha: o.Alpha})
			if err != nil {
				return nil, 0, fmt.Errorf("comparing %s and %s: %w", runs[i].Path, runs[j].Path, err)
			}
			pairs = append(pairs, gate.AAPair{I: i, J: j, Comparisons: cmps})
		}
	}
	m0 := runs[len(runs)-1].Manifest
	th := &gate.Thresholds{Format: gate.ThresholdsFormat, Spec: m0.Name, SpecSHA256: m0.SpecSHA256, HostID: m0.Host.ID,
		Host: m0.Host.Label(), Created: time.Now().UTC(), Margin: o.Margin, Floor: o.Floor,
		Entries: gate.Calibrate(pairs, o.Margin, o.Floor)}
	var manifests []*results.Manifest
	for _, r := range runs {
		manifests = append(manifests, r.Manifest)
	}
	th.Contention = gate.CalibrateContention(manifests)
	for _, r := range runs {
		th.Runs = append(th.Runs, r.Manifest.RunID)
	}
	if len(th.Entries) == 0 {
		return nil, 0, errors.New("the A/A runs have no benchmark in common: nothing to calibrate")
	}
	return th, len(pairs), nil
}
