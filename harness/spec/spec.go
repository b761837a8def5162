// Package spec owns bench.yaml: its schema, strict decoding with positioned
// errors, validation, and the expansion of the matrix into cells.
//
// It is the first step of the pipeline:
//
//  1. Parse reads the YAML into nodes and decodes them strictly: unknown keys,
//     wrong types and unit-less rates or durations are errors, each carrying
//     file:line:col and the path of the offending value.
//  2. Validate checks what decoding cannot (ranges, duplicates, kinds, CPU
//     feature names, paths). Decoding and validation collect every error and
//     report them at once, sorted by position.
//  3. Spec.Cells expands the matrix: toolchains × build dimensions × run-time
//     dimensions × operations, minus exclusions.
//
// The plan package then decides, per cell, whether this host and toolchain can
// run it. spec itself never runs anything and reads only the spec file.
package spec

import (
	"fmt"

	"go.yaml.in/yaml/v3"
	"strconv"
	"strings"
	"time"
)

// DefaultMaxCells is how many cells a matrix may expand to before the spec must
// opt in with max_cells: an accidental cross product of ten dimensions should
// fail in a second, not run for a week.
const DefaultMaxCells = 500

// A Spec is a decoded and validated bench.yaml.
type Spec struct {
	Name        string     `yaml:"name"`
	Description string     `yaml:"description"`
	Toolchains  []string   `yaml:"toolchains"`
	Matrix      Matrix     `yaml:"matrix"`
	Exclude     []Selector `yaml:"exclude"`
	Workloads   []Workload `yaml:"workloads"`
	// Declared are the questions the spec asks at the top level
	// (questions:); Questions returns them with each workload's own.
	Declared        []Question `yaml:"questions"`
	Runs            Runs       `yaml:"runs"`
	Profiles        []string   `yaml:"profiles"`
	Gate            Gate       `yaml:"gate"`
	Report          Report     `yaml:"report"`
	MaxCells        int        `yaml:"max_cells"`
	SkipUnsupported bool       `yaml:"skip_unsupported"`

	// File is the spec's path as given; Dir is the folder relative package
	// paths resolve against.
	File string `yaml:"-"`
	Dir  string `yaml:"-"`
	// Source is the file's bytes, kept so a results folder can record exactly
	// what was run.
	Source []byte `yaml:"-"`
	// Warnings are findings that do not stop a run (an exclude that matches
	// nothing, say); they are shown by plan and recorded with results.
	Warnings []string `yaml:"-"`

	pos    map[string]Pos
	failed map[string]bool // paths whose values did not decode
}

// PosOf returns the position of the value at path (as used in errors), or the
// zero Pos when the path is unknown, e.g. for a value that was defaulted.
func (s *Spec) PosOf(path string) Pos { return s.pos[path] }

// Errorf returns an Error positioned at path, or at the nearest enclosing
// value the spec wrote when path itself is absent (a missing field is
// reported where its parent is). Later stages (plan) use it so their errors
// point into the spec too.
func (s *Spec) Errorf(path, format string, args ...any) *Error {
	pos, ok := s.pos[path]
	for p := path; !ok && p != ""; {
		p = parent(p)
		pos, ok = s.pos[p]
	}
	return &Error{File: s.File, Pos: pos, Path: path, Msg: fmt.Sprintf(format, args...)}
}

