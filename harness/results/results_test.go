package results

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCellDir(t *testing.T) {
	a := CellDir("alloc/heap/go1.27.3/arenas/gcflags=-l/env=tcmalloc")
	if !strings.HasPrefix(a, "alloc_heap_go1.27.3_arenas_gcflags=-l_env=tcmalloc-") {
		t.Errorf("CellDir = %q", a)
	}
	// Ids that sanitise alike still get distinct folders.
	if CellDir("a/b") == CellDir("a_b") {
		t.Error("distinct ids share a folder")
	}
	for _, id := range []string{"../../etc", "a/\x00b", strings.Repeat("x", 400), "gcflags=-l; touch /tmp/pwned"} {
		d := CellDir(id)
		if !filepath.IsLocal(d) || strings.ContainsAny(d, "/\x00 ;") || len(d) > 120 {
			t.Errorf("CellDir(%q) = %q is not a safe single folder name", id, d)
		}
	}
}

// TestNewRunID checks that a spec name of any length gives a valid run id
// that Create accepts, the same each time, and that long names sharing a
// beginning stay apart.
func TestNewRunID(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 30, 0, 0, time.UTC)
	long := strings.Repeat("n", 44)
	tests := []struct {
		name, why string
	}{
		{"alloc", "short: kept whole"},
		{long + "x", "45 characters"},
		{strings.Repeat("a", maxRunNameLen), "exactly the limit"},
		{strings.Repeat("a", maxRunNameLen+1), "one past the limit"},
		{strings.Repeat("a.", 100), "dots at the cut"},
		{strings.Repeat("é", 300), "multi-byte characters only"},
		{"...", "nothing safe left"},
		{strings.Repeat("x", 10000), "very long"},
	}
	for _, tt := range tests {
		root := t.TempDir()
		for attempt := 1; attempt <= 21; attempt += 20 {
			id := NewRunID(now, tt.name, attempt)
			if !ValidRunID(id) {
				t.Errorf("%s: NewRunID(%.20q…, %d) = %q is not a valid run id", tt.why, tt.name, attempt, id)
				continue
			}
			if again := NewRunID(now, tt.name, attempt); again != id {
				t.Errorf("%s: not stable: %q then %q", tt.why, id, again)
			}
			if _, err := Create(root, id); err != nil {
				t.Errorf("%s: Create(%q): %v", tt.why, id, err)
			}
		}
	}
	if a, b := NewRunID(now, long+"-first", 1), NewRunID(now, long+"-second", 1); a == b {
		t.Errorf("two long names share the run id %q", a)
	}
	if got := NewRunID(now, "alloc", 2); got != "20260301-123000-alloc-2" {
		t.Errorf("NewRunID(alloc, 2) = %q", got)
	}
	for _, id := range []string{"", ".", "..", ".hidden", "a/b", "a b", "a\x00", strings.Repeat("a", maxRunIDLen+1), "a\nb"} {
		if ValidRunID(id) {
			t.Errorf("ValidRunID(%q) = true", id)
		}
	}
}

func TestJoinStaysInside(t *testing.T) {
	root := t.TempDir()
	d, err := Create(root, "run1")
	if err != nil {
		t.Fatal(err)
	}
	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(d.Path, "link")); err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{"../x", "/etc/passwd", "a/../../x", "link/file", "link", ""} {
		if _, err := d.Join(rel); err == nil {
			t.Errorf("Join(%q) allowed a path outside the folder", rel)
		}
	}
	if err := d.WriteFile("link/evil", []byte("x")); err == nil {
		t.Error("WriteFile through a symlink out of the folder succeeded")
	}
	if _, err := os.Stat(filepath.Join(outside, "evil")); err == nil {
		t.Error("a file was written outside the results folder")
	}
	if p, err := d.Join("cells/a/run-1/result.json"); err != nil || !strings.HasPrefix(p, d.Path) {
		t.Errorf("Join of a normal path = %q, %v", p, err)
	}
	if _, err := Create(root, "../escape"); err == nil {
		t.Error("Create accepted a run id with ..")
	}
}

