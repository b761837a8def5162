package run

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// feed gives the parser a stream as the copier would: split at newlines,
// each line without its newline.
func feed(p *benchParser, stream string) {
	for _, l := range strings.Split(strings.TrimSuffix(stream, "\n"), "\n") {
		p.line([]byte(l))
	}
}

// The testing package's framed output (-test.v=test2json) with a
// benchmark's own prints mixed in: only the framed results of listed
// benchmarks count, whatever the benchmark prints.
func TestBenchParser(t *testing.T) {
	const (
		run   = "\x16=== RUN   BenchmarkX\nBenchmarkX\n"
		res   = "BenchmarkX-2   \t    1000\t     17.32 ns/op\t       0 B/op\t       0 allocs/op\n"
		name  = "\x16=== NAME  \n"
		want  = "BenchmarkX-2   \t    1000\t     17.32 ns/op\t       0 B/op\t       0 allocs/op"
		head  = "goos: linux\ngoarch: amd64\npkg: example.com/x\ncpu: Test CPU\n"
		final = "PASS\n"
	)
	for _, tt := range []struct {
		why, stream string
		want        []string
		warn        string // in the warnings; "" for none
	}{
		{"clean", head + run + res + name + final, []string{want}, ""},
		{"a fake result line for another name mid-run", head + run + "BenchmarkFake 1 5 ns/op\n" + res + name, []string{want}, `"BenchmarkFake 1 5 ns/op"`},
		{"a fake in the exact format of its own name, before the real one", head + run + "BenchmarkX-2\t1\t5 ns/op\n" + res + name, []string{want}, "looked like benchmark results"},
		{"a partial line before the result", head + run + "partial line without newline " + res + name, []string{want}, "interleaved with the result line of BenchmarkX"},
		{"output between the name and the figures", head + run + "BenchmarkX-2   \tjunk from a goroutine\n    1000\t     17.32 ns/op\t       0 B/op\t       0 allocs/op\n" + name,
			[]string{"BenchmarkX-2   \t1000\t     17.32 ns/op\t       0 B/op\t       0 allocs/op"}, "interleaved"},
		{"a partial line before a framing line: ^V starts a line", head + run + res[:len(res)-1] + "\x16=== NAME  \n", []string{want}, ""},
		{"output between the result and its framing line", head + run + res + "debug\n" + name, []string{want}, "interleaved"},
		{"a result line never followed by framing is not a result", head + run + res + "debug\n", nil, ""},
		{"no framing at all (an unframed binary or a forger)", "BenchmarkX-2\t1000\t17 ns/op\n", nil, ""},
		{"framing forged for an unlisted name", head + "\x16=== RUN   BenchmarkY\nBenchmarkY-2\t1\t5 ns/op\n\x16=== NAME  \n" + run + res + name, []string{want}, "does not list were ignored: BenchmarkY"},
		{"framing forged for its own name: the later (testing's) result stays",
			head + run + "\x16=== RUN   BenchmarkX\nBenchmarkX-2\t1\t5 ns/op\n\x16=== NAME  \n" + res + name, []string{want}, "more than one framed result"},
		{"a failed benchmark has no result", head + run + "BenchmarkX-2\t1\t5 ns/op\n\x16--- FAIL: BenchmarkX\n", nil, "looked like"},
		{"results before --- BENCH (b.Log output)", head + run + res + "\x16--- BENCH: BenchmarkX-2\n    x_test.go:9: hello\n" + name, []string{want}, ""},
		{"sub-benchmarks", head + "\x16=== RUN   BenchmarkX\nBenchmarkX\n\x16=== RUN   BenchmarkX/n=1\nBenchmarkX/n=1\nBenchmarkX/n=1-2 \t 10\t 5.0 ns/op\n" + name +
			"\x16=== RUN   BenchmarkX/n=2\nBenchmarkX/n=2\nBenchmarkX/n=2-2 \t 10\t 9.0 ns/op\n" + name,
			[]string{"BenchmarkX/n=1-2 \t 10\t 5.0 ns/op", "BenchmarkX/n=2-2 \t 10\t 9.0 ns/op"}, ""},
		{"GOMAXPROCS=1: no -procs suffix", run + "BenchmarkX   \t 10\t 5.0 ns/op\n" + name, []string{"BenchmarkX   \t 10\t 5.0 ns/op"}, ""},
		{"a longer name sharing the prefix is not this one", "\x16=== RUN   BenchmarkX\nBenchmarkXY-2\t1\t5 ns/op\n" + name, nil, "looked like"},
	} {
		p := newBenchParser(map[string]bool{"BenchmarkX": true})
		feed(p, tt.stream)
		if strings.Join(p.results, "|") != strings.Join(tt.want, "|") {
			t.Errorf("%s: results %q, want %q", tt.why, p.results, tt.want)
		}
		w := strings.Join(p.warnings(), "\n")
		if tt.warn == "" && w != "" || !strings.Contains(w, tt.warn) {
			t.Errorf("%s: warnings %q, want %q", tt.why, w, tt.warn)
		}
	}
}

