package driver

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Run statuses. Besides ok and failed, each says why the run's figures
// cannot be trusted, most serious first when several apply.
const (
	StatusOK = "ok"
	// StatusRateNotAchieved: the achieved rate fell short of the target
	// beyond the tolerance, the backlog bound was reached, or the run was
	// interrupted.
	StatusRateNotAchieved = "rate-not-achieved"
	// StatusHostContended: the machine withheld CPU from the process, or
	// a hypervisor stole it, beyond the limits.
	StatusHostContended = "host-contended"
	// StatusGeneratorLagged: the generator's own delay is a material part
	// of the latency figures.
	StatusGeneratorLagged = "generator-lagged"
	StatusFailed          = "failed"
)

// invalidRank orders the statuses of invalid runs, most serious first.
var invalidRank = map[string]int{StatusRateNotAchieved: 1, StatusHostContended: 2, StatusGeneratorLagged: 3}

// FormatVersion is the version of result.json's layout.
const FormatVersion = 1

// A Result is what one run measured, written as result.json. Latencies are
// nanoseconds; the window is the measured part of the run (warm-up excluded).
type Result struct {
	Format      int    `json:"format"`
	Name        string `json:"name"`
	Op          string `json:"op"`
	Status      string `json:"status"`
	Reason      string `json:"reason"`
	Interrupted bool   `json:"interrupted"`

	GoVersion     string            `json:"go_version"`
	GOOS          string            `json:"goos"`
	GOARCH        string            `json:"goarch"`
	GoExperiment  string            `json:"goexperiment"`
	BuildSettings map[string]string `json:"build_settings"`
	GoDebug       string            `json:"godebug"`
	Env           map[string]string `json:"env"`
	GOMAXPROCS    int               `json:"gomaxprocs"`

	Schedule string `json:"schedule"`
	// Generator is set when the schedule was split over processes:
	// this one played its share, and Merge adds the shares up.
	Generator *GeneratorInfo `json:"generator,omitempty"`
	// MergedFrom is set on a result Merge made: the generators' folders, by
	// index (relative to the merged folder when inside it).
	MergedFrom []string `json:"merged_from,omitempty"`
	// Iterations is set in iterations mode: the closed-loop calls asked for.
	Iterations   uint64            `json:"iterations,omitempty"`
	TargetRate   float64           `json:"target_rate"`
	AchievedRate float64           `json:"achieved_rate"`
	WarmupNs     int64             `json:"warmup_ns"`
	DurationNs   int64             `json:"duration_ns"`
	ElapsedNs    int64             `json:"elapsed_ns"`
	Concurrency  int               `json:"concurrency"`
	Seed         int64             `json:"seed"`
	Params       map[string]string `json:"params"`

	Scheduled uint64 `json:"scheduled"`
	Issued    uint64 `json:"issued"`
	Completed uint64 `json:"completed"`
	Errors    uint64 `json:"errors"`
	// BacklogPeak is the most ops due but not started at once;
	// BacklogLimit the bound that stops the run (-max-backlog).
	BacklogPeak  uint64 `json:"backlog_max"`
	BacklogLimit uint64 `json:"max_backlog"`

	Latency       Summary      `json:"latency"`
	LatencyActual Summary      `json:"latency_actual"`
	Lag           Summary      `json:"lag"`
	Histogram     HistInfo     `json:"histogram"`
	Runtime       RuntimeStats `json:"runtime"`
	Contention    Contention   `json:"contention"`
	HostProbe     HostProbe    `json:"host_probe"`
	OpReport      any          `json:"op_report,omitempty"`

	// LagDominated are the bench.txt units of the figures left out of
	// bench.txt because the generator's lag is a material part of them
	// (a tail percentile, the mean); the warning says by how much.
	LagDominated []string `json:"lag_dominated,omitempty"`

	Files    []string `json:"files"`
	Warnings []string `json:"warnings"`
	Started  string   `json:"started"`
	Finished string   `json:"finished"`
}

// A GeneratorInfo says which share of a split schedule a run played.
type GeneratorInfo struct {
	Index   int    `json:"index"`
	Count   int    `json:"count"`
	StartAt string `json:"start_at,omitempty"` // RFC 3339, when -start-at was given
}

