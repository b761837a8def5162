package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/perfharness/harness/harness/results"
)

// harnessBinary builds the harness once per test binary.
func harnessBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "harness")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("building harness: %v\n%s", err, out)
	}
	return bin
}

// manifest is what every e2e test reads of a run: the results package's
// own type, decoded as harness report and gate decode it.
type manifest = results.Manifest

// TestFaultMatrix runs cells that crash, hang, fail to build, miss a CPU
// feature and misbehave as HTTP servers, beside healthy ones, through the
// real binary on the real toolchain.
func TestFaultMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: builds and runs workloads (about a minute)")
	}
	bin := harnessBinary(t)
	work := t.TempDir()
	cmd := exec.Command(bin, "run", "testdata/faults.yaml", "--results", filepath.Join(work, "results"),
		"--cache", filepath.Join(work, "cache"), "--grace", "500ms", "--reports", filepath.Join(work, "reports"))
	cmd.Env = append(os.Environ(), "CI=true")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("harness run: %v (want exit 3)\n%s", err, out)
	}
	t.Logf("harness run took %s:\n%s", time.Since(start).Round(time.Second), out)
	// The harness's own peak memory, with 2 × 256 MiB of stderr streamed
	// through it (the workloads' memory is their own).
	peakRSS := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10
	t.Logf("harness peak RSS: %.1f MiB", float64(peakRSS)/(1<<20))
	if peakRSS > 200<<20 {
		t.Errorf("harness peak RSS %d MiB, want < 200 MiB", peakRSS>>20)
	}
	data, err := os.ReadFile(filepath.Join(work, "results", "latest", "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	if m.Status != "incomplete" {
		t.Errorf("run status %q, want incomplete", m.Status)
	}
	want := map[string]struct{ status, reason string }{
		"healthy/ok/local":                 {"ok", ""},
		"healthy/garbage/local":            {"ok", ""},
		"healthy/grandchild/local":         {"ok", ""},
		"healthy/setsid/local":             {"ok", ""},
		"spews/spew/local":                 {"crashed", "panic: fault workload: deliberate panic after the junk"},
		"broken/ok/local/tags=brokenbuild": {"build-failed", "undefinedOnPurpose"},
		"crashes/panic/local":              {"crashed", "deliberate panic"},
		"crashes/segv/local":               {"crashed", "killed by SIGABRT"},
		"crashes/exit7/local":              {"crashed", "exit status 7"},
		"crashes/truncated/local":          {"failed", "without a valid result.json"},
		"crashes/oom/local":                {"crashed", "out of memory"},
		"hangs/hang/local":                 {"timeout", "ignored SIGTERM and was killed"},
		"elsewhere/ok/local":               {"skipped", "host CPU lacks SVE"},
		"server/get/local/env=healthy":     {"ok", ""},
		"server/get/local/env=slowstart":   {"crashed", "not ready within 2s"},
		"server/get/local/env=crash":       {"crashed", "server exited during the run"},
		"server/get/local/env=errors":      {"failed", "ops failed (500: "},
		"overload/stall/local":             {"rate-not-achieved", "backlog"},
		"hiccup/stall/local":               {"ok", ""},
	}
	seen := map[string]bool{}
	for _, c := range m.Cells {
		w, ok := want[c.ID]
		if !ok {
			t.Errorf("unexpected cell %s", c.ID)
			continue
		}
		seen[c.ID] = true
		if string(c.Status) != w.status || !strings.Contains(c.Reason, w.reason) {
			t.Errorf("%s: %s %q\nwant %s containing %q", c.ID, c.Status, c.Reason, w.status, w.reason)
		}
		if w.status == "ok" {
			for i, r := range c.Runs {
				if r.Status != "ok" {
					t.Errorf("%s run %d: %s %q", c.ID, i+1, r.Status, r.Reason)
				}
			}
			if len(c.Runs) != 2 {
				t.Errorf("%s: %d runs, want 2", c.ID, len(c.Runs))
			}
		}
	}
	for id := range want {
		if !seen[id] {
			t.Errorf("missing cell %s", id)
		}
	}
	// Retries: the run that missed its rate once was retried and passed,
	// its first attempt kept; a cell that cannot keep its rate fails every
	// attempt; nothing else is retried.
	for _, c := range m.Cells {
		for _, r := range c.Runs {
			var want []string
			switch {
			case c.ID == "hiccup/stall/local" && r.Index == 1, c.ID == "overload/stall/local":
				want = []string{"rate-not-achieved"}
			}
			var got []string
			for _, a := range r.Attempts {
				got = append(got, string(a.Status))
				if !strings.Contains(a.Reason, "backlog") {
					t.Errorf("%s run %d: attempt reason %q", c.ID, r.Index, a.Reason)
				}
				res, err := os.ReadFile(filepath.Join(work, "results", "latest", a.Dir, "result.json"))
				if err != nil || !strings.Contains(string(res), `"rate-not-achieved"`) {
					t.Errorf("%s run %d: the attempt's folder %s does not hold its result: %v", c.ID, r.Index, a.Dir, err)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s run %d: attempts %v, want %v", c.ID, r.Index, got, want)
			}
		}
	}
	if !strings.Contains(string(out), "retrying 3 runs whose figures could not be trusted") || !regexp.MustCompile(`ok +hiccup/stall/local +2/2 .*retried run 1 after .*backlog`).Match(out) {
		t.Errorf("the retries are not in the output")
	}
	// Overload ends honestly, with the backlog's memory bounded.
	overload, _ := filepath.Glob(filepath.Join(work, "results", "latest", "cells", "overload_*", "run-1", "result.json"))
	if len(overload) != 1 {
		t.Fatalf("overload run folder: %v", overload)
	}
	var ov struct {
		Runtime struct {
			PeakRSSB int64 `json:"peak_rss_B"`
		} `json:"runtime"`
		BacklogMax int64 `json:"backlog_max"`
	}
	data, _ = os.ReadFile(overload[0])
	json.Unmarshal(data, &ov)
	if ov.BacklogMax < 500 || ov.Runtime.PeakRSSB > 200<<20 {
		t.Errorf("overload: backlog max %d, peak RSS %d B; want a real backlog in bounded memory", ov.BacklogMax, ov.Runtime.PeakRSSB)
	}
	bench, err := os.ReadFile(filepath.Join(work, "results", "latest", "bench.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(bench), "Fake") || strings.Contains(string(bench), "goos: fake") {
		t.Error("stdout garbage reached bench.txt")
	}
	for _, name := range []string{"Healthy/op=ok", "Healthy/op=garbage", "Healthy/op=grandchild"} {
		if n := strings.Count(string(bench), "Benchmark"+name); n != 2 {
			t.Errorf("bench.txt has %d results for %s, want 2", n, name)
		}
	}
	if strays := strayProcesses(t, filepath.Join(work, "cache")); len(strays) > 0 {
		t.Errorf("processes outlived the harness: %q", strays)
	}
	// Left-behind processes are killed after each run, and the run says
	// which: the setsid'd daemon and the grandchild that stayed in the group.
	for _, c := range m.Cells {
		for _, r := range c.Runs {
			w := strings.Join(r.Warnings, "\n")
			switch c.ID {
			case "healthy/setsid/local", "healthy/grandchild/local":
				if !regexp.MustCompile(`left 1 process running after it ended, killed by the harness: \d+ \(sleep\)`).MatchString(w) {
					t.Errorf("%s run %d: no warning naming the process left behind: %q", c.ID, r.Index, r.Warnings)
				}
			case "spews/spew/local":
				log, err := os.Stat(filepath.Join(work, "results", "latest", r.Dir, "stderr.log"))
				if err != nil || log.Size() > 16<<20+1<<10 {
					t.Errorf("%s run %d: stderr.log %v, want at most the 16 MiB cap", c.ID, r.Index, err)
				} else {
					t.Logf("%s run %d: 256 MiB of stderr kept as a %d-byte stderr.log", c.ID, r.Index, log.Size())
				}
				if !strings.Contains(w, "stderr.log: the process wrote 256.") || !strings.Contains(w, "dropped") {
					t.Errorf("%s run %d: no warning about the capped log: %q", c.ID, r.Index, r.Warnings)
				}
				if strings.Contains(r.Reason, "XXXX") {
					t.Errorf("%s run %d: reason %q quotes the junk", c.ID, r.Index, r.Reason)
				}
			}
		}
	}
	// The report renders from a folder full of failures and names them.
	runID := filepath.Base(mustEval(t, filepath.Join(work, "results", "latest")))
	md, err := os.ReadFile(filepath.Join(work, "reports", runID, "report.md"))
	if err != nil {
		t.Fatalf("no report: %v\n%s", err, out)
	}
	for _, want := range []string{"crashes/oom/local", "out of memory", "hangs/hang/local", "host CPU lacks SVE", "build-failed"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md does not mention %q", want)
		}
	}
}

func mustEval(t *testing.T, p string) string {
	t.Helper()
	r, err := filepath.EvalSymlinks(p)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// strayProcesses lists live processes started from the build cache, or the
// fault workload's "sleep 600" grandchild.
func strayProcesses(t *testing.T, cache string) []string {
	t.Helper()
	var strays []string
	deadline := time.Now().Add(3 * time.Second)
	for {
		strays = strays[:0]
		entries, _ := os.ReadDir("/proc")
		for _, e := range entries {
			cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
			if err != nil || len(cmdline) == 0 {
				continue
			}
			args := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
			if strings.HasPrefix(args[0], cache) || (len(args) == 2 && args[0] == "sleep" && (args[1] == "600" || args[1] == "300")) {
				strays = append(strays, e.Name()+": "+strings.Join(args, " "))
			}
		}
		if len(strays) == 0 || time.Now().After(deadline) {
			return strays
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// startHarness starts `harness run` in the background with its own results
// folder, cache and lock.
type bg struct {
	cmd  *exec.Cmd
	out  *strings.Builder
	done chan error
}

func startHarness(t *testing.T, bin string, args ...string) *bg {
	t.Helper()
	cmd := exec.Command(bin, args...)
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = append(os.Environ(), "CI=true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	b := &bg{cmd: cmd, out: out, done: make(chan error, 1)}
	go func() { b.done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-b.done
	})
	return b
}

func (b *bg) wait(t *testing.T, max time.Duration) int {
	t.Helper()
	select {
	case err := <-b.done:
		b.done <- err
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(max):
		t.Fatalf("harness still running after %s:\n%s", max, b.out)
	}
	return -1
}

// readManifest reads the newest manifest under root, or nil.
func readManifest(t *testing.T, root string) *manifest {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "latest", "manifest.json"))
	if err != nil {
		return nil
	}
	var m manifest
	if json.Unmarshal(data, &m) != nil {
		return nil
	}
	return &m
}

// waitFor polls cond until it holds or max passes.
func waitFor(t *testing.T, max time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(max)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func countRuns(m *manifest, status string) int {
	n := 0
	if m == nil {
		return 0
	}
	for _, c := range m.Cells {
		for _, r := range c.Runs {
			if string(r.Status) == status {
				n++
			}
		}
	}
	return n
}

// TestInterruptResumeAndAbandon: a first SIGINT finishes the run in progress
// and leaves a resumable folder; a second kills the run in progress at once;
// SIGKILL of the harness leaves a folder the next run marks abandoned; and
// --resume completes each.
func TestInterruptResumeAndAbandon(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: runs the harness binary")
	}
	bin := harnessBinary(t)
	work := t.TempDir()
	root := filepath.Join(work, "results")
	common := []string{"--results", root, "--cache", filepath.Join(work, "cache"), "--lock", filepath.Join(work, "lock"), "--grace", "300ms", "--no-report"}
	run := func(args ...string) *bg { return startHarness(t, bin, append(args, common...)...) }
	finished := func() int { return countRuns(readManifest(t, root), "ok") }

	// One interrupt: the run in progress completes, the rest waits.
	h := run("run", "testdata/interrupt.yaml", "--count", "6")
	waitFor(t, 60*time.Second, "a finished run", func() bool { return finished() >= 1 })
	h.cmd.Process.Signal(os.Interrupt)
	if code := h.wait(t, 30*time.Second); code != 3 {
		t.Fatalf("exit %d after one interrupt, want 3:\n%s", code, h.out)
	}
	m := readManifest(t, root)
	if m.Status != "interrupted" || countRuns(m, "planned") == 0 || countRuns(m, "interrupted") != 0 {
		t.Fatalf("after one interrupt: status %s, %d ok, %d planned, %d interrupted runs\n%s",
			m.Status, countRuns(m, "ok"), countRuns(m, "planned"), countRuns(m, "interrupted"), h.out)
	}
	if !strings.Contains(h.out.String(), "finishing the run in progress") {
		t.Errorf("no message about the first interrupt:\n%s", h.out)
	}
	first, _ := filepath.EvalSymlinks(filepath.Join(root, "latest"))
	if code := run("run", "--resume", first).wait(t, 60*time.Second); code != 0 {
		t.Fatalf("resume exit %d", code)
	}
	if m := readManifest(t, root); m.Status != "complete" || countRuns(m, "ok") != 6 {
		t.Fatalf("after resume: %s with %d ok runs", m.Status, countRuns(m, "ok"))
	}

	// Two interrupts: the run in progress is killed now.
	h = run("run", "testdata/interrupt.yaml", "--count", "6")
	waitFor(t, 60*time.Second, "a finished run", func() bool {
		m := readManifest(t, root)
		return m != nil && m.Status == "running" && countRuns(m, "ok") >= 1
	})
	h.cmd.Process.Signal(os.Interrupt)
	time.Sleep(100 * time.Millisecond)
	h.cmd.Process.Signal(os.Interrupt)
	start := time.Now()
	if code := h.wait(t, 10*time.Second); code != 3 {
		t.Fatalf("exit %d after two interrupts, want 3:\n%s", code, h.out)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("second interrupt took %s to stop the run", d)
	}
	if m := readManifest(t, root); m.Status != "interrupted" {
		t.Errorf("after two interrupts: status %s", m.Status)
	}

	// SIGKILL: the folder says running until the next run marks it.
	h = run("run", "testdata/interrupt.yaml", "--count", "6")
	waitFor(t, 60*time.Second, "a finished run", func() bool {
		m := readManifest(t, root)
		return m != nil && m.Status == "running" && countRuns(m, "ok") >= 1
	})
	killed, _ := filepath.EvalSymlinks(filepath.Join(root, "latest"))
	h.cmd.Process.Kill()
	h.wait(t, 10*time.Second)
	if code := run("run", "testdata/interrupt.yaml", "--count", "1").wait(t, 60*time.Second); code != 0 {
		t.Fatalf("the run after a SIGKILL exit %d", code)
	}
	data, _ := os.ReadFile(filepath.Join(killed, "manifest.json"))
	if !strings.Contains(string(data), `"status": "abandoned"`) {
		t.Errorf("killed run not marked abandoned:\n%.400s", data)
	}
	if code := run("run", "--resume", killed).wait(t, 60*time.Second); code != 0 {
		t.Fatalf("resume of the abandoned run: exit %d", code)
	}
	if strays := strayProcesses(t, filepath.Join(work, "cache")); len(strays) > 0 {
		t.Errorf("processes outlived the harness: %q", strays)
	}
}

// TestHostLock: a second run either waits for the first, naming it, or
// with --no-wait refuses at once, naming it.
func TestHostLock(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: runs the harness binary")
	}
	bin := harnessBinary(t)
	work := t.TempDir()
	args := func(results string) []string {
		return []string{"run", "testdata/interrupt.yaml", "--count", "2", "--results", filepath.Join(work, results),
			"--cache", filepath.Join(work, "cache"), "--lock", filepath.Join(work, "lock"), "--no-report"}
	}
	a := startHarness(t, bin, args("a")...)
	waitFor(t, 60*time.Second, "the first run to start", func() bool { return readManifest(t, filepath.Join(work, "a")) != nil })
	b := startHarness(t, bin, append(args("b"), "--no-wait")...)
	if code := b.wait(t, 10*time.Second); code != 3 || !strings.Contains(b.out.String(), fmt.Sprintf("pid %d", a.cmd.Process.Pid)) {
		t.Errorf("--no-wait: exit %d, want 3 and the holder's pid %d named:\n%s", code, a.cmd.Process.Pid, b.out)
	}
	c := startHarness(t, bin, args("c")...)
	// Ctrl-C while waiting stops the wait, says so, and runs nothing.
	d := startHarness(t, bin, args("d")...)
	waitFor(t, 30*time.Second, "the run to wait for the lock", func() bool { return strings.Contains(d.out.String(), "waiting for the host lock") })
	d.cmd.Process.Signal(os.Interrupt)
	if code := d.wait(t, 10*time.Second); code != 3 || !strings.Contains(d.out.String(), "stopped waiting") ||
		strings.Contains(d.out.String(), "finishing the run in progress") || strings.Contains(d.out.String(), "context canceled") {
		t.Errorf("Ctrl-C while waiting: exit %d, want 3 and a word that it stopped waiting:\n%s", code, d.out)
	}
	if _, err := os.Stat(filepath.Join(work, "d")); err == nil {
		t.Errorf("the interrupted waiting run created its results folder")
	}
	if code := c.wait(t, 90*time.Second); code != 0 {
		t.Errorf("waiting run: exit %d\n%s", code, c.out)
	}
	if !strings.Contains(c.out.String(), "waiting for the host lock") {
		t.Errorf("the waiting run did not say what it waits for:\n%s", c.out)
	}
	if code := a.wait(t, 60*time.Second); code != 0 {
		t.Errorf("first run: exit %d\n%s", code, a.out)
	}
	ma, mc := readManifest(t, filepath.Join(work, "a")), readManifest(t, filepath.Join(work, "c"))
	if ma == nil || mc == nil || ma.Status != "complete" || mc.Status != "complete" {
		t.Errorf("runs did not both complete")
	}
}

// TestMatrixEndToEnd runs a matrix across both toolchains, two experiments,
// two gcflags and two workload kinds; checks the combined bench.txt projects
// on toolchain and goexperiment; and checks a second identical run builds
// nothing.
func TestMatrixEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: builds 16 configurations with two toolchains")
	}
	bin := harnessBinary(t)
	work := t.TempDir()
	args := []string{"run", "testdata/matrix.yaml", "--results", filepath.Join(work, "results"),
		"--cache", filepath.Join(work, "cache"), "--lock", filepath.Join(work, "lock"), "--no-report"}
	first := startHarness(t, bin, args...)
	if code := first.wait(t, 15*time.Minute); code != 0 && code != 3 {
		t.Fatalf("first run: exit %d\n%s", code, first.out)
	}
	m := readManifest(t, filepath.Join(work, "results"))
	if len(m.Cells) != 16 {
		t.Fatalf("%d cells, want 16", len(m.Cells))
	}
	for _, c := range m.Cells {
		// A busy host may invalidate some runs (partial) or all of them;
		// what this test checks is that every cell built and ran.
		if c.Status.Failed() && !c.Status.Invalid() {
			t.Errorf("%s: %s %s", c.ID, c.Status, c.Reason)
		}
	}
	dir := mustEval(t, filepath.Join(work, "results", "latest"))
	// The real benchstat command projects the combined bench.txt.
	benchstat := filepath.Join(work, "benchstat")
	if out, err := exec.Command("go", "build", "-o", benchstat, "golang.org/x/perf/cmd/benchstat").CombinedOutput(); err != nil {
		t.Fatalf("building benchstat: %v\n%s", err, out)
	}
	for _, col := range []string{"toolchain", "goexperiment", "gcflags"} {
		out, err := exec.Command(benchstat, "-col", col, filepath.Join(dir, "bench.txt")).CombinedOutput()
		if err != nil {
			t.Errorf("benchstat -col %s: %v\n%s", col, err, out)
			continue
		}
		if !strings.Contains(string(out), "vs base") || !strings.Contains(string(out), "Json/op=decode") || !strings.Contains(string(out), "SHA256") {
			t.Errorf("benchstat -col %s printed no comparison of both workloads:\n%s", col, out)
		}
	}
	firstBuild := buildTime(first.out.String())

	second := startHarness(t, bin, args...)
	second.wait(t, 15*time.Minute)
	out := second.out.String()
	if n := strings.Count(out, ": built in "); n != 0 {
		t.Errorf("second run built %d configurations, want 0:\n%s", n, out)
	}
	if n := strings.Count(out, ": cache hit"); n != 16 {
		t.Errorf("second run: %d cache hits, want 16 (8 json + 8 crypto builds):\n%s", n, out)
	}
	check := checkTime(out)
	t.Logf("build time: first run %s, second run's cache checks %s", firstBuild, check)
	if check*20 > firstBuild {
		t.Errorf("second run spent %s checking the cache, over 5%% of the first run's %s of building", check, firstBuild)
	}
}

