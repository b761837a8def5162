package run

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/perfharness/harness/harness/instr"
	"github.com/perfharness/harness/harness/plan"
	"github.com/perfharness/harness/harness/results"
	"github.com/perfharness/harness/harness/spec"
)

// InstrFile is the file an instructions run leaves in its folder, beside
// bench.txt: how the instructions were counted and every count.
const InstrFile = "instr.json"

// instrFormat is the version of instr.json's layout.
const instrFormat = 1

// instrSeed is the seed every counted run of a fixed-rate op gets: runs of
// the instructions tier must count the same work, repetition after
// repetition and run after run.
const instrSeed = 1

// An instrCells holds, for one harness run, what each instructions cell
// decided on its first repetition: its benchmarks and their iteration
// counts. Later repetitions count with the same N.
type instrCells struct {
	mu    sync.Mutex
	cells map[string]*instrCell // by cell id
}

type instrCell struct {
	benches []*instrBench
}

// An instrBench is one benchmark of an instructions cell: a go test
// benchmark (selected alone by pattern), or a fixed-rate op.
type instrBench struct {
	Name    string             `json:"name"`              // as go test or the driver names it in bench.txt
	Pattern string             `json:"pattern,omitempty"` // -test.bench selecting exactly this benchmark
	N       uint64             `json:"n"`
	Calib   *instr.Calibration `json:"calibration,omitempty"` // how N was chosen (nil when the spec pins it)
}

// instrResult is instr.json.
type instrResult struct {
	Format     int           `json:"format"`
	Valgrind   string        `json:"valgrind"`
	Tool       string        `json:"tool"`
	Method     string        `json:"method"`
	Env        []string      `json:"env"` // the counted process's GOMAXPROCS and GODEBUG
	VirtualCPU *instr.CPU    `json:"virtual_cpu"`
	Benchmarks []instrSample `json:"benchmarks"`
}

type instrSample struct {
	instrBench
	Sample      *instr.Sample `json:"sample"`
	AllocsPerOp float64       `json:"allocs_per_op"`
	BytesPerOp  float64       `json:"bytes_per_op"`
	// Wall times of the two counted runs under valgrind (2 and N
	// iterations): what the tier costs, against a native run.
	BaseRunNs    int64 `json:"base_run_ns"`
	CountedRunNs int64 `json:"counted_run_ns"`
}

// errRunFailed says a counted process ended badly; the run's status and
// reason already say how.
var errRunFailed = errors.New("counted run failed")

// instrTimeout is the deadline of one counted process: the workload's or
// the spec's timeout, else half an hour (valgrind is slow, and the harness
// cannot know the op's cost before the pilots).
func (r *Runner) instrTimeout(c *plan.Cell) time.Duration {
	if t := c.Workload.Timeout.D(); t > 0 {
		return t
	}
	if t := r.plan.Spec.Runs.Timeout.D(); t > 0 {
		return t
	}
	return 30 * time.Minute
}

