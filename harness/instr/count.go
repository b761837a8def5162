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

// A Sample is one measurement of instructions per op: the program counted
// with N and with 2N iterations, and the difference over N.
type Sample struct {
	N        uint64     `json:"n"`
	TotalN   uint64     `json:"instructions_n"`  // the whole run with N iterations
	Total2N  uint64     `json:"instructions_2n"` // the whole run with 2N
	PerOp    float64    `json:"instructions_per_op"`
	TopFuncs []FuncCost `json:"top_functions"` // the functions the ops spend the most in
}

// A FuncCost is one function's instructions per op: the difference of its
// counts in the two runs, over N.
type FuncCost struct {
	Func  string  `json:"func"`
	PerOp float64 `json:"instructions_per_op"`
}

// TopFuncs is how many functions a Sample lists.
const TopFuncs = 20

// Measure counts one sample at n iterations: two counted runs, n then 2n.
func Measure(ctx context.Context, count Counter, n uint64) (*Sample, error) {
	if n == 0 || n > math.MaxUint64/2 {
		return nil, fmt.Errorf("iterations %d out of range", n)
	}
	a, err := count(ctx, n)
	if err != nil {
		return nil, err
	}
	b, err := count(ctx, 2*n)
	if err != nil {
		return nil, err
	}
	return Diff(n, a, b)
}

// Diff is the sample of two profiles of the same program, a with n
// iterations and b with 2n. A b that counted no more than a means the
// iterations did not run (or ran nothing): an error, never a zero.
func Diff(n uint64, a, b *Profile) (*Sample, error) {
	if n == 0 {
		return nil, fmt.Errorf("iterations must be > 0")
	}
	if b.Total <= a.Total {
		return nil, fmt.Errorf("the run with %d iterations counted %d instructions, no more than the run with %d (%d): the op's iterations did not run",
			2*n, b.Total, n, a.Total)
	}
	s := &Sample{N: n, TotalN: a.Total, Total2N: b.Total, PerOp: float64(b.Total-a.Total) / float64(n)}
	for f, cb := range b.Funcs {
		if d := float64(cb) - float64(a.Funcs[f]); d > 0 {
			s.TopFuncs = append(s.TopFuncs, FuncCost{Func: f, PerOp: d / float64(n)})
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
// is noise below 0.05%, small enough that a repetition (N and 2N: three
// times the target) takes seconds, not minutes, at valgrind's speed.
const DefaultTarget = 500_000_000

// pilotMin is the difference a pilot must see before its estimate of
// instructions per op is trusted: at 50M instructions, start-up jitter
// moves it by well under 1%.
const pilotMin = 50_000_000

// maxPilots bounds the pilot rounds: from one iteration, factors up to
// 1000 reach any op that costs at least a handful of instructions.
const maxPilots = 6

// A Calibration is how Calibrate chose N: its pilots, the estimate of
// instructions per op, and N.
type Calibration struct {
	Pilots []Pilot `json:"pilots"`
	PerOp  float64 `json:"instructions_per_op"`
	Target uint64  `json:"target"`
	N      uint64  `json:"n"`
}

// A Pilot is one pilot round: counted runs with n and 2n iterations.
type Pilot struct {
	N       uint64 `json:"n"`
	TotalN  uint64 `json:"instructions_n"`
	Total2N uint64 `json:"instructions_2n"`
}

// Calibrate picks the iteration count for a cell: pilot rounds from one
// iteration upward until the difference between n and 2n iterations is
// large enough to estimate the op's cost, then N = Iterations(cost,
// target). The choice is coarse (1, 2, 5 × 10^k) so that the same op picks
// the same N run after run, and a small change of the op's cost does not
// change N: samples taken with different N are not quite comparable
// (a GC cycle more or less falls into the difference).
func Calibrate(ctx context.Context, count Counter, target uint64) (*Calibration, error) {
	if target == 0 {
		target = DefaultTarget
	}
	c := &Calibration{Target: target}
	n := uint64(1)
	for range maxPilots {
		a, err := count(ctx, n)
		if err != nil {
			return c, err
		}
		b, err := count(ctx, 2*n)
		if err != nil {
			return c, err
		}
		c.Pilots = append(c.Pilots, Pilot{N: n, TotalN: a.Total, Total2N: b.Total})
		next, done := nextPilot(n, int64(b.Total)-int64(a.Total))
		if done {
			c.PerOp = float64(b.Total-a.Total) / float64(n)
			c.N = Iterations(c.PerOp, target)
			return c, nil
		}
		n = next
	}
	return c, fmt.Errorf("%d pilot rounds up to %d iterations did not count %d instructions more for twice the iterations: the op does (almost) nothing, or its iterations do not run", maxPilots, n, pilotMin)
}

// nextPilot decides after a pilot round at n iterations whose two runs
// differed by diff instructions: done when diff is at least pilotMin, else
// the next round's n, scaled by how far diff fell short (at least ×4, at
// most ×1000; a diff at the noise level or below counts as nothing).
func nextPilot(n uint64, diff int64) (next uint64, done bool) {
	if diff >= pilotMin {
		return n, true
	}
	factor := uint64(1000)
	if diff > pilotMin/1000 {
		factor = max(4, uint64(math.Ceil(2*float64(pilotMin)/float64(diff))))
	}
	if n > math.MaxUint64/2/factor {
		return math.MaxUint64 / 2 / 2, false
	}
	return n * factor, false
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
