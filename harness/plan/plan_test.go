package plan

import (
	"context"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/perfharness/harness/harness/host"
	"github.com/perfharness/harness/harness/results"
	"github.com/perfharness/harness/harness/spec"
	"github.com/perfharness/harness/harness/toolchain"
)

// resolver is shared by the tests so each toolchain is resolved once.
var resolver = &toolchain.Resolver{}

// fakeHost is an amd64 host at GOAMD64=v3 without ADX or AVX-512, so skips
// are deterministic whatever machine runs the tests.
func fakeHost() host.Fingerprint {
	return host.Fingerprint{
		CPU: host.CPU{Arch: "amd64", Brand: "Test CPU", LogicalCores: 4, GOAMD64: "v3",
			Features: []string{"AESNI", "AVX", "AVX2", "BMI1", "BMI2", "SHA", "SSE4"}},
		OS: "linux",
	}
}

// load writes a spec and its package folder into a temporary folder.
func load(t *testing.T, text string) *spec.Spec {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "pkg"), 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "bench.yaml")
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := spec.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func needToolchains(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("resolves real toolchains (go1.27.3 may be downloaded); skipped with -short")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command on PATH")
	}
}

func noLibraries(name string, env []string) (string, error) {
	return "", errors.New("LD_PRELOAD library " + name + " is not installed")
}

func makePlan(t *testing.T, s *spec.Spec, h host.Fingerprint) (*Plan, error) {
	t.Helper()
	return Make(context.Background(), s, h, Options{Resolver: resolver, FindLibrary: noLibraries})
}

func TestToolchainsAndExperiments(t *testing.T) {
	needToolchains(t)
	s := load(t, `
toolchains: [local, go1.27.3]
matrix:
  goexperiment: ["", arenas]
workloads:
  - {name: w, kind: fixed-rate, package: ./pkg, ops: [op], rate: 1/s}
`)
	p, err := makePlan(t, s, host.Detect())
	if err != nil {
		t.Fatal(err)
	}
	local, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		t.Fatal(err)
	}
	tcs := map[string]*toolchain.Toolchain{}
	for _, tc := range p.Toolchains {
		tcs[tc.Name] = tc
	}
	if got := tcs["local"].Version; got != strings.TrimSpace(string(local)) {
		t.Errorf("local resolved to %s, want %s", got, local)
	}
	if got := tcs["go1.27.3"].Version; got != "go1.27.3" {
		t.Errorf("go1.27.3 resolved to %s", got)
	}
	if !slices.Contains(tcs["go1.27.3"].Defaults, "jsonv2") {
		t.Errorf("go1.27.3 default experiments %v lack jsonv2", tcs["go1.27.3"].Defaults)
	}
	if strings.HasPrefix(tcs["local"].Version, "go1.26") && slices.Contains(tcs["local"].Defaults, "jsonv2") {
		t.Errorf("go1.26 default experiments %v include jsonv2", tcs["local"].Defaults)
	}
	for _, c := range p.Cells {
		if c.Status != Planned {
			t.Errorf("%s: %s (%s), want planned", c.ID, c.Status, c.Reason)
		}
		if c.GOEXPERIMENT == "arenas" && !slices.Contains(c.Experiments, "arenas") {
			t.Errorf("%s: experiments %v lack arenas", c.ID, c.Experiments)
		}
	}
	if len(p.Builds) != 4 {
		t.Errorf("%d builds, want 4 (2 toolchains x 2 experiments)", len(p.Builds))
	}
}

