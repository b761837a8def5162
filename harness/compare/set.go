package compare

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchunit"

	"github.com/perfharness/harness/harness/host"
	"github.com/perfharness/harness/harness/results"
)

// maxErrors bounds how many syntax errors one load reports; past it the
// error says how many more there were.
const maxErrors = 20

// A Set is a collection of parsed benchmark results, each remembering the
// file and line it came from, with the unit metadata (direction,
// distributional assumption) their files declared. A Set is read-only once
// loaded; Compare and Pair never modify it.
type Set struct {
	files   []string
	labels  []string // .file value of each file
	results []*benchfmt.Result
	units   benchfmt.UnitMetadataMap
}

// LoadFiles reads bench.txt files in the Go benchmark format.
//
// Parsing is strict where benchstat is forgiving: a malformed result line,
// a non-finite value, a conflicting Unit line, a NUL byte or invalid UTF-8
// (a corrupted file) and a last line without its newline (a truncated file)
// are errors naming file:line, all of them reported at once (up to a
// limit). A series is never silently shorter than the file. Lines that are
// neither results, Unit lines nor configuration (go test chatter) are
// ignored, as the format says.
//
// Each result gets a ".file" key naming its file (disambiguated with #N
// when a path is given twice), as benchstat does.
func LoadFiles(paths ...string) (*Set, error) {
	if len(paths) == 0 {
		return nil, errors.New("no bench.txt files given")
	}
	s := &Set{units: benchfmt.UnitMetadataMap{}}
	count := map[string]int{}
	for _, p := range paths {
		count[p]++
	}
	seen := map[string]int{}
	var errs []error
	var r benchfmt.Reader
	for _, p := range paths {
		label := p
		if count[p] > 1 {
			label = fmt.Sprintf("%s#%d", p, seen[p])
			seen[p]++
		}
		data, err := results.ReadLimited(p)
		if err != nil {
			return nil, fmt.Errorf("reading benchmark results: %w", err)
		}
		errs = append(errs, s.parse(&r, p, label, data)...)
	}
	if len(errs) > 0 {
		return nil, joinErrors(errs)
	}
	return s, nil
}

// Parse reads benchmark results from data as if from a file called name.
// It applies the checks of LoadFiles.
func Parse(name string, data []byte) (*Set, error) {
	s := &Set{units: benchfmt.UnitMetadataMap{}}
	var r benchfmt.Reader
	if errs := s.parse(&r, name, name, data); len(errs) > 0 {
		return nil, joinErrors(errs)
	}
	return s, nil
}

func joinErrors(errs []error) error {
	if len(errs) > maxErrors {
		more := len(errs) - maxErrors
		errs = append(errs[:maxErrors:maxErrors], fmt.Errorf("... and %d more errors", more))
	}
	return errors.Join(errs...)
}

// parse appends the results of one file to s and returns its problems.
func (s *Set) parse(r *benchfmt.Reader, name, label string, data []byte) []error {
	var errs []error
	bad := func(line int, format string, args ...any) {
		errs = append(errs, &benchfmt.SyntaxError{FileName: name, Line: line, Msg: fmt.Sprintf(format, args...)})
	}
	// Damage the benchfmt reader would pass over silently: it skips
	// lines it does not recognise, and a line cut short can still parse
	// ("... 1200 p9" is a value with the unit "p9").
	line := 1
	for i := 0; i < len(data); {
		c, size := utf8.DecodeRune(data[i:])
		switch {
		case c == 0:
			bad(line, "NUL byte: the file is corrupted")
			return errs
		case c == utf8.RuneError && size == 1:
			bad(line, "invalid UTF-8: the file is corrupted")
			return errs
		case c == '\n':
			line++
		}
		i += size
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		bad(line, "last line has no newline: the file is truncated")
		return errs
	}
	r.Reset(bytes.NewReader(data), name, ".file", label)
	for r.Scan() {
		switch rec := r.Result().(type) {
		case *benchfmt.SyntaxError:
			errs = append(errs, rec)
		case *benchfmt.Result:
			_, ln := rec.Pos()
			if len(rec.Name) == 0 {
				bad(ln, "benchmark has no name")
				continue
			}
			ok := true
			for i := range rec.Values {
				v := &rec.Values[i]
				if math.IsNaN(v.Value) || math.IsInf(v.Value, 0) {
					bad(ln, "non-finite value %v %s", v.Value, v.Unit)
					ok = false
				}
				// Note: benchfmt tidies a unit ("ns" to "sec") only when
				// that changes the value, so a 0 keeps its untidied
				// unit and lands in a table of its own (0 gc-pause-p99-ns
				// beside other runs' gc-pause-p99-sec). The harness
				// writes such zeros in the tidy unit, so benchstat sees
				// what we see; files from elsewhere or from before it
				// did are tidied here.
				if _, tidy := benchunit.Tidy(1, v.Unit); tidy != v.Unit && v.Value == 0 {
					v.OrigUnit, v.Unit = v.Unit, tidy
				}
			}
			if ok {
				s.results = append(s.results, rec.Clone())
			}
		}
	}
	if err := r.Err(); err != nil {
		errs = append(errs, err)
	}
	for k, u := range r.Units() {
		s.units[k] = u
	}
	s.files = append(s.files, name)
	s.labels = append(s.labels, label)
	return errs
}

