// Package driver is the open-loop engine inside workload processes, and the
// authoritative description of the run protocol between the harness and
// those processes (docs/protocol.md summarises it). The harness never links
// workload code: it starts a workload binary with flags and reads the files
// the binary leaves in its output folder.
//
// # Writing a workload
//
// A fixed-rate workload is a main package that registers named ops:
//
//	func main() {
//		driver.Main(driver.Ops{
//			"heap":  driver.Func(heapOp),   // a plain func(ctx) error
//			"arena": &arenaOp{},            // an Op with Setup and Teardown
//		})
//	}
//
// An [Op] has Setup(ctx, params), Do(ctx) and Teardown(). [Params] come from
// repeated -param key=value flags, with typed getters; keys no getter asked
// for produce a warning. An op may also implement [Windowed] (told when the
// measured window starts and stops) and [Reporter] (adds op_report to
// result.json). A server workload calls [ServeHTTP] instead; the load comes
// from the httpload command.
//
// # How a run works
//
//  1. Flags are parsed and checked; every problem is reported at once
//     (exit 2). The -schedule (or -rate) becomes a [RatePlan]; warm-up is
//     prepended at the plan's first rate.
//  2. The op's Setup runs. If it fails, result.json says status "failed"
//     with the reason, and the process exits 1.
//  3. The runner plays the plan open loop: op n is due at plan.Due(n) from
//     the start, whether or not earlier ops have finished. The
//     -concurrency workers take turns as the pacer: the pacer takes the next
//     op number, waits for its due time, hands the role to the worker that
//     became idle last and runs the op. So ops start in order and only one
//     goroutine waits on the clock. With -pacer fine (the default) the
//     pacer sleeps with time.Sleep (which wakes on a ~1 ms grid) until 2 ms
//     before the due time, on Linux with nanosleep at 1 ns timer slack (or,
//     with GOMAXPROCS 1, a timerfd in the runtime's poller) until the spin
//     window (-spin, default 150 µs) before it, and spins the rest: at rates
//     above a few thousand ops/s pacing keeps one core busy. With -pacer
//     coarse it sleeps with time.Sleep all the way: no wake-up of its own
//     (a fine sleep costs a thread's sleep and wake per op), but up to
//     ~1 ms late when nothing else wakes the process. -pacer auto sleeps
//     coarsely while its coarse sleeps end within 100 µs of due (as they
//     do while many requests are in flight) and finely, with a coarse try
//     now and then, when they do not. httpload paces auto without spinning
//     (-spin 0): at low rates its lag grows by the fine sleep's 25–70 µs
//     overshoot, and at high ones the server under test keeps the CPU.
//     An op that is already due when a worker takes it was queued behind
//     busy workers.
//     Nothing is dropped; the backlog (ops due but not started) is bounded
//     by -max-backlog, and reaching it stops the run as rate-not-achieved.
//  4. Each op's latency is completion minus intended start (its due time),
//     on the monotonic clock: queueing counts, as it does for a real caller
//     (coordinated omission is avoided by construction, so no
//     expected-interval correction is applied on top, which would count it
//     twice). Also recorded: actual-start latency (completion minus when the
//     op really started: what a closed-loop tool would report) and
//     generator lag (how much later the op started than it would have with
//     a perfect generator, that is than the later of its due time and the
//     ideal end of the worker's previous op: how late the driver itself
//     was; waiting behind slow ops is queueing, not lag, but while every
//     worker is saturated the driver's own per-op cost accumulates in it).
//     The driver runs inside the workload's process, so anything that
//     stops the process's goroutines stops the pacer too: a GC mark phase
//     that takes every idle CPU, a stop-the-world pause, other load on the
//     machine. That is lag as well: when it is a material share of the
//     latency P50 (-max-lag-share), the run is generator-lagged; when it
//     is a material share of the mean or a tail percentile only, those
//     figures are left out of bench.txt (lag_dominated in result.json)
//     and the run's median, rate and allocations stay valid.
//  5. Ops due during warm-up are excluded from every figure. Profiles,
//     runtime metrics and peak RSS cover the measured window: from its start
//     (their instruments start 5 ms early, and no op due in the window
//     starts before they run) until the last op due in it completes.
//  6. SIGTERM or SIGINT stops the run: no new ops start, started ones
//     finish, and the files are written with "interrupted": true, status
//     rate-not-achieved and a warning. An op that ignores its context can
//     hold this up; the harness's deadline (SIGKILL) is the backstop.
//
// # Flags
//
//	-list               print the op names, one per line, and exit 0
//	-list-ops           print {"protocol":1,"ops":[...],"max_rate":1e9} (the
//	                    op names and the highest rate a schedule may have)
//	                    and exit 0: the harness checks a spec against it
//	                    right after building, before anything runs
//	-name NAME          workload name in bench.txt (default: binary name)
//	-op NAME            op to run (required)
//	-rate R             target ops/s, constant (required unless -schedule)
//	-schedule S         instead of -rate: steps:R1,R2,... (each step lasts
//	                    duration/n) or ramp:FROM-TO (linear over duration);
//	                    also constant:R. Each step starts with an op at its start.
//	-duration D         measured window (default 10s)
//	-warmup D           warm-up before it (default 1s)
//	-concurrency N      workers (default 1; httpload: 32)
//	-out DIR            output folder (required; created if missing)
//	-profiles LIST      comma list of cpu,heap,allocs,mutex,block,trace
//	-seed N             seed for the op, Params.Seed (default 1)
//	-max-backlog N      backlog bound in ops (default 0: 10 s of the peak
//	                    rate, at least 1000)
//	-spin D             stop sleeping and spin this close to each op's due
//	                    time (default 150µs; httpload 0: never spin)
//	-pacer P            fine (default), coarse or auto (httpload's
//	                    default): how the pacer waits, see above
//	-rate-tolerance F   achieved may fall short of target by this fraction
//	                    (default 0.01)
//	-max-lag-share F    generator lag P50 or P99 above this fraction of
//	                    latency's (and above 200µs) invalidates the run
//	                    (default 0.1)
//	-max-lag-p99 D      an absolute limit on generator lag P99 instead of
//	                    the share (default 0: use the share)
//	-max-cpu-withheld F share of the CPU time the process asked for that
//	                    the machine may withhold (default 1: no limit)
//	-max-steal F        share of the CPUs' time a hypervisor may steal
//	                    (default 0.1)
//	-param K=V          op parameter, repeatable
//	-iterations N       iterations mode (below): exactly N closed-loop calls
//	                    instead of a schedule; -rate, -schedule, -duration
//	                    and -warmup do not apply, -concurrency must be 1
//	-generators N       split the schedule over N processes (default 1)
//	-generator I        this process's share, from 0 to N-1: it plays ops
//	                    I, I+N, I+2N, ... of the schedule (see Stride)
//	-start-at T         wall-clock instant (RFC 3339) at which the schedule
//	                    starts, warm-up included: the N processes, started
//	                    apart, share it; one started late begins with the
//	                    ops already due (queueing, counted in latency)
//
// # Several generators
//
// One run's load can come from N processes, on one machine or several (on
// several, their clocks must agree to well under the latencies measured).
// Each plays every N-th op of the one schedule from the shared -start-at,
// so that together they send what one process would, and writes its own
// folder, with "generator": {"index", "count", "start_at"} in result.json.
// [Merge] (httpload merge) then combines the folders into one: the
// interval histograms add bucket by bucket (one geometry, so the merge is
// lossless and the merged percentiles are those of all ops together),
// counts and rates add, the status is the most serious one, and
// "merged_from" lists the folders.
//
// Exit status: 0 when results were written (status ok, or one that says the
// figures cannot be trusted), 1 when the run failed (result.json says why,
// when it could be written),
// 2 for usage errors (a failed result.json is written when -out is known).
//
// # Output files
//
// Every file is written atomically (temporary file in DIR, then rename), so
// a reader never sees a partial file. result.json is written last and lists
// the others in "files".
//
// progress.json: rewritten after each complete second of the window while
// the run goes on — {"interval", "completed", "rate", "p50_ns", "p99_ns",
// "max_ns"} for that second — so a live display can show the current rate
// and P99. It is not a result; result.json is.
//
// result.json ([Result]; format 1): format, name, op, status ("ok",
// "rate-not-achieved" or "failed"), reason (why not ok; several reasons are
// joined with "; "), interrupted, go_version, goos, goarch, goexperiment,
// build_settings (runtime/debug.ReadBuildInfo settings), godebug ($GODEBUG),
// env (GOGC, GOMEMLIMIT, GOMAXPROCS, GOAMD64, LD_PRELOAD when set),
// gomaxprocs, schedule, target_rate (ops due in the window / duration),
// achieved_rate (completed / elapsed), warmup_ns, duration_ns, elapsed_ns
// (the window, or longer when its last op finished after it), concurrency,
// seed, params, scheduled, issued (started), completed (with or without
// error), errors, backlog_max, max_backlog, latency, latency_actual and lag
// (each a [Summary]: count, min_ns, mean_ns, p50_ns, p90_ns, p99_ns,
// p999_ns, p9999_ns, max_ns, overflow), histogram (unit and range), runtime
// ([RuntimeStats]: gc_cycles, gc_pause_p50_ns, gc_pause_p99_ns,
// gc_pause_max_ns, gc_pause_total_ns, heap_goal_B, live_heap_B, alloc_B,
// alloc_objects, peak_rss_B, peak_rss_reset, goroutines,
// runqueue_wait_ns: how long the process's threads waited for a CPU, from
// Linux schedstat; a warning flags more than 1% of the window), contention
// ([Contention]: measured, window_ns, cpu_ns and cpu_wait_ns of the
// process's threads, cpu_withheld (wait over run + wait), threads,
// max_thread_wait_ns, steal_ns and steal_share of the machine's CPUs,
// others_cpu_ns and others_share (the machine busy outside this process),
// cpus, load_start and load_end (1-minute load averages), lag_share_p50
// and lag_share_p99 (generator lag's percentile over latency's)), op_report
// (optional), files, warnings (list of strings), started and finished
// (RFC 3339 with nanoseconds).
//
// The status says whether the figures can be trusted, judged by their
// effect: rate-not-achieved when achieved_rate < target_rate ×
// (1 - rate-tolerance), when the backlog bound was reached, or when the
// run was interrupted; host-contended when the machine withheld more than
// -max-cpu-withheld of the CPU time the process's threads asked for, or a
// hypervisor stole more than -max-steal of the CPUs' time; generator-lagged
// when lag P50 is above 200µs and above -max-lag-share of latency's (or lag
// P99 above -max-lag-p99 when that is set). The most serious names the
// status; the reason lists every cause, naming the bench.yaml key that
// sets its limit. It is failed when setup failed or an op panicked.
//
// bench.txt: Go benchmark format, result lines and Unit metadata only (the
// harness prepends each cell's configuration lines). One result line:
//
//	BenchmarkAlloc/op=heap-8  20000  1234 ns/op  1100 p50-ns  1500 p90-ns  2100 p99-ns ...
//
// The name is "Benchmark", the workload name with its first letter
// upper-cased, "/op=" and the op, and "-GOMAXPROCS" unless that is 1, as go
// test does. The iteration count is the number of ops completed in the
// window. Metrics: ns/op (mean intended-start latency), p50-ns, p90-ns,
// p99-ns, p99.9-ns, max-ns, ops/s (achieved), lag-p99-ns, gc-pause-p99-ns,
// peak-rss-B, allocs/op, B/op (window allocations, driver included, per
// completed op: the driver's own are the interval log's sparse copies,
// 650-800 objects and 25-35 KB a window on a 500-op, 20-interval window,
// 1.3-1.5 allocs/op there for an op that allocates nothing; the reads of
// /proc at the window's ends are outside the counts) and errors. Unit lines give better=higher for ops/s and
// better=lower for the rest, with assume=nothing (latency is noisy).
// With no completed op, bench.txt holds only the Unit lines.
//
// latency.hlog: HdrHistogram interval log, format 1.3 (hdrhistogram-go's
// reader and Java's HistogramLogProcessor read it). Values are nanoseconds,
// trackable from 1 ns to 1 hour at 3 significant digits; a larger value is
// recorded as 1 hour and counted in the series' overflow (and a warning),
// never dropped. Interval_Max is in milliseconds, as is usual for
// nanosecond logs. Each measured second has three lines, tagged intended,
// actual and lag; an interval holds the ops due in that second (so a stall
// shows where the ops should have run), and the last interval is shorter
// when the duration is not whole seconds. Time stamps are seconds from the
// window's start, given in the StartTime and BaseTime header comments.
// Merging all intervals of a tag gives exactly the totals in result.json.
//
// Profiles (with -profiles): cpu.pprof, heap.pprof, allocs.pprof,
// mutex.pprof, block.pprof (gzipped pprof protos for go tool pprof) and
// trace.out (go tool trace), covering the window. Heap sampling is off
// until the window starts, so heap and allocs profiles sample the window's
// allocations only (inuse_* is what of them is still live at its end; a GC
// runs before writing). Mutex (fraction 1/10) and block (one sample per
// ~10 µs blocked) profiling are on during the window only.
//
// Peak RSS is VmHWM from /proc/self/status. The kernel counter is reset at
// the window's start by writing 5 to /proc/self/clear_refs; where that is
// not permitted, peak_rss_reset is false, a warning says so and the figure
// is the peak since process start. Runtime figures come from runtime/metrics
// (/gc/cycles/total:gc-cycles, /sched/pauses/total/gc:seconds or the older
// /gc/pauses:seconds, /cpu/classes/gc/pause:cpu-seconds for the pause total,
// /gc/heap/goal:bytes, /gc/heap/live:bytes, /sched/goroutines:goroutines);
// a metric the toolchain lacks reads as 0. Allocation counts (alloc_B,
// alloc_objects, B/op, allocs/op) come from runtime.ReadMemStats at each
// end of the window, which is exact, as go test -benchmem is:
// runtime/metrics counts small allocations a whole span at a time.
//
// # Iterations mode
//
// With -iterations N the driver calls the op exactly N times, one call
// after the other on one goroutine, after Setup and with no warm-up: a
// closed loop with no pacing, for the harness's instructions tier. There
// the harness runs the workload under valgrind twice, with 2 and with N
// iterations, and takes the difference of the two instruction counts as
// N-2 ops' worth: process start, the runtime's start-up, Setup and writing
// the files cancel. For that the loop must cost the same per call whatever the
// wall clock does, so it reads no clock between calls, records no latency
// (latency, latency_actual and lag stay empty, and there is no
// latency.hlog or progress.json), starts no goroutine, and checks for an
// interrupt with a non-blocking receive. Pacing would mean nothing on
// valgrind's slowed-down virtual CPU anyway.
//
// result.json then has "iterations": N, schedule "closed-loop", scheduled N,
// completed (and issued) the calls made, errors, elapsed_ns (the loop's wall
// time), achieved_rate (calls per second, closed loop) and the runtime
// figures of the loop, whose allocation counts are exact to the object
// (ReadMemStats right before the first call and right after the last).
// The status is ok, failed when Setup failed or a call panicked (the loop
// stops there), or rate-not-achieved with "interrupted" when SIGTERM or
// SIGINT stopped the loop early. bench.txt has one result line: the
// iteration count is the calls made, with ns/op (closed-loop wall time per
// call), allocs/op, B/op and errors.
//
// # Server workloads
//
// [ServeHTTP] serves a handler with these flags: -listen (default
// 127.0.0.1:0; a non-loopback address is refused unless -allow-remote),
// -addr-file FILE (host:port written atomically once listening), -out DIR
// and -profiles. POST [ControlStart] and [ControlStop] bracket the measured
// window; at stop, or at SIGTERM/SIGINT if the window is still open, the
// server writes server.json ([ServerResult]: requests handled, runtime
// figures and peak RSS for the window) and the window's profiles, then
// shuts down gracefully on the signal. httpload -control URL calls both
// around its own window.
package driver
