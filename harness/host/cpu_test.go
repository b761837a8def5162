package host

import (
	"bufio"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/klauspost/cpuid/v2"
)

func TestCanonicalFeature(t *testing.T) {
	tests := []struct {
		reason string
		name   string
		want   string // "" means not a feature
	}{
		{"canonical spelling", "ADX", "ADX"},
		{"lower case", "adx", "ADX"},
		{"mixed case", "Avx512F", "AVX512F"},
		{"lower-case AVX-512 subset", "avx512vl", "AVX512VL"},
		{"cpuid calls it SHA", "sha", "SHA"},
		{"AES-NI on x86", "aesni", "AESNI"},
		{"carry-less multiply, vector form", "vpclmulqdq", "VPCLMULQDQ"},
		{"names with an underscore", "apx_f", "APX_F"},
		{"arm64 AES", "aesarm", "AESARM"},
		{"arm64 LSE atomics", "atomics", "ATOMICS"},
		{"arm64 SHA-512", "sha512", "SHA512"},
		{"/proc/cpuinfo spelling is not cpuid's", "sha_ni", ""},
		{"Go's cpu.aes is not a cpuid name", "aes", ""},
		{"typo", "avx512", ""},
		{"cpuid's internal sentinel", "firstID", ""},
		{"cpuid's internal sentinel, upper case", "LASTID", ""},
		{"surrounding space is not trimmed", " adx", ""},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		got, ok := CanonicalFeature(tt.name)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("%s: CanonicalFeature(%q) = %q, %v; want %q, %v", tt.reason, tt.name, got, ok, tt.want, tt.want != "")
		}
	}
}

// cpuinfoFlags returns the flags of the first processor in /proc/cpuinfo.
func cpuinfoFlags(t *testing.T) map[string]bool {
	t.Helper()
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		t.Skipf("no /proc/cpuinfo: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(key) == "flags" {
			flags := map[string]bool{}
			for _, flag := range strings.Fields(value) {
				flags[flag] = true
			}
			return flags
		}
	}
	t.Skip("/proc/cpuinfo has no x86 flags line")
	return nil
}

func TestDetectAgreesWithCPUInfo(t *testing.T) {
	flags := cpuinfoFlags(t)
	f := Detect()
	for flag, feature := range map[string]string{
		"adx":     "ADX",
		"avx512f": "AVX512F",
		"sha_ni":  "SHA",
		"aes":     "AESNI",
		"bmi2":    "BMI2",
		"avx2":    "AVX2",
	} {
		if got := f.Has(feature); got != flags[flag] {
			t.Errorf("Has(%q) = %v, but /proc/cpuinfo flag %q present = %v", feature, got, flag, flags[flag])
		}
	}
	if runtime.GOARCH == "amd64" && flags["avx512f"] && flags["avx512bw"] && flags["avx512cd"] && flags["avx512dq"] && flags["avx512vl"] {
		if f.GOAMD64 != "v4" {
			t.Errorf("GOAMD64 = %q, want v4: /proc/cpuinfo lists avx512f, bw, cd, dq and vl", f.GOAMD64)
		}
	}
}

func TestDetect(t *testing.T) {
	f := Detect()
	if f.Arch != runtime.GOARCH || f.OS != runtime.GOOS {
		t.Errorf("Arch/OS = %s/%s, want %s/%s", f.Arch, f.OS, runtime.GOARCH, runtime.GOOS)
	}
	if !slices.IsSorted(f.Features) {
		t.Errorf("Features not sorted: %q", f.Features)
	}
	for _, name := range f.Features {
		if canon, ok := CanonicalFeature(name); !ok || canon != name {
			t.Errorf("feature %q is not a canonical cpuid name (got %q, %v)", name, canon, ok)
		}
	}
	if f.LogicalCores <= 0 {
		t.Errorf("LogicalCores = %d, want > 0", f.LogicalCores)
	}
	if len(f.ID) != 12 {
		t.Errorf("ID = %q, want 12 hex digits", f.ID)
	}
	if runtime.GOARCH == "amd64" && !f.SupportsGOAMD64("v1") {
		t.Errorf("GOAMD64 = %q does not support v1", f.GOAMD64)
	}
	if got := Detect().ID; got != f.ID {
		t.Errorf("ID changed between two detections: %q, then %q", f.ID, got)
	}
	var table strings.Builder
	if err := WriteTable(&table, f); err != nil {
		t.Fatal(err)
	}
	t.Logf("this host:\n%s", table.String())
}

