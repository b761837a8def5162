package export

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"

	"github.com/perfharness/harness/harness/results"
)

// progress is the progress of a run in flight, for the live endpoint.
type progress struct {
	Done, Total int
	Elapsed     float64 // seconds
}

// RunLabels are the labels of the run itself: they are on harness_run_info,
// and on every series only when Options.Labels names them.
var RunLabels = []string{"run_id", "spec", "host_id"}

// Options shape the OpenMetrics text.
type Options struct {
	// Labels are run labels (RunLabels) to put on every series too, e.g.
	// run_id to tell runs apart in one Pushgateway group. By default they
	// are only on harness_run_info: a run id on every series makes a new
	// series per run, which Prometheus keeps for its whole retention.
	Labels []string
	// InfoType writes harness_run_info as OpenMetrics' info type (for a
	// scraper that asked for OpenMetrics), not as a gauge.
	InfoType bool
}

// Validate refuses a label that is not a run label.
func (o Options) Validate() error {
	for _, l := range o.Labels {
		if !slices.Contains(RunLabels, l) {
			return fmt.Errorf("label %q: want one of %s", l, strings.Join(RunLabels, ", "))
		}
	}
	return nil
}

// WriteOpenMetrics writes r as OpenMetrics text that is also Prometheus
// text format 0.0.4 (what promtool, a Pushgateway and a scrape without
// OpenMetrics read): see writeOpenMetrics.
func (r *Run) WriteOpenMetrics(w io.Writer, o Options) error {
	return writeOpenMetrics(w, r, nil, o)
}

// A family is one metric family: its name, type, unit (a suffix of the
// name, or ""), help and samples.
type family struct {
	name, typ, unit, help string
	samples               []sample
}

type sample struct {
	labels string
	value  float64
}

