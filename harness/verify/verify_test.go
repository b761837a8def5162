package verify

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perfharness/harness/harness/compare"
	"github.com/perfharness/harness/harness/gate"
	"github.com/perfharness/harness/harness/internal/fake"
	"github.com/perfharness/harness/harness/results"
)

func TestGate(t *testing.T) {
	root := t.TempDir()
	base := fake.Run(t, root, "base", fake.Day0, "h1", 1, fake.OK("spin", 70000), fake.OK("other", 5000))
	slow := fake.Run(t, root, "slow", fake.Day0.Add(time.Hour), "h1", 3, fake.OK("spin", 73500), fake.OK("other", 5000))
	fake.Run(t, root, "elsewhere", fake.Day0.Add(30*time.Minute), "h2", 2, fake.OK("spin", 70000), fake.OK("other", 5000))
	var log []string
	o := GateOptions{Baseline: "latest", Candidate: slow, Run: RunOptions{Log: func(s string) { log = append(log, s) }}}
	rep, out, err := Gate(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Outcome != gate.Regressed || rep.Baseline.RunID != "base" || out != filepath.Join("reports", "gate-slow") {
		t.Errorf("5%% slower against the latest same-host run: %s against %s, reports in %s", rep.Outcome, rep.Baseline.RunID, out)
	}
	if l := strings.Join(log, "\n"); !strings.Contains(l, "baseline: passed over elsewhere: another host") || !strings.Contains(l, "baseline: base (") {
		t.Errorf("log:\n%s", l)
	}
	if !strings.Contains(strings.Join(rep.Warnings, "\n"), "baseline selection passed over run elsewhere") {
		t.Errorf("warnings %q", rep.Warnings)
	}
	ten := 0.10
	o.Overrides.Threshold = &ten
	if rep, _, err := Gate(context.Background(), o); err != nil || rep.Outcome != gate.Pass {
		t.Errorf("a 10%% threshold absorbs it: %v %v", rep.Outcome, err)
	}

	var ie *InputError
	for _, tc := range []struct {
		o     GateOptions
		usage bool
		want  string
	}{
		{GateOptions{Baseline: base, Candidate: filepath.Join(root, "nope")}, false, "candidate: "},
		{GateOptions{Baseline: "nope", Candidate: slow}, false, `baseline: no run "nope"`},
		{GateOptions{Baseline: slow, Candidate: slow}, true, "the same run"},
	} {
		_, _, err := Gate(context.Background(), tc.o)
		if !errors.As(err, &ie) || ie.Usage != tc.usage || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want an input error %q", tc.o, err, tc.want)
		}
	}
	first := fake.Run(t, t.TempDir(), "first", fake.Day0, "h1", 1, fake.OK("spin", 70000))
	if _, _, err := Gate(context.Background(), GateOptions{Baseline: "latest", Candidate: first}); err == nil || errors.As(err, &ie) ||
		!strings.Contains(err.Error(), "no earlier run of spec fake on host h1") {
		t.Errorf("no baseline: %v, want an error that makes the run invalid", err)
	}
	rep, _, err = Gate(context.Background(), GateOptions{Baseline: "latest", Candidate: first, AllowNoBaseline: true})
	if err != nil || rep.Outcome != gate.Pass || !strings.Contains(rep.Warnings[0], "a first run, nothing to compare it with; nothing was compared") {
		t.Errorf("allowed without a baseline: %+v, %v", rep, err)
	}
}

func TestWriteReports(t *testing.T) {
	root := t.TempDir()
	base := fake.Run(t, root, "base", fake.Day0, "h1", 1, fake.OK("spin", 70000))
	slow := fake.Run(t, root, "slow", fake.Day0.Add(time.Hour), "h1", 3, fake.OK("spin", 73500))
	rep, _, err := Gate(context.Background(), GateOptions{Baseline: base, Candidate: slow})
	if err != nil {
		t.Fatal(err)
	}
	out, summary := filepath.Join(root, "out"), filepath.Join(root, "step-summary.md")
	files, warnings, err := WriteReports(rep, out, summary)
	if err != nil || len(files) != 3 || len(warnings) != 0 {
		t.Fatalf("%v %v %v", files, warnings, err)
	}
	md, _ := os.ReadFile(filepath.Join(out, SummaryFile))
	appended, _ := os.ReadFile(summary)
	if len(md) == 0 || string(md) != string(appended) {
		t.Errorf("the step summary is not the summary: %d and %d bytes", len(md), len(appended))
	}
	if _, warnings, err := WriteReports(rep, out, filepath.Join(root, "no", "such", "folder")); err != nil || len(warnings) != 1 {
		t.Errorf("an unwritable step summary is a warning: %v %v", warnings, err)
	}
}

