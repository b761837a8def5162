// Package export turns a run's results into what monitoring systems take:
// OpenMetrics text (gauges labelled by run and cell, for a Prometheus
// Pushgateway) or JSON, from a results folder (Read) — and, while harness
// run goes on, the same figures per cell from its latest run, plus
// progress, at a live /metrics endpoint (Live).
//
// export sits above results, which reads every file it exports (the
// manifest, each run's result.json, server.json and bench.txt), and host
// (the loopback rule of the live endpoint), and below cli. It reads
// folders and serves HTTP; it never runs anything.
package export

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/perfharness/harness/harness/escape"
	"github.com/perfharness/harness/harness/results"
)

// A Run is a run's figures, per cell: what monitoring wants of a results
// folder.
type Run struct {
	RunID    string         `json:"run_id"`
	Spec     string         `json:"spec"`
	Status   results.Status `json:"status"`
	HostID   string         `json:"host_id"`
	Started  string         `json:"started"`
	Cells    []Cell         `json:"cells"`
	Warnings []string       `json:"warnings,omitempty"`

	startUnix float64
}

// A Cell is one cell's figures: the median over its ok runs of each run's
// figure (or, live, the latest run's).
type Cell struct {
	ID       string                 `json:"id"`
	Workload string                 `json:"workload"`
	Op       string                 `json:"op,omitempty"`
	Kind     string                 `json:"kind"`
	Status   results.Status         `json:"status"`
	Config   []results.KV           `json:"config"`
	Runs     map[results.Status]int `json:"runs"`                 // by status
	Latency  map[string]float64     `json:"latency_ns,omitempty"` // by quantile: "0.5", "0.9", "0.99", "0.999", "1"
	// Throughput is achieved ops/s; Target the scheduled rate.
	Throughput float64 `json:"throughput_ops_per_s,omitempty"`
	Target     float64 `json:"target_ops_per_s,omitempty"`
	GCPauseP99 float64 `json:"gc_pause_p99_ns,omitempty"`
	PeakRSS    float64 `json:"peak_rss_B,omitempty"`
	// Bench holds every metric of the cell's bench.txt result lines.
	Bench []Figure `json:"bench,omitempty"`
}

// A Figure is one benchmark metric of a cell.
type Figure struct {
	Benchmark string  `json:"benchmark"`
	Unit      string  `json:"unit"`
	Value     float64 `json:"value"`
	N         int     `json:"n"`
}

// runFigures are the figures of one run, from its result.json (and, for
// http cells, the server's server.json) and bench.txt.
type runFigures struct {
	latency             map[string]float64
	throughput, target  float64
	gcPauseP99, peakRSS float64
	bench               map[[2]string]float64
}

func readRunFigures(dir string) (runFigures, error) {
	f := runFigures{bench: map[[2]string]float64{}}
	switch res, err := results.ReadDriverResult(dir); {
	case err == nil:
		f.throughput, f.target = res.AchievedRate, res.TargetRate
		if l := res.Latency; l.P50Ns > 0 {
			f.latency = map[string]float64{"0.5": float64(l.P50Ns), "0.9": float64(l.P90Ns), "0.99": float64(l.P99Ns),
				"0.999": float64(l.P999Ns), "1": float64(l.MaxNs)}
		}
		f.gcPauseP99, f.peakRSS = float64(res.Runtime.GCPauseP99Ns), float64(res.Runtime.PeakRSSB)
	case !errors.Is(err, fs.ErrNotExist):
		return f, err
	}
	// An http cell's server holds the runtime figures of the code under
	// test; the client's are the load generator's.
	if srv, err := results.ReadServerResult(dir); err == nil {
		f.gcPauseP99, f.peakRSS = float64(srv.Runtime.GCPauseP99Ns), float64(srv.Runtime.PeakRSSB)
	}
	if data, err := results.ReadFileIn(dir, results.BenchFile); err == nil {
		for _, l := range results.ParseBench(data) {
			if r := l.Result; r != nil {
				for _, m := range r.Metrics {
					f.bench[[2]string{strings.TrimPrefix(r.Name, "Benchmark"), m.Unit}] = m.Value
				}
			}
		}
	}
	return f, nil
}

// Read gathers a results folder's figures: per cell, the median over its
// ok runs. A run whose files do not read is left out with a warning.
func Read(path string, m *results.Manifest) *Run {
	ex := &Run{RunID: m.RunID, Spec: m.Name, Status: m.Status, HostID: m.Host.ID, Started: m.Started.UTC().Format("2006-01-02T15:04:05Z"),
		Cells: []Cell{}, startUnix: float64(m.Started.UnixNano()) / 1e9}
	for _, c := range m.Cells {
		ce := newCell(c)
		var figs []runFigures
		for _, r := range c.Runs {
			ce.Runs[r.Status]++
			if r.Status != results.StatusOK {
				continue
			}
			f, err := readRunFigures(filepath.Join(path, r.Dir))
			if err != nil {
				ex.Warnings = append(ex.Warnings, fmt.Sprintf("cell %s run %d: %v", c.ID, r.Index, err))
				continue
			}
			figs = append(figs, f)
		}
		ce.fill(figs)
		ex.Cells = append(ex.Cells, ce)
	}
	return ex
}

