package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/google/pprof/profile"

	"github.com/perfharness/harness/harness/host"
	"github.com/perfharness/harness/harness/results"
)

// SynthOptions shape a synthetic results folder.
type SynthOptions struct {
	Ops      int    // benchmarks; each runs under two toolchains, so 2×Ops fixed-rate cells
	Runs     int    // runs per cell (default 5)
	Seconds  int    // measured seconds per run (default 3)
	Label    string // appended to the first op's name: tests put markup here
	Seed     uint64 // for the random figures
	Failures bool   // add a crashed cell, a skipped cell and a run that missed its rate
}

// Synthesize writes a results folder of made-up but well-formed runs under
// root, in the layout "harness run" writes (manifest, bench.txt, per-run
// result.json, bench.txt, latency.hlog and cpu.pprof), and returns its
// path. Benchmarks of the report, demos and tests use it; the second
// toolchain is 10% slower on every other op.
func Synthesize(root string, o SynthOptions) (string, error) {
	if o.Ops <= 0 {
		o.Ops = 2
	}
	if o.Runs <= 0 {
		o.Runs = 5
	}
	if o.Seconds <= 0 {
		o.Seconds = 3
	}
	rng := rand.New(rand.NewPCG(o.Seed, 1))
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	id := results.NewRunID(start, "synthetic", 1)
	d, err := results.Create(root, id)
	if err != nil {
		return "", err
	}
	m := &results.Manifest{
		Format: results.FormatVersion, RunID: id, Name: "synthetic", SpecFile: "synthetic.yaml",
		Status: results.RunComplete, Harness: "synthetic", Started: start, Finished: start.Add(time.Minute),
		Host:       synthHost(),
		Toolchains: []results.Toolchain{{Name: "go1.26.8", Version: "go1.26.8"}, {Name: "go1.27.3", Version: "go1.27.3"}},
		Dimensions: []string{"toolchain"}, Count: o.Runs, Interleave: true, Profiles: []string{"cpu"},
		Gate: results.Gate{Threshold: 0.05, Alpha: 0.05}, Warnings: []string{},
	}
	for _, tc := range m.Toolchains {
		m.Builds = append(m.Builds, &results.Build{Key: "synth@" + tc.Name, Status: results.StatusOK, BuildNs: 2e9, SizeB: 7 << 20, Env: []string{}, Flags: []string{}})
	}
	order := 0
	for i := 0; i < o.Ops; i++ {
		op := fmt.Sprintf("op%d", i)
		if i == 0 && o.Label != "" {
			op += o.Label
		}
		for t, tc := range m.Toolchains {
			cid := fmt.Sprintf("synth/%s/%s", op, tc.Name)
			c := &results.Cell{
				ID: cid, Dir: filepath.Join("cells", results.CellDir(cid)), Workload: "synth", Op: op, Kind: "fixed-rate",
				Config: []results.KV{{Key: "workload", Value: "synth"}, {Key: "toolchain", Value: tc.Version}, {Key: "rate", Value: "1000/s"}},
				Status: results.StatusOK, Build: "synth@" + tc.Name,
			}
			slow := 1.0
			if t == 1 && i%2 == 1 {
				slow = 1.1
			}
			for r := 1; r <= o.Runs; r++ {
				order++
				run := &results.Run{Index: r, Status: results.StatusOK, Dir: filepath.Join(c.Dir, fmt.Sprintf("run-%d", r)),
					Started: start.Add(time.Duration(order) * time.Second), Duration: int64(o.Seconds) * 1e9, TargetRate: 1000, Order: order}
				achieved := 1000 * (1 - 0.001*rng.Float64())
				if o.Failures && i == 0 && t == 0 && r == 2 {
					run.Status, run.Reason, achieved = results.StatusRateNotAchieved, "achieved 640 ops/s < target 1000 ops/s × (1 - 0.01)", 640
					c.Status, c.Reason = results.StatusRateNotAchieved, "run 2: achieved 640 ops/s < target 1000 ops/s × (1 - 0.01)"
				}
				if o.Failures && i == 1 && t == 1 {
					// A busy host: every run waited for a CPU, each its own time.
					run.Warnings = []string{fmt.Sprintf("the process's threads waited %v in all for a CPU during the %ds window: other load on the machine, or this process's own GC workers, shaped the tails",
						time.Duration(r)*250*time.Millisecond, o.Seconds)}
				}
				run.AchievedRate = achieved
				if err := synthRun(d, run, c, o.Seconds, slow, achieved, rng); err != nil {
					return "", err
				}
				c.Runs = append(c.Runs, run)
			}
			m.Cells = append(m.Cells, c)
		}
	}
	if o.Failures {
		m.Status, m.Reason = results.RunIncomplete, "some cells failed"
		m.Cells = append(m.Cells,
			&results.Cell{ID: "synth/crash/go1.26.8", Workload: "synth", Op: "crash", Kind: "fixed-rate", Status: results.StatusCrashed,
				Reason: "run 1: signal: segmentation fault", Config: []results.KV{{Key: "workload", Value: "synth"}, {Key: "toolchain", Value: "go1.26.8"}},
				Runs: []*results.Run{{Index: 1, Status: results.StatusCrashed, Reason: "signal: segmentation fault", Signal: "SIGSEGV"}}},
			&results.Cell{ID: "synth/avx512/go1.26.8", Workload: "synth", Op: "avx512", Kind: "fixed-rate", Status: results.StatusSkipped,
				Reason: "host lacks CPU feature AVX512F", Config: []results.KV{{Key: "workload", Value: "synth"}, {Key: "toolchain", Value: "go1.26.8"}}})
	}
	if err := results.AssembleBench(d, m); err != nil {
		return "", err
	}
	if err := d.WriteManifest(m); err != nil {
		return "", err
	}
	return d.Path, nil
}

