package spec

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/perfharness/harness/harness/host"
)

// Defaults for values a spec may leave out.
const (
	// DefaultCount is 6: benchstat's confidence interval of a median
	// needs 6 runs, and 6 a side is the fewest for which a Mann-Whitney
	// test at 0.05 survives a run lost to a stall (5+6 still reaches
	// p = 0.004).
	DefaultCount = 6
	// DefaultCITarget and DefaultMaxCount bound count: auto.
	DefaultCITarget = 0.05
	DefaultMaxCount = 20
	DefaultRetries  = 1
	MaxRetries      = 10
	// MaxCount bounds the repetitions of a cell, written in the spec or
	// given as --count: past it, a typo runs for days.
	MaxCount           = 1000
	DefaultDuration    = 10 * time.Second
	DefaultWarmup      = 1 * time.Second
	DefaultConcurrency = 4
	DefaultAlpha       = 0.05
	DefaultThreshold   = 0.05
	DefaultFDR         = 0.05
	DefaultBenchtime   = "1s"
)

// Profiles a workload can be asked to write.
var Profiles = []string{"cpu", "heap", "allocs", "mutex", "block", "trace"}

var (
	nameRE       = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	toolchainRE  = regexp.MustCompile(`^go1(\.[0-9]+){1,2}((rc|beta)[0-9]+)?$`)
	experimentRE = regexp.MustCompile(`^[a-z0-9]+$`)
	envVarRE     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	godebugRE    = regexp.MustCompile(`^[A-Za-z0-9_.]+=[^,\s]*$`)
	goarm64RE    = regexp.MustCompile(`^v(8\.[0-9]|9\.[0-5])(,(lse|crypto))*$`)
	benchtimeRE  = regexp.MustCompile(`^([0-9]+x|[0-9.]+(ns|us|µs|ms|s|m|h))$`)
	methods      = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
	kinds        = []string{KindFixedRate, KindHTTP, KindGoTest}
)

// validator accumulates errors positioned through the spec's path index.
type validator struct {
	s    *Spec
	errs ErrorList
}

// errorf records a problem at path, unless decoding already reported one
// there: a value that failed to decode has no meaningful range to check.
func (v *validator) errorf(path, format string, args ...any) {
	if v.s.failed[path] {
		return
	}
	v.errs = append(v.errs, v.s.Errorf(path, format, args...))
}

// given reports whether the spec wrote a value at path.
func (v *validator) given(path string) bool {
	_, ok := v.s.pos[path]
	return ok
}

// validate checks what decoding cannot, fills in defaults, and expands the
// matrix once to enforce the cell limit. It returns every problem found.
func (s *Spec) validate() ErrorList {
	v := &validator{s: s}
	if s.Name == "" {
		base := filepath.Base(s.File)
		s.Name = strings.TrimSuffix(base, filepath.Ext(base))
	} else if !nameRE.MatchString(s.Name) {
		v.errorf("name", "%q: use letters, digits, '.', '_' and '-' (it names result folders)", s.Name)
	}
	v.toolchains()
	v.matrix(&s.Matrix, "matrix")
	v.workloads()
	v.runs()
	for i, p := range s.Profiles {
		if !slices.Contains(Profiles, p) {
			v.errorf(index("profiles", i), "unknown profile %q%s (want one of %s)", p, DidYouMean(p, Profiles), strings.Join(Profiles, ", "))
		}
	}
	v.gate()
	if s.MaxCells < 0 || s.MaxCells > maxMaxCells {
		v.errorf("max_cells", "must be between 0 and %d (got %d)", maxMaxCells, s.MaxCells)
	}
	if len(v.errs) == 0 && len(s.failed) == 0 {
		v.cellLimit()
	}
	v.questions()
	return v.errs
}

func (v *validator) toolchains() {
	s := v.s
	if len(s.Toolchains) == 0 {
		if _, given := s.pos["toolchains"]; given {
			v.errorf("toolchains", "empty list: name at least one toolchain (local, go1.X.Y or a GOROOT path)")
		} else {
			s.Toolchains = []string{"local"}
		}
	}
	seen := map[string]bool{}
	for i, t := range s.Toolchains {
		p := index("toolchains", i)
		switch {
		case t == "local", toolchainRE.MatchString(t):
		case filepath.IsAbs(t) || strings.HasPrefix(t, "./") || strings.HasPrefix(t, "../"):
			if strings.ContainsAny(t, "\x00\n") {
				v.errorf(p, "invalid GOROOT path %q", t)
			} else if msg := v.checkPath(t); msg != "" {
				v.errorf(p, "%q: %s", t, msg)
			}
		case strings.HasPrefix(t, "go"):
			v.errorf(p, "invalid toolchain %q: want a released version such as go1.27.3", t)
		default:
			v.errorf(p, "invalid toolchain %q: want local, a version such as go1.27.3, or a GOROOT path", t)
		}
		if seen[t] {
			v.errorf(p, "duplicate toolchain %q", t)
		}
		seen[t] = true
	}
}

