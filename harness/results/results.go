// Package results owns the results folder of a run, results/<run-id>/: the
// manifest (what was planned, built and run, with every status and reason),
// the combined bench.txt, and the per-cell, per-run folders the workload
// processes write into. Everything needed to re-render, compare, gate or merge
// a run later — on another machine, without rerunning — is in the folder.
//
// It owns every format of the folder, each read and written in one place:
// the manifest and its one [Status] vocabulary (plan marks cells with it,
// run records the rest), the driver's result.json and server.json
// ([ReadDriverResult], [ReadServerResult], checking their format), bench
// lines ([ParseBench] reads them, [BenchWriter] writes the combined
// bench.txt, cell by cell under its configuration), the shard rule
// ([ParseShard], [InShard]), the run store ([Find], [List]) and the merge
// of a sharded run's folders ([Merge], [WriteMerged]).
//
// Writes are atomic (temp file, fsync, rename): a run that is interrupted or
// killed leaves every file it finished readable, and the manifest says what is
// missing. run writes results; report, compare, gate, verify and export
// read them.
//
// results sits above host (the fingerprint every manifest records) and
// spec (merging re-reads the spec copy for its cells), and below every
// package that plans, runs or reads a run.
package results

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/perfharness/harness/harness/host"
	"github.com/perfharness/harness/harness/spec"
)

// FormatVersion is the manifest format this package writes. Readers refuse
// newer versions rather than misread them.
const FormatVersion = 1

// File names inside a results folder.
const (
	ManifestFile = "manifest.json"
	BenchFile    = "bench.txt"
	SpecFile     = "spec.yaml"
	LatestLink   = "latest"
)

// A Status is the state or outcome of a run of a spec (Manifest.Status), a
// cell, one of its runs or a build. It is the one status vocabulary of the
// harness: plan marks cells planned or skipped with it, run records the rest,
// and every reader (report, gate, merge, export) branches on its predicates.
type Status string

// Statuses of a run of a spec (Manifest.Status).
const (
	RunRunning     Status = "running"     // in progress (or the harness died: see abandoned)
	RunComplete    Status = "complete"    // every planned run finished ok
	RunIncomplete  Status = "incomplete"  // finished, but some cell failed
	RunInterrupted Status = "interrupted" // stopped by the user; --resume completes it
	RunAbandoned   Status = "abandoned"   // the harness died mid-run; --resume completes it
)

// Statuses of a cell, a run or a build.
const (
	StatusOK          Status = "ok"
	StatusPlanned     Status = "planned" // not run yet
	StatusSkipped     Status = "skipped"
	StatusBuildFailed Status = "build-failed"
	StatusCrashed     Status = "crashed"
	StatusTimeout     Status = "timeout"
	StatusFailed      Status = "failed" // the workload reported a failure (setup error, wrong allocator, ...)
	StatusInterrupted Status = "interrupted"
	// StatusPartial is a cell some of whose runs are invalid (see Invalid)
	// and the rest ok: it is as good as its valid runs.
	StatusPartial Status = "partial"
	// The run finished, but its figures cannot be trusted (Invalid): the
	// rate was missed beyond its tolerance or the backlog bound reached;
	// the machine withheld (or a hypervisor stole) CPU beyond the limits;
	// the generator's own delay is a material part of the latency.
	StatusRateNotAchieved Status = "rate-not-achieved"
	StatusHostContended   Status = "host-contended"
	StatusGeneratorLagged Status = "generator-lagged"
)

// Invalid reports whether a run finished but its figures cannot be
// trusted: the statuses a retry may cure, and that leave a cell with its
// other runs rather than failing it.
func (s Status) Invalid() bool {
	switch s {
	case StatusRateNotAchieved, StatusHostContended, StatusGeneratorLagged:
		return true
	}
	return false
}

// Failed reports whether a cell or run status counts as a failure: everything
// but ok, partial, planned and skipped.
func (s Status) Failed() bool {
	switch s {
	case StatusOK, StatusPartial, StatusPlanned, StatusSkipped:
		return false
	}
	return true
}

// Finished reports whether a run's status is final, worth keeping on resume:
// anything but planned (or unset) and interrupted.
func (s Status) Finished() bool {
	return s != StatusPlanned && s != StatusInterrupted && s != ""
}

