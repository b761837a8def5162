package host

import (
	"slices"
	"testing"
	"testing/fstest"
)

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

func TestGovernor(t *testing.T) {
	const path = "sys/devices/system/cpu/cpu0/cpufreq/scaling_governor"
	tests := []struct {
		reason string
		fsys   fstest.MapFS
		want   string
	}{
		{"performance, with the kernel's trailing newline", fstest.MapFS{path: file("performance\n")}, "performance"},
		{"powersave is reported as is", fstest.MapFS{path: file("powersave\n")}, "powersave"},
		{"no cpufreq directory, as in most VMs", fstest.MapFS{}, Unknown},
		{"empty file", fstest.MapFS{path: file("\n")}, Unknown},
		{"only cpu1 has cpufreq: cpu0 decides", fstest.MapFS{
			"sys/devices/system/cpu/cpu1/cpufreq/scaling_governor": file("performance\n"),
		}, Unknown},
	}
	for _, tt := range tests {
		if got := readWord(tt.fsys, path); got != tt.want {
			t.Errorf("%s: governor = %q, want %q", tt.reason, got, tt.want)
		}
	}
}

func TestBoost(t *testing.T) {
	const (
		noTurbo = "sys/devices/system/cpu/intel_pstate/no_turbo"
		global  = "sys/devices/system/cpu/cpufreq/boost"
		policy  = "sys/devices/system/cpu/cpufreq/policy0/boost"
	)
	tests := []struct {
		reason string
		fsys   fstest.MapFS
		want   string
	}{
		{"intel_pstate no_turbo=0 means turbo allowed", fstest.MapFS{noTurbo: file("0\n")}, "on"},
		{"intel_pstate no_turbo=1 means turbo disabled", fstest.MapFS{noTurbo: file("1\n")}, "off"},
		{"acpi-cpufreq boost=1", fstest.MapFS{global: file("1\n")}, "on"},
		{"acpi-cpufreq boost=0", fstest.MapFS{global: file("0\n")}, "off"},
		{"per-policy boost on newer kernels", fstest.MapFS{policy: file("1\n")}, "on"},
		{"intel_pstate wins over a global boost file", fstest.MapFS{noTurbo: file("1\n"), global: file("1\n")}, "off"},
		{"unreadable no_turbo falls through to cpufreq/boost", fstest.MapFS{noTurbo: file("?\n"), global: file("0\n")}, "off"},
		{"global boost wins over per-policy boost", fstest.MapFS{global: file("0\n"), policy: file("1\n")}, "off"},
		{"garbage in the only file", fstest.MapFS{global: file("yes\n")}, Unknown},
		{"no frequency driver at all, as in most VMs", fstest.MapFS{}, Unknown},
	}
	for _, tt := range tests {
		if got := boost(tt.fsys); got != tt.want {
			t.Errorf("%s: boost = %q, want %q", tt.reason, got, tt.want)
		}
	}
}

func TestLoadAvg(t *testing.T) {
	tests := []struct {
		reason string
		data   string // "" means the file is absent
		want   []float64
	}{
		{"typical line", "0.20 0.12 0.04 1/84 3700\n", []float64{0.20, 0.12, 0.04}},
		{"busy host", "12.50 8.00 3.25 9/1024 42\n", []float64{12.5, 8, 3.25}},
		{"only the three averages", "1.00 2.00 3.00", []float64{1, 2, 3}},
		{"absent file", "", nil},
		{"too few fields", "0.20 0.12\n", nil},
		{"not a number", "0.20 x 0.04 1/84 3700\n", nil},
		{"negative load cannot happen", "-1.00 0.12 0.04 1/84 3700\n", nil},
	}
	for _, tt := range tests {
		fsys := fstest.MapFS{}
		if tt.data != "" {
			fsys["proc/loadavg"] = file(tt.data)
		}
		if got := loadAvg(fsys); !slices.Equal(got, tt.want) {
			t.Errorf("%s: loadAvg = %v, want %v", tt.reason, got, tt.want)
		}
	}
}

func TestASLR(t *testing.T) {
	tests := []struct {
		reason string
		data   string // "" means the file is absent
		want   string
	}{
		{"0 disables randomisation", "0\n", "off"},
		{"1 randomises stack, mmap and vDSO, not the heap", "1\n", "conservative"},
		{"2 also randomises the heap (brk)", "2\n", "full"},
		{"a value the kernel does not define", "3\n", Unknown},
		{"absent file, not Linux", "", Unknown},
	}
	for _, tt := range tests {
		fsys := fstest.MapFS{}
		if tt.data != "" {
			fsys["proc/sys/kernel/randomize_va_space"] = file(tt.data)
		}
		if got := aslr(fsys); got != tt.want {
			t.Errorf("%s: aslr = %q, want %q", tt.reason, got, tt.want)
		}
	}
}

