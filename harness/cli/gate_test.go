package cli

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/perfharness/harness/harness/internal/fake"
	"github.com/perfharness/harness/harness/internal/peer"
	"github.com/perfharness/harness/harness/results"
)

// The fake runs of internal/fake, under the names these tests use.
type fakeCell = fake.Cell

var (
	fakeRun = fake.Run
	ok      = fake.OK
	day0    = fake.Day0
)

func TestGateExitCodes(t *testing.T) {
	root := t.TempDir()
	base := fakeRun(t, root, "base", day0, "h1", 1, ok("spin", 70000), ok("other", 5000))
	same := fakeRun(t, root, "same", day0.Add(time.Hour), "h1", 2, ok("spin", 70000), ok("other", 5000))
	slow := fakeRun(t, root, "slow", day0.Add(2*time.Hour), "h1", 3, ok("spin", 73500), ok("other", 5000))
	failed := fakeRun(t, root, "failed", day0.Add(3*time.Hour), "h1", 4, ok("spin", 70000), fakeCell{Op: "other", Status: results.StatusFailed, P50: 5000})
	rna := fakeRun(t, root, "rna", day0.Add(4*time.Hour), "h1", 5, ok("spin", 70000),
		fakeCell{Op: "other", Status: results.StatusRateNotAchieved, P50: 5000, RunStat: results.StatusRateNotAchieved})
	rnaAll := fakeRun(t, root, "rnaall", day0.Add(4*time.Hour+time.Minute), "h1", 5, ok("spin", 70000),
		fakeCell{Op: "other", Status: results.StatusRateNotAchieved, P50: 5000})
	otherHost := fakeRun(t, root, "otherhost", day0.Add(5*time.Hour), "h2", 6, ok("spin", 70000), ok("other", 5000))
	few := fakeRun(t, root, "few", day0.Add(6*time.Hour), "h1", 7, fakeCell{Op: "spin", Status: results.StatusOK, P50: 70000, Runs: 3}, ok("other", 5000))
	fewBase := filepath.Join(t.TempDir(), "fewbase")
	fewBase = fakeRun(t, filepath.Dir(fewBase), "fewbase", day0, "h1", 8, fakeCell{Op: "spin", Status: results.StatusOK, P50: 70000, Runs: 3}, ok("other", 5000))
	for _, tc := range []struct {
		why    string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"A/A: pass", []string{"--baseline", base, "--candidate", same}, ExitOK, "PASS (exit 0)", ""},
		{"5% slower p50 beyond the spec's 3% threshold: regression",
			[]string{"--baseline", base, "--candidate", slow}, ExitRegression, "regression: Synthetic/op=spin-2 p50-sec", ""},
		{"a --threshold of 10% absorbs it", []string{"--baseline", base, "--candidate", slow, "--threshold", "10%"}, ExitOK, "PASS", ""},
		{"a per-metric threshold absorbs it", []string{"--baseline", base, "--candidate", slow, "--metric", "p50-ns=8%", "--metric", "sec/op=8%", "--metric", "p99-ns=8%"}, ExitOK, "PASS", ""},
		{"a failed candidate cell is invalid", []string{"--baseline", base, "--candidate", failed}, ExitIncomplete, "problem: candidate cell synthetic/other/local: failed", ""},
		{"a candidate cell with one rate-not-achieved run of 10 is partial: compared on its 9 valid runs", []string{"--baseline", base, "--candidate", rna}, ExitOK,
			"synthetic/other/local is partial: compared on its 9 valid runs of 10", ""},
		{"a candidate cell with no valid run is invalid", []string{"--baseline", base, "--candidate", rnaAll}, ExitIncomplete, "has no valid run: rate-not-achieved", ""},
		{"another host is invalid", []string{"--baseline", base, "--candidate", otherHost}, ExitIncomplete, "host fingerprint mismatch", ""},
		{"another host, allowed", []string{"--baseline", base, "--candidate", otherHost, "--allow-host-mismatch"}, ExitOK, "HOST MISMATCH", ""},
		{"3 runs a side cannot reach alpha: invalid", []string{"--baseline", fewBase, "--candidate", few}, ExitIncomplete, "too few samples", ""},
		{"10 runs against 3 can (2/C(13,3) < 0.05)", []string{"--baseline", base, "--candidate", few}, ExitOK, "", ""},
		{"the candidate as a run id under --results", []string{"--baseline", "base", "--candidate", "slow", "--results", root}, ExitRegression, "", ""},
		{"latest picks the newest same-host complete run older than the candidate",
			[]string{"--baseline", "latest", "--candidate", slow}, ExitRegression, "", "baseline: same"},
		{"latest says what it skipped", []string{"--baseline", "latest", "--candidate", few}, ExitOK, "",
			"passed over otherhost: another host: h2 (Test CPU, ci), the candidate ran on h1 (Test CPU, ci)"},
		{"no flags", nil, ExitUsage, "", "want --baseline and --candidate"},
		{"bad threshold", []string{"--baseline", base, "--candidate", slow, "--threshold", "five"}, ExitUsage, "", "invalid percentage"},
		{"bad alpha", []string{"--baseline", base, "--candidate", slow, "--alpha", "0.9"}, ExitUsage, "", "alpha must be in"},
		{"--fdr off still finds the regression", []string{"--baseline", base, "--candidate", slow, "--fdr", "off"}, ExitRegression, "regression: Synthetic/op=spin-2 p50-sec", ""},
		{"bad fdr", []string{"--baseline", base, "--candidate", slow, "--fdr", "80%"}, ExitUsage, "", "fdr must be in"},
		{"same run twice", []string{"--baseline", base, "--candidate", base}, ExitUsage, "", "same run"},
		{"no such run", []string{"--baseline", base, "--candidate", filepath.Join(root, "nope")}, ExitUsage, "", "no such results folder"},
	} {
		t.Run(tc.why, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "reports")
			code, stdout, stderr := harness(t, append([]string{"gate", "--out", out}, tc.args...)...)
			if code != tc.code || !strings.Contains(stdout, tc.stdout) || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s\nwant stdout containing %q, stderr containing %q", code, tc.code, stdout, stderr, tc.stdout, tc.stderr)
			}
			if code == ExitUsage {
				return
			}
			var rep struct {
				Outcome  string `json:"outcome"`
				ExitCode int    `json:"exit_code"`
			}
			data, err := os.ReadFile(filepath.Join(out, "gate.json"))
			if err != nil {
				t.Fatalf("gate.json: %v", err)
			}
			if err := json.Unmarshal(data, &rep); err != nil || rep.ExitCode != code {
				t.Errorf("gate.json says exit %d (%v), the command exited %d", rep.ExitCode, err, code)
			}
			if _, err := os.Stat(filepath.Join(out, "summary.md")); err != nil {
				t.Errorf("summary.md not written: %v", err)
			}
			junit, err := os.ReadFile(filepath.Join(out, "junit.xml"))
			if err != nil {
				t.Fatalf("junit.xml not written: %v", err)
			}
			if valid, msg := peer.XMLLint(t, peer.JUnit10, junit); !valid {
				t.Errorf("junit.xml is not valid against %s:\n%s", peer.JUnit10, msg)
			}
		})
	}
}