// runInstructions counts one repetition of an instructions cell: for each
// benchmark (go test) or for the op (fixed-rate), a sample of two counted
// runs, Base and N iterations, under valgrind. The first repetition also
// lists the benchmarks and picks each one's N.
func (r *Runner) runInstructions(ctx context.Context, c *plan.Cell, run *results.Run, bt *results.Build, dir string) {
	v := r.plan.Valgrind
	if v == nil || c.VirtualCPU == nil {
		run.Status, run.Reason = results.StatusFailed, "instructions tier: valgrind was not found at plan time"
		return
	}
	ic, err := r.instrCell(ctx, c, run, bt, dir)
	if err != nil {
		if !errors.Is(err, errRunFailed) {
			run.Status, run.Reason = results.StatusFailed, err.Error()
		}
		return
	}
	res := instrResult{
		Format: instrFormat, Valgrind: v.Version, Tool: v.ToolDescription(),
		Method:     fmt.Sprintf("instructions per op = (count of N iterations - count of %d) / (N - %d), GOMAXPROCS=1", instr.Base, instr.Base),
		VirtualCPU: c.VirtualCPU,
	}
	for _, kv := range c.RunEnv {
		if strings.HasPrefix(kv, "GODEBUG=") || strings.HasPrefix(kv, "GOMAXPROCS=") {
			res.Env = append(res.Env, kv)
		}
	}
	var bench bytes.Buffer
	bench.WriteString("Unit instructions/op better=lower assume=nothing\n")
	for i, b := range ic.benches {
		var last *counted
		count := r.counter(c, bt, dir, fmt.Sprintf("bench%d", i+1), b, run, &last)
		s, err := instr.Measure(ctx, count, b.N)
		if err != nil {
			if !errors.Is(err, errRunFailed) {
				run.Status, run.Reason = results.StatusFailed, fmt.Sprintf("%s: %v", b.Name, err)
			}
			return
		}
		allocs, bytesPerOp := last.metrics["allocs/op"], last.metrics["B/op"]
		res.Benchmarks = append(res.Benchmarks, instrSample{instrBench: *b, Sample: s,
			AllocsPerOp: allocs, BytesPerOp: bytesPerOp, BaseRunNs: last.prevWall.Nanoseconds(), CountedRunNs: last.wall.Nanoseconds()})
		fmt.Fprintf(&bench, "%s\t%d\t%s instructions/op\t%s allocs/op\t%s B/op\n",
			b.Name, b.N, strconv.FormatFloat(s.PerOp, 'f', 1, 64), fmtFloat(allocs), fmtFloat(bytesPerOp))
		if err := gzipFile(last.profile); err != nil {
			run.Warnings = append(run.Warnings, fmt.Sprintf("keeping %s: %v", filepath.Base(last.profile), err))
		}
	}
	data, err := json.MarshalIndent(res, "", "  ")
	if err == nil {
		err = results.WriteFileAtomic(filepath.Join(dir, InstrFile), append(data, '\n'))
	}
	if err == nil {
		err = results.WriteFileAtomic(filepath.Join(dir, "bench.txt"), bench.Bytes())
	}
	if err != nil {
		run.Status, run.Reason = results.StatusFailed, err.Error()
		return
	}
	run.Status, run.Reason = results.StatusOK, ""
	run.Warnings = dedupe(run.Warnings) // each counted run of a driver repeats its warnings
}