// Resumable reports whether a run of a spec with this status can be
// completed by harness run --resume.
func (s Status) Resumable() bool {
	switch s {
	case RunInterrupted, RunAbandoned, RunRunning, RunIncomplete:
		return true
	}
	return false
}

// A Manifest describes one run of a spec: the resolved plan, the host, the
// toolchains and builds, and every cell with the outcome of each repetition.
type Manifest struct {
	Format     int    `json:"format"`
	RunID      string `json:"run_id"`
	Name       string `json:"name"`      // spec name
	SpecFile   string `json:"spec_file"` // as given on the command line
	SpecSHA256 string `json:"spec_sha256"`
	// BenchSHA256 is the digest of bench.txt as last assembled: a file
	// edited or cut short after the run is refused, not read as a shorter
	// series.
	BenchSHA256 string `json:"bench_sha256,omitempty"`
	// SpecDir is the folder the spec's relative paths resolve against, so
	// --resume can re-plan from the copy kept in the results folder.
	SpecDir  string           `json:"spec_dir"`
	Status   Status           `json:"status"`
	Reason   string           `json:"reason,omitempty"`
	Harness  string           `json:"harness"` // harness version
	PID      int              `json:"pid"`     // of the harness while running
	Started  time.Time        `json:"started"`
	Finished time.Time        `json:"finished,omitzero"`
	Host     host.Fingerprint `json:"host"`
	// HostAfter is the noisy-host state at the end (load average may have
	// changed while the run went on).
	HostAfter  *host.Fingerprint `json:"host_after,omitempty"`
	Toolchains []Toolchain       `json:"toolchains"`
	Dimensions []string          `json:"dimensions"`
	Count      int               `json:"count"`
	// Auto is count: auto's setting and outcome; nil for a fixed count
	// (Count is then every cell's repetitions; with auto, the most any
	// cell got).
	Auto *AutoCount `json:"auto,omitempty"`
	// Retries is how many more attempts a rate-not-achieved repetition gets.
	Retries    int      `json:"retries"`
	Interleave bool     `json:"interleave"`
	Shuffle    bool     `json:"shuffle"`
	Seed       int64    `json:"seed"`
	Shard      string   `json:"shard,omitempty"` // "i/n" when sharded
	Profiles   []string `json:"profiles"`
	Gate       Gate     `json:"gate"`
	// Report is the spec's report section: the projection its report uses
	// unless the command line says otherwise.
	Report Projection `json:"report,omitzero"`
	// Questions are the spec's questions as resolved (declared with their
	// defaults, or derived), in the spec's terms: toolchains by the names
	// the spec gives them, "" for a dimension's default.
	Questions []Question `json:"questions,omitempty"`
	Builds    []*Build   `json:"builds"`
	Cells     []*Cell    `json:"cells"`
	Warnings  []string   `json:"warnings"`
}

// An AutoCount records count: auto: its target and budget, the
// repetitions it added, and why it stopped.
type AutoCount struct {
	CITarget  float64 `json:"ci_target"`
	MaxCount  int     `json:"max_count"`
	MaxTimeNs int64   `json:"max_time_ns,omitempty"`
	Rounds    int     `json:"rounds"` // repetitions added after the first pass
	Stopped   string  `json:"stopped,omitempty"`
}

// A Question is a spec question as recorded (see spec.Question).
type Question struct {
	Title     string   `json:"title"`
	Workloads []string `json:"workloads,omitempty"`
	By        []string `json:"by"`
	Base      []KV     `json:"base"`
	Metrics   []string `json:"metrics,omitempty"`
	Fixed     []string `json:"fixed,omitempty"`
	Where     []KV     `json:"where,omitempty"`
	Derived   bool     `json:"derived,omitempty"`
}

// Gate is the spec's gate section, resolved.
type Gate struct {
	Threshold float64 `json:"threshold"`
	Alpha     float64 `json:"alpha"`
	// FDR is the false discovery rate the gate keeps (0: the default);
	// FDROff turns the adjustment off.
	FDR     float64            `json:"fdr,omitempty"`
	FDROff  bool               `json:"fdr_off,omitempty"`
	Metrics map[string]float64 `json:"metrics,omitempty"`
}

// A Projection says how tables are laid out, in benchstat's syntax.
type Projection struct {
	Col    string `json:"col,omitempty"`
	Row    string `json:"row,omitempty"`
	Table  string `json:"table,omitempty"`
	Filter string `json:"filter,omitempty"`
}