// matrix checks one matrix (the global one or a workload's override).
func (v *validator) matrix(m *Matrix, path string) {
	strs := []struct {
		dim  Dimension
		vals []string
		ok   func(string) string // "" when valid, else the problem
	}{
		{DimGOEXPERIMENT, m.GOEXPERIMENT, checkExperiment},
		{DimGCFlags, m.GCFlags, checkFlagValue},
		{DimLDFlags, m.LDFlags, checkFlagValue},
		{DimTags, m.Tags, checkTags},
		{DimCGO, m.CGO, func(s string) string {
			if s == "" || s == "on" || s == "off" {
				return ""
			}
			return `want on, off or "" (the go command's default)`
		}},
		{DimGOAMD64, m.GOAMD64, checkGOAMD64},
		{DimGOARM64, m.GOARM64, func(s string) string {
			if s == "" || goarm64RE.MatchString(s) {
				return ""
			}
			return "want v8.0 … v9.5, optionally with ,lse or ,crypto"
		}},
		{DimPGO, m.PGO, func(s string) string { return v.checkPGO(s) }},
		{DimGODEBUG, m.GODEBUG, checkGODEBUG},
		{DimGOGC, m.GOGC, checkGOGC},
		{DimGOMEMLIMIT, m.GOMEMLIMIT, func(s string) string {
			if _, err := ParseMemLimit(s); err != nil {
				return err.Error()
			}
			return ""
		}},
	}
	for _, d := range strs {
		p := join(path, string(d.dim))
		if d.vals != nil && len(d.vals) == 0 {
			v.errorf(p, "empty matrix dimension: list at least one value (\"\" for the default) or leave it out")
		}
		seen := map[string]bool{}
		for i, val := range d.vals {
			if msg := d.ok(val); msg != "" {
				v.errorf(index(p, i), "%q: %s", val, msg)
			}
			if seen[val] {
				v.errorf(index(p, i), "duplicate value %q", val)
			}
			seen[val] = true
		}
	}
	p := join(path, "gomaxprocs")
	if m.GOMAXPROCS != nil && len(m.GOMAXPROCS) == 0 {
		v.errorf(p, "empty matrix dimension: list at least one value or leave it out")
	}
	for i, n := range m.GOMAXPROCS {
		if n < 1 || n > 4096 {
			v.errorf(index(p, i), "must be between 1 and 4096 (got %d)", n)
		}
	}
	p = join(path, "env")
	if _, given := v.s.pos[p]; given && len(m.Env) == 0 {
		v.errorf(p, "empty matrix dimension: name at least one environment or leave it out")
	}
	for _, e := range m.Env {
		ep := join(p, e.Name)
		if !nameRE.MatchString(e.Name) {
			v.errorf(ep, "environment name %q: use letters, digits, '.', '_' and '-'", e.Name)
		}
		for _, kv := range e.Vars {
			vp := join(ep, kv.Key)
			switch {
			case !envVarRE.MatchString(kv.Key):
				v.errorf(vp, "invalid environment variable name %q", kv.Key)
			case reservedEnv[kv.Key] != "":
				v.errorf(vp, "%s is set by the %s dimension, not by env", kv.Key, reservedEnv[kv.Key])
			case strings.ContainsRune(kv.Value, 0):
				v.errorf(vp, "value contains a NUL byte")
			}
		}
	}
}

// reservedEnv maps variables the harness sets itself to the dimension that
// owns them; setting them in env would silently fight the matrix.
var reservedEnv = map[string]string{
	"GODEBUG": "godebug", "GOGC": "gogc", "GOMEMLIMIT": "gomemlimit",
	"GOMAXPROCS": "gomaxprocs", "GOEXPERIMENT": "goexperiment", "GOAMD64": "goamd64",
	"GOARM64": "goarm64", "GOFLAGS": "gcflags/ldflags/tags", "CGO_ENABLED": "cgo",
}

