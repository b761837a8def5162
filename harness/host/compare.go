package host

import (
	"fmt"
	"strconv"
	"strings"
)

// Compare lists, one line each, the differences between hosts a and b that
// matter when comparing results measured on them: CPU identity, cores,
// caches, features, ISA level, hypervisor, kernel, frequency control, ASLR,
// memory and, when both recorded one, valgrind's version. It returns nil
// when there are none. Host name, load average, warnings and the Go that
// built the harness are not compared.
func Compare(a, b Fingerprint) []string {
	var d []string
	diff := func(what, x, y string) {
		if x != y {
			d = append(d, fmt.Sprintf("%s: %q vs %q", what, x, y))
		}
	}
	num := func(what string, x, y int) {
		diff(what, strconv.Itoa(x), strconv.Itoa(y))
	}
	diff("arch", a.Arch, b.Arch)
	diff("os", a.OS, b.OS)
	diff("vendor", a.Vendor, b.Vendor)
	diff("brand", a.Brand, b.Brand)
	diff("family/model/stepping",
		fmt.Sprintf("%d/%d/%d", a.Family, a.Model, a.Stepping),
		fmt.Sprintf("%d/%d/%d", b.Family, b.Model, b.Stepping))
	num("logical cores", a.LogicalCores, b.LogicalCores)
	num("physical cores", a.PhysicalCores, b.PhysicalCores)
	num("threads per core", a.ThreadsPerCore, b.ThreadsPerCore)
	if a.OnlineCPUs > 0 && b.OnlineCPUs > 0 {
		num("online CPUs", a.OnlineCPUs, b.OnlineCPUs)
	}
	diff("L1i cache", bytesString(int64(a.Cache.L1I)), bytesString(int64(b.Cache.L1I)))
	diff("L1d cache", bytesString(int64(a.Cache.L1D)), bytesString(int64(b.Cache.L1D)))
	diff("L2 cache", bytesString(int64(a.Cache.L2)), bytesString(int64(b.Cache.L2)))
	diff("L3 cache", bytesString(int64(a.Cache.L3)), bytesString(int64(b.Cache.L3)))
	if only := missing(b.Features, a.Features); len(only) > 0 {
		d = append(d, "features only on a: "+strings.Join(only, " "))
	}
	if only := missing(a.Features, b.Features); len(only) > 0 {
		d = append(d, "features only on b: "+strings.Join(only, " "))
	}
	diff("GOAMD64", a.GOAMD64, b.GOAMD64)
	diff("GOARM64", a.GOARM64, b.GOARM64)
	diff("hypervisor", hypervisorString(a.CPU), hypervisorString(b.CPU))
	diff("kernel", a.Kernel, b.Kernel)
	diff("governor", a.Governor, b.Governor)
	diff("boost", a.Boost, b.Boost)
	diff("ASLR", a.ASLR, b.ASLR)
	diff("memory", bytesString(a.MemTotalB), bytesString(b.MemTotalB))
	if a.Valgrind != "" && b.Valgrind != "" {
		// Instruction counts depend on valgrind's virtual CPU.
		diff("valgrind", a.Valgrind, b.Valgrind)
	}
	return d
}

// missing returns the names in have that are not in from.
func missing(from, have []string) []string {
	in := make(map[string]bool, len(from))
	for _, s := range from {
		in[s] = true
	}
	var m []string
	for _, s := range have {
		if !in[s] {
			m = append(m, s)
		}
	}
	return m
}
