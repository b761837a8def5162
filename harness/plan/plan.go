// Package plan turns a spec into the cells this host will build and run: it
// resolves the toolchains, asks each which experiments a cell's GOEXPERIMENT
// turns on, and marks every cell planned or skipped with a reason — a CPU
// feature the host lacks, a GOAMD64 level above the host's, an LD_PRELOAD
// library that is not installed, an op that needs an experiment the cell does
// not have. Nothing is built or run here.
//
// plan sits between spec/host/toolchain (below) and build/run/cli (above);
// it marks cells in the status vocabulary of results (below), and asks
// instr (below) what valgrind's virtual CPU can represent.
package plan

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/perfharness/harness/harness/host"
	"github.com/perfharness/harness/harness/instr"
	"github.com/perfharness/harness/harness/results"
	"github.com/perfharness/harness/harness/spec"
	"github.com/perfharness/harness/harness/toolchain"
)

// Cell statuses at plan time, in the results vocabulary the manifest
// records.
const (
	Planned = results.StatusPlanned
	Skipped = results.StatusSkipped
)

// A Plan is a spec expanded into cells, each checked against this host and
// its toolchain.
type Plan struct {
	Spec       *spec.Spec
	Host       host.Fingerprint
	Toolchains []*toolchain.Toolchain // in spec order
	Cells      []*Cell
	Builds     []*Build // distinct build configurations of planned cells
	// Dimensions are the matrix dimensions that vary or are set: the
	// configuration keys of bench.txt.
	Dimensions []spec.Dimension
	Warnings   []string
	// Valgrind is the valgrind instructions cells are counted with; nil
	// when the spec has none or valgrind is not installed.
	Valgrind *instr.Valgrind

	instr *instrTier
}

// A Cell is a spec cell with what the plan decided about it.
type Cell struct {
	spec.Cell
	TC          *toolchain.Toolchain
	Status      results.Status // Planned or Skipped
	Reason      string         // why it is skipped
	Experiments []string
	Requires    []string // CPU features the cell needs (workload, op, GODEBUG masks)
	Build       *Build   // nil for skipped cells
	RunEnv      []string // the environment the workload process gets
	// Config is the cell's bench.txt configuration: key/value lines
	// that lead its results so benchstat can project on them.
	Config []spec.KV
	// VirtualCPU is what Go's runtime sees on valgrind's virtual CPU and
	// natively, for an instructions cell (instr.go); nil otherwise.
	VirtualCPU *instr.CPU
}

// A Build is one distinct build configuration: one binary serves every cell
// that shares it (cells that differ only in run-time settings).
type Build struct {
	Key       string // readable, unique in the plan, e.g. "alloc@go1.27.3+arenas"
	Workload  *spec.Workload
	Package   string // absolute package folder
	Kind      string
	TC        *toolchain.Toolchain
	GOEXP     string
	GCFlags   string
	LDFlags   string
	Tags      string
	GOAMD64   string
	GOARM64   string
	PGO       string
	Env       []string // complete build environment
	Flags     []string // go build/test flags, one argv element each
	CellCount int
}

// Options adjusts planning.
type Options struct {
	// Resolver resolves toolchains; a default one when nil.
	Resolver *toolchain.Resolver
	// Env is the caller's environment, the source of PATH, HOME and the
	// library search path; os.Environ() when nil.
	Env []string
	// FindLibrary looks up an LD_PRELOAD entry; FindLibrary when nil.
	FindLibrary func(name string, env []string) (string, error)
	// AllowedCPUs lists the CPUs processes may be pinned to (ok false:
	// unknown, not checked); host.AllowedCPUs when nil.
	AllowedCPUs func() (cpus []int, ok bool)
	// Valgrind counts the instructions cells; when it and InstrErr are
	// nil, the plan looks valgrind up on Env's PATH. InstrErr says why the
	// instructions tier is unavailable: its cells are skipped with it.
	Valgrind *instr.Valgrind
	InstrErr error
	// ProbeCPU says what Go's runtime sees on valgrind's virtual CPU; an
	// instr.Prober (probes cached in the user cache folder) when nil.
	ProbeCPU func(ctx context.Context, tc *toolchain.Toolchain, level string) (*instr.CPU, error)
}

