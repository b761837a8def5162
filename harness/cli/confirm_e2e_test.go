package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/perfharness/harness/harness/gate"
	"github.com/perfharness/harness/harness/results"
	"github.com/perfharness/harness/harness/verify"
)

// TestConfirmRunsNoPathFromAManifest gives a confirmation baselines and
// candidates whose manifests name an arbitrary executable as their
// binary: it is never run. The confirmation reruns the binaries the build
// cache holds under the recorded cache keys, digests checked, and refuses
// (with a reason, the first verdict standing) when the key is not a cache
// key, not in the cache, or its binary is not the one recorded.
func TestConfirmRunsNoPathFromAManifest(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs workloads")
	}
	_, file, _, _ := runtime.Caller(0)
	repo := filepath.Join(filepath.Dir(file), "..", "..")
	tmp := t.TempDir()
	specText := func(slowdown string) string {
		return fmt.Sprintf(`name: confirm
toolchains: [local]
workloads:
  - name: synthetic
    kind: fixed-rate
    package: %s
    ops: [spin]
    rate: 500/s
    duration: 150ms
    warmup: 50ms
    concurrency: 1
    params: {work: "2000", slowdown: "%s"}
    max_lag_p99: 1s
    rate_tolerance: 50%%
    max_cpu_withheld: 100%%
runs: {count: 4}
`, filepath.Join(repo, "workloads", "synthetic"), slowdown)
	}
	spec := filepath.Join(tmp, "bench.yaml")
	cache, lock := filepath.Join(tmp, "cache"), filepath.Join(tmp, "lock")
	run := func(root, slowdown string) string {
		t.Helper()
		os.WriteFile(spec, []byte(specText(slowdown)), 0o644)
		code, stdout, stderr := harness(t, "run", spec, "--results", root, "--cache", cache, "--lock", lock, "--no-report")
		if code != ExitOK {
			t.Fatalf("harness run: exit %d\n%s\n%s", code, stdout, stderr)
		}
		p, err := filepath.EvalSymlinks(filepath.Join(root, "latest"))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	base := run(filepath.Join(tmp, "base"), "0")
	slow := run(filepath.Join(tmp, "slow"), "1") // twice as slow: a regression even on a busy machine

	// Anything that runs this leaves a mark.
	marker := filepath.Join(tmp, "executed")
	evil := filepath.Join(tmp, "evil")
	os.WriteFile(evil, []byte("#!/bin/sh\necho \"$0 $*\" >> "+marker+"\n"), 0o755)
	tamper := func(src string, edit func(b *results.Build)) string {
		t.Helper()
		dst := filepath.Join(t.TempDir(), filepath.Base(src))
		copyDir(t, src, dst)
		d, err := results.Open(dst)
		if err != nil {
			t.Fatal(err)
		}
		m, err := d.ReadManifest()
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range m.Builds {
			if b.BinarySHA256 == "" || b.CacheKey == "" {
				t.Fatalf("build %s recorded no digest or cache key", b.Key)
			}
			edit(b)
		}
		if err := d.WriteManifest(m); err != nil {
			t.Fatal(err)
		}
		return dst
	}
	named := func(b *results.Build) { b.Binary = evil }
	// The first verdict is made to hold a regression of the one cell, so
	// confirmation runs whatever the statistics of a busy machine say.
	read := func(dir string) *results.Manifest {
		t.Helper()
		d, err := results.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		m, err := d.ReadManifest()
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	cell := read(base).Cells[0].ID
	for _, tt := range []struct {
		why           string
		baseline      func(b *results.Build)
		candidate     func(b *results.Build)
		baselineRerun bool
		want          string // in the confirmation's notes
	}{
		{"both name the executable; their cache keys are intact", named, named, true, ""},
		{"the baseline's cache key is a path", func(b *results.Build) { named(b); b.CacheKey = "../../../../" + evil }, named, false, "is not a build cache key"},
		{"the baseline's cache key is not in the cache", func(b *results.Build) { named(b); b.CacheKey = strings.Repeat("ab", 32) }, named, false, "no build cache entry"},
		{"the baseline's digest is not the cached binary's", func(b *results.Build) { named(b); b.BinarySHA256 = strings.Repeat("0", 64) }, named, false, "holds another binary than the run recorded"},
		{"the candidate's cache key is not in the cache: rebuilt, and the rebuild's key differs", named, func(b *results.Build) { named(b); b.CacheKey = strings.Repeat("cd", 32) }, true, "a rebuild differs"},
	} {
		t.Run(tt.why, func(t *testing.T) {
			b, c := tamper(base, tt.baseline), tamper(slow, tt.candidate)
			bm, cm := read(b), read(c)
			in := gate.Input{Baseline: bm, Candidate: cm, BaselinePath: b, CandidatePath: c, Policy: gate.PolicyFrom(cm.Gate)}
			first := &gate.Report{Outcome: gate.Regressed, Rows: []gate.Row{{Cell: cell, Config: "forced", Benchmark: "Synthetic/op=spin", Unit: "p50-sec",
				Gated: true, Verdict: gate.Regression}}}
			rep := verify.Confirm(context.Background(), in, first, 1, t.TempDir(),
				verify.RunOptions{Cache: cache, Lock: lock, Wait: true, Progress: io.Discard})
			if data, err := os.ReadFile(marker); err == nil {
				t.Fatalf("the executable a manifest named was run: %s", data)
			}
			if rep.Confirm == nil {
				t.Fatalf("no confirmation: %+v", rep)
			}
			notes := strings.Join(append(rep.Confirm.Notes, rep.Problems...), "\n")
			if rep.Confirm.Baseline != tt.baselineRerun || !strings.Contains(notes, tt.want) {
				t.Errorf("baseline rerun %v, notes %q; want %v and a note saying %q", rep.Confirm.Baseline, notes, tt.baselineRerun, tt.want)
			}
			if tt.want == "" && rep.Confirm.Folder == "" {
				t.Errorf("the confirmation did not run: %q", notes)
			}
		})
	}
}