func TestUnknownExperiment(t *testing.T) {
	needToolchains(t)
	text := `
toolchains: [local, go1.27.3]
matrix:
  goexperiment: ["", bignum]
workloads:
  - {name: w, kind: fixed-rate, package: ./pkg, ops: [op], rate: 1/s}
`
	_, err := makePlan(t, load(t, text), host.Detect())
	if err == nil {
		t.Fatal("plan with GOEXPERIMENT=bignum succeeded")
	}
	msg := err.Error()
	for _, want := range []string{"bench.yaml:4:22: matrix.goexperiment[1]", `toolchain local`, `toolchain go1.27.3 does not know GOEXPERIMENT "bignum"`, "it knows: ", "arenas", "skip_unsupported"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if n := strings.Count(msg, "\n") + 1; n != 2 {
		t.Errorf("%d error lines, want one per toolchain:\n%s", n, msg)
	}

	p, err := makePlan(t, load(t, "skip_unsupported: true\n"+text), host.Detect())
	if err != nil {
		t.Fatal(err)
	}
	skipped := 0
	for _, c := range p.Cells {
		if c.GOEXPERIMENT == "bignum" {
			skipped++
			if c.Status != Skipped || !strings.Contains(c.Reason, `"bignum"`) {
				t.Errorf("%s: %s %q, want skipped naming bignum", c.ID, c.Status, c.Reason)
			}
		}
	}
	if skipped != 2 {
		t.Errorf("%d bignum cells, want 2", skipped)
	}
}

func TestSkips(t *testing.T) {
	needToolchains(t)
	s := load(t, `
toolchains: [local]
matrix:
  goamd64: [v1, v4]
  godebug: ["", cpu.adx=off, cpu.sha=off]
  env:
    glibc: {}
    tcmalloc: {LD_PRELOAD: libtcmalloc_minimal.so.4}
workloads:
  - name: alloc
    kind: fixed-rate
    package: ./pkg
    rate: 1/s
    ops: [heap, {name: arena, experiments: [arenas]}, {name: wide, requires: [AVX512F]}]
  - {name: adx, kind: gotest, package: ./pkg, requires: [adx]}
`)
	p, err := makePlan(t, s, fakeHost())
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		id     string
		status results.Status
		reason string
		why    string
	}{
		{"alloc/heap/local/goamd64=v1/env=glibc", Planned, "", "everything available"},
		{"alloc/heap/local/goamd64=v4/env=glibc", Skipped, "GOAMD64=v4 is above what the host CPU supports (v3)", "ISA level above the host's"},
		{"alloc/heap/local/goamd64=v1/godebug=cpu.adx=off/env=glibc", Skipped, "host CPU lacks ADX", "masking a feature the host lacks measures nothing"},
		{"alloc/heap/local/goamd64=v1/godebug=cpu.sha=off/env=glibc", Planned, "", "the host has SHA to mask"},
		{"alloc/heap/local/goamd64=v1/env=tcmalloc", Skipped, "LD_PRELOAD library libtcmalloc_minimal.so.4 is not installed", "allocator missing"},
		{"alloc/arena/local/goamd64=v1/env=glibc", Skipped, "op arena needs GOEXPERIMENT arenas, which is off in this cell", "op needs an experiment"},
		{"alloc/wide/local/goamd64=v1/env=glibc", Skipped, "host CPU lacks AVX512F", "op requires a feature"},
		{"adx/local/goamd64=v1/env=glibc", Skipped, "host CPU lacks ADX", "workload requires a feature"},
	} {
		var c *Cell
		for _, x := range p.Cells {
			if x.ID == tt.id {
				c = x
			}
		}
		if c == nil {
			t.Errorf("no cell %s", tt.id)
			continue
		}
		if c.Status != tt.status || !strings.Contains(c.Reason, tt.reason) {
			t.Errorf("%s: %s %q, want %s %q (%s)", tt.id, c.Status, c.Reason, tt.status, tt.reason, tt.why)
		}
		if c.Status == Planned && (c.Build == nil || len(c.Config) == 0) {
			t.Errorf("%s: planned without build or config", tt.id)
		}
		if c.Status == Skipped && c.Build != nil {
			t.Errorf("%s: skipped cell has a build", tt.id)
		}
	}
}