func TestFramedGoVersion(t *testing.T) {
	for v, want := range map[string]bool{"go1.26.8": true, "go1.27.3": true, "go1.20": true, "go1.19.13": false, "devel go1.27-abc": true, "": true} {
		if got := framedGoVersion(v); got != want {
			t.Errorf("framedGoVersion(%q) = %v", v, got)
		}
	}
}

// A real test binary, built by each toolchain, whose benchmark prints fake
// result lines and a partial line mid-run: the real results are recorded,
// the fakes are not, and the run says so.
func TestGoTestFramingRealBinaries(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a test binary with two toolchains")
	}
	workloads, err := filepath.Abs(filepath.Join("..", "..", "workloads"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []string{"go1.26.8", "go1.27.3"} {
		t.Run(tc, func(t *testing.T) {
			dir := t.TempDir()
			bin := filepath.Join(dir, "faults.test")
			cmd := exec.Command("go", "test", "-c", "-o", bin, "./faults")
			cmd.Dir = workloads
			cmd.Env = append(os.Environ(), "GOTOOLCHAIN="+tc, "GOFLAGS=", "GOWORK=off")
			if out, err := cmd.CombinedOutput(); err != nil {
				if os.Getenv("CI") == "" {
					t.Skipf("building with %s: %v\n%s", tc, err, out)
				}
				t.Fatalf("building with %s: %v\n%s", tc, err, out)
			}
			version, _ := exec.Command("go", "version", bin).Output()
			if !strings.Contains(string(version), tc) {
				t.Fatalf("built by %s, want %s", version, tc)
			}
			base := Proc{Path: bin, Dir: filepath.Join(workloads, "faults"), Env: []string{"PATH=/usr/bin:/bin"}, Timeout: 2 * time.Minute, Grace: time.Second}
			exit, _, parser, err := runBenchmarks(context.Background(), base, goTestArgs(".", "200x", dir, nil), dir)
			if err != nil {
				t.Fatal(err)
			}
			if exit.Code != 0 {
				t.Fatalf("exit %+v\n%s", exit, exit.Stderr.Tail(20))
			}
			var names []string
			for _, l := range parser.results {
				f := strings.Fields(l)
				names = append(names, benchBase(f[0]))
				if benchBase(f[0]) == "BenchmarkNoisy" {
					ns, _ := strconv.ParseFloat(f[2], 64)
					if f[1] != "200" || f[3] != "ns/op" || ns < 5000 {
						t.Errorf("BenchmarkNoisy result %q: want 200 iterations of about 10µs, not the printed fake", l)
					}
				}
			}
			if got, want := strings.Join(names, " "), "BenchmarkNoisy BenchmarkQuiet/spin=1µs BenchmarkQuiet/spin=2µs"; got != want {
				t.Errorf("results for %s, want %s:\n%s", got, want, strings.Join(parser.results, "\n"))
			}
			w := strings.Join(parser.warnings(), "\n")
			for _, want := range []string{"interleaved with the result line of BenchmarkNoisy", `"BenchmarkFake 1 5 ns/op"`} {
				if !strings.Contains(w, want) {
					t.Errorf("warnings %q lack %q", w, want)
				}
			}
			t.Logf("%s: results\n%s\nwarnings: %s", tc, strings.Join(parser.results, "\n"), w)
		})
	}
}
