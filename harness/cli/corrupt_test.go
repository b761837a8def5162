package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfharness/harness/harness/report"
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
	for _, tt := range []struct {
		name, file string
		data       []byte
		want       string
	}{
		{"truncated bench.txt", "bench.txt", bench[:len(bench)*2/3], "bench.txt:"},
		{"garbage in bench.txt", "bench.txt", append(append([]byte{}, bench...), "BenchmarkX 10 abc ns/op\n\x00\xff\n"...), "bench.txt:"},
		{"a result line deleted from bench.txt", "bench.txt", dropLine(bench, "Benchmark"), "does not match the digest"},
		{"truncated manifest", "manifest.json", manifest[:len(manifest)/2], "manifest.json"},
		{"manifest from a newer harness", "manifest.json", []byte(strings.Replace(string(manifest), `"format": 1`, `"format": 9`, 1)), "newer than this harness"},
		{"empty manifest", "manifest.json", nil, "manifest.json"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), filepath.Base(good))
			copyDir(t, good, dir)
			if err := os.WriteFile(filepath.Join(dir, tt.file), tt.data, 0o644); err != nil {
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
			}
		})
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
