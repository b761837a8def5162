package report

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/perfharness/harness/harness/results"
)

func TestCapacity(t *testing.T) {
	const ms = 1e6
	slo := []results.KV{{Key: "p99-ns", Value: "10000000"}}
	pt := func(rate, p99 float64, valid int) SweepPoint {
		return SweepPoint{Target: rate, Achieved: rate * 0.999, P99: p99, Valid: valid}
	}
	for _, tt := range []struct {
		name   string
		points []SweepPoint
		want   Capacity
	}{
		{"the knee between 10k and 20k", []SweepPoint{pt(5000, 1*ms, 3), pt(10000, 4*ms, 3), pt(20000, 14*ms, 3), pt(40000, 9*ms, 3)},
			Capacity{Rate: 10000, Achieved: 9990, Limit: "P99 ≤ 10ms", Next: 20000, Why: "P99 14ms > 10ms"}},
		{"every rate kept it: at least the last", []SweepPoint{pt(5000, 1*ms, 3), pt(10000, 2*ms, 3)},
			Capacity{Rate: 10000, Achieved: 9990, Limit: "P99 ≤ 10ms"}},
		{"the lowest rate already broke it", []SweepPoint{pt(5000, 11*ms, 3), pt(10000, 2*ms, 3)},
			Capacity{Limit: "P99 ≤ 10ms", Next: 5000, Why: "P99 11ms > 10ms"}},
		{"a rate that no run sustained breaks it", []SweepPoint{pt(5000, 1*ms, 3), pt(10000, 0, 0)},
			Capacity{Rate: 5000, Achieved: 4995, Limit: "P99 ≤ 10ms", Next: 10000, Why: "no valid run"}},
	} {
		got := capacity(tt.points, slo)
		if got == nil || *got != tt.want {
			t.Errorf("%s: %+v; want %+v", tt.name, got, tt.want)
		}
	}
	if c := capacity([]SweepPoint{pt(5000, 1*ms, 3)}, nil); c != nil {
		t.Errorf("no SLO: %+v; want none", c)
	}
}

// A sweep of two allocators over three rates: the report plots latency
// against throughput and the Answers state both capacities.
func TestSweepReport(t *testing.T) {
	slo := []results.KV{{Key: "p99-ns", Value: "10000000"}}
	m := &results.Manifest{RunID: "sweep", Name: "sweep", Gate: results.Gate{Alpha: 0.05}}
	run := &Run{Manifest: m}
	p99 := map[string][]float64{"glibc": {1e6, 3e6, 25e6}, "tcmalloc": {0.8e6, 2e6, 6e6}}
	for _, env := range []string{"glibc", "tcmalloc"} {
		for i, rate := range []float64{5000, 10000, 20000} {
			rc := &results.Cell{ID: fmt.Sprintf("api/item/local/env=%s/rate=%g", env, rate), Workload: "api", Op: "item", Kind: "http",
				Config: []results.KV{{Key: "workload", Value: "api"}, {Key: "toolchain", Value: "go1.26.8"}, {Key: "env", Value: env},
					{Key: "rate", Value: fmt.Sprintf("%g/s", rate)}},
				Status: results.StatusOK, SLO: slo}
			m.Cells = append(m.Cells, rc)
			c := &Cell{Cell: rc, Label: rc.ID}
			for k := range 3 {
				r := &results.Run{Index: k + 1, Status: results.StatusOK, Started: time.Unix(int64(k), 0)}
				rc.Runs = append(rc.Runs, r)
				v := p99[env][i] * (1 + 0.01*float64(k))
				c.Runs = append(c.Runs, &RunInfo{Run: r, Valid: true, Result: &driverResult{DriverResult: &results.DriverResult{
					TargetRate: rate, AchievedRate: rate * 0.999,
					Latency: results.LatencySummary{P50Ns: int64(v / 5), P90Ns: int64(v / 2), P99Ns: int64(v), P999Ns: int64(v * 2)}}}})
			}
			run.Cells = append(run.Cells, c)
		}
	}
	model, err := Build(context.Background(), run, Options{NoPNG: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(model.Sweeps) != 2 {
		t.Fatalf("%d sweeps; want one per allocator", len(model.Sweeps))
	}
	var plot *Plot
	for _, p := range model.Plots {
		if strings.HasPrefix(p.Name, "sweep") {
			plot = p
		}
	}
	if plot == nil || !strings.Contains(string(plot.SVG), "P99.9") || !strings.Contains(string(plot.SVG), "SLO") {
		t.Errorf("no latency-vs-throughput plot with P99.9 and the SLO among %d plots", len(model.Plots))
	}
	var md strings.Builder
	model.WriteMarkdown(&md)
	for _, want := range []string{
		// The question over allocators, an answer per rate: its capacity line.
		"capacity within P99 ≤ 10ms, api, op=item: glibc 10000/s (achieved 9990/s); at 20000/s P99 25.25ms &gt; 10ms; tcmalloc 20000/s (achieved 19980/s); every rate swept kept it: at least that",
		// The question over rates, an answer per allocator.
		"capacity within P99 ≤ 10ms, api, op=item, env=glibc: 10000/s (achieved 9990/s)",
		"## Rate sweeps",
		"| 20000/s | 19980/s |",
	} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("report.md lacks %q:\n%s", want, md.String())
		}
	}
}

// A steps schedule's latency log is cut into its steps: each interval goes
// to the step its middle falls in.
func TestReadSteps(t *testing.T) {
	var hl bytes.Buffer
	w := hdrhistogram.NewHistogramLogWriter(&hl)
	w.OutputLogFormatVersion()
	start := int64(1_700_000_000_000)
	w.OutputBaseTime(start)
	w.SetBaseTime(start)
	// 4 intervals of 250 ms over a 1 s window of two steps: 1000/s then
	// 2000/s, the second twice as slow.
	for i, v := range []int64{1e6, 1e6, 2e6, 2e6} {
		for _, tag := range []string{TagIntended, TagLag} {
			h := hdrhistogram.New(1, int64(time.Hour), 3)
			n := 250 * (1 + i/2)
			for range n {
				h.RecordValue(v)
			}
			h.SetTag(tag)
			h.SetStartTimeMs(start + int64(i)*250)
			h.SetEndTimeMs(start + int64(i+1)*250)
			if err := w.OutputIntervalHistogram(h); err != nil {
				t.Fatal(err)
			}
		}
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "latency.hlog"), hl.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := readSteps(filepath.Join(dir, "latency.hlog"), []float64{1000, 2000}, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Achieved != 1000 || got[1].Achieved != 2000 || got[0].P99 < 0.99e6 || got[0].P99 > 1.01e6 || got[1].P99 < 1.99e6 || got[1].P99 > 2.01e6 {
		t.Errorf("steps %+v; want 1000/s at 1ms, then 2000/s at 2ms", got)
	}
}