func TestMemTotal(t *testing.T) {
	tests := []struct {
		reason string
		data   string // "" means the file is absent
		want   int64
	}{
		{"kB means KiB", "MemTotal:       16315444 kB\nMemFree:         1000 kB\n", 16315444 << 10},
		{"MemTotal need not be the first line", "MemFree: 1 kB\nMemTotal: 1024 kB\n", 1 << 20},
		{"MemTotal missing", "MemFree: 1 kB\n", -1},
		{"unknown unit", "MemTotal: 16 MB\n", -1},
		{"no unit", "MemTotal: 16\n", -1},
		{"not a number", "MemTotal: lots kB\n", -1},
		{"absent file", "", -1},
	}
	for _, tt := range tests {
		fsys := fstest.MapFS{}
		if tt.data != "" {
			fsys["proc/meminfo"] = file(tt.data)
		}
		if got := memTotal(fsys); got != tt.want {
			t.Errorf("%s: memTotal = %d, want %d", tt.reason, got, tt.want)
		}
	}
}

func TestDetectFrom(t *testing.T) {
	cpu := fixture().CPU
	quiet := fstest.MapFS{
		"proc/sys/kernel/osrelease":                            file("6.8.0-45-generic\n"),
		"proc/sys/kernel/hostname":                             file("bench-01\n"),
		"proc/sys/kernel/randomize_va_space":                   file("0\n"),
		"proc/loadavg":                                         file("0.01 0.02 0.03 1/100 200\n"),
		"proc/meminfo":                                         file("MemTotal: 1048576 kB\n"),
		"sys/devices/system/cpu/cpu0/cpufreq/scaling_governor": file("performance\n"),
		"sys/devices/system/cpu/intel_pstate/no_turbo":         file("1\n"),
	}
	cpu.Hypervisor, cpu.HypervisorVendor = false, ""
	f := DetectFrom(quiet, cpu)
	check := func(what string, got, want any) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}
	check("Kernel", f.Kernel, "6.8.0-45-generic")
	check("Hostname", f.Hostname, "bench-01")
	check("ASLR", f.ASLR, "off")
	check("Governor", f.Governor, "performance")
	check("Boost", f.Boost, "off")
	check("MemTotalB", f.MemTotalB, int64(1<<30))
	check("load average", len(f.LoadAvg), 3)
	check("warnings on a quiet bare-metal host", len(f.Warnings), 0)
	if f.Warnings == nil {
		t.Error("Warnings is nil, want empty so JSON says []")
	}

	empty := DetectFrom(fstest.MapFS{}, CPU{Arch: "riscv64"})
	for what, got := range map[string]string{
		"Kernel": empty.Kernel, "Hostname": empty.Hostname, "ASLR": empty.ASLR,
		"Governor": empty.Governor, "Boost": empty.Boost,
	} {
		check("empty tree: "+what, got, Unknown)
	}
	check("empty tree: MemTotalB", empty.MemTotalB, int64(-1))
	check("empty tree: LoadAvg is nil", empty.LoadAvg == nil, true)
	check("empty tree: Features is not nil", empty.Features != nil, true)

	noisy := DetectFrom(fstest.MapFS{"proc/loadavg": file("9.00 9.00 9.00 1/1 1\n")}, cpu)
	check("ID ignores kernel, host name, load and governor", noisy.ID, f.ID)
	cpu.Features = slices.DeleteFunc(slices.Clone(cpu.Features), func(s string) bool { return s == "AVX512F" })
	check("ID changes with the features", DetectFrom(quiet, cpu).ID != f.ID, true)
}

func TestIdentityIsStable(t *testing.T) {
	// Results on disk carry this ID; changing how it is computed makes every
	// old result look like it came from another kind of host.
	if got, want := identity(fixture().CPU), "4b4f529ee894"; got != want {
		t.Errorf("identity(fixture) = %q, want %q", got, want)
	}
}

func TestOnlineCPUs(t *testing.T) {
	const path = "sys/devices/system/cpu/online"
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	tests := []struct {
		fsys fstest.MapFS
		want int
	}{
		{fstest.MapFS{path: file("0-1\n")}, 2},
		{fstest.MapFS{path: file("0-3,8,10-11\n")}, 7},
		{fstest.MapFS{path: file("0\n")}, 1},
		{fstest.MapFS{path: file("garbage\n")}, 0},
		{fstest.MapFS{}, 0},
	}
	for _, tt := range tests {
		if got := onlineCPUs(tt.fsys); got != tt.want {
			t.Errorf("onlineCPUs(%q) = %d, want %d", tt.fsys[path], got, tt.want)
		}
	}
}
