package results

import (
	"strings"
	"testing"
)

func TestParseResultLine(t *testing.T) {
	for _, tc := range []struct {
		line string
		ok   bool
		why  string
	}{
		{"BenchmarkX-8 100 12.5 ns/op 3 allocs/op", true, "name, iterations, value-unit pairs"},
		{"BenchmarkX-8\t100\t12.5 ns/op", true, "tabs separate fields too"},
		{"BenchmarkX 100", false, "no value"},
		{"BenchmarkX 100 12.5", false, "a value without a unit"},
		{"BenchmarkX many 12.5 ns/op", false, "iterations not a number"},
		{"BenchmarkX -1 12.5 ns/op", false, "negative iterations"},
		{"BenchmarkX 1 NaN ns/op", false, "NaN is no measurement"},
		{"BenchmarkX 1 1e301 ns/op", false, "out of range"},
		{"BenchmarkX 1 +Inf ns/op", false, "infinite"},
		{"goos: linux", false, "configuration, not a result"},
	} {
		r, ok := ParseResultLine(tc.line)
		if ok != tc.ok {
			t.Errorf("%s: ParseResultLine(%q) ok = %v", tc.why, tc.line, ok)
		}
		if ok && (r.Name != "BenchmarkX-8" || r.Iters != 100 || r.Metrics[0] != (Metric{12.5, "ns/op"})) {
			t.Errorf("%s: parsed %+v", tc.why, r)
		}
	}
	r, _ := ParseResultLine("BenchmarkY 7 1.5 ns/op 2e+06 B/op")
	if got := r.String(); got != "BenchmarkY\t7\t1.5 ns/op\t2e+06 B/op" {
		t.Errorf("String = %q", got)
	}
}

func TestBenchWriter(t *testing.T) {
	lines := ParseBench([]byte("goos: fake\nUnit p99-ns better=lower\nBenchmarkA 1 5 ns/op\nPASS\nBenchmarkBad 1 x ns/op\r\nUnit p99-ns better=lower\n"))
	if len(lines) != 3 || lines[0].Result != nil || lines[1].Result == nil || lines[2].Text != "Unit p99-ns better=lower" {
		t.Fatalf("ParseBench kept %+v; want the unit line, the valid result line and the repeated unit line", lines)
	}
	w := NewBenchWriter([]KV{{Key: "goos", Value: "linux"}, {Key: "cpu", Value: "A  B\nC"}})
	if !w.Block([]KV{{Key: "toolchain", Value: "go1"}, {Key: "rate", Value: "1/s"}}, lines) {
		t.Error("first block not written")
	}
	if w.Block([]KV{{Key: "toolchain", Value: "go2"}}, nil) {
		t.Error("an empty block was written")
	}
	w.Block([]KV{{Key: "toolchain", Value: "go2"}}, lines, "BenchmarkBuild 1 2 build-ns")
	want := `goos: linux
cpu: A B C

toolchain: go1
rate: 1/s
Unit p99-ns better=lower
BenchmarkA 1 5 ns/op

rate:
toolchain: go2
BenchmarkA 1 5 ns/op
BenchmarkBuild 1 2 build-ns
`
	if got := string(w.Bytes()); got != want {
		t.Errorf("bench.txt:\n%s\nwant:\n%s", got, want)
	}
}

// FuzzParseBench: no input makes the bench-line reader panic, and every
// result line it keeps is one benchfmt accepts and re-parses the same.
func FuzzParseBench(f *testing.F) {
	f.Add([]byte("Unit p99-ns better=lower\nBenchmarkA-2 100 12.5 ns/op 3 p99-ns\n"))
	f.Add([]byte("BenchmarkX 1 NaN ns/op\nBenchmark\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, l := range ParseBench(data) {
			if strings.Contains(l.Text, "\n") {
				t.Fatalf("line with a newline: %q", l.Text)
			}
			if l.Result == nil {
				continue
			}
			again, ok := ParseResultLine(l.Result.String())
			if !ok || again.Name != l.Result.Name || len(again.Metrics) != len(l.Result.Metrics) {
				t.Fatalf("%q re-parses as %+v, %v", l.Text, again, ok)
			}
		}
	})
}
