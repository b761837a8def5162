package compare

import (
	"bytes"
	"encoding/csv"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/perfharness/harness/harness/internal/peer"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// goldenCases are the inputs of the golden and benchstat-agreement tests.
var goldenCases = []struct {
	name  string
	files []string
	opts  Options
	why   string
}{
	{"gcflags", []string{"gcflags.txt"}, Options{}, "a real results folder's bench.txt: gotest and fixed-rate cells, build metrics, rate-not-achieved runs left out"},
	{"toolchains", []string{"toolchains.txt"}, Options{}, "two varying keys become the columns; Unit lines set direction and assume=exact"},
	{"by-experiment", []string{"toolchains.txt"}, Options{Col: "goexperiment", Filter: ".unit:(sec/op OR ops/s)"}, "explicit column and a unit filter; toolchain moves into the table key"},
	{"files", []string{"run-a.txt", "run-b.txt"}, Options{}, "two runs: columns are the files, run ids ignored, a benchmark missing on one side"},
	{"vary", []string{"vary.txt"}, Options{Col: "toolchain", Table: "workload"}, "a key left out of every projection varies within cells (a footnote between the sample's and the summary's), a benchmark missing from a column"},
	{"alpha", []string{"toolchains.txt"}, Options{Col: "toolchain", Filter: ".unit:sec/op", Alpha: 0.001, Confidence: 0.9}, "stricter alpha and another confidence level"},
}

func load(t *testing.T, files []string) *Set {
	t.Helper()
	var paths []string
	for _, f := range files {
		paths = append(paths, filepath.Join("testdata", f))
	}
	s, err := LoadFiles(paths...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestGolden(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := load(t, tc.files).Compare(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range []struct {
				ext   string
				write func(*bytes.Buffer) error
			}{
				{"txt", func(b *bytes.Buffer) error { return rep.WriteText(b) }},
				{"md", func(b *bytes.Buffer) error { return rep.WriteMarkdown(b) }},
				{"csv", func(b *bytes.Buffer) error { return rep.WriteCSV(b) }},
			} {
				var b bytes.Buffer
				if err := f.write(&b); err != nil {
					t.Fatal(err)
				}
				golden(t, filepath.Join("testdata", tc.name+"."+f.ext+".golden"), b.Bytes())
			}
		})
	}
}

// golden compares got with the file, or rewrites it under -update, and
// shows the first differing line.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < max(len(gl), len(wl)); i++ {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Fatalf("%s differs at line %d (go test -update rewrites it):\n got: %q\nwant: %q", path, i+1, g, w)
		}
	}
}

// benchstatBinary is the benchstat command of the x/perf version in
// go.mod, so its statistics are the ones this package composes.
func benchstatBinary(t *testing.T) string { return peer.Benchstat(t) }

// bsCell is one cell of benchstat's CSV output.
type bsCell struct {
	center      float64
	ci          string
	delta, test string // "" in the base column
}

// TestAgreesWithBenchstat runs the benchstat command on the same input with
// the same projections and checks every table cell: the same median, the
// same confidence interval, the same delta ("~" when not significant) and
// the same p-value and sample sizes; and the same geomeans.
func TestAgreesWithBenchstat(t *testing.T) {
	bin := benchstatBinary(t)
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := load(t, tc.files).Compare(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			var paths []string
			for _, f := range tc.files {
				paths = append(paths, filepath.Join("testdata", f))
			}
			if agreeWithBenchstat(t, bin, rep, paths...) == 0 {
				t.Fatal("no rows compared")
			}
		})
	}
}

// benchstatArgs are the benchstat flags of resolved options: the same
// projections, the run keys ignored, the same alpha and confidence.
func benchstatArgs(o Options) []string {
	return []string{"-col", o.Col, "-row", o.Row, "-table", o.Table, "-filter", o.Filter,
		"-ignore", strings.Join(RunKeys, ","), "-alpha", strconv.FormatFloat(o.Alpha, 'g', -1, 64),
		"-confidence", strconv.FormatFloat(o.Confidence, 'g', -1, 64)}
}

// runBenchstat runs the benchstat command and returns its standard output
// and error.
func runBenchstat(t *testing.T, bin string, args ...string) (stdout, stderr *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	stdout, stderr = new(bytes.Buffer), new(bytes.Buffer)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("benchstat %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return stdout, stderr
}

// TestTextIsBenchstats: the text tables are benchstat's text, byte for
// byte. The golden .txt files (which TestGolden compares our output
// with) must be what the real benchstat prints for the same files and
// projections.
func TestTextIsBenchstats(t *testing.T) {
	bin := benchstatBinary(t)
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := load(t, tc.files).Compare(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			args := benchstatArgs(rep.Options)
			for _, f := range tc.files {
				args = append(args, filepath.Join("testdata", f))
			}
			stdout, stderr := runBenchstat(t, bin, args...)
			if stderr.Len() > 0 {
				t.Errorf("benchstat %s complained:\n%s", strings.Join(args, " "), stderr)
			}
			want := stdout.String()
			golden, err := os.ReadFile(filepath.Join("testdata", tc.name+".txt.golden"))
			if err != nil {
				t.Fatal(err)
			}
			if string(golden) != want {
				t.Errorf("testdata/%s.txt.golden is not benchstat %s:\n%s", tc.name, strings.Join(args, " "), lineDiff(string(golden), want))
			}
		})
	}
}