func checkExperiment(s string) string {
	if s == "" {
		return ""
	}
	for _, e := range strings.Split(s, ",") {
		if !experimentRE.MatchString(e) {
			return fmt.Sprintf("invalid experiment name %q (want lower-case names, comma-separated, optionally prefixed with \"no\")", e)
		}
	}
	return ""
}

func checkFlagValue(s string) string {
	if strings.ContainsAny(s, "\x00\n\r") {
		return "contains a NUL or newline"
	}
	return ""
}

func checkTags(s string) string {
	if s == "" {
		return ""
	}
	for _, t := range strings.Split(s, ",") {
		if !nameRE.MatchString(t) {
			return fmt.Sprintf("invalid build tag %q", t)
		}
	}
	return ""
}

func checkGOAMD64(s string) string {
	switch s {
	case "", "v1", "v2", "v3", "v4":
		return ""
	}
	return "want v1, v2, v3 or v4"
}

func checkGODEBUG(s string) string {
	if s == "" {
		return ""
	}
	for _, kv := range strings.Split(s, ",") {
		if !godebugRE.MatchString(kv) {
			return fmt.Sprintf("invalid setting %q (want key=value, comma-separated, e.g. cpu.adx=off)", kv)
		}
		// The runtime ignores any other value of a CPU option, with a
		// complaint on stderr; which names exist depends on the toolchain
		// and is checked by the plan.
		if k, v, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "cpu.") && v != "on" && v != "off" {
			return fmt.Sprintf("%s: want on or off, got %q (the runtime ignores any other value)", k, v)
		}
	}
	return ""
}

func (v *validator) checkPGO(s string) string {
	switch s {
	case "", "off", "auto":
		return ""
	}
	if strings.ContainsRune(s, 0) {
		return "invalid path"
	}
	return v.checkPath(s)
}

// checkPath rejects a relative path that climbs out of the repository the
// spec lives in, by its text ("../..") or through a symlink. Absolute paths
// are allowed: pointing outside is then an explicit choice, not an accident
// of "../" or of a link.
func (v *validator) checkPath(p string) string {
	if filepath.IsAbs(p) || v.s.Dir == "" {
		return ""
	}
	root := repoRoot(v.s.Dir)
	full := filepath.Join(v.s.Dir, p)
	if !inside(root, full) {
		return "path escapes the repository holding the spec (use an absolute path to point outside it)"
	}
	// A path that does not exist yet is reported by plan; one that does is
	// judged by where it really leads.
	realRoot, err1 := filepath.EvalSymlinks(root)
	real, err2 := filepath.EvalSymlinks(full)
	if err1 == nil && err2 == nil && !inside(realRoot, real) {
		return fmt.Sprintf("path leads through a symlink to %s, outside the repository holding the spec (use an absolute path to point outside it)", real)
	}
	return ""
}

