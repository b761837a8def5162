package gate

import (
	"bytes"
	"cmp"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perfharness/harness/harness/compare"
	"github.com/perfharness/harness/harness/results"
)

// benchText writes a bench.txt like AssembleBench does: run keys first,
// then the cell's configuration and its result lines.
func benchText(run string, p50 []float64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "goos: linux\ngoarch: amd64\nhost-id: h1\nharness-run: %s\n\nworkload: json\ntoolchain: go1.27.3\nrate: 1000/s\n", run)
	b.WriteString("Unit p50-ns better=lower assume=nothing\nUnit max-ns better=lower assume=nothing\n")
	for _, v := range p50 {
		fmt.Fprintf(&b, "BenchmarkJson/op=decode-2 1000 %g p50-ns %g max-ns\n", v, v*10)
	}
	return b.String()
}

func series(base float64, n int) []float64 {
	var out []float64
	for i := range n {
		out = append(out, base*(1+0.002*float64(i%5)))
	}
	return out
}

func TestTrend(t *testing.T) {
	dir := t.TempDir()
	var runs []TrendRun
	add := func(id string, day int, status results.Status, p50 []float64) {
		m := manifest(id, t0.Add(time.Duration(day)*24*time.Hour), jsonCell())
		m.Cells[0].Status = status
		if status != results.StatusOK {
			m.Cells[0].Reason = "run 1: exit status 2"
		}
		path := filepath.Join(dir, id+".txt")
		if err := os.WriteFile(path, []byte(benchText(id, p50)), 0o644); err != nil {
			t.Fatal(err)
		}
		if p50 == nil { // the cell failed: only the header and unit lines
			os.WriteFile(path, []byte("goos: linux\nharness-run: "+id+"\n"), 0o644)
		}
		set, err := compare.LoadFiles(path)
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, TrendRun{Path: path, Manifest: m, Set: set})
	}
	// Out of order on purpose: Trend sorts by start time.
	add("r3", 3, results.StatusOK, series(110, 10)) // +10%: a change point
	add("r1", 1, results.StatusOK, series(100, 10))
	add("r2", 2, results.StatusOK, series(100.1, 10))
	add("r4", 4, results.StatusCrashed, nil) // stopped producing data
	add("r5", 5, results.StatusOK, series(110.2, 10))
	add("r6", 6, results.StatusCrashed, nil)
	tr, err := Trend(runs, Policy{Alpha: 0.05, Threshold: 0.05}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var p50 *Series
	for _, s := range tr.Series {
		if s.Unit == "p50-sec" {
			p50 = s
		}
	}
	if p50 == nil || len(p50.Points) != 6 {
		t.Fatalf("no p50 series over 6 runs: %+v", tr.Series)
	}
	var flags []string
	for _, p := range p50.Points {
		switch {
		case p.Change:
			flags = append(flags, p.RunID+":change")
		case p.Gap != "":
			flags = append(flags, p.RunID+":gap("+p.Gap+")")
		default:
			flags = append(flags, p.RunID)
		}
	}
	want := "r1 r2 r3:change r4:gap(crashed: run 1: exit status 2) r5 r6:gap(crashed: run 1: exit status 2)"
	if got := strings.Join(flags, " "); got != want {
		t.Errorf("points:\n got %s\nwant %s", got, want)
	}
	if p50.Changes != 1 || p50.Gaps != 2 || !p50.Gated {
		t.Errorf("changes %d gaps %d gated %v; want 1, 2, true", p50.Changes, p50.Gaps, p50.Gated)
	}
	if got := p50.Sparkline(); got != "▁▁█·█·" {
		t.Errorf("sparkline %q", got)
	}
	var md bytes.Buffer
	if err := tr.WriteMarkdown(&md, nil, 0); err != nil {
		t.Fatal(err)
	}
	checkTables(t, md.String())
	for _, s := range []string{"◆ `r3` +10% [+9.78%, +10.3%] regression", "2 (stopped: crashed: run 1: exit status 2)", "<details><summary>Json/op=decode-2 p50-sec"} {
		if !strings.Contains(md.String(), s) {
			t.Errorf("Markdown lacks %q:\n%s", s, md.String())
		}
	}
	if strings.Contains(md.String(), "max-sec") {
		t.Errorf("max latency is not gated, so not shown by default")
	}
	md.Reset()
	tr.WriteMarkdown(&md, []string{"max-ns"}, 0)
	if !strings.Contains(md.String(), "max-sec") || strings.Contains(md.String(), "| p50-sec |") {
		t.Errorf("asking for max-ns should show only max latency")
	}
	var csv bytes.Buffer
	if err := tr.WriteCSV(&csv); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(csv.String()), "\n")
	if len(lines) != 1+2*6 || !strings.HasPrefix(lines[0], "run_id,started,config") {
		t.Errorf("CSV: %d lines, want a header and 6 points for each of 2 series:\n%s", len(lines), csv.String())
	}
}

