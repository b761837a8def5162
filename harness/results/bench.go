package results

import (
	"bufio"
	"bytes"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// AssembleBench rewrites the folder's combined bench.txt from the run
// folders: host lines first, then for every cell its configuration lines and
// the results of its ok runs, then its build metrics. Runs that missed their
// rate, crashed or timed out are left out of the statistics (the manifest and
// the report show them); nothing is averaged in silently.
func AssembleBench(d *Dir, m *Manifest) error {
	header := []KV{{Key: "goos", Value: m.Host.OS}, {Key: "goarch", Value: m.Host.Arch}}
	if m.Host.Brand != "" {
		header = append(header, KV{Key: "cpu", Value: m.Host.Brand})
	}
	header = append(header, KV{Key: "host-id", Value: m.Host.ID})
	if m.Host.GOAMD64 != "" {
		header = append(header, KV{Key: "host-goamd64", Value: m.Host.GOAMD64})
	}
	header = append(header, KV{Key: "harness-run", Value: SafeName(m.RunID)})
	w := NewBenchWriter(header)
	builds := map[string]*Build{}
	for _, bd := range m.Builds {
		builds[bd.Key] = bd
	}
	for _, c := range m.Cells {
		lines, err := d.ReadRunBench(c)
		if err != nil {
			return err
		}
		var extra []string
		if bd := builds[c.Build]; bd != nil && bd.Status == StatusOK {
			// One build line per cell: the same binary may serve several
			// cells, and each cell's table should show what it ran.
			extra = append(extra, fmt.Sprintf("BenchmarkBuild/workload=%s 1 %d build-ns %d binary-B", SafeName(c.Workload), bd.BuildNs, bd.SizeB))
		}
		w.Block(c.Config, lines, extra...)
	}
	data := w.Bytes()
	m.BenchSHA256 = SHA256(data)
	return d.WriteFile(BenchFile, data)
}

// ReadRunBench reads the bench.txt of each valid run of c (see
// Cell.ValidRuns), in run order.
func (d *Dir) ReadRunBench(c *Cell) ([]BenchLine, error) {
	var lines []BenchLine
	for _, r := range c.ValidRuns() {
		data, err := d.ReadFile(filepath.Join(r.Dir, BenchFile))
		if err != nil {
			return nil, fmt.Errorf("cell %s run %d: %w", c.ID, r.Index, err)
		}
		lines = append(lines, ParseBench(data)...)
	}
	return lines, nil
}

// A BenchLine is a line of a run's bench.txt worth keeping: a benchmark
// result (Result set) or a unit metadata line ("Unit p99-ns better=lower").
type BenchLine struct {
	Text   string
	Result *ResultLine
}

// A ResultLine is one benchmark result: a name, an iteration count and the
// value of each unit.
type ResultLine struct {
	Name    string // with its "Benchmark" prefix
	Iters   int64
	Metrics []Metric
}

// A Metric is one value-unit pair of a result line.
type Metric struct {
	Value float64
	Unit  string
}

// ParseBench reads the result and unit lines of a run's bench.txt (or a go
// test binary's output), in order, dropping configuration lines, test
// chatter and malformed result lines. It is the one reader of benchmark
// lines: the combined bench.txt, confirmation reruns and exports all go
// through it.
func ParseBench(data []byte) []BenchLine {
	var out []BenchLine
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		switch {
		case strings.HasPrefix(line, "Benchmark"):
			if r, ok := ParseResultLine(line); ok {
				out = append(out, BenchLine{Text: line, Result: &r})
			}
		case strings.HasPrefix(line, "Unit "):
			out = append(out, BenchLine{Text: line})
		}
	}
	return out
}

// ParseResultLine parses a result line of the shape benchfmt requires: a
// name, an iteration count, then value-unit pairs of finite numbers.
func ParseResultLine(line string) (ResultLine, bool) {
	f := strings.Fields(line)
	if len(f) < 4 || len(f)%2 != 0 || !strings.HasPrefix(f[0], "Benchmark") {
		return ResultLine{}, false
	}
	n, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil || n < 0 {
		return ResultLine{}, false
	}
	r := ResultLine{Name: f[0], Iters: n}
	for i := 2; i < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil || v != v || v > 1e300 || v < -1e300 {
			return ResultLine{}, false
		}
		r.Metrics = append(r.Metrics, Metric{Value: v, Unit: f[i+1]})
	}
	return r, true
}

// String formats the result line as the driver writes it: name, iterations
// and each value with its unit, separated by tabs.
func (r ResultLine) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\t%d", r.Name, r.Iters)
	for _, m := range r.Metrics {
		fmt.Fprintf(&b, "\t%s %s", strconv.FormatFloat(m.Value, 'g', -1, 64), m.Unit)
	}
	return b.String()
}

// A BenchWriter writes a combined bench.txt in benchfmt: file-level header
// lines, then one block per cell led by its configuration lines, so that
// benchstat -col toolchain works on it unchanged. Configuration persists
// until changed in benchfmt, so each block clears the keys of the block
// before it that it does not set (rate, for a go test cell after a
// fixed-rate one); each unit line is written once, where first seen.
type BenchWriter struct {
	b        bytes.Buffer
	units    map[string]bool
	prevKeys []string
}