// lineDiff shows the first line where got and want differ.
func lineDiff(got, want string) string {
	gl, wl := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < max(len(gl), len(wl)); i++ {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			return fmt.Sprintf("line %d:\n ours:      %q\n benchstat: %q", i+1, g, w)
		}
	}
	return "(same lines)"
}

// agreeWithBenchstat runs benchstat -format csv on files with rep's
// resolved projections and checks its every row against rep's tables; it
// returns the number of rows compared.
func agreeWithBenchstat(t *testing.T, bin string, rep *Report, files ...string) int {
	t.Helper()
	args := append([]string{"-format", "csv"}, benchstatArgs(rep.Options)...)
	args = append(args, files...)
	stdout, _ := runBenchstat(t, bin, args...) // warnings on stderr, as cell references
	r := csv.NewReader(bytes.NewReader(stdout.Bytes()))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	// Walk benchstat's CSV: per table, header rows end with the units
	// row (",sec/op,CI,..."), then data rows (their label may be empty:
	// a key cleared for that benchmark), then the geomean row.
	var got [][]string
	inTable := false
	for _, rec := range recs {
		switch {
		case len(rec) >= 3 && rec[0] == "" && rec[2] == "CI":
			inTable = true
		case inTable:
			got = append(got, rec)
			inTable = rec[0] != "geomean"
		}
	}
	var want [][]string
	startCol := func(j int) int {
		if j == 0 {
			return 1
		}
		return 3 + (j-1)*4
	}
	num := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	for _, tab := range rep.Tables {
		for _, row := range tab.Rows {
			rec := []string{row.Name}
			for j, c := range row.Cells {
				for len(rec) < startCol(j) {
					rec = append(rec, "")
				}
				if c == nil {
					continue
				}
				rec = append(rec, num(c.Center), c.RangeString())
				if c.Cmp != nil {
					rec = append(rec, c.Cmp.DeltaString(), c.Cmp.PString())
				}
			}
			for len(rec) < startCol(len(tab.Cols)) {
				rec = append(rec, "")
			}
			want = append(want, rec)
		}
		rec := []string{"geomean"}
		for j := range tab.Cols {
			var g *Geomean
			if tab.Geomean != nil {
				g = tab.Geomean[j]
			} else {
				// benchstat's CSV always has the geomean row.
				g = geomeans(&Table{Cols: tab.Cols, Rows: tab.Rows})[j]
			}
			for len(rec) < startCol(j) {
				rec = append(rec, "")
			}
			if g.HasValue {
				rec = append(rec, num(g.Value))
			}
			if j > 0 {
				for len(rec) < startCol(j)+2 {
					rec = append(rec, "")
				}
				if g.HasRatio {
					rec = append(rec, strconv.FormatFloat((g.Ratio-1)*100, 'f', 2, 64))
				} else {
					rec = append(rec, "?")
				}
			}
		}
		for len(rec) < startCol(len(tab.Cols)) {
			rec = append(rec, "")
		}
		want = append(want, rec)
	}
	if len(got) != len(want) {
		t.Fatalf("benchstat %s printed %d rows, we have %d\nbenchstat:\n%s", strings.Join(args, " "), len(got), len(want), stdout.String())
	}
	for i := range got {
		if !sameRow(got[i], want[i]) {
			t.Errorf("benchstat %s, row %d:\nbenchstat: %q\n     ours: %q", strings.Join(args, " "), i, got[i], want[i])
		}
	}
	return len(got)
}

// sameRow compares a benchstat CSV row with ours: numbers by value (the two
// print floats differently), everything else exactly.
func sameRow(a, b []string) bool {
	trim := func(r []string) []string {
		for len(r) > 0 && r[len(r)-1] == "" {
			r = r[:len(r)-1]
		}
		return r
	}
	a, b = trim(a), trim(b)
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] == b[i] {
			continue
		}
		x, err1 := strconv.ParseFloat(strings.TrimSuffix(a[i], "%"), 64)
		y, err2 := strconv.ParseFloat(strings.TrimSuffix(b[i], "%"), 64)
		if err1 != nil || err2 != nil || math.Abs(x-y) > 1e-12*math.Max(math.Abs(x), math.Abs(y)) {
			return false
		}
	}
	return true
}

