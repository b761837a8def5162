package run

import (
	"slices"
	"testing"
)

func TestGeneratorCPUs(t *testing.T) {
	for _, tt := range []struct {
		list string
		n    int
		want []string
		why  string
	}{
		{"0-3", 2, []string{"0,1", "2,3"}, "two cores each"},
		{"0-4", 2, []string{"0,1", "2,3,4"}, "as even as they can be"},
		{"2,5,7", 3, []string{"2", "5", "7"}, "one each"},
		{"0-1", 3, []string{"0", "1", "0"}, "fewer CPUs than generators: in turn"},
	} {
		got, err := generatorCPUs(tt.list, tt.n)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("generatorCPUs(%q, %d) = %q, %v; want %q (%s)", tt.list, tt.n, got, err, tt.want, tt.why)
		}
	}
}

func TestWithProcs(t *testing.T) {
	for _, tt := range []struct {
		name     string
		from, to int
		want     string
	}{
		{"BenchmarkApi/op=item", 1, 2, "BenchmarkApi/op=item-2"},
		{"BenchmarkApi/op=item-4", 4, 2, "BenchmarkApi/op=item-2"},
		{"BenchmarkApi/op=get-2", 1, 1, "BenchmarkApi/op=get-2"}, // the op's own "-2" stays
		{"BenchmarkApi/op=item-2", 2, 0, "BenchmarkApi/op=item-2"},
	} {
		if got := withProcs(tt.name, tt.from, tt.to); got != tt.want {
			t.Errorf("withProcs(%q, %d, %d) = %q; want %q", tt.name, tt.from, tt.to, got, tt.want)
		}
	}
}
