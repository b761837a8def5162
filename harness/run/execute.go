package run

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/perfharness/harness/harness/host"
	"github.com/perfharness/harness/harness/plan"
	"github.com/perfharness/harness/harness/results"
	"github.com/perfharness/harness/harness/spec"
)

func numCPU() int { return runtime.NumCPU() }

// execute runs one repetition of a cell into run.Dir and fills in run.
func (r *Runner) execute(ctx context.Context, c *plan.Cell, rc *results.Cell, run *results.Run, bt *results.Build, profiles []string) {
	dir, err := r.dir.MkdirAll(run.Dir)
	if err != nil {
		run.Status, run.Reason = results.StatusFailed, err.Error()
		if r.storageErr == nil {
			r.storageErr = fmt.Errorf("creating %s: %w", run.Dir, err)
		}
		return
	}
	// A resumed or repeated run starts from an empty folder: no stale file
	// from an earlier attempt may be read as this run's.
	clearDir(dir)
	run.Started = time.Now()
	run.Status, run.Reason, run.Signal, run.ExitCode, run.Warnings, run.LagDominated = results.StatusPlanned, "", "", 0, nil, nil
	r.saveOrStop() // a crash now leaves "started, not finished" for --resume
	switch {
	case c.Instructions():
		r.runInstructions(ctx, c, run, bt, dir)
	case c.Workload.Kind == spec.KindGoTest:
		r.runGoTest(ctx, c, run, bt, dir, profiles)
	case c.Workload.Kind == spec.KindHTTP:
		r.runHTTP(ctx, c, run, bt, dir, profiles)
	default:
		r.runFixedRate(ctx, c, run, bt, dir, profiles)
	}
	run.Duration = time.Since(run.Started).Nanoseconds()
}

func clearDir(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		os.RemoveAll(filepath.Join(dir, e.Name()))
	}
}

// timeout is a run's deadline: the workload's or the spec's timeout, else
// the run's own length plus a minute of slack (ten minutes for go test,
// whose length the harness cannot know).
func (r *Runner) timeout(c *plan.Cell) time.Duration {
	if t := c.Workload.Timeout.D(); t > 0 {
		return t
	}
	if t := r.plan.Spec.Runs.Timeout.D(); t > 0 {
		return t
	}
	if c.Workload.Kind == spec.KindGoTest {
		return 10 * time.Minute
	}
	return c.Workload.Warmup.D() + c.Workload.Duration.D() + time.Minute
}

func (r *Runner) cpus(c *plan.Cell) string {
	return r.plan.Spec.Runs.CPUs
}

// driverArgs are the run-protocol flags of a fixed-rate workload or of the
// HTTP load client.
func driverArgs(c *plan.Cell, dir string, profiles []string, seed int64) []string {
	w := c.Workload
	args := []string{"-name", w.Name, "-op", c.Op}
	if c.Rate.PerSecond > 0 {
		args = append(args, "-rate", strconv.FormatFloat(c.Rate.PerSecond, 'f', -1, 64))
	}
	args = append(args,
		"-duration", w.Duration.D().String(), "-warmup", w.Warmup.D().String(),
		"-concurrency", strconv.Itoa(w.Concurrency),
		"-seed", strconv.FormatInt(seed, 10),
	)
	if dir != "" { // the HTTP load client's is added per process
		args = append(args, "-out", dir)
	}
	if w.Schedule != "" {
		args = append(args, "-schedule", w.Schedule)
	}
	if w.RateTolerance != nil {
		args = append(args, "-rate-tolerance", strconv.FormatFloat(float64(*w.RateTolerance), 'f', -1, 64))
	}
	for _, f := range []struct {
		flag string
		v    *spec.Percent
	}{{"-max-lag-share", w.MaxLagShare}, {"-max-cpu-withheld", w.MaxCPUWithheld}, {"-max-steal", w.MaxSteal}} {
		if f.v != nil {
			args = append(args, f.flag, strconv.FormatFloat(float64(*f.v), 'f', -1, 64))
		}
	}
	if w.MaxLagP99 > 0 {
		args = append(args, "-max-lag-p99", w.MaxLagP99.D().String())
	}
	if w.MaxBacklog > 0 {
		args = append(args, "-max-backlog", strconv.Itoa(w.MaxBacklog))
	}
	if len(profiles) > 0 {
		args = append(args, "-profiles", strings.Join(profiles, ","))
	}
	for _, kv := range w.Params {
		args = append(args, "-param", kv.Key+"="+kv.Value)
	}
	return args
}

