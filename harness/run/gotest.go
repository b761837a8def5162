package run

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/perfharness/harness/harness/results"
)

// Note: a go test binary prints its benchmark results on stdout, and so
// does the benchmark's own code: a debug print can split a result line in
// two (the real figure is then lost) or look like a result itself. Results
// are therefore taken only from the testing package's own framing. The
// binary lists its benchmarks (-test.list), and runs with
// -test.v=test2json, which makes the testing package mark its framing lines
// with a ^V byte, as go test -json relies on. Each benchmark is opened by
// "^V=== RUN   <name>" and each of its results is followed at once by a
// framing line ("^V=== NAME", "^V--- BENCH:", "^V--- FAIL:"): the result of
// <name> is the line "<name>[-procs]<spaces>\t<figures>" just before it.
// Anything else — a line naming another benchmark, a result line for a
// name the binary does not list, a result line the benchmark printed
// itself earlier — is not a result, and the run's warnings say so.

// listTimeout bounds -test.list: it only prints names.
const listTimeout = time.Minute

// minFramedGo is the first Go release whose testing package frames its
// output for test2json (-test.v=test2json).
const minFramedGo = 20

// framedGoVersion reports whether a binary built by Go version v (as
// "go1.26.8") frames its test output; an unknown version is assumed to.
func framedGoVersion(v string) bool {
	m := regexp.MustCompile(`^go1\.(\d+)`).FindStringSubmatch(v)
	if m == nil {
		return true
	}
	minor, _ := strconv.Atoi(m[1])
	return minor >= minFramedGo
}

// goTestArgs are the test binary's flags for one run of the benchmarks
// matching bench into dir, with the profiles asked for (-test.count=1: the
// harness repeats runs itself, interleaved with other cells).
func goTestArgs(bench, benchtime, dir string, profiles []string) []string {
	args := []string{"-test.run=^$", "-test.bench=" + bench, "-test.count=1", "-test.benchtime=" + benchtime,
		"-test.benchmem", "-test.v=test2json", "-test.outputdir=" + dir}
	for _, p := range profiles {
		switch p {
		case "cpu":
			args = append(args, "-test.cpuprofile=cpu.pprof")
		case "heap", "allocs":
			if !slices.Contains(args, "-test.memprofile="+allocsProfile) {
				args = append(args, "-test.memprofile="+allocsProfile)
			}
		case "mutex":
			args = append(args, "-test.mutexprofile=mutex.pprof")
		case "block":
			args = append(args, "-test.blockprofile=block.pprof")
		case "trace":
			args = append(args, "-test.trace=trace.out")
		}
	}
	return args
}

// runBenchmarks lists the benchmarks of the test binary base runs, then
// runs it with args, its output going to stdout.log and stderr.log in dir,
// and reads its framed results as stdout streams (never from the log file,
// which is capped). The error is the listing's.
func runBenchmarks(ctx context.Context, base Proc, args []string, dir string) (Exit, Proc, *benchParser, error) {
	listed, err := listBenchmarks(ctx, base)
	if err != nil {
		return Exit{}, base, nil, err
	}
	parser := newBenchParser(listed)
	p := base
	p.Args, p.StdoutLines = args, parser.line
	p.Stdout, p.Stderr = filepath.Join(dir, "stdout.log"), filepath.Join(dir, "stderr.log")
	return Run(ctx, p), p, parser, nil
}