func TestDefaultColumn(t *testing.T) {
	for _, tc := range []struct {
		files []string
		want  string
		why   string
	}{
		{[]string{"gcflags.txt"}, "gcflags", "one varying dimension; workload and rate vary only between different benchmarks"},
		{[]string{"toolchains.txt"}, "toolchain,goexperiment", "two varying dimensions, in the order they appear"},
		{[]string{"run-a.txt", "run-b.txt"}, ".file", "nothing varies but the run: compare the files"},
	} {
		rep, err := load(t, tc.files).Compare(Options{})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Options.Col != tc.want {
			t.Errorf("%v: col = %q, want %q (%s)", tc.files, rep.Options.Col, tc.want, tc.why)
		}
	}
}

func TestVerdicts(t *testing.T) {
	rep, err := load(t, []string{"toolchains.txt"}).Compare(Options{Col: "toolchain", Table: ".config", Filter: "/op:(decode OR encode)"})
	if err != nil {
		t.Fatal(err)
	}
	find := func(table, row, unit string) *Comparison {
		for _, c := range rep.Comparisons() {
			if strings.Contains(c.Table, table) && c.Row == row && c.Unit == unit {
				return &c
			}
		}
		t.Fatalf("no comparison %s %s %s", table, row, unit)
		return nil
	}
	// go1.27.3 decodes 10% faster in the synthetic data: significant,
	// an improvement in sec/op, not a regression.
	c := find("goexperiment: default", "Json/op=decode-2", "sec/op")
	if !c.Significant || c.Regression || !c.Improvement() || c.Delta > -0.05 || c.Better != -1 {
		t.Errorf("decode: %+v", c)
	}
	if c.BaseLabel != "toolchain=go1.26.8" || c.CandLabel != "toolchain=go1.27.3" {
		t.Errorf("labels %q vs %q", c.BaseLabel, c.CandLabel)
	}
	// encode did not change between toolchains: not significant.
	c = find("goexperiment: default", "Json/op=encode-2", "sec/op")
	if c.Significant || c.Regression {
		t.Errorf("encode: %+v", c)
	}
	// ops/s is higher-is-better from its Unit line.
	c = find("goexperiment: default", "Json/op=decode-2", "ops/s")
	if c.Better != 1 {
		t.Errorf("ops/s better = %d", c.Better)
	}
}