// Make plans s on host h. Errors that make the plan meaningless (an unknown
// toolchain, a GOEXPERIMENT a toolchain lacks without skip_unsupported, a
// missing package) come back together as a spec.ErrorList.
func Make(ctx context.Context, s *spec.Spec, h host.Fingerprint, opts Options) (*Plan, error) {
	if opts.Resolver == nil {
		opts.Resolver = &toolchain.Resolver{}
	}
	if opts.Env == nil {
		opts.Env = os.Environ()
	}
	if opts.FindLibrary == nil {
		opts.FindLibrary = FindLibrary
	}
	if opts.AllowedCPUs == nil {
		opts.AllowedCPUs = host.AllowedCPUs
	}
	p := &Plan{Spec: s, Host: h}
	errs := checkCPULists(s, opts.AllowedCPUs)

	// Resolve every toolchain concurrently: a first use downloads one.
	tcs := make([]*toolchain.Toolchain, len(s.Toolchains))
	tcErrs := make([]error, len(s.Toolchains))
	var wg sync.WaitGroup
	for i, name := range s.Toolchains {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tcs[i], tcErrs[i] = opts.Resolver.Resolve(ctx, name)
		}()
	}
	wg.Wait()
	byName := map[string]*toolchain.Toolchain{}
	for i, err := range tcErrs {
		if err != nil {
			errs = append(errs, s.Errorf(fmt.Sprintf("toolchains[%d]", i), "%v", err))
			continue
		}
		byName[s.Toolchains[i]] = tcs[i]
		p.Toolchains = append(p.Toolchains, tcs[i])
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	for i := range s.Workloads {
		w := &s.Workloads[i]
		if dir := packageDir(s, w); dir != "" {
			if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
				errs = append(errs, s.Errorf(fmt.Sprintf("workloads[%d].package", i), "package folder %s does not exist", dir))
			}
		}
	}
	if len(errs) > 0 {
		errs.Sort()
		return nil, errs
	}

	specCells := s.Cells()
	p.Warnings = append(p.Warnings, s.Warnings...)
	p.Dimensions = spec.UsedDimensions(specCells)
	versions := toolchainLabels(s.Toolchains, byName)
	reported := map[string]bool{}
	warned := map[string]bool{}
	builds := map[string]*Build{}
	for _, sc := range specCells {
		c := &Cell{Cell: sc, TC: byName[sc.Toolchain], Status: Planned}
		p.Cells = append(p.Cells, c)
		err := p.checkCPUOptions(c, warned)
		if err == nil {
			err = p.check(ctx, c, opts)
		}
		if err == nil && c.Instructions() {
			err = p.checkInstructions(ctx, c, opts)
		}
		if err != nil {
			var ce *cpuOptionError
			if errors.As(err, &ce) && (!ce.levelOnly || !s.SkipUnsupported) {
				hint := ""
				if ce.levelOnly {
					hint = " (pair this value with a lower goamd64, exclude the combination, or set skip_unsupported: true to skip such cells)"
				}
				e := s.Errorf(valuePath(s, sc.Workload, spec.DimGODEBUG, sc.GODEBUG), "%v%s", err, hint)
				if key := e.Error(); !reported[key] {
					reported[key] = true
					errs = append(errs, e)
				}
				continue
			}
			var ue *toolchain.UnknownExperimentError
			if errors.As(err, &ue) && !s.SkipUnsupported {
				key := sc.Toolchain + "\x00" + sc.GOEXPERIMENT
				if !reported[key] {
					reported[key] = true
					errs = append(errs, s.Errorf(valuePath(s, sc.Workload, spec.DimGOEXPERIMENT, sc.GOEXPERIMENT), "%v (set skip_unsupported: true to skip such cells instead)", err))
				}
				continue
			}
			if errors.As(err, &ue) || errors.As(err, &ce) || errors.Is(err, errSkip) {
				c.Status, c.Reason = Skipped, strings.TrimPrefix(err.Error(), errSkip.Error()+": ")
			} else {
				errs = append(errs, s.Errorf(valuePath(s, sc.Workload, "", ""), "%s: %v", sc.ID, err))
				continue
			}
		}
		c.Config = config(c, p.Dimensions, versions)
		if c.Status != Planned {
			continue
		}
		c.RunEnv = runEnv(c, opts)
		if c.VirtualCPU != nil {
			c.RunEnv = instr.Env(c.RunEnv, c.VirtualCPU.Masks())
		}
		b := newBuild(s, c, opts.Env)
		if prev, ok := builds[b.Key]; ok {
			b = prev
		} else {
			builds[b.Key] = b
			p.Builds = append(p.Builds, b)
		}
		b.CellCount++
		c.Build = b
	}
	if len(errs) > 0 {
		errs.Sort()
		return nil, errs
	}
	return p, nil
}

