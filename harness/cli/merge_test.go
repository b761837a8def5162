package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/perfharness/harness/harness/host"
	"github.com/perfharness/harness/harness/results"
	"github.com/perfharness/harness/harness/spec"
)

const mergeSpec = `name: sharded
toolchains: [local]
workloads:
  - name: synthetic
    kind: fixed-rate
    package: ./workloads/synthetic
    ops: [a, b, c, d, e, f, g]
    rate: 1000/s
runs: {count: 4}
`

func specCellIDs(t *testing.T, src string) []string {
	t.Helper()
	s, err := spec.Parse("bench.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range s.Cells() {
		ids = append(ids, c.ID)
	}
	return ids
}

// fakeShard writes shard i/n of mergeSpec as harness run --shard would:
// the cells whose index modulo n is i-1, each with 4 ok runs.
func fakeShard(t *testing.T, root string, i, n int, hostID string, edit func(m *results.Manifest, ids []string) []string) string {
	t.Helper()
	id := fmt.Sprintf("shard%d", i)
	d, err := results.Create(root, id)
	if err != nil {
		t.Fatal(err)
	}
	all := specCellIDs(t, mergeSpec)
	var ids []string
	for j, cid := range all {
		if results.InShard(j, i, n) {
			ids = append(ids, cid)
		}
	}
	m := &results.Manifest{Format: 1, RunID: id, Name: "sharded", SpecFile: "bench.yaml", SpecSHA256: results.SHA256([]byte(mergeSpec)),
		Status: results.RunComplete, Started: day0.Add(time.Duration(i) * time.Minute), Finished: day0.Add(time.Hour),
		Host:  host.Fingerprint{CPU: host.CPU{Brand: "Test CPU", Arch: "amd64"}, OS: "linux", Hostname: fmt.Sprintf("runner-%d", i), ID: hostID, Warnings: []string{}},
		Count: 4, Shard: fmt.Sprintf("%d/%d", i, n), Profiles: []string{}, Warnings: []string{},
		Builds: []*results.Build{{Key: "synthetic@local", Status: results.StatusOK, BuildNs: 1e9, SizeB: 1 << 20}}}
	if edit != nil {
		ids = edit(m, ids)
	}
	for _, cid := range ids {
		op := strings.Split(cid, "/")[1]
		c := &results.Cell{ID: cid, Dir: filepath.Join("cells", results.CellDir(cid)), Workload: "synthetic", Op: op, Kind: "fixed-rate",
			Status: results.StatusOK, Build: "synthetic@local", Config: []results.KV{{Key: "workload", Value: "synthetic"}, {Key: "toolchain", Value: "go1.26.8"}}}
		for r := 1; r <= 4; r++ {
			run := &results.Run{Index: r, Status: results.StatusOK, Dir: filepath.Join(c.Dir, fmt.Sprintf("run-%d", r))}
			c.Runs = append(c.Runs, run)
			d.MkdirAll(run.Dir)
			d.WriteFile(filepath.Join(run.Dir, "bench.txt"), []byte(fmt.Sprintf("Unit p50-ns better=lower\nBenchmarkSynthetic/op=%s-2 100 %d ns/op %d p50-ns\n", op, 1000+r, 900+r)))
		}
		m.Cells = append(m.Cells, c)
	}
	d.MkdirAll("builds")
	d.WriteFile("builds/synthetic_local.log", []byte("built\n"))
	d.WriteFile(results.SpecFile, []byte(mergeSpec))
	if err := d.WriteManifest(m); err != nil {
		t.Fatal(err)
	}
	if err := results.AssembleBench(d, m); err != nil {
		t.Fatal(err)
	}
	return d.Path
}

func TestMerge(t *testing.T) {
	root := t.TempDir()
	s1, s2, s3 := fakeShard(t, root, 1, 3, "h1", nil), fakeShard(t, root, 2, 3, "h1", nil), fakeShard(t, root, 3, 3, "h1", nil)
	out := filepath.Join(root, "merged")
	code, stdout, stderr := harness(t, "merge", "-o", out, s3, s1, s2)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	d, _ := results.Open(out)
	m, err := d.ReadManifest()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range m.Cells {
		got = append(got, c.ID)
		for _, r := range c.Runs {
			if _, err := os.Stat(filepath.Join(out, r.Dir, "bench.txt")); err != nil {
				t.Errorf("run folder not copied: %v", err)
			}
		}
	}
	if want := specCellIDs(t, mergeSpec); !slices.Equal(got, want) {
		t.Errorf("merged cells %v, want the spec's cells in spec order %v", got, want)
	}
	if m.Status != results.RunComplete || m.Shard != "" || m.RunID != "merged" || !strings.HasPrefix(m.Warnings[0], "merged from shards 1/3 (shard1") {
		t.Errorf("manifest: status %s shard %q id %s warnings %q", m.Status, m.Shard, m.RunID, m.Warnings)
	}
	bench, _ := os.ReadFile(filepath.Join(out, "bench.txt"))
	if n := strings.Count(string(bench), "BenchmarkSynthetic/"); n != 7*4 {
		t.Errorf("bench.txt has %d result lines, want 28:\n%s", n, bench)
	}
	if _, err := os.Stat(filepath.Join(out, "builds", "synthetic_local.log")); err != nil {
		t.Errorf("build log not copied: %v", err)
	}
	// The merged folder gates like any other.
	other := filepath.Join(root, "merged2")
	if code, _, stderr := harness(t, "merge", "-o", other, s1, s2, s3); code != ExitOK {
		t.Fatalf("second merge: %s", stderr)
	}
	if code, stdout, stderr := harness(t, "gate", "--baseline", out, "--candidate", other, "--out", t.TempDir(), "--min-samples", "4"); code != ExitOK {
		t.Errorf("gate on merged folders: exit %d\n%s\n%s", code, stdout, stderr)
	}
}

