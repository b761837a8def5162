package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/perfharness/harness/harness/gate"
	"github.com/perfharness/harness/harness/verify"
)

// cmdTrend renders the history of a spec's benchmarks across stored runs,
// from their results folders alone: trend.md (a summary table with a
// sparkline per series, then per-series tables where something happened),
// trend.csv (every point) and trend.json.
func cmdTrend(ctx context.Context, e *env, args []string) error {
	fs := e.flags()
	o := verify.TrendOptions{Log: e.log}
	fs.StringVar(&o.Spec, "spec", "", "spec name to follow (default: the newest run's)")
	fs.StringVar(&o.Host, "host", "", "host id to follow (default: the newest run's; runs on other hosts are left out and listed)")
	fs.IntVar(&o.Last, "last", 30, "the most recent N runs (0: all)")
	fs.IntVar(&o.Segment, "segment", gate.DefaultSegment, "fewest runs with data on each side of a change point")
	metrics := fs.String("metrics", "", "comma list of metrics to show in trend.md (default: the gated ones)")
	fs.StringVar(&o.Out, "out", filepath.Join("reports", "trend"), "folder for trend.md, trend.csv, trend.json and plots/")
	gf := addGateFlags(fs)
	var err error
	if o.Sources, err = e.parse(fs, args, 1, -1); err != nil {
		return err
	}
	if err := e.refuseZero(fs, "alpha", "segment"); err != nil {
		return err
	}
	for _, u := range strings.Split(*metrics, ",") {
		if u = strings.TrimSpace(u); u != "" {
			o.Metrics = append(o.Metrics, u)
		}
	}
	o.Overrides = gf.overrides()
	if err := o.Validate(); err != nil {
		return e.usage("%v", err)
	}
	tr, err := verify.Trend(o)
	if err != nil {
		return e.verifyErr(err)
	}
	changes, gaps := 0, 0
	for _, s := range tr.Series {
		changes += s.Changes
		gaps += s.Gaps
	}
	fmt.Fprintf(e.stdout, "trend of %s on %s: %d runs, %d series, %d change points, %d gaps; %d stored runs left out\n",
		tr.Spec, tr.HostID, len(tr.Runs), len(tr.Series), changes, gaps, len(tr.Skipped))
	fmt.Fprintf(e.stdout, "wrote %s and %d plots in %s\n", strings.Join(tr.Files, ", "), tr.Plots, filepath.Join(o.Out, "plots"))
	return nil
}
