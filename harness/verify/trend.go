package verify

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/perfharness/harness/harness/compare"
	"github.com/perfharness/harness/harness/gate"
	"github.com/perfharness/harness/harness/report"
	"github.com/perfharness/harness/harness/results"
)

// TrendOptions say which stored runs a trend follows and where it goes.
type TrendOptions struct {
	// Sources are results folders of runs, or folders holding them.
	Sources []string
	// Spec and Host choose the runs (default: the newest run's); Last
	// keeps the most recent runs (0: all).
	Spec, Host string
	Last       int
	// Segment is the fewest runs with data on each side of a change
	// point (gate.DefaultSegment when 0).
	Segment int
	// Metrics are the metrics trend.md shows (default: the gated ones).
	Metrics   []string
	Out       string // folder for trend.md, trend.csv, trend.json and plots/
	Overrides Overrides
	Log       func(string)
}

// A TrendResult is what Trend wrote.
type TrendResult struct {
	*gate.TrendReport
	Files []string // trend.md, trend.csv, trend.json
	Plots int      // in Out/plots
}

// Trend renders the history of a spec's benchmarks across stored runs, from
// their results folders alone: trend.md (a summary table with a sparkline
// per series, then per-series tables where something happened), trend.csv
// (every point), trend.json and a plot per series shown. Sources that do
// not read and histories that are empty are InputErrors.
// Validate checks the options a command line sets, every problem at once:
// the history's length and segment, and the policy overrides against the
// ranges the gate's own settings have.
func (o TrendOptions) Validate() error {
	var errs []error
	if o.Last < 0 {
		errs = append(errs, fmt.Errorf("--last must be >= 0, 0 for every run (got %d)", o.Last))
	}
	if o.Segment < 0 {
		errs = append(errs, fmt.Errorf("--segment must be at least 1 (got %d)", o.Segment))
	}
	return errors.Join(append(errs, o.Overrides.Validate())...)
}

func Trend(o TrendOptions) (*TrendResult, error) {
	stored, err := storedRuns(o.Sources, o.Log)
	if err != nil {
		return nil, &InputError{Err: err}
	}
	history, skipped := gate.SelectHistory(stored, o.Spec, o.Host, o.Last)
	if len(history) == 0 {
		return nil, inputErrorf("no run of spec %q on host %q among %d stored runs", o.Spec, o.Host, len(stored))
	}
	pol, err := o.Overrides.Policy(history[len(history)-1].Manifest)
	if err != nil {
		return nil, &InputError{Err: err}
	}
	var runs []gate.TrendRun
	for _, s := range history {
		set, err := compare.LoadResults(s.Path)
		if err != nil {
			// A run that recorded nothing is a gap in every series, not
			// an error: the history must still render.
			logf(o.Log, "warning: %s: %v", s.Path, err)
			if set = emptySet(s.Manifest); set == nil {
				continue
			}
		}
		runs = append(runs, gate.TrendRun{Path: s.Path, Manifest: s.Manifest, Set: set})
	}
	tr, err := gate.Trend(runs, pol, cmp.Or(o.Segment, gate.DefaultSegment))
	if err != nil {
		return nil, err
	}
	tr.Skipped = append(tr.Skipped, skipped...)
	return writeTrend(tr, o)
}

// storedRuns reads the runs of each source, a run's folder or a folder of
// runs, once each (a run given twice: history and tonight's).
func storedRuns(sources []string, log func(string)) ([]results.Stored, error) {
	var stored []results.Stored
	for _, p := range sources {
		if _, err := os.Stat(filepath.Join(p, results.ManifestFile)); err == nil {
			st, err := results.Find(p, filepath.Dir(p))
			if err != nil {
				return nil, err
			}
			stored = append(stored, st)
			continue
		}
		found, warnings, err := results.List(p)
		if err != nil {
			return nil, err
		}
		for _, w := range warnings {
			logf(log, "warning: %s", w)
		}
		stored = append(stored, found...)
	}
	seen := map[string]bool{}
	stored = slices.DeleteFunc(stored, func(s results.Stored) bool {
		dup := seen[s.Manifest.RunID]
		seen[s.Manifest.RunID] = true
		return dup
	})
	if len(stored) == 0 {
		return nil, fmt.Errorf("no stored runs in %s", strings.Join(sources, ", "))
	}
	return stored, nil
}

// writeTrend renders the trend's files and plots into o.Out.
func writeTrend(tr *gate.TrendReport, o TrendOptions) (*TrendResult, error) {
	var md, csv bytes.Buffer
	if err := tr.WriteMarkdown(&md, o.Metrics, 0); err != nil {
		return nil, err
	}
	if err := tr.WriteCSV(&csv); err != nil {
		return nil, err
	}
	js, err := json.MarshalIndent(tr, "", "  ")
	if err != nil {
		return nil, err
	}
	// One plot per series shown: median and band per run, gaps, change points.
	plots, err := report.TrendPlots(trendStarts(tr), trendSeries(tr.Shown(o.Metrics)), true)
	if err != nil {
		return nil, fmt.Errorf("plotting the trend: %w", err)
	}
	pngs := map[string][]byte{}
	if len(plots) > 0 {
		fmt.Fprintf(&md, "\n## Plots\n\n")
	}
	for _, p := range plots {
		pngs[p.Name+".png"] = p.PNG
		fmt.Fprintf(&md, "![%s](plots/%s.png)\n\n%s\n\n", compare.MarkdownEscape(p.Title), p.Name, compare.MarkdownEscape(p.Caption))
	}
	plotDir := filepath.Join(o.Out, "plots")
	os.RemoveAll(plotDir) // plots of an earlier trend that may no longer apply
	files := map[string][]byte{"trend.md": md.Bytes(), "trend.csv": csv.Bytes(), "trend.json": append(js, '\n')}
	if err := errors.Join(results.WriteInto(plotDir, pngs), results.WriteInto(o.Out, files)); err != nil {
		return nil, fmt.Errorf("writing the trend: %w", err)
	}
	return &TrendResult{TrendReport: tr, Plots: len(plots),
		Files: []string{filepath.Join(o.Out, "trend.md"), filepath.Join(o.Out, "trend.csv"), filepath.Join(o.Out, "trend.json")}}, nil
}

func trendStarts(tr *gate.TrendReport) []time.Time {
	var out []time.Time
	for _, r := range tr.Runs {
		out = append(out, r.Started)
	}
	return out
}

// trendSeries is what the plots show of the gate's series.
func trendSeries(series []*gate.Series) []report.TrendSeries {
	var out []report.TrendSeries
	for _, s := range series {
		ts := report.TrendSeries{Benchmark: s.Benchmark, Unit: s.Unit, Config: s.Config}
		for _, p := range s.Points {
			tp := report.TrendPoint{Gap: p.Gap != "", Change: p.Change, Center: math.NaN()}
			if p.Stat != nil {
				tp.Data, tp.Center, tp.Lo, tp.Hi = true, float64(p.Stat.Center), float64(p.Stat.Lo), float64(p.Stat.Hi)
			}
			ts.Points = append(ts.Points, tp)
		}
		out = append(out, ts)
	}
	return out
}

// emptySet stands for a run with no results: a bench.txt with its run key
// only, so every series shows a gap there.
func emptySet(m *results.Manifest) *compare.Set {
	set, err := compare.Parse(results.BenchFile, []byte("harness-run: "+results.SafeName(m.RunID)+"\n"))
	if err != nil {
		return nil
	}
	return set
}