func TestMergeRefuses(t *testing.T) {
	for _, tc := range []struct {
		why   string
		setup func(t *testing.T, root string) []string
		flags []string
		want  string
		code  int
	}{
		{"a shard given twice", func(t *testing.T, root string) []string {
			s1 := fakeShard(t, root, 1, 2, "h1", nil)
			return []string{s1, s1, fakeShard(t, root, 2, 2, "h1", nil)}
		}, nil, "shard 1/2 given twice", ExitUsage},
		{"another spec", func(t *testing.T, root string) []string {
			return []string{fakeShard(t, root, 1, 2, "h1", nil), fakeShard(t, root, 2, 2, "h1", func(m *results.Manifest, ids []string) []string {
				m.SpecSHA256 = "0123456789abcdef"
				return ids
			})}
		}, nil, "ran another spec", ExitUsage},
		{"different shard counts", func(t *testing.T, root string) []string {
			return []string{fakeShard(t, root, 1, 2, "h1", nil), fakeShard(t, root, 2, 3, "h1", nil)}
		}, nil, "different shard counts", ExitUsage},
		{"a shard claiming a cell of another shard", func(t *testing.T, root string) []string {
			return []string{fakeShard(t, root, 1, 2, "h1", nil), fakeShard(t, root, 2, 2, "h1", func(m *results.Manifest, ids []string) []string {
				return append(ids, "synthetic/a/local")
			})}
		}, nil, "claims cell synthetic/a/local, which is not in shard 2/2", ExitUsage},
		{"a shard missing some of its cells", func(t *testing.T, root string) []string {
			return []string{fakeShard(t, root, 1, 2, "h1", nil), fakeShard(t, root, 2, 2, "h1", func(m *results.Manifest, ids []string) []string {
				return ids[1:]
			})}
		}, nil, "lacks 1 cells of shard 2/2", ExitUsage},
		{"a missing shard", func(t *testing.T, root string) []string {
			return []string{fakeShard(t, root, 1, 3, "h1", nil), fakeShard(t, root, 3, 3, "h1", nil)}
		}, nil, "shards 2/3 are missing", ExitUsage},
		{"a missing shard with --partial: merged but incomplete", func(t *testing.T, root string) []string {
			return []string{fakeShard(t, root, 1, 3, "h1", nil), fakeShard(t, root, 3, 3, "h1", nil)}
		}, []string{"--partial"}, "incomplete", ExitIncomplete},
		{"shards from different hosts", func(t *testing.T, root string) []string {
			return []string{fakeShard(t, root, 1, 2, "h1", nil), fakeShard(t, root, 2, 2, "h2", nil)}
		}, nil, "merged results would mix kinds of machine", ExitUsage},
		{"a symlink in a run folder", func(t *testing.T, root string) []string {
			s := fakeShard(t, root, 1, 1, "h1", nil)
			os.WriteFile(filepath.Join(root, "secret"), []byte("SECRET"), 0o644)
			runs, _ := filepath.Glob(filepath.Join(s, "cells", "*", "run-1"))
			os.Symlink(filepath.Join(root, "secret"), filepath.Join(runs[0], "stdout.log"))
			return []string{s}
		}, nil, "stdout.log: not a regular file (a symbolic link, not followed)", ExitIncomplete},
		{"a run's bench.txt past its size limit", func(t *testing.T, root string) []string {
			s := fakeShard(t, root, 1, 1, "h1", nil)
			runs, _ := filepath.Glob(filepath.Join(s, "cells", "*", "run-1"))
			os.Truncate(filepath.Join(runs[0], "bench.txt"), results.MaxBench+1)
			return []string{s}
		}, nil, "bench.txt: too big", ExitIncomplete},
		{"not a shard", func(t *testing.T, root string) []string {
			return []string{fakeShard(t, root, 1, 1, "h1", func(m *results.Manifest, ids []string) []string { m.Shard = ""; return ids })}
		}, nil, "not a shard", ExitUsage},
	} {
		t.Run(tc.why, func(t *testing.T) {
			root := t.TempDir()
			args := append([]string{"merge", "-o", filepath.Join(root, "out")}, tc.flags...)
			code, stdout, stderr := harness(t, append(args, tc.setup(t, root)...)...)
			if code != tc.code || !strings.Contains(stdout+stderr, tc.want) {
				t.Errorf("exit %d, want %d with %q\nstdout: %s\nstderr: %s", code, tc.code, tc.want, stdout, stderr)
			}
			if tc.code == ExitUsage {
				if _, err := os.Stat(filepath.Join(root, "out")); err == nil {
					t.Errorf("a refused merge left its output folder")
				}
			}
		})
	}
	root := t.TempDir()
	s1 := fakeShard(t, root, 1, 1, "h1", nil)
	os.Mkdir(filepath.Join(root, "exists"), 0o755)
	if code, _, stderr := harness(t, "merge", "-o", filepath.Join(root, "exists"), s1); code != ExitUsage || !strings.Contains(stderr, "exists") {
		t.Errorf("an existing output folder: %d %s", code, stderr)
	}
}