func TestPair(t *testing.T) {
	a, b := load(t, []string{"run-a.txt"}), load(t, []string{"run-b.txt"})
	cmps, err := Pair(a, b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var sign *Comparison
	for i, c := range cmps {
		if c.Row == "ECDSAP256Sign-2" {
			t.Errorf("a benchmark missing from the candidate was compared: %+v", c)
		}
		if c.Row == "RSA2048Sign-2" && c.Unit == "sec/op" {
			sign = &cmps[i]
		}
		if c.BaseLabel != "20260101-000000-a" || c.CandLabel != "20260102-000000-b" {
			t.Errorf("labels %q %q", c.BaseLabel, c.CandLabel)
		}
	}
	if sign == nil {
		t.Fatal("RSA2048Sign sec/op not compared")
	}
	if !sign.Regression || sign.Delta < 0.04 || sign.P >= 0.05 {
		t.Errorf("an 8%% slowdown over 8 runs each should be a significant regression: %+v", sign)
	}
	// The same comparison as benchstat a b: Pair ignores the run ids.
	rep, err := load(t, []string{"run-a.txt", "run-b.txt"}).Compare(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range rep.Comparisons() {
		if c.Row == "RSA2048Sign-2" && c.Unit == "sec/op" && (c.P != sign.P || c.Delta != sign.Delta) {
			t.Errorf("Pair and Compare(.file) differ: %+v vs %+v", c, sign)
		}
	}
	// Ed25519 has 3 runs: benchstat's sample-size warnings.
	for _, c := range cmps {
		if c.Row == "Ed25519Sign-2" && c.Unit == "sec/op" {
			if c.Significant || len(c.Warnings) == 0 || !strings.Contains(c.Warnings[0], "need >= 4 samples") {
				t.Errorf("Ed25519: %+v", c)
			}
			if len(c.Base.Warnings) == 0 || !strings.Contains(c.Base.Warnings[0], "need >= 6 samples") {
				t.Errorf("Ed25519 base: %+v", c.Base)
			}
		}
	}
}

func TestLoadErrors(t *testing.T) {
	for _, tc := range []struct {
		name, data, want string
	}{
		{"syntax", "BenchmarkA 10 5 ns/op\nBenchmarkB 10 x ns/op\n", "f.txt:2: parsing measurement"},
		{"missing units", "BenchmarkA 10 5\n", "f.txt:1: missing units"},
		{"truncated", "BenchmarkA 10 5 ns/op\nBenchmarkA 10 5 ns/op 7 p9", "f.txt:2: last line has no newline: the file is truncated"},
		{"nul", "BenchmarkA 10 5 ns/op\n\x00\x00\x00\n", "f.txt:2: NUL byte"},
		{"binary", "BenchmarkA 10 5 ns/op\n\xff\xfe\n", "f.txt:2: invalid UTF-8"},
		{"nan", "BenchmarkA 10 NaN ns/op\n", "f.txt:1: non-finite value"},
		{"unit conflict", "Unit ns/op better=higher\nUnit ns/op better=lower\nBenchmarkA 1 1 ns/op\n", "f.txt:2:"},
		{"all reported", "BenchmarkA 1\nBenchmarkB 1\n", "f.txt:1: missing measurements\nf.txt:2: missing measurements"},
	} {
		_, err := Parse("f.txt", []byte(tc.data))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
	// Go test chatter and -v name lines are not errors.
	s, err := Parse("f.txt", []byte("=== RUN x\nBenchmarkA\nBenchmarkA 10 5 ns/op\nPASS\nok  \tpkg\t1.0s\n"))
	if err != nil || s.Len() != 1 {
		t.Errorf("chatter: %v, %d results", err, s.Len())
	}
	if _, err := LoadFiles(filepath.Join(t.TempDir(), "missing.txt")); err == nil {
		t.Error("missing file: no error")
	}
	if _, err := LoadResults(t.TempDir()); err == nil || !strings.Contains(err.Error(), "not a results folder") {
		t.Errorf("LoadResults of an empty folder: %v", err)
	}
}

func TestOptionsErrors(t *testing.T) {
	s := load(t, []string{"run-a.txt"})
	for _, o := range []Options{
		{Col: "("}, {Filter: "foo:("}, {Alpha: 2}, {Confidence: 1}, {Row: ".unit"},
	} {
		if _, err := s.Compare(o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}

func TestMarkdownEscape(t *testing.T) {
	got := MarkdownEscape("a|b </script><img src=x onerror=alert(1)> *x* `y`\nz")
	want := `a\|b &lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; \*x\* \` + "`y\\`" + ` z`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"gcflags.txt", "run-a.txt"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("Unit x better=higher\nBenchmarkA 1 2 x\n"))
	f.Add([]byte("k: v\nBenchmarkA/a=1-2 1 2 ns/op 3 B/op\nk:\nBenchmarkA/a=1-2 1 2 ns/op\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.txt", data)
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.txt") {
				t.Fatalf("error without position: %v", err)
			}
			return
		}
		// Never a silently shorter series: every result line is a result.
		n := 0
		for _, l := range strings.Split(string(data), "\n") {
			if f := strings.Fields(l); strings.HasPrefix(l, "Benchmark") && len(f) > 1 {
				n++
			}
		}
		if s.Len() != n {
			t.Fatalf("%d result lines, %d results", n, s.Len())
		}
		rep, err := s.Compare(Options{})
		if err != nil {
			return
		}
		var b bytes.Buffer
		rep.WriteText(&b)
		rep.WriteMarkdown(&b)
		rep.WriteCSV(&b)
	})
}

// tables.csv is read by pandas and csvkit: numbers only in the numeric
// columns (no infinities, one-sided or not), rounded past the float noise.
func TestCSVNumbers(t *testing.T) {
	inf := math.Inf(1)
	rep := &Report{Tables: []*Table{{Unit: "sec/op", Cols: []string{"a", "b"}, Rows: []*Row{{Name: "X", Cells: []*Cell{
		{Summary: Summary{Center: 1.0092000000000001e-05, Lo: -inf, Hi: 0.00101, N: 3}},
		{Summary: Summary{Center: 0.1 + 0.2, Lo: 0.29, Hi: 0.31, N: 6}, Cmp: &Comparison{Delta: inf, P: 0.002, Significant: true}},
	}}}}}}
	var b bytes.Buffer
	if err := rep.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		row, col int
		want     string
		why      string
	}{
		{1, 4, "1.0092e-05", "the center without the conversion's float noise"},
		{1, 5, "", "lo -Inf: the interval is unbounded, so no bound is written"},
		{1, 6, "", "hi finite but lo not: not a one-sided interval"},
		{2, 4, "0.3", "0.1+0.2 rounded"},
		{2, 5, "0.29", "a bounded interval is kept"},
		{2, 9, "", "an infinite delta (a change from zero) is empty"},
		{2, 10, "0.002", "p"},
	} {
		if got := recs[tc.row][tc.col]; got != tc.want {
			t.Errorf("row %d %s = %q, want %q: %s", tc.row, CSVHeader[tc.col], got, tc.want, tc.why)
		}
	}
}
