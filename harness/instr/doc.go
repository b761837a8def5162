// Package instr owns the instructions tier: counting the instructions an
// operation executes, under valgrind, deterministically enough to gate at
// 0.5% on a shared, noisy host.
//
// It knows everything valgrind-specific and nothing about processes,
// deadlines or results folders (run executes what this package describes):
//
//  1. [Find] locates valgrind and its version; without it the tier's cells
//     are skipped with [InstallHint] in the reason.
//  2. A [Prober] builds a tiny probe program per toolchain (cached) and runs
//     it natively and under valgrind: a [CPU] is what Go's runtime detects
//     in both places. [CPU.Check] says why a cell cannot be represented on
//     valgrind's virtual CPU (a GODEBUG cpu.X=off mask of a feature it
//     already hides, a required feature it lacks, a GOAMD64 level it does
//     not run), and [CPU.Masks] which features it advertises but the host
//     cannot execute.
//  3. [Valgrind.Command] and [Env] build a counted process's command line
//     and environment; [ParseProfile] reads the cachegrind file it leaves.
//  4. [Calibrate] picks the iteration count N of a cell from pilot runs,
//     and [Measure] counts one sample: the program runs with [Base] (2) and
//     with N iterations, and the difference of the two counts, over N-2,
//     is the instructions per op.
//
// plan uses the probe to skip cells at plan time; run uses the rest.
//
// Note: why cachegrind, with the cache simulation off, and why by
// difference. Callgrind can switch collection on and off around a
// function (--toggle-collect), but a Go benchmark's loop runs on a
// goroutine that migrates between threads and stacks, which callgrind's
// call tracking follows poorly, and it runs several times slower than
// cachegrind for the one figure we want; cachegrind 3.19 has no toggle at
// all (its client requests arrived in 3.22). The difference of two runs
// needs nothing from the program: process start, the runtime's start-up,
// setup, go test's run of b.N=1 and writing the output files are the same
// in both runs and cancel, whatever the program is.
//
// Note: why the short run has 2 iterations, not N with 2N. Go randomizes
// hashing per process, so an op that looks a key up in a map or a
// sync.Map (encoding/json's type caches do, every call) costs a few
// hundred instructions more or less in one process than in the next. With
// N and 2N the estimate is 2c₂-c₁ for the two processes' per-op costs c₁
// and c₂, which spreads that randomness √5 times wider; with 2 and N it is
// about c of the long run alone, for half the instructions. On this
// project's 2-core host (load average 16), ten samples of a JSON decode
// benchmark spread 0.26% with N and 2N, 0.12% with 2 and N.
//
// Note: what does not cancel is what scales with wall time rather than
// with work, so a counted process runs with GOMAXPROCS=1 (one thread of Go
// code at a time, as valgrind serialises threads anyway) and with
// GODEBUG (see [Settings]):
//   - asyncpreemptoff=1: no preemption signals, whose number follows the
//     clock (a CPU-bound op's count spread 0.062% with them, 0.012% without);
//   - gcstoptheworld=1: the GC marks with the world stopped, the same
//     marking work without the write barriers, assists and background
//     workers whose share of a concurrent cycle follows the clock (the
//     JSON benchmark spread 4.4% without it); sweeping stays concurrent,
//     so the heap scavenger, paced by the clock, finds nothing to return
//     (with gcstoptheworld=2 it churns pages and the spread doubles);
//   - madvdontneed=0: memory the scavenger did return is cleared by the
//     runtime, as reused memory is, rather than found zeroed.
package instr
