package results

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/perfharness/harness/harness/host"
	"github.com/perfharness/harness/harness/spec"
)

const shardedSpec = `name: sharded
toolchains: [local]
workloads:
  - name: synthetic
    kind: fixed-rate
    package: ./workloads/synthetic
    ops: [a, b, c, d, e]
    rate: 1000/s
`

var t0 = time.Date(2026, 11, 1, 2, 0, 0, 0, time.UTC)

func specIDs(t *testing.T) []string {
	t.Helper()
	s, err := spec.Parse("bench.yaml", []byte(shardedSpec))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range s.Cells() {
		ids = append(ids, c.ID)
	}
	return ids
}

// shard returns shard i/n of shardedSpec in memory, as harness run --shard
// records it: the cells InShard selects, each with one ok run.
func shard(t *testing.T, i, n int, hostID string) *Shard {
	t.Helper()
	m := &Manifest{Format: 1, RunID: fmt.Sprintf("shard%d", i), Name: "sharded", SpecFile: "bench.yaml", SpecSHA256: SHA256([]byte(shardedSpec)),
		Status: RunComplete, Started: t0.Add(time.Duration(i) * time.Minute), Finished: t0.Add(time.Hour),
		Host:  host.Fingerprint{CPU: host.CPU{Brand: "Test CPU"}, Hostname: fmt.Sprintf("runner-%d", i), ID: hostID},
		Count: 1, Shard: fmt.Sprintf("%d/%d", i, n), Warnings: []string{}}
	for j, id := range specIDs(t) {
		if InShard(j, i, n) {
			m.Cells = append(m.Cells, &Cell{ID: id, Dir: "cells/" + CellDir(id), Status: StatusOK,
				Runs: []*Run{{Index: 1, Status: StatusOK, Dir: "cells/" + CellDir(id) + "/run-1"}}})
		}
	}
	return &Shard{Path: "results/" + m.RunID, Manifest: m, Spec: []byte(shardedSpec)}
}

func TestMergeRules(t *testing.T) {
	m, err := Merge([]*Shard{shard(t, 2, 2, "h1"), shard(t, 1, 2, "h1")}, "merged", MergeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range m.Cells {
		got = append(got, c.ID)
	}
	if !slices.Equal(got, specIDs(t)) || m.Status != RunComplete || m.Shard != "" || m.RunID != "merged" || !m.Started.Equal(t0.Add(time.Minute)) ||
		!strings.HasPrefix(m.Warnings[0], "merged from shards 1/2 (shard1 on Test CPU, runner-1), 2/2") {
		t.Errorf("merged: cells %v status %s warnings %q started %v", got, m.Status, m.Warnings, m.Started)
	}

	failed := shard(t, 2, 2, "h1")
	failed.Manifest.Status, failed.Manifest.Cells[0].Status = RunIncomplete, StatusCrashed
	if m, err := Merge([]*Shard{shard(t, 1, 2, "h1"), failed}, "m", MergeOptions{}); err != nil || m.Status != RunIncomplete || m.Reason != "shard 2/2 is incomplete" {
		t.Errorf("an incomplete shard: %v %v", m, err)
	}
	if m, err := Merge([]*Shard{shard(t, 1, 3, "h1")}, "m", MergeOptions{Partial: true}); err != nil || m.Status != RunIncomplete || m.Reason != "shards 2/3, 3/3 are missing" {
		t.Errorf("partial: %+v %v", m, err)
	}
	if m, err := Merge([]*Shard{shard(t, 1, 2, "h1"), shard(t, 2, 2, "h2")}, "m", MergeOptions{AllowHostMismatch: true}); err != nil || !strings.HasPrefix(m.Warnings[1], "HOST MISMATCH: shard 2/2") {
		t.Errorf("allowed host mismatch: %v %v", m, err)
	}

	for _, tc := range []struct {
		why    string
		shards func() []*Shard
		want   string
	}{
		{"nothing to merge", func() []*Shard { return nil }, "no shards to merge"},
		{"a shard twice", func() []*Shard { return []*Shard{shard(t, 1, 2, "h1"), shard(t, 1, 2, "h1"), shard(t, 2, 2, "h1")} }, "shard 1/2 given twice"},
		{"missing shards", func() []*Shard { return []*Shard{shard(t, 1, 3, "h1")} }, "shards 2/3, 3/3 are missing (pass --partial"},
		{"different counts", func() []*Shard { return []*Shard{shard(t, 1, 2, "h1"), shard(t, 2, 3, "h1")} }, "different shard counts"},
		{"hosts differ", func() []*Shard { return []*Shard{shard(t, 1, 2, "h1"), shard(t, 2, 2, "h2")} }, "would mix kinds of machine"},
		{"spec copy edited", func() []*Shard {
			s := shard(t, 2, 2, "h1")
			s.Spec = append(s.Spec, '#')
			return []*Shard{shard(t, 1, 2, "h1"), s}
		}, "its spec copy does not match"},
		{"another spec", func() []*Shard {
			s := shard(t, 2, 2, "h1")
			s.Manifest.SpecSHA256 = "0123456789abcdef"
			return []*Shard{shard(t, 1, 2, "h1"), s}
		}, "ran another spec"},
		{"a cell of another shard", func() []*Shard {
			s := shard(t, 2, 2, "h1")
			s.Manifest.Cells = append(s.Manifest.Cells, &Cell{ID: specIDs(t)[0]})
			return []*Shard{shard(t, 1, 2, "h1"), s}
		}, "which is not in shard 2/2"},
		{"a cell short", func() []*Shard {
			s := shard(t, 2, 2, "h1")
			s.Manifest.Cells = s.Manifest.Cells[1:]
			return []*Shard{shard(t, 1, 2, "h1"), s}
		}, "lacks 1 cells of shard 2/2"},
		{"still running", func() []*Shard {
			s := shard(t, 2, 2, "h1")
			s.Manifest.Status = RunRunning
			return []*Shard{shard(t, 1, 2, "h1"), s}
		}, "is still running"},
		{"not a shard", func() []*Shard {
			s := shard(t, 1, 1, "h1")
			s.Manifest.Shard = ""
			return []*Shard{s}
		}, "not a shard (its run had no --shard)"},
	} {
		if _, err := Merge(tc.shards(), "m", MergeOptions{}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.why, err, tc.want)
		}
	}
}