var (
	builtRE = regexp.MustCompile(`: built in ([0-9.]+[a-zµ]+)`)
	checkRE = regexp.MustCompile(`cache hit \(checked in ([0-9.]+[a-zµ]+)`)
)

func sumDurations(re *regexp.Regexp, s string) time.Duration {
	var total time.Duration
	for _, m := range re.FindAllStringSubmatch(s, -1) {
		d, _ := time.ParseDuration(m[1])
		total += d
	}
	return total
}

func buildTime(out string) time.Duration { return sumDurations(builtRE, out) }
func checkTime(out string) time.Duration { return sumDurations(checkRE, out) }

// TestDiskFull runs the harness with its results on a 384 KiB tmpfs (in a
// private mount namespace): the run stops with an error naming the file it
// could not write, exits 3, and leaves a manifest that still parses.
func TestDiskFull(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: runs the harness binary")
	}
	if os.Getuid() != 0 {
		t.Skip("needs root to mount a size-limited tmpfs in a private mount namespace")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("needs unshare (util-linux)")
	}
	bin := harnessBinary(t)
	work := t.TempDir()
	mnt := filepath.Join(work, "small")
	os.MkdirAll(mnt, 0o755)
	script := `mount -t tmpfs -o size=384k tmpfs "$1" || exit 99
"$2" run testdata/interrupt.yaml --count 40 --results "$1/results" --cache "$3" --lock "$4" --no-report
code=$?
cat "$1/results/latest/manifest.json" > "$5" 2>/dev/null
exit $code`
	cmd := exec.Command("unshare", "-m", "sh", "-c", script, "sh", mnt, bin, filepath.Join(work, "cache"), filepath.Join(work, "lock"), filepath.Join(work, "manifest.json"))
	cmd.Env = append(os.Environ(), "CI=true")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 99 {
		t.Skipf("cannot mount a tmpfs here: %s", out)
	}
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("exit %v, want 3:\n%s", err, out)
	}
	if !strings.Contains(string(out), "no space left on device") || !strings.Contains(string(out), "cannot record results: writing ") {
		t.Errorf("the error does not name the file and the cause:\n%s", out)
	}
	data, err := os.ReadFile(filepath.Join(work, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("the manifest left behind does not parse: %v", err)
	}
	if countRuns(&m, "ok") == 0 {
		t.Errorf("no run recorded before the disk filled:\n%s", out)
	}
	t.Logf("%s", out)
}