func dedupe(ws []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, w := range ws {
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

// virtualCPU is the manifest's record of the virtual CPU a cell is
// counted on.
func virtualCPU(v *instr.Valgrind, c *instr.CPU) *results.VirtualCPU {
	vc := &results.VirtualCPU{Valgrind: v.Version, Tool: v.ToolDescription(), Level: c.Level,
		Hidden: c.Hidden(), Masked: c.Masks(), Features: []string{}}
	for f, on := range c.Virtual {
		if on {
			vc.Features = append(vc.Features, f)
		}
	}
	sort.Strings(vc.Features)
	return vc
}

func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// instrCell returns the cell's benchmarks and iteration counts, deciding
// them on the cell's first repetition: the benchmarks a go test pattern
// matches, each one's N from pilot runs (or the spec's iterations).
func (r *Runner) instrCell(ctx context.Context, c *plan.Cell, run *results.Run, bt *results.Build, dir string) (*instrCell, error) {
	r.instr.mu.Lock()
	defer r.instr.mu.Unlock()
	if r.instr.cells == nil {
		r.instr.cells = map[string]*instrCell{}
	}
	if ic, ok := r.instr.cells[c.ID]; ok {
		return ic, nil
	}
	ic := &instrCell{}
	if c.Workload.Kind == spec.KindGoTest {
		names, err := r.listBenchmarks(ctx, c, run, bt, dir)
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			ic.benches = append(ic.benches, &instrBench{Name: n, Pattern: benchPattern(n)})
		}
	} else {
		ic.benches = []*instrBench{{}}
	}
	for i, b := range ic.benches {
		if n := c.Workload.Iterations; n > 0 {
			b.N = max(uint64(n), instr.MinN)
		} else {
			cal, err := instr.Calibrate(ctx, r.counter(c, bt, dir, fmt.Sprintf("pilot%d", i+1), b, run, nil), 0)
			if err != nil {
				if errors.Is(err, errRunFailed) {
					return nil, err
				}
				return nil, fmt.Errorf("choosing the iterations of %s: %w", orName(b.Name, c.Op), err)
			}
			b.N, b.Calib = cal.N, cal
		}
	}
	r.instr.cells[c.ID] = ic
	return ic, nil
}

func orName(name, op string) string {
	if name != "" {
		return name
	}
	return "op " + op
}

// A counted is what one counted process left: its profile, and the result
// line's metrics (go test's -benchmem figures, or the driver's bench.txt).
type counted struct {
	profile  string
	metrics  map[string]float64
	wall     time.Duration
	prevWall time.Duration // the previous run's (the base run's, for the N run)
}

// counter returns the instr.Counter of one benchmark of a cell: each call
// runs the cell's binary under valgrind with n iterations, in the run's
// folder, files named after prefix and n ("bench1.500x.valgrind.log"). A process that fails sets the
// run's status and reason and returns errRunFailed. last, when set,
// receives what the latest run left; a fixed-rate benchmark learns its
// name from it.
func (r *Runner) counter(c *plan.Cell, bt *results.Build, dir, prefix string, b *instrBench, run *results.Run, last **counted) instr.Counter {
	v := r.plan.Valgrind
	return func(ctx context.Context, n uint64) (*instr.Profile, error) {
		stem := fmt.Sprintf("%s.%dx", prefix, n)
		out := filepath.Join(dir, stem+".cachegrind.out")
		p := Proc{Env: c.RunEnv, Stdout: filepath.Join(dir, stem+".stdout.log"), Stderr: filepath.Join(dir, stem+".stderr.log"),
			CPUs: r.cpus(c), Timeout: r.instrTimeout(c), Grace: r.opts.Grace}
		var args []string
		var parser *benchParser
		driverDir := ""
		if c.Workload.Kind == spec.KindGoTest {
			// The result line comes from the testing package's framing
			// (see benchParser), for the one benchmark the listing found.
			top, _, _ := strings.Cut(benchBase(b.Name), "/")
			parser = newBenchParser(map[string]bool{top: true})
			p.StdoutLines = parser.line
			args = []string{"-test.run=^$", "-test.bench=" + b.Pattern, "-test.count=1",
				"-test.benchtime=" + strconv.FormatUint(n, 10) + "x", "-test.benchmem", "-test.v=test2json"}
			p.Dir = c.Build.Package
		} else {
			driverDir = filepath.Join(dir, stem)
			args = []string{"-name", c.Workload.Name, "-op", c.Op, "-iterations", strconv.FormatUint(n, 10),
				"-out", driverDir, "-seed", strconv.Itoa(instrSeed)}
			for _, kv := range c.Workload.Params {
				args = append(args, "-param", kv.Key+"="+kv.Value)
			}
			p.Dir = dir
		}
		argv := v.Command(out, filepath.Join(dir, stem+".valgrind.log"), bt.Binary, args...)
		p.Path, p.Args = argv[0], argv[1:]
		start := time.Now()
		exit := Run(ctx, p)
		wall := time.Since(start)
		if driverDir != "" {
			classify(run, exit, p, driverDir, true, float64(c.Workload.MaxErrors))
		} else {
			classify(run, exit, p, dir, false, 0)
		}
		if run.Status != results.StatusOK {
			if exit.Code != 0 && exit.Signal == "" && !exit.TimedOut {
				if vt := fileTail(filepath.Join(dir, stem+".valgrind.log"), 5); vt != "" {
					run.Reason += "\nvalgrind: " + vt
				}
			}
			run.Reason = fmt.Sprintf("counted run (%d iterations, under valgrind): %s", n, run.Reason)
			return nil, errRunFailed
		}
		// None of the driver's time figures mean anything under valgrind,
		// and an instruction count does not depend on the host's
		// contention: the gate must not refuse instructions rows for it.
		run.TargetRate, run.AchievedRate, run.P50Ns, run.P99Ns, run.MaxNs = 0, 0, 0, 0, 0
		run.Contention = nil
		f, err := os.Open(out)
		if err != nil {
			return nil, fmt.Errorf("counted run with %d iterations left no cachegrind output: %w", n, err)
		}
		prof, err := instr.ParseProfile(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Base(out), err)
		}
		k := &counted{profile: out, wall: wall}
		if driverDir != "" {
			k.metrics, b.Name, err = resultLine(filepath.Join(driverDir, "bench.txt"), "")
		} else {
			addWarnings(run, parser.warnings())
			k.metrics, _, err = parseResultLine(parser.results, b.Name)
			if err != nil {
				err = fmt.Errorf("go test printed no result line for %s", b.Name)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("counted run with %d iterations: %w", n, err)
		}
		if last != nil {
			if *last != nil {
				k.prevWall = (*last).wall
				os.Remove((*last).profile) // only the N run's profile is kept
			}
			*last = k
		} else {
			os.Remove(out) // pilots' profiles are not kept
		}
		return prof, nil
	}
}

// addWarnings adds warnings a run does not have yet (each counted process
// of a cell may find the same).
func addWarnings(run *results.Run, ws []string) {
	for _, w := range ws {
		if !slices.Contains(run.Warnings, w) {
			run.Warnings = append(run.Warnings, w)
		}
	}
}

// resultLine finds a benchmark result line in a driver's bench.txt (see
// parseResultLine).
func resultLine(path, want string) (map[string]float64, string, error) {
	data, err := results.ReadFileIn(filepath.Dir(path), filepath.Base(path))
	if err != nil {
		return nil, "", err
	}
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	m, name, err := parseResultLine(lines, want)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return m, name, nil
}

// parseResultLine finds a benchmark result line — the one named want, or
// the first when want is empty — and returns its metrics by unit and its
// name.
func parseResultLine(lines []string, want string) (map[string]float64, string, error) {
	for _, l := range lines {
		r, ok := results.ParseResultLine(l)
		if !ok || want != "" && r.Name != want {
			continue
		}
		m := map[string]float64{}
		for _, x := range r.Metrics {
			m[x.Unit] = x.Value
		}
		return m, r.Name, nil
	}
	if want == "" {
		want = "a benchmark"
	}
	return nil, "", fmt.Errorf("no result line for %s", want)
}

// listBenchmarks runs the test binary natively, once per benchmark
// (-test.benchtime=1x), to learn the names the cell's pattern selects:
// each is counted on its own, since a process's count cannot be split
// between benchmarks.
func (r *Runner) listBenchmarks(ctx context.Context, c *plan.Cell, run *results.Run, bt *results.Build, dir string) ([]string, error) {
	if !framedGoVersion(bt.GoVersion) {
		return nil, fmt.Errorf("go test benchmarks need a test binary built by go1.%d or later (results are read from the testing package's framed output); this one was built by %s", minFramedGo, bt.GoVersion)
	}
	base := Proc{Path: bt.Binary, Env: c.RunEnv, Dir: c.Build.Package, CPUs: r.cpus(c), Timeout: r.timeout(c), Grace: r.opts.Grace}
	listed, err := listBenchmarks(ctx, base)
	if err != nil {
		return nil, err
	}
	parser := newBenchParser(listed)
	p := base
	p.Args = []string{"-test.run=^$", "-test.bench=" + c.Workload.Bench, "-test.count=1", "-test.benchtime=1x", "-test.v=test2json"}
	p.Stdout, p.Stderr, p.StdoutLines = filepath.Join(dir, "list.stdout.log"), filepath.Join(dir, "list.stderr.log"), parser.line
	exit := Run(ctx, p)
	addWarnings(run, parser.warnings())
	lines := parser.results
	classify(run, exit, p, dir, false, 0)
	if run.Status != results.StatusOK {
		run.Reason = "listing the benchmarks: " + run.Reason
		return nil, errRunFailed
	}
	var names []string
	seen := map[string]bool{}
	for _, l := range lines {
		if r, ok := results.ParseResultLine(l); ok && !seen[r.Name] {
			seen[r.Name] = true
			names = append(names, r.Name)
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no benchmark matched -test.bench=%s", c.Workload.Bench)
	}
	return names, nil
}

// benchPattern is the -test.bench value that selects exactly the benchmark
// named name (sub-benchmarks included): each level anchored and quoted.
func benchPattern(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return strings.Join(parts, "/")
}

// gzipFile replaces path with path.gz.
func gzipFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(data)
	if err := zw.Close(); err != nil {
		return err
	}
	if err := results.WriteFileAtomic(path+".gz", b.Bytes()); err != nil {
		return err
	}
	return os.Remove(path)
}

// fileTail returns the last n lines of a file valgrind wrote (its log), for
// failure reasons, reading only its last 8 KiB.
func fileTail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return ""
	}
	const maxBytes = 8 << 10
	data := make([]byte, min(fi.Size(), maxBytes))
	k, _ := f.ReadAt(data, fi.Size()-int64(len(data)))
	return lastLines(data[:k], n)
}
