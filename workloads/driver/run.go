package driver

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A Config is one run's settings, as the protocol flags set them.
type Config struct {
	Name          string        // workload name, for bench.txt
	Op            string        // op to run
	Rate          float64       // ops/s, when Schedule is empty
	Schedule      string        // see ParseSchedule
	Duration      time.Duration // measured window
	Warmup        time.Duration // before the window, at the schedule's first rate
	Concurrency   int           // workers serving the schedule
	Out           string        // output folder
	Profiles      []string      // of cpu, heap, allocs, mutex, block, trace
	Seed          int64         // for ops, via Params.Seed
	BacklogLimit  uint64        // 0: 10 s of the peak rate, at least 1000
	RateTolerance float64       // fraction of the target rate that may be missed
	// MaxLagShare is how large a share of a latency figure the generator
	// lag at the same place of its distribution may be: lag that large is
	// a material part of the figure. Past it at the median the run is
	// generator-lagged; past it at the mean or a tail percentile only,
	// those figures are left out of bench.txt (Result.LagDominated). Lag
	// under LagFloor never counts. MaxLagP99, when > 0, replaces the share
	// with an absolute limit on lag P99 that makes the run invalid.
	MaxLagShare float64
	MaxLagP99   time.Duration
	// MaxCPUWithheld is the share of the CPU time the process's threads
	// asked for that the machine may make them wait for, and MaxSteal the
	// share of the CPUs' time a hypervisor may give other guests, before
	// the run is host-contended (Linux; elsewhere not measured).
	MaxCPUWithheld float64
	MaxSteal       float64
	// Spin is how close to an op's due time the pacer stops sleeping and
	// spins (DefaultSpin when 0; never when negative). Spinning keeps generator lag in
	// microseconds at high rates but costs a core while ops are near due;
	// 0 sleeps all the way, for clients (HTTP) where tens of microseconds
	// of lag matter less than the core.
	Spin time.Duration
	// Pacer is how the pacer waits for an op's due time: PacerFine
	// (the default: a fine sleep, then Spin), PacerCoarse (Go's timers:
	// no wake-up of its own, up to ~1 ms late) or PacerAuto (coarse while
	// coarse sleeps keep time, fine when they do not; see autoPacer).
	Pacer  string
	Params map[string]string // -param key=value
	// Iterations, when > 0, runs the op exactly this many times closed loop
	// instead of playing a schedule (see runIterations): for counting
	// instructions, where pacing means nothing.
	Iterations uint64
	// Generators, when above 1, splits the schedule over that many
	// processes: this one, number Generator (from 0), plays ops Generator,
	// Generator+Generators, ... (see Stride), so that together they play
	// the whole schedule. StartAt, when set, is the wall-clock instant the
	// schedule starts at (its op 0's due time, warm-up included), so that
	// processes started apart share it. See Merge for their results.
	Generators, Generator int
	StartAt               time.Time
}

// Pacers (Config.Pacer, -pacer).
const (
	PacerFine   = "fine"
	PacerCoarse = "coarse"
	PacerAuto   = "auto"
)

// Defaults for the protocol flags.
const (
	DefaultDuration      = 10 * time.Second
	DefaultWarmup        = time.Second
	DefaultRateTolerance = 0.01
	DefaultMaxLagShare   = 0.10
	// DefaultMaxCPUWithheld is 1: no limit. A run can wait for most of
	// the CPU it asks for and still measure right — the coordinated-
	// omission known answer, its process waiting for 89% of its CPU time
	// beside two busy loops on a loaded 2-core machine, recorded P99
	// 902.3 ms against a model of 901 ms — so the share withheld is
	// recorded, the generator lag it causes is judged by its effect, and
	// the gate compares the two sides' host states; a spec may still set
	// a limit.
	DefaultMaxCPUWithheld = 1.0
	DefaultMaxSteal       = 0.10
	// LagFloor is the generator lag under which lag never invalidates
	// a run or a figure, whatever its share: the pacer's own resolution (a fine sleep
	// overshoots by 25–70 µs) is not a fault of the run.
	LagFloor = 200 * time.Microsecond
)