func TestWriteMerged(t *testing.T) {
	root := t.TempDir()
	var shards []*Shard
	for i := 1; i <= 2; i++ {
		sh := shard(t, i, 2, "h1")
		d, err := Create(root, sh.Manifest.RunID)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range sh.Manifest.Cells {
			d.MkdirAll(c.Runs[0].Dir)
			d.WriteFile(filepath.Join(c.Runs[0].Dir, BenchFile), []byte("BenchmarkS/"+c.ID+" 1 5 ns/op\n"))
		}
		d.MkdirAll("builds")
		d.WriteFile("builds/b.log", []byte("log\n"))
		d.WriteFile(SpecFile, sh.Spec)
		d.WriteManifest(sh.Manifest)
		read, err := ReadShard(d.Path)
		if err != nil {
			t.Fatal(err)
		}
		shards = append(shards, read)
	}
	m, err := Merge(shards, "merged", MergeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(root, "merged")
	d, err := WriteMerged(out, shards, m)
	if err != nil {
		t.Fatal(err)
	}
	bench, _ := os.ReadFile(filepath.Join(d.Path, BenchFile))
	if n := strings.Count(string(bench), "BenchmarkS/"); n != 5 {
		t.Errorf("bench.txt has %d result lines, want 5:\n%s", n, bench)
	}
	if _, err := os.Stat(filepath.Join(out, "builds", "b.log")); err != nil {
		t.Errorf("build log not copied: %v", err)
	}
	if again, err := d.ReadManifest(); err != nil || again.BenchSHA256 != SHA256(bench) {
		t.Errorf("merged manifest: %v", err)
	}
	if _, err := WriteMerged(out, shards, m); !errors.Is(err, fs.ErrExist) {
		t.Errorf("an existing output folder: %v, want fs.ErrExist", err)
	}
}

func TestFindAndList(t *testing.T) {
	root := t.TempDir()
	for i, id := range []string{"older", "newer"} {
		d, _ := Create(root, id)
		d.WriteManifest(&Manifest{Format: 1, RunID: id, Started: t0.Add(time.Duration(i) * time.Hour), Status: RunComplete,
			Cells: []*Cell{{ID: "a", Status: StatusOK}, {ID: "b", Status: StatusCrashed}, {ID: "c", Status: StatusSkipped}}})
	}
	broken, _ := Create(root, "broken")
	broken.WriteFile(ManifestFile, []byte("{"))
	SetLatest(root, "newer")

	stored, warnings, err := List(root)
	if err != nil || len(stored) != 2 || len(warnings) != 1 || !strings.Contains(warnings[0], "broken") {
		t.Fatalf("List: %d runs, warnings %q, %v", len(stored), warnings, err)
	}
	SortNewestFirst(stored)
	if stored[0].Manifest.RunID != "newer" {
		t.Errorf("newest first: %s", stored[0].Manifest.RunID)
	}
	if n := stored[0].Manifest.Counts(); n.OK != 1 || n.Failed != 1 {
		t.Errorf("cell counts %+v", n)
	}
	for arg, want := range map[string]string{"older": "older", "latest": "newer", filepath.Join(root, "older"): "older"} {
		if s, err := Find(arg, root); err != nil || s.Manifest.RunID != want {
			t.Errorf("Find(%q): %v, %v", arg, s.Manifest, err)
		}
	}
	for _, arg := range []string{"nope", "../older", filepath.Join(root, "nope")} {
		if _, err := Find(arg, root); err == nil {
			t.Errorf("Find(%q) found a run", arg)
		}
	}
	if _, _, err := List(filepath.Join(root, "nope")); err == nil || !strings.Contains(err.Error(), "no results folder") {
		t.Errorf("List of a missing root: %v", err)
	}
}

func TestOutcome(t *testing.T) {
	m := &Manifest{Cells: []*Cell{{Status: StatusOK, Runs: []*Run{{Status: StatusOK}}}, {Status: StatusSkipped}}}
	if s, r := m.Outcome(); s != RunComplete || r != "" {
		t.Errorf("all ok: %s %q", s, r)
	}
	m.Cells[0].Runs = append(m.Cells[0].Runs, &Run{Status: StatusPlanned})
	if s, r := m.Outcome(); s != RunIncomplete || r != "some runs did not happen" {
		t.Errorf("a run pending: %s %q", s, r)
	}
	m.Cells[1].Status = StatusBuildFailed
	if s, r := m.Outcome(); s != RunIncomplete || r != "some cells failed; see their reasons" {
		t.Errorf("a cell failed: %s %q", s, r)
	}
}
