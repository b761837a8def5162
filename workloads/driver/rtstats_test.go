package driver

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

var sink [][]byte

// TestRuntimeDeltaAllocsExact checks that the allocation counts of a window
// are exact, not rounded to whole spans as runtime/metrics counts them: an
// op that makes 1000 objects of 48 bytes shows 1000 more, within the few
// objects the snapshots themselves make.
func TestRuntimeDeltaAllocsExact(t *testing.T) {
	for _, n := range []int{0, 1000} {
		sink = make([][]byte, 0, n)
		start := takeSnapshot()
		for i := 0; i < n; i++ {
			sink = append(sink, make([]byte, 48))
		}
		d := runtimeDelta(start, takeSnapshot())
		const slack = 32 // the end snapshot's own map and samples
		if d.AllocObjects < uint64(n) || d.AllocObjects > uint64(n+slack) {
			t.Errorf("%d objects made: alloc_objects = %d, want %d..%d", n, d.AllocObjects, n, n+slack)
		}
		if d.AllocB < uint64(48*n) || d.AllocB > uint64(48*n+slack*512) {
			t.Errorf("%d×48 B made: alloc_bytes = %d, want %d..%d", n, d.AllocB, 48*n, 48*n+slack*512)
		}
	}
	sink = nil
}

// TestGCPerSecond checks that the per-second GC counts of a window add up
// to its GC cycles: each second's cycles are recorded, none twice.
func TestGCPerSecond(t *testing.T) {
	dir := t.TempDir()
	var n atomic.Int64
	op := Func(func(context.Context) error {
		if n.Add(1)%50 == 0 {
			runtime.GC()
		}
		return nil
	})
	res, err := Run(context.Background(), Config{Name: "gc", Op: "gc", Rate: 200, Duration: 2 * time.Second, Concurrency: 1, Out: dir}, op)
	if err != nil {
		t.Fatal(err)
	}
	var sum uint64
	for _, c := range res.Runtime.GCPerSecond {
		sum += c
	}
	if len(res.Runtime.GCPerSecond) < 2 || res.Runtime.GCCycles < 8 || sum+1 < res.Runtime.GCCycles || sum > res.Runtime.GCCycles+1 {
		t.Errorf("per second %v (sum %d), window total %d; want ≥ 2 seconds summing to the total (±1)", res.Runtime.GCPerSecond, sum, res.Runtime.GCCycles)
	}
}
