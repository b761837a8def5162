package spec

import (
	"strings"
	"testing"
)

func TestTierUnits(t *testing.T) {
	for _, tt := range []struct {
		instr bool
		in    []string
		want  string
		why   string
	}{
		{false, []string{"ns/op", "allocs/op"}, "ns/op allocs/op", "a time answer keeps its units"},
		{false, []string{"ns/op", "instructions/op"}, "ns/op", "a time cell has no instructions"},
		{true, []string{"ns/op", "allocs/op"}, "instructions/op allocs/op", "the instructions tier's headline when none was asked for"},
		{true, []string{"instructions/op", "B/op", "p99-ns"}, "instructions/op B/op", "asked-for units the tier writes"},
	} {
		if got := strings.Join(TierUnits(tt.instr, tt.in), " "); got != tt.want {
			t.Errorf("%s: %s; want %s", tt.why, got, tt.want)
		}
	}
}