// parent strips the last ".key" or "[i]" from a path.
func parent(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

// A Matrix lists the values of each dimension; cells are the cross product.
// An empty dimension means "the default" (one implicit empty value).
type Matrix struct {
	GOEXPERIMENT []string `yaml:"goexperiment"`
	GCFlags      []string `yaml:"gcflags"`
	LDFlags      []string `yaml:"ldflags"`
	Tags         []string `yaml:"tags"`
	CGO          []string `yaml:"cgo"` // on | off ("": the go command's default)
	GOAMD64      []string `yaml:"goamd64"`
	GOARM64      []string `yaml:"goarm64"`
	PGO          []string `yaml:"pgo"`
	GODEBUG      []string `yaml:"godebug"`
	GOGC         []string `yaml:"gogc"`
	GOMEMLIMIT   []string `yaml:"gomemlimit"`
	GOMAXPROCS   []int    `yaml:"gomaxprocs"`
	Env          Envs     `yaml:"env"`
}

// A Dimension names one axis of the matrix, as used in exclude selectors,
// cell ids and bench.txt configuration lines.
type Dimension string

// The dimensions, in the order they appear in cell ids.
const (
	DimWorkload     Dimension = "workload"
	DimOp           Dimension = "op"
	DimToolchain    Dimension = "toolchain"
	DimGOEXPERIMENT Dimension = "goexperiment"
	DimGCFlags      Dimension = "gcflags"
	DimLDFlags      Dimension = "ldflags"
	DimTags         Dimension = "tags"
	DimCGO          Dimension = "cgo"
	DimGOAMD64      Dimension = "goamd64"
	DimGOARM64      Dimension = "goarm64"
	DimPGO          Dimension = "pgo"
	DimGODEBUG      Dimension = "godebug"
	DimGOGC         Dimension = "gogc"
	DimGOMEMLIMIT   Dimension = "gomemlimit"
	DimGOMAXPROCS   Dimension = "gomaxprocs"
	DimEnv          Dimension = "env"
	DimRate         Dimension = "rate"
	DimMeasure      Dimension = "measure" // time or instructions (measure.go)
)

// Dimensions lists every dimension in id order.
var Dimensions = []Dimension{
	DimWorkload, DimOp, DimToolchain, DimGOEXPERIMENT, DimGCFlags, DimLDFlags,
	DimTags, DimCGO, DimGOAMD64, DimGOARM64, DimPGO, DimGODEBUG, DimGOGC, DimGOMEMLIMIT,
	DimGOMAXPROCS, DimEnv, DimRate, DimMeasure,
}

// A Selector matches cells by dimension values, e.g. {toolchain: go1.27.3,
// goexperiment: arenas}. Keys are dimension names; all must match.
type Selector []KV

// A KV is one key and value of an ordered mapping: a YAML mapping of the
// spec, a cell's configuration (the bench.txt lines leading its results;
// the manifest records it), a table key. It is the harness's one key-value
// pair: results and compare name it too.
type KV struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// An Env is a named run-time environment: variables set when the workload
// runs (LD_PRELOAD of an allocator, MALLOC_CONF, ...). Its name is the cell's
// "env" dimension value.
type Env struct {
	Name string
	Vars []KV
}

// Envs is an ordered mapping from environment name to its variables.
type Envs []Env

// Kinds of workload.
const (
	KindFixedRate = "fixed-rate"
	KindHTTP      = "http"
	KindGoTest    = "gotest"
)

// A Workload is one program to build and run across the matrix.
type Workload struct {
	Name    string `yaml:"name"`
	Kind    string `yaml:"kind"`
	Package string `yaml:"package"`
	// Toolchains, when set, narrows the spec's toolchains for this workload.
	Toolchains  []string `yaml:"toolchains"`
	Ops         []Op     `yaml:"ops"`
	Requests    Requests `yaml:"requests"`
	Rate        Rates    `yaml:"rate"`
	Schedule    string   `yaml:"schedule"`
	Duration    Duration `yaml:"duration"`
	Warmup      Duration `yaml:"warmup"`
	Concurrency int      `yaml:"concurrency"`
	// Validity limits handed to the driver, each judged by its effect on
	// the figures: a run whose achieved rate falls short by more than
	// RateTolerance, or whose backlog reaches MaxBacklog, is
	// rate-not-achieved; one whose generator lag is more than MaxLagShare
	// of its latency P50 (above the driver's floor) is generator-lagged,
	// and a figure of the tail (mean, P90 and up) whose lag is more than
	// MaxLagShare of it is left out of the run's bench.txt; MaxLagP99
	// replaces the share with an absolute limit on lag P99 when set; one from which the machine withheld more than
	// MaxCPUWithheld of the CPU time it asked for, or a hypervisor stole
	// more than MaxSteal of the CPUs' time, is host-contended. Unset
	// limits take the driver's defaults.
	RateTolerance  *Percent `yaml:"rate_tolerance"`
	MaxLagShare    *Percent `yaml:"max_lag_share"`
	MaxLagP99      Duration `yaml:"max_lag_p99"`
	MaxCPUWithheld *Percent `yaml:"max_cpu_withheld"`
	MaxSteal       *Percent `yaml:"max_steal"`
	MaxBacklog     int      `yaml:"max_backlog"`
	// MaxErrors is the fraction of ops that may fail (return an error, or
	// for http a non-2xx answer) before a run is marked failed; default 0:
	// fast error responses must never pass for good latency.
	MaxErrors Percent  `yaml:"max_errors"`
	Requires  []string `yaml:"requires"`
	Matrix    *Matrix  `yaml:"matrix"`
	// Compare are questions about this workload alone.
	Compare []Question `yaml:"compare"`
	Params  Params     `yaml:"params"`
	Timeout Duration   `yaml:"timeout"`
	// gotest
	Bench     string `yaml:"bench"`
	Benchtime string `yaml:"benchtime"`
	// http
	Client       *HTTPClient `yaml:"client"`
	ReadyTimeout Duration    `yaml:"ready_timeout"`
	// Generators is how many load client processes share the cell's
	// schedule (default 1): each plays every N-th request from one start
	// instant, pinned to its share of the client's CPUs, and their results
	// are merged losslessly into the run's.
	Generators int `yaml:"generators"`
	// SLO bounds latency percentiles; over a rate sweep (several rates, or
	// a steps schedule) the report finds the capacity: the highest rate
	// whose figures stay within it.
	SLO *SLO `yaml:"slo"`
	// Measure lists the tiers measured (measure.go): time (the default),
	// instructions, or both, each a cell of its own. Iterations pins N,
	// the iteration count of the instructions tier's long counted run (the
	// short one has 2); 0 lets the harness choose it from pilot runs.
	Measure    Measures `yaml:"measure"`
	Iterations int64    `yaml:"iterations"`
}

// An Op is one named operation of a workload. Requires and Experiments let an
// op exist only where it can: an arena op only where GOEXPERIMENT=arenas is in
// effect, a v2-JSON op only where jsonv2 is.
type Op struct {
	Name        string   `yaml:"name"`
	Requires    []string `yaml:"requires"`
	Experiments []string `yaml:"experiments"`
}

// A Request is one HTTP operation of an http workload: the op name is the key.
type Request struct {
	Name    string `yaml:"-"`
	Method  string `yaml:"method"`
	Path    string `yaml:"path"`
	Headers Params `yaml:"headers"`
	Body    string `yaml:"body"`
}

// Requests is an ordered mapping from op name to request.
type Requests []Request

// HTTPClient configures the load client of an http workload. It is
// written as a mapping, or as the library alone (client: net/http).
type HTTPClient struct {
	// Library is the client that sends the requests: h1 (the default: a
	// lean HTTP/1.1 keep-alive client) or net/http (the standard
	// library's, for what h1 does not speak).
	Library string   `yaml:"library"`
	CPUs    string   `yaml:"cpus"`
	Timeout Duration `yaml:"timeout"`
}

// HTTP client libraries (HTTPClient.Library).
const (
	ClientH1      = "h1"
	ClientNetHTTP = "net/http"
)

// An SLO is a service-level objective on latency: upper bounds on
// percentiles measured from each op's intended start (slo: {p99: 10ms}).
type SLO struct {
	P50  Duration `yaml:"p50"`
	P90  Duration `yaml:"p90"`
	P99  Duration `yaml:"p99"`
	P999 Duration `yaml:"p99.9"`
}

// Bounds returns the SLO's bounds by bench.txt unit (p99-ns: 10ms), in
// percentile order.
func (s *SLO) Bounds() []KV {
	if s == nil {
		return nil
	}
	var out []KV
	for _, b := range []struct {
		unit string
		d    Duration
	}{{"p50-ns", s.P50}, {"p90-ns", s.P90}, {"p99-ns", s.P99}, {"p99.9-ns", s.P999}} {
		if b.d != 0 {
			out = append(out, KV{Key: b.unit, Value: strconv.FormatInt(int64(b.d), 10)})
		}
	}
	return out
}

// MaxGenerators bounds Workload.Generators.
const MaxGenerators = 64

// DefaultReadyTimeout is how long an http workload's server gets to start
// listening.
const DefaultReadyTimeout = 30 * time.Second

// Params is an ordered string mapping (workload parameters, HTTP headers).
type Params []KV

// Runs says how often and how each cell runs.
type Runs struct {
	// Count is how many repetitions each cell gets: as written, or for
	// count: auto the first pass (DefaultCount, at most MaxCount).
	Count int `yaml:"-"`
	// CountValue is count as written: a number or auto.
	CountValue CountValue `yaml:"count"`
	// Auto (count: auto) keeps adding interleaved repetitions to the
	// cells of each question until every headline metric's effect
	// interval is within ±CITarget, or MaxCount repetitions or MaxTime
	// are spent.
	Auto     bool     `yaml:"-"`
	CITarget Percent  `yaml:"ci_target"`
	MaxCount int      `yaml:"max_count"`
	MaxTime  Duration `yaml:"max_time"`
	// Interleave runs repetitions round-robin across cells (A B C A B C …)
	// so machine drift spreads evenly; default true.
	Interleave *bool    `yaml:"interleave"`
	Shuffle    Shuffle  `yaml:"shuffle"`
	Timeout    Duration `yaml:"timeout"`
	// Retries is how many more times a repetition that ended
	// rate-not-achieved runs, at the end of the schedule: a stall of the
	// host should not void a whole run, and a cell that cannot keep its
	// rate fails every attempt. Every attempt is kept; default 1.
	Retries    *int   `yaml:"retries"`
	CPUs       string `yaml:"cpus"`
	ServerCPUs string `yaml:"server_cpus"`
}

// A CountValue is runs.count as written: a number of repetitions, or
// auto.
type CountValue struct {
	N    int
	Auto bool
}

func (c *CountValue) decodeNode(d *decoder, n *yaml.Node, path string) {
	s, ok := d.scalar(n, path, "a number of repetitions or auto")
	if !ok {
		return
	}
	if s == "auto" {
		*c = CountValue{Auto: true}
		return
	}
	i, err := strconv.Atoi(s)
	if err != nil {
		d.errorf(n, path, "want a number of repetitions or auto, got %q", s)
		return
	}
	*c = CountValue{N: i}
}

// Shuffle is off, or on with a seed: `shuffle: true` picks and records a seed,
// `shuffle: 42` uses 42.
type Shuffle struct {
	On   bool
	Seed int64
}

// Gate configures the regression gate.
type Gate struct {
	Threshold Percent `yaml:"threshold"`
	Alpha     float64 `yaml:"alpha"`
	// FDR is the false discovery rate the gate keeps over its gated
	// comparisons (Benjamini–Hochberg), default 5%; off tests each at
	// alpha alone.
	FDR     FDR                `yaml:"fdr"`
	Metrics map[string]Percent `yaml:"metrics"`
}

// An FDR is a false discovery rate, written as a percentage ("5%", 0.05),
// or off.
type FDR struct {
	Off   bool
	Level Percent
}

func (f FDR) String() string {
	if f.Off {
		return "off"
	}
	return f.Level.String()
}

// Report sets how the report presents a suite's question, in benchstat's
// projection syntax: col "/op,env" puts each allocator in a column of its
// own. Empty fields keep the report's defaults (per workload, the dimensions
// that vary within it). Command-line flags of harness report override them.
type Report struct {
	Col    string `yaml:"col"`
	Row    string `yaml:"row"`
	Table  string `yaml:"table"`
	Filter string `yaml:"filter"`
}

// A Duration is a time.Duration written with a unit ("10s", "500ms").
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

func (d Duration) String() string { return time.Duration(d).String() }

// A Rate is a target operation rate in operations per second, as written
// ("20000/s", "20k/s", "5/ms").
type Rate struct {
	PerSecond float64
	Text      string
}

func (r Rate) String() string {
	if r.Text != "" {
		return r.Text
	}
	return formatRate(r.PerSecond)
}

func formatRate(perSec float64) string {
	return strconv.FormatFloat(perSec, 'f', -1, 64) + "/s"
}

// Rates is one rate or a list of rates; each is a cell dimension value.
type Rates []Rate

// A Percent is a fraction written either as "5%" or as 0.05.
type Percent float64

func (p Percent) String() string {
	return strconv.FormatFloat(float64(p)*100, 'f', -1, 64) + "%"
}

// ParseRate reads a rate as a spec writes it ("20k/s"), in ops/s: a cell's
// rate value, for a stage after the spec.
func ParseRate(s string) (float64, error) { return parseRate(s) }

// parseRate parses "20000/s", "20k/s", "1.5M/s", "20/ms", "100/us", "60/min".
func parseRate(s string) (float64, error) {
	num, unit, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return 0, fmt.Errorf("rate %q needs a unit, e.g. %q", s, s+"/s")
	}
	num = strings.TrimSpace(num)
	mult := 1.0
	if n := len(num); n > 0 {
		switch num[n-1] {
		case 'k', 'K':
			mult, num = 1e3, num[:n-1]
		case 'M':
			mult, num = 1e6, num[:n-1]
		}
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, fmt.Errorf("rate %q: %q is not a number", s, num)
	}
	var per float64
	switch strings.TrimSpace(unit) {
	case "s", "sec":
		per = 1
	case "ms":
		per = 1e3
	case "us", "µs":
		per = 1e6
	case "min", "m":
		per = 1.0 / 60
	case "h":
		per = 1.0 / 3600
	default:
		return 0, fmt.Errorf("rate %q: unknown unit %q (want /s, /ms, /us, /min or /h)", s, unit)
	}
	return v * mult * per, nil
}

// parseDuration is time.ParseDuration that insists on a unit: "10" is far
// more likely a mistake than ten nanoseconds.
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return 0, fmt.Errorf("duration %q needs a unit, e.g. %q", s, s+"s")
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q (want e.g. 10s, 500ms, 2m)", s)
	}
	return d, nil
}

// parsePercent parses "5%" or a plain fraction "0.05".
func parsePercent(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if t, ok := strings.CutSuffix(s, "%"); ok {
		v, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
		if err != nil {
			return 0, fmt.Errorf("invalid percentage %q", s)
		}
		return v / 100, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("invalid percentage %q (want e.g. 5%% or 0.05)", s)
	}
	return v, nil
}
