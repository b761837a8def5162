package host

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// AllowedCPUs returns the CPUs this process may run on (its affinity, which
// a container or cgroup may narrow well below the CPUs cpuid counts), as
// /proc/self/status lists them; ok is false where that cannot be read.
// Pinning a process to a CPU outside it fails (taskset: Invalid argument).
func AllowedCPUs() (cpus []int, ok bool) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return nil, false
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, found := strings.CutPrefix(line, "Cpus_allowed_list:"); found {
			cpus, err := parseCPURanges(strings.TrimSpace(v))
			return cpus, err == nil
		}
	}
	return nil, false
}

// parseCPURanges parses a kernel CPU list such as "0-3,8,10-11".
func parseCPURanges(s string) ([]int, error) {
	var cpus []int
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 {
			return nil, fmt.Errorf("bad CPU list %q", s)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a || b-a > 1<<16 {
				return nil, fmt.Errorf("bad CPU list %q", s)
			}
		}
		for c := a; c <= b; c++ {
			cpus = append(cpus, c)
		}
	}
	return cpus, nil
}