// inside reports whether path is root or below it, by their text.
func inside(root, path string) bool {
	rel, err := filepath.Rel(root, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// repoRoot is the nearest folder at or above dir holding .git, or dir itself.
func repoRoot(dir string) string {
	for d := dir; ; {
		if _, err := os.Stat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		parent := filepath.Dir(d)
		if parent == d {
			return dir
		}
		d = parent
	}
}

func (v *validator) workloads() {
	s := v.s
	if len(s.Workloads) == 0 {
		if !v.given("workloads") {
			v.errorf("", "missing workloads: list at least one")
			return
		}
		v.errorf("workloads", "no workloads: list at least one")
		return
	}
	names := map[string]int{}
	for i := range s.Workloads {
		w := &s.Workloads[i]
		p := index("workloads", i)
		if w.Name == "" {
			if !v.s.failed[join(p, "name")] {
				v.errorf(p, "missing name")
			}
		} else if !nameRE.MatchString(w.Name) {
			v.errorf(join(p, "name"), "%q: use letters, digits, '.', '_' and '-'", w.Name)
		} else if j, dup := names[w.Name]; dup {
			v.errorf(join(p, "name"), "duplicate workload name %q (also workloads[%d])", w.Name, j)
		} else {
			names[w.Name] = i
		}
		switch w.Kind {
		case KindFixedRate, KindHTTP, KindGoTest:
		case "":
			v.errorf(p, "missing kind (want one of %s)", strings.Join(kinds, ", "))
		default:
			v.errorf(join(p, "kind"), "unknown kind %q%s (want one of %s)", w.Kind, DidYouMean(w.Kind, kinds), strings.Join(kinds, ", "))
		}
		if w.Package == "" {
			v.errorf(p, "missing package (the Go package to build, e.g. ./workloads/alloc)")
		} else if msg := v.checkPath(w.Package); msg != "" {
			v.errorf(join(p, "package"), "%q: %s", w.Package, msg)
		} else if strings.ContainsAny(w.Package, "\x00\n") {
			v.errorf(join(p, "package"), "invalid package path")
		}
		v.workloadKind(w, p)
		v.measure(w, p)
		for j, f := range w.Requires {
			if _, ok := host.CanonicalFeature(f); !ok {
				v.errorf(index(join(p, "requires"), j), "unknown CPU feature %q%s", f, DidYouMean(f, host.FeatureNames()))
			}
		}
		if w.Matrix != nil {
			v.matrix(w.Matrix, join(p, "matrix"))
		}
		if w.Toolchains != nil && len(w.Toolchains) == 0 {
			v.errorf(join(p, "toolchains"), "empty list: leave it out to use the spec's toolchains")
		}
		for j, tc := range w.Toolchains {
			if !slices.Contains(s.Toolchains, tc) {
				v.errorf(index(join(p, "toolchains"), j), "toolchain %q is not in the spec's toolchains %v", tc, s.Toolchains)
			}
		}
		if w.Timeout < 0 {
			v.errorf(join(p, "timeout"), "must be > 0 (got %s)", w.Timeout)
		}
		for _, kv := range w.Params {
			if !nameRE.MatchString(kv.Key) {
				v.errorf(join(join(p, "params"), kv.Key), "invalid parameter name %q", kv.Key)
			}
		}
	}
}

// workloadKind checks the fields that depend on the workload's kind and
// fills in their defaults.
func (v *validator) workloadKind(w *Workload, p string) {
	given := func(field string) bool { _, ok := v.s.pos[join(p, field)]; return ok }
	notFor := func(field, kind string) {
		if given(field) {
			v.errorf(join(p, field), "not used by kind %s", kind)
		}
	}
	switch w.Kind {
	case KindFixedRate, KindHTTP:
		switch {
		case given("rate") && given("schedule"):
			v.errorf(join(p, "schedule"), "give rate or schedule, not both")
		case len(w.Rate) == 0 && !given("rate") && !given("schedule"):
			v.errorf(p, "missing rate (the target rate, e.g. rate: 1000/s, or a schedule such as ramp:1000-10000)")
		}
		if w.Duration == 0 && !given("duration") {
			w.Duration = Duration(DefaultDuration)
		}
		if w.Duration <= 0 {
			v.errorf(join(p, "duration"), "must be > 0 (got %s)", w.Duration)
		}
		if w.Warmup == 0 && !given("warmup") {
			w.Warmup = Duration(DefaultWarmup)
		}
		if w.Warmup < 0 {
			v.errorf(join(p, "warmup"), "must be >= 0 (got %s)", w.Warmup)
		} else if w.Duration > 0 && w.Warmup > Duration(maxRunLength)-w.Duration {
			v.errorf(join(p, "duration"), "warmup plus duration must be at most %dh (got %s + %s)", maxRunLength/time.Hour, w.Warmup, w.Duration)
		}
		if w.Concurrency == 0 && !given("concurrency") {
			w.Concurrency = DefaultConcurrency
		}
		if w.Concurrency < 1 || w.Concurrency > 100000 {
			v.errorf(join(p, "concurrency"), "must be between 1 and 100000 (got %d)", w.Concurrency)
		}
		if w.RateTolerance != nil && (*w.RateTolerance < 0 || *w.RateTolerance >= 1) {
			v.errorf(join(p, "rate_tolerance"), "must be in [0%%, 100%%) (got %s)", *w.RateTolerance)
		}
		if w.MaxLagP99 < 0 || (w.MaxLagP99 == 0 && given("max_lag_p99")) {
			v.errorf(join(p, "max_lag_p99"), "must be > 0 (got %s)", w.MaxLagP99)
		}
		for _, f := range []struct {
			key string
			v   *Percent
		}{{"max_lag_share", w.MaxLagShare}, {"max_cpu_withheld", w.MaxCPUWithheld}, {"max_steal", w.MaxSteal}} {
			if f.v != nil && !(*f.v > 0 && *f.v <= 1) {
				v.errorf(join(p, f.key), "must be in (0%%, 100%%] (got %s)", *f.v)
			}
		}
		if w.MaxErrors < 0 || w.MaxErrors > 1 {
			v.errorf(join(p, "max_errors"), "must be between 0%% and 100%% (got %s)", w.MaxErrors)
		}
		if w.MaxBacklog < 0 {
			v.errorf(join(p, "max_backlog"), "must be >= 0 (got %d)", w.MaxBacklog)
		}
		if o := w.SLO; o != nil {
			if len(o.Bounds()) == 0 {
				v.errorf(join(p, "slo"), "no bound (want e.g. slo: {p99: 10ms})")
			}
			for _, b := range []struct {
				key string
				d   Duration
			}{{"p50", o.P50}, {"p90", o.P90}, {"p99", o.P99}, {"p99.9", o.P999}} {
				if b.d < 0 {
					v.errorf(join(join(p, "slo"), b.key), "must be > 0 (got %s)", b.d)
				}
			}
		}
		if w.Schedule != "" {
			if msg := checkSchedule(w.Schedule, w.Duration.D()); msg != "" {
				v.errorf(join(p, "schedule"), "%q: %s", w.Schedule, msg)
			}
		}
		notFor("bench", w.Kind)
		notFor("benchtime", w.Kind)
	case KindGoTest:
		for _, f := range []string{"rate", "schedule", "duration", "warmup", "concurrency", "ops", "requests", "client", "generators", "slo", "params", "rate_tolerance", "max_lag_share", "max_lag_p99", "max_cpu_withheld", "max_steal", "max_backlog", "max_errors", "ready_timeout"} {
			notFor(f, w.Kind)
		}
		if w.Bench == "" {
			w.Bench = "."
		}
		if _, err := regexp.Compile(w.Bench); err != nil {
			v.errorf(join(p, "bench"), "invalid regular expression: %v", err)
		}
		if w.Benchtime == "" {
			w.Benchtime = DefaultBenchtime
		} else if !benchtimeRE.MatchString(w.Benchtime) {
			v.errorf(join(p, "benchtime"), "%q: want a duration such as 1s or a count such as 1000x", w.Benchtime)
		} else if msg := checkBenchtime(w.Benchtime); msg != "" {
			v.errorf(join(p, "benchtime"), "%q: %s", w.Benchtime, msg)
		}
	}
	switch w.Kind {
	case KindFixedRate:
		notFor("requests", w.Kind)
		notFor("client", w.Kind)
		notFor("generators", w.Kind)
		notFor("ready_timeout", w.Kind)
		if len(w.Ops) == 0 && !given("ops") {
			v.errorf(p, "missing ops (the operations to run, e.g. ops: [heap])")
		}
		v.ops(w, p)
	case KindHTTP:
		notFor("ops", w.Kind)
		if w.ReadyTimeout == 0 && !given("ready_timeout") {
			w.ReadyTimeout = Duration(DefaultReadyTimeout)
		}
		if w.ReadyTimeout <= 0 {
			v.errorf(join(p, "ready_timeout"), "must be > 0 (got %s)", w.ReadyTimeout)
		}
		if w.Generators == 0 && !given("generators") {
			w.Generators = 1
		}
		if w.Generators < 1 || w.Generators > MaxGenerators {
			v.errorf(join(p, "generators"), "must be between 1 and %d (got %d)", MaxGenerators, w.Generators)
		}
		if c := w.Client; c != nil {
			switch c.Library {
			case "", ClientH1, ClientNetHTTP:
			default:
				v.errorf(join(p, "client.library"), "unknown client %q (want %s or %s)", c.Library, ClientH1, ClientNetHTTP)
			}
			if c.CPUs != "" {
				if _, err := ParseCPUList(c.CPUs); err != nil {
					v.errorf(join(p, "client.cpus"), "%v", err)
				}
			}
			if c.Timeout < 0 {
				v.errorf(join(p, "client.timeout"), "must be > 0 (got %s)", c.Timeout)
			}
		}
		if len(w.Requests) == 0 && !given("requests") {
			v.errorf(p, "missing requests (e.g. requests: {get: {method: GET, path: /}})")
		}
		for i := range w.Requests {
			r := &w.Requests[i]
			rp := join(join(p, "requests"), r.Name)
			if !nameRE.MatchString(r.Name) {
				v.errorf(rp, "request name %q: use letters, digits, '.', '_' and '-'", r.Name)
			}
			if r.Method == "" {
				r.Method = "GET"
			} else if !slices.Contains(methods, r.Method) {
				v.errorf(join(rp, "method"), "unknown method %q (want one of %s)", r.Method, strings.Join(methods, ", "))
			}
			if !strings.HasPrefix(r.Path, "/") {
				v.errorf(join(rp, "path"), "path must start with / (got %q)", r.Path)
			}
			for _, h := range r.Headers {
				if !envVarRE.MatchString(strings.ReplaceAll(h.Key, "-", "_")) || strings.ContainsAny(h.Value, "\r\n") {
					v.errorf(join(join(rp, "headers"), h.Key), "invalid header %q", h.Key)
				}
			}
		}
	}
}

func (v *validator) ops(w *Workload, p string) {
	seen := map[string]bool{}
	for j := range w.Ops {
		op := &w.Ops[j]
		jp := index(join(p, "ops"), j)
		switch {
		case op.Name == "":
			v.errorf(jp, "missing op name")
		case !nameRE.MatchString(op.Name):
			v.errorf(jp, "op name %q: use letters, digits, '.', '_' and '-'", op.Name)
		case seen[op.Name]:
			v.errorf(jp, "duplicate op %q", op.Name)
		}
		seen[op.Name] = true
		for k, f := range op.Requires {
			if _, ok := host.CanonicalFeature(f); !ok {
				v.errorf(index(join(jp, "requires"), k), "unknown CPU feature %q%s", f, DidYouMean(f, host.FeatureNames()))
			}
		}
		for k, e := range op.Experiments {
			if !experimentRE.MatchString(e) {
				v.errorf(index(join(jp, "experiments"), k), "invalid experiment name %q", e)
			}
		}
	}
}

// checkSchedule accepts the driver's schedule forms: constant:R,
// steps:R1,R2,... and ramp:R1-R2 (rates in ops/s).
func checkSchedule(s string, d time.Duration) string {
	kind, rest, ok := strings.Cut(s, ":")
	if !ok {
		return "want constant:R, steps:R1,R2,... or ramp:FROM-TO"
	}
	var parts []string
	switch kind {
	case "constant":
		parts = []string{rest}
	case "steps":
		parts = strings.Split(rest, ",")
	case "ramp":
		parts = strings.Split(rest, "-")
		if len(parts) != 2 {
			return "want ramp:FROM-TO, e.g. ramp:1000-10000"
		}
	default:
		return fmt.Sprintf("unknown schedule %q (want constant, steps or ramp)", kind)
	}
	for _, r := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(r), 64)
		if err != nil || !(f > 0) {
			return fmt.Sprintf("rate %q must be a number > 0", r)
		}
		if msg := checkRate(f); msg != "" {
			return fmt.Sprintf("rate %q: %s", r, msg)
		}
	}
	if kind == "steps" && len(parts) > 0 && d/time.Duration(len(parts)) <= 0 {
		return fmt.Sprintf("%d steps do not fit in a duration of %s", len(parts), d)
	}
	return ""
}

