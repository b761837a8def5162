package spec

import (
	"strings"
	"testing"
	"time"
)

const tourSpec = `
name: tour
toolchains: [local, go1.27.3]
x-load: &load {kind: fixed-rate, package: ./workloads/alloc, duration: 5s}
matrix:
  goexperiment: ["", arenas]
  gcflags: ["", "-l"]
  env:
    glibc: {}
    tcmalloc: {LD_PRELOAD: libtcmalloc_minimal.so.4}
exclude:
  - {toolchain: go1.27.3, goexperiment: arenas}
  - {workload: nothing}
workloads:
  - <<: *load
    name: alloc
    ops: [heap, {name: arena, experiments: [arenas]}]
    rate: [1000/s, 2k/s]
  - name: crypto
    kind: gotest
    package: ./workloads/crypto
    bench: Sign
    matrix: {goexperiment: [""], gcflags: [""], env: {none: {}}, godebug: ["", cpu.adx=off]}
`

func TestCells(t *testing.T) {
	s, err := Parse("bench.yaml", []byte(tourSpec))
	if err != nil {
		t.Fatal(err)
	}
	cells := s.Cells()
	// alloc: 2 ops x 2 rates x (2 toolchains x 2 experiments - 1 excluded) x 2 gcflags x 2 envs = 48
	// crypto: 2 toolchains x 2 godebug = 4
	if got, want := len(cells), 52; got != want {
		t.Fatalf("len(cells) = %d, want %d", got, want)
	}
	ids := map[string]bool{}
	for _, c := range cells {
		if ids[c.ID] {
			t.Errorf("duplicate cell id %q", c.ID)
		}
		ids[c.ID] = true
		if c.Toolchain == "go1.27.3" && c.GOEXPERIMENT == "arenas" {
			t.Errorf("excluded cell present: %s", c.ID)
		}
	}
	for _, id := range []string{
		"alloc/heap/local/gcflags=-l/env=glibc/rate=1000/s",
		"alloc/arena/local/arenas/env=tcmalloc/rate=2k/s",
		"crypto/go1.27.3/godebug=cpu.adx=off/env=none",
	} {
		if !ids[id] {
			t.Errorf("missing cell %q", id)
		}
	}
	if len(s.Warnings) != 1 || !strings.Contains(s.Warnings[0], "exclude[1] matches no cell") {
		t.Errorf("warnings = %q, want one about exclude[1]", s.Warnings)
	}
	// The merge key supplied kind, package and duration; the defaults
	// filled in warmup, concurrency and runs.
	w := s.Workloads[0]
	if w.Kind != KindFixedRate || w.Package != "./workloads/alloc" || w.Duration.D() != 5*time.Second {
		t.Errorf("merged workload = %+v", w)
	}
	if w.Warmup.D() != DefaultWarmup || w.Concurrency != DefaultConcurrency || s.Runs.Count != DefaultCount || !*s.Runs.Interleave {
		t.Errorf("defaults not applied: warmup %v, concurrency %d, count %d", w.Warmup, w.Concurrency, s.Runs.Count)
	}
	if got := UsedDimensions(cells); strings.Join(dimStrings(got), ",") != "toolchain,goexperiment,gcflags,godebug,env,rate" {
		t.Errorf("UsedDimensions = %v", got)
	}
}

func dimStrings(ds []Dimension) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = string(d)
	}
	return out
}

func TestParseRate(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want float64
		ok   bool
		why  string
	}{
		{"20000/s", 20000, true, "plain per second"},
		{"20k/s", 20000, true, "k suffix"},
		{"1.5M/s", 1.5e6, true, "M suffix"},
		{"5/ms", 5000, true, "per millisecond"},
		{"1/us", 1e6, true, "per microsecond"},
		{"60/min", 1, true, "per minute"},
		{"3600/h", 1, true, "per hour"},
		{"20000", 0, false, "no unit"},
		{"abc/s", 0, false, "not a number"},
		{"5/fortnight", 0, false, "unknown unit"},
		{"/s", 0, false, "no number"},
	} {
		got, err := parseRate(tt.in)
		if (err == nil) != tt.ok || (tt.ok && got != tt.want) {
			t.Errorf("parseRate(%q) = %v, %v; want %v, ok=%v (%s)", tt.in, got, err, tt.want, tt.ok, tt.why)
		}
	}
}