func synthHost() host.Fingerprint {
	cpu := host.CPU{Arch: "amd64", Vendor: "AMD", Brand: "Synthetic EPYC 9R14", Family: 25, Model: 17, LogicalCores: 8, PhysicalCores: 4, ThreadsPerCore: 2,
		Cache: host.Cache{L1I: 32 << 10, L1D: 32 << 10, L2: 1 << 20, L3: 32 << 20}, GOAMD64: "v4",
		Features: []string{"ADX", "AESNI", "AVX", "AVX2", "AVX512F", "BMI2", "SHA"}}
	return host.Fingerprint{CPU: cpu, OS: "linux", Kernel: "6.1.0", Governor: "performance", Boost: "off", LoadAvg: []float64{0.1, 0.1, 0.1},
		ASLR: "full", MemTotalB: 16 << 30, Hostname: "synthetic", GoVersion: "go1.26.8", Warnings: []string{}, ID: "5e7e7e7e7e7e"}
}

// synthRun writes one run folder.
func synthRun(d *results.Dir, run *results.Run, c *results.Cell, seconds int, slow, achieved float64, rng *rand.Rand) error {
	if _, err := d.MkdirAll(run.Dir); err != nil {
		return err
	}
	base := 50e3 * slow * (1 + 0.03*rng.NormFloat64())
	var hl bytes.Buffer
	w := hdrhistogram.NewHistogramLogWriter(&hl)
	w.OutputLogFormatVersion()
	startMs := run.Started.UnixMilli()
	w.OutputStartTime(startMs)
	w.OutputBaseTime(startMs)
	w.SetBaseTime(startMs)
	w.OutputLegend()
	totals := map[string]*hdrhistogram.Histogram{}
	for s := 0; s < seconds; s++ {
		hs := map[string]*hdrhistogram.Histogram{}
		for _, tag := range []string{TagIntended, TagActual, TagLag} {
			hs[tag] = hdrhistogram.New(1, 3600e9, 3)
		}
		for k := 0; k < int(achieved); k++ {
			v := base * math.Exp(0.4*rng.NormFloat64())
			q := 0.0
			if rng.Float64() < 0.01 {
				q = base * 20 * rng.Float64() // queueing behind a slow op
			}
			hs[TagActual].RecordValue(int64(v))
			hs[TagIntended].RecordValue(int64(v + q))
			hs[TagLag].RecordValue(int64(1000 + 500*rng.Float64()))
		}
		for _, tag := range []string{TagIntended, TagActual, TagLag} {
			h := hs[tag]
			h.SetTag(tag)
			h.SetStartTimeMs(startMs + int64(s)*1000)
			h.SetEndTimeMs(startMs + int64(s+1)*1000)
			if err := w.OutputIntervalHistogram(h); err != nil {
				return err
			}
			if totals[tag] == nil {
				totals[tag] = h.Clone()
			} else {
				totals[tag].Merge(h)
			}
		}
	}
	it, ac := totals[TagIntended], totals[TagActual]
	sum := func(h *hdrhistogram.Histogram) map[string]int64 {
		return map[string]int64{"count": h.TotalCount(), "p50_ns": h.ValueAtQuantile(50), "p99_ns": h.ValueAtQuantile(99), "max_ns": h.Max()}
	}
	status := run.Status
	res := map[string]any{
		"format": 1, "name": "synth", "op": c.Op, "status": status, "reason": run.Reason,
		"target_rate": 1000.0, "achieved_rate": achieved, "duration_ns": run.Duration, "completed": it.TotalCount(),
		"latency": sum(it), "latency_actual": sum(ac), "runtime": map[string]int64{"gc_cycles": 3 + rng.Int64N(3)},
		"warnings": []string{},
	}
	rj, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	bench := fmt.Sprintf("Unit ops/s better=higher assume=nothing\nUnit p99-ns better=lower assume=nothing\nBenchmarkSynth/op=%s %d %.0f ns/op %d p50-ns %d p99-ns %.2f ops/s\n",
		strings.ReplaceAll(c.Op, " ", "_"), it.TotalCount(), it.Mean(), it.ValueAtQuantile(50), it.ValueAtQuantile(99), achieved)
	prof, err := synthProfile(slow, rng)
	if err != nil {
		return err
	}
	for name, data := range map[string][]byte{results.ResultFile: rj, results.BenchFile: []byte(bench), "latency.hlog": hl.Bytes(), "cpu.pprof": prof} {
		if err := d.WriteFile(filepath.Join(run.Dir, name), data); err != nil {
			return err
		}
	}
	return nil
}

