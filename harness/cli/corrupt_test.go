package cli

import (
	"bytes"
	"compress/gzip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfharness/harness/harness/report"
	"github.com/perfharness/harness/harness/results"
)

// copyDir copies a results folder so each case corrupts its own.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	if out, err := exec.Command("cp", "-a", src, dst).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v\n%s", err, out)
	}
}

// TestCorruptResults gives report, compare, gate and merge results folders
// with damaged files: each must fail with an error naming the file (and the
// line where one exists), never panic, never pass a shorter series as whole.
func TestCorruptResults(t *testing.T) {
	root := t.TempDir()
	good, err := report.Synthesize(root, report.SynthOptions{Ops: 2, Runs: 6, Seconds: 2})
	if err != nil {
		t.Fatal(err)
	}
	bench, _ := os.ReadFile(filepath.Join(good, "bench.txt"))
	manifest, _ := os.ReadFile(filepath.Join(good, "manifest.json"))
	// A file outside the folder that a hostile folder points at: none of
	// it may appear in any output.
	secret := filepath.Join(root, "secret")
	os.WriteFile(secret, []byte(`{"format": 1, "run_id": "SECRET-FIRST-BYTES"}`+"\n"), 0o644)
	symlink := func(target string) func(t *testing.T, path string) {
		return func(t *testing.T, path string) {
			os.Remove(path)
			if err := os.Symlink(target, path); err != nil {
				t.Fatal(err)
			}
		}
	}
	oversize := func(size int64) func(t *testing.T, path string) {
		return func(t *testing.T, path string) {
			if err := os.Truncate(path, size); err != nil { // sparse: nothing is written
				t.Fatal(err)
			}
		}
	}
	for _, tt := range []struct {
		name, file string
		data       []byte
		prepare    func(t *testing.T, path string) // instead of data
		want       string
	}{
		{"truncated bench.txt", "bench.txt", bench[:len(bench)*2/3], nil, "bench.txt:"},
		{"garbage in bench.txt", "bench.txt", append(append([]byte{}, bench...), "BenchmarkX 10 abc ns/op\n\x00\xff\n"...), nil, "bench.txt:"},
		{"a result line deleted from bench.txt", "bench.txt", dropLine(bench, "Benchmark"), nil, "does not match the digest"},
		{"truncated manifest", "manifest.json", manifest[:len(manifest)/2], nil, "manifest.json"},
		{"manifest from a newer harness", "manifest.json", []byte(strings.Replace(string(manifest), `"format": 1`, `"format": 9`, 1)), nil, "newer than this harness"},
		{"empty manifest", "manifest.json", nil, nil, "manifest.json"},
		{"manifest a symlink to a file outside", "manifest.json", nil, symlink(secret), "manifest.json: not a regular file (a symbolic link, not followed)"},
		{"manifest a symlink to a copy inside", "manifest.json", nil, symlink("spec.yaml"), "manifest.json: not a regular file (a symbolic link"},
		{"bench.txt a symlink", "bench.txt", nil, symlink(secret), "bench.txt: not a regular file (a symbolic link"},
		{"manifest past its size limit", "manifest.json", nil, oversize(results.MaxManifest + 1), "manifest.json: too big: a manifest of 64.0 MiB or more"},
		{"bench.txt past its size limit", "bench.txt", nil, oversize(results.MaxBench + 1), "bench.txt: too big: a benchmark results file of 256.0 MiB or more"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), filepath.Base(good))
			copyDir(t, good, dir)
			path := filepath.Join(dir, tt.file)
			if tt.prepare != nil {
				tt.prepare(t, path)
			} else if err := os.WriteFile(path, tt.data, 0o644); err != nil {
				t.Fatal(err)
			}
			cmds := [][]string{
				{"report", dir, "--reports", t.TempDir(), "--no-png"},
				{"compare", good, dir},
				{"gate", "--baseline", good, "--candidate", dir, "--out", t.TempDir()},
			}
			if tt.file == "manifest.json" {
				// merge rebuilds bench.txt from the run folders; it
				// reads manifests.
				cmds = append(cmds, []string{"merge", "-o", filepath.Join(t.TempDir(), "merged"), dir, good})
			}
			for _, args := range cmds {
				code, stdout, stderr := harness(t, args...)
				if code == ExitOK || code == ExitRegression {
					t.Errorf("%s: exit %d on a corrupted %s\nstdout: %.300s\nstderr: %s", args[0], code, tt.file, stdout, stderr)
					continue
				}
				if !strings.Contains(stderr, tt.want) {
					t.Errorf("%s: the error does not name %q:\n%s", args[0], tt.want, stderr)
				}
				if strings.Contains(stdout+stderr, "SECRET") {
					t.Errorf("%s: the output shows the linked file's content:\n%s%s", args[0], stdout, stderr)
				}
			}
		})
	}

	// A run folder's files: the report leaves them out with a warning
	// naming the file and the reason (the run's other files still count).
	// (merge, which copies them, refuses the folder: TestMergeRefuses.)
	runDir := func(dir string) string {
		m, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
		if err != nil {
			t.Fatal(err)
		}
		i := strings.Index(string(m), `"dir": "cells/`)
		rel := strings.SplitN(string(m[i+len(`"dir": "`):]), `"`, 2)[0]
		return filepath.Join(dir, rel, "run-1")
	}
	var bomb bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&bomb, gzip.BestCompression)
	zero := make([]byte, 1<<20)
	for i := 0; i <= results.MaxProfileData>>20; i++ {
		zw.Write(zero)
	}
	zw.Close()
	for _, tt := range []struct {
		name, file string
		prepare    func(t *testing.T, path string)
		want       string
	}{
		{"result.json a symlink", "result.json", symlink(secret), "result.json: not a regular file (a symbolic link"},
		{"latency.hlog a symlink", "latency.hlog", symlink(secret), "latency.hlog: not a regular file (a symbolic link"},
		{"latency.hlog past its size limit", "latency.hlog", oversize(results.MaxHlog + 1), "latency.hlog: too big"},
		{"result.json past its size limit", "result.json", oversize(results.MaxResult + 1), "result.json: too big"},
		{"cpu.pprof a gzip bomb", "cpu.pprof", func(t *testing.T, path string) {
			os.WriteFile(path, bomb.Bytes(), 0o644)
		}, "cpu.pprof: too big: the profile decompresses to more than 128 MiB"},
		{"a run folder a symlink leading out", "", func(t *testing.T, path string) {
			out := filepath.Join(t.TempDir(), "elsewhere")
			copyDir(t, path, out)
			os.RemoveAll(path)
			symlink(out)(t, path)
		}, "through a symlink"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), filepath.Base(good))
			copyDir(t, good, dir)
			run := runDir(dir)
			if tt.file == "" {
				tt.prepare(t, run)
			} else {
				tt.prepare(t, filepath.Join(run, tt.file))
			}
			reports := t.TempDir()
			code, stdout, stderr := harness(t, "report", dir, "--reports", reports, "--no-png")
			md, _ := os.ReadFile(filepath.Join(reports, filepath.Base(dir), "report.md"))
			if !strings.Contains(stderr+string(md), tt.want) {
				t.Errorf("report: exit %d, no warning naming %q\nstderr: %s\nreport.md: %.2000s", code, tt.want, stderr, md)
			}
			if strings.Contains(stdout+stderr+string(md), "SECRET") {
				t.Errorf("report: the linked file's content is shown")
			}
		})
	}
}

