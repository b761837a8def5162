package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/perfharness/harness/harness/host"
	"github.com/perfharness/harness/harness/plan"
	"github.com/perfharness/harness/harness/report"
	"github.com/perfharness/harness/harness/results"
	"github.com/perfharness/harness/harness/run"
	"github.com/perfharness/harness/harness/spec"
	"github.com/perfharness/harness/harness/toolchain"
)

func cmdRun(ctx context.Context, e *env, args []string) int {
	fs := e.flags()
	count := fs.Int("count", 0, "repetitions per cell (overrides runs.count)")
	resultsRoot := fs.String("results", "results", "folder for results/<run-id>/")
	resume := fs.String("resume", "", "complete the interrupted run in this results folder instead of starting one")
	shard := fs.String("shard", "", "run only shard `I/N` of the cells (whole cells, deterministic)")
	cache := fs.String("cache", "", "build cache folder (default: the user cache folder)")
	noWait := fs.Bool("no-wait", false, "fail instead of waiting when another harness run holds the host lock")
	grace := fs.Duration("grace", 0, "time a workload gets between SIGTERM and SIGKILL (default 5s)")
	metricsAddr := fs.String("metrics-addr", "", "serve live progress and per-cell figures for Prometheus at `HOST:PORT`/metrics (loopback only unless --metrics-allow-remote)")
	metricsRemote := fs.Bool("metrics-allow-remote", false, "let --metrics-addr bind a non-loopback address and answer other hosts")
	reportsDir := fs.String("reports", "reports", "folder for the rendered report, reports/<run-id>/")
	noReport := fs.Bool("no-report", false, "do not render the report at the end (harness report renders it later)")
	lockPath := fs.String("lock", "", "host lock file shared by every harness run on this machine (default "+run.DefaultLockPath()+")")
	pos, code, ok := e.parse(fs, args, 0, 1)
	if !ok {
		return code
	}
	if (*resume == "") == (len(pos) == 0) {
		return e.usageError(fs, "want a spec (harness run bench.yaml) or --resume results/<run>, not both")
	}
	if *count < 0 {
		return e.usageError(fs, "--count must be > 0")
	}
	if _, _, err := run.ParseShard(*shard); err != nil {
		return e.usageError(fs, "--shard: %v", err)
	}
	h := host.Detect()
	progress := func(msg string) { fmt.Fprintf(e.stderr, "%s\n", msg) }
	var p *plan.Plan
	if *resume != "" {
		d, err := results.Open(*resume)
		if err != nil {
			e.errorf("%v", err)
			return ExitUsage
		}
		m, err := d.ReadManifest()
		if err != nil {
			e.errorf("%v", err)
			return ExitUsage
		}
		s, err := spec.LoadIn(filepath.Join(d.Path, results.SpecFile), m.SpecDir)
		if err != nil {
			printErr(e.stderr, err)
			return ExitUsage
		}
		if *count == 0 {
			*count = m.Count
		}
		if *shard == "" {
			*shard = m.Shard
		}
		p, err = plan.Make(ctx, s, h, plan.Options{Resolver: &toolchain.Resolver{Progress: progress}})
		if err != nil {
			printErr(e.stderr, err)
			return ExitUsage
		}
		*resultsRoot = filepath.Dir(d.Path)
	} else {
		var code int
		if p, code, ok = e.loadPlan(ctx, pos[0], h, progress); !ok {
			return code
		}
	}
	for _, w := range p.Warnings {
		fmt.Fprintf(e.stderr, "warning: %s\n", w)
	}
	builder, err := newBuilder(*cache)
	if err != nil {
		e.errorf("%v", err)
		return ExitUsage
	}
	afterRun, stopMetrics, err := e.liveMetricsHook(*metricsAddr, *metricsRemote, p.Spec.Name, h.ID)
	if err != nil {
		e.errorf("%v", err)
		return ExitUsage
	}
	defer stopMetrics()
	// run says what an interrupt does: stop waiting for the host lock, or
	// finish the run in progress.
	soft := SoftStop(ctx)
	d, m, err := run.Execute(ctx, p, run.Options{
		ResultsRoot: *resultsRoot, Resume: *resume, Count: *count, Shard: *shard, Builder: builder,
		LockPath: *lockPath, Wait: !*noWait, Soft: soft, Progress: e.stderr, TTY: isTerminal(e.stderr), Harness: Version(), Grace: *grace,
		AfterRun: afterRun,
		// The summary and the report are written while this run still
		// holds the host lock: a queued run does not start measuring
		// while this one runs go tool pprof and draws plots.
		Finally: func(d *results.Dir, m *results.Manifest) {
			run.Summary(e.stdout, d, m)
			if !*noReport {
				renderReport(ctx, e, d.Path, *reportsDir)
			}
		},
	})
	var specErrs spec.ErrorList
	if errors.As(err, &specErrs) {
		// The built workloads refuse values of the spec: nothing ran.
		printErr(e.stderr, specErrs)
		e.errorf("nothing ran; fix the spec and run again (%s records the stop)", d.Path)
		return ExitUsage
	}
	if err != nil {
		e.errorf("%v", err)
		if m != nil {
			run.Summary(e.stdout, d, m)
		}
		return ExitIncomplete
	}
	if run.Failed(m) {
		return ExitIncomplete
	}
	return ExitOK
}

// isTerminal reports whether w is an interactive terminal (and not CI).
func isTerminal(w any) bool {
	for {
		u, ok := w.(interface{ Unwrap() io.Writer })
		if !ok {
			break
		}
		w = u.Unwrap()
	}
	f, ok := w.(*os.File)
	if !ok || os.Getenv("CI") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// renderReport renders a run's report. The results folder is complete
// without it; a report that fails to render is a warning, and harness
// report retries.
func renderReport(ctx context.Context, e *env, dir, reportsDir string) {
	fmt.Fprintf(e.stderr, "rendering the report\n")
	if out, err := report.Render(context.WithoutCancel(ctx), dir, report.Options{ReportsDir: reportsDir}); err != nil {
		fmt.Fprintf(e.stderr, "warning: rendering the report: %v (retry with harness report %s)\n", err, dir)
	} else {
		fmt.Fprintf(e.stdout, "report:  %s (index.html, report.md, report.txt, tables.csv)\n", out)
	}
}
