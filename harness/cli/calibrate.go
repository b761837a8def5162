package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/perfharness/harness/harness/build"
	"github.com/perfharness/harness/harness/gate"
	"github.com/perfharness/harness/harness/host"
	"github.com/perfharness/harness/harness/results"
	"github.com/perfharness/harness/harness/run"
	"github.com/perfharness/harness/harness/spec"
	"github.com/perfharness/harness/harness/verify"
)

// cmdCalibrate measures run-to-run noise on this host: it runs the spec
// several times with the same build (A/A: any difference between the runs
// is noise), compares every pair of runs as the gate would, and writes per
// benchmark × metric thresholds — margin × the largest difference seen —
// for harness gate --thresholds.
func cmdCalibrate(ctx context.Context, e *env, args []string) error {
	fs := e.flags()
	runs := fs.Int("runs", 3, "A/A runs of the spec (at least 2; every pair of runs is compared)")
	count := fs.Int("count", 0, "repetitions per cell (overrides runs.count; use what the gate will see)")
	resultsRoot := fs.String("results", "results", "folder for the A/A runs' results/<run-id>/")
	cache := fs.String("cache", "", "build cache folder (default: the user cache folder)")
	out := fs.String("o", "", "thresholds file to write (default thresholds-<spec>-<host id>.json)")
	o := verify.CalibrateOptions{Log: e.log}
	fs.Float64Var(&o.Margin, "margin", 1, "threshold = margin × the largest A/A difference of a metric (the largest is already a worst case over every pair of A/A runs)")
	var floor percentFlag
	fs.Var(&floor, "floor", "least threshold written, `PCT` (default 1%)")
	from := fs.Bool("from", false, "the arguments are results folders of A/A runs already made (no new runs)")
	fs.Float64Var(&o.Alpha, "alpha", gate.DefaultAlpha, "significance level used to count A/A false alarms")
	noWait := fs.Bool("no-wait", false, "fail instead of waiting when another harness run holds the host lock")
	lock := fs.String("lock", "", "host lock file (default "+run.DefaultLockPath()+")")
	pos, err := e.parse(fs, args, 1, -1)
	if err != nil {
		return err
	}
	o.Floor = 0.01
	if floor.set {
		o.Floor = floor.v
	}
	if err := e.checkCalibrate(fs, pos, *from, *runs, *count, o); err != nil {
		return err
	}
	dirs := pos
	if !*from {
		ro := verify.RunOptions{Lock: *lock, Wait: !*noWait, Soft: SoftStop(ctx), Progress: e.stderr, TTY: isTerminal(e.stderr), Harness: Version(), Log: e.log}
		if dirs, err = e.runAA(ctx, pos[0], *runs, *count, *resultsRoot, *cache, ro); err != nil {
			return err
		}
	}
	stored, err := findRuns(dirs, *resultsRoot)
	if err != nil {
		return err
	}
	th, pairs, err := verify.Thresholds(stored, o)
	if err != nil {
		return e.verifyErr(err)
	}
	file := *out
	if file == "" {
		file = fmt.Sprintf("thresholds-%s-%s.json", results.SafeName(th.Spec), results.SafeName(th.HostID))
	}
	if err := writeThresholds(th, file); err != nil {
		return incomplete(err)
	}
	printThresholds(e, th, len(dirs), pairs, file)
	return nil
}

// runAA plans the spec and runs it n times on this host.
func (e *env) runAA(ctx context.Context, specFile string, n, count int, root, cache string, ro verify.RunOptions) ([]string, error) {
	p, err := e.loadPlan(ctx, specFile, host.Detect(), e.log)
	if err != nil {
		return nil, err
	}
	b, err := build.NewPlanBuilder(cache)
	if err != nil {
		return nil, usageErr(err)
	}
	dirs, err := verify.RunAA(ctx, p, n, count, root, b, ro)
	if errors.As(err, new(spec.ErrorList)) {
		return nil, usageErr(err) // the built workloads refuse values of the spec
	} else if err != nil {
		return nil, incomplete(err)
	}
	return dirs, nil
}

// checkCalibrate checks harness calibrate's arguments before anything is
// read or run: a spec, or at least two runs with --from, and the ranges of
// the flags (verify.CheckAA, CalibrateOptions.Validate).
func (e *env) checkCalibrate(fs *flag.FlagSet, pos []string, from bool, runs, count int, o verify.CalibrateOptions) error {
	switch {
	case !from && len(pos) != 1:
		return e.usage("want one bench.yaml (or --from results/A results/B ...)")
	case from && len(pos) < 2:
		return e.usage("--from needs at least two results folders")
	}
	if err := e.refuseZero(fs, "count"); err != nil {
		return err
	}
	err := o.Validate()
	if !from {
		err = errors.Join(err, verify.CheckAA(runs, count))
	}
	if err != nil {
		return e.usage("%v", err)
	}
	return nil
}

// findRuns opens the runs named by folders or run ids under root.
func findRuns(args []string, root string) ([]results.Stored, error) {
	var stored []results.Stored
	for _, arg := range args {
		st, err := results.Find(arg, root)
		if err != nil {
			return nil, usageErr(err)
		}
		stored = append(stored, st)
	}
	return stored, nil
}

func writeThresholds(th *gate.Thresholds, file string) error {
	data, err := th.Marshal()
	if err != nil {
		return err
	}
	if dir := filepath.Dir(file); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	return results.WriteFileAtomic(file, data)
}

func printThresholds(e *env, th *gate.Thresholds, runs, pairs int, file string) {
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "BENCHMARK\tCONFIG\tMETRIC\tLARGEST A/A DIFFERENCE\tA/A SIGNIFICANT\tTHRESHOLD\n")
	for _, t := range th.Entries {
		diff := gate.Percent(t.MaxDelta)
		if t.Outlier > 0 {
			diff += fmt.Sprintf(" (%s with run %d)", gate.Percent(t.MaxDeltaAll), t.Outlier)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d/%d\t%s\n", t.Benchmark, t.Config, t.Unit, diff, t.Significant, t.Pairs, gate.Percent(t.Threshold))
	}
	tw.Flush()
	if len(th.Contention) > 0 {
		fmt.Fprintf(e.stdout, "\nhost state per cell (median over the A/A runs; largest difference between two runs):\n")
		tw = tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "CELL\tRUNS\tCPU WITHHELD\tBUSY OUTSIDE\tSTOLEN\n")
		for _, c := range th.Contention {
			fmt.Fprintf(tw, "%s\t%d\t%s (±%s)\t%s (±%s)\t%s (±%s)\n", c.Cell, c.Runs, gate.Percent(c.Withheld), gate.Percent(c.WithheldDiff),
				gate.Percent(c.Others), gate.Percent(c.OthersDiff), gate.Percent(c.Steal), gate.Percent(c.StealDiff))
		}
		tw.Flush()
	}
	fmt.Fprintf(e.stdout, "\n%s from %d A/A runs (%d pairs) on host %s (%s)\nwrote %s; use it with: harness gate --thresholds %s ...\n",
		gate.Plural(len(th.Entries), "threshold"), runs, pairs, th.HostID, th.Host, file, file)
}
