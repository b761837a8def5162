package instr

import (
	"context"
	"fmt"
	"math"
	"sort"
)

// A Counter runs the measured program under valgrind with exactly n
// iterations of the op (go test -test.benchtime=<n>x, or the driver's
// -iterations n) and returns the profile the run left.
type Counter func(ctx context.Context, n uint64) (*Profile, error)

// Base is the iteration count of the short run every sample subtracts:
// two, because go test runs a benchmark once with b.N=1 before it runs
// b.N=n, and only when n > 1; from two up, runs differ only in the length
// of the loop.
const Base = 2

// A Sample is one measurement of instructions per op: the program counted
// with Base and with N iterations, and the difference over N-Base.
type Sample struct {
	N         uint64     `json:"n"`
	Base      uint64     `json:"base"`
	TotalBase uint64     `json:"instructions_base"` // the whole run with Base iterations
	TotalN    uint64     `json:"instructions_n"`    // the whole run with N
	PerOp     float64    `json:"instructions_per_op"`
	TopFuncs  []FuncCost `json:"top_functions"` // the functions the ops spend the most in
}

// A FuncCost is one function's instructions per op: the difference of its
// counts in the two runs, over N-Base.
type FuncCost struct {
	Func  string  `json:"func"`
	PerOp float64 `json:"instructions_per_op"`
}

// TopFuncs is how many functions a Sample lists.
const TopFuncs = 20

// MinN is the smallest N a sample takes: a few ops beyond the base run.
const MinN = Base + 3

// Measure counts one sample at n iterations: two counted runs, Base then n.
func Measure(ctx context.Context, count Counter, n uint64) (*Sample, error) {
	if n < MinN || n > 1<<50 {
		return nil, fmt.Errorf("iterations %d out of range (%d to 2^50)", n, MinN)
	}
	a, err := count(ctx, Base)
	if err != nil {
		return nil, err
	}
	b, err := count(ctx, n)
	if err != nil {
		return nil, err
	}
	return Diff(Base, n, a, b)
}

// Diff is the sample of two profiles of the same program, a with base
// iterations and b with n > base. A b that counted no more than a means the
// iterations did not run (or ran nothing): an error, never a zero.
func Diff(base, n uint64, a, b *Profile) (*Sample, error) {
	if n <= base {
		return nil, fmt.Errorf("iterations %d must exceed the base run's %d", n, base)
	}
	if b.Total <= a.Total {
		return nil, fmt.Errorf("the run with %d iterations counted %d instructions, no more than the run with %d (%d): the op's iterations did not run",
			n, b.Total, base, a.Total)
	}
	ops := float64(n - base)
	s := &Sample{N: n, Base: base, TotalBase: a.Total, TotalN: b.Total, PerOp: float64(b.Total-a.Total) / ops}
	for f, cb := range b.Funcs {
		if d := float64(cb) - float64(a.Funcs[f]); d > 0 {
			s.TopFuncs = append(s.TopFuncs, FuncCost{Func: f, PerOp: d / ops})
		}
	}
	sort.Slice(s.TopFuncs, func(i, j int) bool {
		x, y := s.TopFuncs[i], s.TopFuncs[j]
		if x.PerOp != y.PerOp {
			return x.PerOp > y.PerOp
		}
		return x.Func < y.Func
	})
	if len(s.TopFuncs) > TopFuncs {
		s.TopFuncs = s.TopFuncs[:TopFuncs]
	}
	return s, nil
}

// DefaultTarget is how many instructions the ops of the N-iteration run
// should execute, when Calibrate picks N: large enough that what does not
// scale with N (a few hundred thousand instructions of start-up jitter)
// is noise below 0.05%, small enough that a repetition takes seconds, not
// minutes, at valgrind's speed.
const DefaultTarget = 500_000_000

// pilotMin is the difference a pilot must see before its estimate of
// instructions per op is trusted: at 50M instructions, start-up jitter
// moves it by well under 1%.
const pilotMin = 50_000_000

// maxPilots bounds the pilot rounds: from one op, factors up to 1000 reach
// any op that costs at least a handful of instructions.
const maxPilots = 6

// A Calibration is how Calibrate chose N: the base run, the pilot runs,
// the estimate of instructions per op, and N.
type Calibration struct {
	TotalBase uint64  `json:"instructions_base"`
	Pilots    []Pilot `json:"pilots"`
	PerOp     float64 `json:"instructions_per_op"`
	Target    uint64  `json:"target"`
	N         uint64  `json:"n"`
}

// A Pilot is one pilot run: its iterations and its count.
type Pilot struct {
	N     uint64 `json:"n"`
	Total uint64 `json:"instructions"`
}

// Calibrate picks the iteration count for a cell: a base run, then pilot
// runs from one op beyond it upward until the difference is large enough
// to estimate the op's cost, then N = Iterations(cost, target). The choice
// is coarse (1, 2, 5 × 10^k) so that the same op picks the same N run after
// run, and a small change of the op's cost does not change N: samples
// taken with different N are not quite comparable (a GC cycle more or less
// falls into the difference).
func Calibrate(ctx context.Context, count Counter, target uint64) (*Calibration, error) {
	if target == 0 {
		target = DefaultTarget
	}
	c := &Calibration{Target: target}
	a, err := count(ctx, Base)
	if err != nil {
		return c, err
	}
	c.TotalBase = a.Total
	ops := uint64(1)
	for range maxPilots {
		n := Base + ops
		b, err := count(ctx, n)
		if err != nil {
			return c, err
		}
		c.Pilots = append(c.Pilots, Pilot{N: n, Total: b.Total})
		next, done := nextPilot(ops, int64(b.Total)-int64(a.Total))
		if done {
			c.PerOp = float64(b.Total-a.Total) / float64(ops)
			c.N = max(Iterations(c.PerOp, target), MinN)
			return c, nil
		}
		ops = next
	}
	return c, fmt.Errorf("%d pilot runs up to %d iterations did not count %d instructions more than %d iterations: the op does (almost) nothing, or its iterations do not run", maxPilots, Base+ops, pilotMin, Base)
}

// nextPilot decides after a pilot of ops ops beyond the base run, which
// counted diff instructions more: done when diff is at least pilotMin,
// else how many ops the next pilot runs, scaled by how far diff fell short
// (at least ×4, at most ×1000; a diff at the noise level or below counts
// as nothing).
func nextPilot(ops uint64, diff int64) (next uint64, done bool) {
	if diff >= pilotMin {
		return ops, true
	}
	factor := uint64(1000)
	if diff > pilotMin/1000 {
		factor = max(4, uint64(math.Ceil(2*float64(pilotMin)/float64(diff))))
	}
	return min(ops*factor, 1<<40), false
}

// Iterations is N for an op of perOp instructions: target / perOp rounded
// down to 1, 2 or 5 × 10^k, and at least 1.
func Iterations(perOp float64, target uint64) uint64 {
	if !(perOp > 0) {
		return 1
	}
	x := float64(target) / perOp
	if x < 1 {
		return 1
	}
	if x > 1e18 {
		x = 1e18
	}
	v := uint64(x)
	p := uint64(1)
	for p <= v/10 {
		p *= 10
	}
	for _, m := range []uint64{5, 2} {
		if m*p <= v {
			return m * p
		}
	}
	return p
}
