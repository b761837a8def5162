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
//  2. reads as many cache entries as it will replace (chosen from the seed
//     and the op's number) and checks their sums;
//  3. replaces as many other entries with new ones, so that old objects
//     die and new ones are promoted: the churn a collector must find.
//
// The number replaced per op is churn × entries, at least 1 (-param churn,
// default 0.0002: 12 entries, 13 KiB, per op, so as many entries as the
// cache holds are replaced every ~5,000 ops). At the defaults an op allocates about 87 KiB in
// 1,250 objects, of which the replaced entries (15%) survive it. With
// GOGC=100 and about 73 MB live, a GC cycle starts every ~70 MB allocated:
// every ~800 ops, so at 1,000 ops/s a little under once a second, each
// marking the million cache objects. The driver records the GC pause P99,
// cycles and peak RSS of the window; op_report gives the cache's shape and
// the live heap measured after setup.
//
// The latency tail is the mark phase, not the stop-the-world pauses: while
// marking, the collector runs its 25% worker and idle-priority workers on
// every otherwise idle P, so on a machine with few cores an op that falls
// due then waits for a CPU, and so does the driver's pacer. That wait
// shows as generator lag too (with GOGC=off it disappears), so on two
// cores the lag is a large share of every percentile and a run would be
// generator-lagged: give this workload an absolute bound instead
// (max_lag_p99, e.g. 10ms) and compare its latency percentiles, GC figures
// and RSS across settings.
package main

import "github.com/perfharness/harness/workloads/driver"

func main() {
	driver.Main(driver.Ops{"request": &requestOp{}})
}