// HistInfo describes the histograms behind the latency figures and the
// interval log.
type HistInfo struct {
	Unit       string   `json:"unit"`
	LowestNs   int64    `json:"lowest_ns"`
	HighestNs  int64    `json:"highest_ns"`
	SigFigs    int      `json:"significant_digits"`
	IntervalNs int64    `json:"interval_ns"`
	Tags       []string `json:"tags"`
}

func newResult(cfg *Config) *Result {
	r := &Result{
		Format:        FormatVersion,
		Name:          cfg.Name,
		Op:            cfg.Op,
		GoVersion:     runtime.Version(),
		GOOS:          runtime.GOOS,
		GOARCH:        runtime.GOARCH,
		BuildSettings: map[string]string{},
		GoDebug:       os.Getenv("GODEBUG"),
		Env:           map[string]string{},
		GOMAXPROCS:    runtime.GOMAXPROCS(0),
		WarmupNs:      int64(cfg.Warmup),
		DurationNs:    int64(cfg.Duration),
		Concurrency:   cfg.Concurrency,
		Seed:          cfg.Seed,
		Params:        cfg.Params,
		BacklogLimit:  cfg.BacklogLimit,
		Histogram: HistInfo{
			Unit: "ns", LowestNs: histLowest, HighestNs: histHighest, SigFigs: histSigFigs,
			IntervalNs: int64(intervalFor(cfg.Duration)), Tags: seriesTags[:],
		},
		Files:    []string{},
		Warnings: []string{},
		Started:  time.Now().Format(time.RFC3339Nano),
	}
	if r.Params == nil {
		r.Params = map[string]string{}
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			r.BuildSettings[s.Key] = s.Value
			if s.Key == "GOEXPERIMENT" {
				r.GoExperiment = s.Value
			}
		}
	}
	for _, k := range []string{"GOGC", "GOMEMLIMIT", "GOMAXPROCS", "GOAMD64", "LD_PRELOAD"} {
		if v, ok := os.LookupEnv(k); ok {
			r.Env[k] = v
		}
	}
	return r
}

func (r *Result) warn(format string, args ...any) {
	r.Warnings = append(r.Warnings, fmt.Sprintf(format, args...))
}

// fail marks the result failed with reason.
func (r *Result) fail(reason string) {
	r.Status, r.Reason = StatusFailed, reason
}

// notAchieved marks the result rate-not-achieved (unless failed), adding why.
func (r *Result) notAchieved(why string) { r.invalid(StatusRateNotAchieved, why) }

// invalid adds why to the reason and sets status unless the result is
// failed or already has a more serious status.
func (r *Result) invalid(status, why string) {
	if r.Status == StatusFailed {
		return
	}
	if rank, ok := invalidRank[r.Status]; !ok || invalidRank[status] < rank {
		r.Status = status
	}
	if r.Reason != "" {
		r.Reason += "; "
	}
	r.Reason += why
}

func (r *Result) writeJSON(dir string) error {
	r.Finished = time.Now().Format(time.RFC3339Nano)
	r.Files = append(r.Files, "result.json")
	sort.Strings(r.Files)
	return writeFileAtomic(dir+"/result.json", func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	})
}

// BenchName is the benchfmt name of a run: Benchmark, the workload name with
// its first letter upper-cased, "/op=" and the op, and "-GOMAXPROCS" unless
// that is 1, as go test does.
func BenchName(name, op string, gomaxprocs int) string {
	clean := func(s string) string {
		return strings.Map(func(c rune) rune {
			if unicode.IsSpace(c) {
				return '_'
			}
			return c
		}, s)
	}
	name = clean(name)
	if c, n := utf8.DecodeRuneInString(name); n > 0 {
		name = string(unicode.ToUpper(c)) + name[n:]
	}
	s := "Benchmark" + name + "/op=" + clean(op)
	if gomaxprocs != 1 {
		s += fmt.Sprintf("-%d", gomaxprocs)
	}
	return s
}