// A Toolchain records a resolved toolchain.
type Toolchain struct {
	Name        string   `json:"name"`
	Version     string   `json:"version"`
	GOROOT      string   `json:"goroot"`
	Identity    string   `json:"identity"`
	Defaults    []string `json:"default_experiments"`
	Experiments []string `json:"experiments"`
}

// A Build records one distinct build configuration and its outcome.
type Build struct {
	Key      string `json:"key"` // readable key from the plan
	CacheKey string `json:"cache_key,omitempty"`
	Status   Status `json:"status"` // ok or build-failed
	Reason   string `json:"reason,omitempty"`
	Cached   bool   `json:"cached"`
	BuildNs  int64  `json:"build_ns"`
	SizeB    int64  `json:"size_B"`
	Binary   string `json:"binary,omitempty"`
	// BinarySHA256 is the digest of the binary as built: a confirmation
	// rerun runs the build cache's entry under CacheKey only while its
	// binary still has it (it never runs the Binary path of a manifest).
	BinarySHA256 string `json:"binary_sha256,omitempty"`
	// ModuleRoot is the folder of the main module the binary was built
	// from; with GOROOT and GOMODCACHE from Env, the only places harness
	// pprof shows source files from (after checking them on this host).
	ModuleRoot string            `json:"module_root,omitempty"`
	Log        string            `json:"log,omitempty"` // relative to the results folder
	GoVersion  string            `json:"go_version,omitempty"`
	Settings   map[string]string `json:"settings,omitempty"` // from the binary's build info
	Env        []string          `json:"env"`
	Flags      []string          `json:"flags"`
}

// A KV is one configuration key and value; order matters in bench.txt.
// It is spec's: a cell's configuration is recorded as planned.
type KV = spec.KV

// A Cell records one cell of the matrix and each of its runs.
type Cell struct {
	ID       string   `json:"id"`
	Dir      string   `json:"dir"` // relative to the results folder
	Workload string   `json:"workload"`
	Op       string   `json:"op,omitempty"`
	Kind     string   `json:"kind"`
	Config   []KV     `json:"config"`
	Status   Status   `json:"status"`
	Reason   string   `json:"reason,omitempty"`
	Build    string   `json:"build,omitempty"`
	RunEnv   []string `json:"run_env,omitempty"`
	// SLO are the workload's latency bounds by bench.txt unit (p99-ns) in
	// ns: a rate sweep's capacity is the highest rate within them.
	SLO  []KV   `json:"slo,omitempty"`
	Runs []*Run `json:"runs"`
	// VirtualCPU is what an instructions cell is counted on.
	VirtualCPU *VirtualCPU `json:"virtual_cpu,omitempty"`
}

// A VirtualCPU is what an instructions cell was counted on: valgrind's
// version and tool, and what Go's runtime saw on its virtual CPU. Counted
// code can differ from the code that runs natively: Hidden lists why.
type VirtualCPU struct {
	Valgrind string `json:"valgrind"`
	Tool     string `json:"tool"`
	Level    string `json:"level,omitempty"` // e.g. GOAMD64=v3; empty for the toolchain's default
	// Hidden are the features Go sees natively but not under valgrind.
	Hidden []string `json:"hidden"`
	// Masked are the features the host lacks, turned off with GODEBUG
	// cpu.X=off in counted processes: valgrind may advertise one (RDTSCP)
	// and executing it would be SIGILL.
	Masked []string `json:"masked"`
	// Features are the features Go sees under valgrind, sorted.
	Features []string `json:"features"`
}

