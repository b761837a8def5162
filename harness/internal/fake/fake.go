// Package fake writes results folders as harness run would leave them,
// for tests of the packages that read them (gate, export, verify, cli):
// spec copy, manifest, run folders with result.json and bench.txt, and the
// combined bench.txt, with figures scattered around chosen medians.
package fake

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/perfharness/harness/harness/host"
	"github.com/perfharness/harness/harness/results"
)

// Spec is the spec the fake runs claim: two ops of one workload.
const Spec = `name: fake
toolchains: [local]
workloads:
  - name: synthetic
    kind: fixed-rate
    package: ./workloads/synthetic
    ops: [spin, other]
    rate: 1000/s
    duration: 1s
runs: {count: 10}
gate: {threshold: 3%}
`

// A Cell describes one cell of a fake run: its op, status, and the
// median p50 latency its runs scatter around.
type Cell struct {
	Op      string
	Status  results.Status
	P50     float64        // ns
	Runs    int            // 10 when 0
	Noise   float64        // relative spread of the runs (1% when 0)
	RunStat results.Status // status of the last run, when not ok
}

// OK is an ok cell of op whose p50 scatters around p50 ns.
func OK(op string, p50 float64) Cell { return Cell{Op: op, Status: results.StatusOK, P50: p50} }

// Run writes a results folder as harness run would leave it: spec
// copy, manifest, run folders with bench.txt, and the combined bench.txt.
func Run(t testing.TB, root, id string, started time.Time, hostID string, seed uint64, cells ...Cell) string {
	t.Helper()
	d, err := results.Create(root, id)
	if err != nil {
		t.Fatal(err)
	}
	h := host.Fingerprint{CPU: host.CPU{Arch: "amd64", Brand: "Test CPU"}, OS: "linux", Hostname: "ci", ID: hostID, Warnings: []string{}}
	m := &results.Manifest{Format: results.FormatVersion, RunID: id, Name: "fake", SpecFile: "bench.yaml",
		SpecSHA256: results.SHA256([]byte(Spec)), Status: results.RunComplete, Started: started, Host: h,
		Toolchains: []results.Toolchain{{Name: "local", Version: "go1.26.8"}}, Count: 10,
		Gate: results.Gate{Threshold: 0.03, Alpha: 0.05}, Profiles: []string{}, Warnings: []string{}}
	rng := rand.New(rand.NewPCG(seed, 7))
	for _, fc := range cells {
		cid := "synthetic/" + fc.Op + "/local"
		c := &results.Cell{ID: cid, Dir: filepath.Join("cells", results.CellDir(cid)), Workload: "synthetic", Op: fc.Op,
			Kind: "fixed-rate", Status: fc.Status, Config: []results.KV{{Key: "workload", Value: "synthetic"},
				{Key: "toolchain", Value: "go1.26.8"}}}
		if fc.Status != results.StatusOK {
			c.Reason = "run 1: " + string(fc.Status)
			m.Status, m.Reason = results.RunIncomplete, "some cells failed; see their reasons"
		}
		n := fc.Runs
		if n == 0 {
			n = 10
		}
		for i := 1; i <= n; i++ {
			r := &results.Run{Index: i, Status: results.StatusOK, Dir: filepath.Join(c.Dir, fmt.Sprintf("run-%d", i)), Order: i}
			if i == n && fc.RunStat != "" {
				r.Status, r.Reason = fc.RunStat, "generator lag P99 2ms > -max-lag-p99 1ms"
			}
			c.Runs = append(c.Runs, r)
			if fc.Status != results.StatusOK && fc.RunStat == "" {
				r.Status, r.Reason = fc.Status, string(fc.Status)
				continue // a failed run leaves no results
			}
			noise := fc.Noise
			if noise == 0 {
				noise = 0.01
			}
			p50 := fc.P50 * (1 + noise*(rng.Float64()-0.5))
			bench := fmt.Sprintf("Unit p50-ns better=lower assume=nothing\nUnit ops/s better=higher assume=nothing\n"+
				"BenchmarkSynthetic/op=%s-2 1000 %.1f ns/op %.0f p50-ns %.0f p99-ns 1000 ops/s %.0f max-ns\n",
				fc.Op, p50*1.1, p50, p50*1.5, p50*(5+10*rng.Float64()))
			if _, err := d.MkdirAll(r.Dir); err != nil {
				t.Fatal(err)
			}
			if err := d.WriteFile(filepath.Join(r.Dir, results.BenchFile), []byte(bench)); err != nil {
				t.Fatal(err)
			}
			res := fmt.Sprintf(`{"format": 1, "status": "ok", "target_rate": 1000, "achieved_rate": 999.5, "latency": {"p50_ns": %.0f, "p90_ns": %.0f, "p99_ns": %.0f, "p999_ns": %.0f, "max_ns": %.0f}, "runtime": {"gc_pause_p99_ns": 40960, "peak_rss_B": 8388608}}`,
				p50, p50*1.2, p50*1.5, p50*3, p50*5)
			if err := d.WriteFile(filepath.Join(r.Dir, results.ResultFile), []byte(res)); err != nil {
				t.Fatal(err)
			}
		}
		m.Cells = append(m.Cells, c)
	}
	if err := d.WriteFile(results.SpecFile, []byte(Spec)); err != nil {
		t.Fatal(err)
	}
	if err := d.WriteManifest(m); err != nil {
		t.Fatal(err)
	}
	if err := results.AssembleBench(d, m); err != nil {
		t.Fatal(err)
	}
	return d.Path
}

// Day0 is when the first fake run started.
var Day0 = time.Date(2026, 11, 1, 2, 0, 0, 0, time.UTC)
