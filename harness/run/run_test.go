package run

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perfharness/harness/harness/host"
	"github.com/perfharness/harness/harness/plan"
	"github.com/perfharness/harness/harness/results"
	"github.com/perfharness/harness/harness/spec"
	"github.com/perfharness/harness/harness/toolchain"
)

// These tests run plans in-process, with a fake Builder whose every binary
// is this test binary: started with the run protocol's flags, it is the
// tiny noop workload below instead of a test (see TestMain). They cover the runner's own
// logic — resume, retries, builds failing, the PGO pass, interrupts — in
// seconds; the end-to-end tests in harness/ run real workloads.

// noopWorkload speaks the run protocol (see workloads/driver) without
// running anything: it writes result.json and bench.txt into -out, and
// cpu.pprof when asked for the cpu profile. Its ops:
//
//	ok     an ok run
//	flaky  misses its rate on the first attempt of each repetition, then ok
//	stall  always misses its rate
//
// Every start is counted in the file -param count=FILE names, one line per
// start: "op seed".
func noopWorkload(args []string) int {
	if args[0] == "-list-ops" {
		fmt.Println(`{"protocol": 1, "ops": ["ok", "flaky", "stall"], "max_rate": 0}`)
		return 0
	}
	// Every flag of the protocol takes a value; the noop uses a few.
	flags, params := map[string]string{}, map[string]string{}
	for i := 0; i+1 < len(args); i += 2 {
		if k, v, ok := strings.Cut(args[i+1], "="); args[i] == "-param" && ok {
			params[k] = v
		}
		flags[strings.TrimPrefix(args[i], "-")] = args[i+1]
	}
	out, op, profiles := flags["out"], flags["op"], flags["profiles"]
	seed, _ := strconv.ParseInt(flags["seed"], 10, 64)
	rate, _ := strconv.ParseFloat(flags["rate"], 64)
	starts := 0
	if file := params["count"]; file != "" {
		data, _ := os.ReadFile(file)
		starts = strings.Count(string(data), fmt.Sprintf("%s %d\n", op, seed))
		f, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return 1
		}
		fmt.Fprintf(f, "%s %d\n", op, seed)
		f.Close()
	}
	status, reason := "ok", ""
	if op == "stall" || op == "flaky" && starts == 0 {
		status, reason = "rate-not-achieved", "backlog reached 100 ops"
	}
	res := fmt.Sprintf(`{"format": 1, "status": %q, "reason": %q, "target_rate": %g, "achieved_rate": %g, "completed": 100,
		"latency": {"p50_ns": 1000, "p99_ns": 2000, "max_ns": 3000}}`, status, reason, rate, rate)
	bench := fmt.Sprintf("Unit p50-ns better=lower assume=nothing\nBenchmarkNoop/op=%s 100 1000 ns/op 1000 p50-ns\n", op)
	files := map[string]string{results.ResultFile: res, results.BenchFile: bench}
	if strings.Contains(profiles, "cpu") {
		files["cpu.pprof"] = "a profile"
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(out, name), []byte(data), 0o644); err != nil {
			return 1
		}
	}
	return 0
}

// A fakeBuilder builds nothing: every binary is the test binary. It fails
// the builds named in fail and records what it was asked.
type fakeBuilder struct {
	fail map[string]bool // by plan build key

	mu    sync.Mutex
	calls []string // "key" or "key -pgo=profile"
	kept  map[string]string
}

var _ Builder = (*fakeBuilder)(nil)

func (f *fakeBuilder) Build(ctx context.Context, b *plan.Build, profile string) (*results.Build, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	call := b.Key
	if profile != "" {
		call += " -pgo=" + filepath.Base(profile)
	}
	f.calls = append(f.calls, call)
	if f.fail[b.Key] {
		return nil, fmt.Errorf("building %s: exit status 1\nw.go:3:1: syntax error: unexpected }", b.Key)
	}
	return &results.Build{Key: b.Key, Status: results.StatusOK, Binary: os.Args[0], CacheKey: call, BuildNs: 1e9, SizeB: 1 << 20}, nil
}

