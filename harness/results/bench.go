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

// A BenchFile is what a run folder holds in benchfmt: the result and unit
// lines a workload (or a go test binary) wrote. File-level configuration
// lines are dropped: the harness leads each cell's block with its own.
const runBenchFile = "bench.txt"

// AssembleBench rewrites the folder's combined bench.txt from the run
// folders: host lines first, then for every cell its configuration lines and
// the results of its ok runs, then its build metrics. Runs that missed their
// rate, crashed or timed out are left out of the statistics (the manifest and
// the report show them); nothing is averaged in silently.
func AssembleBench(d *Dir, m *Manifest) error {
	var b bytes.Buffer
	// Every value comes from the manifest, which a merged shard or a
	// folder from elsewhere may have written: each stays on its line, so
	// none can add a configuration or a result line.
	fmt.Fprintf(&b, "goos: %s\ngoarch: %s\n", oneLine(m.Host.OS), oneLine(m.Host.Arch))
	if m.Host.Brand != "" {
		fmt.Fprintf(&b, "cpu: %s\n", oneLine(m.Host.Brand))
	}
	fmt.Fprintf(&b, "host-id: %s\n", oneLine(m.Host.ID))
	if m.Host.GOAMD64 != "" {
		fmt.Fprintf(&b, "host-goamd64: %s\n", oneLine(m.Host.GOAMD64))
	}
	fmt.Fprintf(&b, "harness-run: %s\n", SafeName(m.RunID))
	builds := map[string]*Build{}
	for _, bd := range m.Builds {
		builds[bd.Key] = bd
	}
	units := map[string]bool{}
	var prevKeys []string
	for _, c := range m.Cells {
		var body bytes.Buffer
		for _, r := range c.ValidRuns() {
			data, err := d.ReadFile(filepath.Join(r.Dir, runBenchFile))
			if err != nil {
				return fmt.Errorf("cell %s run %d: %w", c.ID, r.Index, err)
			}
			writeResultLines(&body, data, units)
		}
		bd := builds[c.Build]
		if body.Len() == 0 && (bd == nil || bd.Status != StatusOK) {
			continue
		}
		b.WriteString("\n")
		// Configuration persists until changed: clear the keys of the
		// previous block that this cell does not have (rate, for a go test
		// cell after a fixed-rate one), then set this cell's.
		keys := make([]string, len(c.Config))
		for i, kv := range c.Config {
			keys[i] = configKey(kv.Key)
		}
		for _, k := range prevKeys {
			if !slices.Contains(keys, k) {
				fmt.Fprintf(&b, "%s:\n", k)
			}
		}
		prevKeys = keys
		for i, kv := range c.Config {
			fmt.Fprintf(&b, "%s: %s\n", keys[i], oneLine(kv.Value))
		}
		b.Write(body.Bytes())
		if bd != nil && bd.Status == StatusOK {
			// One build line per cell: the same binary may serve several
			// cells, and each cell's table should show what it ran.
			b.WriteString(tidyZeros(fmt.Sprintf("BenchmarkBuild/workload=%s 1 %d build-ns %d binary-B", SafeName(c.Workload), bd.BuildNs, bd.SizeB)) + "\n")
		}
	}
	m.BenchSHA256 = SHA256(b.Bytes())
	return d.WriteFile(BenchFile, b.Bytes())
}

// writeResultLines copies benchmark result lines (zeros in their tidy
// unit, see tidyZeros) and unit metadata lines, dropping configuration
// lines, test chatter and anything malformed, and each unit line after its
// first appearance.
func writeResultLines(w *bytes.Buffer, data []byte, units map[string]bool) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		switch {
		case strings.HasPrefix(line, "Benchmark"):
			if validResultLine(line) {
				w.WriteString(tidyZeros(line) + "\n")
			}
		case strings.HasPrefix(line, "Unit "):
			if !units[line] {
				units[line] = true
				w.WriteString(line + "\n")
			}
		}
	}
}

// validResultLine checks the shape benchfmt requires: a name, an iteration
// count, then value-unit pairs of finite numbers.
func validResultLine(line string) bool {
	f := strings.Fields(line)
	if len(f) < 4 || len(f)%2 != 0 {
		return false
	}
	if n, err := strconv.ParseInt(f[1], 10, 64); err != nil || n < 0 {
		return false
	}
	for i := 2; i < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil || v != v || v > 1e300 || v < -1e300 {
			return false
		}
	}
	return true
}

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

// oneLine keeps a configuration value on one line.
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

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
