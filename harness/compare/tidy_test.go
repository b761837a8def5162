package compare

import (
	"os"
	"path/filepath"
	"testing"
)

// A zero in a scaled unit ("0 gc-pause-p99-ns") belongs in the same table as
// the same metric's non-zero values, which benchfmt tidies to "-sec".
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