// listBenchmarks runs a test binary with -test.list and returns the
// benchmarks it lists.
func listBenchmarks(ctx context.Context, p Proc) (map[string]bool, error) {
	tmp, err := os.MkdirTemp("", "harness-test-list-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	names := map[string]bool{}
	p.Args = []string{"-test.list=^Benchmark"}
	p.Stdout, p.Stderr = filepath.Join(tmp, "stdout"), filepath.Join(tmp, "stderr")
	p.Timeout = listTimeout
	p.StdoutLines = func(line []byte) {
		if len(names) < 100000 && isBenchmarkName(line) {
			names[string(line)] = true
		}
	}
	exit := Run(ctx, p)
	switch {
	case exit.Err != nil:
		return nil, exit.Err
	case exit.Stopped:
		return nil, ctx.Err()
	case exit.TimedOut:
		return nil, fmt.Errorf("%s -test.list did not answer within %s", filepath.Base(p.Path), listTimeout)
	case exit.Code != 0 || exit.Signal != "":
		return nil, fmt.Errorf("%s -test.list: %s%s", filepath.Base(p.Path), exitString(exit), withSummary(exit.Stderr.Summary()))
	}
	return names, nil
}

// isBenchmarkName reports whether b is a top-level benchmark name as the
// testing package lists it: Benchmark followed by nothing or a non-lowercase
// rune, no spaces.
func isBenchmarkName(b []byte) bool {
	rest, ok := bytes.CutPrefix(b, []byte("Benchmark"))
	if !ok || bytes.ContainsAny(b, " \t\x16") {
		return false
	}
	r, _ := utf8.DecodeRune(rest)
	return len(rest) == 0 || !unicode.IsLower(r)
}

// A benchParser reads a test binary's framed output (see the note above),
// line by line as it streams, and keeps the results the testing package
// framed for listed benchmarks.
type benchParser struct {
	listed  map[string]bool
	current string // the benchmark the last RUN line opened
	pending string // its result line, until the framing line after it
	split   string // its name and tab, when its figures were pushed to a later line
	mixed   bool   // the pending result was recovered from interleaved output
	seen    map[string]int
	results []string
	// findings for the run's warnings
	interleaved []string
	imitations  []string
	nImitations int
	unlisted    []string
	repeated    []string
}

func newBenchParser(listed map[string]bool) *benchParser {
	return &benchParser{listed: listed, seen: map[string]int{}}
}

// line reads one line of stdout. As test2json does, a ^V byte inside a
// line also begins a new one: the testing package writes it only at the
// start of its framing lines, after whatever partial line a benchmark left.
func (p *benchParser) line(b []byte) {
	for {
		i := bytes.IndexByte(b[min(1, len(b)):], 0x16)
		if i < 0 {
			p.one(b)
			return
		}
		p.one(b[:i+1])
		b = b[i+1:]
	}
}

func (p *benchParser) one(b []byte) {
	if len(b) > 0 && b[0] == 0x16 {
		p.frame(string(b[1:]))
		return
	}
	if p.current == "" {
		return
	}
	l := string(b)
	if res, at, ok := findResult(l, p.current); ok {
		if p.pending != "" {
			p.imitated(p.pending)
		}
		p.pending, p.mixed, p.split = res, at > 0, ""
		return
	}
	if name, ok := resultName(l, p.current); ok {
		// The name came, then something else before the figures.
		p.split = name
		return
	}
	if p.split != "" && parseFigures(l) {
		if p.pending != "" {
			p.imitated(p.pending)
		}
		p.pending, p.mixed, p.split = p.split+strings.TrimLeft(l, " "), true, ""
		return
	}
	if _, ok := results.ParseResultLine(l); ok {
		p.imitated(l)
	}
	if p.pending != "" {
		// Between the result and its framing line: another goroutine of
		// the benchmark still printing.
		p.mixed = true
	}
}

// imitated records a line that looks like a result but is not framed as one.
func (p *benchParser) imitated(l string) {
	p.nImitations++
	if len(p.imitations) < 3 {
		p.imitations = append(p.imitations, l)
	}
}

func (p *benchParser) frame(l string) {
	switch {
	case strings.HasPrefix(l, "=== RUN   "):
		p.pending, p.split = "", ""
		p.current = strings.TrimSpace(strings.TrimPrefix(l, "=== RUN   "))
	case strings.HasPrefix(l, "=== NAME"), strings.HasPrefix(l, "--- BENCH: "), strings.HasPrefix(l, "--- FAIL: "), strings.HasPrefix(l, "--- SKIP: "):
		// A failed or skipped benchmark prints no result: whatever is
		// pending is the benchmark's own.
		if p.pending != "" && !strings.HasPrefix(l, "--- FAIL: ") && !strings.HasPrefix(l, "--- SKIP: ") {
			p.accept()
		} else if p.pending != "" {
			p.imitated(p.pending)
		}
		p.pending, p.split = "", ""
	}
}

// accept keeps the pending result of the current benchmark.
func (p *benchParser) accept() {
	top, _, _ := strings.Cut(p.current, "/")
	if !p.listed[top] {
		if len(p.unlisted) < 3 {
			p.unlisted = append(p.unlisted, p.current)
		}
		return
	}
	if p.mixed && len(p.interleaved) < 3 {
		p.interleaved = append(p.interleaved, p.current)
	}
	p.seen[p.current]++
	if p.seen[p.current] > 1 {
		// With -test.count=1 each benchmark has one result: a second
		// framed one means its output imitates the framing. The later
		// one is the testing package's (it prints after the benchmark).
		p.repeated = append(p.repeated, p.current)
		for i := len(p.results) - 1; i >= 0; i-- {
			if name, _, _ := strings.Cut(p.results[i], "\t"); benchBase(name) == p.current {
				p.results = append(p.results[:i], p.results[i+1:]...)
				break
			}
		}
	}
	p.results = append(p.results, p.pending)
}

// benchBase strips the -procs suffix and padding from a result's name.
func benchBase(name string) string {
	name = strings.TrimRight(name, " ")
	if i := strings.LastIndexByte(name, '-'); i > 0 {
		if _, err := strconv.Atoi(name[i+1:]); err == nil {
			return name[:i]
		}
	}
	return name
}

// findResult finds, in line l, the result line of benchmark name — the
// name, an optional -procs suffix, spaces, a tab and well-formed figures
// to the end of the line — at its rightmost position, and returns it
// (name through figures) and where it started.
func findResult(l, name string) (string, int, bool) {
	for at := strings.LastIndex(l, name); at >= 0; at = strings.LastIndex(l[:at], name) {
		rest, ok := afterName(l[at:], name)
		if ok && parseFigures(rest) {
			return l[at:], at, true
		}
	}
	return "", 0, false
}

// resultName reports whether l ends with the name part of name's result
// line ("name-2   \t") followed by something that is not figures: the
// testing package wrote the name, and the benchmark's own output came
// before the figures.
func resultName(l, name string) (string, bool) {
	for at := strings.LastIndex(l, name); at >= 0; at = strings.LastIndex(l[:at], name) {
		if _, ok := afterName(l[at:], name); ok {
			i := strings.IndexByte(l[at:], '\t')
			return l[at : at+i+1], true
		}
	}
	return "", false
}

// afterName checks that s is name, an optional -procs suffix, spaces and a
// tab, and returns what follows the tab.
func afterName(s, name string) (string, bool) {
	s = s[len(name):]
	if strings.HasPrefix(s, "-") {
		j := 1
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == 1 {
			return "", false
		}
		s = s[j:]
	}
	s = strings.TrimLeft(s, " ")
	if !strings.HasPrefix(s, "\t") {
		return "", false
	}
	return s[1:], true
}

// parseFigures reports whether s is a result's figures — an iteration
// count and value-unit pairs — by the one result-line rule.
func parseFigures(s string) bool {
	_, ok := results.ParseResultLine("Benchmark " + s)
	return ok
}

// warnings say what the run's output did that results had to be protected
// from.
func (p *benchParser) warnings() []string {
	var w []string
	if len(p.interleaved) > 0 {
		w = append(w, fmt.Sprintf("benchmark output was interleaved with the result line of %s; the result was taken from the testing package's framing", strings.Join(p.interleaved, ", ")))
	}
	if p.nImitations > 0 {
		q := make([]string, len(p.imitations))
		for i, l := range p.imitations {
			if len(l) > 100 {
				l = l[:100] + "…"
			}
			q[i] = strconv.Quote(sanitize(l))
		}
		w = append(w, fmt.Sprintf("%d line(s) on stdout looked like benchmark results but were not framed as one by the testing package, and were ignored: %s", p.nImitations, strings.Join(q, ", ")))
	}
	if len(p.unlisted) > 0 {
		w = append(w, fmt.Sprintf("results framed for benchmarks the binary does not list were ignored: %s", sanitize(strings.Join(p.unlisted, ", "))))
	}
	if len(p.repeated) > 0 {
		w = append(w, fmt.Sprintf("%s had more than one framed result (its output imitates the testing package's framing); the last one was kept", sanitize(strings.Join(p.repeated, ", "))))
	}
	return w
}
