package cli

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/perfharness/harness/harness/compare"
	"github.com/perfharness/harness/harness/host"
	"github.com/perfharness/harness/harness/results"
)

func cmdCompare(ctx context.Context, e *env, args []string) int {
	fs := e.flags()
	format := fs.String("format", "text", "output `format`: text, md or csv")
	opts := compareFlags(e, fs)
	pos, code, ok := e.parse(fs, args, 2, 2)
	if !ok {
		return code
	}
	if *format != "text" && *format != "md" && *format != "csv" {
		return e.usageError(fs, "--format must be text, md or csv (got %q)", *format)
	}
	co := opts()
	if err := co.Validate(); err != nil {
		return e.usageError(fs, "%v", err)
	}
	if co.Col != "" {
		// The columns are the two sides; put a dimension in rows or tables.
		return e.usageError(fs, "--col does not apply: the columns are the two runs (use --row or --table to split by %s)", co.Col)
	}
	var sets [2]*compare.Set
	var hosts [2]*host.Fingerprint
	for i, p := range pos {
		s, fp, err := loadSide(p)
		if err != nil {
			e.errorf("%v", err)
			return ExitUsage
		}
		sets[i], hosts[i] = s, fp
	}
	var warnings []string
	if hosts[0] != nil && hosts[1] != nil {
		if diff := host.Compare(*hosts[0], *hosts[1]); len(diff) > 0 {
			warnings = append(warnings, "WARNING: the two runs were measured on different hosts; differences below may be the hardware's, not the code's:")
			for _, d := range diff {
				warnings = append(warnings, "  "+d)
			}
		}
	}
	rep, err := compare.PairReport(sets[0], sets[1], co)
	if err != nil {
		e.errorf("%v", err)
		return ExitUsage
	}
	for _, w := range warnings {
		fmt.Fprintf(e.stderr, "harness: %s\n", w)
	}
	switch *format {
	case "text":
		for _, w := range warnings {
			fmt.Fprintln(e.stdout, w)
		}
		if len(warnings) > 0 {
			fmt.Fprintln(e.stdout)
		}
		err = rep.WriteText(e.stdout)
	case "md":
		for _, w := range warnings {
			fmt.Fprintf(e.stdout, "> **%s**\n", compare.MarkdownEscape(strings.TrimSpace(w)))
		}
		if len(warnings) > 0 {
			fmt.Fprintln(e.stdout)
		}
		err = rep.WriteMarkdown(e.stdout)
	case "csv":
		err = rep.WriteCSV(e.stdout)
	}
	if err != nil {
		e.errorf("%v", err)
		return ExitUsage
	}
	if len(rep.Tables) == 0 {
		fmt.Fprintf(e.stderr, "harness: warning: no benchmark appears in both runs\n")
	}
	return ExitOK
}

// loadSide reads a results folder (with its host fingerprint) or a plain
// bench.txt file.
func loadSide(path string) (*compare.Set, *host.Fingerprint, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	if !fi.IsDir() {
		s, err := compare.LoadFiles(path)
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
	s, err := compare.LoadResults(path)
	if err != nil {
		return nil, nil, err
	}
	return s, &m.Host, nil
}
