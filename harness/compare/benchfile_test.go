package compare

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perfharness/harness/harness/host"
	"github.com/perfharness/harness/harness/results"
)

// zeroRun writes a results folder the way harness run leaves it, through
// results.AssembleBench, with metrics that are zero in some runs and not
// in others (GC pause P99: zero when no GC ran in the window) and
// configuration keys that change and clear between cells. It returns the
// combined bench.txt's path and the configuration keys. speed scales
// every time (1: as measured on the reference toolchain).
func zeroRun(t *testing.T, root, id string, speed float64) (string, []string) {
	t.Helper()
	d, err := results.Create(root, id)
	if err != nil {
		t.Fatal(err)
	}
	m := &results.Manifest{Format: results.FormatVersion, RunID: id, Name: "zeros",
		Status: results.RunComplete, Started: time.Date(2026, 11, 1, 2, 0, 0, 0, time.UTC),
		Host: host.Fingerprint{CPU: host.CPU{Arch: "amd64", Brand: "Test CPU"}, OS: "linux", Hostname: "ci", ID: "h1"}}
	type cell struct {
		workload, toolchain, gogc, rate string
		slow                            float64 // relative, against the first toolchain
	}
	var cells []cell
	for _, tc := range []string{"go1.26.8", "go1.27.3"} {
		slow := speed
		if tc == "go1.27.3" {
			slow *= 0.8
		}
		for _, gogc := range []string{"100", "off"} {
			cells = append(cells, cell{"json", tc, gogc, "1000/s", slow})
		}
		cells = append(cells, cell{"crypto", tc, "100", "", slow})
	}
	for ci, c := range cells {
		id := fmt.Sprintf("%s/%s/gogc=%s", c.workload, c.toolchain, c.gogc)
		rc := &results.Cell{ID: id, Dir: filepath.Join("cells", results.CellDir(id)), Workload: c.workload,
			Kind: "fixed-rate", Status: results.StatusOK, Build: c.toolchain,
			Config: []results.KV{{Key: "workload", Value: c.workload}, {Key: "toolchain", Value: c.toolchain}, {Key: "gogc", Value: c.gogc}}}
		if c.rate != "" {
			rc.Config = append(rc.Config, results.KV{Key: "rate", Value: c.rate})
		} else {
			rc.Kind = "gotest"
		}
		for i := 1; i <= 8; i++ {
			r := &results.Run{Index: i, Status: results.StatusOK, Dir: filepath.Join(rc.Dir, fmt.Sprintf("run-%d", i))}
			rc.Runs = append(rc.Runs, r)
			jitter := 1 + 0.01*float64((i*7+ci*3)%11)
			// GC pauses: none with GOGC=off, none in runs 2, 5 and 7
			// otherwise (a short window without a cycle).
			pause := 0.0
			if c.gogc != "off" && i != 2 && i != 5 && i != 7 {
				pause = 40960 * c.slow * jitter
			}
			var lines string
			if c.rate != "" {
				lines = "Unit p99-ns better=lower assume=nothing\nUnit gc-pause-p99-ns better=lower assume=nothing\n" +
					"Unit ops/s better=higher assume=nothing\nUnit errors better=lower assume=nothing\n" +
					fmt.Sprintf("BenchmarkJson/op=decode-2 1000 %.1f ns/op %.0f p99-ns 1000 ops/s %.0f gc-pause-p99-ns 0 errors 0 lag-p99-ns\n",
						52000*c.slow*jitter, 130000*c.slow*jitter, pause)
			} else {
				lines = fmt.Sprintf("goos: linux\nBenchmarkSign-2 100 %.0f ns/op %.0f gc-pause-p99-ns 0 B/op 0 allocs/op\nPASS\n",
					1.2e6*c.slow*jitter, pause)
			}
			if _, err := d.MkdirAll(r.Dir); err != nil {
				t.Fatal(err)
			}
			if err := d.WriteFile(filepath.Join(r.Dir, "bench.txt"), []byte(lines)); err != nil {
				t.Fatal(err)
			}
		}
		m.Cells = append(m.Cells, rc)
	}
	for _, tc := range []string{"go1.26.8", "go1.27.3"} {
		m.Builds = append(m.Builds, &results.Build{Key: tc, Status: results.StatusOK, BuildNs: 2e9, SizeB: 7 << 20})
	}
	if err := results.AssembleBench(d, m); err != nil {
		t.Fatal(err)
	}
	if err := d.WriteManifest(m); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(d.Path, results.BenchFile), []string{"workload", "toolchain", "gogc", "rate"}
}

