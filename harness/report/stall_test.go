package report

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/perfharness/harness/harness/results"
)

// stallWorkload is a fixed-rate workload whose op is instant except once,
// about a second into the measured window, when it sleeps for a second.
const stallWorkload = `package main

import (
	"context"
	"sync"
	"time"

	"github.com/perfharness/harness/workloads/driver"
)

func main() {
	var once sync.Once
	var t0 time.Time
	var mu sync.Mutex
	driver.Main(driver.Ops{"stall": driver.Func(func(ctx context.Context) error {
		mu.Lock()
		if t0.IsZero() {
			t0 = time.Now()
		}
		late := time.Since(t0) > 1200*time.Millisecond
		mu.Unlock()
		if late {
			once.Do(func() { time.Sleep(time.Second) })
		}
		return nil
	})})
}
`

// TestStallSpectrum runs a real workload binary (the driver, open loop at
// 1000 ops/s) whose op stalls once for 1 s, and checks what the percentile
// spectrum shows: measured from the intended start, the ops queued behind
// the stall put it at P99 and above; measured from the actual start (what a
// closed-loop tool reports) only the one slow op sees it.
func TestStallSpectrum(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a workload for several seconds; skipped with -short")
	}
	workloads, err := filepath.Abs("../../workloads")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(workloads, "driver")); err != nil {
		t.Skip("workloads module not found")
	}
	src := t.TempDir()
	gomod := "module stall\n\ngo 1.23\n\nrequire github.com/perfharness/harness/workloads v0.0.0\n\nreplace github.com/perfharness/harness/workloads => " + workloads + "\n"
	sum, _ := os.ReadFile(filepath.Join(workloads, "go.sum"))
	for name, data := range map[string][]byte{"go.mod": []byte(gomod), "go.sum": sum, "main.go": []byte(stallWorkload)} {
		if err := os.WriteFile(filepath.Join(src, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(src, "stall")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = src
	build.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the stall workload: %v\n%s", err, out)
	}

	root := t.TempDir()
	d, err := results.Create(root, "stall")
	if err != nil {
		t.Fatal(err)
	}
	runDir := filepath.Join("cells", "stall", "run-1")
	out := filepath.Join(d.Path, runDir)
	run := exec.Command(bin, "-op", "stall", "-rate", "1000", "-duration", "4s", "-warmup", "200ms", "-out", out,
		"-max-lag-p99", "1s", "-max-backlog", "100000")
	if b, err := run.CombinedOutput(); err != nil {
		t.Fatalf("running the stall workload: %v\n%s", err, b)
	}
	m := &results.Manifest{Format: results.FormatVersion, RunID: "stall", Name: "stall", Status: results.RunComplete,
		Started: time.Now(), Count: 1, Host: synthHost(),
		Cells: []*results.Cell{{ID: "stall/stall", Dir: filepath.Join("cells", "stall"), Workload: "stall", Op: "stall", Kind: "fixed-rate",
			Status: results.StatusOK, Config: []results.KV{{Key: "workload", Value: "stall"}},
			Runs: []*results.Run{{Index: 1, Status: results.StatusOK, Dir: runDir}}}}}
	if err := d.WriteManifest(m); err != nil {
		t.Fatal(err)
	}
	if err := results.AssembleBench(d, m); err != nil {
		t.Fatal(err)
	}
	r, err := Load(d.Path)
	if err != nil {
		t.Fatal(err)
	}
	l := r.Cells[0].Latency
	if l == nil {
		t.Fatalf("no latency: %v", r.Warnings)
	}
	intended, actual := l.Total[TagIntended], l.Total[TagActual]
	at := func(pts []SpectrumPoint, q float64) time.Duration {
		for _, p := range pts {
			if p.Q >= q {
				return p.Latency
			}
		}
		return pts[len(pts)-1].Latency
	}
	is, as := Spectrum(intended), Spectrum(actual)
	t.Logf("intended: p50 %v p90 %v p99 %v p99.9 %v max %v", at(is, .5), at(is, .9), at(is, .99), at(is, .999), intended.Max())
	t.Logf("actual:   p50 %v p90 %v p99 %v p99.9 %v max %v", at(as, .5), at(as, .9), at(as, .99), at(as, .999), actual.Max())
	if p99 := at(is, 0.99); p99 < 800*time.Millisecond {
		t.Errorf("intended-start P99 %v: the stall should show at P99 (about 1 s)", p99)
	}
	if p999 := at(is, 0.999); p999 < 900*time.Millisecond {
		t.Errorf("intended-start P99.9 %v: the stall should show (about 1 s)", p999)
	}
	if p50 := at(is, 0.5); p50 > 100*time.Millisecond {
		t.Errorf("intended-start P50 %v: most ops were not behind the stall", p50)
	}
	if p99 := at(as, 0.99); p99 > 200*time.Millisecond {
		t.Errorf("actual-start P99 %v: from the actual start only one op saw the stall", p99)
	}
	if mx := time.Duration(actual.Max()); mx < 900*time.Millisecond {
		t.Errorf("actual-start max %v: the stalled op itself took 1 s", mx)
	}
	reports := t.TempDir()
	outDir, err := Render(context.Background(), d.Path, Options{ReportsDir: reports})
	if err != nil {
		t.Fatal(err)
	}
	png := filepath.Join(outDir, PlotsDir, "latency-stall_stall.png")
	if _, err := os.Stat(png); err != nil {
		t.Fatal(err)
	}
	if p := os.Getenv("REPORT_STALL_PLOT"); p != "" {
		data, _ := os.ReadFile(png)
		os.WriteFile(p, data, 0o644)
	}
}