// trendOf builds a history from the p50 medians of runs of 10 samples,
// each scattered ±1% around its median (seeded: the same every time).
func trendOf(t *testing.T, medians []float64, segment int) *Series {
	t.Helper()
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(len(medians)), 1))
	var runs []TrendRun
	for i, m := range medians {
		id := fmt.Sprintf("r%02d", i+1)
		var vs []float64
		for range 10 {
			vs = append(vs, m*(1+0.02*(rng.Float64()-0.5)))
		}
		path := filepath.Join(dir, id+".txt")
		if err := os.WriteFile(path, []byte(benchText(id, vs)), 0o644); err != nil {
			t.Fatal(err)
		}
		set, err := compare.LoadFiles(path)
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, TrendRun{Path: path, Manifest: manifest(id, t0.Add(time.Duration(i)*24*time.Hour), jsonCell()), Set: set})
	}
	tr, err := Trend(runs, Policy{Alpha: 0.05, Threshold: 0.02, TailSamples: 1}, segment)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range tr.Series {
		if s.Unit == "p50-sec" {
			return s
		}
	}
	t.Fatal("no p50 series")
	return nil
}

func changesOf(s *Series) string {
	var out []string
	for _, p := range s.Points {
		if p.Change {
			out = append(out, fmt.Sprintf("%s:%s", p.RunID, p.Verdict))
		}
	}
	return strings.Join(out, " ")
}

func TestTrendChangePoints(t *testing.T) {
	flat := func(n int) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = 1000
		}
		return out
	}
	for _, tc := range []struct {
		why     string
		medians []float64
		segment int
		want    string
	}{
		{"two identical runs: none", flat(2), 0, ""},
		{"twelve identical runs: none", flat(12), 0, ""},
		{"a step of +10% after 4 runs, 4 after", []float64{1000, 1000, 1000, 1000, 1100, 1100, 1100, 1100}, 0, "r05:regression"},
		{"a step down is an improvement", []float64{1000, 1000, 1000, 900, 900, 900}, 0, "r04:improvement"},
		{"one run off by 10% (a stall): a dip, not a step", []float64{1000, 1000, 1000, 1100, 1000, 1000, 1000}, 0, ""},
		{"a step in the last run needs a second run after it", []float64{1000, 1000, 1000, 1100}, 0, ""},
		{"… unless the segment is 1", []float64{1000, 1000, 1000, 1100}, 1, "r04:regression"},
		{"two steps, each held for three runs", []float64{1000, 1000, 1000, 1100, 1100, 1100, 1000, 1000, 1000}, 0, "r04:regression r07:improvement"},
		{"drift of +0.5% a run, below the 2% threshold run to run, over 2 runs a side: none", []float64{1000, 1005, 1010, 1015, 1020, 1025}, 0, ""},
	} {
		t.Run(tc.why, func(t *testing.T) {
			s := trendOf(t, tc.medians, tc.segment)
			if got := changesOf(s); got != tc.want {
				t.Errorf("change points %q, want %q", got, tc.want)
			}
			for _, p := range s.Points {
				seg := cmp.Or(tc.segment, DefaultSegment)
				if p.Change && (p.Step == nil || p.Step.Before < seg || p.Step.After < seg) {
					t.Errorf("%s: change point without a step of enough runs: %+v", p.RunID, p.Step)
				}
			}
		})
	}
}

func TestSparklineScale(t *testing.T) {
	s := trendOf(t, []float64{1000, 1000, 1007, 1007}, 0)
	if got := s.Sparkline(); strings.ContainsAny(got, "▇█") || strings.ContainsAny(got, "▁") && strings.ContainsAny(got, "▆▇█") {
		t.Errorf("+0.7%% drawn as %q: a change below the threshold should stay flat", got)
	}
	if txt := s.rangeText(); !strings.HasSuffix(txt, "%)") || !strings.Contains(txt, " – ") {
		t.Errorf("range %q should state the spread", txt)
	}
	big := trendOf(t, []float64{1000, 1000, 1500, 1500}, 0)
	if got := big.Sparkline(); got != "▁▁██" {
		t.Errorf("+50%%: sparkline %q, want ▁▁██", got)
	}
}

func TestSelectHistory(t *testing.T) {
	var stored []results.Stored
	for i, edit := range []func(m *results.Manifest){
		nil, nil,
		func(m *results.Manifest) { m.Host = testHost("h2") },
		func(m *results.Manifest) { m.Name = "other" },
		func(m *results.Manifest) { m.Status = results.RunRunning },
		nil,
	} {
		m := manifest(fmt.Sprintf("r%d", i), t0.Add(time.Duration(i)*time.Hour))
		if edit != nil {
			edit(m)
		}
		stored = append(stored, results.Stored{Path: m.RunID, Manifest: m})
	}
	got, skipped := SelectHistory(stored, "", "", 2)
	var ids []string
	for _, s := range got {
		ids = append(ids, s.Manifest.RunID)
	}
	if strings.Join(ids, " ") != "r1 r5" {
		t.Errorf("history %v, want the last two usable runs oldest first: r1 r5", ids)
	}
	var why []string
	for _, s := range skipped {
		why = append(why, s.String())
	}
	want := "r4: still running (or its harness died)|r2: another host: h2 (AMD EPYC, ci-1)|r0: older than the last 2 runs"
	if strings.Join(why, "|") != want {
		t.Errorf("skipped %q\nwant    %q", strings.Join(why, "|"), want)
	}
}