// TestNoShell puts shell syntax in every string a spec passes to a process:
// gcflags, ldflags, tags, environment values, params, request bodies. The
// harness never runs a shell, so no marker file may appear.
func TestNoShell(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: runs the harness binary")
	}
	bin := harnessBinary(t)
	work := t.TempDir()
	marker := filepath.Join(work, "pwned")
	inject := func(n int) string {
		return fmt.Sprintf("x; touch %s%d; $(touch %s%d) `touch %s%d` | touch %s%d", marker, n, marker, n, marker, n, marker, n)
	}
	repo, _ := filepath.Abs("..")
	spec := fmt.Sprintf(`name: noshell
toolchains: [local]
matrix:
  gcflags: [%q]
  ldflags: [%q]
  env: {e: {MARKER: %q}}
workloads:
  - name: w
    kind: fixed-rate
    package: %s/workloads/faults
    ops: [ok]
    params: {p: %q}
    rate: 10/s
    duration: 200ms
    warmup: 0s
  - name: t
    kind: gotest
    package: %s/workloads/crypto
    bench: %q
    benchtime: 1x
    matrix: {gcflags: [""], ldflags: [""]}
runs: {count: 1}
`, "-l "+inject(1), "-X main.v="+inject(2), inject(3), repo, inject(4), repo, "SHA256|"+inject(5))
	file := filepath.Join(work, "bench.yaml")
	os.WriteFile(file, []byte(spec), 0o644)
	cmd := exec.Command(bin, "run", file, "--results", filepath.Join(work, "results"), "--cache", filepath.Join(work, "cache"),
		"--lock", filepath.Join(work, "lock"), "--reports", filepath.Join(work, "reports"))
	out, _ := cmd.CombinedOutput()
	matches, _ := filepath.Glob(marker + "*")
	if len(matches) > 0 {
		t.Fatalf("shell syntax in a spec ran: %v\n%s", matches, out)
	}
	if !strings.Contains(string(out), "results:") {
		t.Fatalf("the run did not happen:\n%s", out)
	}
	t.Logf("%s", out)
}