// LoadResults reads the combined bench.txt of a results folder. Its
// results' .file key is the folder's name (the run id), so a column of
// them is labelled by run rather than by path.
func LoadResults(dir string) (*Set, error) {
	p := filepath.Join(dir, results.BenchFile)
	data, err := results.ReadFileIn(dir, results.BenchFile)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		if _, merr := os.Stat(filepath.Join(dir, results.ManifestFile)); merr != nil {
			return nil, fmt.Errorf("%s is not a results folder (no manifest.json)", dir)
		}
		return nil, fmt.Errorf("%s: no bench.txt: the run recorded no benchmark results yet", dir)
	}
	if err := checkBenchDigest(dir, data); err != nil {
		return nil, err
	}
	s := &Set{units: benchfmt.UnitMetadataMap{}}
	var r benchfmt.Reader
	label := filepath.Base(filepath.Clean(dir))
	if errs := s.parse(&r, p, label, data); len(errs) > 0 {
		return nil, joinErrors(errs)
	}
	return s, nil
}

// checkBenchDigest compares a results folder's bench.txt with the digest
// its manifest recorded when the harness last wrote it. A folder whose
// harness died mid-run (status running or abandoned) may hold a newer
// bench.txt than its manifest, and manifests of older harnesses or made by
// hand record none: those are not checked.
func checkBenchDigest(dir string, data []byte) error {
	raw, err := results.ReadFileIn(dir, results.ManifestFile)
	if err != nil {
		return nil // not a harness folder (or a broken manifest, reported by whoever reads it)
	}
	var m struct {
		Status      results.Status `json:"status"`
		BenchSHA256 string         `json:"bench_sha256"`
	}
	if json.Unmarshal(raw, &m) != nil || m.BenchSHA256 == "" || m.Status == results.RunRunning || m.Status == results.RunAbandoned {
		return nil // a broken manifest is reported by whoever reads it
	}
	if results.SHA256(data) != m.BenchSHA256 {
		return fmt.Errorf("%s: does not match the digest its manifest records: it was edited or cut short after the run (each run folder keeps its own bench.txt)", filepath.Join(dir, results.BenchFile))
	}
	return nil
}

// Len returns the number of result lines in s.
func (s *Set) Len() int { return len(s.results) }

// Files returns the files s was read from, in order.
func (s *Set) Files() []string { return append([]string(nil), s.files...) }

// Label names s in column headers: its run id (the harness-run
// configuration value) when all its results share one, else its files.
func (s *Set) Label() string {
	run := ""
	for i, r := range s.results {
		v := r.GetConfig("harness-run")
		if i > 0 && v != run {
			run = ""
			break
		}
		run = v
	}
	if run != "" {
		return run
	}
	return strings.Join(s.labels, ",")
}

// Better reports the direction of unit (tidied or as written): +1 when
// higher is better, -1 when lower is better, 0 when unknown. A Unit line's
// better= wins; otherwise rates (…/s) are higher-is-better and times,
// sizes, allocation and error counts lower-is-better.
func (s *Set) Better(unit string) int {
	return better(s.units, unit)
}

func better(units benchfmt.UnitMetadataMap, unit string) int {
	if m := units.Get(unit, "better"); m != nil {
		switch m.Value {
		case "higher":
			return 1
		case "lower":
			return -1
		}
		return 0
	}
	if b := units.GetBetter(unit); b != 0 {
		return b
	}
	u := strings.ToLower(unit)
	switch {
	case strings.HasSuffix(u, "/s"), strings.HasSuffix(u, "/sec"), strings.HasSuffix(u, "-per-sec"):
		return 1
	case strings.Contains(u, "sec"), strings.HasSuffix(u, "-ns"), u == "b", strings.HasSuffix(u, "-b"),
		strings.HasSuffix(u, "/op"), strings.Contains(u, "alloc"), strings.Contains(u, "error"):
		return -1
	}
	return 0
}