func TestGateOutputs(t *testing.T) {
	root := t.TempDir()
	base := fakeRun(t, root, "20261101-020000-fake", day0, "h1", 1, ok("spin", 70000), ok("other", 5000))
	slow := fakeRun(t, root, "20261102-020000-fake", day0.Add(24*time.Hour), "h1", 3, ok("spin", 73500), ok("other", 5000))
	work := t.TempDir()
	t.Chdir(work)
	summary := filepath.Join(work, "step-summary.md")
	os.WriteFile(summary, []byte("earlier step\n"), 0o644)
	t.Setenv("GITHUB_STEP_SUMMARY", summary)
	code, stdout, stderr := harness(t, "gate", "--baseline", base, "--candidate", slow)
	if code != ExitRegression {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	dir := filepath.Join("reports", "gate-20261102-020000-fake")
	md, err := os.ReadFile(filepath.Join(dir, "summary.md"))
	if err != nil {
		t.Fatalf("default output folder: %v", err)
	}
	step, _ := os.ReadFile(summary)
	if string(step) != "earlier step\n"+string(md) {
		t.Errorf("$GITHUB_STEP_SUMMARY should get the summary appended")
	}
	if !strings.Contains(string(md), "## ❌ harness gate: regression") || !strings.Contains(string(md), "<details>") {
		t.Errorf("summary.md:\n%s", md)
	}
	var doc struct {
		XMLName xml.Name `xml:"testsuites"`
		Suite   struct {
			Failures int `xml:"failures,attr"`
		} `xml:"testsuite"`
	}
	data, _ := os.ReadFile(filepath.Join(dir, "junit.xml"))
	if err := xml.Unmarshal(data, &doc); err != nil || doc.Suite.Failures < 1 {
		t.Errorf("junit.xml: %d failures, %v", doc.Suite.Failures, err)
	}
	// A link planted in the output folder must not lead a write outside.
	outside := t.TempDir()
	os.Remove(filepath.Join(dir, "gate.json"))
	if err := os.Symlink(filepath.Join(outside, "gate.json"), filepath.Join(dir, "gate.json")); err != nil {
		t.Fatal(err)
	}
	harness(t, "gate", "--baseline", base, "--candidate", slow)
	if _, err := os.Stat(filepath.Join(outside, "gate.json")); err == nil {
		t.Errorf("a report was written through a symlink outside the output folder")
	}
}

func TestGateNoBaseline(t *testing.T) {
	root := t.TempDir()
	first := fakeRun(t, root, "first", day0, "h1", 1, ok("spin", 70000))
	out := t.TempDir()
	code, _, stderr := harness(t, "gate", "--baseline", "latest", "--candidate", first, "--out", out)
	if code != ExitIncomplete || !strings.Contains(stderr, "no earlier run of spec fake on host h1") {
		t.Errorf("exit %d: %s", code, stderr)
	}
	code, stdout, stderr := harness(t, "gate", "--baseline", "latest", "--candidate", first, "--out", out, "--allow-no-baseline")
	if code != ExitOK || !strings.Contains(stderr, "a first run, nothing to compare it with; passing (--allow-no-baseline)") ||
		!strings.Contains(stdout, "vs no baseline, 0 comparisons") || strings.Contains(stdout, "baseline ,") {
		t.Errorf("with --allow-no-baseline: exit %d\n%s\n%s", code, stdout, stderr)
	}
	// An earlier run that is not usable (every cell failed) is history: the
	// first-run pass does not apply.
	root2 := t.TempDir()
	fakeRun(t, root2, "crashed", day0, "h1", 1, fakeCell{Op: "spin", Status: results.StatusCrashed, P50: 1})
	second := fakeRun(t, root2, "second", day0.Add(time.Hour), "h1", 2, ok("spin", 70000))
	code, _, stderr = harness(t, "gate", "--baseline", "latest", "--candidate", second, "--out", out, "--allow-no-baseline")
	if code != ExitIncomplete || !strings.Contains(stderr, "passed over crashed: no usable cell") ||
		!strings.Contains(stderr, "1 earlier run of spec fake on host h1") || !strings.Contains(stderr, "none usable") {
		t.Errorf("an unusable earlier run with --allow-no-baseline: exit %d: %s", code, stderr)
	}
}

func TestResultsList(t *testing.T) {
	root := t.TempDir()
	fakeRun(t, root, "older", day0, "h1", 1, ok("spin", 70000))
	fakeRun(t, root, "newer", day0.Add(time.Hour), "h2", 1, fakeCell{Op: "spin", Status: results.StatusCrashed, P50: 1})
	os.MkdirAll(filepath.Join(root, "broken"), 0o755)
	os.WriteFile(filepath.Join(root, "broken", "manifest.json"), []byte("{"), 0o644)
	code, stdout, stderr := harness(t, "results", "list", "--results", root)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[1], "newer") || !strings.Contains(lines[1], "h2 (Test CPU, ci)") ||
		!strings.Contains(lines[1], "incomplete") || !strings.HasPrefix(lines[2], "older") || !strings.Contains(lines[2], "1/1") {
		t.Errorf("list:\n%s", stdout)
	}
	if !strings.Contains(stderr, "skipping") || !strings.Contains(stderr, "broken") {
		t.Errorf("an unreadable manifest should be a warning: %s", stderr)
	}
	code, stdout, _ = harness(t, "results", "list", "--results", root, "--json")
	var list []map[string]any
	if code != ExitOK || json.Unmarshal([]byte(stdout), &list) != nil || len(list) != 2 || list[0]["run_id"] != "newer" {
		t.Errorf("--json: %s", stdout)
	}
	if code, _, stderr := harness(t, "results", "show"); code != ExitUsage || !strings.Contains(stderr, "want list") {
		t.Errorf("unknown subcommand: %d %s", code, stderr)
	}
}

