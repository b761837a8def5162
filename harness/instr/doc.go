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
//     and [Measure] counts one sample: the program runs with N and with 2N
//     iterations, and the difference of the two counts, over N, is the
//     instructions per op.
//
// plan uses the probe to skip cells at plan time; run uses the rest.
//
// Note: why cachegrind, with the cache simulation off, and why by
// difference. Callgrind can switch collection on and off around a
// function (--toggle-collect), but a Go benchmark's loop runs on a
// goroutine that migrates between threads and stacks, which callgrind's
// call tracking follows poorly, and it runs 2-4 times slower than
// cachegrind for the one figure we want; cachegrind 3.19 has no toggle at
// all (its client requests arrived in 3.22). The difference of two runs
// needs nothing from the program: process start, the runtime's start-up,
// setup, go test's run of b.N=1 and writing the output files are the same
// in both runs and cancel, whatever the program is. What does not cancel
// is what scales with wall time rather than with work, so a counted
// process runs with GOMAXPROCS=1 (one thread of Go code at a time, as
// valgrind serialises threads anyway), GODEBUG=asyncpreemptoff=1 (no
// preemption signals, whose number follows the clock) and
// gcstoptheworld=2 (each GC marks and sweeps with the world stopped: the
// same work as a concurrent cycle, without write barriers, assists and
// background workers whose share of the cycle follows the clock). On this
// project's 2-core reference host these took the spread of a JSON decode
// benchmark's count from 4.4% to 0.13% at 200 iterations.
package instr