// synthProfile makes a small CPU profile: main.work calls encode (more so
// when slow) and decode.
func synthProfile(slow float64, rng *rand.Rand) ([]byte, error) {
	fn := func(id uint64, name string) *profile.Function {
		return &profile.Function{ID: id, Name: name, SystemName: name, Filename: "synth.go"}
	}
	fs := []*profile.Function{fn(1, "main.work"), fn(2, "example.com/synth/codec.encode"), fn(3, "example.com/synth/codec.decode"), fn(4, "runtime.mallocgc")}
	var locs []*profile.Location
	for i, f := range fs {
		locs = append(locs, &profile.Location{ID: uint64(i + 1), Address: uint64(0x1000 * (i + 1)), Line: []profile.Line{{Function: f, Line: int64(10 * (i + 1))}}})
	}
	p := &profile.Profile{
		SampleType:    []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}},
		PeriodType:    &profile.ValueType{Type: "cpu", Unit: "nanoseconds"},
		Period:        10e6,
		DurationNanos: 3e9,
		Function:      fs,
		Location:      locs,
	}
	add := func(n int64, stack ...int) {
		var ls []*profile.Location
		for _, i := range stack {
			ls = append(ls, locs[i])
		}
		p.Sample = append(p.Sample, &profile.Sample{Location: ls, Value: []int64{n, n * 10e6}})
	}
	add(int64(40*slow*slow)+rng.Int64N(3), 1, 0)
	add(30+rng.Int64N(3), 2, 0)
	add(int64(10*slow)+rng.Int64N(2), 3, 1, 0)
	add(5, 0)
	var b bytes.Buffer
	if err := p.Write(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