func TestCalibrateFrom(t *testing.T) {
	root := t.TempDir()
	var dirs []string
	for i := range 3 {
		c := ok("spin", 70000)
		c.Noise = 0.2
		dirs = append(dirs, fakeRun(t, root, fmt.Sprintf("aa%d", i), day0.Add(time.Duration(i)*time.Hour), "h1", uint64(i+10), c))
	}
	file := filepath.Join(t.TempDir(), "th.json")
	code, stdout, stderr := harness(t, append([]string{"calibrate", "--from", "-o", file}, dirs...)...)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "from 3 A/A runs (3 pairs) on host h1") {
		t.Errorf("stdout: %s", stdout)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var th struct {
		HostID  string `json:"host_id"`
		Entries []struct {
			Unit      string  `json:"unit"`
			Threshold float64 `json:"threshold"`
		} `json:"thresholds"`
	}
	json.Unmarshal(data, &th)
	if th.HostID != "h1" || len(th.Entries) < 4 {
		t.Fatalf("thresholds: %s", data)
	}
	// The thresholds make the gate quieter, never louder: a 2% shift in a
	// metric whose A/A run medians differ by more than that is absorbed.
	base := fakeRun(t, root, "base", day0.Add(10*time.Hour), "h1", 30, ok("spin", 70000))
	slow := fakeRun(t, root, "slow", day0.Add(11*time.Hour), "h1", 31, ok("spin", 71500))
	code, stdout, _ = harness(t, "gate", "--baseline", base, "--candidate", slow, "--out", t.TempDir(), "--threshold", "1%")
	if code != ExitRegression {
		t.Errorf("without thresholds a 2%% shift beyond a 1%% threshold should regress: %d %s", code, stdout)
	}
	code, stdout, _ = harness(t, "gate", "--baseline", base, "--candidate", slow, "--out", t.TempDir(), "--threshold", "1%", "--thresholds", file)
	if code != ExitOK {
		t.Errorf("with calibrated thresholds the 2%% shift is within the host's noise: %d %s", code, stdout)
	}
	if code, _, stderr := harness(t, "calibrate", "--from", dirs[0]); code != ExitUsage || !strings.Contains(stderr, "at least two") {
		t.Errorf("one folder: %d %s", code, stderr)
	}
}