// RegisterFlags defines the run protocol's flags on fs, storing into c.
// Fields of c that are already set become the flags' defaults.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	if c.Params == nil {
		c.Params = map[string]string{}
	}
	or := func(v, def time.Duration) time.Duration {
		if v != 0 {
			return v
		}
		return def
	}
	if c.Concurrency == 0 {
		c.Concurrency = 1
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.RateTolerance == 0 {
		c.RateTolerance = DefaultRateTolerance
	}
	if c.MaxLagShare == 0 {
		c.MaxLagShare = DefaultMaxLagShare
	}
	if c.MaxCPUWithheld == 0 {
		c.MaxCPUWithheld = DefaultMaxCPUWithheld
	}
	if c.MaxSteal == 0 {
		c.MaxSteal = DefaultMaxSteal
	}
	fs.StringVar(&c.Name, "name", c.Name, "workload `name` used in bench.txt (default: the binary's name)")
	fs.StringVar(&c.Op, "op", c.Op, "`op` to run")
	fs.Float64Var(&c.Rate, "rate", c.Rate, "target `ops/s` (constant rate)")
	fs.StringVar(&c.Schedule, "schedule", c.Schedule, "rate sweep instead of -rate: steps:R1,R2,... (each for duration/n) or ramp:FROM-TO")
	fs.DurationVar(&c.Duration, "duration", or(c.Duration, DefaultDuration), "measured window `length`")
	fs.DurationVar(&c.Warmup, "warmup", or(c.Warmup, DefaultWarmup), "warm-up before the window, excluded from all figures")
	fs.IntVar(&c.Concurrency, "concurrency", c.Concurrency, "`workers` serving the schedule; ops queue when all are busy")
	fs.StringVar(&c.Out, "out", c.Out, "output `dir`ectory")
	fs.Func("profiles", "comma `list` of cpu,heap,allocs,mutex,block,trace to collect over the window", func(s string) error {
		p, err := parseProfiles(s)
		c.Profiles = p
		return err
	})
	fs.Int64Var(&c.Seed, "seed", c.Seed, "seed for the op's randomness")
	fs.Uint64Var(&c.BacklogLimit, "max-backlog", c.BacklogLimit, "most due-but-unstarted `ops` before the run stops as rate-not-achieved (0: 10 s of the peak rate, at least 1000)")
	fs.Float64Var(&c.RateTolerance, "rate-tolerance", c.RateTolerance, "`fraction` of the target rate the achieved rate may miss")
	fs.Float64Var(&c.MaxLagShare, "max-lag-share", c.MaxLagShare, "`fraction` of a latency figure the generator lag's may be (above "+LagFloor.String()+"): past it at P50 the run is generator-lagged, at the mean or a tail that figure is left out of bench.txt")
	fs.DurationVar(&c.MaxLagP99, "max-lag-p99", c.MaxLagP99, "absolute limit on generator lag P99, replacing -max-lag-share (0: use the share)")
	fs.Float64Var(&c.MaxCPUWithheld, "max-cpu-withheld", c.MaxCPUWithheld, "`fraction` of the CPU time the process asked for that the machine may withhold before the run is host-contended (1: no limit)")
	fs.Float64Var(&c.MaxSteal, "max-steal", c.MaxSteal, "`fraction` of the CPUs' time a hypervisor may steal before the run is host-contended (1: no limit)")
	fs.Var(paramFlag(c.Params), "param", "op parameter `key=value` (repeatable)")
	if c.Generators == 0 {
		c.Generators = 1
	}
	fs.IntVar(&c.Generators, "generators", c.Generators, "`processes` playing the schedule together (each takes every n-th op; see -generator, -start-at)")
	fs.IntVar(&c.Generator, "generator", c.Generator, "this process's `index` among -generators, from 0")
	fs.Func("start-at", "wall-clock `time` (RFC 3339) at which the schedule starts, shared by -generators", func(s string) error {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return fmt.Errorf("want an RFC 3339 time such as 2026-01-02T15:04:05.5Z")
		}
		c.StartAt = t
		return nil
	})
	fs.Uint64Var(&c.Iterations, "iterations", c.Iterations, "run the op exactly `n` times closed loop, one call after another, instead of a paced schedule (no -rate, -schedule, -duration or -warmup)")
	if c.Spin == 0 {
		c.Spin = DefaultSpin // a negative Spin (never) stays the caller's default
	}
	if c.Pacer == "" {
		c.Pacer = PacerFine
	}
	fs.StringVar(&c.Pacer, "pacer", c.Pacer, "how the pacer waits for each op's due `time`: fine (a precise sleep, then -spin), coarse (Go's timers: no wake-up of its own, up to ~1 ms late) or auto (coarse while coarse sleeps end within 100µs of due, else fine)")
	fs.Var((*spinFlag)(&c.Spin), "spin", "how close to an op's due `time` the pacer stops sleeping and spins (0: never spin; saves a core, adds ~25–70 µs of lag on Linux)")
}

