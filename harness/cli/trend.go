package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/perfharness/harness/harness/compare"
	"github.com/perfharness/harness/harness/gate"
	"github.com/perfharness/harness/harness/report"
	"github.com/perfharness/harness/harness/results"
)

// cmdTrend renders the history of a spec's benchmarks across stored runs,
// from their results folders alone: trend.md (a summary table with a
// sparkline per series, then per-series tables where something happened),
// trend.csv (every point) and trend.json.
func cmdTrend(ctx context.Context, e *env, args []string) int {
	fs := e.flags()
	specName := fs.String("spec", "", "spec name to follow (default: the newest run's)")
	hostID := fs.String("host", "", "host id to follow (default: the newest run's; runs on other hosts are left out and listed)")
	last := fs.Int("last", 30, "the most recent N runs (0: all)")
	metrics := fs.String("metrics", "", "comma list of metrics to show in trend.md (default: the gated ones)")
	out := fs.String("out", filepath.Join("reports", "trend"), "folder for trend.md, trend.csv, trend.json and plots/")
	segment := fs.Int("segment", gate.DefaultSegment, "fewest runs with data on each side of a change point")
	gf := addGateFlags(fs)
	pos, code, ok := e.parse(fs, args, 1, -1)
	if !ok {
		return code
	}
	var stored []gate.Stored
	for _, p := range pos {
		if _, err := os.Stat(filepath.Join(p, results.ManifestFile)); err == nil {
			path, m, err := openRun(p, filepath.Dir(p))
			if err != nil {
				e.errorf("%v", err)
				return ExitUsage
			}
			stored = append(stored, gate.Stored{Path: path, Manifest: m})
			continue
		}
		found, warnings, err := loadStored(p)
		if err != nil {
			e.errorf("%v", err)
			return ExitUsage
		}
		for _, w := range warnings {
			fmt.Fprintf(e.stderr, "harness: warning: %s\n", w)
		}
		stored = append(stored, found...)
	}
	seen := map[string]bool{}
	stored = slices.DeleteFunc(stored, func(s gate.Stored) bool { // a run given twice (history and tonight's)
		dup := seen[s.Manifest.RunID]
		seen[s.Manifest.RunID] = true
		return dup
	})
	if len(stored) == 0 {
		e.errorf("no stored runs in %s", strings.Join(pos, ", "))
		return ExitUsage
	}
	history, skipped := gate.SelectHistory(stored, *specName, *hostID, *last)
	if len(history) == 0 {
		e.errorf("no run of spec %q on host %q among %d stored runs", *specName, *hostID, len(stored))
		return ExitUsage
	}
	pol, err := gf.policy(history[len(history)-1].Manifest)
	if err != nil {
		e.errorf("%v", err)
		return ExitUsage
	}
	var runs []gate.TrendRun
	for _, s := range history {
		set, err := compare.LoadResults(s.Path)
		if err != nil {
			// A run that recorded nothing is a gap in every series, not
			// an error: the history must still render.
			fmt.Fprintf(e.stderr, "harness: warning: %s: %v\n", s.Path, err)
			set = emptySet(s.Manifest)
			if set == nil {
				continue
			}
		}
		runs = append(runs, gate.TrendRun{Path: s.Path, Manifest: s.Manifest, Set: set})
	}
	if *segment < 1 {
		return e.usageError(fs, "--segment must be at least 1")
	}
	tr, err := gate.Trend(runs, pol, *segment)
	if err != nil {
		e.errorf("%v", err)
		return ExitIncomplete
	}
	tr.Skipped = append(tr.Skipped, skipped...)
	var units []string
	for _, u := range strings.Split(*metrics, ",") {
		if u = strings.TrimSpace(u); u != "" {
			units = append(units, u)
		}
	}
	var md, csv bytes.Buffer
	if err := tr.WriteMarkdown(&md, units, 0); err != nil {
		e.errorf("%v", err)
		return ExitIncomplete
	}
	if err := tr.WriteCSV(&csv); err != nil {
		e.errorf("%v", err)
		return ExitIncomplete
	}
	js, err := json.MarshalIndent(tr, "", "  ")
	if err != nil {
		e.errorf("%v", err)
		return ExitIncomplete
	}
	// One plot per series shown: median and band per run, gaps, change points.
	plots, err := report.TrendPlots(tr, tr.Shown(units), true)
	if err != nil {
		e.errorf("plotting the trend: %v", err)
		return ExitIncomplete
	}
	pngs := map[string][]byte{}
	if len(plots) > 0 {
		fmt.Fprintf(&md, "\n## Plots\n\n")
	}
	for _, p := range plots {
		pngs[p.Name+".png"] = p.PNG
		fmt.Fprintf(&md, "![%s](plots/%s.png)\n\n%s\n\n", compare.MarkdownEscape(p.Title), p.Name, compare.MarkdownEscape(p.Caption))
	}
	plotDir := filepath.Join(*out, "plots")
	os.RemoveAll(plotDir) // plots of an earlier trend that may no longer apply
	if err := errors.Join(writeInto(plotDir, pngs),
		writeInto(*out, map[string][]byte{"trend.md": md.Bytes(), "trend.csv": csv.Bytes(), "trend.json": append(js, '\n')})); err != nil {
		e.errorf("writing the trend: %v", err)
		return ExitIncomplete
	}
	changes, gaps := 0, 0
	for _, s := range tr.Series {
		changes += s.Changes
		gaps += s.Gaps
	}
	fmt.Fprintf(e.stdout, "trend of %s on %s: %d runs, %d series, %d change points, %d gaps; %d stored runs left out\n",
		tr.Spec, tr.HostID, len(tr.Runs), len(tr.Series), changes, gaps, len(tr.Skipped))
	fmt.Fprintf(e.stdout, "wrote %s, %s, %s and %d plots in %s\n", filepath.Join(*out, "trend.md"), filepath.Join(*out, "trend.csv"), filepath.Join(*out, "trend.json"), len(plots), plotDir)
	return ExitOK
}

// emptySet stands for a run with no results: a bench.txt with its run key
// only, so every series shows a gap there.
func emptySet(m *results.Manifest) *compare.Set {
	dir, err := os.MkdirTemp("", "harness-trend-")
	if err != nil {
		return nil
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, results.BenchFile)
	if os.WriteFile(file, []byte("harness-run: "+results.SafeName(m.RunID)+"\n"), 0o644) != nil {
		return nil
	}
	set, err := compare.LoadFiles(file)
	if err != nil {
		return nil
	}
	return set
}
