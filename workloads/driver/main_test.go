package driver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as a workload process for end-to-end tests.
func TestMain(m *testing.M) {
	if os.Getenv("DRIVER_TEST_WORKLOAD") == "1" {
		Main(testOps())
	}
	os.Exit(m.Run())
}

type paramOp struct {
	Func
	size int
}

func (o *paramOp) Setup(_ context.Context, p Params) error {
	var err error
	o.size, err = p.Int("size", 8)
	return err
}

func testOps() Ops {
	var (
		once    sync.Once
		first   time.Time
		stalled atomic.Bool
	)
	return Ops{
		"noop": Func(func(context.Context) error { return nil }),
		// stall sleeps for 1 s once, 5 s after its first call.
		"stall": Func(func(context.Context) error {
			once.Do(func() { first = time.Now() })
			if time.Since(first) >= 5*time.Second && stalled.CompareAndSwap(false, true) {
				time.Sleep(time.Second)
			}
			return nil
		}),
		"param":    &paramOp{Func: func(context.Context) error { return nil }},
		"badsetup": &paramOp{Func: func(context.Context) error { return nil }},
	}
}

func runCommand(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = Command(context.Background(), testOps(), args, &o, &e)
	return code, o.String(), e.String()
}

func readResult(t *testing.T, dir string) *Result {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "result.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r Result
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("result.json: %v", err)
	}
	return &r
}

func TestList(t *testing.T) {
	code, out, _ := runCommand(t, "-list")
	if code != 0 || out != "badsetup\nnoop\nparam\nstall\n" {
		t.Errorf("-list: exit %d, output %q; want 0 and the sorted op names", code, out)
	}
}

func TestListOps(t *testing.T) {
	code, out, _ := runCommand(t, "-list-ops")
	var got OpList
	if err := json.Unmarshal([]byte(out), &got); err != nil || code != 0 {
		t.Fatalf("-list-ops: exit %d, output %q: %v", code, out, err)
	}
	want := OpList{Protocol: ProtocolVersion, Ops: []string{"badsetup", "noop", "param", "stall"}, MaxRate: MaxRate}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("-list-ops = %+v, want %+v", got, want)
	}
	// The limit it states is the one the schedule enforces.
	if _, err := Constant(MaxRate, time.Second); err != nil {
		t.Errorf("a schedule at MaxRate: %v", err)
	}
	if _, err := Constant(math.Nextafter(MaxRate, math.Inf(1)), time.Second); err == nil {
		t.Error("a schedule above MaxRate was accepted")
	}
}

func TestFlagErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{"-rate", "10"}, []string{"-op: required", "-out: required"}},
		{[]string{"-op", "noop", "-out", "X", "-rate", "0"}, []string{"-rate: must be > 0"}},
		{[]string{"-op", "noop", "-out", "X", "-rate", "5", "-schedule", "steps:1,2"}, []string{"-rate and -schedule: give one"}},
		{[]string{"-op", "noop", "-out", "X", "-schedule", "sine:3"}, []string{"unknown kind"}},
		{[]string{"-op", "noop", "-out", "X", "-rate", "5", "-concurrency", "0", "-duration", "-1s", "-rate-tolerance", "2", "-max-lag-p99", "-1s", "-max-lag-share", "0", "-max-cpu-withheld", "1.5"},
			[]string{"-concurrency: must be >= 1", "-duration: must be > 0", "-rate-tolerance: must be in [0, 1)", "-max-lag-p99: must be >= 0",
				"-max-lag-share: must be in (0, 1]", "-max-cpu-withheld: must be in (0, 1]"}},
		{[]string{"-op", "nope", "-out", "X", "-rate", "5"}, []string{`unknown op "nope"`, "noop"}},
		{[]string{"-profiles", "cpu,gpu"}, []string{`unknown profile "gpu"`}},
		{[]string{"-param", "novalue"}, []string{"want key=value"}},
		{[]string{"-param", "a=1", "-param", "a=2"}, []string{`param "a" given twice`}},
		{[]string{"-op", "noop", "extra"}, []string{"unexpected arguments"}},
	} {
		dir := t.TempDir()
		args := append([]string{}, tt.args...)
		for i, a := range args {
			if a == "X" {
				args[i] = dir
			}
		}
		code, _, stderr := runCommand(t, args...)
		if code != ExitUsage {
			t.Errorf("%q: exit %d; want %d", tt.args, code, ExitUsage)
		}
		for _, w := range tt.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%q: stderr lacks %q:\n%s", tt.args, w, stderr)
			}
		}
	}
}

func TestSetupFailureWritesFailedResult(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := runCommand(t, "-op", "badsetup", "-param", "size=big", "-rate", "10", "-out", dir)
	if code != ExitFailed {
		t.Errorf("exit %d; want %d (stderr %s)", code, ExitFailed, stderr)
	}
	r := readResult(t, dir)
	if r.Status != StatusFailed || !strings.Contains(r.Reason, `param size="big": want an integer`) {
		t.Errorf("status %q reason %q; want failed with the setup error", r.Status, r.Reason)
	}
}