// A Run records one repetition of a cell.
type Run struct {
	Index    int       `json:"index"` // 1-based
	Status   Status    `json:"status"`
	Reason   string    `json:"reason,omitempty"`
	Dir      string    `json:"dir"` // relative to the results folder
	Started  time.Time `json:"started"`
	Duration int64     `json:"duration_ns"`
	ExitCode int       `json:"exit_code"`
	Signal   string    `json:"signal,omitempty"`
	// Headline figures for summaries; the run folder holds everything.
	TargetRate   float64 `json:"target_rate,omitempty"`
	AchievedRate float64 `json:"achieved_rate,omitempty"`
	P50Ns        int64   `json:"p50_ns,omitempty"`
	P99Ns        int64   `json:"p99_ns,omitempty"`
	MaxNs        int64   `json:"max_ns,omitempty"`
	Errors       int64   `json:"errors,omitempty"`
	// NsPerOp is a go test run's first benchmark's time per op.
	NsPerOp float64 `json:"ns_per_op,omitempty"`
	// Contention is what the machine took from the run during its window
	// (a driver workload's result.json; nil where it was not measured).
	Contention *Contention `json:"contention,omitempty"`
	// Warnings are the workload's own (result.json) and the harness's
	// findings about this run.
	Warnings []string `json:"warnings,omitempty"`
	// LagDominated are the figures (bench.txt units: p99-ns, ns/op) the
	// driver left out of this valid run's bench.txt because the
	// generator's lag was a material part of them; its warning says how
	// much.
	LagDominated []string `json:"lag_dominated,omitempty"`
	// Order is the position of this run in the whole schedule, to show
	// how runs were interleaved.
	Order int `json:"order"`
	// Attempts are the earlier attempts of this repetition, oldest first,
	// each kept in its own folder (Dir + ".attempt-N"); the fields above
	// describe the last one.
	Attempts []Attempt `json:"attempts,omitempty"`
}

// A Contention is what the rest of the machine took from a run during its
// measured window, as the workload driver measured it (its result.json's
// contention; see workloads/driver.Contention): the share of the CPU time
// the process's threads asked for that they had to wait for, the share of
// the machine's CPU time spent outside the process and stolen by a
// hypervisor, the load averages, and the generator lag's share of P99.
type Contention struct {
	Withheld    float64 `json:"cpu_withheld"`
	CPUWaitNs   int64   `json:"cpu_wait_ns"`
	WindowNs    int64   `json:"window_ns"`
	OthersShare float64 `json:"others_share"`
	StealShare  float64 `json:"steal_share"`
	LoadStart   float64 `json:"load_start"`
	LoadEnd     float64 `json:"load_end"`
	CPUs        int     `json:"cpus"`
	LagShareP99 float64 `json:"lag_share_p99"`
}

// An Attempt is a repetition's earlier try, replaced by a retry.
type Attempt struct {
	Status   Status    `json:"status"`
	Reason   string    `json:"reason,omitempty"`
	Dir      string    `json:"dir"`
	Started  time.Time `json:"started"`
	Duration int64     `json:"duration_ns"`
	Order    int       `json:"order"`
}

// Finished reports whether the run reached a final state worth keeping on
// resume (anything but planned and interrupted).
func (r *Run) Finished() bool { return r.Status.Finished() }

// ValidRuns returns the runs whose figures count: those that ended ok.
// It is the one rule for what a cell offers — bench.txt holds exactly
// these runs, so the report, the gate and trend read them and nothing
// else, and results list and baseline selection count them.
func (c *Cell) ValidRuns() []*Run {
	var out []*Run
	for _, r := range c.Runs {
		if r.Status == StatusOK {
			out = append(out, r)
		}
	}
	return out
}

// CellStatus derives a cell's status from its runs: the first hard failure
// (crashed, timeout, failed, interrupted) if any; else, when some runs are
// invalid (their figures cannot be trusted), partial if others are ok and
// the first invalid status if none is; else ok, or planned when no run has
// finished. The reason names the run it comes from and, for partial, how
// many runs are valid.
func CellStatus(runs []*Run) (Status, string) {
	done, ok := 0, 0
	var hard, invalid *Run
	for _, r := range runs {
		if !r.Finished() {
			continue
		}
		done++
		switch {
		case r.Status == StatusOK:
			ok++
		case r.Status.Invalid():
			if invalid == nil {
				invalid = r
			}
		case r.Status.Failed() && hard == nil:
			hard = r
		}
	}
	switch {
	case done == 0:
		return StatusPlanned, ""
	case hard != nil:
		return hard.Status, fmt.Sprintf("run %d: %s", hard.Index, hard.Reason)
	case invalid != nil && ok > 0:
		return StatusPartial, fmt.Sprintf("%d of %d runs valid; run %d %s: %s", ok, done, invalid.Index, invalid.Status, invalid.Reason)
	case invalid != nil:
		return invalid.Status, fmt.Sprintf("run %d: %s", invalid.Index, invalid.Reason)
	}
	return StatusOK, ""
}

