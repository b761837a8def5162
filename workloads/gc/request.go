package main

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"runtime/metrics"
	"sync/atomic"

	"github.com/perfharness/harness/workloads/driver"
)

// Sizes of the objects that make up the cache and the requests.
const (
	itemsPerEntry = 8
	minData       = 32  // bytes, inclusive
	maxData       = 160 // bytes, exclusive
	lineBytes     = 64  // the request touches one byte per line
)

// An item is a small object with a pointer to a buffer: the unit of both
// the cache and the request working set.
type item struct {
	id   uint64
	data []byte
}

// An entry is one cache value: a key, its items, and the sum of their
// bytes, written when built so a reader can check it.
type entry struct {
	key   uint64
	sum   uint64
	items []*item
}

// entryBytes is the approximate size of an entry with its objects, as the
// Go allocator rounds them (entry 48 B, 8 pointers 64 B, items 32 B each,
// buffers of mean (minData+maxData-1)/2 B).
const entryBytes = 48 + 8*itemsPerEntry + itemsPerEntry*(32+(minData+maxData-1)/2)

// mix is SplitMix64's finaliser: a well-spread hash of x.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// newEntry builds the entry for key; its contents follow from key alone.
func newEntry(key uint64) *entry {
	e := &entry{key: key, items: make([]*item, itemsPerEntry)}
	for i := range e.items {
		h := mix(key*itemsPerEntry + uint64(i))
		it := &item{id: h, data: make([]byte, minData+int(h%(maxData-minData)))}
		it.data[0], it.data[len(it.data)-1] = byte(h), byte(h>>8)
		e.sum += uint64(it.data[0]) + uint64(it.data[len(it.data)-1]) + uint64(len(it.data))
		e.items[i] = it
	}
	return e
}

// check recomputes e's sum.
func (e *entry) check() error {
	var sum uint64
	for _, it := range e.items {
		sum += uint64(it.data[0]) + uint64(it.data[len(it.data)-1]) + uint64(len(it.data))
	}
	if sum != e.sum {
		return fmt.Errorf("cache entry %d sums to %d, want %d", e.key, sum, e.sum)
	}
	return nil
}

// A requestOp is the gc workload's op.
type requestOp struct {
	seed    uint64
	cache   []atomic.Pointer[entry]
	nextKey atomic.Uint64 // keys of new entries
	opNum   atomic.Uint64
	replace int      // entries read and replaced per op
	sizes   []uint16 // the request's buffer sizes
	want    uint64   // what touching a request's buffers sums to
	liveB   uint64   // live heap after setup
}

var (
	_ driver.Op       = (*requestOp)(nil)
	_ driver.Reporter = (*requestOp)(nil)
)

// Setup implements driver.Op.
func (o *requestOp) Setup(_ context.Context, p driver.Params) error {
	reqKB, err1 := p.Int("request_kb", 64)
	cacheMB, err2 := p.Int("cache_mb", 64)
	churn, err3 := p.Float("churn", 0.0002)
	for _, err := range []error{err1, err2, err3} {
		if err != nil {
			return err
		}
	}
	switch {
	case reqKB < 1 || reqKB > 1<<20:
		return fmt.Errorf("param request_kb=%d: must be in [1, %d]", reqKB, 1<<20)
	case cacheMB < 1 || cacheMB > 1<<20:
		return fmt.Errorf("param cache_mb=%d: must be in [1, %d]", cacheMB, 1<<20)
	case !(churn >= 0 && churn <= 1):
		return fmt.Errorf("param churn=%g: must be a fraction in [0, 1]", churn)
	}
	o.seed = uint64(p.Seed())
	n := max(1, cacheMB<<20/entryBytes)
	o.cache = make([]atomic.Pointer[entry], n)
	for i := range o.cache {
		o.cache[i].Store(newEntry(o.seed<<32 + uint64(i)))
	}
	o.nextKey.Store(o.seed<<32 + uint64(n))
	o.replace = 0
	if churn > 0 {
		o.replace = max(1, int(math.Round(churn*float64(n))))
	}

	// The request's buffers: sizes from the seed, like the cache's.
	o.sizes, o.want = nil, 0
	for i, b := 0, 0; b < reqKB<<10; i++ {
		size := minData + int(mix(o.seed^uint64(i)<<1)%(maxData-minData))
		o.sizes = append(o.sizes, uint16(size))
		b += size + 32 // the item and its buffer
		for off := 0; off < size; off += lineBytes {
			o.want += uint64(byte(i + off))
		}
	}

	runtime.GC() // start the window from a collected heap
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() == metrics.KindUint64 {
		o.liveB = s[0].Value.Uint64()
	}
	return nil
}

// Do implements driver.Op.
func (o *requestOp) Do(context.Context) error {
	n := o.opNum.Add(1)

	// 1. The request's working set: allocate, touch, sum.
	items := make([]*item, len(o.sizes))
	for i, size := range o.sizes {
		it := &item{id: uint64(i), data: make([]byte, size)}
		for off := 0; off < len(it.data); off += lineBytes {
			it.data[off] = byte(i + off)
		}
		items[i] = it
	}
	var sum uint64
	for _, it := range items {
		for off := 0; off < len(it.data); off += lineBytes {
			sum += uint64(it.data[off])
		}
	}
	if sum != o.want {
		return fmt.Errorf("request working set sums to %d, want %d", sum, o.want)
	}

	// 2 and 3. Read some entries and replace others.
	for j := range o.replace {
		h := mix(o.seed ^ n<<20 ^ uint64(j))
		if err := o.cache[h%uint64(len(o.cache))].Load().check(); err != nil {
			return err
		}
		slot := mix(h) % uint64(len(o.cache))
		o.cache[slot].Store(newEntry(o.nextKey.Add(1)))
	}
	return nil
}

// Teardown implements driver.Op.
func (o *requestOp) Teardown() { o.cache = nil }

// An opReport describes the heap the gc workload built.
type opReport struct {
	CacheEntries   int    `json:"cache_entries"`
	CacheObjects   int    `json:"cache_objects"`     // entries × 18
	ReplacedPerOp  int    `json:"replaced_per_op"`   // entries read and replaced per op
	RequestObjects int    `json:"request_objects"`   // allocated per op by the working set
	RequestBytes   int    `json:"request_bytes"`     // requested, before size-class rounding
	LiveHeapSetupB uint64 `json:"live_heap_setup_B"` // after setup and a GC
	EntryBytesAppx int    `json:"entry_bytes_approx"`
}

// Report implements driver.Reporter.
func (o *requestOp) Report() any {
	reqB := 8 * len(o.sizes)
	for _, s := range o.sizes {
		reqB += int(s) + 32
	}
	return opReport{
		CacheEntries: len(o.cache), CacheObjects: len(o.cache) * (2 + 2*itemsPerEntry),
		ReplacedPerOp: o.replace, RequestObjects: 1 + 2*len(o.sizes), RequestBytes: reqB,
		LiveHeapSetupB: o.liveB, EntryBytesAppx: entryBytes,
	}
}
