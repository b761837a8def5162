package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"

	"github.com/perfharness/harness/harness/build"
	"github.com/perfharness/harness/harness/compare"
	"github.com/perfharness/harness/harness/export"
	"github.com/perfharness/harness/harness/host"
	"github.com/perfharness/harness/harness/plan"
	"github.com/perfharness/harness/harness/report"
	"github.com/perfharness/harness/harness/results"
	"github.com/perfharness/harness/harness/run"
	"github.com/perfharness/harness/harness/spec"
	"github.com/perfharness/harness/harness/toolchain"
)

func cmdRun(ctx context.Context, e *env, args []string) error {
	fs := e.flags()
	var o run.Options
	fs.IntVar(&o.Count, "count", 0, "repetitions per cell (overrides runs.count)")
	fs.StringVar(&o.ResultsRoot, "results", "results", "folder for results/<run-id>/")
	fs.StringVar(&o.Resume, "resume", "", "complete the interrupted run in this results folder instead of starting one")
	fs.StringVar(&o.Shard, "shard", "", "run only shard `I/N` of the cells (whole cells, deterministic)")
	cache := fs.String("cache", "", "build cache folder (default: the user cache folder)")
	noWait := fs.Bool("no-wait", false, "fail instead of waiting when another harness run holds the host lock")
	fs.DurationVar(&o.Grace, "grace", 0, "time a workload gets between SIGTERM and SIGKILL (default 5s)")
	metricsAddr := fs.String("metrics-addr", "", "serve live progress and per-cell figures for Prometheus at `HOST:PORT`/metrics (loopback only unless --metrics-allow-remote)")
	metricsRemote := fs.Bool("metrics-allow-remote", false, "let --metrics-addr bind a non-loopback address and answer other hosts")
	var metricsOpts export.Options
	fs.Var((*labelsFlag)(&metricsOpts.Labels), "metrics-label", "put the run's `LABEL` (run_id, spec or host_id) on every live series, not only on harness_run_info (repeatable)")
	reportsDir := fs.String("reports", "reports", "folder for the rendered report, reports/<run-id>/")
	noReport := fs.Bool("no-report", false, "do not render the report at the end (harness report renders it later)")
	fs.StringVar(&o.LockPath, "lock", "", "host lock file shared by every harness run on this machine (default "+run.DefaultLockPath()+")")
	pos, err := e.parse(fs, args, 0, 1)
	if err != nil {
		return err
	}
	if err := e.checkRun(fs, pos, &o, *metricsAddr, *metricsRemote); err != nil {
		return err
	}
	if err := metricsOpts.Validate(); err != nil {
		return e.usage("--metrics-label: %v", err)
	}
	p, err := e.runPlan(ctx, pos, &o)
	if err != nil {
		return err
	}
	if o.Builder, err = build.NewPlanBuilder(*cache); err != nil {
		return usageErr(err)
	}
	stop, err := e.liveMetrics(*metricsAddr, *metricsRemote, metricsOpts, p, &o)
	if err != nil {
		return usageErr(err)
	}
	defer stop()
	o.Wait, o.Soft, o.Progress, o.TTY, o.Harness = !*noWait, SoftStop(ctx), e.stderr, isTerminal(e.stderr), Version()
	o.Finally = e.finally(ctx, !*noReport, *reportsDir)
	d, m, err := run.Execute(ctx, p, o)
	if specErrs := (spec.ErrorList{}); errors.As(err, &specErrs) {
		// The built workloads refuse values of the spec: nothing ran.
		return usageErr(fmt.Errorf("%w\nnothing ran; fix the spec and run again (%s records the stop)", specErrs, d.Path))
	} else if err != nil {
		if m != nil {
			run.Summary(e.stdout, d, m)
		}
		return incomplete(err)
	}
	if m.Failed() {
		return exitSilently(ExitIncomplete)
	}
	return nil
}

// checkRun checks harness run's arguments before anything is read: a spec or
// a run to resume, and the ranges of the flags (run.Options.Validate).
func (e *env) checkRun(fs *flag.FlagSet, pos []string, o *run.Options, metricsAddr string, allowRemote bool) error {
	if (o.Resume == "") == (len(pos) == 0) {
		return e.usage("want a spec (harness run bench.yaml) or --resume results/<run>, not both")
	}
	if err := e.refuseZero(fs, "count", "grace"); err != nil {
		return err
	}
	if err := o.Validate(); err != nil {
		return e.usage("%v", err)
	}
	if metricsAddr != "" {
		if _, err := export.CheckAddr(metricsAddr, allowRemote); err != nil {
			return e.usage("%v", err)
		}
	}
	return nil
}