// NewRunID returns a sortable, readable run id: UTC time and spec name. A
// long name is cut and followed by a digest of the whole name, so every name
// gives a valid id, the same one each time, and two long names that share a
// beginning stay apart. attempt > 1 (the folder of attempt 1 existed) is
// appended as "-N".
func NewRunID(now time.Time, name string, attempt int) string {
	id := now.UTC().Format("20060102-150405") + "-" + slug(name, maxRunNameLen)
	if attempt > 1 {
		id += "-" + strconv.Itoa(attempt)
	}
	return id
}

// maxRunNameLen bounds the name part of a run id; maxRunIDLen bounds a whole
// id, room left for the time, a retry suffix and prefixes of report
// folders (gate-<id>) under the 255 bytes of a file name.
const (
	maxRunNameLen = 48
	maxRunIDLen   = 100
)

var runIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._=-]*$`)

// ValidRunID reports whether id can name a results or report folder: a plain
// file name of letters, digits and . _ = -, not starting with a dot, at most
// maxRunIDLen bytes. Every run id the harness makes is valid; one read from
// a manifest may not be.
func ValidRunID(id string) bool {
	return len(id) <= maxRunIDLen && runIDRE.MatchString(id)
}

// SafeName returns s when it is a valid run id, and otherwise a valid one
// derived from it (unsafe characters replaced, cut with a digest): a run
// id, spec name or host id read from a folder from elsewhere can then name
// one file or folder, or fill one configuration line, and never more.
func SafeName(s string) string {
	if ValidRunID(s) {
		return s
	}
	return slug(s, maxRunIDLen)
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._=-]+`)

// slug makes s safe as part of a file name, at most n bytes: unsafe runs
// become "_"; a longer result is cut and followed by a digest of s.
func slug(s string, n int) string {
	out := strings.Trim(unsafeChars.ReplaceAllString(s, "_"), "._-")
	if out == "" {
		out = "run"
	}
	if len(out) > n {
		h := shortHash(s)
		out = strings.TrimRight(out[:n-len(h)-1], "._-") + "-" + h
	}
	return out
}

// CellDir returns the folder name of a cell: its id made safe for file
// systems, shortened if long, with a digest so distinct ids never collide.
func CellDir(id string) string {
	slug := strings.ReplaceAll(id, "/", "_")
	slug = strings.Trim(unsafeChars.ReplaceAllString(slug, "_"), "._")
	if slug == "" {
		slug = "run"
	}
	if len(slug) > 60 {
		slug = slug[:60]
	}
	return fmt.Sprintf("%s-%s", slug, shortHash(id))
}

// Dir is an open results folder.
type Dir struct {
	Path string // results/<run-id>
}

// Create makes a new results folder under root. It refuses a run id that is
// not a plain name, so nothing is ever written outside root.
func Create(root, runID string) (*Dir, error) {
	if !ValidRunID(runID) {
		return nil, fmt.Errorf("invalid run id %q (want letters, digits, '.', '_', '=' and '-', at most %d bytes)", runID, maxRunIDLen)
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, err
	}
	// Absolute: workload processes get paths inside the folder while
	// running in folders of their own.
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(root, runID)
	if err := os.Mkdir(path, 0o755); err != nil {
		return nil, fmt.Errorf("creating results folder: %w", err)
	}
	return &Dir{Path: path}, nil
}

// Open opens an existing results folder.
func Open(path string) (*Dir, error) {
	path, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a results folder", path)
	}
	return &Dir{Path: path}, nil
}

// Join returns the path of rel inside the folder, refusing paths that would
// leave it (absolute, "..", or through a symlink pointing outside).
func (d *Dir) Join(rel string) (string, error) {
	if rel == "" || filepath.IsAbs(rel) || !filepath.IsLocal(rel) {
		return "", fmt.Errorf("path %q leaves the results folder %s", rel, d.Path)
	}
	p := filepath.Join(d.Path, rel)
	root, err := filepath.EvalSymlinks(d.Path)
	if err != nil {
		return "", err
	}
	// Resolve the deepest existing ancestor: a symlink inside the folder
	// must not lead outside it.
	for q := p; ; q = filepath.Dir(q) {
		if real, err := filepath.EvalSymlinks(q); err == nil {
			if r, err := filepath.Rel(root, real); err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
				return "", fmt.Errorf("path %q leaves the results folder %s (through a symlink)", rel, d.Path)
			}
			break
		}
		if q == d.Path || q == filepath.Dir(q) {
			break
		}
	}
	return p, nil
}

