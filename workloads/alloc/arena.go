//go:build goexperiment.arenas

package main

import (
	"arena"
	"fmt"

	"github.com/perfharness/harness/workloads/driver"
)

func addArenaOp(o driver.Ops) {
	o["go-arena"] = &graphOp{kind: "go-arena", cycle: arenaCycle}
}

// arenaCycle builds the graph in a new arena and frees the arena.
func arenaCycle(o *graphOp) uint64 {
	a := arena.NewArena()
	var head *hdr
	for i, size := range o.shape.sizes {
		h := arenaNew(a, size)
		fill(h, i, size, head)
		head = h
	}
	sum := walk(head)
	a.Free()
	return sum
}

// arenaNew allocates an object of one of objectSizes in a.
func arenaNew(a *arena.Arena, size uint16) *hdr {
	switch size {
	case 16:
		return arena.New[hdr](a)
	case 32:
		return &arena.New[obj[[16]byte]](a).hdr
	case 48:
		return &arena.New[obj[[32]byte]](a).hdr
	case 64:
		return &arena.New[obj[[48]byte]](a).hdr
	case 96:
		return &arena.New[obj[[80]byte]](a).hdr
	case 128:
		return &arena.New[obj[[112]byte]](a).hdr
	case 192:
		return &arena.New[obj[[176]byte]](a).hdr
	case 256:
		return &arena.New[obj[[240]byte]](a).hdr
	}
	panic(fmt.Sprintf("alloc: no object type of size %d", size))
}