func (r *Runner) runFixedRate(ctx context.Context, c *plan.Cell, run *results.Run, bt *results.Build, dir string, profiles []string) {
	p := Proc{
		Path: bt.Binary, Args: driverArgs(c, dir, profiles, r.m.Seed+int64(run.Index)), Env: c.RunEnv,
		Dir: dir, Stdout: filepath.Join(dir, "stdout.log"), Stderr: filepath.Join(dir, "stderr.log"),
		CPUs: r.cpus(c), Timeout: r.timeout(c), Grace: r.opts.Grace,
	}
	exit := Run(ctx, p)
	classify(run, exit, p, dir, true, float64(c.Workload.MaxErrors))
}

// withSummary appends a crash summary to a reason: its first line on the
// reason's line (so one-line views show what happened), the rest below.
func withSummary(summary string) string {
	if summary == "" {
		return ""
	}
	return ": " + summary
}

func exitString(e Exit) string {
	if e.Signal != "" {
		return "killed by " + e.Signal
	}
	return fmt.Sprintf("exit status %d", e.Code)
}

// classify turns a process exit (and, for driver workloads, its result.json)
// into the run's status and reason.
func classify(run *results.Run, exit Exit, p Proc, dir string, driver bool, maxErrors float64) {
	run.ExitCode, run.Signal = exit.Code, exit.Signal
	errTail := func() string { return withSummary(exit.Stderr.Summary()) }
	run.Warnings = append(run.Warnings, exit.notes("")...)
	var res *results.DriverResult
	var resErr error
	if driver {
		res, resErr = results.ReadDriverResult(dir)
		if res != nil {
			run.TargetRate, run.AchievedRate, run.Errors = res.TargetRate, res.AchievedRate, res.Errors
			run.Warnings = append(run.Warnings, res.Warnings...)
			run.P50Ns, run.P99Ns, run.MaxNs = res.Latency.P50Ns, res.Latency.P99Ns, res.Latency.MaxNs
			run.LagDominated = lagDominated(res.LagDominated)
			if res.Contention.Measured {
				c := res.Contention.Contention
				run.Contention = &c
			}
		}
	}
	switch {
	case exit.Err != nil:
		run.Status, run.Reason = results.StatusFailed, exit.Err.Error()
	case exit.Stopped:
		run.Status, run.Reason = results.StatusInterrupted, "stopped by a second interrupt"
	case exit.TimedOut:
		how := "it exited after SIGTERM"
		if exit.Signal == "SIGKILL" {
			how = fmt.Sprintf("it ignored SIGTERM and was killed after %s", p.Grace)
		}
		run.Status, run.Reason = results.StatusTimeout, fmt.Sprintf("exceeded its %s deadline; %s%s", p.Timeout, how, errTail())
	case exit.Signal != "":
		what := "killed by " + exit.Signal
		if exit.Signal == "SIGKILL" {
			what += " (not sent by the harness: the kernel's OOM killer?)"
		}
		run.Status, run.Reason = results.StatusCrashed, what+errTail()
	case exit.Code != 0:
		if res != nil && res.Status == results.StatusFailed && res.Reason != "" {
			run.Status, run.Reason = results.StatusFailed, res.Reason
		} else {
			run.Status, run.Reason = results.StatusCrashed, fmt.Sprintf("exit status %d%s", exit.Code, errTail())
		}
	case !driver:
		run.Status = results.StatusOK
	case resErr != nil:
		run.Status, run.Reason = results.StatusFailed, fmt.Sprintf("exited 0 without a valid result.json: %v", resErr)
	default:
		switch res.Status {
		case results.StatusOK:
			run.Status = results.StatusOK
			if _, err := os.Stat(filepath.Join(dir, results.BenchFile)); err != nil {
				run.Status, run.Reason = results.StatusFailed, "result.json says ok but bench.txt is missing"
			}
		case results.StatusRateNotAchieved, results.StatusHostContended, results.StatusGeneratorLagged:
			run.Status, run.Reason = res.Status, res.Reason
		default:
			run.Status, run.Reason = results.StatusFailed, cmp.Or(res.Reason, "workload reported status "+strconv.Quote(string(res.Status)))
		}
		if res.Interrupted && run.Status == results.StatusOK {
			run.Status, run.Reason = results.StatusInterrupted, "the workload was interrupted"
		}
		if run.Status == results.StatusOK && res.Errors > 0 && float64(res.Errors) > maxErrors*float64(res.Completed) {
			run.Status, run.Reason = results.StatusFailed, errorsReason(res)
		}
	}
}

