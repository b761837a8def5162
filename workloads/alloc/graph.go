package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"unsafe"

	"github.com/perfharness/harness/workloads/driver"
)

// objectSizes are the sizes a graph's objects are drawn from: each is a Go
// size class (so new(T) allocates exactly that much) and a common malloc bin.
var objectSizes = [...]uint16{16, 32, 48, 64, 96, 128, 192, 256}

// maxObjects bounds -param objects: a graph is built within one op.
const maxObjects = 10_000_000

// A hdr is the start of every object in a graph: the link to the next
// object, the object's size in bytes and a value written when it is built.
// The C side (cmalloc.go) uses the same layout.
type hdr struct {
	next *hdr
	size uint32
	val  uint32
}

// An obj is an object of size 16+len(P): a header and a tail that only its
// last byte is written. Objects of size 16 are a bare hdr, since Go pads a
// struct that ends in a zero-size field.
type obj[P any] struct {
	hdr
	tail P
}

// A shape is the graph every op builds: the size of each object, in build
// order, and the sum a correct walk returns.
type shape struct {
	sizes []uint16
	sum   uint64
	bytes int // total of sizes
}

// newShape draws n object sizes from seed.
func newShape(n int, seed int64) shape {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x616c6c6f63)) // "alloc"
	s := shape{sizes: make([]uint16, n)}
	for i := range s.sizes {
		s.sizes[i] = objectSizes[rng.IntN(len(objectSizes))]
		s.bytes += int(s.sizes[i])
	}
	s.sum = s.expectedSum()
	return s
}

// objVal is the value object i holds; its last byte, when it has a tail,
// holds byte(i).
func objVal(i int) uint32 { return uint32(i) * 0x9e3779b1 }

// expectedSum is what walking a correctly built graph returns.
func (s shape) expectedSum() uint64 {
	var sum uint64
	for i, size := range s.sizes {
		sum += uint64(size) + uint64(objVal(i))
		if uintptr(size) > unsafe.Sizeof(hdr{}) {
			sum += uint64(byte(i))
		}
	}
	return sum
}

// fill writes object i's fields and last byte and links it before next.
func fill(h *hdr, i int, size uint16, next *hdr) {
	h.next, h.size, h.val = next, uint32(size), objVal(i)
	if uintptr(size) > unsafe.Sizeof(hdr{}) {
		*(*byte)(unsafe.Add(unsafe.Pointer(h), uintptr(size)-1)) = byte(i)
	}
}

// walk sums the list from head: sizes, values and last bytes.
func walk(head *hdr) uint64 {
	var sum uint64
	for h := head; h != nil; h = h.next {
		sum += uint64(h.size) + uint64(h.val)
		if uintptr(h.size) > unsafe.Sizeof(hdr{}) {
			sum += uint64(*(*byte)(unsafe.Add(unsafe.Pointer(h), uintptr(h.size)-1)))
		}
	}
	return sum
}

// heapNew allocates an object of one of objectSizes on the Go heap.
func heapNew(size uint16) *hdr {
	switch size {
	case 16:
		return new(hdr)
	case 32:
		return &new(obj[[16]byte]).hdr
	case 48:
		return &new(obj[[32]byte]).hdr
	case 64:
		return &new(obj[[48]byte]).hdr
	case 96:
		return &new(obj[[80]byte]).hdr
	case 128:
		return &new(obj[[112]byte]).hdr
	case 192:
		return &new(obj[[176]byte]).hdr
	case 256:
		return &new(obj[[240]byte]).hdr
	}
	panic(fmt.Sprintf("alloc: no object type of size %d", size))
}

// sizeIndex is the index of size in objectSizes.
func sizeIndex(size uint16) int {
	switch size {
	case 16:
		return 0
	case 32:
		return 1
	case 48:
		return 2
	case 64:
		return 3
	case 96:
		return 4
	case 128:
		return 5
	case 192:
		return 6
	case 256:
		return 7
	}
	panic(fmt.Sprintf("alloc: no object type of size %d", size))
}

// A graphOp is one of the alloc ops: Setup draws the shape and checks the
// process's allocator, Do runs one build-walk-drop cycle the op's way.
type graphOp struct {
	kind  string
	cycle func(*graphOp) uint64 // builds, walks and drops one graph; returns the walk's sum

	shape shape
	alloc allocInfo
	pools [len(objectSizes)]sync.Pool // sync-pool: one per object size
}

var (
	_ driver.Op       = (*graphOp)(nil)
	_ driver.Reporter = (*graphOp)(nil)
)

// Setup implements driver.Op.
func (o *graphOp) Setup(ctx context.Context, p driver.Params) error {
	n, err := p.Int("objects", 1000)
	if err != nil {
		return err
	}
	if n < 1 || n > maxObjects {
		return fmt.Errorf("param objects=%d: must be in [1, %d]", n, maxObjects)
	}
	if o.alloc, err = processAllocator(); err != nil {
		return err
	}
	o.shape = newShape(n, p.Seed())
	return nil
}

// processAllocator checks LD_PRELOAD against this process's mappings.
func processAllocator() (allocInfo, error) {
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return allocInfo{}, fmt.Errorf("checking the allocator: %w", err)
	}
	defer f.Close()
	maps, err := parseMaps(f)
	if err != nil {
		return allocInfo{}, fmt.Errorf("checking the allocator: /proc/self/maps: %w", err)
	}
	addr, ok := mallocAddr()
	return checkAllocator(maps, os.Getenv("LD_PRELOAD"), addr, ok, resolvePath)
}

// Do implements driver.Op.
func (o *graphOp) Do(context.Context) error {
	return o.check(o.cycle(o))
}

func (o *graphOp) check(sum uint64) error {
	if sum != o.shape.sum {
		return fmt.Errorf("%s: walk summed %d, want %d", o.kind, sum, o.shape.sum)
	}
	return nil
}

// Teardown implements driver.Op.
func (o *graphOp) Teardown() {}

// An opReport is the alloc ops' op_report in result.json.
type opReport struct {
	Allocator     string `json:"allocator"`                // the C allocator in the process (see allocInfo)
	MallocLibrary string `json:"malloc_library,omitempty"` // the mapped file that provides malloc
	LDPreload     string `json:"ld_preload,omitempty"`
	Objects       int    `json:"objects"`      // per op
	BytesPerOp    int    `json:"bytes_per_op"` // sum of object sizes
}

// Report implements driver.Reporter.
func (o *graphOp) Report() any {
	return opReport{
		Allocator: o.alloc.Allocator, MallocLibrary: o.alloc.Library, LDPreload: o.alloc.Preload,
		Objects: len(o.shape.sizes), BytesPerOp: o.shape.bytes,
	}
}

// heapCycle builds the graph with new and leaves it to the garbage collector.
func (o *graphOp) heapCycle() uint64 {
	var head *hdr
	for i, size := range o.shape.sizes {
		h := heapNew(size)
		fill(h, i, size, head)
		head = h
	}
	return walk(head)
}

// poolCycle builds the graph from recycled objects and returns them.
func (o *graphOp) poolCycle() uint64 {
	var head *hdr
	for i, size := range o.shape.sizes {
		pool := &o.pools[sizeIndex(size)]
		h, _ := pool.Get().(*hdr)
		if h == nil {
			h = heapNew(size)
		}
		fill(h, i, size, head)
		head = h
	}
	sum := walk(head)
	for h := head; h != nil; {
		next := h.next
		h.next = nil // a pooled object must not keep the rest of the list alive
		o.pools[sizeIndex(uint16(h.size))].Put(h)
		h = next
	}
	return sum
}