func newCell(c *results.Cell) Cell {
	return Cell{ID: c.ID, Workload: c.Workload, Op: c.Op, Kind: c.Kind, Status: c.Status,
		Config: slices.Clone(c.Config), Runs: map[results.Status]int{}}
}

// fill sets the cell's figures to the medians of figs.
func (ce *Cell) fill(figs []runFigures) {
	if len(figs) == 0 {
		return
	}
	med := func(get func(runFigures) (float64, bool)) (float64, bool) {
		var xs []float64
		for _, f := range figs {
			if v, ok := get(f); ok {
				xs = append(xs, v)
			}
		}
		return results.Median(xs), len(xs) > 0
	}
	for _, q := range quantiles {
		if v, ok := med(func(f runFigures) (float64, bool) { v, ok := f.latency[q]; return v, ok }); ok {
			if ce.Latency == nil {
				ce.Latency = map[string]float64{}
			}
			ce.Latency[q] = v
		}
	}
	nz := func(x float64) (float64, bool) { return x, x > 0 }
	ce.Throughput, _ = med(func(f runFigures) (float64, bool) { return nz(f.throughput) })
	ce.Target, _ = med(func(f runFigures) (float64, bool) { return nz(f.target) })
	ce.GCPauseP99, _ = med(func(f runFigures) (float64, bool) { return f.gcPauseP99, f.latency != nil })
	ce.PeakRSS, _ = med(func(f runFigures) (float64, bool) { return nz(f.peakRSS) })
	keys := map[[2]string]bool{}
	for _, f := range figs {
		for k := range f.bench {
			keys[k] = true
		}
	}
	var sorted [][2]string
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Slice(sorted, func(i, j int) bool {
		return sorted[i][0] < sorted[j][0] || sorted[i][0] == sorted[j][0] && sorted[i][1] < sorted[j][1]
	})
	for _, k := range sorted {
		n := 0
		v, _ := med(func(f runFigures) (float64, bool) {
			v, ok := f.bench[k]
			if ok {
				n++
			}
			return v, ok
		})
		ce.Bench = append(ce.Bench, Figure{Benchmark: k[0], Unit: k[1], Value: v, N: n})
	}
}

var quantiles = []string{"0.5", "0.9", "0.99", "0.999", "1"}

// cellLabels are a cell's labels: id, workload, op, kind, then its
// configuration keys made into label names.
func cellLabels(c Cell) [][2]string {
	l := [][2]string{{"cell", c.ID}, {"workload", c.Workload}}
	if c.Op != "" {
		l = append(l, [2]string{"op", c.Op})
	}
	l = append(l, [2]string{"kind", c.Kind})
	taken := map[string]bool{"run_id": true, "spec": true, "cell": true, "workload": true, "op": true, "kind": true,
		"status": true, "quantile": true, "benchmark": true, "unit": true, "host_id": true, "le": true}
	for _, kv := range c.Config {
		name := labelName(kv.Key)
		if taken[name] || kv.Value == "" {
			continue
		}
		taken[name] = true
		l = append(l, [2]string{name, kv.Value})
	}
	return l
}

// labelName makes a configuration key a valid label name:
// [a-zA-Z_][a-zA-Z0-9_]*, not starting with the reserved "__".
func labelName(key string) string {
	var b strings.Builder
	for i, r := range key {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '_', r >= '0' && r <= '9' && i > 0:
			b.WriteRune(r)
		case r >= '0' && r <= '9':
			b.WriteString("_" + string(r))
		default:
			b.WriteByte('_')
		}
	}
	s := b.String()
	for strings.HasPrefix(s, "__") {
		s = s[1:]
	}
	if s == "" || s == "_" {
		return "config"
	}
	return s
}

// labelString renders {a="x",b="y"} with values escaped as both formats
// require: backslash, double quote and line feed.
func labelString(labels [][2]string) string {
	if len(labels) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, l := range labels {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(l[0])
		b.WriteString(`="`)
		b.WriteString(escapeLabel(l[1]))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

// escapeLabel writes a label value in the exposition format; control
// characters become visible escapes first (\u001b, read back literally), so
// the file is as safe to show as any text the harness writes.
func escapeLabel(s string) string { return labelEscaper.Replace(escape.Text(s)) }

var helpEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`)

func escapeHelp(s string) string { return helpEscaper.Replace(s) }

func formatMetricValue(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