// spinFlag is -spin: on the command line 0 means never spin, which Config
// spells as a negative Spin (its zero value is the default window).
type spinFlag time.Duration

func (f *spinFlag) String() string { return time.Duration(max(*f, 0)).String() }

func (f *spinFlag) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	if d < 0 {
		return fmt.Errorf("must be >= 0 (0: never spin)")
	}
	if d == 0 {
		d = -1
	}
	*f = spinFlag(d)
	return nil
}

// flagsSet says which flags the command line set explicitly, where a
// flag's default cannot tell.
type flagsSet struct {
	rate   bool // -rate
	window bool // -duration or -warmup
}

// check validates c and builds its schedule (warm-up included); it reports
// every problem at once. In iterations mode the plan is nil.
func (c *Config) check(set flagsSet) (*RatePlan, error) {
	if c.Iterations > 0 {
		return nil, c.checkIterations(set)
	}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.Op == "" {
		bad("-op: required")
	}
	if c.Out == "" {
		bad("-out: required")
	}
	if c.Duration <= 0 {
		bad("-duration: must be > 0 (got %v)", c.Duration)
	}
	if c.Warmup < 0 {
		bad("-warmup: must be >= 0 (got %v)", c.Warmup)
	}
	if c.Concurrency < 1 {
		bad("-concurrency: must be >= 1 (got %d)", c.Concurrency)
	}
	if !(c.RateTolerance >= 0 && c.RateTolerance < 1) {
		bad("-rate-tolerance: must be in [0, 1) (got %g)", c.RateTolerance)
	}
	if c.MaxLagP99 < 0 {
		bad("-max-lag-p99: must be >= 0 (got %v)", c.MaxLagP99)
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"-max-lag-share", c.MaxLagShare}, {"-max-cpu-withheld", c.MaxCPUWithheld}, {"-max-steal", c.MaxSteal}} {
		if !(f.v > 0 && f.v <= 1) {
			bad("%s: must be in (0, 1] (got %g)", f.name, f.v)
		}
	}
	if c.Generators < 0 || c.Generator < 0 || c.Generator >= max(c.Generators, 1) {
		bad("-generator %d of -generators %d: want 0 <= generator < generators", c.Generator, c.Generators)
	}
	switch c.Pacer {
	case "", PacerFine, PacerCoarse, PacerAuto: // "": fine
	default:
		bad("-pacer: %q: want %s, %s or %s", c.Pacer, PacerFine, PacerCoarse, PacerAuto)
	}
	if c.Schedule != "" && set.rate {
		bad("-rate and -schedule: give one (the schedule sets the rates)")
	}
	if c.Schedule == "" && !(c.Rate > 0) {
		bad("-rate: must be > 0 ops/s (got %g)", c.Rate)
	}
	var plan *RatePlan
	if len(errs) == 0 {
		var err error
		if plan, err = ParseSchedule(c.Schedule, c.Rate, c.Duration); err != nil {
			bad("-schedule: %v", err)
		}
	}
	if plan != nil && c.BacklogLimit == 0 {
		c.BacklogLimit = uint64(max(1000, math.Ceil(10*plan.Peak())))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return plan.Prefix(c.Warmup), nil
}