func (v *validator) runs() {
	r := &v.s.Runs
	r.Count, r.Auto = r.CountValue.N, r.CountValue.Auto
	if r.Count == 0 && !r.Auto {
		if _, given := v.s.pos["runs.count"]; !given {
			r.Count = DefaultCount
		}
	}
	if !r.Auto && (r.Count < 1 || r.Count > MaxCount) {
		v.errorf("runs.count", "must be between 1 and %d (got %d)", MaxCount, r.Count)
	}
	for _, k := range []string{"ci_target", "max_count", "max_time"} {
		if !r.Auto && v.given("runs."+k) {
			v.errorf("runs."+k, "used only with count: auto")
		}
	}
	if r.Auto {
		if !v.given("runs.ci_target") {
			r.CITarget = DefaultCITarget
		}
		if !(r.CITarget > 0 && r.CITarget < 1) {
			v.errorf("runs.ci_target", "must be between 0%% and 100%% (got %s)", r.CITarget)
		}
		if r.MaxCount == 0 && !v.given("runs.max_count") {
			r.MaxCount = DefaultMaxCount
		}
		if r.MaxCount < 2 || r.MaxCount > MaxCount {
			v.errorf("runs.max_count", "must be between 2 and %d (got %d)", MaxCount, r.MaxCount)
		}
		if r.MaxTime < 0 || (r.MaxTime == 0 && v.given("runs.max_time")) {
			v.errorf("runs.max_time", "must be > 0 (got %s)", r.MaxTime)
		}
		r.Count = min(DefaultCount, max(r.MaxCount, 2))
	}
	if r.Interleave == nil {
		t := true
		r.Interleave = &t
	}
	if r.Retries == nil {
		n := DefaultRetries
		r.Retries = &n
	} else if *r.Retries < 0 || *r.Retries > MaxRetries {
		v.errorf("runs.retries", "must be between 0 and %d (got %d)", MaxRetries, *r.Retries)
	}
	if r.Timeout < 0 {
		v.errorf("runs.timeout", "must be > 0 (got %s)", r.Timeout)
	}
	for _, f := range []struct{ path, val string }{{"runs.cpus", r.CPUs}, {"runs.server_cpus", r.ServerCPUs}} {
		if f.val != "" {
			if _, err := ParseCPUList(f.val); err != nil {
				v.errorf(f.path, "%v", err)
			}
		}
	}
}