// runPlan plans the spec named in pos, or re-plans the run o.Resume
// names, taking its repetitions, shard and results folder unless given.
func (e *env) runPlan(ctx context.Context, pos []string, o *run.Options) (*plan.Plan, error) {
	h := host.Detect()
	var p *plan.Plan
	if o.Resume != "" {
		var m *results.Manifest
		var err error
		if p, m, err = run.Replan(ctx, o.Resume, h, e.say); err != nil {
			return nil, usageErr(err)
		}
		if o.Count == 0 {
			o.Count = m.Count
		}
		if o.Shard == "" {
			o.Shard = m.Shard
		}
		abs, err := filepath.Abs(o.Resume)
		if err != nil {
			return nil, usageErr(err)
		}
		o.ResultsRoot = filepath.Dir(abs)
	} else {
		var err error
		if p, err = e.loadPlan(ctx, pos[0], h, e.say); err != nil {
			return nil, err
		}
	}
	for _, w := range p.Warnings {
		e.say("warning: " + w)
	}
	return p, nil
}

// loadPlan loads and plans a spec, progress receiving a line before a slow
// step. A spec that does not load or plan is a usage error, unless the plan
// was interrupted.
func (e *env) loadPlan(ctx context.Context, path string, h host.Fingerprint, progress func(string)) (*plan.Plan, error) {
	s, err := spec.Load(path)
	if err != nil {
		return nil, usageErr(err)
	}
	if errs := compare.CheckSpec(s); len(errs) > 0 {
		return nil, usageErr(errs)
	}
	p, err := plan.Make(ctx, s, h, plan.Options{Resolver: &toolchain.Resolver{Progress: progress}})
	if err != nil {
		if ctx.Err() != nil {
			return nil, incomplete(err)
		}
		return nil, usageErr(err)
	}
	return p, nil
}

// liveMetrics starts the --metrics-addr server for the run (nothing when
// addr is empty), fed by o.AfterRun, and returns its stop function.
func (e *env) liveMetrics(addr string, allowRemote bool, mo export.Options, p *plan.Plan, o *run.Options) (stop func(), err error) {
	if addr == "" {
		return func() {}, nil
	}
	ln, err := export.Listen(addr, allowRemote)
	if err != nil {
		return nil, err
	}
	if allowRemote && !host.IsLoopback(ln.Addr().(*net.TCPAddr).IP.String()) {
		e.logf("warning: serving metrics on %s to any host that can reach it (--metrics-allow-remote)", ln.Addr())
	}
	e.logf("live metrics at http://%s/metrics", ln.Addr())
	live, stop := export.Serve(ln, allowRemote, p.Spec.Name, p.Host.ID, mo, func(err error) { e.logf("warning: %v", err) })
	o.AfterRun = live.AfterRun
	return stop, nil
}

// finally writes the summary and the report of a run that finished while
// it still holds the host lock: a queued run does not start measuring
// while this one runs go tool pprof and draws plots.
func (e *env) finally(ctx context.Context, render bool, reportsDir string) func(*results.Dir, *results.Manifest) {
	return func(d *results.Dir, m *results.Manifest) {
		run.Summary(e.stdout, d, m)
		if render {
			e.renderReport(ctx, d.Path, reportsDir)
		}
	}
}

// renderReport renders the report of a finished run. The results folder
// is complete without it: a report that fails to render is a warning, and
// harness report retries.
func (e *env) renderReport(ctx context.Context, dir, reportsDir string) {
	e.say("rendering the report")
	if out, err := report.Render(context.WithoutCancel(ctx), dir, report.Options{ReportsDir: reportsDir}); err != nil {
		e.say(fmt.Sprintf("warning: rendering the report: %v (retry with harness report %s)", err, dir))
	} else {
		fmt.Fprintf(e.stdout, "report:  %s (index.html, report.md, report.txt, tables.csv)\n", out)
	}
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