// errSkip marks errors that skip a cell rather than fail the plan.
var errSkip = errors.New("skip")

func skipf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errSkip}, args...)...)
}

// check decides whether the host and toolchain can run the cell.
func (p *Plan) check(ctx context.Context, c *Cell, opts Options) error {
	h := p.Host
	tc := c.TC
	on, err := tc.Effective(ctx, c.GOEXPERIMENT)
	if err != nil {
		return err
	}
	c.Experiments = on
	if c.OpSpec != nil {
		for _, e := range c.OpSpec.Experiments {
			want := true
			name := e
			if n, ok := strings.CutPrefix(e, "no"); ok && tc.Knows(n) && !tc.Knows(e) {
				want, name = false, n
			}
			has := slices.Contains(on, name)
			if has != want {
				state := "off"
				if has {
					state = "on"
				}
				return skipf("op %s needs GOEXPERIMENT %s, which is %s in this cell (toolchain %s)", c.Op, e, state, tc.Version)
			}
		}
	}
	if tc.GOOS != h.OS || tc.GOARCH != h.Arch {
		return skipf("toolchain %s targets %s/%s, host is %s/%s", tc.Name, tc.GOOS, tc.GOARCH, h.OS, h.Arch)
	}
	c.Requires = requirements(c)
	var missing []string
	for _, f := range c.Requires {
		if !h.Has(f) {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		return skipf("host CPU lacks %s", strings.Join(missing, ", "))
	}
	if c.GOAMD64 != "" {
		if h.Arch != "amd64" {
			return skipf("GOAMD64=%s applies to amd64; host is %s", c.GOAMD64, h.Arch)
		}
		if !h.SupportsGOAMD64(c.GOAMD64) {
			return skipf("GOAMD64=%s is above what the host CPU supports (%s)", c.GOAMD64, h.GOAMD64)
		}
	}
	if c.GOARM64 != "" {
		if h.Arch != "arm64" {
			return skipf("GOARM64=%s applies to arm64; host is %s", c.GOARM64, h.Arch)
		}
		if !h.SupportsGOARM64(c.GOARM64) {
			return skipf("GOARM64=%s is above what the host CPU supports (%s)", c.GOARM64, h.GOARM64)
		}
	}
	if c.Env != nil {
		for _, kv := range c.Env.Vars {
			if kv.Key != "LD_PRELOAD" {
				continue
			}
			for _, lib := range strings.FieldsFunc(kv.Value, func(r rune) bool { return r == ' ' || r == ':' }) {
				if _, err := opts.FindLibrary(lib, opts.Env); err != nil {
					return skipf("%v", err)
				}
			}
		}
	}
	if c.PGO != "" && c.PGO != "off" && c.PGO != "auto" {
		path := c.PGO
		if !filepath.IsAbs(path) {
			path = filepath.Join(p.Spec.Dir, path)
		}
		if _, err := os.Stat(path); err != nil {
			return skipf("PGO profile %s not found", path)
		}
	}
	return nil
}

// requirements lists the CPU features a cell needs: those its workload and op
// require, and those its GODEBUG masks (turning off a feature the host does
// not have measures nothing).
func requirements(c *Cell) []string {
	var req []string
	add := func(f string) {
		if canon, ok := host.CanonicalFeature(f); ok && !slices.Contains(req, canon) {
			req = append(req, canon)
		}
	}
	for _, f := range c.Workload.Requires {
		add(f)
	}
	if c.OpSpec != nil {
		for _, f := range c.OpSpec.Requires {
			add(f)
		}
	}
	for _, f := range MaskedFeatures(c.GODEBUG, c.TC.GOARCH) {
		add(f)
	}
	return req
}

// goCPUOptions maps the names Go's internal/cpu accepts in GODEBUG=cpu.X=off
// to cpuid's feature names.
var goCPUOptions = map[string]map[string]string{
	"amd64": {
		"adx": "ADX", "aes": "AESNI", "avx": "AVX", "avx2": "AVX2", "avx512": "AVX512F",
		"avx512f": "AVX512F", "avx512bw": "AVX512BW", "avx512vl": "AVX512VL", "avx512cd": "AVX512CD",
		"avx512dq": "AVX512DQ", "avx512vbmi": "AVX512VBMI", "avx512vbmi2": "AVX512VBMI2",
		"avx512vnni": "AVX512VNNI", "avx512bitalg": "AVX512BITALG", "avx512vpopcntdq": "AVX512VPOPCNTDQ",
		"avx512ifma": "AVX512IFMA", "bmi1": "BMI1", "bmi2": "BMI2", "erms": "ERMS", "fsrm": "FSRM",
		"fma": "FMA3", "gfni": "GFNI", "pclmulqdq": "CLMUL", "popcnt": "POPCNT", "rdtscp": "RDTSCP",
		"sha": "SHA", "sse3": "SSE3", "sse41": "SSE4", "sse42": "SSE42", "ssse3": "SSSE3",
		"vaes": "VAES", "vpclmulqdq": "VPCLMULQDQ", "avxvnni": "AVXVNNI", "sha512": "SHA512",
	},
	"arm64": {
		"aes": "AESARM", "pmull": "PMULL", "sha1": "SHA1", "sha2": "SHA2", "sha3": "SHA3",
		"sha512": "SHA512", "crc32": "CRC32", "atomics": "ATOMICS", "asimd": "ASIMD",
		"asimdhp": "ASIMDHP", "asimdrdm": "ASIMDRDM", "fp": "FP", "fphp": "FPHP", "sm3": "SM3",
		"sm4": "SM4", "sve": "SVE", "dit": "DIT", "jscvt": "JSCVT", "lrcpc": "LRCPC", "dcpop": "DCPOP",
	},
}

// MaskedFeatures returns the cpuid feature names a GODEBUG value turns off
// with cpu.X=off on goarch.
func MaskedFeatures(godebug, goarch string) []string {
	var out []string
	for _, kv := range strings.Split(godebug, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
		name, ok := strings.CutPrefix(k, "cpu.")
		if !ok || v != "off" {
			continue
		}
		if f, ok := goCPUOptions[goarch][name]; ok {
			out = append(out, f)
		} else if f, ok := host.CanonicalFeature(name); ok {
			out = append(out, f)
		}
	}
	return out
}

// packageDir is the absolute folder of a workload's package, or "" when the
// spec has no folder (parsed from memory).
func packageDir(s *spec.Spec, w *spec.Workload) string {
	if filepath.IsAbs(w.Package) {
		return filepath.Clean(w.Package)
	}
	if s.Dir == "" {
		return ""
	}
	return filepath.Join(s.Dir, w.Package)
}

// valuePath finds where in the spec a dimension value was written: the
// workload's own matrix if it overrides the dimension, else the global one.
func valuePath(s *spec.Spec, w *spec.Workload, dim spec.Dimension, value string) string {
	wi := 0
	for i := range s.Workloads {
		if &s.Workloads[i] == w {
			wi = i
		}
	}
	if dim == "" {
		return fmt.Sprintf("workloads[%d]", wi)
	}
	for _, prefix := range []string{fmt.Sprintf("workloads[%d].matrix", wi), "matrix"} {
		for i := 0; ; i++ {
			path := fmt.Sprintf("%s.%s[%d]", prefix, dim, i)
			if s.PosOf(path) == (spec.Pos{}) {
				break
			}
			var m *spec.Matrix
			if prefix == "matrix" {
				m = &s.Matrix
			} else {
				m = w.Matrix
			}
			if vals := stringValues(m, dim); i < len(vals) && vals[i] == value {
				return path
			}
		}
	}
	return fmt.Sprintf("workloads[%d]", wi)
}

// stringValues returns the values of a string dimension of m that errors
// point at.
func stringValues(m *spec.Matrix, dim spec.Dimension) []string {
	switch {
	case m == nil:
		return nil
	case dim == spec.DimGOEXPERIMENT:
		return m.GOEXPERIMENT
	case dim == spec.DimGODEBUG:
		return m.GODEBUG
	}
	return nil
}

// toolchainLabels picks each toolchain's bench.txt label: its Go version,
// unless two spec entries resolve to the same version, in which case the
// names as written keep them apart.
func toolchainLabels(names []string, byName map[string]*toolchain.Toolchain) map[string]string {
	count := map[string]int{}
	for _, n := range names {
		if tc := byName[n]; tc != nil {
			count[tc.Version]++
		}
	}
	labels := map[string]string{}
	for _, n := range names {
		tc := byName[n]
		if tc == nil {
			continue
		}
		labels[n] = tc.Version
		if count[tc.Version] > 1 {
			labels[n] = n
		}
	}
	return labels
}

// config returns the cell's bench.txt configuration lines: every dimension
// the plan uses, "default" standing for an empty value so that benchstat
// columns are never blank.
func config(c *Cell, dims []spec.Dimension, toolchains map[string]string) []spec.KV {
	kv := []spec.KV{{Key: "workload", Value: c.Workload.Name}}
	for _, d := range dims {
		v := c.Value(d)
		switch {
		case d == spec.DimToolchain:
			v = toolchains[c.Toolchain]
		case d == spec.DimRate && c.Workload.Kind == spec.KindGoTest:
			continue
		case d == spec.DimMeasure && v == "":
			v = spec.MeasureTime
		case v == "":
			v = "default"
		}
		kv = append(kv, spec.KV{Key: string(d), Value: v})
	}
	return kv
}

// runEnv is the complete environment of the workload process: a minimal base
// and the cell's run-time settings. Nothing else from the caller's shell
// leaks in (a stray GODEBUG or GOGC would silently change every result).
func runEnv(c *Cell, opts Options) []string {
	env := []string{}
	for _, k := range baseEnvKeys() {
		if v := toolchain.Getenv(opts.Env, k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	if c.GODEBUG != "" {
		env = append(env, "GODEBUG="+c.GODEBUG)
	}
	if c.GOGC != "" {
		env = append(env, "GOGC="+c.GOGC)
	}
	if c.GOMEMLIMIT != "" {
		env = append(env, "GOMEMLIMIT="+c.GOMEMLIMIT)
	}
	if c.GOMAXPROCS != 0 {
		env = append(env, "GOMAXPROCS="+strconv.Itoa(c.GOMAXPROCS))
	}
	if c.Env != nil {
		for _, kv := range c.Env.Vars {
			env = append(env, kv.Key+"="+kv.Value)
		}
	}
	return env
}

func newBuild(s *spec.Spec, c *Cell, base []string) *Build {
	b := &Build{
		Workload: c.Workload, Package: packageDir(s, c.Workload), Kind: c.Workload.Kind, TC: c.TC,
		GOEXP: c.GOEXPERIMENT, GCFlags: c.GCFlags, LDFlags: c.LDFlags, Tags: c.Tags,
		GOAMD64: c.GOAMD64, GOARM64: c.GOARM64, PGO: c.PGO,
	}
	parts := []string{c.Workload.Name + "@" + c.Toolchain}
	for _, kv := range []struct{ k, v string }{
		{"", c.GOEXPERIMENT}, {"gcflags=", c.GCFlags}, {"ldflags=", c.LDFlags}, {"tags=", c.Tags}, {"cgo=", c.CGO},
		{"goamd64=", c.GOAMD64}, {"goarm64=", c.GOARM64}, {"pgo=", c.PGO},
	} {
		if kv.v != "" {
			parts = append(parts, kv.k+kv.v)
		}
	}
	b.Key = strings.Join(parts, "+")
	set := []string{"GOEXPERIMENT=" + c.GOEXPERIMENT}
	switch c.CGO {
	case "on":
		set = append(set, "CGO_ENABLED=1")
	case "off":
		set = append(set, "CGO_ENABLED=0")
	}
	if c.TC.GOARCH == "amd64" {
		set = append(set, "GOAMD64="+cmp.Or(c.GOAMD64, "v1"))
	}
	if c.TC.GOARCH == "arm64" && c.GOARM64 != "" {
		set = append(set, "GOARM64="+c.GOARM64)
	}
	b.Env = c.TC.BuildEnv(base, set...)
	b.Flags = []string{"-buildvcs=false"}
	if c.GCFlags != "" {
		b.Flags = append(b.Flags, "-gcflags=all="+c.GCFlags)
	}
	if c.LDFlags != "" {
		b.Flags = append(b.Flags, "-ldflags="+c.LDFlags)
	}
	if c.Tags != "" {
		b.Flags = append(b.Flags, "-tags="+c.Tags)
	}
	switch c.PGO {
	case "", "off":
		b.Flags = append(b.Flags, "-pgo=off")
	case "auto":
		// build collects a profile in a first pass and adds -pgo=<file>.
	default:
		path := c.PGO
		if !filepath.IsAbs(path) {
			path = filepath.Join(s.Dir, path)
		}
		b.Flags = append(b.Flags, "-pgo="+path)
	}
	return b
}

// FindLibrary finds a shared library the way the dynamic loader would for
// LD_PRELOAD: a name with a slash is a path; a bare name is looked up in
// LD_LIBRARY_PATH, the loader cache and the default folders. A miss names the
// package that provides well-known allocators.
func FindLibrary(name string, env []string) (string, error) {
	if strings.Contains(name, "/") {
		if _, err := os.Stat(name); err != nil {
			return "", fmt.Errorf("LD_PRELOAD library %s not found%s", name, installHint(filepath.Base(name)))
		}
		return name, nil
	}
	var dirs []string
	if v := toolchain.Getenv(env, "LD_LIBRARY_PATH"); v != "" {
		dirs = append(dirs, filepath.SplitList(v)...)
	}
	dirs = append(dirs, ldCacheDirs()...)
	dirs = append(dirs, "/lib", "/usr/lib", "/lib64", "/usr/lib64", "/usr/local/lib",
		"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu")
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("LD_PRELOAD library %s is not installed%s", name, installHint(name))
}

// ldCacheDirs lists the folders named in /etc/ld.so.conf and its includes.
func ldCacheDirs() []string {
	var dirs []string
	seen := map[string]bool{}
	var read func(file string, depth int)
	read = func(file string, depth int) {
		if depth > 4 {
			return
		}
		data, err := os.ReadFile(file)
		if err != nil {
			return
		}
		for _, line := range strings.Split(string(data), "\n") {
			line = strings.TrimSpace(line)
			if i := strings.IndexByte(line, '#'); i >= 0 {
				line = strings.TrimSpace(line[:i])
			}
			if pat, ok := strings.CutPrefix(line, "include "); ok {
				matches, _ := filepath.Glob(strings.TrimSpace(pat))
				sort.Strings(matches)
				for _, m := range matches {
					read(m, depth+1)
				}
			} else if line != "" && !seen[line] {
				seen[line] = true
				dirs = append(dirs, line)
			}
		}
	}
	read("/etc/ld.so.conf", 0)
	return dirs
}

// allocatorPackages names the Debian packages of well-known allocators.
var allocatorPackages = []struct{ prefix, pkg string }{
	{"libtcmalloc_minimal", "libtcmalloc-minimal4"},
	{"libtcmalloc", "libgoogle-perftools4"},
	{"libjemalloc", "libjemalloc2"},
	{"libmimalloc", "libmimalloc2.0"},
}

func installHint(lib string) string {
	for _, a := range allocatorPackages {
		if strings.HasPrefix(lib, a.prefix) {
			return fmt.Sprintf(" (install it: apt-get install %s, or scripts/install-allocators)", a.pkg)
		}
	}
	return ""
}