// A short in-process run: checks the files and their agreement, not timing.
func TestRunWritesFiles(t *testing.T) {
	dir := t.TempDir()
	code, stdout, stderr := runCommand(t, "-name", "demo", "-op", "param", "-param", "size=3", "-param", "sise=4",
		"-rate", "2000", "-duration", "1500ms", "-warmup", "100ms", "-out", dir, "-profiles", "cpu,heap,allocs,mutex,block,trace")
	if code != ExitOK {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	r := readResult(t, dir)
	switch r.Status { // a loaded machine may make any run invalid; the files are what matter here
	case StatusOK, StatusRateNotAchieved, StatusGeneratorLagged, StatusHostContended:
	default:
		t.Errorf("status %q (%s)", r.Status, r.Reason)
	}
	if r.Scheduled != 3000 || r.Completed != 3000 || r.Issued != 3000 || r.Latency.Count != 3000 {
		t.Errorf("scheduled %d issued %d completed %d latency count %d; want 3000 each: nothing is dropped",
			r.Scheduled, r.Issued, r.Completed, r.Latency.Count)
	}
	if r.Format != 1 || r.Name != "demo" || r.Params["size"] != "3" || r.GoVersion == "" || r.GOMAXPROCS < 1 || r.Started == "" || r.Finished == "" {
		t.Errorf("result header: %+v", r)
	}
	if !strings.Contains(strings.Join(r.Warnings, "\n"), "param sise was not used by op param") {
		t.Errorf("warnings %q lack the unused param", r.Warnings)
	}
	wantFiles := []string{"allocs.pprof", "bench.txt", "block.pprof", "cpu.pprof", "heap.pprof", "latency.hlog", "mutex.pprof", "result.json", "trace.out"}
	if strings.Join(r.Files, " ") != strings.Join(wantFiles, " ") {
		t.Errorf("files %q; want %q", r.Files, wantFiles)
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}

	// The interval log reads back with the totals in result.json.
	f, err := os.Open(filepath.Join(dir, "latency.hlog"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	hs := readHlog(t, f)
	for tag, want := range map[string]Summary{tagIntended: r.Latency, tagActual: r.LatencyActual, tagLag: r.Lag} {
		if got := summarize(hs[tag], want.Overflow); got != want {
			t.Errorf("%s: log reads back as %+v; result.json has %+v", tag, got, want)
		}
	}
	checkBenchTxt(t, filepath.Join(dir, "bench.txt"), r)

	// Contention: measured on Linux, consistent with itself.
	c := r.Contention
	if runtime.GOOS == "linux" {
		if !c.Measured || c.CPUs < 1 || c.Threads < 1 || c.CPUNs <= 0 || c.WindowNs < int64(1400*time.Millisecond) {
			t.Errorf("contention not measured: %+v", c)
		}
		if c.Withheld < 0 || c.Withheld > 1 || c.OthersShare < 0 || c.OthersShare > 1 || c.StealShare < 0 || c.MaxThreadWaitNs > c.CPUWaitNs {
			t.Errorf("contention out of range: %+v", c)
		}
	}
	if want := float64(r.Lag.P99Ns) / float64(r.Latency.P99Ns); c.LagShareP99 != want {
		t.Errorf("lag share of P99 %g, want %g", c.LagShareP99, want)
	}
}

var (
	benchLine = regexp.MustCompile(`^(Benchmark\S+)\t(\d+)((\t[-+0-9.e]+ \S+)+)$`)
	unitLine  = regexp.MustCompile(`^Unit \S+( [a-z]+=\S+)+$`)
)

// checkBenchTxt checks bench.txt against the benchfmt grammar by hand (this
// module may not import x/perf; scripts/driver-accuracy runs benchstat).
func checkBenchTxt(t *testing.T, path string, r *Result) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	results := 0
	for sc.Scan() {
		line := sc.Text()
		if unitLine.MatchString(line) {
			continue
		}
		m := benchLine.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("bench.txt: not a result or Unit line: %q", line)
			continue
		}
		results++
		if want := BenchName(r.Name, r.Op, r.GOMAXPROCS); m[1] != want {
			t.Errorf("bench.txt name %q; want %q", m[1], want)
		}
		if m[2] != strconv.FormatUint(r.Completed, 10) {
			t.Errorf("bench.txt iterations %s; want completed ops %d", m[2], r.Completed)
		}
		units := map[string]string{}
		for _, pair := range strings.Split(strings.TrimPrefix(m[3], "\t"), "\t") {
			v, u, _ := strings.Cut(pair, " ")
			if _, err := strconv.ParseFloat(v, 64); err != nil {
				t.Errorf("bench.txt: bad value %q", pair)
			}
			units[u] = v
		}
		for _, u := range []string{"ns/op", "p50-ns", "p90-ns", "p99-ns", "p99.9-ns", "max-ns", "ops/s", "lag-p99-ns", "gc-pause-p99-ns", "peak-rss-B", "allocs/op", "B/op", "errors"} {
			_, ok := units[u]
			switch left := slices.Contains(r.LagDominated, u); {
			case left && ok:
				t.Errorf("bench.txt has %s, which result.json's lag_dominated leaves out", u)
			case !left && !ok:
				t.Errorf("bench.txt lacks %s", u)
			}
		}
		if p99, ok := units["p99-ns"]; ok && p99 != strconv.FormatInt(r.Latency.P99Ns, 10) {
			t.Errorf("bench.txt p99-ns %s; result.json %d", units["p99-ns"], r.Latency.P99Ns)
		}
	}
	if results != 1 {
		t.Errorf("bench.txt has %d result lines; want 1", results)
	}
}

func TestBenchName(t *testing.T) {
	for _, tt := range []struct {
		name, op string
		procs    int
		want     string
	}{
		{"alloc", "heap", 1, "BenchmarkAlloc/op=heap"},
		{"alloc", "heap", 8, "BenchmarkAlloc/op=heap-8"},
		{"my load", "a b", 2, "BenchmarkMy_load/op=a_b-2"},
		{"élan", "x", 1, "BenchmarkÉlan/op=x"},
	} {
		if got := BenchName(tt.name, tt.op, tt.procs); got != tt.want {
			t.Errorf("BenchName(%q, %q, %d) = %q; want %q", tt.name, tt.op, tt.procs, got, tt.want)
		}
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.txt")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := writeFileAtomic(path, func(w io.Writer) error {
		io.WriteString(w, "half")
		return errors.New("disk on fire")
	})
	if err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("err = %v; want the writer's error", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Errorf("failed write left %q; want the old content untouched", b)
	}
	if err := writeFileAtomic(path, func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Errorf("got %q; want new", b)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("dir holds %d entries; want only f.txt (no temporary files)", len(ents))
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v; want 0644", st.Mode().Perm())
	}
}

