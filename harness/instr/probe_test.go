package instr

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfharness/harness/harness/host"
	"github.com/perfharness/harness/harness/toolchain"
)

// hostLike is this project's reference host as the probe saw it: a Zen 5
// guest without RDTSCP, under valgrind 3.19 (which plays a Haswell).
func hostLike() *CPU {
	return &CPU{
		Go: "go1.26.8", Valgrind: "3.19.0",
		Native:  map[string]bool{"adx": true, "avx2": true, "avx512f": true, "rdtscp": false, "sha": true, "bmi2": true},
		Virtual: map[string]bool{"adx": false, "avx2": true, "avx512f": false, "rdtscp": true, "sha": false, "bmi2": true},
	}
}

func TestCPUHiddenAndMasks(t *testing.T) {
	c := hostLike()
	if got := strings.Join(c.Hidden(), ","); got != "adx,avx512f,sha" {
		t.Errorf("Hidden = %s; want adx,avx512f,sha", got)
	}
	if got := strings.Join(c.Masks(), ","); got != "rdtscp" {
		t.Errorf("Masks = %s; want rdtscp (absent on the host, advertised by valgrind)", got)
	}
}

func TestCPUCheck(t *testing.T) {
	levelless := hostLike()
	levelless.Virtual, levelless.Level, levelless.LevelError = nil, "GOAMD64=v4", "exit status 2: This program can only be run on AMD64 processors with v4 microarchitecture support."
	for _, tt := range []struct {
		name             string
		cpu              *CPU
		masked, required []string
		want             string
	}{
		{"no mask, no requirement", hostLike(), nil, nil, ""},
		{"masking a feature valgrind shows", hostLike(), []string{"avx2"}, nil, ""},
		{"masking a feature valgrind already hides", hostLike(), []string{"adx"}, nil,
			"valgrind's virtual CPU already hides ADX from Go (valgrind 3.19.0): GODEBUG cpu.adx=off would count the same code as the cell without it"},
		{"masking a feature neither has", hostLike(), []string{"rdtscp"}, nil, ""},
		{"masking a feature the runtime does not know", hostLike(), []string{"vaes"}, nil,
			"the instructions tier cannot tell whether valgrind's virtual CPU has VAES: go1.26.8's runtime does not detect it"},
		{"requiring a feature valgrind shows", hostLike(), nil, []string{"bmi2"}, ""},
		{"requiring a feature valgrind hides", hostLike(), nil, []string{"sha"},
			"valgrind's virtual CPU lacks SHA (valgrind 3.19.0), which the cell requires"},
		{"a level the virtual CPU does not run", levelless, nil, nil,
			"valgrind's virtual CPU does not run GOAMD64=v4 code (exit status 2: This program can only be run on AMD64 processors with v4 microarchitecture support.), so the instructions tier cannot count it"},
	} {
		if got := tt.cpu.Check(tt.masked, tt.required); got != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, tt.want)
		}
	}
}

func TestLevelSetting(t *testing.T) {
	for _, tt := range [][4]string{
		{"amd64", "v3", "", "GOAMD64=v3"},
		{"amd64", "", "", ""},
		{"arm64", "", "v8.2", "GOARM64=v8.2"},
		{"arm64", "v3", "", ""},
	} {
		if got := LevelSetting(tt[0], tt[1], tt[2]); got != tt[3] {
			t.Errorf("LevelSetting(%q, %q, %q) = %q; want %q", tt[0], tt[1], tt[2], got, tt[3])
		}
	}
}

// TestProbe builds the probe with the local toolchain and runs it natively
// and under valgrind on this host.
func TestProbe(t *testing.T) {
	v := valgrind(t)
	if testing.Short() {
		t.Skip("builds and runs the CPU probe under valgrind; skipped with -short")
	}
	ctx := context.Background()
	tc, err := (&toolchain.Resolver{}).Resolve(ctx, "local")
	if err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	p := &Prober{Valgrind: v, CacheDir: cache}
	c, err := p.Probe(ctx, tc, "")
	if err != nil {
		t.Fatal(err)
	}
	if c.Go != tc.Version || c.Valgrind != v.Version || len(c.Native) < 5 || len(c.Virtual) != len(c.Native) {
		t.Fatalf("probe: %+v", c)
	}
	// What the probe sees natively is what the host has.
	h := host.DetectCPU()
	if tc.GOARCH == "amd64" {
		for goName, cpuid := range map[string]string{"adx": "ADX", "avx2": "AVX2", "avx512f": "AVX512F", "sse42": "SSE42"} {
			if c.Native[goName] != h.Has(cpuid) {
				t.Errorf("native %s = %v; the host fingerprint says %v", goName, c.Native[goName], h.Has(cpuid))
			}
		}
		// Valgrind emulates no AVX-512, whatever the host.
		if c.Virtual["avx512f"] {
			t.Error("AVX-512 seen under valgrind")
		}
	}
	// A second probe of the same toolchain is answered from memory, and
	// a new Prober finds the binary in the cache.
	if again, _ := p.Probe(ctx, tc, ""); again != c {
		t.Error("the same probe ran twice")
	}
	bins, _ := filepath.Glob(filepath.Join(cache, "cpuprobe", "*", "cpuprobe"))
	if len(bins) != 1 {
		t.Fatalf("cached probe binaries: %v", bins)
	}
	before, _ := os.Stat(bins[0])
	if _, err := (&Prober{Valgrind: v, CacheDir: cache}).Probe(ctx, tc, ""); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.Stat(bins[0]); !after.ModTime().Equal(before.ModTime()) {
		t.Error("the cached probe was rebuilt")
	}
	// A level the virtual CPU cannot run (valgrind has no AVX-512) is
	// refused by the runtime, and Check says so.
	if tc.GOARCH == "amd64" && h.SupportsGOAMD64("v4") {
		c4, err := p.Probe(ctx, tc, "GOAMD64=v4")
		if err != nil {
			t.Fatal(err)
		}
		if c4.Virtual != nil || !strings.Contains(c4.LevelError, "v4 microarchitecture") {
			t.Errorf("GOAMD64=v4 under valgrind: virtual %v, level error %q", c4.Virtual, c4.LevelError)
		}
		if r := c4.Check(nil, nil); !strings.Contains(r, "does not run GOAMD64=v4 code") {
			t.Errorf("Check: %q", r)
		}
	}
}