// TestCPUPinning: runs.cpus pins each workload process; Go then sizes
// GOMAXPROCS to the CPUs it may use, which result.json records. The run
// uses relative folders, as the README's main command does.
func TestCPUPinning(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: runs the harness binary")
	}
	if _, err := exec.LookPath("taskset"); err != nil {
		t.Skip("needs taskset (util-linux)")
	}
	bin := harnessBinary(t)
	work := t.TempDir()
	repo, _ := filepath.Abs("..")
	spec := fmt.Sprintf(`name: pinned
toolchains: [local]
workloads:
  - {name: w, kind: fixed-rate, package: %s/workloads/faults, ops: [ok], rate: 50/s, duration: 200ms, warmup: 0s,
     max_lag_p99: 1s}
runs: {count: 1, cpus: "0"}
`, repo)
	file := filepath.Join(work, "bench.yaml")
	os.WriteFile(file, []byte(spec), 0o644)
	// Relative results and cache folders, as in the README's main command:
	// workloads run in folders of their own and must still find theirs.
	cmd := exec.Command(bin, "run", "bench.yaml", "--results", "results", "--cache", "cache",
		"--lock", filepath.Join(work, "lock"), "--no-report")
	cmd.Dir = work
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	matches, _ := filepath.Glob(filepath.Join(work, "results", "latest", "cells", "*", "run-1", "result.json"))
	if len(matches) != 1 {
		t.Fatalf("result files: %v", matches)
	}
	var res struct {
		GOMAXPROCS int `json:"gomaxprocs"`
	}
	data, _ := os.ReadFile(matches[0])
	json.Unmarshal(data, &res)
	if res.GOMAXPROCS != 1 {
		t.Errorf("pinned to one CPU, the workload saw GOMAXPROCS=%d", res.GOMAXPROCS)
	}
}

