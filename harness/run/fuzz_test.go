package run

import (
	"strings"
	"testing"

	"github.com/perfharness/harness/harness/results"
)

// FuzzBenchParser: whatever a test binary prints, the parser never panics
// and keeps only well-formed result lines of listed benchmarks.
func FuzzBenchParser(f *testing.F) {
	f.Add("\x16=== RUN   BenchmarkX\nBenchmarkX\nBenchmarkX-2   \t    1000\t     17.32 ns/op\n\x16=== NAME  \n")
	f.Add("\x16=== RUN   BenchmarkX\npartial BenchmarkX-2 \tjunk\n 10\t 5 ns/op\n\x16--- BENCH: BenchmarkX\n")
	f.Add("\x16=== RUN   BenchmarkY/sub\nBenchmarkY/sub-2\t1\t5 ns/op\x16=== NAME  \n")
	f.Fuzz(func(t *testing.T, stream string) {
		p := newBenchParser(map[string]bool{"BenchmarkX": true})
		feed(p, stream)
		for _, l := range p.results {
			r, ok := results.ParseResultLine(l)
			if !ok {
				t.Fatalf("kept a malformed result line %q", l)
			}
			if top, _, _ := strings.Cut(benchBase(r.Name), "/"); top != "BenchmarkX" {
				t.Fatalf("kept a result of an unlisted benchmark: %q", l)
			}
		}
		p.warnings()
	})
}

// FuzzCrashScanner: any stream gives a summary without control characters
// and never panics.
func FuzzCrashScanner(f *testing.F) {
	f.Add("panic: boom\n\ngoroutine 1 [running]:\nmain.main()\n")
	f.Add("runtime: out of memory: cannot allocate\nfatal error: out of memory\nrax    0x0\n")
	f.Add("SIGABRT: abort\nPC=0x1 m=0\nrip 0x2\n")
	f.Fuzz(func(t *testing.T, stream string) {
		var s crashScanner
		for _, l := range strings.Split(stream, "\n") {
			if len(l) > maxReportLine {
				l = l[:maxReportLine]
			}
			s.line([]byte(l))
		}
		if out := s.summary(); strings.ContainsAny(out, "\x00\x1b\r") {
			t.Fatalf("summary %q has control characters", out)
		}
	})
}