// writeOpenMetrics writes the run's families in the text format both
// OpenMetrics 1.0 and Prometheus 0.0.4 read, and that promtool's linter
// accepts:
//
//   - harness_run_info first (target metadata, as OpenMetrics asks), value
//     1, labelled with the run id, spec, host and status; the other
//     series carry only what tells them apart (the cell's labels) unless
//     o.Labels asks for run labels on every series;
//   - latency quantiles as a summary family (quantile labels in their
//     canonical form, "1.0" being the maximum), every other figure a gauge;
//   - names in snake case ending in their base unit (seconds, bytes), with a
//     UNIT line; benchmark metrics a family per unit, converted to base
//     units (ns/op becomes harness_benchmark_seconds_per_op);
//   - no family name ending in a suffix OpenMetrics gives another type
//     (_total, _count, _sum, _bucket, _created, _info but for the info
//     metric), and the closing "# EOF".
//
// Note: the info metric is a gauge named harness_run_info unless
// o.InfoType: the Prometheus text format has no info type, and it is the
// format the Pushgateway and promtool read; a gauge of value 1 named _info
// is that format's convention for it.
func writeOpenMetrics(w io.Writer, ex *Run, live *progress, o Options) error {
	var fams []*family
	fam := func(name, typ, unit, help string) *family {
		f := &family{name: name, typ: typ, unit: unit, help: help}
		fams = append(fams, f)
		return f
	}
	runLabels := map[string]string{"run_id": ex.RunID, "spec": ex.Spec, "host_id": ex.HostID}
	var common [][2]string
	for _, l := range RunLabels {
		if slices.Contains(o.Labels, l) {
			common = append(common, [2]string{l, runLabels[l]})
		}
	}
	info := fam("harness_run_info", "gauge", "", "The run: its id, spec, host and status (value 1).")
	if o.InfoType {
		info.name, info.typ = "harness_run", "info"
	}
	var il [][2]string
	for _, l := range RunLabels {
		il = append(il, [2]string{l, runLabels[l]})
	}
	info.samples = []sample{{labelString(append(il, [2]string{"status", string(ex.Status)})), 1}}
	fam("harness_run_start_time_seconds", "gauge", "seconds", "When the run started (Unix time).").samples = []sample{{labelString(common), ex.startUnix}}
	if live != nil {
		fam("harness_progress_runs_done", "gauge", "", "Runs finished so far.").samples = []sample{{labelString(common), float64(live.Done)}}
		fam("harness_progress_runs_scheduled", "gauge", "", "Runs the schedule holds.").samples = []sample{{labelString(common), float64(live.Total)}}
		fam("harness_progress_elapsed_seconds", "gauge", "seconds", "Time since the run started.").samples = []sample{{labelString(common), live.Elapsed}}
	}
	runs := fam("harness_cell_runs", "gauge", "", "Runs of a cell by status.")
	lat := fam("harness_latency_seconds", "summary", "seconds", "Latency from intended start at each quantile (1.0 is the maximum) in the measured window: the median over the cell's ok runs, or the latest run's when live.")
	thr := fam("harness_throughput_ops_per_second", "gauge", "", "Achieved operation rate.")
	tgt := fam("harness_target_rate_ops_per_second", "gauge", "", "Target operation rate.")
	gcp := fam("harness_gc_pause_p99_seconds", "gauge", "seconds", "GC pause P99 in the measured window.")
	rss := fam("harness_peak_rss_bytes", "gauge", "bytes", "Peak resident set size in the measured window.")
	type benchSample struct {
		labels [][2]string
		unit   string
		value  float64
	}
	bench := map[string]*family{}
	benchSamples := map[string][]benchSample{}
	benchUnits := map[string]map[string]bool{} // family name -> units it holds
	var benchOrder []string
	for _, c := range ex.Cells {
		cl := append(slices.Clone(common), cellLabels(c)...)
		statuses := make([]results.Status, 0, len(c.Runs))
		for s := range c.Runs {
			statuses = append(statuses, s)
		}
		slices.Sort(statuses)
		for _, s := range statuses {
			runs.samples = append(runs.samples, sample{labelString(append(slices.Clone(cl), [2]string{"status", string(s)})), float64(c.Runs[s])})
		}
		for _, q := range quantiles {
			if v, ok := c.Latency[q]; ok {
				lat.samples = append(lat.samples, sample{labelString(append(slices.Clone(cl), [2]string{"quantile", canonicalQuantile(q)})), v / 1e9})
			}
		}
		if c.Throughput > 0 {
			thr.samples = append(thr.samples, sample{labelString(cl), c.Throughput})
		}
		if c.Target > 0 {
			tgt.samples = append(tgt.samples, sample{labelString(cl), c.Target})
		}
		if c.Latency != nil {
			gcp.samples = append(gcp.samples, sample{labelString(cl), c.GCPauseP99 / 1e9})
		}
		if c.PeakRSS > 0 {
			rss.samples = append(rss.samples, sample{labelString(cl), c.PeakRSS})
		}
		for _, b := range c.Bench {
			name, unit, mul, div := benchmarkFamily(b.Unit)
			if bench[name] == nil {
				benchUnits[name] = map[string]bool{}
				benchOrder = append(benchOrder, name)
				bench[name] = &family{name: name, typ: "gauge", unit: unit,
					help: fmt.Sprintf("The cell's benchmark metric %s, in base units.", b.Unit)}
			}
			benchUnits[name][b.Unit] = true
			benchSamples[name] = append(benchSamples[name], benchSample{append(slices.Clone(cl), [2]string{"benchmark", b.Benchmark}), b.Unit, b.Value * mul / div})
		}
	}
	slices.Sort(benchOrder)
	for _, name := range benchOrder {
		f := bench[name]
		// Units that make the same name (p99-sec, p99_sec) share the
		// family, told apart by a unit label.
		several := len(benchUnits[name]) > 1
		if several {
			f.help = "The cell's benchmark metrics whose units make this name, in base units; the unit label tells them apart."
		}
		for _, s := range benchSamples[name] {
			ls := s.labels
			if several {
				ls = append(ls, [2]string{"unit", s.unit})
			}
			f.samples = append(f.samples, sample{labelString(ls), s.value})
		}
		fams = append(fams, f)
	}
	bw := bufio.NewWriter(w)
	for _, f := range fams {
		if len(f.samples) == 0 {
			continue
		}
		fmt.Fprintf(bw, "# HELP %s %s\n# TYPE %s %s\n", f.name, escapeHelp(f.help), f.name, f.typ)
		if f.unit != "" {
			fmt.Fprintf(bw, "# UNIT %s %s\n", f.name, f.unit)
		}
		sampleName := f.name
		if f.typ == "info" {
			sampleName += "_info"
		}
		for _, s := range f.samples {
			fmt.Fprintf(bw, "%s%s %s\n", sampleName, s.labels, formatMetricValue(s.value))
		}
	}
	bw.WriteString("# EOF\n")
	return bw.Flush()
}