func TestManifestRoundTripAndErrors(t *testing.T) {
	root := t.TempDir()
	d, _ := Create(root, "r")
	m := &Manifest{Format: FormatVersion, RunID: "r", Status: RunComplete, Started: time.Unix(100, 0).UTC(),
		Cells: []*Cell{{ID: "a/x/local", Dir: "cells/a", Status: StatusOK, Runs: []*Run{{Index: 1, Status: StatusOK, Dir: "cells/a/run-1"}}}}}
	if err := d.WriteManifest(m); err != nil {
		t.Fatal(err)
	}
	got, err := d.ReadManifest()
	if err != nil {
		t.Fatal(err)
	}
	if got.Cells[0].Runs[0].Status != StatusOK || !got.Started.Equal(m.Started) {
		t.Errorf("round trip lost data: %+v", got)
	}
	data, _ := os.ReadFile(filepath.Join(d.Path, ManifestFile))
	for _, tt := range []struct {
		data, want, why string
	}{
		{string(data[:len(data)/2]), "truncated JSON", "a file cut short never reads as valid"},
		{strings.Replace(string(data), `"format": 1`, `"format": 7`, 1), "format 7 is newer", "newer formats are refused"},
		{`{"run_id": "x"}`, "no format field", "not a manifest"},
		{strings.Replace(string(data), `"run_id"`, `"run_idd"`, 1), `unknown field "run_idd"`, "unknown fields are errors"},
		{strings.Replace(string(data), `"cells/a/run-1"`, `"../../etc"`, 1), "leaves the results folder", "paths in a manifest stay inside"},
		{strings.Replace(string(data), `"status": "ok",`, `"status": 5,`, 1), ":", "type errors carry a line"},
	} {
		_, err := ParseManifest("m.json", []byte(tt.data))
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "m.json") {
			t.Errorf("%s: ParseManifest error = %v, want it to name the file and contain %q", tt.why, err, tt.want)
		}
	}
}

func TestWriteFileAtomicKeepsOldOnFailure(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := WriteFileAtomic(p, []byte("old")); err != nil {
		t.Fatal(err)
	}
	// A folder that cannot take the temporary file: the old file stays.
	os.Chmod(dir, 0o500)
	defer os.Chmod(dir, 0o755)
	if os.Getuid() != 0 {
		if err := WriteFileAtomic(p, []byte("new")); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("WriteFileAtomic in a read-only folder: %v, want an error naming %s", err, p)
		}
	}
	if b, _ := os.ReadFile(p); string(b) != "old" {
		t.Errorf("file = %q after a failed write", b)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestAssembleBench(t *testing.T) {
	root := t.TempDir()
	d, _ := Create(root, "r")
	write := func(rel, s string) {
		p, _ := d.MkdirAll(filepath.Dir(rel))
		os.WriteFile(filepath.Join(p, filepath.Base(rel)), []byte(s), 0o644)
	}
	write("cells/a/run-1/bench.txt", "BenchmarkA/op=x 100 5 ns/op 7 p99-ns\nUnit ops/s better=higher\n")
	write("cells/a/run-2/bench.txt", "goos: linux\nPASS\nBenchmarkA/op=x 100 6 ns/op 8 p99-ns 0 gc-pause-p99-ns 0 errors 0.0 peak-MB\nBenchmarkBogus 1 x ns/op\nUnit ops/s better=higher\n")
	write("cells/a/run-3/bench.txt", "BenchmarkA/op=x 100 999 ns/op 999 p99-ns\n")
	m := &Manifest{RunID: "r", Builds: []*Build{{Key: "a@local", Status: StatusOK, BuildNs: 1000, SizeB: 2000}},
		Cells: []*Cell{{ID: "a/x/local", Workload: "a", Build: "a@local", Config: []KV{{Key: "toolchain", Value: "go1.26.8"}, {Key: "gcflags", Value: "-l; touch /tmp/x"}},
			Runs: []*Run{{Index: 1, Status: StatusOK, Dir: "cells/a/run-1"}, {Index: 2, Status: StatusOK, Dir: "cells/a/run-2"},
				{Index: 3, Status: StatusRateNotAchieved, Dir: "cells/a/run-3"}}}}}
	m.Host.OS, m.Host.Arch, m.Host.Brand, m.Host.ID = "linux", "amd64", "Test CPU", "abc"
	if err := AssembleBench(d, m); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(d.Path, BenchFile))
	want := `goos: linux
goarch: amd64
cpu: Test CPU
host-id: abc
harness-run: r

toolchain: go1.26.8
gcflags: -l; touch /tmp/x
BenchmarkA/op=x 100 5 ns/op 7 p99-ns
Unit ops/s better=higher
BenchmarkA/op=x 100 6 ns/op 8 p99-ns 0 gc-pause-p99-sec 0 errors 0.0 peak-B
BenchmarkBuild/workload=a 1 1000 build-ns 2000 binary-B
`
	if string(got) != want {
		t.Errorf("bench.txt:\n%s\nwant:\n%s", got, want)
	}
}