func TestFromCPUID(t *testing.T) {
	v1 := []cpuid.FeatureID{cpuid.SYSCALL, cpuid.CMOV, cpuid.CMPXCHG8, cpuid.X87, cpuid.FXSR, cpuid.MMX, cpuid.SSE, cpuid.SSE2}
	v2 := append(slices.Clone(v1), cpuid.CX16, cpuid.LAHF, cpuid.POPCNT, cpuid.SSE3, cpuid.SSE4, cpuid.SSE42, cpuid.SSSE3)
	v3 := append(slices.Clone(v2), cpuid.AVX, cpuid.AVX2, cpuid.BMI1, cpuid.BMI2, cpuid.F16C, cpuid.FMA3, cpuid.LZCNT, cpuid.MOVBE, cpuid.OSXSAVE)
	v4 := append(slices.Clone(v3), cpuid.AVX512F, cpuid.AVX512BW, cpuid.AVX512CD, cpuid.AVX512DQ, cpuid.AVX512VL)
	tests := []struct {
		reason   string
		arch     string
		features []cpuid.FeatureID
		goamd64  string
		goarm64  string
	}{
		{"no features seen still runs v1 on amd64", "amd64", nil, "v1", ""},
		{"baseline x86-64", "amd64", v1, "v1", ""},
		{"SSE4.2 and POPCNT", "amd64", v2, "v2", ""},
		{"AVX2 and BMI2", "amd64", v3, "v3", ""},
		{"AVX-512 F/BW/CD/DQ/VL", "amd64", v4, "v4", ""},
		{"AVX512F alone is not v4", "amd64", append(slices.Clone(v3), cpuid.AVX512F), "v3", ""},
		{"arm64 without detected features runs v8.0", "arm64", nil, "", "v8.0"},
		{"arm64 v8.1 with crypto", "arm64", []cpuid.FeatureID{
			cpuid.FP, cpuid.ASIMD, cpuid.ATOMICS, cpuid.CRC32, cpuid.ASIMDRDM,
			cpuid.AESARM, cpuid.PMULL, cpuid.SHA1, cpuid.SHA2,
		}, "", "v8.1,crypto"},
		{"no level on other architectures", "riscv64", v4, "", ""},
	}
	for _, tt := range tests {
		var c cpuid.CPUInfo
		c.Enable(tt.features...)
		cpu := fromCPUID(c, tt.arch)
		if cpu.GOAMD64 != tt.goamd64 || cpu.GOARM64 != tt.goarm64 {
			t.Errorf("%s: GOAMD64, GOARM64 = %q, %q; want %q, %q", tt.reason, cpu.GOAMD64, cpu.GOARM64, tt.goamd64, tt.goarm64)
		}
		if !slices.IsSorted(cpu.Features) {
			t.Errorf("%s: features not sorted: %q", tt.reason, cpu.Features)
		}
		if cpu.Cache != (Cache{-1, -1, -1, -1}) {
			t.Errorf("%s: undetected caches = %+v, want all -1", tt.reason, cpu.Cache)
		}
	}

	var c cpuid.CPUInfo
	c.VendorID, c.VendorString = cpuid.AMD, "AuthenticAMD"
	c.HypervisorVendorID, c.HypervisorVendorString = cpuid.KVM, "KVMKVMKVM"
	c.Enable(cpuid.HYPERVISOR)
	cpu := fromCPUID(c, "amd64")
	if cpu.Vendor != "AMD" || !cpu.Hypervisor || cpu.HypervisorVendor != "KVM" {
		t.Errorf("vendor, hypervisor = %q, %v, %q; want AMD, true, KVM", cpu.Vendor, cpu.Hypervisor, cpu.HypervisorVendor)
	}
}