// Split divides s by the value of a configuration key, in the order values
// first appear; results without the key form the subset for "". Each subset
// keeps the files, labels and unit metadata of s.
func (s *Set) Split(key string) (values []string, subsets []*Set) {
	idx := map[string]int{}
	for _, r := range s.results {
		v := r.GetConfig(key)
		i, ok := idx[v]
		if !ok {
			i = len(values)
			idx[v] = i
			values = append(values, v)
			subsets = append(subsets, &Set{files: s.files, labels: s.labels, units: s.units})
		}
		subsets[i].results = append(subsets[i].results, r)
	}
	return values, subsets
}

// A Series is the values one benchmark recorded for one unit across the
// results that match a configuration, in file order.
type Series struct {
	Name   string // full benchmark name, without the "Benchmark" prefix
	Values []float64
}

// Values returns, per benchmark name (in order of appearance), the values
// of unit (as written in the file, e.g. p99-ns) of the results whose
// configuration has every key/value of config; keep, when not nil, also
// filters by name.
func (s *Set) Values(config []KV, unit string, keep func(name string) bool) []Series {
	var out []Series
	idx := map[string]int{}
next:
	for _, r := range s.results {
		for _, kv := range config {
			if r.GetConfig(kv.Key) != kv.Value {
				continue next
			}
		}
		name := string(r.Name)
		if keep != nil && !keep(name) {
			continue
		}
		for _, v := range r.Values {
			var val float64
			switch {
			case v.OrigUnit != "" && v.OrigUnit == unit:
				val = v.OrigValue
			case v.Unit == unit:
				val = v.Value
			default:
				continue
			}
			i, ok := idx[name]
			if !ok {
				i = len(out)
				idx[name] = i
				out = append(out, Series{Name: name})
			}
			out[i].Values = append(out[i].Values, val)
		}
	}
	return out
}

// CellValues returns the values of unit that one cell of a run recorded,
// per benchmark: the results with the cell's configuration and, for a
// fixed-rate or http cell, its op ("" for gotest); the harness's own
// build metrics are left out.
func (s *Set) CellValues(config []KV, op, unit string) []Series {
	return s.Values(config, unit, func(name string) bool {
		return !strings.HasPrefix(name, "Build/") && (op == "" || HasOp(name, op))
	})
}

// HasOp reports whether a benchmark name is a run of op: the driver names
// it "<Workload>/op=<op>[-GOMAXPROCS]", white space in op replaced by _.
func HasOp(name, op string) bool {
	op = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return '_'
		}
		return r
	}, op)
	_, rest, ok := strings.Cut(name, "/op="+op)
	if !ok {
		return false
	}
	if rest == "" || rest[0] == '/' {
		return true
	}
	if rest[0] == '-' {
		_, err := strconv.Atoi(rest[1:])
		return err == nil
	}
	return false
}

// LoadSides reads the two sides of a comparison, each a results folder or
// a plain bench.txt file, and compares them (see PairReport). When both
// are results folders, hostDiffs lists how their hosts differ (see
// host.Compare): differences may then be the hardware's, not the code's.
func LoadSides(a, b string, o Options) (rep *Report, hostDiffs []string, err error) {
	var sets [2]*Set
	var hosts [2]*host.Fingerprint
	for i, p := range []string{a, b} {
		if sets[i], hosts[i], err = loadSide(p); err != nil {
			return nil, nil, err
		}
	}
	if hosts[0] != nil && hosts[1] != nil {
		hostDiffs = host.Compare(*hosts[0], *hosts[1])
	}
	rep, err = PairReport(sets[0], sets[1], o)
	return rep, hostDiffs, err
}

// loadSide reads a results folder (with its host fingerprint) or a plain
// bench.txt file.
func loadSide(path string) (*Set, *host.Fingerprint, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	if !fi.IsDir() {
		s, err := LoadFiles(path)
		return s, nil, err
	}
	d, err := results.Open(path)
	if err != nil {
		return nil, nil, err
	}
	m, err := d.ReadManifest()
	if err != nil {
		return nil, nil, err
	}
	s, err := LoadResults(path)
	if err != nil {
		return nil, nil, err
	}
	return s, &m.Host, nil
}