// TestSpecRefusedByBuiltWorkload: op names the workload's binary does not
// have are refused right after the build, with the spec's positions, a
// did-you-mean and the binary's whole op list, exit 2, before anything
// runs; a spec name longer than a run id's name part still makes a run.
func TestSpecRefusedByBuiltWorkload(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: builds a workload")
	}
	bin := harnessBinary(t)
	work := t.TempDir()
	pkg, err := filepath.Abs("../workloads/synthetic")
	if err != nil {
		t.Fatal(err)
	}
	specFile := filepath.Join(work, "bench.yaml")
	name := strings.Repeat("a-long-spec-name-", 6)
	writeSpec := func(text string) {
		if err := os.WriteFile(specFile, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeSpec(fmt.Sprintf(`name: %s
workloads:
  - name: syn
    kind: fixed-rate
    package: %s
    ops: [spin, spinn, fial]
    rate: 100/s
    duration: 1s
    warmup: 0s
runs: {count: 1}
`, name, pkg))
	cmd := exec.Command(bin, "run", specFile, "--results", filepath.Join(work, "results"),
		"--cache", filepath.Join(work, "cache"), "--no-report")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Fatalf("harness run: %v (want exit 2)\n%s", err, out)
	}
	for _, want := range []string{
		specFile + `:6:17: workloads[0].ops[1]: workload syn (build syn@local) has no op "spinn" (did you mean "spin"?); its ops are: fail, spin`,
		specFile + `:6:24: workloads[0].ops[2]: workload syn (build syn@local) has no op "fial" (did you mean "fail"?); its ops are: fail, spin`,
		"nothing ran",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	m := readManifest(t, filepath.Join(work, "results"))
	if m == nil || m.Status != "incomplete" {
		t.Fatalf("manifest: %+v, want an incomplete run that says why", m)
	}
	for _, c := range m.Cells {
		for _, r := range c.Runs {
			if r.Status != "planned" {
				t.Errorf("%s run %d: %s, want nothing run", c.ID, r.Index, r.Status)
			}
		}
	}
}
