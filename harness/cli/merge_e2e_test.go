package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/perfharness/harness/harness/gate"
	"github.com/perfharness/harness/harness/results"
)

// TestShardMergeEndToEnd runs a real spec whole and as three shards
// (harness run --shard, in process, building the synthetic workload),
// merges the shards, and checks the merged folder has exactly the cells of
// the whole run, reports, compares and gates like it, and that a
// confirmation rerun (gate --confirm) runs the baseline's binaries
// interleaved with the candidate's.
//
// Note: the test runs on whatever host it is given, busy ones included
// (a 2-core machine at load 15 withholds 70-90% of the CPU its runs ask
// for, and their P50 latency moves from 8 µs to 10 ms between identical
// runs). So the regression it confirms is one no load can hide or fake —
// allocations, which allocs/op counts — and its gates judge every row
// whatever the host's contention on each side (--ignore-contention): how
// busy the machine was while each side ran is not the test's to choose.
func TestShardMergeEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs workloads")
	}
	_, file, _, _ := runtime.Caller(0)
	repo := filepath.Join(filepath.Dir(file), "..", "..")
	tmp := t.TempDir()
	specText := func(allocs string, more ...string) string {
		return fmt.Sprintf(`name: sharding
toolchains: [local]
matrix:
  gomaxprocs: [1, 2]
workloads:
  - name: synthetic
    kind: fixed-rate
    package: %s
    ops: [spin]
    rate: [500/s, 1000/s]
    duration: 250ms
    warmup: 50ms
    concurrency: 1
    params: {work: "2000", allocs: "%s"}
    max_lag_p99: 1s
    rate_tolerance: 50%%
%sruns: {count: 4}
`, filepath.Join(repo, "workloads", "synthetic"), allocs, strings.Join(more, ""))
	}
	spec := filepath.Join(tmp, "bench.yaml")
	os.WriteFile(spec, []byte(specText("0")), 0o644)
	cache, lock := filepath.Join(tmp, "cache"), filepath.Join(tmp, "lock")
	run := func(root string, extra ...string) string {
		t.Helper()
		args := append([]string{"run", spec, "--results", root, "--cache", cache, "--lock", lock, "--no-report"}, extra...)
		code, stdout, stderr := harness(t, args...)
		if code != ExitOK {
			t.Fatalf("harness %s: exit %d\n%s\n%s", strings.Join(args, " "), code, stdout, stderr)
		}
		p, err := filepath.EvalSymlinks(filepath.Join(root, "latest"))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	cellIDs := func(dir string) []string {
		d, _ := results.Open(dir)
		m, err := d.ReadManifest()
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, c := range m.Cells {
			ids = append(ids, c.ID)
		}
		return ids
	}
	whole := run(filepath.Join(tmp, "whole"))
	var shards []string
	var union []string
	for i := 1; i <= 3; i++ {
		s := run(filepath.Join(tmp, fmt.Sprintf("shard%d", i)), "--shard", fmt.Sprintf("%d/3", i))
		shards = append(shards, s)
		union = append(union, cellIDs(s)...)
	}
	want := cellIDs(whole)
	if len(want) != 4 {
		t.Fatalf("the spec should have 4 cells, has %v", want)
	}
	if got := slices.Sorted(slices.Values(union)); !slices.Equal(got, slices.Sorted(slices.Values(want))) {
		t.Errorf("shards hold %v, the whole run %v", union, want)
	}
	merged := filepath.Join(tmp, "merged", "nightly-1")
	if code, stdout, stderr := harness(t, append([]string{"merge", "-o", merged}, shards...)...); code != ExitOK {
		t.Fatalf("merge: %d\n%s\n%s", code, stdout, stderr)
	}
	if got := cellIDs(merged); !slices.Equal(got, want) {
		t.Errorf("merged cells %v, want the whole run's %v in its order", got, want)
	}
	if code, _, stderr := harness(t, "report", merged, "--reports", filepath.Join(tmp, "report")); code != ExitOK {
		t.Errorf("report of the merged run: exit %d: %s", code, stderr)
	}
	if code, _, stderr := harness(t, "compare", whole, merged); code != ExitOK {
		t.Errorf("compare whole vs merged: exit %d: %s", code, stderr)
	}
	// Identical code on both sides: a verdict (the time figures of an A/A
	// pair on a busy host may differ), never an invalid comparison.
	code, stdout, stderr := harness(t, "gate", "--baseline", whole, "--candidate", merged, "--out", filepath.Join(tmp, "gate"), "--ignore-contention")
	if code != ExitOK && code != ExitRegression {
		t.Errorf("gate whole vs merged: exit %d (want a verdict, 0 or 1)\n%s\n%s", code, stdout, stderr)
	}

	// A candidate whose op allocates 100 objects more, confirmed by
	// rerunning it interleaved with the baseline's binary. The driver's own
	// allocations are 6-15 per op here, so allocs/op grows more than
	// sevenfold; the 100% threshold leaves the noise of those no say. Four
	// runs a side cannot pass an FDR adjustment over the family (p ≥ 0.029
	// each): each row at α here.
	os.WriteFile(spec, []byte(specText("100")), 0o644)
	slow := run(filepath.Join(tmp, "slow"))
	out := filepath.Join(tmp, "gate-confirm")
	code, stdout, stderr = harness(t, "gate", "--baseline", whole, "--candidate", slow, "--out", out, "--confirm", "4",
		"--cache", cache, "--lock", lock, "--metric", "allocs/op=100%", "--fdr", "off", "--ignore-contention")
	if code != ExitRegression || !strings.Contains(stdout, "confirmation:") {
		t.Fatalf("gate --confirm: exit %d\n%s\n%s", code, stdout, stderr)
	}
	gj, _ := os.ReadFile(filepath.Join(out, "gate.json"))
	var rep gate.Report
	if err := json.Unmarshal(gj, &rep); err != nil {
		t.Fatalf("gate.json: %v", err)
	}
	// Four reruns a side can reach α: every rerun row is judged on the
	// interleaved reruns alone first, which needs the reruns' rows to match
	// the first pass's (written by the confirmation, read by compare).
	if rep.Confirm == nil || !rep.Confirm.Baseline || !rep.Confirm.Alone || len(rep.Confirm.Cells) != len(want) {
		t.Fatalf("confirmation %+v: want all %d cells rerun with the baseline's binaries and judged on the reruns alone", rep.Confirm, len(want))
	}
	allocs := 0
	for _, r := range rep.Rows {
		if r.Unit != "allocs/op" {
			continue
		}
		allocs++
		if !r.Fails() || r.Base.N != 4 || r.Cand.N != 4 || !strings.HasPrefix(r.Why, "on the interleaved reruns alone") {
			t.Errorf("%s %s allocs/op: %s with n %d and %d (%s); want a regression on the 4 interleaved reruns of each side alone", r.Config, r.Benchmark, r.Verdict, r.Base.N, r.Cand.N, r.Why)
		}
	}
	if allocs != len(want) || rep.Confirm.Confirmed < len(want) || rep.Confirm.Decided < len(want) {
		t.Errorf("%d allocs/op rows, %d regressions confirmed; want one regression a cell (%d) confirmed:\n%s", allocs, rep.Confirm.Confirmed, len(want), stdout)
	}
	confirm, _ := filepath.Glob(filepath.Join(out, "confirm", "2*", "bench-baseline.txt"))
	if len(confirm) != 1 {
		t.Errorf("no baseline reruns collected under %s", filepath.Join(out, "confirm"))
	}

	// A candidate whose cells fail for real — an op whose setup fails, and
	// an op far too slow for its rate — is invalid (exit 3), not a pass.
	os.WriteFile(spec, []byte(specText("0", fmt.Sprintf(`  - name: broken
    kind: fixed-rate
    package: %s
    ops: [fail]
    rate: 100/s
    duration: 100ms
    warmup: 10ms
  - name: overload
    kind: fixed-rate
    package: %s
    ops: [spin]
    rate: 4000/s
    duration: 100ms
    warmup: 10ms
    params: {work: "200000"}
`, filepath.Join(repo, "workloads", "synthetic"), filepath.Join(repo, "workloads", "synthetic")))), 0o644)
	code, stdout, stderr = harness(t, "run", spec, "--results", filepath.Join(tmp, "broken"), "--cache", cache, "--lock", lock, "--no-report", "--count", "4")
	if code != ExitIncomplete {
		t.Fatalf("a run with failing cells: exit %d\n%s\n%s", code, stdout, stderr)
	}
	broken, _ := filepath.EvalSymlinks(filepath.Join(tmp, "broken", "latest"))
	code, stdout, stderr = harness(t, "gate", "--baseline", whole, "--candidate", broken, "--out", filepath.Join(tmp, "gate-broken"))
	if code != ExitIncomplete || !strings.Contains(stdout, "broken/fail/local") || !strings.Contains(stdout, ": failed") ||
		!strings.Contains(stdout, "overload/spin/local") || !strings.Contains(stdout, "rate-not-achieved") {
		t.Errorf("gate on a candidate with a failed and a rate-not-achieved cell: exit %d\n%s\n%s", code, stdout, stderr)
	}
}
