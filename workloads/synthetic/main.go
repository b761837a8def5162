// Command synthetic is a fixed-rate workload whose cost is known exactly, for
// testing the harness's statistics rather than Go: its op does a fixed amount
// of CPU work (no allocation, no system calls), and a knob makes it a known
// fraction slower. Pairing a run with -param slowdown=0 against one with
// -param slowdown=0.05 is a 5% regression whose size is not in doubt, which
// is what scripts/gate-trials uses to measure the gate's detection rate and
// its false-alarm rate.
//
// Ops:
//
//	spin   mixes a 64-bit state work × (1 + slowdown) times
//	       (-param work, default 20000 rounds: about 10-20 µs on a current
//	       x86-64 core; -param slowdown, a fraction, default 0), and
//	       allocates -param allocs heap objects of 64 bytes (default 0)
//	fail   fails its Setup, for testing how a failed cell is reported
//
// The number of rounds is fixed at Setup, so the cost of one op does not
// depend on timing; only the machine's noise varies between runs. The
// allocations are the one regression no load on the machine can hide or
// fake: allocs/op counts them, whatever the op's latency.
package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync/atomic"

	"github.com/perfharness/harness/workloads/driver"
)

func main() {
	driver.Main(driver.Ops{"spin": &spinOp{}, "fail": &failOp{}})
}

// A spinOp does rounds of integer mixing per call.
type spinOp struct {
	rounds int
	allocs int
	sink   atomic.Uint64         // keeps the result alive so the loop is not removed
	kept   atomic.Pointer[block] // the last block allocated, so allocations escape
}

// A block is what the op allocates.
type block [64]byte

func (o *spinOp) Setup(ctx context.Context, p driver.Params) error {
	work, err := p.Int("work", 20000)
	if err != nil {
		return err
	}
	slow, err := p.Float("slowdown", 0)
	if err != nil {
		return err
	}
	rounds, err := Rounds(work, slow)
	if err != nil {
		return err
	}
	allocs, err := p.Int("allocs", 0)
	if err != nil {
		return err
	}
	if allocs < 0 || allocs > 1<<20 {
		return fmt.Errorf("param allocs=%d: must be between 0 and %d", allocs, 1<<20)
	}
	o.rounds, o.allocs = rounds, allocs
	return nil
}

// Rounds is the op's work with the slowdown applied: work × (1 + slowdown),
// rounded to the nearest round.
func Rounds(work int, slowdown float64) (int, error) {
	if work < 1 {
		return 0, fmt.Errorf("param work=%d: must be >= 1", work)
	}
	if math.IsNaN(slowdown) || slowdown < -0.9 || slowdown > 100 {
		return 0, fmt.Errorf("param slowdown=%g: must be a fraction in [-0.9, 100]", slowdown)
	}
	return int(math.Round(float64(work) * (1 + slowdown))), nil
}

func (o *spinOp) Do(ctx context.Context) error {
	o.sink.Add(Spin(o.rounds, o.sink.Load()))
	for range o.allocs {
		o.kept.Store(new(block))
	}
	return nil
}

func (o *spinOp) Teardown() {}

// Spin mixes x n times (splitmix64 steps): a dependency chain the CPU cannot
// overlap, so its time is proportional to n.
func Spin(n int, x uint64) uint64 {
	for range n {
		x += 0x9e3779b97f4a7c15
		z := x
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		x = z ^ (z >> 31)
	}
	return x
}

// A failOp fails at setup, so the cell's runs come out failed.
type failOp struct{}

func (failOp) Setup(context.Context, driver.Params) error {
	return errors.New("the fail op always fails (synthetic workload)")
}

func (failOp) Do(context.Context) error { return nil }
func (failOp) Teardown()                {}
