package plan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/perfharness/harness/harness/spec"
)

// checkCPULists checks every CPU list of the spec (runs.cpus,
// runs.server_cpus, a workload's client.cpus) against the CPUs the harness
// may use on this host: pinning a process to another one fails when it
// starts, after building.
func checkCPULists(s *spec.Spec, allowed func() ([]int, bool)) spec.ErrorList {
	ok, known := allowed()
	if !known {
		return nil
	}
	lists := []struct{ path, val string }{{"runs.cpus", s.Runs.CPUs}, {"runs.server_cpus", s.Runs.ServerCPUs}}
	for i, w := range s.Workloads {
		if w.Client != nil {
			lists = append(lists, struct{ path, val string }{fmt.Sprintf("workloads[%d].client.cpus", i), w.Client.CPUs})
		}
	}
	var errs spec.ErrorList
	for _, l := range lists {
		if l.val == "" {
			continue
		}
		cpus, err := spec.ParseCPUList(l.val)
		if err != nil {
			continue // reported by the spec
		}
		var missing []string
		for _, c := range cpus {
			if !slices.Contains(ok, c) {
				missing = append(missing, fmt.Sprint(c))
			}
		}
		if len(missing) > 0 {
			what := "CPU"
			if len(missing) > 1 {
				what = "CPUs"
			}
			errs = append(errs, s.Errorf(l.path, "%q: %s %s not available to the harness on this host (it may use %s)",
				l.val, what, strings.Join(missing, ", "), cpuRanges(ok)))
		}
	}
	return errs
}

// cpuRanges writes CPU numbers as a kernel CPU list ("0-3,8").
func cpuRanges(cpus []int) string {
	var parts []string
	for i := 0; i < len(cpus); {
		j := i
		for j+1 < len(cpus) && cpus[j+1] == cpus[j]+1 {
			j++
		}
		if j == i {
			parts = append(parts, fmt.Sprint(cpus[i]))
		} else {
			parts = append(parts, fmt.Sprintf("%d-%d", cpus[i], cpus[j]))
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}