// MkdirAll creates a folder inside the results folder.
func (d *Dir) MkdirAll(rel string) (string, error) {
	p, err := d.Join(rel)
	if err != nil {
		return "", err
	}
	return p, os.MkdirAll(p, 0o755)
}

// WriteFile atomically writes rel inside the folder.
func (d *Dir) WriteFile(rel string, data []byte) error {
	p, err := d.Join(rel)
	if err != nil {
		return err
	}
	return WriteFileAtomic(p, data)
}

// WriteManifest atomically writes the manifest.
func (d *Dir) WriteManifest(m *Manifest) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return d.WriteFile(ManifestFile, append(data, '\n'))
}

// ReadManifest reads and checks the manifest of the folder.
func (d *Dir) ReadManifest() (*Manifest, error) {
	p := filepath.Join(d.Path, ManifestFile)
	data, err := d.ReadFile(ManifestFile)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: no manifest: not a results folder, or its run never started", d.Path)
		}
		return nil, err
	}
	return ParseManifest(p, data)
}

// ParseManifest decodes a manifest strictly: unknown versions, unknown
// fields, truncated JSON and inconsistent contents are errors naming file
// and, where JSON gives one, the line.
func ParseManifest(file string, data []byte) (*Manifest, error) {
	var probe struct {
		Format *int `json:"format"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, jsonError(file, data, err)
	}
	if probe.Format == nil {
		return nil, fmt.Errorf("%s: not a harness manifest (no format field)", file)
	}
	if *probe.Format > FormatVersion {
		return nil, fmt.Errorf("%s: manifest format %d is newer than this harness understands (%d); upgrade the harness", file, *probe.Format, FormatVersion)
	}
	if *probe.Format < 1 {
		return nil, fmt.Errorf("%s: invalid manifest format %d", file, *probe.Format)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, jsonError(file, data, err)
	}
	if err := m.check(); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return &m, nil
}

// check verifies what a reader relies on: ids unique, folders inside the
// results folder, runs numbered.
func (m *Manifest) check() error {
	if m.RunID == "" {
		return errors.New("manifest has no run_id")
	}
	seen := map[string]bool{}
	for i, c := range m.Cells {
		if c == nil {
			return fmt.Errorf("cells[%d] is null", i)
		}
		if c.ID == "" || seen[c.ID] {
			return fmt.Errorf("cells[%d]: missing or duplicate id %q", i, c.ID)
		}
		seen[c.ID] = true
		if c.Dir != "" && !filepath.IsLocal(c.Dir) {
			return fmt.Errorf("cells[%d] (%s): folder %q leaves the results folder", i, c.ID, c.Dir)
		}
		for j, r := range c.Runs {
			if r == nil {
				return fmt.Errorf("cells[%d].runs[%d] is null", i, j)
			}
			if r.Dir != "" && !filepath.IsLocal(r.Dir) {
				return fmt.Errorf("cells[%d].runs[%d] (%s): folder %q leaves the results folder", i, j, c.ID, r.Dir)
			}
			for k, a := range r.Attempts {
				if a.Dir != "" && !filepath.IsLocal(a.Dir) {
					return fmt.Errorf("cells[%d].runs[%d].attempts[%d] (%s): folder %q leaves the results folder", i, j, k, c.ID, a.Dir)
				}
			}
		}
	}
	return nil
}

// jsonError positions a JSON decoding error by line.
func jsonError(file string, data []byte, err error) error {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "unexpected end of JSON input") {
		return fmt.Errorf("%s: truncated JSON (the file was cut short)", file)
	}
	if off >= 0 && off <= int64(len(data)) {
		line := 1 + bytes.Count(data[:off], []byte("\n"))
		return fmt.Errorf("%s:%d: %w", file, line, err)
	}
	return fmt.Errorf("%s: %w", file, err)
}

// Outcome is the status a finished run takes from its cells: incomplete
// when a cell failed or a planned run did not happen, else complete.
func (m *Manifest) Outcome() (Status, string) {
	pending := false
	for _, c := range m.Cells {
		if c.Status.Failed() {
			return RunIncomplete, "some cells failed; see their reasons"
		}
		for _, r := range c.Runs {
			pending = pending || !r.Finished() && c.Status != StatusBuildFailed
		}
	}
	if pending {
		return RunIncomplete, "some runs did not happen"
	}
	return RunComplete, ""
}

// Failed reports whether a finished run is not a complete success: it did
// not complete, or a cell failed (harness run then exits 3).
func (m *Manifest) Failed() bool {
	if m.Status != RunComplete {
		return true
	}
	for _, c := range m.Cells {
		if c.Status.Failed() {
			return true
		}
	}
	return false
}

// FirstLine is the first line of a reason, what one-line views show (a
// crash's reason goes on with its stderr's tail).
func FirstLine(reason string) string {
	line, _, _ := strings.Cut(reason, "\n")
	return line
}

// Cell returns the cell with the given id, or nil.
func (m *Manifest) Cell(id string) *Cell {
	for _, c := range m.Cells {
		if c.ID == id {
			return c
		}
	}
	return nil
}

// ListRuns returns the results folders under root, newest first, skipping
// entries that are not folders with a manifest.
func ListRuns(root string) ([]string, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() || e.Name() == LatestLink {
			continue
		}
		if _, err := os.Stat(filepath.Join(root, e.Name(), ManifestFile)); err == nil {
			out = append(out, filepath.Join(root, e.Name()))
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(out)))
	return out, nil
}

// SetLatest points root/latest at the run folder (a relative symlink,
// replaced atomically).
func SetLatest(root, runID string) error {
	tmp := filepath.Join(root, ".latest."+shortHash(runID+time.Now().String()))
	if err := os.Symlink(runID, tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(root, LatestLink)); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// QuestionsOf records a spec's questions.
func QuestionsOf(qs []spec.Question) []Question {
	var out []Question
	for _, q := range qs {
		out = append(out, Question{Title: q.Title, Workloads: q.Workloads, By: q.By, Base: slices.Clone(q.Base),
			Metrics: q.Metrics, Fixed: q.Fixed, Where: slices.Clone(q.Where), Derived: q.Derived})
	}
	return out
}

// Spec returns the recorded question in the spec package's terms.
func (q Question) Spec() spec.Question {
	return spec.Question{Title: q.Title, Workloads: q.Workloads, By: q.By, Base: slices.Clone(q.Base),
		Metrics: q.Metrics, Fixed: q.Fixed, Where: slices.Clone(q.Where), Derived: q.Derived}
}

// Points returns the manifest's cells as the question model sees them:
// values as in bench.txt (toolchains by version), the default as "".
func (m *Manifest) Points() []spec.Point {
	out := make([]spec.Point, len(m.Cells))
	for i, c := range m.Cells {
		p := spec.Point{ID: c.ID, Workload: c.Workload, Kind: c.Kind, Values: map[spec.Dimension]string{}}
		if c.Op != "" {
			p.Values[spec.DimOp] = c.Op
		}
		for _, kv := range c.Config {
			if kv.Key == "workload" || kv.Value == "default" {
				continue
			}
			p.Values[spec.Dimension(kv.Key)] = kv.Value
		}
		out[i] = p
	}
	return out
}

// SpecQuestions returns the run's questions in the terms of its bench.txt
// (Points): a toolchain named in the spec ("local") by its version, as
// the cells' configuration has it. A run recorded before questions existed
// gets the derived ones.
func (m *Manifest) SpecQuestions(points []spec.Point) []spec.Question {
	if len(m.Questions) == 0 {
		return spec.DeriveQuestions(points)
	}
	versions := map[string]string{}
	for _, t := range m.Toolchains {
		if t.Version != "" {
			versions[t.Name] = t.Version
		}
	}
	conv := func(kvs []spec.KV) []spec.KV {
		out := slices.Clone(kvs)
		for i, kv := range out {
			if kv.Key == string(spec.DimToolchain) && versions[kv.Value] != "" {
				out[i].Value = versions[kv.Value]
			}
		}
		return out
	}
	var out []spec.Question
	for i, rq := range m.Questions {
		q := rq.Spec()
		q.Base, q.Where = conv(q.Base), conv(q.Where)
		q.Path = fmt.Sprintf("questions[%d]", i)
		out = append(out, q)
	}
	return out
}
