package main

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
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

type manifest struct {
	Status string `json:"status"`
	Cells  []struct {
		ID     string `json:"id"`
		Status string `json:"status"`
		Reason string `json:"reason"`
		Runs   []struct {
			Status string `json:"status"`
			Reason string `json:"reason"`
			Signal string `json:"signal"`
		} `json:"runs"`
	} `json:"cells"`
}

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
		"--cache", filepath.Join(work, "cache"), "--grace", "500ms")
	cmd.Env = append(os.Environ(), "CI=true")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("harness run: %v (want exit 3)\n%s", err, out)
	}
	t.Logf("harness run took %s:\n%s", time.Since(start).Round(time.Second), out)
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
	}
	seen := map[string]bool{}
	for _, c := range m.Cells {
		w, ok := want[c.ID]
		if !ok {
			t.Errorf("unexpected cell %s", c.ID)
			continue
		}
		seen[c.ID] = true
		if c.Status != w.status || !strings.Contains(c.Reason, w.reason) {
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
			if strings.HasPrefix(args[0], cache) || (len(args) == 2 && args[0] == "sleep" && args[1] == "600") {
				strays = append(strays, e.Name()+": "+strings.Join(args, " "))
			}
		}
		if len(strays) == 0 || time.Now().After(deadline) {
			return strays
		}
		time.Sleep(100 * time.Millisecond)
	}
}
