package gate

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/perfharness/harness/harness/compare"
	"github.com/perfharness/harness/harness/internal/peer"
	"github.com/perfharness/harness/harness/results"
)

// sampleReport is a report with one of each kind of row, a problem-free
// regression outcome, a confirmation and a warning.
func sampleReport() *Report {
	const row = "Json/op=decode-2"
	base := manifest("20261101-020000-nightly", t0, contendedCell(0.03, 0.05))
	cand := manifest("20261102-020000-nightly", t0.Add(24*time.Hour), contendedCell(0.04, 0.07))
	base.Host.LoadAvg, cand.Host.LoadAvg = []float64{0.31, 0.2, 0.1}, []float64{0.52, 0.4, 0.3}
	cand.Toolchains = append(cand.Toolchains, results.Toolchain{Name: "local", Version: "go1.26.8"})
	cmps := []compare.Comparison{
		cmpOf(cfgJSON, row, "p99-sec", -1, 0.000120, 0.000131, 10, 0.0002),
		cmpOf(cfgJSON, row, "p50-sec", -1, 0.000071, 0.0000712, 10, 0.6),
		cmpOf(cfgJSON, row, "ops/s", +1, 1000, 1000.2, 10, 0.8),
		cmpOf(cfgJSON, row, "max-sec", -1, 0.004, 0.002, 10, 0.001),
		cmpOf(cfgJSON, row, "B/op", -1, 2048, 1900, 10, 0.001),
		cmpOf(cfgJSON, row, "peak-rss-B", -1, 8<<20, 8.1*(1<<20), 10, 0.04),
		cmpOf(cfgJSON, "Weird|name<b>", "widgets", 0, 5, 7, 10, 0.001),
	}
	rep := Decide(Input{Baseline: base, Candidate: cand, BaselinePath: "results/a", CandidatePath: "results/b",
		Comparisons: cmps, Policy: Policy{Alpha: 0.05, Threshold: 0.05}})
	rep.Confirm = &Confirmation{Runs: 10, Cells: []string{"json/decode/go1.27.3"}, Baseline: true, Alone: true, Decided: 3, Confirmed: 1, Cleared: 1, New: 1}
	rep.Confirm.Before = rep.Rows[:2]
	return rep
}

// checkTables checks every Markdown table: a header, a separator with as
// many columns, and rows with as many cells (unescaped pipes).
func checkTables(t *testing.T, md string) int {
	t.Helper()
	cells := func(l string) int {
		n := 0
		for i := 0; i < len(l); i++ {
			switch l[i] {
			case '\\':
				i++
			case '|':
				n++
			}
		}
		return n - 1
	}
	lines := strings.Split(md, "\n")
	tables := 0
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "|") {
			continue
		}
		tables++
		head := cells(lines[i])
		if i+1 >= len(lines) || !strings.HasPrefix(lines[i+1], "|---") || cells(lines[i+1]) != head {
			t.Fatalf("line %d: table header without a matching separator:\n%s\n%s", i+1, lines[i], lines[i+1])
		}
		for i += 2; i < len(lines) && strings.HasPrefix(lines[i], "|"); i++ {
			if cells(lines[i]) != head {
				t.Fatalf("line %d: %d cells, header has %d:\n%s", i+1, cells(lines[i]), head, lines[i])
			}
		}
	}
	return tables
}

func TestMarkdown(t *testing.T) {
	rep := sampleReport()
	if rep.Outcome != Regressed {
		t.Fatalf("outcome %s, problems %q", rep.Outcome, rep.Problems)
	}
	var b bytes.Buffer
	if err := WriteMarkdown(&b, rep, 0); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	if n := checkTables(t, md); n != 5 {
		t.Errorf("%d tables, want 5 (runs, regressions, improvements, other changes, all rows)", n)
	}
	regs := strings.Index(md, "### Regressions (1)")
	imps := strings.Index(md, "### Improvements (1)")
	others := strings.Index(md, "### Other changes (2)")
	details := strings.Index(md, "<details><summary>All 7 comparisons</summary>")
	if regs < 0 || imps < regs || others < imps || details < others || !strings.HasSuffix(md, "</details>\n") {
		t.Errorf("want regressions first, improvements apart, other changes, then the collapsed full table")
	}
	first := md[regs:]
	first = first[strings.Index(first, "| Json"):]
	if !strings.HasPrefix(first, "| Json/op=decode-2 |") || !strings.Contains(first[:200], "p99-sec") {
		t.Errorf("the first regression should be the gated p99 one:\n%s", first[:200])
	}
	if !strings.Contains(md[imps:others], "B/op") || !strings.Contains(md[others:details], "max-sec") {
		t.Errorf("the gated B/op improvement belongs under Improvements, the ungated max-sec one under Other changes")
	}
	if strings.Contains(md, "<b>") || !strings.Contains(md, `Weird\|name&lt;b&gt;`) {
		t.Errorf("cell text not escaped")
	}
	golden(t, "report.md", md)
}

