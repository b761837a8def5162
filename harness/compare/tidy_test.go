package compare

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/perf/benchunit"

	"github.com/perfharness/harness/harness/results"
)

// A zero in a scaled unit ("0 gc-pause-p99-ns") belongs in the same table as
// the same metric's non-zero values, which benchfmt tidies to "-sec". The
// harness writes such zeros in the tidy unit (results.AssembleBench); this
// reader tidies them too, for files written before it did.
func TestZeroValuesTidied(t *testing.T) {
	file := filepath.Join(t.TempDir(), "bench.txt")
	os.WriteFile(file, []byte("BenchmarkA 10 0 gc-pause-p99-ns\nBenchmarkA 10 100 gc-pause-p99-ns\n"), 0o644)
	s, err := LoadFiles(file)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := s.Compare(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Tables) != 1 || rep.Tables[0].Unit != "gc-pause-p99-sec" {
		for _, tb := range rep.Tables {
			t.Logf("table %s", tb.Unit)
		}
		t.Fatalf("want one gc-pause-p99-sec table, got %d tables", len(rep.Tables))
	}
}

// results.TidyUnit is benchfmt's unit rule written again below x/perf (the
// results package writes bench.txt and may not import it); benchunit.Tidy
// is the oracle.
func TestTidyUnitAgrees(t *testing.T) {
	for _, u := range []string{
		"ns/op", "sec/op", "MB/s", "B/op", "allocs/op", "p99-ns", "p99.9-ns", "gc-pause-p99-ns", "max-ns",
		"build-ns", "binary-B", "peak-rss-MB", "ops/s", "nsx", "ns_x", "x_ns", "ns/ns", "ns/op*ns", "MB*ns/op",
		"-ns", "ns-", "a--ns", "ns ns", "lag-p99-ns", "µs", "ns\u00a0x", "", "/", "*", "ns/MB*MB",
	} {
		checkTidy(t, u)
	}
}

func FuzzTidyUnit(f *testing.F) {
	for _, u := range []string{"ns/op", "MB/s", "gc-pause-p99-ns", "ns/op*ns", "a b-ns", "x\u2028ns"} {
		f.Add(u)
	}
	f.Fuzz(func(t *testing.T, unit string) { checkTidy(t, unit) })
}

func checkTidy(t *testing.T, unit string) {
	t.Helper()
	got, gotFactor := results.TidyUnit(unit)
	_, want := benchunit.Tidy(1, unit)
	wantFactor, _ := benchunit.Tidy(1, unit)
	if got != want || gotFactor != wantFactor {
		t.Errorf("results.TidyUnit(%q) = %q, %g; benchunit.Tidy: %q, %g", unit, got, gotFactor, want, wantFactor)
	}
}
