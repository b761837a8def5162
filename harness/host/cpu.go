package host

import (
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/klauspost/cpuid/v2"
)

// DetectCPU describes the processor the harness is running on.
func DetectCPU() CPU {
	c := fromCPUID(cpuid.CPU, runtime.GOARCH)
	if c.LogicalCores <= 0 {
		c.LogicalCores = runtime.NumCPU()
	}
	return c
}

// fromCPUID converts what cpuid detected on an arch CPU.
func fromCPUID(c cpuid.CPUInfo, arch string) CPU {
	vendor := c.VendorString
	if c.VendorID != cpuid.VendorUnknown {
		vendor = c.VendorID.String()
	}
	cpu := CPU{
		Arch:           arch,
		Vendor:         vendor,
		Brand:          strings.TrimSpace(c.BrandName),
		Family:         c.Family,
		Model:          c.Model,
		Stepping:       c.Stepping,
		LogicalCores:   max(c.LogicalCores, 0),
		PhysicalCores:  max(c.PhysicalCores, 0),
		ThreadsPerCore: max(c.ThreadsPerCore, 0),
		Cache: Cache{
			L1I: cacheSize(c.Cache.L1I),
			L1D: cacheSize(c.Cache.L1D),
			L2:  cacheSize(c.Cache.L2),
			L3:  cacheSize(c.Cache.L3),
		},
		Features: c.FeatureSet(),
		// Not c.VM(): it reads the package-level CPU, not c.
		Hypervisor: c.Supports(cpuid.HYPERVISOR),
	}
	slices.Sort(cpu.Features)
	if cpu.Hypervisor {
		cpu.HypervisorVendor = c.HypervisorVendorString
		if c.HypervisorVendorID != cpuid.VendorUnknown {
			cpu.HypervisorVendor = c.HypervisorVendorID.String()
		}
	}
	switch arch {
	case "amd64":
		// Every amd64 CPU runs v1, even when cpuid cannot see the features.
		cpu.GOAMD64 = "v" + strconv.Itoa(max(c.X64Level(), 1))
	case "arm64":
		cpu.GOARM64 = c.GOARM64()
		if cpu.GOARM64 == "" {
			cpu.GOARM64 = "v8.0"
		}
	}
	return cpu
}

func cacheSize(n int) int {
	if n <= 0 {
		return -1
	}
	return n
}

// CanonicalFeature returns the name cpuid gives the CPU feature called name,
// ignoring case: "adx" gives "ADX", "avx512f" gives "AVX512F". It reports
// false for names cpuid does not know, including /proc/cpuinfo spellings
// that differ from cpuid's ("sha_ni" is SHA, "aes" is AESNI or AESARM).
func CanonicalFeature(name string) (string, bool) {
	id := cpuid.ParseFeature(name)
	if id == cpuid.UNKNOWN {
		return "", false
	}
	return id.String(), true
}

// Has reports whether the CPU has the named feature. The name is matched
// ignoring case, as by [CanonicalFeature].
func (c CPU) Has(feature string) bool {
	return slices.Contains(c.Features, strings.ToUpper(feature))
}

// SupportsGOAMD64 reports whether binaries built with GOAMD64=level ("v1"
// through "v4") run on an amd64 CPU c.
func (c CPU) SupportsGOAMD64(level string) bool {
	want, ok := amd64Level(level)
	have, hok := amd64Level(c.GOAMD64)
	return ok && hok && c.Arch == "amd64" && want <= have
}

func amd64Level(s string) (int, bool) {
	n, ok := strings.CutPrefix(s, "v")
	if !ok || len(n) != 1 || n[0] < '1' || n[0] > '4' {
		return 0, false
	}
	return int(n[0] - '0'), true
}

// SupportsGOARM64 reports whether binaries built with GOARM64=level run on
// an arm64 CPU c. level is a GOARM64 value: "v8.0" through "v8.9" or "v9.0"
// through "v9.5", optionally followed by ",lse" and ",crypto".
func (c CPU) SupportsGOARM64(level string) bool {
	if c.Arch != "arm64" {
		return false
	}
	v, opts, _ := strings.Cut(level, ",")
	wantMajor, wantMinor, ok := arm64Level(v)
	if !ok {
		return false
	}
	hv, _, _ := strings.Cut(c.GOARM64, ",")
	haveMajor, haveMinor, ok := arm64Level(hv)
	if !ok {
		return false
	}
	// ARMv9.n includes ARMv8.(n+5); ARMv8.m never includes ARMv9 (it lacks SVE2).
	have8 := haveMinor
	if haveMajor == 9 {
		have8 += 5
	}
	switch {
	case wantMajor == 9 && (haveMajor != 9 || haveMinor < wantMinor):
		return false
	case wantMajor == 8 && have8 < wantMinor:
		return false
	}
	for opts != "" {
		var opt string
		opt, opts, _ = strings.Cut(opts, ",")
		switch opt {
		case "lse":
			if !c.Has("ATOMICS") {
				return false
			}
		case "crypto":
			if !c.Has("AESARM") || !c.Has("PMULL") || !c.Has("SHA1") || !c.Has("SHA2") {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// arm64Level parses "vM.m", accepting the versions GOARM64 accepts.
func arm64Level(s string) (major, minor int, ok bool) {
	if _, err := fmt.Sscanf(s, "v%d.%d", &major, &minor); err != nil || fmt.Sprintf("v%d.%d", major, minor) != s {
		return 0, 0, false
	}
	switch {
	case major == 8 && minor >= 0 && minor <= 9, major == 9 && minor >= 0 && minor <= 5:
		return major, minor, true
	}
	return 0, 0, false
}

// FeatureNames lists every feature name cpuid knows, for suggestions when a
// spec names one that does not exist.
func FeatureNames() []string {
	var names []string
	for id := cpuid.FeatureID(1); id < cpuid.FeatureID(1024); id++ {
		s := id.String()
		if s == "lastID" || strings.HasPrefix(s, "FeatureID(") {
			break
		}
		names = append(names, s)
	}
	return names
}
