package main

import (
	"context"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/perfharness/harness/workloads/driver"
)

func TestShape(t *testing.T) {
	a, b := newShape(5000, 1), newShape(5000, 1)
	if !slices.Equal(a.sizes, b.sizes) || a.sum != b.sum {
		t.Error("two shapes from seed 1 differ; want the same graph for the same seed")
	}
	if c := newShape(5000, 2); slices.Equal(a.sizes, c.sizes) {
		t.Error("seeds 1 and 2 gave the same sizes; want the seed to choose them")
	}
	if got := newShape(50, 1).sizes; !slices.Equal(got, a.sizes[:50]) {
		t.Error("the first 50 sizes of a 50-object shape differ from a 5000-object one; want a prefix")
	}
	count := map[uint16]int{}
	total := 0
	for _, s := range a.sizes {
		count[s]++
		total += int(s)
	}
	for _, s := range objectSizes {
		// 5000 draws over 8 sizes: about 625 each; below 500 is not uniform.
		if count[s] < 500 {
			t.Errorf("size %d drawn %d times of 5000; want about 625", s, count[s])
		}
	}
	if len(count) != len(objectSizes) {
		t.Errorf("drew sizes %v; want only %v", count, objectSizes)
	}
	if a.bytes != total {
		t.Errorf("bytes = %d, want the sum of sizes %d", a.bytes, total)
	}
	if mean := float64(total) / 5000; mean < 94 || mean > 114 {
		t.Errorf("mean object size %.1f B; want about 104 (the mean of the sizes)", mean)
	}
}

// Each object is one allocation of exactly its size, on every path.
func TestObjectTypes(t *testing.T) {
	sizes := map[uint16]uintptr{
		16:  unsafe.Sizeof(hdr{}),
		32:  unsafe.Sizeof(obj[[16]byte]{}),
		48:  unsafe.Sizeof(obj[[32]byte]{}),
		64:  unsafe.Sizeof(obj[[48]byte]{}),
		96:  unsafe.Sizeof(obj[[80]byte]{}),
		128: unsafe.Sizeof(obj[[112]byte]{}),
		192: unsafe.Sizeof(obj[[176]byte]{}),
		256: unsafe.Sizeof(obj[[240]byte]{}),
	}
	for _, size := range objectSizes {
		if sizes[size] != uintptr(size) {
			t.Errorf("the type for size %d is %d bytes", size, sizes[size])
		}
		if objectSizes[sizeIndex(size)] != size {
			t.Errorf("sizeIndex(%d) = %d", size, sizeIndex(size))
		}
		var sink *hdr
		if n := testing.AllocsPerRun(100, func() { sink = heapNew(size) }); n != 1 {
			t.Errorf("heapNew(%d): %v allocations, want 1", size, n)
		}
		_ = sink
	}
}

func TestFillWalk(t *testing.T) {
	s := newShape(300, 7)
	var head *hdr
	for i, size := range s.sizes {
		h := heapNew(size)
		fill(h, i, size, head)
		head = h
	}
	if got := walk(head); got != s.sum {
		t.Errorf("walk = %d, want %d", got, s.sum)
	}
	// The last byte is inside the object and holds byte(i).
	if s.sizes[299] > 16 {
		last := *(*byte)(unsafe.Add(unsafe.Pointer(head), uintptr(head.size)-1))
		if want := byte(299 & 0xff); last != want {
			t.Errorf("last byte of object 299 = %d, want %d", last, want)
		}
	}
}

func TestOps(t *testing.T) {
	for name, op := range ops() {
		t.Run(name, func(t *testing.T) {
			p := driver.NewParams(map[string]string{"objects": "257"}, 3)
			if err := op.Setup(context.Background(), p); err != nil {
				t.Fatalf("Setup: %v", err)
			}
			defer op.Teardown()
			for range 5 { // sync-pool: the later rounds reuse objects
				if err := op.Do(context.Background()); err != nil {
					t.Fatalf("Do: %v", err)
				}
			}
			rep := op.(driver.Reporter).Report().(opReport)
			if rep.Objects != 257 || rep.BytesPerOp != newShape(257, 3).bytes || rep.Allocator == "" {
				t.Errorf("report %+v; want 257 objects, %d bytes, an allocator", rep, newShape(257, 3).bytes)
			}
		})
	}
}

func TestOpsRunConcurrently(t *testing.T) {
	for name, op := range ops() {
		t.Run(name, func(t *testing.T) {
			if err := op.Setup(context.Background(), driver.NewParams(nil, 1)); err != nil {
				t.Fatal(err)
			}
			defer op.Teardown()
			errs := make(chan error, 4)
			for range 4 {
				go func() {
					var err error
					for range 20 {
						if err = op.Do(context.Background()); err != nil {
							break
						}
					}
					errs <- err
				}()
			}
			for range 4 {
				if err := <-errs; err != nil {
					t.Error(err)
				}
			}
		})
	}
}

func TestCheckCatchesWrongGraph(t *testing.T) {
	o := &graphOp{kind: "go-heap", cycle: func(o *graphOp) uint64 { return o.heapCycle() - 1 }}
	if err := o.Setup(context.Background(), driver.NewParams(nil, 1)); err != nil {
		t.Fatal(err)
	}
	if err := o.Do(context.Background()); err == nil || !strings.Contains(err.Error(), "walk summed") {
		t.Errorf("Do with a wrong sum: %v; want a walk error", err)
	}
}

func TestObjectsParam(t *testing.T) {
	for _, v := range []string{"0", "-1", "10000001", "many"} {
		o := ops()["go-heap"]
		if err := o.Setup(context.Background(), driver.NewParams(map[string]string{"objects": v}, 1)); err == nil || !strings.Contains(err.Error(), "objects") {
			t.Errorf("objects=%s: %v; want an error naming the param", v, err)
		}
	}
}

func TestListDependsOnBuild(t *testing.T) {
	o := ops()
	for _, name := range []string{"go-heap", "sync-pool"} {
		if o[name] == nil {
			t.Errorf("op %s missing", name)
		}
	}
	if _, ok := o["go-arena"]; ok != arenasOn {
		t.Errorf("go-arena registered = %v, but GOEXPERIMENT=arenas is %v in this build", ok, arenasOn)
	}
	if _, ok := o["cgo-malloc"]; ok != cgoOn {
		t.Errorf("cgo-malloc registered = %v, but cgo is %v in this build", ok, cgoOn)
	}
}

// BenchmarkOps runs each op closed loop at the default 1000 objects: the
// service time that bounds the rate a fixed-rate run can sustain.
func BenchmarkOps(b *testing.B) {
	for _, name := range []string{"go-heap", "go-arena", "sync-pool", "cgo-malloc"} {
		op, ok := ops()[name]
		if !ok {
			continue
		}
		b.Run(name, func(b *testing.B) {
			if err := op.Setup(context.Background(), driver.NewParams(nil, 1)); err != nil {
				b.Fatal(err)
			}
			defer op.Teardown()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := op.Do(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
