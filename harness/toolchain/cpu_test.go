package toolchain

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

func TestReadCPUOptions(t *testing.T) {
	tests := []struct {
		goarch  string
		goamd64 int
		want    string
		why     string
	}{
		{"amd64", 1, "adx all avx avx2 avx512f popcnt", "v1: every option"},
		{"amd64", 2, "adx all avx avx2 avx512f", "v2 requires popcnt"},
		{"amd64", 3, "adx all avx512f", "v3 requires avx and avx2"},
		{"amd64", 4, "adx all", "v4 requires avx512f"},
		{"arm64", 0, "aes all sha512", "another architecture's file; tests never count"},
	}
	for _, tt := range tests {
		opts, err := readCPUOptions("testdata/goroot", "linux", tt.goarch)
		if err != nil {
			t.Fatalf("%s: %v", tt.goarch, err)
		}
		if got := strings.Join(CPUOptionNames(opts, tt.goamd64), " "); got != tt.want {
			t.Errorf("%s at v%d: %q, want %q (%s)", tt.goarch, tt.goamd64, got, tt.want, tt.why)
		}
	}
	if _, err := readCPUOptions("testdata/goroot", "linux", "riscv64"); err == nil {
		t.Error("no options for riscv64 in the fake GOROOT, and no error")
	}
	if _, err := readCPUOptions(t.TempDir(), "linux", "amd64"); err == nil {
		t.Error("a GOROOT without internal/cpu gave no error")
	}
}

// TestCPUOptionsOfLocalToolchain reads the real runtime source of the go on
// PATH: the options every recent release has must be there, at the GOAMD64
// levels the runtime gives them.
func TestCPUOptionsOfLocalToolchain(t *testing.T) {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Skip("no go on PATH")
	}
	goroot := strings.TrimSpace(string(out))
	opts, err := readCPUOptions(goroot, "linux", "amd64")
	if err != nil {
		t.Fatal(err)
	}
	v1, v3 := CPUOptionNames(opts, 1), CPUOptionNames(opts, 3)
	for _, n := range []string{"adx", "aes", "erms", "sha", "avx2", "popcnt", "avx512f"} {
		if !slices.Contains(v1, n) {
			t.Errorf("amd64 v1: %s missing from %v", n, v1)
		}
	}
	if slices.Contains(v3, "avx2") || !slices.Contains(v3, "adx") {
		t.Errorf("amd64 v3: %v (avx2 is required at v3, adx is not)", v3)
	}
	arm, err := readCPUOptions(goroot, "linux", "arm64")
	if err != nil {
		t.Fatal(err)
	}
	if names := CPUOptionNames(arm, 0); !slices.Contains(names, "aes") || slices.Contains(names, "adx") {
		t.Errorf("arm64: %v", names)
	}
}