// Run runs op as cfg says and writes the output files into cfg.Out. It
// returns the result it wrote; err is non-nil when the run failed (the
// result, if any, says why) or the files could not be written. Zero
// Concurrency, RateTolerance, MaxLagShare, MaxCPUWithheld and MaxSteal
// mean their flag defaults.
func Run(ctx context.Context, cfg Config, op Op) (*Result, error) {
	if cfg.Concurrency == 0 {
		cfg.Concurrency = 1
	}
	if cfg.RateTolerance == 0 {
		cfg.RateTolerance = DefaultRateTolerance
	}
	if cfg.MaxLagShare == 0 {
		cfg.MaxLagShare = DefaultMaxLagShare
	}
	if cfg.MaxCPUWithheld == 0 {
		cfg.MaxCPUWithheld = DefaultMaxCPUWithheld
	}
	if cfg.MaxSteal == 0 {
		cfg.MaxSteal = DefaultMaxSteal
	}
	if cfg.Spin == 0 {
		cfg.Spin = DefaultSpin
	}
	return run(ctx, cfg, flagsSet{rate: cfg.Rate != 0}, op)
}

func run(ctx context.Context, cfg Config, set flagsSet, op Op) (*Result, error) {
	if cfg.Name == "" {
		cfg.Name = filepath.Base(os.Args[0])
	}
	plan, err := cfg.check(set)
	if err != nil {
		return nil, &UsageError{err}
	}
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		return nil, fmt.Errorf("creating -out: %w", err)
	}
	if cfg.Iterations > 0 {
		return runIterations(ctx, cfg, op)
	}
	res := newResult(&cfg)
	res.Schedule = plan.String()
	var sched Schedule = plan
	if cfg.Generators > 1 {
		sched = Stride(plan, cfg.Generator, cfg.Generators)
		res.Generator = &GeneratorInfo{Index: cfg.Generator, Count: cfg.Generators}
	}
	ws, we := cfg.Warmup, cfg.Warmup+cfg.Duration
	res.Scheduled = firstDueAtOrAfter(sched, we) - firstDueAtOrAfter(sched, ws)
	res.TargetRate = float64(res.Scheduled) / cfg.Duration.Seconds()

	prof := newProfiler(cfg.Out, cfg.Profiles)
	params := NewParams(cfg.Params, cfg.Seed)
	if err := op.Setup(ctx, params); err != nil {
		prof.stop()
		res.fail(fmt.Sprintf("setup of op %s: %v", cfg.Op, err))
		return res, errors.Join(fmt.Errorf("setup of op %s: %w", cfg.Op, err), res.writeJSON(cfg.Out))
	}
	for _, k := range params.unused() {
		res.warn("param %s was not used by op %s", k, cfg.Op)
	}

	hlog, err := createAtomic(filepath.Join(cfg.Out, "latency.hlog"))
	if err != nil {
		op.Teardown()
		prof.stop()
		res.fail(fmt.Sprintf("creating latency.hlog: %v", err))
		return res, errors.Join(err, res.writeJSON(cfg.Out))
	}
	clk := newRealClock(max(cfg.Spin, 0))
	defer clk.close()
	if !cfg.StartAt.IsZero() {
		late, ok := clk.startAt(ctx, cfg.StartAt)
		if !ok {
			op.Teardown()
			prof.stop()
			hlog.Abort()
			res.Interrupted = true
			res.notAchieved("interrupted while waiting for -start-at " + cfg.StartAt.Format(time.RFC3339Nano))
			return res, res.writeJSON(cfg.Out)
		}
		if res.Generator != nil {
			res.Generator.StartAt = cfg.StartAt.UTC().Format(time.RFC3339Nano)
		}
		if late > cfg.Warmup {
			res.warn("started %v after -start-at, later than the %v warm-up: the window began with ops already due", late.Round(time.Millisecond), cfg.Warmup)
		}
	}
	rec := newRecorder(sched, ws, we, hlog, clk.origin.Add(ws))
	var closeProgress func()
	rec.onInterval, closeProgress = progressWriter(cfg.Out)
	defer closeProgress() // after rec.close, which run calls below
	win, _ := op.(Windowed)
	var (
		mu      sync.Mutex // guards the window's start figures
		started bool
		snap0   snapshot
		rssOK   bool
		wait0   int64
		host0   hostSample
		gcs     = newGCSampler(int((cfg.Duration+time.Second-1)/time.Second) + 1)
	)
	r := &runner{
		clk: clk, sched: sched, do: op.Do, conc: cfg.Concurrency,
		ws: ws, we: we, backlogLimit: cfg.BacklogLimit, pacer: cfg.Pacer, rec: rec,
		probe: newHostProbe(),
		onWindow: func() {
			if win != nil {
				if err := win.StartWindow(ctx); err != nil {
					mu.Lock()
					res.warn("op StartWindow: %v", err)
					mu.Unlock()
				}
			}
			prof.start()
			ok := resetPeakRSS()
			wait := runqueueWait()
			h := sampleHost()
			gcs.start()
			// Last, so the allocation counts bracket only the window:
			// the reads above allocate ~1,400 objects (directory
			// listings of /proc), as many as 500 ops of an op that
			// allocates nothing would count as 3 allocs/op.
			s := takeSnapshot()
			mu.Lock()
			started, snap0, rssOK, wait0, host0 = true, s, ok, wait, h
			mu.Unlock()
		},
	}
	st := r.run(ctx)

	// The window ends when its last op completes.
	mu.Lock()
	if started {
		end := takeEndSnapshot() // first: see onWindow
		perSecond := gcs.stop()
		res.Runtime = runtimeDelta(snap0, end)
		res.Runtime.GCPerSecond = perSecond
		res.Runtime.PeakRSSB, res.Runtime.PeakRSSReset = peakRSS(), rssOK
		res.Runtime.RunqueueWaitNs = max(0, runqueueWait()-wait0)
		res.Contention = contentionBetween(host0, sampleHost())
		if !rssOK {
			res.warn("could not reset the peak RSS counter (/proc/self/clear_refs): peak_rss_B is since process start")
		}
	}
	mu.Unlock()
	prof.stop()
	res.Files = append(res.Files, prof.files...)
	for _, err := range prof.errs {
		res.warn("%v", err)
	}
	if win != nil && started {
		if err := win.StopWindow(ctx); err != nil {
			res.warn("op StopWindow: %v", err)
		}
	}
	if rep, ok := op.(Reporter); ok {
		res.OpReport = rep.Report()
	}
	op.Teardown()

	upto := int((cfg.Duration + rec.interval - 1) / rec.interval)
	if st.stopKind != stopNone {
		upto = 0
		if st.lastDue >= ws {
			upto = int((st.lastDue-ws)/rec.interval) + 1
		}
	}
	if err := rec.close(upto); err != nil {
		hlog.Abort()
		res.warn("latency.hlog not written: %v", err)
	} else if err := hlog.Commit(); err != nil {
		res.warn("%v", err)
	} else {
		res.Files = append(res.Files, "latency.hlog")
	}

	res.HostProbe = r.probe.summary()
	fill(res, &cfg, rec, st)
	var errs []error
	if err := writeFileAtomic(filepath.Join(cfg.Out, "bench.txt"), res.writeBench); err != nil {
		errs = append(errs, err)
	} else {
		res.Files = append(res.Files, "bench.txt")
	}
	errs = append(errs, res.writeJSON(cfg.Out))
	if res.Status == StatusFailed {
		errs = append(errs, errors.New(res.Reason))
	}
	return res, errors.Join(errs...)
}