func (f *fakeBuilder) KeptProfile(b *plan.Build) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.kept[b.Key]
	return p, ok
}

func (f *fakeBuilder) KeepProfile(b *plan.Build, file string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.kept == nil {
		f.kept = map[string]string{}
	}
	f.kept[b.Key] = file + ".kept"
	return f.kept[b.Key], os.WriteFile(f.kept[b.Key], []byte("kept"), 0o644)
}

func (f *fakeBuilder) BuildTool(ctx context.Context, tc *toolchain.Toolchain, moduleDir, pkg string) (*results.Build, error) {
	return nil, errors.New("no tools here")
}

// fakePlan plans a spec of the noop workload on this host; count names
// the file the workload counts its starts in.
func fakePlan(t *testing.T, body string) (p *plan.Plan, count string) {
	t.Helper()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, ".git"), 0o755)
	os.MkdirAll(filepath.Join(dir, "w"), 0o755)
	count = filepath.Join(dir, "starts")
	src := fmt.Sprintf(`name: fake
toolchains: [local]
%s
runs: {count: 1, retries: 1}
`, strings.ReplaceAll(body, "COUNT", count))
	file := filepath.Join(dir, "bench.yaml")
	os.WriteFile(file, []byte(src), 0o644)
	s, err := spec.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	p, err = plan.Make(context.Background(), s, host.Detect(), plan.Options{Resolver: resolver})
	if err != nil {
		t.Fatal(err)
	}
	return p, count
}

// resolver resolves the local toolchain once for every test.
var resolver = &toolchain.Resolver{}

func workload(name, ops string, extra ...string) string {
	return fmt.Sprintf(`  - {name: %s, kind: fixed-rate, package: ./w, ops: [%s], rate: 100/s, duration: 10ms, warmup: 0s, params: {count: COUNT}%s}
`, name, ops, strings.Join(extra, ""))
}

func execute(t *testing.T, p *plan.Plan, b Builder, edit func(o *Options)) (*results.Dir, *results.Manifest, string) {
	t.Helper()
	var progress strings.Builder
	o := Options{ResultsRoot: filepath.Join(filepath.Dir(p.Spec.File), "results"), LockPath: filepath.Join(filepath.Dir(p.Spec.File), "lock"),
		Builder: b, Progress: &progress, Grace: time.Second}
	if edit != nil {
		edit(&o)
	}
	d, m, err := Execute(context.Background(), p, o)
	if err != nil {
		t.Fatalf("%v\n%s", err, progress.String())
	}
	if again, err := d.ReadManifest(); err != nil || again.Status != m.Status {
		t.Fatalf("the manifest on disk: %v, %v", again, err)
	}
	return d, m, progress.String()
}

func statuses(m *results.Manifest) map[string]string {
	out := map[string]string{}
	for _, c := range m.Cells {
		var runs []string
		for _, r := range c.Runs {
			s := string(r.Status)
			for _, a := range r.Attempts {
				s = string(a.Status) + ">" + s
			}
			runs = append(runs, s)
		}
		out[c.ID] = fmt.Sprintf("%s %v", c.Status, runs)
	}
	return out
}

func TestRetries(t *testing.T) {

	p, _ := fakePlan(t, "workloads:\n"+workload("w", "ok, flaky, stall"))
	d, m, progress := execute(t, p, &fakeBuilder{}, func(o *Options) { o.Count = 2 })
	want := map[string]string{
		"w/ok/local":    "ok [ok ok]",
		"w/flaky/local": "ok [rate-not-achieved>ok rate-not-achieved>ok]",
		"w/stall/local": "rate-not-achieved [rate-not-achieved>rate-not-achieved rate-not-achieved>rate-not-achieved]",
	}
	if got := statuses(m); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("cells:\n%v\nwant\n%v", got, want)
		for _, c := range m.Cells {
			t.Logf("%s: %s", c.ID, c.Reason)
		}
	}
	if m.Status != results.RunIncomplete || !strings.Contains(progress, "retrying 4 runs whose figures could not be trusted (up to 1 more attempt each)") {
		t.Errorf("status %s; progress:\n%s", m.Status, progress)
	}
	for _, c := range m.Cells {
		for _, r := range c.Runs {
			for _, a := range r.Attempts {
				if _, err := os.Stat(filepath.Join(d.Path, a.Dir, results.ResultFile)); err != nil {
					t.Errorf("%s run %d: the attempt's folder is gone: %v", c.ID, r.Index, err)
				}
			}
		}
	}
	// Only the last attempts of ok runs reach bench.txt.
	bench, _ := os.ReadFile(filepath.Join(d.Path, results.BenchFile))
	if n := strings.Count(string(bench), "BenchmarkNoop/op=flaky"); n != 2 || strings.Contains(string(bench), "op=stall") {
		t.Errorf("bench.txt:\n%s", bench)
	}
}