func TestHas(t *testing.T) {
	f := fixture()
	for _, tt := range []struct {
		reason  string
		feature string
		want    bool
	}{
		{"canonical name", "AVX512F", true},
		{"any case", "avx512f", true},
		{"absent feature", "AMXTILE", false},
		{"cpuinfo spelling", "sha_ni", false},
		{"empty", "", false},
	} {
		if got := f.Has(tt.feature); got != tt.want {
			t.Errorf("%s: Has(%q) = %v, want %v", tt.reason, tt.feature, got, tt.want)
		}
	}
}

func TestSupportsGOAMD64(t *testing.T) {
	v3 := CPU{Arch: "amd64", GOAMD64: "v3"}
	for _, tt := range []struct {
		reason string
		cpu    CPU
		level  string
		want   bool
	}{
		{"lower level", v3, "v1", true},
		{"same level", v3, "v3", true},
		{"higher level", v3, "v4", false},
		{"not a level", v3, "v5", false},
		{"not a level", v3, "3", false},
		{"not a level", v3, "v3.0", false},
		{"empty", v3, "", false},
		{"not amd64", CPU{Arch: "arm64", GOARM64: "v8.2"}, "v1", false},
		{"level never detected", CPU{Arch: "amd64"}, "v1", false},
	} {
		if got := tt.cpu.SupportsGOAMD64(tt.level); got != tt.want {
			t.Errorf("%s: %s SupportsGOAMD64(%q) = %v, want %v", tt.reason, tt.cpu.GOAMD64, tt.level, got, tt.want)
		}
	}
}

func TestSupportsGOARM64(t *testing.T) {
	crypto := []string{"AESARM", "ATOMICS", "PMULL", "SHA1", "SHA2"}
	v84 := CPU{Arch: "arm64", GOARM64: "v8.4,crypto", Features: crypto}
	v90 := CPU{Arch: "arm64", GOARM64: "v9.0", Features: []string{"ATOMICS"}}
	v82 := CPU{Arch: "arm64", GOARM64: "v8.2"}
	for _, tt := range []struct {
		reason string
		cpu    CPU
		level  string
		want   bool
	}{
		{"baseline", v84, "v8.0", true},
		{"same level", v84, "v8.4", true},
		{"higher v8 level", v84, "v8.5", false},
		{"v9 needs SVE2, which v8.x lacks", v84, "v9.0", false},
		{"v9.0 includes v8.5", v90, "v8.5", true},
		{"v9.0 does not include v8.6", v90, "v8.6", false},
		{"v9.0 on v9.0", v90, "v9.0", true},
		{"v9.1 on v9.0", v90, "v9.1", false},
		{"crypto present", v84, "v8.2,crypto", true},
		{"crypto absent", v90, "v8.0,crypto", false},
		{"lse present", v90, "v8.0,lse", true},
		{"lse absent", v82, "v8.0,lse", false},
		{"both options", v84, "v8.0,lse,crypto", true},
		{"unknown option", v84, "v8.0,sve", false},
		{"v8.10 does not exist", v84, "v8.10", false},
		{"v9.6 is not a GOARM64 value", v90, "v9.6", false},
		{"missing v", v84, "8.0", false},
		{"trailing junk", v84, "v8.0x", false},
		{"not arm64", CPU{Arch: "amd64", GOAMD64: "v4"}, "v8.0", false},
		{"level never detected", CPU{Arch: "arm64"}, "v8.0", false},
	} {
		if got := tt.cpu.SupportsGOARM64(tt.level); got != tt.want {
			t.Errorf("%s: %s SupportsGOARM64(%q) = %v, want %v", tt.reason, tt.cpu.GOARM64, tt.level, got, tt.want)
		}
	}
}