// fill sets the measured figures and the status.
func fill(res *Result, cfg *Config, rec *recorder, st runStats) {
	res.Issued, res.Completed, res.Errors = st.issued, rec.done, rec.errors
	res.BacklogPeak = st.backlogPeak
	res.Latency = summarize(rec.totals[seriesIntend], rec.overflow[seriesIntend])
	res.LatencyActual = summarize(rec.totals[seriesActual], rec.overflow[seriesActual])
	res.Lag = summarize(rec.totals[seriesLag], rec.overflow[seriesLag])
	res.Contention.LagShareP50 = lagShare(res.Lag.P50Ns, res.Latency.P50Ns)
	res.Contention.LagShareP99 = lagShare(res.Lag.P99Ns, res.Latency.P99Ns)

	// Elapsed: the window, or longer when its last op finished after it.
	ws := cfg.Warmup
	elapsed := max(cfg.Duration, st.lastEnd-ws)
	if st.stopKind != stopNone {
		elapsed = max(st.stopAt, st.lastEnd) - ws
	}
	if elapsed > 0 {
		res.ElapsedNs = int64(elapsed)
		res.AchievedRate = float64(res.Completed) / elapsed.Seconds()
	}

	res.Status = StatusOK
	switch st.stopKind {
	case stopPanic:
		res.fail(st.stopWhy)
	case stopInterrupted:
		res.Interrupted = true
		res.notAchieved(fmt.Sprintf("%s after %v of the %v window", st.stopWhy, max(0, st.stopAt-ws).Round(time.Millisecond), cfg.Duration))
		res.warn("run interrupted: figures cover only the part of the window that ran")
	case stopBacklog:
		res.notAchieved(st.stopWhy)
	}
	if res.Status != StatusFailed && st.stopKind != stopInterrupted {
		if floor := res.TargetRate * (1 - cfg.RateTolerance); res.AchievedRate < floor {
			res.notAchieved(fmt.Sprintf("achieved %.6g ops/s < target %.6g ops/s × (1 − rate_tolerance %s)", res.AchievedRate, res.TargetRate, percent(cfg.RateTolerance)))
		}
		if why := lagged(res, cfg); why != "" {
			res.invalid(StatusGeneratorLagged, why)
		} else if units, why := lagTail(res, cfg); why != "" {
			res.LagDominated = units
			res.warn("%s", why)
		}
		if why := contended(res.Contention, cfg); why != "" {
			res.invalid(StatusHostContended, why)
		}
	}
	if res.Issued > res.Completed {
		res.warn("%d ops started but did not complete", res.Issued-res.Completed)
	}
	for s, tag := range seriesTags {
		if n := rec.overflow[s]; n > 0 {
			res.warn("%d %s values above %v were recorded as %v", n, tag, time.Duration(histHighest), time.Duration(histHighest))
		}
	}
	if rec.late > 0 {
		res.warn("%d ops completed more than %v after their interval began: latency.hlog holds them in a later interval (the totals are exact)",
			rec.late, maxOpenIntervals*rec.interval)
	}
	if res.Errors > 0 {
		res.warn("%d of %d ops returned an error", res.Errors, res.Completed)
	}
	if w := time.Duration(res.Runtime.RunqueueWaitNs); elapsed > 0 && w > elapsed/100 {
		res.warn("the process's threads waited %v in all for a CPU during the %v window: other load on the machine, or this process's own GC workers, shaped the tails",
			w.Round(time.Millisecond), elapsed.Round(time.Millisecond))
	}
}

