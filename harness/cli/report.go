package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/perfharness/harness/harness/compare"
	"github.com/perfharness/harness/harness/report"
)

// compareFlags adds benchstat's table options to a command.
func compareFlags(fs interface {
	String(name, value, usage string) *string
	Float64(name string, value float64, usage string) *float64
}) func() compare.Options {
	col := fs.String("col", "", "split columns by `projection` (benchstat syntax; default: the configuration keys that vary)")
	row := fs.String("row", "", "split rows by `projection` (default .fullname)")
	table := fs.String("table", "", "split tables by `projection` (default .config)")
	filter := fs.String("filter", "", "use only results matching benchstat `query` (e.g. '.unit:(sec/op OR p99-sec)')")
	ignore := fs.String("ignore", "", "configuration `keys` to ignore (comma separated)")
	alpha := fs.Float64("alpha", 0.05, "significance level: a change counts when p ≤ `α`")
	confidence := fs.Float64("confidence", 0.95, "confidence `level` of the intervals")
	return func() compare.Options {
		return compare.Options{Col: *col, Row: *row, Table: *table, Filter: *filter, Ignore: *ignore, Alpha: *alpha, Confidence: *confidence}
	}
}

func cmdReport(ctx context.Context, e *env, args []string) error {
	fs := e.flags()
	reports := fs.String("reports", "reports", "folder for reports/<run-id>/ (nothing is written outside it)")
	noPNG := fs.Bool("no-png", false, "write the plots as SVG only")
	opts := compareFlags(fs)
	pos, err := e.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	co := opts()
	if err := co.Validate(); err != nil {
		return e.usage("%v", err)
	}
	out, err := report.Render(ctx, pos[0], report.Options{ReportsDir: *reports, Compare: co, NoPNG: *noPNG})
	if err != nil {
		return usageErr(fmt.Errorf("report %s: %w", pos[0], err))
	}
	fmt.Fprintf(e.stdout, "%s\n", filepath.Join(out, report.HTMLFile))
	fmt.Fprintf(e.stdout, "%s\n", filepath.Join(out, report.MarkdownFile))
	fmt.Fprintf(e.stdout, "%s\n", filepath.Join(out, report.TextFile))
	if _, err := os.Stat(filepath.Join(out, report.CSVFile)); err == nil {
		fmt.Fprintf(e.stdout, "%s\n", filepath.Join(out, report.CSVFile))
	}
	return nil
}