// TestCorruptResultsValues: a manifest's values are names and text from
// elsewhere. A run id that is a path with a line break in it names no
// folder; a run still marked running whose harness
// is gone is listed as abandoned. (Control characters in every string:
// TestHostileStrings.)
func TestCorruptResultsValues(t *testing.T) {
	root := t.TempDir()
	good, err := report.Synthesize(filepath.Join(root, "results"), report.SynthOptions{Ops: 2, Runs: 6, Seconds: 2})
	if err != nil {
		t.Fatal(err)
	}
	evil := filepath.Join(root, "results", "evil")
	copyDir(t, good, evil)
	editManifest(t, evil, func(m *results.Manifest) { m.RunID = "../../escaped\nBenchmarkFake 1 1 ns/op" })
	reports := filepath.Join(root, "reports")
	code, _, stderr := harness(t, "report", evil, "--reports", reports, "--no-png")
	if code == ExitOK || !strings.Contains(stderr, "cannot name a report folder") {
		t.Errorf("report of a run id that is a path: exit %d\n%s", code, stderr)
	}
	harness(t, "gate", "--baseline", good, "--candidate", evil, "--out", filepath.Join(reports, "gate"))
	filepath.Walk(root, func(path string, fi os.FileInfo, err error) error {
		if err == nil && strings.Contains(fi.Name(), "escaped") {
			t.Errorf("a file named after the run id: %s", path)
		}
		return nil
	})
	// (bench.txt rebuilt from such a manifest: TestAssembleBenchHostileManifest.)

	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Skip("no true command")
	}
	hostname, _ := os.Hostname()
	editManifest(t, good, func(m *results.Manifest) {
		m.Status, m.PID, m.Host.Hostname = results.RunRunning, dead.Process.Pid, hostname
	})
	_, stdout, _ := harness(t, "results", "list", "--results", filepath.Join(root, "results"), "--json")
	if !strings.Contains(stdout, `"status": "abandoned"`) || strings.Contains(stdout, `"status": "running"`) {
		t.Errorf("a killed run is not listed as abandoned:\n%s", stdout)
	}
}

// dropLine removes the first line starting with prefix: a series one
// sample shorter, every remaining line well-formed.
func dropLine(data []byte, prefix string) []byte {
	lines := strings.SplitAfter(string(data), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, prefix) {
			return []byte(strings.Join(append(lines[:i:i], lines[i+1:]...), ""))
		}
	}
	panic("no line starts with " + prefix)
}
