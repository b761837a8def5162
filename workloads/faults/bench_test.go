package main

import (
	"fmt"
	"runtime"
	"testing"
	"time"
)

// spin busies the CPU for d, the known cost of one op.
func spin(d time.Duration) {
	for start := time.Now(); time.Since(start) < d; {
	}
}

// BenchmarkNoisy prints on stdout while it runs, as debug prints do: a
// line that looks like another benchmark's result, one in the exact format
// of its own, and a partial line with no newline right before the testing
// package prints the real result. An op costs 10µs; the prints say 5 ns/op.
func BenchmarkNoisy(b *testing.B) {
	fmt.Println("BenchmarkFake 1 5 ns/op")
	fmt.Printf("BenchmarkNoisy-%d\t1\t5 ns/op\n", runtime.GOMAXPROCS(0))
	for i := 0; i < b.N; i++ {
		spin(10 * time.Microsecond)
	}
	fmt.Print("partial line without newline ")
}

// BenchmarkQuiet has sub-benchmarks and prints nothing.
func BenchmarkQuiet(b *testing.B) {
	for _, d := range []time.Duration{time.Microsecond, 2 * time.Microsecond} {
		b.Run(fmt.Sprintf("spin=%s", d), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				spin(d)
			}
		})
	}
}