// errorsReason says how many ops failed and, for HTTP, with which status
// codes and errors.
func errorsReason(res *results.DriverResult) string {
	reason := fmt.Sprintf("%d of %d ops failed", res.Errors, res.Completed)
	var parts []string
	var counts []map[string]int64
	if op := res.OpReport; op != nil {
		counts = []map[string]int64{op.StatusCodes, op.Errors}
	}
	for _, m := range counts {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if k == "200" || k == "201" || k == "204" {
				continue
			}
			parts = append(parts, fmt.Sprintf("%s: %d", k, m[k]))
		}
	}
	if len(parts) > 0 {
		reason += " (" + strings.Join(parts, ", ") + ")"
	}
	return reason + "; raise max_errors to accept some"
}

// runGoTest runs a test binary's benchmarks once (-test.count=1; the harness
// repeats runs itself so they interleave with other cells).
func (r *Runner) runGoTest(ctx context.Context, c *plan.Cell, run *results.Run, bt *results.Build, dir string, profiles []string) {
	w := c.Workload
	if !framedGoVersion(bt.GoVersion) {
		run.Status, run.Reason = results.StatusFailed, fmt.Sprintf("go test benchmarks need a test binary built by go1.%d or later (its results are read from the testing package's framed output, -test.v=test2json); this one was built by %s", minFramedGo, bt.GoVersion)
		return
	}
	base := Proc{Path: bt.Binary, Env: c.RunEnv, Dir: c.Build.Package, CPUs: r.cpus(c), Grace: r.opts.Grace, Timeout: r.timeout(c)}
	exit, p, parser, err := runBenchmarks(ctx, base, goTestArgs(w.Bench, w.Benchtime, dir, profiles), dir)
	if err != nil {
		run.Status, run.Reason = results.StatusFailed, err.Error()
		if ctx.Err() != nil {
			run.Status = results.StatusInterrupted
		}
		return
	}
	classify(run, exit, p, dir, false, 0)
	run.Warnings = append(run.Warnings, parser.warnings()...)
	if run.Status != results.StatusOK {
		if run.Status == results.StatusCrashed {
			if t := exit.Stdout.Tail(15); t != "" {
				run.Reason += "\n" + t
			}
		}
		return
	}
	if len(parser.results) == 0 {
		run.Status, run.Reason = results.StatusFailed, fmt.Sprintf("no benchmark matched -test.bench=%s", w.Bench)
		if len(parser.unlisted) > 0 {
			run.Reason += fmt.Sprintf(" among the %d the binary lists (-test.list); results came for others, not counted", len(parser.listed))
		}
		return
	}
	var lines bytes.Buffer
	var framed []byte
	for _, l := range parser.results {
		framed = append(framed, l+"\n"...)
	}
	for _, l := range results.ParseBench(framed) {
		if l.Result == nil {
			continue
		}
		lines.WriteString(l.Text + "\n")
		if m := l.Result.Metrics[0]; run.NsPerOp == 0 && m.Unit == "ns/op" {
			run.NsPerOp = m.Value
		}
	}
	if err := results.WriteFileAtomic(filepath.Join(dir, results.BenchFile), lines.Bytes()); err != nil {
		run.Status, run.Reason = results.StatusFailed, err.Error()
		return
	}
	if err := memProfiles(dir, slices.Contains(profiles, "heap"), slices.Contains(profiles, "allocs")); err != nil {
		run.Warnings = append(run.Warnings, "heap profile: "+err.Error())
	}
}