// TestBenchFileAgreesWithBenchstat: on a run with zero-valued and non-zero
// samples of the same metrics, benchstat and this package read the same
// samples: for every configuration key as the column and as the row, the
// real benchstat prints the same tables, row for row and number for
// number.
func TestBenchFileAgreesWithBenchstat(t *testing.T) {
	bin := benchstatBinary(t)
	file, keys := zeroRun(t, t.TempDir(), "20261101-020000-zeros", 1)
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), " 0 gc-pause-p99-sec") || !strings.Contains(string(data), " gc-pause-p99-ns") {
		t.Fatalf("the run should hold zero and non-zero GC pauses:\n%s", data)
	}
	s, err := LoadFiles(file)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, key := range keys {
		for _, o := range []Options{{Col: key}, {Row: key}, {Col: key, Row: ".name"}} {
			name := fmt.Sprintf("col=%s,row=%s", o.Col, o.Row)
			t.Run(name, func(t *testing.T) {
				rep, err := s.Compare(o)
				if err != nil {
					t.Fatal(err)
				}
				for _, tab := range rep.Tables {
					if strings.HasSuffix(tab.Unit, "-ns") {
						t.Errorf("a table in an untidied unit: %s", tab.Unit)
					}
				}
				total += agreeWithBenchstat(t, bin, rep, file)
			})
		}
	}
	if total == 0 {
		t.Fatal("no rows compared")
	}
	t.Logf("%d rows agree", total)
}

// TestPairTextIsBenchstats: harness compare A B prints what benchstat
// prints for the two runs' bench.txt with the runs as columns (-col
// harness-run) and the host keys ignored, byte for byte — including a
// table key cleared ("rate: ") for the benchmarks that lack it. Plain
// benchstat -col harness-run prints the host keys (goos, goarch, cpu,
// host-id, host-goamd64) as header lines of its first table besides.
func TestPairTextIsBenchstats(t *testing.T) {
	root := t.TempDir()
	a, _ := zeroRun(t, root, "20261101-020000-zeros", 1)
	b, _ := zeroRun(t, root, "20261102-020000-zeros", 1.1)
	base, err := LoadResults(filepath.Dir(a))
	if err != nil {
		t.Fatal(err)
	}
	cand, err := LoadResults(filepath.Dir(b))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := PairReport(base, cand, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := rep.WriteText(&got); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got.String(), "\nrate: \n") {
		t.Errorf("the crypto tables should clear the rate key:\n%s", got.String())
	}
	golden(t, filepath.Join("testdata", "pair.txt.golden"), got.Bytes())

	bin := benchstatBinary(t)
	var ignore []string
	for _, k := range RunKeys {
		if k != "harness-run" {
			ignore = append(ignore, k)
		}
	}
	args := []string{"-col", "harness-run", "-ignore", strings.Join(ignore, ","), a, b}
	stdout, stderr := runBenchstat(t, bin, args...)
	if stderr.Len() > 0 {
		t.Errorf("benchstat complained:\n%s", stderr)
	}
	if got.String() != stdout.String() {
		t.Errorf("harness compare is not benchstat %s:\n%s", strings.Join(args, " "), lineDiff(got.String(), stdout.String()))
	}
}