func FuzzParseParam(f *testing.F) {
	for _, s := range []string{"a=b", "size=64", "k=", "=v", "novalue", "k=v=w", "a b=c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, v, err := parseParam(s)
		if err != nil {
			return
		}
		if k == "" || strings.ContainsAny(k, "= \t\n\r") || k+"="+v != s {
			t.Fatalf("parseParam(%q) = %q, %q: want a non-empty key without '=' or spaces that rebuilds s", s, k, v)
		}
	})
}

func startWorkload(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "DRIVER_TEST_WORKLOAD=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("workload output:\n%s", out.String())
		}
	})
	return cmd
}

// The coordinated-omission scenario end to end, in a real process on the
// real clock: 1000 ops/s for 10 s, and the op stalls for 1 s once at ~5 s.
func TestEndToEndCoordinatedOmission(t *testing.T) {
	if testing.Short() {
		t.Skip("takes 10 s")
	}
	dir := t.TempDir()
	cmd := startWorkload(t, "-op", "stall", "-rate", "1000", "-duration", "10s", "-warmup", "0s", "-out", dir)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("workload: %v", err)
	}
	r := readResult(t, dir)
	p99, p999 := time.Duration(r.Latency.P99Ns), time.Duration(r.Latency.P999Ns)
	t.Logf("status %s; intended p99 %v p99.9 %v max %v; actual p99 %v max %v", r.Status, p99, p999,
		time.Duration(r.Latency.MaxNs), time.Duration(r.LatencyActual.P99Ns), time.Duration(r.LatencyActual.MaxNs))
	if p99 < 850*time.Millisecond || p99 > 950*time.Millisecond {
		t.Errorf("P99 = %v; want 850–950 ms", p99)
	}
	if p999 < 950*time.Millisecond || p999 > 1010*time.Millisecond {
		t.Errorf("P99.9 = %v; want 950–1010 ms", p999)
	}
	if r.Completed != 10000 {
		t.Errorf("completed %d; want 10000", r.Completed)
	}
}

func TestSIGTERMWritesInterruptedResult(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a process for a second or more")
	}
	dir := t.TempDir()
	cmd := startWorkload(t, "-op", "noop", "-rate", "1000", "-duration", "60s", "-warmup", "0s", "-out", dir)
	// The interval log's temporary file appears once the run has started.
	for i := 0; i < 1000; i++ {
		if m, _ := filepath.Glob(filepath.Join(dir, ".latency.hlog.tmp*")); len(m) > 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("workload exit: %v; want 0 after writing results", err)
	}
	r := readResult(t, dir)
	if !r.Interrupted || r.Status != StatusRateNotAchieved || !strings.Contains(r.Reason, "interrupted: received terminated") {
		t.Errorf("interrupted %v status %q reason %q; want an interrupted, rate-not-achieved run", r.Interrupted, r.Status, r.Reason)
	}
	if r.Completed == 0 || int64(r.Completed) != r.Latency.Count {
		t.Errorf("completed %d, latency count %d; want what ran before the signal", r.Completed, r.Latency.Count)
	}
}