func TestTrendCommand(t *testing.T) {
	root := t.TempDir()
	fakeRun(t, root, "d1", day0, "h1", 1, ok("spin", 70000), ok("other", 5000))
	fakeRun(t, root, "d2", day0.Add(24*time.Hour), "h1", 2, ok("spin", 70000), ok("other", 5000))
	fakeRun(t, root, "d3", day0.Add(48*time.Hour), "h1", 3, ok("spin", 77000), ok("other", 5000))
	fakeRun(t, root, "d3b", day0.Add(50*time.Hour), "h9", 3, ok("spin", 10), ok("other", 10))
	fakeRun(t, root, "d4", day0.Add(72*time.Hour), "h1", 4, ok("spin", 77000), fakeCell{Op: "other", Status: results.StatusCrashed, P50: 1})
	out := filepath.Join(t.TempDir(), "trend")
	code, stdout, stderr := harness(t, "trend", root, "--host", "h1", "--out", out)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "4 runs") || !strings.Contains(stdout, "1 stored runs left out") {
		t.Errorf("stdout: %s", stdout)
	}
	md, _ := os.ReadFile(filepath.Join(out, "trend.md"))
	for _, want := range []string{"◆ `d3` +10", "(stopped: crashed: run 1: crashed)", "`d3b`: another host: h9"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("trend.md lacks %q:\n%s", want, md)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "trend.csv")); err != nil {
		t.Error(err)
	}
	// A plot per series shown, each linked from trend.md and a real PNG.
	links := regexp.MustCompile(`!\[[^]]*\]\((plots/[^)]+\.png)\)`).FindAllStringSubmatch(string(md), -1)
	if len(links) == 0 {
		t.Fatalf("trend.md links no plots:\n%s", md)
	}
	for _, l := range links {
		data, err := os.ReadFile(filepath.Join(out, l[1]))
		if err != nil || !bytes.HasPrefix(data, []byte("\x89PNG")) {
			t.Errorf("%s: not a PNG (%v)", l[1], err)
		}
	}
	if entries, _ := os.ReadDir(filepath.Join(out, "plots")); len(entries) != len(links) {
		t.Errorf("%d files in plots/, %d linked", len(entries), len(links))
	}
}
