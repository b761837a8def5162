package run

import "math/rand/v2"

// A Slot is one repetition of one cell in the run order.
type Slot struct {
	Cell int // index into the runnable cells
	Rep  int // 1-based repetition
}

// Order lays out count repetitions of n cells. Interleaved, repetitions go
// round-robin (A B C A B C …) so that drift in the machine — thermal state,
// background load, page cache — spreads evenly over the cells instead of
// landing on whichever ran last. With shuffle, each round's cell order is a
// fresh permutation from seed (recorded, so the order can be replayed).
// Not interleaved, each cell runs all its repetitions back to back (cell
// order shuffled once when asked).
func Order(n, count int, interleave, shuffle bool, seed int64) []Slot {
	rng := rand.New(rand.NewPCG(uint64(seed), uint64(seed)>>32|1))
	perm := func() []int {
		p := make([]int, n)
		for i := range p {
			p[i] = i
		}
		if shuffle {
			rng.Shuffle(n, func(i, j int) { p[i], p[j] = p[j], p[i] })
		}
		return p
	}
	slots := make([]Slot, 0, n*count)
	if interleave {
		for rep := 1; rep <= count; rep++ {
			for _, c := range perm() {
				slots = append(slots, Slot{c, rep})
			}
		}
		return slots
	}
	for _, c := range perm() {
		for rep := 1; rep <= count; rep++ {
			slots = append(slots, Slot{c, rep})
		}
	}
	return slots
}