func (v *validator) gate() {
	g := &v.s.Gate
	if _, given := v.s.pos["gate.threshold"]; !given {
		g.Threshold = DefaultThreshold
	}
	if g.Threshold < 0 || g.Threshold >= 10 {
		v.errorf("gate.threshold", "must be between 0%% and 1000%% (got %s)", g.Threshold)
	}
	if _, given := v.s.pos["gate.alpha"]; !given {
		g.Alpha = DefaultAlpha
	}
	if g.Alpha <= 0 || g.Alpha > 0.5 {
		v.errorf("gate.alpha", "must be in (0, 0.5] (got %g)", g.Alpha)
	}
	if _, given := v.s.pos["gate.fdr"]; !given {
		g.FDR = FDR{Level: DefaultFDR}
	}
	if !g.FDR.Off && !(g.FDR.Level > 0 && g.FDR.Level <= 0.5) {
		v.errorf("gate.fdr", "must be in (0%%, 50%%] or off (got %s)", g.FDR)
	}
	for k, t := range g.Metrics {
		p := join("gate.metrics", k)
		if t < 0 || t >= 10 {
			v.errorf(p, "must be between 0%% and 1000%% (got %s)", t)
		}
		// A key is a unit (p99-ns), a workload, or workload:unit.
		w, unit, scoped := strings.Cut(k, ":")
		switch {
		case k == "" || strings.ContainsAny(k, " \t"):
			v.errorf(p, "invalid metric key %q (want a unit such as p99-ns, a workload, or workload:unit)", k)
		case scoped && (unit == "" || !v.hasWorkload(w)):
			v.errorf(p, "metric key %q: want workload:unit with a workload of this spec", k)
		}
	}
}

