package host

import (
	"strings"
	"testing"
)

func TestWarnings(t *testing.T) {
	quiet := Fingerprint{
		CPU:      CPU{LogicalCores: 8, ThreadsPerCore: 1},
		Governor: "performance",
		Boost:    "off",
		LoadAvg:  []float64{0.5, 0.5, 0.5},
	}
	tests := []struct {
		reason string
		change func(*Fingerprint)
		want   []string // substrings, one per expected warning, in order
	}{
		{"quiet bare-metal host", func(*Fingerprint) {}, nil},
		{"powersave governor", func(f *Fingerprint) { f.Governor = "powersave" }, []string{`governor is "powersave"`}},
		{"no cpufreq: governor unknown", func(f *Fingerprint) { f.Governor = Unknown }, []string{"governor unknown"}},
		{"turbo boost on", func(f *Fingerprint) { f.Boost = "on" }, []string{"turbo boost is on"}},
		{"boost unknown is not a finding by itself", func(f *Fingerprint) { f.Boost = Unknown }, nil},
		{"load 2.5 on 8 cores exceeds a quarter of them (2)", func(f *Fingerprint) { f.LoadAvg[0] = 2.5 }, []string{"load average 2.50 is high for 8 logical cores"}},
		{"load 2.0 on 8 cores is exactly the limit", func(f *Fingerprint) { f.LoadAvg[0] = 2 }, nil},
		{"load 1.1 on 2 cores exceeds the floor of 1", func(f *Fingerprint) { f.LogicalCores = 2; f.LoadAvg[0] = 1.1 }, []string{"high for 2 logical cores"}},
		{"load 1.5 on a guest whose cpuid counts 254 cores but runs 2 CPUs", func(f *Fingerprint) { f.LogicalCores, f.OnlineCPUs, f.LoadAvg[0] = 254, 2, 1.5 },
			[]string{"load average 1.50 is high for 2 online CPUs", "cpuid counts 254 logical cores but 2 CPUs are online"}},
		{"online CPUs equal to cpuid's count say nothing", func(f *Fingerprint) { f.OnlineCPUs = 8 }, nil},
		{"affinity narrower than the online CPUs", func(f *Fingerprint) { f.OnlineCPUs, f.UsableCPUs = 8, 2 }, []string{"may use 2 of the 8 online CPUs"}},
		{"only the 1-minute average counts", func(f *Fingerprint) { f.LoadAvg[2] = 50 }, nil},
		{"load unknown", func(f *Fingerprint) { f.LoadAvg = nil }, []string{"load average unknown"}},
		{"hypervisor with a vendor", func(f *Fingerprint) { f.Hypervisor, f.HypervisorVendor = true, "KVM" }, []string{"hypervisor (KVM)"}},
		{"hypervisor without a vendor", func(f *Fingerprint) { f.Hypervisor = true }, []string{"running under a hypervisor:"}},
		{"SMT siblings", func(f *Fingerprint) { f.ThreadsPerCore = 2 }, []string{"SMT is on (2 threads per core)"}},
		{"several findings keep a fixed order", func(f *Fingerprint) {
			f.ThreadsPerCore, f.Hypervisor, f.Boost, f.Governor = 2, true, "on", "ondemand"
		}, []string{"governor", "turbo", "hypervisor", "SMT"}},
	}
	for _, tt := range tests {
		f := quiet
		f.LoadAvg = append([]float64(nil), quiet.LoadAvg...)
		tt.change(&f)
		got := warnings(f)
		if len(got) != len(tt.want) {
			t.Errorf("%s: got %d warnings %q, want %d", tt.reason, len(got), got, len(tt.want))
			continue
		}
		for i := range got {
			if !strings.Contains(got[i], tt.want[i]) {
				t.Errorf("%s: warning %d = %q, want it to contain %q", tt.reason, i, got[i], tt.want[i])
			}
		}
	}
}

func TestCompare(t *testing.T) {
	a := fixture()
	if d := Compare(a, a); d != nil {
		t.Errorf("Compare(a, a) = %q, want nil", d)
	}

	b := fixture()
	b.Hostname, b.LoadAvg, b.Warnings, b.GoVersion = "other", nil, nil, "go1.99"
	if d := Compare(a, b); d != nil {
		t.Errorf("host name, load, warnings and Go version differ only: Compare = %q, want nil", d)
	}

	b = fixture()
	b.Brand = "Intel(R) Xeon(R) Platinum 8488C"
	b.LogicalCores = 4
	b.Features = []string{"ADX", "AMXTILE", "AVX2"}
	b.GOAMD64 = "v3"
	b.Kernel = "6.1.0"
	b.MemTotalB = -1
	want := []string{
		`brand: "AMD EPYC 9R14 96-Core Processor" vs "Intel(R) Xeon(R) Platinum 8488C"`,
		`logical cores: "2" vs "4"`,
		"features only on a: AESNI AVX512BW AVX512CD AVX512DQ AVX512F AVX512VL BMI2 HYPERVISOR SHA VAES VPCLMULQDQ",
		"features only on b: AMXTILE",
		`GOAMD64: "v4" vs "v3"`,
		`kernel: "6.18.44" vs "6.1.0"`,
		`memory: "7.8 GiB" vs "unknown"`,
	}
	got := Compare(a, b)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Compare:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestCPUsLine(t *testing.T) {
	tests := []struct {
		f    Fingerprint
		want string
	}{
		{Fingerprint{CPU: CPU{LogicalCores: 8, PhysicalCores: 4}}, "8 logical cores, 4 physical"},
		{Fingerprint{CPU: CPU{LogicalCores: 254, PhysicalCores: 254}, OnlineCPUs: 2, UsableCPUs: 2}, "2 online CPUs (cpuid: 254 logical cores)"},
		{Fingerprint{CPU: CPU{LogicalCores: 8, PhysicalCores: 4}, OnlineCPUs: 8, UsableCPUs: 3}, "8 online CPUs, 3 usable, 4 physical cores"},
	}
	for _, tt := range tests {
		if got := tt.f.CPUsLine(); got != tt.want {
			t.Errorf("CPUsLine(%+v) = %q, want %q", tt.f, got, tt.want)
		}
	}
}