// NewBenchWriter starts a bench.txt with the given header lines. Every key
// and value may come from a manifest written elsewhere (a merged shard):
// each stays on its line, a key a valid configuration key (see configKey),
// so none can add a configuration or a result line.
func NewBenchWriter(header []KV) *BenchWriter {
	w := &BenchWriter{units: map[string]bool{}}
	for _, kv := range header {
		fmt.Fprintf(&w.b, "%s: %s\n", configKey(kv.Key), oneLine(kv.Value))
	}
	return w
}

// Block writes one cell's block: its configuration, its lines and extra
// result lines, zeros in their tidy unit (see tidyZeros). A block with
// nothing to write is left out; Block reports whether it wrote one.
func (w *BenchWriter) Block(config []KV, lines []BenchLine, extra ...string) bool {
	var body bytes.Buffer
	for _, l := range lines {
		if l.Result == nil {
			if w.units[l.Text] {
				continue
			}
			w.units[l.Text] = true
		}
		if l.Result != nil {
			body.WriteString(tidyZeros(l.Text) + "\n")
		} else {
			body.WriteString(l.Text + "\n")
		}
	}
	if body.Len() == 0 && len(extra) == 0 {
		return false
	}
	w.b.WriteString("\n")
	keys := make([]string, len(config))
	for i, kv := range config {
		keys[i] = configKey(kv.Key)
	}
	for _, k := range w.prevKeys {
		if !slices.Contains(keys, k) {
			fmt.Fprintf(&w.b, "%s:\n", k)
		}
	}
	w.prevKeys = keys
	for i, kv := range config {
		fmt.Fprintf(&w.b, "%s: %s\n", keys[i], oneLine(kv.Value))
	}
	w.b.Write(body.Bytes())
	for _, l := range extra {
		w.b.WriteString(tidyZeros(l) + "\n")
	}
	return true
}

// Bytes returns the file written so far.
func (w *BenchWriter) Bytes() []byte { return w.b.Bytes() }

// tidyZeros writes a zero measured in a scaled unit in its tidy unit
// ("0 gc-pause-p99-ns" becomes "0 gc-pause-p99-sec") and leaves every
// other value as the workload wrote it.
//
// Note: benchfmt's reader converts a value to its tidy unit ("ns" to
// "sec", "MB" to "B") only when the conversion changes the number, so
// benchstat reads "0 gc-pause-p99-ns" in ns while the same metric's
// non-zero samples become sec: one metric splits into two tables, and a
// projection compares different samples from the ones the report uses.
// Writing the zero in the tidy unit is what benchfmt would have done if
// it converted every value; a non-zero value keeps its unit (p99-ns,
// ns/op: the units people grep for) since benchfmt converts it anyway.
// The line must be a valid result line.
func tidyZeros(line string) string {
	f := strings.Fields(line)
	changed := false
	for i := 2; i+1 < len(f); i += 2 {
		if v, err := strconv.ParseFloat(f[i], 64); err != nil || v != 0 {
			continue
		}
		if tidy, _ := TidyUnit(f[i+1]); tidy != f[i+1] {
			f[i+1], changed = tidy, true
		}
	}
	if !changed {
		return line
	}
	return strings.Join(f, " ")
}

// TidyUnit normalizes a unit the way benchfmt does when it reads a value
// (golang.org/x/perf/benchunit.Tidy): "ns" becomes "sec" and "MB" becomes
// "B" in the numerator ("ns/op" → "sec/op", "p99-ns" → "p99-sec", "MB/s"
// → "B/s"); factor converts a value in unit to one in tidied. Tokens are
// separated by '-', '*', '/' and spaces; a '/' starts the denominator and
// a '*' ends it. The compare package checks this against benchunit.
func TidyUnit(unit string) (tidied string, factor float64) {
	factor = 1
	var b strings.Builder
	denom := false
	start := 0
	flush := func(end int) {
		tok := unit[start:end]
		switch {
		case denom:
			b.WriteString(tok)
		case tok == "ns":
			b.WriteString("sec")
			factor /= 1e9
		case tok == "MB":
			b.WriteString("B")
			factor *= 1e6
		default:
			b.WriteString(tok)
		}
	}
	for i, r := range unit {
		switch {
		case r == '*', r == '/', r == '-', unicode.IsSpace(r):
			flush(i)
			b.WriteRune(r)
			start = i + utf8.RuneLen(r)
			if r == '*' {
				denom = false
			} else if r == '/' {
				denom = true
			}
		}
	}
	flush(len(unit))
	return b.String(), factor
}

// configKey makes k a benchfmt configuration key: no space, no colon, no
// upper case, starting with a lower-case letter. The harness's own keys
// already are; one read from a manifest from elsewhere may not be.
func configKey(k string) string {
	ok := k != ""
	for i, r := range k {
		if unicode.IsSpace(r) || unicode.IsUpper(r) || r == ':' || i == 0 && !unicode.IsLower(r) || !unicode.IsPrint(r) {
			ok = false
		}
	}
	if ok {
		return k
	}
	return "x-" + strings.ToLower(SafeName(k))
}

// oneLine keeps a configuration value on one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
