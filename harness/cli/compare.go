package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/perfharness/harness/harness/compare"
)

func cmdCompare(ctx context.Context, e *env, args []string) error {
	fs := e.flags()
	format := fs.String("format", "text", "output `format`: text, md or csv")
	opts := compareFlags(fs)
	pos, err := e.parse(fs, args, 2, 2)
	if err != nil {
		return err
	}
	if *format != "text" && *format != "md" && *format != "csv" {
		return e.usage("--format must be text, md or csv (got %q)", *format)
	}
	co := opts()
	if err := co.Validate(); err != nil {
		return e.usage("%v", err)
	}
	if co.Col != "" {
		// The columns are the two sides; put a dimension in rows or tables.
		return e.usage("--col does not apply: the columns are the two runs (use --row or --table to split by %s)", co.Col)
	}
	rep, hostDiffs, err := compare.LoadSides(pos[0], pos[1], co)
	if err != nil {
		return usageErr(err)
	}
	var warnings []string
	if len(hostDiffs) > 0 {
		warnings = append(warnings, "WARNING: the two runs were measured on different hosts; differences below may be the hardware's, not the code's:")
		for _, d := range hostDiffs {
			warnings = append(warnings, "  "+d)
		}
	}
	for _, w := range warnings {
		e.logf("%s", w)
	}
	if err := writeComparison(e, rep, *format, warnings); err != nil {
		return usageErr(err)
	}
	if len(rep.Tables) == 0 {
		e.logf("warning: no benchmark appears in both runs")
	}
	return nil
}

// writeComparison prints the tables in format, led by the warnings.
func writeComparison(e *env, rep *compare.Report, format string, warnings []string) error {
	switch format {
	case "text":
		for _, w := range warnings {
			fmt.Fprintln(e.stdout, w)
		}
		if len(warnings) > 0 {
			fmt.Fprintln(e.stdout)
		}
		return rep.WriteText(e.stdout)
	case "md":
		for _, w := range warnings {
			fmt.Fprintf(e.stdout, "> **%s**\n", compare.MarkdownEscape(strings.TrimSpace(w)))
		}
		if len(warnings) > 0 {
			fmt.Fprintln(e.stdout)
		}
		return rep.WriteMarkdown(e.stdout)
	}
	return rep.WriteCSV(e.stdout)
}
