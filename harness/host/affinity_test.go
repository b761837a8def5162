package host

import (
	"fmt"
	"testing"
)

func TestParseCPURanges(t *testing.T) {
	for _, tt := range []struct {
		in, want string
	}{
		{"0-3", "[0 1 2 3]"},
		{"0,2,4-5", "[0 2 4 5]"},
		{"7", "[7]"},
		{"3-1", "error"},
		{"a", "error"},
		{"", "error"},
	} {
		got, err := parseCPURanges(tt.in)
		s := fmt.Sprint(got)
		if err != nil {
			s = "error"
		}
		if s != tt.want {
			t.Errorf("parseCPURanges(%q) = %s, want %s", tt.in, s, tt.want)
		}
	}
	if cpus, ok := AllowedCPUs(); ok && len(cpus) == 0 {
		t.Error("AllowedCPUs: no CPU at all")
	}
}