// canonicalQuantile renders a quantile as OpenMetrics' canonical numbers
// do: Go's %g with ".0" when there is no point or exponent ("1.0").
func canonicalQuantile(q string) string {
	if strings.ContainsAny(q, ".e") {
		return q
	}
	return q + ".0"
}

// benchmarkFamily names the family of a benchmark unit the way OpenMetrics
// names metrics: snake case, time in seconds and sizes in bytes, "/" as
// "_per_" ("ns/op" → harness_benchmark_seconds_per_op, "p99.9-ns" →
// harness_benchmark_p99_9_seconds, "MB/s" → harness_benchmark_bytes_per_second,
// "allocs/op" → harness_benchmark_allocs_per_op); a value converts to it
// as value × mul / div, and unit is the base unit the name ends in
// ("seconds", "bytes" or ""). Words are runs of letters and digits; a '/'
// starts the denominator and a '*' ends it, as in benchfmt's units.
func benchmarkFamily(u string) (name, unit string, mul, div float64) {
	mul, div = 1, 1
	var num, den []string
	denom := false
	var word []rune
	flush := func() {
		if len(word) == 0 {
			return
		}
		w, m, d := unitWord(string(word), denom)
		word = word[:0]
		if denom {
			mul, div = mul*d, div*m
			den = append(den, w)
		} else {
			mul, div = mul*m, div*d
			num = append(num, w)
		}
	}
	for _, r := range u {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			word = append(word, r)
			continue
		case r == '/':
			flush()
			denom = true
		case r == '*':
			flush()
			denom = false
		default:
			flush()
		}
	}
	flush()
	n := strings.Join(num, "_")
	if len(den) > 0 {
		n += "_per_" + strings.Join(den, "_")
	}
	n = strings.Trim(squeezeUnderscores(n), "_")
	if n == "" {
		n = "value"
	}
	name = "harness_benchmark_" + n
	switch {
	case strings.HasSuffix(name, "_seconds"):
		unit = "seconds"
	case strings.HasSuffix(name, "_bytes"):
		unit = "bytes"
	}
	for _, suffix := range reservedSuffixes {
		if strings.HasSuffix(name, suffix) {
			name += "_value"
			unit = ""
			break
		}
	}
	return name, unit, mul, div
}

// reservedSuffixes are the sample name suffixes OpenMetrics gives types
// other than gauge.
var reservedSuffixes = []string{"_total", "_created", "_count", "_sum", "_bucket", "_gcount", "_gsum", "_info"}

// unitWord is a unit's word as a name word, with the factor to base units
// (value × mul / div): times become seconds ("second" in a denominator),
// sizes bytes; any other word is lower-cased to [a-z0-9_]. A word that
// names a metric type gets an "s" (a gauge named ..._counter reads as a
// counter), and an abbreviation left over "unit" (names spell units out:
// "m" may be minutes or metres).
func unitWord(w string, denom bool) (word string, mul, div float64) {
	if d, ok := timeWords[w]; ok {
		if denom {
			return "second", 1, d
		}
		return "seconds", 1, d
	}
	if m, ok := sizeWords[w]; ok {
		if denom {
			return "byte", m, 1
		}
		return "bytes", m, 1
	}
	var b strings.Builder
	for _, r := range strings.ToLower(w) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	word = b.String()
	switch word {
	case "counter", "gauge", "summary", "histogram":
		word += "s"
	case "s", "ms", "us", "ns", "sec", "b", "kb", "mb", "gb", "tb", "pb", "m", "h", "d":
		// promtool flags the word wherever it stands alone.
		word += "unit"
	}
	return word, 1, 1
}

// timeWords divide a value into seconds; sizeWords multiply it into bytes.
var (
	timeWords = map[string]float64{"ns": 1e9, "us": 1e6, "µs": 1e6, "μs": 1e6, "ms": 1e3, "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
		"min": 1.0 / 60, "h": 1.0 / 3600, "hour": 1.0 / 3600, "hours": 1.0 / 3600}
	sizeWords = map[string]float64{"B": 1, "byte": 1, "bytes": 1, "kB": 1e3, "KB": 1e3, "MB": 1e6, "GB": 1e9, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}
)

func squeezeUnderscores(s string) string {
	for strings.Contains(s, "__") {
		s = strings.ReplaceAll(s, "__", "_")
	}
	return s
}