// benchUnits are the metadata lines of bench.txt: which direction is better
// for units benchstat does not know. Latency units are noisy, so assume
// nothing about their distribution (benchstat's default, stated explicitly).
var benchUnits = []string{
	"Unit ops/s better=higher assume=nothing",
	"Unit p50-ns better=lower assume=nothing",
	"Unit p90-ns better=lower assume=nothing",
	"Unit p99-ns better=lower assume=nothing",
	"Unit p99.9-ns better=lower assume=nothing",
	"Unit max-ns better=lower assume=nothing",
	"Unit lag-p99-ns better=lower assume=nothing",
	"Unit gc-pause-p99-ns better=lower assume=nothing",
	"Unit peak-rss-B better=lower assume=nothing",
	"Unit errors better=lower assume=nothing",
	"Unit host-probe-ns better=lower assume=nothing",
}

// writeBench writes bench.txt: unit metadata and one result line, and no
// file configuration (the harness adds that per cell).
func (r *Result) writeBench(w io.Writer) error {
	for _, u := range benchUnits {
		if _, err := fmt.Fprintln(w, u); err != nil {
			return err
		}
	}
	if r.Completed == 0 {
		return nil // benchfmt needs at least one iteration
	}
	n := float64(r.Completed)
	metrics := []struct {
		v    float64
		unit string
	}{
		{r.Latency.MeanNs, "ns/op"},
		{float64(r.Latency.P50Ns), "p50-ns"},
		{float64(r.Latency.P90Ns), "p90-ns"},
		{float64(r.Latency.P99Ns), "p99-ns"},
		{float64(r.Latency.P999Ns), "p99.9-ns"},
		{float64(r.Latency.MaxNs), "max-ns"},
		{r.AchievedRate, "ops/s"},
		{float64(r.Lag.P99Ns), "lag-p99-ns"},
		{float64(r.Runtime.GCPauseP99Ns), "gc-pause-p99-ns"},
		{float64(r.Runtime.PeakRSSB), "peak-rss-B"},
		{float64(r.Runtime.AllocObjects) / n, "allocs/op"},
		{float64(r.Runtime.AllocB) / n, "B/op"},
		{float64(r.Errors), "errors"},
	}
	if r.HostProbe.Count >= MinProbes {
		metrics = append(metrics, struct {
			v    float64
			unit string
		}{float64(r.HostProbe.P50Ns), HostProbeUnit})
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s\t%d", BenchName(r.Name, r.Op, r.GOMAXPROCS), r.Completed)
	for _, m := range metrics {
		if slices.Contains(r.LagDominated, m.unit) {
			continue
		}
		fmt.Fprintf(&b, "\t%s %s", fmtMetric(m.v), m.unit)
	}
	b.WriteByte('\n')
	_, err := io.WriteString(w, b.String())
	return err
}

func fmtMetric(v float64) string {
	if v == float64(int64(v)) {
		return fmt.Sprintf("%d", int64(v))
	}
	return fmt.Sprintf("%.7g", v)
}

// writeIterationsBench writes bench.txt in iterations mode: one result line
// with the loop's closed-loop ns/op, the allocations per call and the
// errors. There are no latency percentiles: the loop reads no clock between
// calls.
func (r *Result) writeIterationsBench(w io.Writer) error {
	if _, err := fmt.Fprintln(w, "Unit errors better=lower assume=nothing"); err != nil {
		return err
	}
	if r.Completed == 0 {
		return nil
	}
	n := float64(r.Completed)
	_, err := fmt.Fprintf(w, "%s\t%d\t%s ns/op\t%s allocs/op\t%s B/op\t%d errors\n",
		BenchName(r.Name, r.Op, r.GOMAXPROCS), r.Completed, fmtMetric(r.nsPerCall()),
		fmtMetric(float64(r.Runtime.AllocObjects)/n), fmtMetric(float64(r.Runtime.AllocB)/n), r.Errors)
	return err
}

// nsPerCall is the closed-loop wall time per call in iterations mode.
func (r *Result) nsPerCall() float64 {
	if r.Completed == 0 {
		return 0
	}
	return float64(r.ElapsedNs) / float64(r.Completed)
}