// lagged says why the generator's lag is a material part of the run's
// body, or "": lag P99 above max_lag_p99 when that is set, else lag P50
// above LagFloor and above max_lag_share of latency's. A lagged tail alone
// does not make the run invalid: lagTail leaves those figures out.
func lagged(res *Result, cfg *Config) string {
	if lag99 := time.Duration(res.Lag.P99Ns); cfg.MaxLagP99 > 0 {
		if lag99 > cfg.MaxLagP99 {
			return fmt.Sprintf("generator lag P99 %v > max_lag_p99 %v", lag99, cfg.MaxLagP99)
		}
		return ""
	}
	lag50, lat50 := time.Duration(res.Lag.P50Ns), time.Duration(res.Latency.P50Ns)
	if lag50 > LagFloor && res.Contention.LagShareP50 > cfg.MaxLagShare {
		return fmt.Sprintf("generator lag P50 %v is %s of latency P50 %v (max_lag_share %s): the driver's own delay is a material part of the figures",
			lag50, percent(res.Contention.LagShareP50), lat50, percent(cfg.MaxLagShare))
	}
	return ""
}

// lagTail finds the figures above the median that the generator's lag is
// a material part of — the lag at that place of its distribution above
// LagFloor and above max_lag_share of the latency's — and returns their
// bench.txt units, with a warning that names them. Those figures are left
// out of bench.txt, so comparisons use the runs whose figure is the op's;
// the run's median, rate and allocations stay in. On a host whose
// scheduler stalls a thread now and then for a millisecond or more (a
// no-op op at 1000/s on a 2-vCPU guest: lag P50 17 ns, P99 1.1 ms), the
// tail of a sub-millisecond op is those stalls, not the op.
// With max_lag_p99 set, the spec has judged the lag itself: nothing is left
// out.
func lagTail(res *Result, cfg *Config) (units []string, warning string) {
	if cfg.MaxLagP99 > 0 {
		return nil, ""
	}
	var named []string
	for _, f := range []struct {
		name, unit string
		lag, lat   int64
	}{
		{"mean", "ns/op", int64(res.Lag.MeanNs), int64(res.Latency.MeanNs)},
		{"P90", "p90-ns", res.Lag.P90Ns, res.Latency.P90Ns},
		{"P99", "p99-ns", res.Lag.P99Ns, res.Latency.P99Ns},
		{"P99.9", "p99.9-ns", res.Lag.P999Ns, res.Latency.P999Ns},
		{"max", "max-ns", res.Lag.MaxNs, res.Latency.MaxNs},
	} {
		share := lagShare(f.lag, f.lat)
		if time.Duration(f.lag) <= LagFloor || share <= cfg.MaxLagShare {
			continue
		}
		units = append(units, f.unit)
		named = append(named, fmt.Sprintf("%s (lag %v, %s of %v)", f.name, time.Duration(f.lag), percent(share), time.Duration(f.lat)))
	}
	if len(units) == 0 {
		return nil, ""
	}
	return units, fmt.Sprintf("generator lag is more than max_lag_share %s of the latency %s: those figures are left out of bench.txt (the run's median, rate and allocations stay in)",
		percent(cfg.MaxLagShare), strings.Join(named, ", "))
}

