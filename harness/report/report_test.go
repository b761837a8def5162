package report

import (
	"context"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perfharness/harness/harness/compare"
)

// xss is a cell label that would run script if any label reached the page
// unescaped.
const xss = "</script><img src=x onerror=alert(1)>"

func synth(t testing.TB, o SynthOptions) string {
	t.Helper()
	dir, err := Synthesize(t.TempDir(), o)
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestRender(t *testing.T) {
	res := synth(t, SynthOptions{Ops: 2, Runs: 6, Label: xss, Failures: true})
	reports := filepath.Join(t.TempDir(), "reports")
	out, err := Render(context.Background(), res, Options{ReportsDir: reports})
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(out) != reports {
		t.Fatalf("report written to %s, not under %s", out, reports)
	}
	// Nothing outside reports/<run-id>/, no temporary folder left.
	entries, _ := os.ReadDir(reports)
	if len(entries) != 1 {
		t.Errorf("reports folder holds %d entries, want 1", len(entries))
	}
	read := func(name string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	html, md, txt := read(HTMLFile), read(MarkdownFile), read(TextFile)
	for _, s := range []string{"<img src=x", "</script><img"} {
		if strings.Contains(html, s) {
			t.Errorf("index.html contains %q unescaped", s)
		}
		if strings.Contains(md, s) {
			t.Errorf("report.md contains %q unescaped", s)
		}
	}
	for _, want := range []string{
		"Synthetic EPYC 9R14", "GOAMD64 v4", "ADX yes", "AVX-512 yes", // host fingerprint
		"go1.27.3",                                   // toolchains
		"synth/crash/go1.26.8", "segmentation fault", // failed cell with its reason
		"host lacks CPU feature AVX512F", // skipped cell with its reason
		"run 2", "rate-not-achieved",     // the invalid run
		"toolchain=go1.27.3", "vs base", // the comparison
	} {
		if !strings.Contains(html, want) {
			t.Errorf("index.html lacks %q", want)
		}
		if !strings.Contains(txt, want) && want != "vs base" {
			t.Errorf("report.txt lacks %q", want)
		}
	}
	// The runs' warnings, one line per cell and kind in every format.
	wait := "synth/op1/go1.27.3: in 6 of 6 runs: the process's threads waited 250ms–1.5s in all for a CPU during the 3s window"
	for name, text := range map[string]string{HTMLFile: html, MarkdownFile: md, TextFile: txt} {
		if name == HTMLFile {
			text = strings.ReplaceAll(text, "&#39;", "'")
		}
		if strings.Count(text, wait) != 1 || strings.Count(text, "waited") != 1 {
			t.Errorf("%s does not list the CPU wait of the runs once, as %q", name, wait)
		}
	}
	// The same tables as CSV: a header, then one line per benchmark × column.
	csvText := read(CSVFile)
	if !strings.Contains(csvText, "toolchain=go1.27.3") || strings.Count(csvText, "\n") < 3 {
		t.Errorf("tables.csv:\n%s", csvText)
	}
	if strings.Count(html, "<svg") < 5 {
		t.Errorf("index.html has %d inline SVGs", strings.Count(html, "<svg"))
	}
	for _, bad := range []string{"http://", "https://", "src=\"//", "<link", "@import"} {
		// gonum's SVG declares its XML namespace, which is not a fetch.
		if n := strings.Count(html, bad) - strings.Count(html, `xmlns="http://www.w3.org/2000/svg"`)*boolInt(bad == "http://") - strings.Count(html, `xmlns:xlink="http://www.w3.org/1999/xlink"`)*boolInt(bad == "http://"); n > 0 {
			t.Errorf("index.html references %q %d times: it must be self-contained", bad, n)
		}
	}
	plots, _ := os.ReadDir(filepath.Join(out, PlotsDir))
	var svg, png int
	for _, p := range plots {
		switch filepath.Ext(p.Name()) {
		case ".svg":
			svg++
		case ".png":
			png++
		}
	}
	if svg == 0 || svg != png {
		t.Errorf("plots: %d SVG, %d PNG", svg, png)
	}
	// Text in the SVGs names faces with Liberation's metrics after it, so a
	// browser without Liberation draws it the width gonum measured.
	for _, p := range plots {
		if filepath.Ext(p.Name()) != ".svg" {
			continue
		}
		b := read(filepath.Join(PlotsDir, p.Name()))
		if strings.Contains(b, "font-family:Liberation Serif;") || !strings.Contains(b, "'Times New Roman'") {
			t.Errorf("%s: text without a metric-compatible fallback face", p.Name())
		}
	}
	// Rendering again replaces the report.
	if _, err := Render(context.Background(), res, Options{ReportsDir: reports}); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(reports); len(entries) != 1 {
		t.Errorf("after a second render the reports folder holds %d entries", len(entries))
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestRenderRefusesBadRunID(t *testing.T) {
	res := synth(t, SynthOptions{Ops: 1, Runs: 2})
	run, err := Load(res)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"../escape", "/abs", "a/b", "..", ""} {
		run.Manifest.RunID = id
		m, err := Build(context.Background(), run, Options{NoPNG: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Write(t.TempDir()); err == nil {
			t.Errorf("run id %q: written", id)
		}
	}
}

func TestModel(t *testing.T) {
	res := synth(t, SynthOptions{Ops: 2, Runs: 6, Failures: true})
	run, err := Load(res)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Build(context.Background(), run, Options{NoPNG: true})
	if err != nil {
		t.Fatal(err)
	}
	if m.Compare == nil || m.Compare.Options.Col != "toolchain" {
		t.Fatalf("compare: %+v", m.Compare)
	}
	// op1 is 10% slower on go1.27.3: its profile diff says encode grew.
	var found bool
	for _, d := range m.Diffs {
		if strings.Contains(d.Cand, "op1") {
			found = true
			if len(d.Changes) == 0 {
				t.Errorf("%s → %s: no significant change listed", d.Base, d.Cand)
			}
			top := d.Diffs[0].Funcs[0]
			if !strings.HasSuffix(top.Name, "codec.encode") || top.FlatDelta <= 0 {
				t.Errorf("top change %+v, want codec.encode up", top)
			}
		}
	}
	if !found {
		t.Error("no profile diff for op1")
	}
	// The invalid run is not in the latency figures: 5 valid runs merged.
	for _, c := range run.Cells {
		if c.ID == "synth/op0/go1.26.8" {
			if c.Latency == nil || c.Latency.Runs != 5 || len(c.Invalid()) != 1 {
				t.Errorf("op0: latency from %v runs, %d invalid", c.Latency, len(c.Invalid()))
			}
		}
	}
}

func TestHlog(t *testing.T) {
	res := synth(t, SynthOptions{Ops: 1, Runs: 1, Seconds: 2})
	path := filepath.Join(res, "cells")
	var hlog string
	filepath.Walk(path, func(p string, _ os.FileInfo, _ error) error {
		if filepath.Base(p) == "latency.hlog" {
			hlog = p
		}
		return nil
	})
	l, err := ReadHlog(hlog)
	if err != nil {
		t.Fatal(err)
	}
	tl := l.Timeline()
	if len(tl) != 2 {
		t.Fatalf("%d intended intervals, want 2", len(tl))
	}
	if tl[1].Start != time.Second || tl[1].Length != time.Second || tl[1].P99 < tl[1].P50 || tl[1].Count < 900 {
		t.Errorf("second interval %+v", tl[1])
	}
	if _, ok := l.Total[TagLag]; ok {
		t.Error("the lag series was decoded")
	}
	if l.Total[TagIntended].TotalCount() < 1900 {
		t.Errorf("total count %d", l.Total[TagIntended].TotalCount())
	}
	sp := Spectrum(l.Total[TagIntended])
	if len(sp) < 10 || sp[len(sp)-1].Latency != time.Duration(l.Total[TagIntended].Max()) {
		t.Errorf("spectrum: %d points, ends at %v", len(sp), sp[len(sp)-1])
	}
	data, _ := os.ReadFile(hlog)
	for name, bad := range map[string][]byte{
		"truncated": data[:len(data)-10],
		"garbage":   []byte(strings.Replace(string(data), "HISTF", "HISTX", 1)),
		"empty":     []byte("#[Histogram log format version 1.3]\n"),
	} {
		if _, err := parseHlog(name, bad); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func FuzzHlog(f *testing.F) {
	f.Add([]byte("Tag=intended,0.000,1.000,1.0,HISTFAAAACh42pNpmSzMwMDAxAABzFCaEUoz2X+AiIEVAC9jAhs=\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		parseHlog("fuzz.hlog", data) // must not panic
	})
}

func TestServePprof(t *testing.T) {
	res := synth(t, SynthOptions{Ops: 1, Runs: 2})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	urls := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- ServePprof(ctx, res, "synth/op0/go1.27.3", PprofOptions{DiffBase: "synth/op0/go1.26.8", Ready: func(u string) { urls <- u }})
	}()
	var u string
	select {
	case u = <-urls:
	case err := <-done:
		t.Fatal(err)
	case <-time.After(30 * time.Second):
		t.Fatal("pprof UI did not start")
	}
	if !strings.HasPrefix(u, "http://127.0.0.1:") {
		t.Errorf("UI at %s, want 127.0.0.1", u)
	}
	resp, err := http.Get(u + "flamegraph")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "codec.encode") {
		t.Errorf("flame graph: %d, %d bytes, mentions codec.encode: %v", resp.StatusCode, len(body), strings.Contains(string(body), "codec.encode"))
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("after cancel: %v", err)
	}
	for _, o := range []PprofOptions{{Addr: "0.0.0.0:0"}, {Addr: "[::]:0"}, {Profile: "nope"}} {
		if err := ServePprof(context.Background(), res, "synth/op0/go1.27.3", o); err == nil {
			t.Errorf("%+v: served", o)
		}
	}
	if err := ServePprof(context.Background(), res, "no/such/cell", PprofOptions{}); err == nil || !strings.Contains(err.Error(), "synth/op0/go1.26.8") {
		t.Errorf("unknown cell: %v", err)
	}
}

// BenchmarkRender100Cells renders the report of a 100-cell results folder
// (50 benchmarks × 2 toolchains, 5 runs each, with latency logs and CPU
// profiles), PNGs included.
func BenchmarkRender100Cells(b *testing.B) {
	res := synth(b, SynthOptions{Ops: 50, Runs: 5, Failures: true})
	reports := b.TempDir()
	for b.Loop() {
		if _, err := Render(context.Background(), res, Options{ReportsDir: reports}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestRenderOptions(t *testing.T) {
	res := synth(t, SynthOptions{Ops: 2, Runs: 3})
	if _, err := Render(context.Background(), res, Options{ReportsDir: t.TempDir(), Compare: compare.Options{Col: "("}}); err == nil {
		t.Error("bad projection: no error")
	}
	if _, err := Render(context.Background(), t.TempDir(), Options{ReportsDir: t.TempDir()}); err == nil {
		t.Error("not a results folder: no error")
	}
}

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestMarkdownGolden pins report.md of a synthetic run: header, failures,
// tables (the compare package checks them against benchstat), plot list and
// profile sections.
func TestMarkdownGolden(t *testing.T) {
	res := synth(t, SynthOptions{Ops: 2, Runs: 6, Label: xss, Failures: true, Seed: 7})
	run, err := Load(res)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Build(context.Background(), run, Options{NoPNG: true, TopN: 5})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	m.WriteMarkdown(&b)
	got := strings.ReplaceAll(b.String(), res, "RESULTS")
	path := filepath.Join("testdata", "synthetic.md.golden")
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	if got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := range max(len(gl), len(wl)) {
			if i >= len(gl) || i >= len(wl) || gl[i] != wl[i] {
				t.Fatalf("report.md differs from %s at line %d (go test -update rewrites it)", path, i+1)
			}
		}
	}
}
