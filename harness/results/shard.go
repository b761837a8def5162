package results

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseShard reads a shard "I/N" (1 <= I <= N), as harness run --shard
// takes it and Manifest.Shard records it; "" is the whole spec (0, 0).
func ParseShard(s string) (i, n int, err error) {
	if s == "" {
		return 0, 0, nil
	}
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 1 || i > n {
		return 0, 0, fmt.Errorf("invalid shard %q: want I/N with 1 <= I <= N", s)
	}
	return i, n, nil
}

// InShard reports whether the cell at index (0-based, in the spec's cell
// order) belongs to shard i of n: cell index is in shard (index mod n)+1,
// so shards split whole cells the same way on every machine. With n == 0
// (no shard) every cell does.
func InShard(index, i, n int) bool {
	return n == 0 || index%n == i-1
}