func TestBuildFailure(t *testing.T) {

	p, count := fakePlan(t, "workloads:\n"+workload("good", "ok")+workload("bad", "ok"))
	b := &fakeBuilder{fail: map[string]bool{}}
	for _, pb := range p.Builds {
		if strings.HasPrefix(pb.Key, "bad") {
			b.fail[pb.Key] = true
		}
	}
	d, m, progress := execute(t, p, b, nil)
	bad, good := m.Cell("bad/ok/local"), m.Cell("good/ok/local")
	if bad.Status != results.StatusBuildFailed || !strings.Contains(bad.Reason, "syntax error") || good.Status != results.StatusOK {
		t.Errorf("bad: %s %q; good: %s", bad.Status, bad.Reason, good.Status)
	}
	if m.Status != results.RunIncomplete || m.Reason != "some cells failed; see their reasons" {
		t.Errorf("run %s: %s", m.Status, m.Reason)
	}
	if !strings.Contains(progress, ": FAILED: w.go:3:1: syntax error") {
		t.Errorf("the progress does not show the compiler's line:\n%s", progress)
	}
	if starts, _ := os.ReadFile(count); strings.Count(string(starts), "\n") != 1 {
		t.Errorf("workload starts:\n%s; want the good cell's run", starts)
	}
	var sum strings.Builder
	Summary(&sum, d, m)
	if !strings.Contains(sum.String(), "build-failed  bad/ok/local") || !strings.Contains(sum.String(), "w.go:3:1: syntax error") {
		t.Errorf("summary:\n%s", sum.String())
	}

	// A resume gives the failed build another chance.
	delete(b.fail, p.Builds[0].Key)
	delete(b.fail, p.Builds[len(p.Builds)-1].Key)
	_, m, _ = execute(t, p, b, func(o *Options) { o.Resume = d.Path })
	if m.Status != results.RunComplete || m.Cell("bad/ok/local").Status != results.StatusOK {
		t.Errorf("resumed: %s %v", m.Status, statuses(m))
	}
	if starts, _ := os.ReadFile(count); strings.Count(string(starts), "\n") != 2 {
		t.Errorf("workload starts:\n%s; want the good cell's run, then only the bad cell's", starts)
	}
}

func TestPGO(t *testing.T) {

	p, count := fakePlan(t, "matrix: {pgo: [auto]}\nworkloads:\n"+workload("w", "ok"))
	b := &fakeBuilder{}
	d, m, progress := execute(t, p, b, nil)
	key := p.Builds[0].Key
	want := []string{key + "+profiling-pass", key + " -pgo=cpu.pprof.kept"}
	if !slices.Equal(b.calls, want) {
		t.Errorf("builds %q, want the profiling pass, then the build with its kept profile %q", b.calls, want)
	}
	if m.Status != results.RunComplete || !strings.Contains(progress, "profiling pass of w/ok/local") {
		t.Errorf("run %s:\n%s", m.Status, progress)
	}
	if _, err := os.Stat(filepath.Join(d.Path, "pgo", results.CellDir(key), "cpu.pprof")); err != nil {
		t.Errorf("the profiling pass's folder: %v", err)
	}
	var built []string
	for _, rb := range m.Builds {
		built = append(built, fmt.Sprintf("%s %s", rb.Key, rb.Status))
	}
	if !slices.Contains(built, key+"+profiling-pass ok") || !slices.Contains(built, key+" ok") {
		t.Errorf("manifest builds %v", built)
	}
	// An unchanged matrix reuses the kept profile: no profiling run.
	starts, _ := os.ReadFile(count)
	b.calls = nil
	_, m, progress = execute(t, p, b, nil)
	if want := []string{key + "+profiling-pass", key + " -pgo=cpu.pprof.kept"}; !slices.Equal(b.calls, want) || !strings.Contains(progress, "reusing the PGO profile") {
		t.Errorf("second run: builds %q\n%s", b.calls, progress)
	}
	if again, _ := os.ReadFile(count); strings.Count(string(again), "\n")-strings.Count(string(starts), "\n") != 1 {
		t.Errorf("the second run profiled again:\n%s", again)
	}
}