// maxMaxCells bounds max_cells itself: past it a spec needs sharding or a
// narrower matrix, not a bigger number.
const maxMaxCells = 100_000

func (v *validator) hasWorkload(name string) bool {
	for _, w := range v.s.Workloads {
		if w.Name == name {
			return true
		}
	}
	return false
}

func (v *validator) cellLimit() {
	s := v.s
	limit := s.MaxCells
	if limit == 0 {
		limit = DefaultMaxCells
	}
	var product float64
	for i := range s.Workloads {
		product += s.product(&s.Workloads[i])
	}
	if product <= float64(limit) {
		return // an upper bound: exclusions only remove cells
	}
	path := "workloads"
	if v.given("max_cells") {
		path = "max_cells"
	}
	if product > 2*maxMaxCells {
		v.errorf(path, "the matrix expands to %.3g cells before exclusions, more than the limit of %d; narrow it", product, limit)
		return
	}
	if n := len(s.Cells()); n > limit {
		v.errorf(path, "the matrix expands to %d cells, more than the limit of %d; narrow it, or raise the limit with max_cells: %d", n, limit, n)
	}
}

// ParseCPUList parses a Linux CPU list such as "0-3,6" into CPU numbers.
func ParseCPUList(s string) ([]int, error) {
	var cpus []int
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 || a > 4095 {
			return nil, fmt.Errorf("invalid CPU list %q (want e.g. 0-3,6)", s)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a || b > 4095 {
				return nil, fmt.Errorf("invalid CPU list %q (want e.g. 0-3,6)", s)
			}
		}
		for c := a; c <= b; c++ {
			cpus = append(cpus, c)
		}
	}
	return cpus, nil
}