func TestMarkdownTruncates(t *testing.T) {
	rep := sampleReport()
	var rows []Row
	for i := range 5000 {
		r := rep.Rows[0]
		r.Benchmark = fmt.Sprintf("Bench%04d/op=x-2", i)
		rows = append(rows, r)
	}
	rep.Rows = rows
	const limit = 64 << 10
	var b bytes.Buffer
	if err := WriteMarkdown(&b, rep, limit); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	if b.Len() > limit {
		t.Errorf("%d bytes, over the %d limit", b.Len(), limit)
	}
	if !strings.Contains(md, "more not shown (size limit)") || !strings.Contains(md, "truncated:") || !strings.HasSuffix(md, "</details>\n") {
		t.Errorf("truncation notes or closing tag missing:\n...%s", md[max(0, len(md)-400):])
	}
	checkTables(t, md)
	b.Reset()
	if err := WriteMarkdown(&b, rep, 0); err != nil {
		t.Fatal(err)
	}
	if b.Len() > MaxMarkdown || b.Len() < MaxMarkdown/2 {
		t.Errorf("default limit: %d bytes, want close to but under %d", b.Len(), MaxMarkdown)
	}
}

// The JUnit shape CI systems read: attributes as decoded here, counts
// consistent with the cases. The schemas themselves are checked by xmllint
// in TestJUnitSchemas.
type xSuites struct {
	XMLName xml.Name   `xml:"testsuites"`
	Attrs   []xml.Attr `xml:",any,attr"`
	Suites  []struct {
		Name       *string `xml:"name,attr"`
		Tests      *int    `xml:"tests,attr"`
		Failures   *int    `xml:"failures,attr"`
		Errors     *int    `xml:"errors,attr"`
		Skipped    *int    `xml:"skipped,attr"`
		Time       *string `xml:"time,attr"`
		Timestamp  string  `xml:"timestamp,attr"`
		Properties []struct {
			Name  *string `xml:"name,attr"`
			Value *string `xml:"value,attr"`
		} `xml:"properties>property"`
		Cases []struct {
			Name      *string `xml:"name,attr"`
			Classname *string `xml:"classname,attr"`
			Time      *string `xml:"time,attr"`
			Failure   []struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Body    string `xml:",chardata"`
			} `xml:"failure"`
			Error []struct {
				Message string `xml:"message,attr"`
			} `xml:"error"`
			Skipped []struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
		} `xml:"testcase"`
		SystemOut *string `xml:"system-out"`
	} `xml:"testsuite"`
}

func TestJUnit(t *testing.T) {
	rep := sampleReport()
	rep.Problems = append(rep.Problems, `candidate cell x: crashed: exit status 2 & "<boom>"`)
	rep.Warnings = append(rep.Warnings, "baseline ran with go1.26.8 <local>")
	rep.settle()
	var b bytes.Buffer
	if err := WriteJUnit(&b, rep); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), `<?xml version="1.0" encoding="UTF-8"?>`) {
		t.Errorf("no XML declaration")
	}
	var doc xSuites
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("not well-formed XML: %v\n%s", err, b.String())
	}
	if len(doc.Suites) != 1 || len(doc.Attrs) != 0 {
		t.Fatalf("want a bare <testsuites> (Ant allows no attributes) with one <testsuite>")
	}
	s := doc.Suites[0]
	if s.Name == nil || s.Tests == nil || s.Failures == nil || s.Errors == nil || s.Skipped == nil || s.Time == nil || s.SystemOut == nil {
		t.Fatalf("testsuite lacks a required attribute or its system-out")
	}
	if *s.SystemOut != "warning: baseline ran with go1.26.8 <local>\n" {
		t.Errorf("system-out should hold the warnings: %q", *s.SystemOut)
	}
	failures, errs, skipped := 0, 0, 0
	for _, c := range s.Cases {
		if c.Name == nil || c.Classname == nil || c.Time == nil || *c.Name == "" {
			t.Fatalf("testcase lacks name, classname or time")
		}
		if len(c.Failure)+len(c.Error)+len(c.Skipped) > 1 {
			t.Errorf("testcase %s has more than one outcome", *c.Name)
		}
		failures += len(c.Failure)
		errs += len(c.Error)
		skipped += len(c.Skipped)
		for _, f := range c.Failure {
			if f.Type != "regression" || !strings.Contains(f.Body, "benchmark: Json/op=decode-2") || !strings.Contains(f.Body, "delta: +9.17%") {
				t.Errorf("failure body is not the comparison row: %+v", f)
			}
		}
	}
	if len(s.Cases) != *s.Tests || failures != *s.Failures || errs != *s.Errors || skipped != *s.Skipped {
		t.Errorf("counts: %d cases/%d tests, %d/%d failures, %d/%d errors, %d/%d skipped",
			len(s.Cases), *s.Tests, failures, *s.Failures, errs, *s.Errors, skipped, *s.Skipped)
	}
	if failures != 1 || errs != 1 || *s.Tests != len(rep.Rows)+1 {
		t.Errorf("want the p99 regression as the one failure and the problem as the one error; got %d, %d", failures, errs)
	}
	props := map[string]string{}
	for _, p := range s.Properties {
		if p.Name == nil || p.Value == nil {
			t.Fatalf("property without name or value")
		}
		props[*p.Name] = *p.Value
	}
	for k, v := range map[string]string{"candidate.host": "AMD EPYC, ci-1", "candidate.host-id": "h1",
		"candidate.toolchain.local": "go1.26.8", "baseline.toolchain.go1.27.3": "go1.27.3", "outcome": "invalid"} {
		if props[k] != v {
			t.Errorf("property %s = %q, want %q", k, props[k], v)
		}
	}
	golden(t, "report.junit.xml", b.String())
}