func TestInterruptAndResume(t *testing.T) {

	p, count := fakePlan(t, "workloads:\n"+workload("w", "ok, flaky"))
	soft := make(chan struct{})
	var once sync.Once
	d, m, progress := execute(t, p, &fakeBuilder{}, func(o *Options) {
		o.Soft = soft
		o.AfterRun = func(*results.Dir, *results.Cell, *results.Run, int, int) { once.Do(func() { close(soft) }) }
	})
	if m.Status != results.RunInterrupted || !strings.Contains(progress, "stopping: 1 of 2 runs done") {
		t.Fatalf("after the first interrupt: %s\n%s", m.Status, progress)
	}
	finished := 0
	for _, c := range m.Cells {
		for _, r := range c.Runs {
			if r.Finished() {
				finished++
			}
		}
	}
	if finished != 1 {
		t.Errorf("%d runs finished, want the one in progress", finished)
	}
	_, m, progress = execute(t, p, &fakeBuilder{}, func(o *Options) { o.Resume = d.Path })
	if m.Status != results.RunComplete || !strings.Contains(progress, "resuming "+d.Path) || !strings.Contains(m.Warnings[len(m.Warnings)-1], "resumed at") {
		t.Errorf("resumed: %s %v\n%s", m.Status, statuses(m), progress)
	}
	// 2 runs, each once, plus the retry of flaky's.
	if starts, _ := os.ReadFile(count); strings.Count(string(starts), "\n") != 3 {
		t.Errorf("workload starts:\n%s; want every run once and flaky's retries", starts)
	}
	orders := map[int]bool{}
	for _, c := range m.Cells {
		for _, r := range c.Runs {
			if orders[r.Order] {
				t.Errorf("order %d given twice", r.Order)
			}
			orders[r.Order] = true
		}
	}
	if _, _, err := Execute(context.Background(), p, Options{Resume: d.Path, Builder: &fakeBuilder{}, LockPath: filepath.Join(t.TempDir(), "lock")}); err == nil ||
		!strings.Contains(err.Error(), "is complete: nothing to resume") {
		t.Errorf("resuming a complete run: %v", err)
	}
}

func TestReplan(t *testing.T) {

	p, _ := fakePlan(t, "workloads:\n"+workload("w", "ok"))
	d, m, _ := execute(t, p, &fakeBuilder{}, nil)
	again, m2, err := Replan(context.Background(), d.Path, host.Detect(), nil)
	if err != nil || len(again.Cells) != len(p.Cells) || m2.RunID != m.RunID {
		t.Fatalf("replan: %v", err)
	}
	copyFile := filepath.Join(d.Path, results.SpecFile)
	data, _ := os.ReadFile(copyFile)
	os.WriteFile(copyFile, append(data, "# edited\n"...), 0o644)
	if _, _, err := Replan(context.Background(), d.Path, host.Detect(), nil); err == nil || !strings.Contains(err.Error(), "does not match the manifest's sha256") {
		t.Errorf("an edited spec copy: %v", err)
	}
	var manifest map[string]any
	raw, _ := os.ReadFile(filepath.Join(d.Path, results.ManifestFile))
	if json.Unmarshal(raw, &manifest) != nil || manifest["status"] != "complete" {
		t.Errorf("manifest status %v", manifest["status"])
	}
}