// TestAssembleBenchHostileManifest: every value a manifest from elsewhere
// holds stays on its own configuration line; none adds a line of its own.
func TestAssembleBenchHostileManifest(t *testing.T) {
	d, _ := Create(t.TempDir(), "r")
	p, _ := d.MkdirAll("cells/a/run-1")
	os.WriteFile(filepath.Join(p, "bench.txt"), []byte("BenchmarkA/op=x 100 5 ns/op\n"), 0o644)
	const inject = "x\nBenchmarkFake 1 1 ns/op\nfake: key"
	m := &Manifest{RunID: "r" + inject, Builds: []*Build{{Key: "a@local", Status: StatusOK, BuildNs: 1, SizeB: 2}},
		Cells: []*Cell{{ID: "a/x/local", Workload: "a" + inject, Build: "a@local",
			Config: []KV{{Key: "toolchain", Value: "go1" + inject}, {Key: "Bad Key" + inject, Value: "v"}},
			Runs:   []*Run{{Index: 1, Status: StatusOK, Dir: "cells/a/run-1"}}}}}
	m.Host.OS, m.Host.Arch, m.Host.ID, m.Host.GOAMD64, m.Host.Brand = "linux"+inject, "amd64"+inject, "id"+inject, "v3"+inject, "cpu"+inject
	if err := AssembleBench(d, m); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(d.Path, BenchFile))
	lines := strings.Split(strings.TrimSpace(string(got)), "\n")
	var benchmarks, configs int
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "Benchmark"):
			benchmarks++
		case strings.Contains(l, ": "):
			configs++
			if k, _, _ := strings.Cut(l, ":"); strings.ContainsAny(k, " ABCDEFGHIJKLMNOPQRSTUVWXYZ") {
				t.Errorf("not a configuration key: %q", l)
			}
		}
	}
	if benchmarks != 2 || configs != 8 || len(lines) != 11 {
		t.Errorf("want 2 benchmark lines (the result, the build) and 8 configuration lines:\n%s", got)
	}
}

func TestTidyZeros(t *testing.T) {
	for _, tc := range []struct{ in, want, why string }{
		{"BenchmarkA 1 0 gc-pause-p99-ns 5 p99-ns", "BenchmarkA 1 0 gc-pause-p99-sec 5 p99-ns", "a zero in ns is written in sec, other values keep their unit"},
		{"BenchmarkA 1 -0 ns/op 0e3 MB/s", "BenchmarkA 1 -0 sec/op 0e3 B/s", "any spelling of zero"},
		{"BenchmarkA\t1\t5 ns/op\t0 B/op", "BenchmarkA\t1\t5 ns/op\t0 B/op", "nothing to tidy: the line is kept byte for byte"},
		{"BenchmarkA 1 0 allocs/op 0 errors 0 sec/ns", "BenchmarkA 1 0 allocs/op 0 errors 0 sec/ns", "units benchfmt keeps: a denominator is never tidied"},
	} {
		if got := tidyZeros(tc.in); got != tc.want {
			t.Errorf("tidyZeros(%q) = %q, want %q: %s", tc.in, got, tc.want, tc.why)
		}
	}
}

func TestCellStatus(t *testing.T) {
	runs := func(ss ...Status) []*Run {
		var out []*Run
		for i, s := range ss {
			out = append(out, &Run{Index: i + 1, Status: s, Reason: string(s) + " because"})
		}
		return out
	}
	for _, tc := range []struct {
		why    string
		runs   []*Run
		want   Status
		reason string
	}{
		{"every run ok", runs(StatusOK, StatusOK), StatusOK, ""},
		{"nothing finished", runs(StatusPlanned, StatusPlanned), StatusPlanned, ""},
		{"one lagged run of three: partial, with how many are valid", runs(StatusOK, StatusGeneratorLagged, StatusOK), StatusPartial,
			"2 of 3 runs valid; run 2 generator-lagged: generator-lagged because"},
		{"every run invalid: the first invalid status", runs(StatusHostContended, StatusRateNotAchieved), StatusHostContended, "run 1: host-contended because"},
		{"a crash fails the cell whatever else", runs(StatusOK, StatusGeneratorLagged, StatusCrashed), StatusCrashed, "run 3: crashed because"},
		{"runs not yet finished are not counted", runs(StatusOK, StatusRateNotAchieved, StatusPlanned), StatusPartial,
			"1 of 2 runs valid; run 2 rate-not-achieved: rate-not-achieved because"},
	} {
		got, reason := CellStatus(tc.runs)
		if got != tc.want || reason != tc.reason {
			t.Errorf("%s: %s (%q), want %s (%q)", tc.why, got, reason, tc.want, tc.reason)
		}
		if got == StatusPartial && got.Failed() {
			t.Errorf("a partial cell is not failed")
		}
		c := &Cell{Runs: tc.runs}
		n := 0
		for _, r := range tc.runs {
			if r.Status == StatusOK {
				n++
			}
		}
		if len(c.ValidRuns()) != n {
			t.Errorf("%s: %d valid runs, want %d", tc.why, len(c.ValidRuns()), n)
		}
	}
}