// runHTTP starts the server workload, waits until it is ready, drives it
// with the load client, and stops it.
func (r *Runner) runHTTP(ctx context.Context, c *plan.Cell, run *results.Run, bt *results.Build, dir string, profiles []string) {
	if r.tool == nil {
		run.Status, run.Reason = results.StatusFailed, "the HTTP load client is not built"
		return
	}
	// Sockets left in TIME_WAIT by the previous run would skew this one.
	if n := drainTimeWait(ctx, 2000, 60*time.Second); n > 2000 {
		r.prog.Printf("warning: %d sockets still in TIME_WAIT after 60s", n)
	}
	serverDir := filepath.Join(dir, results.ServerDir)
	if err := os.MkdirAll(serverDir, 0o755); err != nil {
		run.Status, run.Reason = results.StatusFailed, err.Error()
		return
	}
	addrFile := filepath.Join(serverDir, "addr")
	srvArgs := []string{"-listen", "127.0.0.1:0", "-addr-file", addrFile, "-out", serverDir}
	if len(profiles) > 0 {
		srvArgs = append(srvArgs, "-profiles", strings.Join(profiles, ","))
	}
	sp := Proc{Path: bt.Binary, Args: srvArgs, Env: c.RunEnv, Dir: serverDir,
		Stdout: filepath.Join(serverDir, "stdout.log"), Stderr: filepath.Join(serverDir, "stderr.log"),
		CPUs: r.plan.Spec.Runs.ServerCPUs, Grace: r.opts.Grace}
	srv, err := start(sp)
	if err != nil {
		run.Status, run.Reason = results.StatusFailed, err.Error()
		return
	}
	defer func() {
		select {
		case <-srv.done:
		default:
			srv.terminate(r.opts.Grace)
		}
	}()
	addr, err := waitReady(ctx, srv, addrFile, c.Workload.ReadyTimeout.D())
	if err != nil {
		exit := srv.exit
		select {
		case <-srv.done:
		default:
			srv.terminate(r.opts.Grace)
			exit = srv.exit
		}
		run.ExitCode, run.Signal = exit.Code, exit.Signal
		run.Status = results.StatusCrashed
		if ctx.Err() != nil {
			run.Status = results.StatusInterrupted
		}
		run.Reason = fmt.Sprintf("server: %v", err) + withSummary(exit.Stderr.Summary())
		run.Warnings = append(run.Warnings, exit.notes("server")...)
		return
	}
	req := c.Request
	args := driverArgs(c, "", nil, r.m.Seed+int64(run.Index))
	u := url.URL{Scheme: "http", Host: addr, Path: req.Path}
	if p, q, ok := strings.Cut(req.Path, "?"); ok {
		u.Path, u.RawQuery = p, q
	}
	args = append(args, "-url", u.String(), "-method", cmp.Or(req.Method, "GET"))
	for _, h := range req.Headers {
		args = append(args, "-header", h.Key+": "+h.Value)
	}
	if req.Body != "" {
		args = append(args, "-body", req.Body)
	}
	if cl := c.Workload.Client; cl != nil {
		if cl.Timeout > 0 {
			args = append(args, "-timeout", cl.Timeout.D().String())
		}
		if cl.Library != "" {
			args = append(args, "-client", cl.Library)
		}
	}
	exit, cp, resDir, who := r.runLoad(ctx, c, dir, "http://"+addr, args)
	classify(run, exit, cp, resDir, true, float64(c.Workload.MaxErrors))
	if who != "" {
		run.Reason = who + ": " + run.Reason
	}
	select {
	case <-srv.done:
		// The server died during the run: that is the cell's failure,
		// whatever the client saw.
		run.Status = results.StatusCrashed
		run.Reason = "server exited during the run (" + exitString(srv.exit) + ")" + withSummary(srv.exit.Stderr.Summary())
		run.Warnings = append(run.Warnings, srv.exit.notes("server")...)
		return
	default:
	}
	srv.terminate(r.opts.Grace)
	run.Warnings = append(run.Warnings, srv.exit.notes("server")...)
	if run.Status == results.StatusOK {
		if err := useServerMetrics(dir); err != nil {
			run.Warnings = append(run.Warnings, err.Error())
		}
	}
}

