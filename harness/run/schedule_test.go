package run

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func slotsString(s []Slot) string {
	out := ""
	for _, sl := range s {
		out += fmt.Sprintf("%c%d ", 'A'+sl.Cell, sl.Rep)
	}
	return out
}

func TestOrder(t *testing.T) {
	for _, tt := range []struct {
		n, count   int
		interleave bool
		shuffle    bool
		want, why  string
	}{
		{3, 2, true, false, "A1 B1 C1 A2 B2 C2 ", "round-robin spreads drift over every cell"},
		{3, 2, false, false, "A1 A2 B1 B2 C1 C2 ", "back to back when not interleaved"},
		{1, 3, true, false, "A1 A2 A3 ", "one cell"},
		{0, 3, true, false, "", "no cells"},
	} {
		if got := slotsString(Order(tt.n, tt.count, tt.interleave, tt.shuffle, 1)); got != tt.want {
			t.Errorf("Order(%d, %d, %v, %v) = %q, want %q (%s)", tt.n, tt.count, tt.interleave, tt.shuffle, got, tt.want, tt.why)
		}
	}
}

func TestOrderShuffle(t *testing.T) {
	a := Order(5, 4, true, true, 42)
	b := Order(5, 4, true, true, 42)
	if slotsString(a) != slotsString(b) {
		t.Errorf("same seed, different orders:\n%s\n%s", slotsString(a), slotsString(b))
	}
	if slotsString(a) == slotsString(Order(5, 4, true, false, 42)) {
		t.Errorf("shuffled order equals the plain one: %s", slotsString(a))
	}
	// Every round still runs each cell exactly once before the next round.
	for round := 0; round < 4; round++ {
		seen := map[int]bool{}
		for _, sl := range a[round*5 : round*5+5] {
			if sl.Rep != round+1 || seen[sl.Cell] {
				t.Fatalf("round %d is not a permutation: %s", round+1, slotsString(a))
			}
			seen[sl.Cell] = true
		}
	}
	if slotsString(Order(5, 4, true, true, 43)) == slotsString(a) {
		t.Error("different seeds gave the same order")
	}
}

func TestSig4(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{8196095 * time.Nanosecond, "8.196ms"},
		{1794047 * time.Nanosecond, "1.794ms"},
		{565142 * time.Nanosecond, "565.1µs"},
		{999 * time.Nanosecond, "999ns"},
		{77398015 * time.Nanosecond, "77.4ms"},
		{3906994175 * time.Nanosecond, "3.907s"},
		{0, "0s"},
	} {
		if got := sig4(tc.d); got != tc.want {
			t.Errorf("sig4(%d) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

// A reason is wrapped in its column, its end (the advice) kept.
func TestWrapAfter(t *testing.T) {
	reason := "the allocator library libjemalloc.so.2 is not installed: install it with scripts/install-allocators (or apt-get install libjemalloc2)"
	got := wrapAfter(reason, 100, 160)
	lines := strings.Split(got, "\n")
	if len(lines) < 3 || !strings.HasSuffix(got, "libjemalloc2)") {
		t.Fatalf("not wrapped, or cut:\n%s", got)
	}
	for _, l := range lines[1:] {
		if !strings.HasPrefix(l, strings.Repeat(" ", 100)) || len(l) > 160 {
			t.Errorf("continuation line not in the reason column or too long: %q", l)
		}
	}
	if strings.Join(strings.Fields(got), " ") != reason {
		t.Errorf("words lost: %q", got)
	}
}
