package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"

	"github.com/perfharness/harness/harness/host"
)

// TestInstructionsTier counts a go test benchmark and a fixed-rate op under
// valgrind through the real binary: the counts land in bench.txt as
// instructions/op that benchfmt reads with their unit metadata, repeat to
// within 0.3% (at pinned, small iteration counts), and a cpu.adx=off cell is skipped for the virtual CPU.
func TestInstructionsTier(t *testing.T) {
	if _, err := exec.LookPath("valgrind"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("valgrind is not installed: the instructions tier cannot be tested (scripts/install-deps installs it)")
		}
		t.Skip("valgrind is not installed (scripts/install-deps installs it)")
	}
	if testing.Short() {
		t.Skip("end-to-end: builds workloads and counts them under valgrind (a few minutes)")
	}
	bin := harnessBinary(t)
	work := t.TempDir()
	cmd := exec.Command(bin, "run", "testdata/instructions.yaml", "--results", filepath.Join(work, "results"),
		"--cache", filepath.Join(work, "cache"), "--reports", filepath.Join(work, "reports"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("harness run: %v\n%s", err, out)
	}
	dir := filepath.Join(work, "results", "latest")
	data, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Host  host.Fingerprint `json:"host"`
		Cells []struct {
			ID, Status, Reason string
			VirtualCPU         *struct{ Valgrind string } `json:"virtual_cpu"`
			Runs               []struct{ Dir string }
		} `json:"cells"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(m.Host.Valgrind, "3.") {
		t.Errorf("host fingerprint: valgrind %q", m.Host.Valgrind)
	}
	for _, c := range m.Cells {
		switch c.ID {
		case "sha/local/godebug=cpu.adx=off/measure=instructions":
			if m.Host.Has("ADX") && (c.Status != "skipped" || !strings.Contains(c.Reason, "valgrind's virtual CPU already hides ADX")) {
				t.Errorf("%s: %s %q; want skipped for the virtual CPU", c.ID, c.Status, c.Reason)
			}
		case "sha/local/measure=instructions", "synthetic/spin/local/measure=instructions":
			if c.Status != "ok" || c.VirtualCPU == nil || c.VirtualCPU.Valgrind != m.Host.Valgrind {
				t.Errorf("%s: %s %q, virtual CPU %+v", c.ID, c.Status, c.Reason, c.VirtualCPU)
			}
			for _, r := range c.Runs {
				var res struct {
					Valgrind   string `json:"valgrind"`
					VirtualCPU struct {
						Virtual map[string]bool `json:"virtual"`
					} `json:"virtual_cpu"`
				}
				data, err := os.ReadFile(filepath.Join(dir, r.Dir, "instr.json"))
				if err == nil {
					err = json.Unmarshal(data, &res)
				}
				if err != nil || res.Valgrind != m.Host.Valgrind || len(res.VirtualCPU.Virtual) == 0 {
					t.Errorf("%s: instr.json: %v %+v", r.Dir, err, res)
				}
			}
		}
	}

	// bench.txt: instructions/op per benchmark and run, with its unit
	// metadata, beside the time cell's sec/op.
	f, err := os.ReadFile(filepath.Join(dir, "bench.txt"))
	if err != nil {
		t.Fatal(err)
	}
	r := benchfmt.NewReader(bytes.NewReader(f), "bench.txt")
	counts := map[string][]float64{}
	var better string
	for r.Scan() {
		switch rec := r.Result().(type) {
		case *benchfmt.Result:
			if v, ok := rec.Value("instructions/op"); ok {
				// The spin op allocates nothing; the runtime may, a few
				// objects in a thousand calls.
				if a, ok := rec.Value("allocs/op"); !ok || (string(rec.Name) == "Synthetic/op=spin" && a > 0.05) {
					t.Errorf("%s: allocs/op %v %v; want it from the same runs (about 0 for the spin op)", rec.Name, a, ok)
				}
				counts[string(rec.Name)] = append(counts[string(rec.Name)], v)
			}
		case *benchfmt.UnitMetadata:
			if rec.Unit == "instructions/op" && rec.Key == "better" {
				better = rec.Value
			}
		case *benchfmt.SyntaxError:
			t.Errorf("bench.txt: %v", rec)
		}
	}
	if better != "lower" {
		t.Errorf("Unit instructions/op better=%q; want lower", better)
	}
	for _, name := range []string{"SHA25616K", "Synthetic/op=spin"} {
		v := counts[name]
		if len(v) != 3 {
			t.Errorf("%s: %d instructions/op samples %v; want 3", name, len(v), v)
			continue
		}
		lo, hi := slices.Min(v), slices.Max(v)
		if lo <= 0 || (hi-lo)/lo > 0.003 {
			t.Errorf("%s: instructions/op %v spread more than 0.3%%", name, v)
		}
	}
	t.Logf("instructions/op: %v", counts)

	// The report labels the tier and says it cannot answer the ADX
	// question; the time tier's answer stands beside it.
	reports, _ := filepath.Glob(filepath.Join(work, "reports", "*", "report.txt"))
	if len(reports) != 1 {
		t.Fatalf("reports: %v", reports)
	}
	text, err := os.ReadFile(reports[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"INSTRUCTIONS CELLS", "sha, measure=time", "the op called N times closed loop"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("report.txt lacks %q", want)
		}
	}
	if m.Host.Has("ADX") && !strings.Contains(strings.Join(strings.Fields(string(text)), " "), "the instructions tier cannot answer this CPU-feature question") {
		t.Errorf("report.txt: no Answers line saying the instructions tier cannot answer the ADX question")
	}
}
