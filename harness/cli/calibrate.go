package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/perfharness/harness/harness/compare"
	"github.com/perfharness/harness/harness/gate"
	"github.com/perfharness/harness/harness/host"
	"github.com/perfharness/harness/harness/results"
	"github.com/perfharness/harness/harness/run"
	"github.com/perfharness/harness/harness/spec"
)

// cmdCalibrate measures run-to-run noise on this host: it runs the spec
// several times with the same build (A/A: any difference between the runs
// is noise), compares every pair of runs as the gate would, and writes per
// benchmark × metric thresholds — margin × the largest difference seen —
// for harness gate --thresholds.
func cmdCalibrate(ctx context.Context, e *env, args []string) int {
	fs := e.flags()
	runs := fs.Int("runs", 3, "A/A runs of the spec (at least 2; every pair of runs is compared)")
	count := fs.Int("count", 0, "repetitions per cell (overrides runs.count; use what the gate will see)")
	resultsRoot := fs.String("results", "results", "folder for the A/A runs' results/<run-id>/")
	cache := fs.String("cache", "", "build cache folder (default: the user cache folder)")
	out := fs.String("o", "", "thresholds file to write (default thresholds-<spec>-<host id>.json)")
	margin := fs.Float64("margin", 1, "threshold = margin × the largest A/A difference of a metric (the largest is already a worst case over every pair of A/A runs)")
	var floor percentFlag
	fs.Var(&floor, "floor", "least threshold written, `PCT` (default 1%)")
	from := fs.Bool("from", false, "the arguments are results folders of A/A runs already made (no new runs)")
	alpha := fs.Float64("alpha", gate.DefaultAlpha, "significance level used to count A/A false alarms")
	noWait := fs.Bool("no-wait", false, "fail instead of waiting when another harness run holds the host lock")
	pos, code, ok := e.parse(fs, args, 1, -1)
	if !ok {
		return code
	}
	if !floor.set {
		floor.v = 0.01
	}
	switch {
	case !*from && len(pos) != 1:
		return e.usageError(fs, "want one bench.yaml (or --from results/A results/B ...)")
	case *from && len(pos) < 2:
		return e.usageError(fs, "--from needs at least two results folders")
	case !*from && *runs < 2:
		return e.usageError(fs, "--runs must be at least 2")
	case *margin < 1:
		return e.usageError(fs, "--margin must be at least 1")
	}
	var dirs []string
	if *from {
		dirs = pos
	} else {
		h := host.Detect()
		progress := func(msg string) { fmt.Fprintf(e.stderr, "harness: %s\n", msg) }
		p, code, ok := e.loadPlan(ctx, pos[0], h, progress)
		if !ok {
			return code
		}
		builder, err := newBuilder(*cache)
		if err != nil {
			e.errorf("%v", err)
			return ExitUsage
		}
		for i := 1; i <= *runs; i++ {
			fmt.Fprintf(e.stderr, "harness: calibration run %d of %d\n", i, *runs)
			d, m, err := run.Execute(ctx, p, run.Options{
				ResultsRoot: *resultsRoot, Count: *count, Builder: builder, Wait: !*noWait, Soft: SoftStop(ctx),
				Progress: e.stderr, TTY: isTerminal(e.stderr), Harness: Version(),
			})
			if err != nil {
				printErr(e.stderr, err)
				if errors.As(err, new(spec.ErrorList)) {
					return ExitUsage
				}
				return ExitIncomplete
			}
			if run.Failed(m) {
				e.errorf("calibration run %s is %s: noise cannot be measured on failing cells; fix them first", d.Path, m.Status)
				return ExitIncomplete
			}
			dirs = append(dirs, d.Path)
		}
	}
	var manifests []*results.Manifest
	var sets []*compare.Set
	for _, dir := range dirs {
		path, m, err := openRun(dir, *resultsRoot)
		if err != nil {
			e.errorf("%v", err)
			return ExitUsage
		}
		if len(manifests) > 0 {
			m0 := manifests[0]
			if m.Host.ID != m0.Host.ID {
				e.errorf("%s ran on host %s, %s on %s: A/A runs must come from one host", path, m.Host.ID, dirs[0], m0.Host.ID)
				return ExitUsage
			}
			if m.SpecSHA256 != m0.SpecSHA256 {
				fmt.Fprintf(e.stderr, "harness: warning: %s ran another version of the spec than %s\n", path, dirs[0])
			}
		}
		set, err := compare.LoadResults(path)
		if err != nil {
			e.errorf("%v", err)
			return ExitIncomplete
		}
		manifests, sets = append(manifests, m), append(sets, set)
	}
	var pairs []gate.AAPair
	for i := range sets {
		for j := i + 1; j < len(sets); j++ {
			cmps, err := compare.Pair(sets[i], sets[j], compare.Options{Alpha: *alpha})
			if err != nil {
				e.errorf("comparing %s and %s: %v", dirs[i], dirs[j], err)
				return ExitIncomplete
			}
			pairs = append(pairs, gate.AAPair{I: i, J: j, Comparisons: cmps})
		}
	}
	m0 := manifests[len(manifests)-1]
	th := &gate.Thresholds{Format: gate.ThresholdsFormat, Spec: m0.Name, SpecSHA256: m0.SpecSHA256, HostID: m0.Host.ID,
		Host: gate.HostLabel(m0.Host), Created: time.Now().UTC(), Margin: *margin, Floor: floor.v,
		Entries: gate.Calibrate(pairs, *margin, floor.v), Contention: gate.CalibrateContention(manifests)}
	for _, m := range manifests {
		th.Runs = append(th.Runs, m.RunID)
	}
	if len(th.Entries) == 0 {
		e.errorf("the A/A runs have no benchmark in common: nothing to calibrate")
		return ExitIncomplete
	}
	file := *out
	if file == "" {
		file = fmt.Sprintf("thresholds-%s-%s.json", results.SafeName(m0.Name), results.SafeName(m0.Host.ID))
	}
	data, err := th.Marshal()
	if err != nil {
		e.errorf("%v", err)
		return ExitIncomplete
	}
	if dir := filepath.Dir(file); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			e.errorf("%v", err)
			return ExitIncomplete
		}
	}
	if err := results.WriteFileAtomic(file, data); err != nil {
		e.errorf("%v", err)
		return ExitIncomplete
	}
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
		plural(len(th.Entries), "threshold"), len(dirs), len(pairs), th.HostID, th.Host, file, file)
	return ExitOK
}