// useServerMetrics puts the server's runtime figures for the measured window
// into the run's bench.txt in place of the load client's: for an http cell,
// GC pauses, peak RSS and allocations per request are the server's, and so
// is the GOMAXPROCS suffix of the benchmark's name (the load client runs
// with its own, usually 1).
func useServerMetrics(dir string) error {
	sr, err := results.ReadServerResult(dir)
	if err != nil {
		return fmt.Errorf("server figures unavailable: %w", err)
	}
	if sr.Status != results.StatusOK || sr.Requests <= 0 {
		return fmt.Errorf("server figures unavailable (server.json: %s %s); bench.txt keeps the load client's runtime figures", sr.Status, sr.Reason)
	}
	values := map[string]float64{
		"gc-pause-p99-ns": float64(sr.Runtime.GCPauseP99Ns),
		"peak-rss-B":      float64(sr.Runtime.PeakRSSB),
		"allocs/op":       float64(sr.Runtime.AllocObjects) / float64(sr.Requests),
		"B/op":            float64(sr.Runtime.AllocB) / float64(sr.Requests),
	}
	path := filepath.Join(dir, results.BenchFile)
	bench, err := results.ReadFileIn(dir, results.BenchFile)
	if err != nil {
		return err
	}
	res, err := results.ReadDriverResult(dir)
	if err != nil {
		return err
	}
	lines := strings.Split(string(bench), "\n")
	for i, l := range lines {
		r, ok := results.ParseResultLine(l)
		if !ok {
			continue
		}
		r.Name = withProcs(r.Name, res.GOMAXPROCS, sr.GOMAXPROCS)
		for j, m := range r.Metrics {
			if v, ok := values[m.Unit]; ok {
				r.Metrics[j].Value = v
			}
		}
		lines[i] = r.String()
	}
	return results.WriteFileAtomic(path, []byte(strings.Join(lines, "\n")))
}

// withProcs replaces a benchmark name's GOMAXPROCS suffix: from (go test
// adds none for 1) to to.
func withProcs(name string, from, to int) string {
	if from == 0 || to == 0 {
		return name // a file from before the field: leave the name as it is
	}
	if from != 1 {
		name = strings.TrimSuffix(name, "-"+strconv.Itoa(from))
	}
	if to > 1 {
		name += "-" + strconv.Itoa(to)
	}
	return name
}

// baseEnv keeps only the base variables: the load client must not get the
// server cell's allocator or GODEBUG.
func baseEnv(env []string) []string {
	base, _ := plan.SplitEnv(env)
	return base
}

// waitReady waits until the server has written its address and accepts a
// connection on it, it exits, or max passes.
func waitReady(ctx context.Context, srv *running, addrFile string, max time.Duration) (string, error) {
	deadline := time.After(max)
	for {
		if data, err := results.ReadFileIn(filepath.Dir(addrFile), filepath.Base(addrFile)); err == nil && len(bytes.TrimSpace(data)) > 0 {
			addr := strings.TrimSpace(string(data))
			h, _, err := net.SplitHostPort(addr)
			if err != nil {
				return "", fmt.Errorf("address file holds %q, not host:port", addr)
			}
			if !host.IsLoopback(h) {
				return "", fmt.Errorf("server listens on %s, not loopback; refusing to send load there", addr)
			}
			if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
				conn.Close()
				return addr, nil
			}
		}
		select {
		case <-srv.done:
			return "", fmt.Errorf("exited before becoming ready (%s)", exitString(srv.exit))
		case <-deadline:
			return "", fmt.Errorf("not ready within %s (no address in %s)", max, filepath.Base(addrFile))
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// lagDominated keeps the units a driver may leave out of bench.txt for
// its lag, each once (result.json is the workload's, not ours).
func lagDominated(units []string) []string {
	var out []string
	for _, u := range units {
		switch u {
		case "ns/op", "p90-ns", "p99-ns", "p99.9-ns", "max-ns":
			if !slices.Contains(out, u) {
				out = append(out, u)
			}
		}
	}
	return out
}