// contended says why the machine took too much from the run to trust its
// figures, or "".
func contended(c Contention, cfg *Config) string {
	if !c.Measured {
		return ""
	}
	var why []string
	if c.Withheld > cfg.MaxCPUWithheld {
		why = append(why, fmt.Sprintf("the machine withheld %s of the CPU time the process's threads asked for (they waited %v, ran %v; max_cpu_withheld %s; load average %.2f → %.2f on %d CPUs)",
			percent(c.Withheld), time.Duration(c.CPUWaitNs).Round(time.Millisecond), time.Duration(c.CPUNs).Round(time.Millisecond),
			percent(cfg.MaxCPUWithheld), c.LoadStart, c.LoadEnd, c.CPUs))
	}
	if c.StealShare > cfg.MaxSteal {
		why = append(why, fmt.Sprintf("the hypervisor stole %s of the CPUs' time (max_steal %s)", percent(c.StealShare), percent(cfg.MaxSteal)))
	}
	return strings.Join(why, "; ")
}

// percent formats a fraction with up to three significant digits.
func percent(f float64) string {
	return strconv.FormatFloat(f*100, 'g', 3, 64) + "%"
}

// A UsageError is a problem with the flags or the Config.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// describeOps lists op names one per line, sorted.
// opNames returns the names of ops, sorted.
func opNames(ops Ops) []string {
	names := make([]string, 0, len(ops))
	for n := range ops {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
