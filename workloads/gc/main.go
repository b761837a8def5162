// Command gc is a fixed-rate workload for comparing garbage collectors and
// their settings (GOEXPERIMENT=greenteagc or nogreenteagc,
// sizespecializedmalloc, GOGC, GOMEMLIMIT): a request handler that
// allocates a short-lived working set while a large long-lived cache stays
// in the heap and slowly turns over.
//
// Setup builds the cache: entries of about 1.1 KiB in 18 objects each (the
// entry, a slice of 8 pointers, 8 items and their 32..159-byte buffers),
// cache_mb MiB in all (-param cache_mb, default 64: about 59,000 entries and
// a million objects). Pointer-rich small objects are what makes marking
// cost; the cache is the old generation the collector must trace each cycle.
//
// The op, request, stands for one request:
//  1. allocates the request's working set, request_kb KiB (-param
//     request_kb, default 64) of items of the same kind (each item and its
//     buffer, plus the slice holding them: about 1,000 objects at the
//     default), writes one byte per 64-byte line of every buffer, and sums
//     them back;
//  2. reads replace entries of the cache (chosen from the seed and the op's
//     number) and checks their sums;
//  3. replaces as many other entries with new ones, so that old objects
//     die and new ones are promoted: the churn a collector must find.
//
// The number replaced per op is churn × entries, at least 1 (-param churn,
// default 0.001: about 59 entries, 67 KiB, per op). At the default rate
// the process allocates request_kb + about 67 KiB per op; a GC cycle runs
// each time that reaches GOGC% of the live heap (about 64 MiB), so at
// 1,000 ops/s roughly every half second. The driver records the GC pause
// P99, cycles and peak RSS of the window; op_report gives the cache's shape
// and the live heap measured after setup.
package main

import "github.com/perfharness/harness/workloads/driver"

func main() {
	driver.Main(driver.Ops{"request": &requestOp{}})
}