func TestHermeticEnvironments(t *testing.T) {
	needToolchains(t)
	s := load(t, `
toolchains: [local]
matrix:
  gcflags: ["-l; touch /tmp/pwned"]
  godebug: [gctrace=1]
  gogc: ["50"]
  gomaxprocs: [2]
  env: {tc: {MALLOC_CONF: "a b"}}
workloads:
  - {name: w, kind: fixed-rate, package: ./pkg, ops: [op], rate: 1/s}
`)
	p, err := Make(context.Background(), s, fakeHost(), Options{Resolver: resolver,
		Env: []string{"PATH=/usr/bin:/bin", "HOME=/home/u", "GODEBUG=leaked=1", "GOFLAGS=-mod=vendor", "GOGC=1"}})
	if err != nil {
		t.Fatal(err)
	}
	c := p.Cells[0]
	wantRun := []string{"PATH=/usr/bin:/bin", "HOME=/home/u", "GODEBUG=gctrace=1", "GOGC=50", "GOMAXPROCS=2", "MALLOC_CONF=a b"}
	if strings.Join(c.RunEnv, "\n") != strings.Join(wantRun, "\n") {
		t.Errorf("run env = %q, want %q (nothing leaks from the caller)", c.RunEnv, wantRun)
	}
	env := strings.Join(c.Build.Env, "\n")
	for _, want := range []string{"GOTOOLCHAIN=local", "GOWORK=off", "GOENV=off", "GOFLAGS=", "GOEXPERIMENT=", "GOAMD64=v1"} {
		if !strings.Contains("\n"+env+"\n", "\n"+want+"\n") {
			t.Errorf("build env lacks %s:\n%s", want, env)
		}
	}
	if strings.Contains(env, "GODEBUG") || strings.Contains(env, "-mod=vendor") {
		t.Errorf("caller settings leaked into the build env:\n%s", env)
	}
	// A gcflags value is one argv element, shell metacharacters included.
	if !slices.Contains(c.Build.Flags, "-gcflags=all=-l; touch /tmp/pwned") {
		t.Errorf("build flags = %q", c.Build.Flags)
	}
}

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// TestBadPlans plans every spec under testdata/bad with the local toolchain
// on an amd64 host and compares the errors with the .golden file beside it.
// The lists a toolchain prints (its CPU options, its experiments) vary with
// its version, so they are replaced by "…" before comparing; the test checks
// separately that they are there.
func TestBadPlans(t *testing.T) {
	needToolchains(t)
	files, err := filepath.Glob("testdata/bad/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	lists := regexp.MustCompile(`(its options are|it knows): [^;\n]*`)
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".yaml"), func(t *testing.T) {
			s, err := spec.Load(file)
			if err != nil {
				t.Fatal(err)
			}
			_, err = makePlan(t, s, fakeHost())
			var list spec.ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("plan error %T, want a spec.ErrorList: %v", err, err)
			}
			for _, e := range list {
				if e.Line == 0 || e.Col == 0 {
					t.Errorf("error without a position: %v", e)
				}
				if m := lists.FindString(e.Msg); m != "" && !strings.Contains(m, ", ") {
					t.Errorf("a list of one or none: %v", e)
				}
			}
			got := lists.ReplaceAllString(err.Error(), "$1: …") + "\n"
			golden := strings.TrimSuffix(file, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("errors differ from %s (go test -update rewrites it):\n got: %s\nwant: %s", golden, got, want)
			}
		})
	}
}

// TestCPUOptionsSkipUnsupported: with skip_unsupported, a CPU option that
// the cell's GOAMD64 level requires skips the cell with the reason; a name
// the toolchain does not have at all is still an error.
func TestCPUOptionsSkipUnsupported(t *testing.T) {
	needToolchains(t)
	s := load(t, `
toolchains: [local]
skip_unsupported: true
matrix: {godebug: ["", cpu.avx2=off], goamd64: [v1, v3]}
workloads:
  - {name: w, kind: fixed-rate, package: ./pkg, ops: [op], rate: 1/s}
`)
	p, err := makePlan(t, s, fakeHost())
	if err != nil {
		t.Fatal(err)
	}
	var skipped []string
	for _, c := range p.Cells {
		if c.Status == Skipped {
			skipped = append(skipped, c.ID+": "+c.Reason)
		}
	}
	if len(skipped) != 1 || !strings.Contains(skipped[0], "godebug=cpu.avx2=off") || !strings.Contains(skipped[0], "ignores it at GOAMD64=v3 and above, which require avx2") {
		t.Errorf("skipped: %q, want the v3 cell with cpu.avx2=off", skipped)
	}
	s = load(t, strings.Replace(string(s.Source), "cpu.avx2=off", "cpu.avx2x=off", 1))
	if _, err := makePlan(t, s, fakeHost()); err == nil || !strings.Contains(err.Error(), `did you mean "avx2"?`) {
		t.Errorf("an unknown name with skip_unsupported: %v", err)
	}
}

func TestMaskedFeatures(t *testing.T) {
	for _, tt := range []struct {
		godebug, arch string
		want          string
	}{
		{"cpu.adx=off", "amd64", "ADX"},
		{"cpu.aes=off,cpu.sha=off", "amd64", "AESNI,SHA"},
		{"cpu.aes=off", "arm64", "AESARM"},
		{"cpu.avx512f=off,gctrace=1", "amd64", "AVX512F"},
		{"cpu.adx=on", "amd64", ""},
		{"", "amd64", ""},
	} {
		if got := strings.Join(MaskedFeatures(tt.godebug, tt.arch), ","); got != tt.want {
			t.Errorf("MaskedFeatures(%q, %s) = %q, want %q", tt.godebug, tt.arch, got, tt.want)
		}
	}
}

