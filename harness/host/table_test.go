package host

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// fixture is a fixed fingerprint of a small AMD EPYC VM.
func fixture() Fingerprint {
	return Fingerprint{
		CPU: CPU{
			Arch:           "amd64",
			Vendor:         "AMD",
			Brand:          "AMD EPYC 9R14 96-Core Processor",
			Family:         25,
			Model:          17,
			Stepping:       1,
			LogicalCores:   2,
			PhysicalCores:  2,
			ThreadsPerCore: 1,
			Cache:          Cache{L1I: 32 << 10, L1D: 32 << 10, L2: 1 << 20, L3: 32 << 20},
			Features: []string{
				"ADX", "AESNI", "AVX2", "AVX512BW", "AVX512CD", "AVX512DQ", "AVX512F",
				"AVX512VL", "BMI2", "HYPERVISOR", "SHA", "VAES", "VPCLMULQDQ",
			},
			GOAMD64:          "v4",
			Hypervisor:       true,
			HypervisorVendor: "KVM",
		},
		OS:        "linux",
		Kernel:    "6.18.44",
		Governor:  Unknown,
		Boost:     Unknown,
		LoadAvg:   []float64{0.2, 0.12, 0.04},
		ASLR:      "full",
		MemTotalB: 8_373_469_184,
		Hostname:  "bench-vm",
		GoVersion: "go1.26.8",
		Warnings: []string{
			"cpu frequency governor unknown (no cpufreq in sysfs): clock speed is not under the host's control and may vary",
			"running under a hypervisor (KVM): steal time and noisy neighbours can perturb results",
		},
		ID: "4b4f529ee894",
	}
}

// unknownARM is an arm64 fingerprint where almost nothing could be read.
func unknownARM() Fingerprint {
	return Fingerprint{
		CPU: CPU{
			Arch:     "arm64",
			Cache:    Cache{-1, -1, -1, -1},
			Features: []string{"AESARM", "ASIMD", "ATOMICS", "CRC32", "FP", "PMULL", "SHA1", "SHA2"},
			GOARM64:  "v8.0,crypto",
		},
		OS:        "darwin",
		Kernel:    Unknown,
		Governor:  Unknown,
		Boost:     Unknown,
		ASLR:      Unknown,
		MemTotalB: -1,
		Hostname:  Unknown,
		Warnings:  []string{},
	}
}

func TestWriteTable(t *testing.T) {
	for _, tt := range []struct {
		golden string
		f      Fingerprint
	}{
		{"table.golden", fixture()},
		{"table-unknown.golden", unknownARM()},
	} {
		var b bytes.Buffer
		if err := WriteTable(&b, tt.f); err != nil {
			t.Fatal(err)
		}
		checkGolden(t, tt.golden, b.Bytes())
	}
}

func TestWriteTableError(t *testing.T) {
	if err := WriteTable(failWriter{}, fixture()); err == nil {
		t.Error("WriteTable to a failing writer returned nil")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, fmt.Errorf("disk full") }

func TestJSONKeys(t *testing.T) {
	b, err := json.MarshalIndent(fixture(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "fingerprint.json.golden", append(b, '\n'))

	var back Fingerprint
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if d := Compare(fixture(), back); d != nil || back.ID != fixture().ID {
		t.Errorf("JSON round trip lost information: %q", d)
	}
}

func TestBytesString(t *testing.T) {
	for _, tt := range []struct {
		reason string
		n      int64
		want   string
	}{
		{"unknown", -1, "unknown"},
		{"zero", 0, "0 B"},
		{"below a KiB", 1000, "1000 B"},
		{"whole KiB", 48 << 10, "48 KiB"},
		{"whole MiB", 1 << 20, "1 MiB"},
		{"not a whole MiB: one decimal", 1280 << 10, "1.2 MiB"},
		{"memory size", 8_373_469_184, "7.8 GiB"},
		{"TiB is the largest unit", 2048 << 40, "2048 TiB"},
	} {
		if got := bytesString(tt.n); got != tt.want {
			t.Errorf("%s: bytesString(%d) = %q, want %q", tt.reason, tt.n, got, tt.want)
		}
	}
}

func TestWrap(t *testing.T) {
	for _, tt := range []struct {
		reason string
		words  []string
		want   []string
	}{
		{"nothing", nil, nil},
		{"fits", []string{"ADX", "SHA"}, []string{"ADX SHA"}},
		{"exactly the width", []string{"AAAA", "BBBBB"}, []string{"AAAA BBBBB"}},
		{"one over the width", []string{"AAAA", "BBBBBB"}, []string{"AAAA", "BBBBBB"}},
		{"a word longer than the width stands alone", []string{"A", "BBBBBBBBBBBB", "C"}, []string{"A", "BBBBBBBBBBBB", "C"}},
	} {
		if got := wrap(tt.words, 10); strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("%s: wrap = %q, want %q", tt.reason, got, tt.want)
		}
	}
}

// checkGolden compares got with testdata/name, or rewrites it under -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o666); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (-want +got; go test -update rewrites it):\n%s", path, lineDiff(string(want), string(got)))
	}
}

// lineDiff returns a line diff of a and b: unchanged lines start with two
// spaces, lines only in a with "- ", lines only in b with "+ ".
func lineDiff(a, b string) string {
	x, y := strings.SplitAfter(a, "\n"), strings.SplitAfter(b, "\n")
	// lcs[i][j] is the length of the longest common subsequence of x[i:] and y[j:].
	lcs := make([][]int, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var d strings.Builder
	line := func(prefix, s string) {
		d.WriteString(prefix + strings.TrimSuffix(s, "\n") + "\n")
	}
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		switch {
		case i < len(x) && j < len(y) && x[i] == y[j]:
			line("  ", x[i])
			i, j = i+1, j+1
		case i < len(x) && (j == len(y) || lcs[i+1][j] >= lcs[i][j+1]):
			line("- ", x[i])
			i++
		default:
			line("+ ", y[j])
			j++
		}
	}
	return d.String()
}
