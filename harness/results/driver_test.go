package results

import (
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadDriverResult(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadDriverResult(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("no result.json: %v, want fs.ErrNotExist", err)
	}
	for _, tc := range []struct {
		data, want string
		why        string
	}{
		{`{"format": 1, "status": "ok", "achieved_ra`, "result.json: truncated JSON", "a file cut short never reads as valid"},
		{`{"format": 2, "status": "ok"}`, "unsupported result format 2", "another format is refused, not misread"},
		{`{"status": "ok"}`, "unsupported result format 0", "no format: not a driver's file"},
		{`{"format": 1, "status": 7}`, "result.json:1:", "a wrong type names the line"},
	} {
		os.WriteFile(filepath.Join(dir, ResultFile), []byte(tc.data), 0o644)
		if _, err := ReadDriverResult(dir); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.why, err, tc.want)
		}
	}
	os.WriteFile(filepath.Join(dir, ResultFile), []byte(`{"format": 1, "status": "rate-not-achieved", "target_rate": 1000, "latency": {"p50_ns": 5, "p99_ns": 9},
		"runtime": {"gc_pause_p99_ns": 40960, "gc_cycles_per_second": [1, 0, 2]}, "op_report": {"status_codes": {"500": 3}}, "new_field": true}`), 0o644)
	res, err := ReadDriverResult(dir)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusRateNotAchieved || res.TargetRate != 1000 || res.Latency.P99Ns != 9 || res.Runtime.GCPauseP99Ns != 40960 ||
		len(res.Runtime.GCPerSecond) != 3 || res.OpReport.StatusCodes["500"] != 3 {
		t.Errorf("read %+v", res)
	}

	os.MkdirAll(filepath.Join(dir, ServerDir), 0o755)
	os.WriteFile(filepath.Join(dir, ServerDir, ServerFile), []byte(`{"format": 1, "status": "ok", "requests": 10, "runtime": {"peak_rss_B": 4096, "alloc_objects": 20}}`), 0o644)
	srv, err := ReadServerResult(dir)
	if err != nil || srv.Requests != 10 || srv.Runtime.PeakRSSB != 4096 || srv.Runtime.AllocObjects != 20 {
		t.Errorf("server.json: %+v, %v", srv, err)
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		xs   []float64
		want float64
	}{{nil, math.NaN()}, {[]float64{3}, 3}, {[]float64{3, 1, 2}, 2}, {[]float64{4, 1, 3, 2}, 2.5}} {
		in := append([]float64(nil), tc.xs...)
		if got := Median(tc.xs); got != tc.want && !(math.IsNaN(got) && math.IsNaN(tc.want)) {
			t.Errorf("Median(%v) = %v, want %v", tc.xs, got, tc.want)
		}
		if got := Median([]int64{}); got != 0 {
			t.Errorf("Median of no int64 = %d, want 0", got)
		}
		for i := range in {
			if in[i] != tc.xs[i] {
				t.Errorf("Median reordered its argument: %v", tc.xs)
			}
		}
	}
}

func TestShards(t *testing.T) {
	for _, tc := range []struct {
		s       string
		i, n    int
		invalid bool
	}{{"", 0, 0, false}, {"1/3", 1, 3, false}, {"3/3", 3, 3, false}, {"4/3", 0, 0, true}, {"0/3", 0, 0, true}, {"1/0", 0, 0, true}, {"a/b", 0, 0, true}, {"2", 0, 0, true}} {
		i, n, err := ParseShard(tc.s)
		if i != tc.i || n != tc.n || (err != nil) != tc.invalid {
			t.Errorf("ParseShard(%q) = %d, %d, %v", tc.s, i, n, err)
		}
	}
	// Every cell is in exactly one shard, round-robin in spec order.
	var got []int
	for idx := range 7 {
		for i := 1; i <= 3; i++ {
			if InShard(idx, i, 3) {
				got = append(got, i)
			}
		}
		if !InShard(idx, 0, 0) {
			t.Errorf("cell %d is not in the unsharded run", idx)
		}
	}
	if want := []int{1, 2, 3, 1, 2, 3, 1}; len(got) != len(want) || got[3] != 1 || got[6] != 1 || got[5] != 3 {
		t.Errorf("shards of cells 0..6: %v, want %v", got, want)
	}
}
