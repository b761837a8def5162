package gate

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/perfharness/harness/harness/results"
)

// JUnit XML in the shape CI systems read (Jenkins, GitLab, GitHub test
// reporters): <testsuites> holding one <testsuite> with <properties> and a
// <testcase> per benchmark × configuration × metric. A regression that
// fails the gate is a <failure> whose body is the comparison row; a
// problem that makes the comparison invalid is a test case with an
// <error>; a metric with too few samples is an <error> too; a metric
// shown but not gated is <skipped>. The suite's system-out holds the
// report's warnings.
//
// Note: the file is checked against two schemas (testdata/*.xsd). It is
// valid against the Jenkins xunit-plugin's junit-10.xsd, the one Jenkins,
// GitLab and most importers follow. The stricter Apache Ant JUnitReport
// schema (windyroad's JUnit.xsd) also wants: no attributes on
// <testsuites>; package and id on each <testsuite>; timestamp (without a
// zone) and hostname on it; its properties, test cases, system-out and
// system-err in that order, all present; a type on every failure and
// error; at most one outcome per test case. Those cost the other readers
// nothing and are met (the totals live on the one <testsuite>, where
// every importer reads them). What Ant has no notion of is a skipped test:
// neither a skipped attribute nor a <skipped> element. The harness keeps
// them, because they are how a not-gated change shows in Jenkins and
// GitLab, so the file is Ant-valid exactly when every metric is gated.

type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Package    string          `xml:"package,attr"`
	ID         int             `xml:"id,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr,omitempty"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Hostname   string          `xml:"hostname,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
	SystemOut  junitText       `xml:"system-out"`
	SystemErr  junitText       `xml:"system-err"`
}

type junitText struct {
	Text string `xml:",cdata"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitProblem `xml:"skipped,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Body    string `xml:",cdata"`
}

// xmlSafe drops the characters XML 1.0 cannot hold (a workload's stderr
// may carry any byte), which CDATA sections do not escape.
func xmlSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r',
			r >= 0x20 && r <= 0xD7FF, r >= 0xE000 && r <= 0xFFFD, r >= 0x10000 && r <= 0x10FFFF:
			return r
		}
		return '\uFFFD'
	}, s)
}

// WriteJUnit renders the report as JUnit XML.
func WriteJUnit(w io.Writer, r *Report) error {
	s := junitSuite{
		Name:    fmt.Sprintf("harness gate %s vs %s", r.Candidate.RunID, r.Baseline.RunID),
		Package: "harness.gate", Time: "0", Hostname: r.Candidate.Host,
	}
	if !r.Candidate.Started.IsZero() {
		s.Timestamp = r.Candidate.Started.UTC().Format("2006-01-02T15:04:05")
	}
	prop := func(name, value string) { s.Properties = append(s.Properties, junitProperty{name, value}) }
	prop("outcome", string(r.Outcome))
	prop("alpha", fmt.Sprint(r.Alpha))
	if r.FDR > 0 {
		prop("fdr", Percent(r.FDR))
	} else {
		prop("fdr", "off")
	}
	prop("threshold", Percent(r.Threshold))
	if r.Thresholds != "" {
		prop("thresholds", r.Thresholds)
	}
	for _, side := range []struct {
		name string
		ri   RunInfo
	}{{"candidate", r.Candidate}, {"baseline", r.Baseline}} {
		prop(side.name+".run", side.ri.RunID)
		prop(side.name+".spec", side.ri.Spec)
		prop(side.name+".host", side.ri.Host)
		prop(side.name+".host-id", side.ri.HostID)
		for _, tc := range side.ri.Toolchains {
			name, version, _ := strings.Cut(tc, "=")
			prop(side.name+".toolchain."+name, version)
		}
	}
	for _, p := range r.Problems {
		s.Cases = append(s.Cases, junitCase{Name: results.FirstLine(p), Classname: "harness.gate.validity", Time: "0",
			Error: &junitProblem{Message: results.FirstLine(p), Type: "invalid", Body: xmlSafe(p)}})
		s.Errors++
	}
	for _, row := range r.Rows {
		c := junitCase{Name: row.Benchmark + " " + row.Unit, Classname: classname(row), Time: "0"}
		text := xmlSafe(rowText(row))
		switch {
		case row.Fails():
			c.Failure = &junitProblem{Message: fmt.Sprintf("%s regressed %s, CI %s (p=%s, q=%s, threshold %s)", row.Unit,
				SignedPercent(float64(row.Delta)), formatCI(row), formatP(float64(row.P)), formatP(float64(row.Q)), Percent(row.Threshold)), Type: "regression", Body: text}
			s.Failures++
		case row.Gated && row.Verdict == TooFewSamples:
			c.Error = &junitProblem{Message: "too few samples to test", Type: "too-few-samples", Body: text}
			s.Errors++
		case row.Verdict == Imprecise || row.Verdict == NotCompared || row.Verdict == Contended:
			c.Skipped = &junitProblem{Message: verdictLabel[row.Verdict] + ": " + results.FirstLine(row.Why), Body: text}
			s.Skipped++
		case !row.Gated:
			c.Skipped = &junitProblem{Message: "not gated: " + rowVerdict(row), Type: "not-gated", Body: text}
			s.Skipped++
		}
		s.Cases = append(s.Cases, c)
	}
	s.Tests = len(s.Cases)
	for _, w := range r.Warnings {
		s.SystemOut.Text += xmlSafe("warning: "+w) + "\n"
	}
	doc := junitSuites{Suites: []junitSuite{s}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// classname groups test cases the way test reporters show them: the
// configuration, dotted.
func classname(r Row) string {
	if r.Config == "" {
		return "harness"
	}
	var parts []string
	for _, kv := range strings.Split(r.Config, ", ") {
		_, v, ok := strings.Cut(kv, ": ")
		if !ok {
			v = kv
		}
		parts = append(parts, strings.ReplaceAll(v, ".", "_"))
	}
	return strings.Join(parts, ".")
}

// rowText is a comparison row as plain text, the body of a failure.
func rowText(r Row) string {
	return fmt.Sprintf("benchmark: %s\nconfig: %s\nmetric: %s\nbaseline: %s\ncandidate: %s\ndelta: %s\nci: %s\np: %s\nq: %s\nthreshold: %s (%s)\nverdict: %s\nwhy: %s\n",
		r.Benchmark, r.Config, r.Unit, formatStat(r.Base, r.Unit), formatStat(r.Cand, r.Unit),
		SignedPercent(float64(r.Delta)), formatCI(r), formatP(float64(r.P)), formatP(float64(r.Q)), Percent(r.Threshold), r.From, r.Verdict, r.Why)
}