// TestJUnitSchemas validates the gate's JUnit output of each outcome with
// xmllint against the Jenkins xunit-plugin schema, which it must always
// meet, and against the strict Ant schema, which it meets except for the
// skipped (not gated) test cases Ant cannot express.
func TestJUnitSchemas(t *testing.T) {
	const row = "Json/op=decode-2"
	cand := manifest("20261102-020000-nightly", t0.Add(24*time.Hour), jsonCell())
	pass := Decide(Input{Baseline: manifest("20261101-020000-nightly", t0, jsonCell()), Candidate: cand,
		Comparisons: []compare.Comparison{
			cmpOf(cfgJSON, row, "p99-sec", -1, 0.000120, 0.000121, 10, 0.4),
			cmpOf(cfgJSON, row, "ops/s", +1, 1000, 1000.2, 10, 0.8),
			cmpOf(cfgJSON, "Weird|name<b> ]]> \x01", "B/op", -1, 2048, 1900, 10, 0.001),
		}, Policy: Policy{Alpha: 0.05, Threshold: 0.05}})
	regression := sampleReport()
	invalid := sampleReport()
	invalid.Problems = append(invalid.Problems, "candidate cell x: crashed: exit status 2 & \"<boom>\" ]]> \x00\x1b[31m")
	invalid.Warnings = append(invalid.Warnings, "hosts differ <b>")
	invalid.settle()
	for _, tc := range []struct {
		why      string
		rep      *Report
		outcome  Outcome
		antValid bool
	}{
		{"pass, every metric gated: valid against both", pass, Pass, true},
		{"regression, with not-gated metrics skipped", regression, Regressed, false},
		{"invalid, with a problem holding markup, ]]> and control bytes", invalid, Invalid, false},
	} {
		t.Run(string(tc.outcome), func(t *testing.T) {
			if tc.rep.Outcome != tc.outcome {
				t.Fatalf("outcome %s, want %s (%s)", tc.rep.Outcome, tc.outcome, tc.why)
			}
			var b bytes.Buffer
			if err := WriteJUnit(&b, tc.rep); err != nil {
				t.Fatal(err)
			}
			if ok, out := peer.XMLLint(t, peer.JUnit10, b.Bytes()); !ok {
				t.Errorf("%s: not valid against %s:\n%s\n%s", tc.why, peer.JUnit10, out, b.String())
			}
			ok, out := peer.XMLLint(t, peer.JUnitAnt, b.Bytes())
			if ok != tc.antValid {
				t.Errorf("%s: Ant schema valid = %v, want %v:\n%s", tc.why, ok, tc.antValid, out)
			}
			if ok {
				return
			}
			// What Ant refuses is the skipped test cases, and only those.
			for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
				if strings.HasSuffix(l, " fails to validate") {
					continue
				}
				if !strings.Contains(l, "skipped") {
					t.Errorf("%s: the Ant schema refuses more than the skipped cases: %s", tc.why, l)
				}
			}
		})
	}
}

func TestReportJSON(t *testing.T) {
	rep := sampleReport()
	rep.Rows = append(rep.Rows, Row{Benchmark: "E", Unit: "errors", Delta: Float(posInf()), Verdict: Regression})
	data, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if back["outcome"] != "regression" || back["exit_code"].(float64) != 1 {
		t.Errorf("outcome/exit: %v %v", back["outcome"], back["exit_code"])
	}
	if !strings.Contains(string(data), `"delta":"+Inf"`) {
		t.Errorf("an infinite delta should encode as \"+Inf\"")
	}
}

func posInf() float64 { var z float64; return 1 / z }
