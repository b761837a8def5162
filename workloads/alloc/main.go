// Command alloc is a fixed-rate workload that compares memory allocators on
// one object graph: the Go heap (garbage collected), Go arenas, sync.Pool
// recycling and C malloc/free through cgo (glibc, or tcmalloc or jemalloc
// by LD_PRELOAD).
//
// Every op builds the same graph: a singly linked list of N objects
// (-param objects, default 1000) whose sizes are drawn from the seed
// (-seed) among 16, 32, 48, 64, 96, 128, 192 and 256 bytes, sizes that are
// exact Go size classes and common malloc bins, so each object is exactly
// one allocation of its size in every op (mean 104 B). Each object is
// written when built (a 16-byte header holding the link, its size and a
// value, plus its last byte), then the list is walked and summed, then
// dropped. The sum is checked against the one computed at setup, so an op
// that built the wrong graph fails instead of being fast.
//
// The ops differ only in where the objects come from and how they go away:
//
//	go-heap     new(T) per object; the garbage collector reclaims the list
//	            (its cost shows in GC pauses and CPU, not in the op alone)
//	go-arena    arena.New per object in one arena.Arena per op, freed at the
//	            end of the op; only in binaries built with
//	            GOEXPERIMENT=arenas. Arenas take memory in 8 MiB chunks that
//	            the runtime maps and zeroes whole. Free hands a partly used
//	            chunk to the next arena, so consecutive ops fill one chunk
//	            (80 graphs at the default size); the op whose graph
//	            overflows it maps and zeroes a fresh chunk, and its Free
//	            unmaps the full one. So one op in ~80 takes milliseconds
//	            (2,048 page faults without transparent huge pages) while
//	            the rest take tens of microseconds, and go-arena's P99 is
//	            that refill. A freed chunk counts as freed at
//	            once and is reused only after a GC cycle, which arenas
//	            alone never start, so the process's virtual size grows by
//	            8 MiB per chunk while no GC runs; its RSS does not.
//	sync-pool   objects taken from one sync.Pool per size and put back at
//	            the end of the op; pools are emptied across two GC cycles,
//	            so some Gets still allocate
//	cgo-malloc  malloc and free in C; the whole build, walk and free loop is
//	            one C call per op, so the allocator dominates, not the cgo
//	            crossing (about 50 ns, once per op). Only with cgo.
//
// Go memory is zeroed when allocated and malloc's is not; this is part of
// what is compared.
//
// At setup every op checks, from /proc/self/maps, that each library named
// in LD_PRELOAD is really mapped into the process, and which mapped file
// holds the malloc that C code calls (found with dlsym in cgo builds). A
// preloaded library that is not mapped (a misspelt path, a library the
// loader refused, a statically linked binary) fails the setup with the
// reason, as does a preloaded allocator that does not provide malloc.
// result.json's op_report says which allocator was in use ("allocator":
// tcmalloc, jemalloc, mimalloc, glibc, none for a static binary, or the
// library's file name) and the graph's size.
package main

import "github.com/perfharness/harness/workloads/driver"

func main() {
	driver.Main(ops())
}

// ops returns the ops this binary was built with.
func ops() driver.Ops {
	o := driver.Ops{
		"go-heap":   &graphOp{kind: "go-heap", cycle: (*graphOp).heapCycle},
		"sync-pool": &graphOp{kind: "sync-pool", cycle: (*graphOp).poolCycle},
	}
	addArenaOp(o)
	addCgoOp(o)
	return o
}
