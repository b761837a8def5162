package plan

import (
	"context"
	"strings"
	"testing"

	"github.com/perfharness/harness/harness/instr"
	"github.com/perfharness/harness/harness/toolchain"
)

// fakeProbe answers like valgrind 3.19 on a host with ADX and AVX-512 but
// no RDTSCP: ADX and AVX-512 hidden, RDTSCP advertised; GOAMD64=v4 code
// does not start.
func fakeProbe(calls *[]string) func(context.Context, *toolchain.Toolchain, string) (*instr.CPU, error) {
	return func(_ context.Context, tc *toolchain.Toolchain, level string) (*instr.CPU, error) {
		*calls = append(*calls, tc.Name+" "+level)
		c := &instr.CPU{Go: tc.Version, Level: level, Valgrind: "3.19.0",
			Native:  map[string]bool{"adx": true, "avx2": true, "avx512f": true, "rdtscp": false, "bmi2": true, "aes": true},
			Virtual: map[string]bool{"adx": false, "avx2": true, "avx512f": false, "rdtscp": true, "bmi2": true, "aes": true},
		}
		if level == "GOAMD64=v4" {
			c.Virtual, c.LevelError = nil, "exit status 2: This program can only be run on AMD64 processors with v4 microarchitecture support."
		}
		return c, nil
	}
}

func TestInstructionsCells(t *testing.T) {
	needToolchains(t)
	s := load(t, `
toolchains: [local]
matrix:
  godebug: ["", cpu.adx=off, cpu.aes=off]
  goamd64: [v3, v4]
  gomaxprocs: [1, 2]
workloads:
  - {name: rsa, kind: gotest, package: ./pkg, measure: [time, instructions]}
  - {name: sha, kind: gotest, package: ./pkg, measure: instructions, requires: [AVX512F], matrix: {godebug: [""], goamd64: [v3], gomaxprocs: [1]}}
`)
	h := fakeHost()
	h.Features = append(h.Features, "ADX", "AVX512F", "AVX512BW", "AVX512CD", "AVX512DQ", "AVX512VL")
	h.GOAMD64 = "v4"
	var calls []string
	p, err := Make(context.Background(), s, h, Options{Resolver: resolver, FindLibrary: noLibraries,
		Valgrind: &instr.Valgrind{Path: "/usr/bin/valgrind", Version: "3.19.0"}, ProbeCPU: fakeProbe(&calls)})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, c := range p.Cells {
		got[c.ID] = string(c.Status) + ": " + c.Reason
		if c.Instructions() && c.Status == Planned {
			env := strings.Join(c.RunEnv, " ")
			if !strings.Contains(env, "GOMAXPROCS=1") || !strings.Contains(env, "GODEBUG=asyncpreemptoff=1,gcstoptheworld=1,madvdontneed=0,cpu.rdtscp=off") {
				t.Errorf("%s: counted environment %s", c.ID, env)
			}
			if c.VirtualCPU == nil || c.VirtualCPU.Level != "GOAMD64="+c.GOAMD64 {
				t.Errorf("%s: virtual CPU %+v", c.ID, c.VirtualCPU)
			}
		}
	}
	for id, want := range map[string]string{
		"rsa/local/goamd64=v3/gomaxprocs=1/measure=instructions":                     "planned: ",
		"rsa/local/goamd64=v3/gomaxprocs=1":                                          "planned: ",
		"rsa/local/goamd64=v3/godebug=cpu.adx=off/gomaxprocs=1":                      "planned: ",
		"rsa/local/goamd64=v3/godebug=cpu.aes=off/gomaxprocs=1/measure=instructions": "planned: ",
		"rsa/local/goamd64=v3/godebug=cpu.adx=off/gomaxprocs=1/measure=instructions": "skipped: valgrind's virtual CPU already hides ADX from Go (valgrind 3.19.0): GODEBUG cpu.adx=off would count the same code as the cell without it",
		"rsa/local/goamd64=v3/gomaxprocs=2/measure=instructions":                     "skipped: instructions are counted at GOMAXPROCS=1 (valgrind runs one thread at a time): the gomaxprocs=2 cell would count what gomaxprocs=1 counts",
		"rsa/local/goamd64=v4/gomaxprocs=1/measure=instructions":                     "skipped: valgrind's virtual CPU does not run GOAMD64=v4 code (exit status 2: This program can only be run on AMD64 processors with v4 microarchitecture support.), so the instructions tier cannot count it",
		"sha/local/goamd64=v3/gomaxprocs=1/measure=instructions":                     "skipped: valgrind's virtual CPU lacks AVX512F (valgrind 3.19.0), which the cell requires",
	} {
		if got[id] != want {
			t.Errorf("%s:\n got %q\nwant %q", id, got[id], want)
		}
	}
	// The probes asked for are the cells' toolchains and levels (the
	// Prober answers each once).
	asked := map[string]bool{}
	for _, c := range calls {
		asked[c] = true
	}
	if len(asked) != 2 || !asked["local GOAMD64=v3"] || !asked["local GOAMD64=v4"] {
		t.Errorf("probes %q", calls)
	}
	if p.Host.Valgrind != "3.19.0" || p.Valgrind == nil {
		t.Errorf("host fingerprint valgrind %q", p.Host.Valgrind)
	}
}

func TestInstructionsWithoutValgrind(t *testing.T) {
	needToolchains(t)
	s := load(t, `
toolchains: [local]
workloads:
  - {name: rsa, kind: gotest, package: ./pkg, measure: [time, instructions]}
`)
	p, err := Make(context.Background(), s, fakeHost(), Options{Resolver: resolver, FindLibrary: noLibraries,
		InstrErr: instr.ErrNotInstalled})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range p.Cells {
		switch {
		case !c.Instructions() && c.Status != Planned:
			t.Errorf("%s: %s %s; the time cell does not need valgrind", c.ID, c.Status, c.Reason)
		case c.Instructions() && (c.Status != Skipped || c.Reason != "instructions tier: valgrind is not installed: scripts/install-deps installs it (apt-get install valgrind)"):
			t.Errorf("%s: %s %q", c.ID, c.Status, c.Reason)
		}
	}
	if p.Host.Valgrind != "" {
		t.Errorf("valgrind %q recorded without valgrind", p.Host.Valgrind)
	}
}