func TestParseDuration(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Duration
		ok   bool
		why  string
	}{
		{"10s", 10 * time.Second, true, "seconds"},
		{"1m30s", 90 * time.Second, true, "compound"},
		{"10", 0, false, "a bare number is almost always a missing unit"},
		{"0", 0, false, "even zero needs a unit, for consistency"},
		{"ten", 0, false, "not a duration"},
	} {
		got, err := parseDuration(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v, ok=%v (%s)", tt.in, got, err, tt.want, tt.ok, tt.why)
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"duration", "durtion", 1},
		{"duration", "duartion", 1}, // one transposition
		{"kind", "kind", 0},
		{"", "abc", 3},
	} {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
	if got := DidYouMean("toolchian", []string{"toolchain", "goexperiment"}); got != ` (did you mean "toolchain"?)` {
		t.Errorf("DidYouMean = %q", got)
	}
	if got := DidYouMean("zzzzzz", []string{"toolchain"}); got != "" {
		t.Errorf("DidYouMean suggested %q for an unrelated word", got)
	}
}

// FuzzParse checks that no input makes the decoder panic, and that every
// error it reports carries the file name and a line.
func FuzzParse(f *testing.F) {
	f.Add([]byte(tourSpec))
	f.Add([]byte("workloads: [{name: a, kind: fixed-rate, package: ., ops: [x], rate: 1/s}]"))
	f.Add([]byte("a: &a [*a]"))
	f.Add([]byte("<<: {a: 1}"))
	f.Add([]byte("workloads:\n  - <<: [*x]\n"))
	f.Add([]byte("matrix: {env: {a: {b: c}}, gomaxprocs: [1, 2]}\nexclude: [{rate: 1/s}]"))
	f.Add([]byte("name: a\n---\nname: b\n"))
	f.Add([]byte("name: \"a\x00\"\n\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.yaml", data)
		if err != nil {
			list, ok := err.(ErrorList)
			if !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			for _, e := range list {
				if !strings.HasPrefix(e.Error(), "fuzz.yaml") {
					t.Fatalf("error without file name: %v", e)
				}
				if e.Line <= 0 {
					t.Fatalf("error without a position: %v", e)
				}
			}
			return
		}
		if cells := s.Cells(); len(cells) > DefaultMaxCells && s.MaxCells < len(cells) {
			t.Fatalf("%d cells passed the limit", len(cells))
		}
	})
}

func TestMeasureCells(t *testing.T) {
	s, err := Parse("bench.yaml", []byte(`
toolchains: [local]
matrix: {godebug: ["", cpu.adx=off]}
exclude:
  - {workload: rsa, measure: time, godebug: cpu.adx=off}
workloads:
  - name: load
    kind: fixed-rate
    package: ./pkg
    ops: [a]
    rate: [1k/s, 2k/s]
    measure: [time, instructions]
    iterations: 1000
  - name: rsa
    kind: gotest
    package: ./pkg
    measure: [instructions, time]
  - name: plain
    kind: gotest
    package: ./pkg
`))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range s.Cells() {
		ids = append(ids, c.ID)
		if c.Instructions() && (c.Rate.PerSecond != 0 || c.MultiRate) {
			t.Errorf("%s: an instructions cell has a rate (%v)", c.ID, c.Rate)
		}
	}
	want := []string{
		// Two rates × two GODEBUGs for time; instructions once per GODEBUG,
		// with no rate: it runs closed loop.
		"load/a/local/rate=1k/s", "load/a/local/godebug=cpu.adx=off/rate=1k/s",
		"load/a/local/measure=instructions", "load/a/local/godebug=cpu.adx=off/measure=instructions",
		"load/a/local/rate=2k/s", "load/a/local/godebug=cpu.adx=off/rate=2k/s",
		// The spec's order of tiers; "measure: time" excludes the time cell.
		"rsa/local/measure=instructions", "rsa/local/godebug=cpu.adx=off/measure=instructions",
		"rsa/local",
		// A workload without measure keeps its ids.
		"plain/local", "plain/local/godebug=cpu.adx=off",
	}
	if strings.Join(ids, "\n") != strings.Join(want, "\n") {
		t.Errorf("cells:\n%s\nwant:\n%s", strings.Join(ids, "\n"), strings.Join(want, "\n"))
	}
	if len(s.Warnings) != 0 {
		t.Errorf("warnings %q", s.Warnings)
	}
	// Measure is held fixed, never compared: no question is derived from it.
	for _, q := range DeriveQuestions(s.Points()) {
		if strings.Join(q.By, ",") == string(DimMeasure) {
			t.Errorf("derived a question by measure: %s", q.Title)
		}
	}
}
