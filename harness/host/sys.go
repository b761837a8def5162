package host

import (
	"bufio"
	"bytes"
	"io/fs"
	"strconv"
	"strings"
)

// This file reads the Linux procfs and sysfs files that say how noisy a host
// is. Each reader returns the unknown value when its file is absent or does
// not parse, which is what other operating systems and most VMs give.

// readWord returns the trimmed content of a one-line file, or Unknown.
func readWord(fsys fs.FS, name string) string {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return Unknown
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return Unknown
	}
	return s
}

// boost reports whether the CPU may clock above its base frequency.
// intel_pstate inverts the sense ("no_turbo"); acpi-cpufreq and amd-pstate
// have a global "boost" file, newer kernels one per policy.
func boost(fsys fs.FS) string {
	switch readWord(fsys, "sys/devices/system/cpu/intel_pstate/no_turbo") {
	case "0":
		return "on"
	case "1":
		return "off"
	}
	for _, name := range []string{
		"sys/devices/system/cpu/cpufreq/boost",
		"sys/devices/system/cpu/cpufreq/policy0/boost",
	} {
		switch readWord(fsys, name) {
		case "1":
			return "on"
		case "0":
			return "off"
		}
	}
	return Unknown
}

// loadAvg returns the 1, 5 and 15 minute load averages from /proc/loadavg
// ("0.20 0.12 0.04 1/84 3700"), or nil.
func loadAvg(fsys fs.FS) []float64 {
	fields := strings.Fields(readWord(fsys, "proc/loadavg"))
	if len(fields) < 3 {
		return nil
	}
	avg := make([]float64, 3)
	for i := range avg {
		v, err := strconv.ParseFloat(fields[i], 64)
		if err != nil || v < 0 {
			return nil
		}
		avg[i] = v
	}
	return avg
}

// aslr names the address-space randomisation mode (see the kernel's
// Documentation/admin-guide/sysctl/kernel.rst, randomize_va_space).
func aslr(fsys fs.FS) string {
	switch readWord(fsys, "proc/sys/kernel/randomize_va_space") {
	case "0":
		return "off"
	case "1":
		return "conservative"
	case "2":
		return "full"
	}
	return Unknown
}

// memTotal returns MemTotal from /proc/meminfo in bytes, or -1.
func memTotal(fsys fs.FS) int64 {
	b, err := fs.ReadFile(fsys, "proc/meminfo")
	if err != nil {
		return -1
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:")
		if !ok {
			continue
		}
		// The kernel always prints kB (meaning KiB); anything else is a
		// format this reader does not know.
		fields := strings.Fields(rest)
		if len(fields) != 2 || fields[1] != "kB" {
			return -1
		}
		kib, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil || kib < 0 || kib > 1<<53 {
			return -1
		}
		return kib << 10
	}
	return -1
}

// onlineCPUs counts the CPUs the kernel runs, from its CPU list; 0 when
// unknown.
func onlineCPUs(fsys fs.FS) int {
	list := readWord(fsys, "sys/devices/system/cpu/online")
	if list == Unknown {
		return 0
	}
	cpus, err := parseCPURanges(list)
	if err != nil {
		return 0
	}
	return len(cpus)
}