func TestFindLibrary(t *testing.T) {
	if _, err := FindLibrary("libc.so.6", os.Environ()); err != nil && fileExists("/lib/x86_64-linux-gnu/libc.so.6") {
		t.Errorf("FindLibrary(libc.so.6): %v", err)
	}
	_, err := FindLibrary("libtcmalloc_minimal.so.99", nil)
	if err == nil || !strings.Contains(err.Error(), "apt-get install libtcmalloc-minimal4") {
		t.Errorf("FindLibrary of a missing tcmalloc: %v, want an install hint", err)
	}
	dir := t.TempDir()
	lib := filepath.Join(dir, "libfake.so")
	os.WriteFile(lib, nil, 0o644)
	if got, err := FindLibrary("libfake.so", []string{"LD_LIBRARY_PATH=" + dir}); err != nil || got != lib {
		t.Errorf("FindLibrary via LD_LIBRARY_PATH = %q, %v", got, err)
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// The cgo dimension builds one binary per setting, with CGO_ENABLED set
// for it and the build key naming it; "" keeps the go command's default.
func TestCgoDimension(t *testing.T) {
	needToolchains(t)
	s := load(t, `
toolchains: [local]
matrix:
  cgo: ["", on, off]
workloads:
  - {name: w, kind: fixed-rate, package: ./pkg, ops: [op], rate: 1/s}
`)
	p, err := makePlan(t, s, fakeHost())
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Cells) != 3 || len(p.Builds) != 3 {
		t.Fatalf("%d cells, %d builds; want 3 and 3", len(p.Cells), len(p.Builds))
	}
	for _, c := range p.Cells {
		env := "\n" + strings.Join(c.Build.Env, "\n") + "\n"
		want := map[string]string{"on": "CGO_ENABLED=1", "off": "CGO_ENABLED=0"}[c.CGO]
		if want != "" && (!strings.Contains(env, "\n"+want+"\n") || !strings.Contains(c.Build.Key, "cgo="+c.CGO)) {
			t.Errorf("cgo=%s: build key %q, env lacks %s:\n%s", c.CGO, c.Build.Key, want, env)
		}
		if want != "" && !strings.Contains(c.ID, "cgo="+c.CGO) {
			t.Errorf("cgo=%s: cell id %q does not name it", c.CGO, c.ID)
		}
	}
}

// TestCPULists: a CPU list naming CPUs the harness may not use on this host
// fails the plan at its position (taskset would fail after building).
func TestCPULists(t *testing.T) {
	s := load(t, `
runs: {cpus: "0-1", server_cpus: "2,7"}
workloads:
  - {name: web, kind: http, package: ./pkg, rate: 1/s, requests: {get: {path: /}}, client: {cpus: "3-5"}}
`)
	allowed := func() ([]int, bool) { return []int{0, 1, 2, 3}, true }
	errs := checkCPULists(s, allowed)
	got := errs.Error()
	for _, want := range []string{
		`:2:34: runs.server_cpus: "2,7": CPU 7 not available to the harness on this host (it may use 0-3)`,
		`:4:99: workloads[0].client.cpus: "3-5": CPUs 4, 5 not available to the harness on this host (it may use 0-3)`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("errors lack %q:\n%s", want, got)
		}
	}
	if len(errs) != 2 {
		t.Errorf("%d errors, want 2 (runs.cpus is fine):\n%s", len(errs), got)
	}
	if errs := checkCPULists(s, func() ([]int, bool) { return nil, false }); len(errs) != 0 {
		t.Errorf("an unknown affinity is not checked: %v", errs)
	}
}

// TestShippedSpecs plans the tour and every suite under bench/ as they are
// shipped: a question or a matrix that stops planning them fails here, not
// on a user's first run.
func TestShippedSpecs(t *testing.T) {
	needToolchains(t)
	files, err := filepath.Glob(filepath.Join("..", "..", "bench", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, filepath.Join("..", "..", "bench.yaml"))
	if len(files) < 2 {
		t.Fatalf("found only %v", files)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			s, err := spec.Load(file)
			if err != nil {
				t.Fatal(err)
			}
			p, err := makePlan(t, s, host.Detect())
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Cells) == 0 {
				t.Fatal("no cells")
			}
		})
	}
}