func TestThresholds(t *testing.T) {
	root := t.TempDir()
	var runs []results.Stored
	for i, id := range []string{"aa1", "aa2", "aa3"} {
		c := fake.OK("spin", 70000)
		c.Noise = 0.2
		st, err := results.Find(fake.Run(t, root, id, fake.Day0.Add(time.Duration(i)*time.Hour), "h1", uint64(i+10), c), root)
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, st)
	}
	th, pairs, err := Thresholds(runs, CalibrateOptions{Alpha: 0.05, Margin: 1.5, Floor: 0.01})
	if err != nil {
		t.Fatal(err)
	}
	if pairs != 3 || th.HostID != "h1" || strings.Join(th.Runs, ",") != "aa1,aa2,aa3" || len(th.Entries) == 0 {
		t.Errorf("thresholds: %d pairs, %+v", pairs, th)
	}
	for _, e := range th.Entries {
		if e.Threshold < 0.01 || e.Pairs != 3 {
			t.Errorf("entry %+v: below the floor or not from every pair", e)
		}
	}
	other, _ := results.Find(fake.Run(t, root, "other", fake.Day0, "h2", 1, fake.OK("spin", 70000)), root)
	if _, _, err := Thresholds(append(runs, other), CalibrateOptions{Margin: 1}); !errors.Is(err, ErrMixedHosts) {
		t.Errorf("runs from two hosts: %v", err)
	}
}

func TestTrend(t *testing.T) {
	root := t.TempDir()
	for i, p50 := range []float64{70000, 70000, 77000, 77000} {
		fake.Run(t, root, "d"+string(rune('1'+i)), fake.Day0.Add(time.Duration(i)*24*time.Hour), "h1", uint64(i+1), fake.OK("spin", p50))
	}
	out := filepath.Join(t.TempDir(), "trend")
	tr, err := Trend(TrendOptions{Sources: []string{root, filepath.Join(root, "d4")}, Out: out})
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Runs) != 4 || len(tr.Files) != 3 || tr.Plots == 0 {
		t.Errorf("trend of %d runs (d4 given twice), files %v, %d plots", len(tr.Runs), tr.Files, tr.Plots)
	}
	changes := 0
	for _, s := range tr.Series {
		changes += s.Changes
	}
	if changes == 0 {
		t.Errorf("a 10%% step in p50 is no change point")
	}
	md, _ := os.ReadFile(filepath.Join(out, "trend.md"))
	if !strings.Contains(string(md), "](plots/") {
		t.Errorf("trend.md links no plot:\n%s", md)
	}
	var ie *InputError
	if _, err := Trend(TrendOptions{Sources: []string{t.TempDir()}, Out: out}); !errors.As(err, &ie) {
		t.Errorf("no stored runs: %v, want an input error", err)
	}
	if _, err := Trend(TrendOptions{Sources: []string{root}, Spec: "nope", Out: out}); !errors.As(err, &ie) {
		t.Errorf("an unknown spec: %v, want an input error", err)
	}
}

// TestRerunsAlone checks that a confirmation judged on its interleaved
// reruns replaces exactly the comparisons the reruns have, matched whatever
// the order of the configuration keys, keeps the others (so the gate's
// family keeps its size), and marks the replaced rows interleaved.
func TestRerunsAlone(t *testing.T) {
	const cfg = "workload: json, toolchain: go1.27.3"
	const reordered = "toolchain: go1.27.3, workload: json"
	c := func(table, row, unit string, delta float64) compare.Comparison {
		return compare.Comparison{Table: table, Row: row, Unit: unit, Delta: delta}
	}
	cmps := []compare.Comparison{
		c(cfg, "Json/op=decode-2", "p50-sec", 0.058), c(cfg, "Json/op=decode-2", "p90-sec", 0.2),
		c(cfg, "Json/op=encode-2", "p50-sec", 0.01), c(cfg, "Build/workload=json", "build-sec", 0),
	}
	reruns := []compare.Comparison{c(reordered, "Json/op=decode-2", "p50-sec", 0.049)}
	got, keys := rerunsAlone(cmps, reruns)
	var rows []string
	for _, c := range got {
		rows = append(rows, fmt.Sprintf("%s %s %g", c.Row, c.Unit, c.Delta))
	}
	want := "Json/op=decode-2 p90-sec 0.2|Json/op=encode-2 p50-sec 0.01|Build/workload=json build-sec 0|Json/op=decode-2 p50-sec 0.049"
	if strings.Join(rows, "|") != want {
		t.Errorf("comparisons\n%s\nwant\n%s", strings.Join(rows, "|"), want)
	}
	if len(keys) != 1 || !keys[gate.InterleavedKey(cfg, "Json/op=decode-2")] {
		t.Errorf("interleaved rows %v, want the decode row alone (keyed whatever the order of its configuration)", keys)
	}
}
