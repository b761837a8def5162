package cli

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/perfharness/harness/harness/escape"
	"github.com/perfharness/harness/harness/gate"
	"github.com/perfharness/harness/harness/results"
)

// cmdResults is "harness results list": the runs stored under a results
// folder, newest first, with their spec, host and status.
func cmdResults(ctx context.Context, e *env, args []string) error {
	fs := e.flags()
	root := fs.String("results", "results", "the folder holding results/<run-id>/ folders")
	asJSON := fs.Bool("json", false, "print the list as JSON")
	pos, err := e.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if pos[0] != "list" {
		return e.usage("unknown subcommand %q (want list)", pos[0])
	}
	stored, warnings, err := results.List(*root)
	if err != nil {
		return usageErr(err)
	}
	for _, w := range warnings {
		e.logf("warning: %s", w)
	}
	results.SortNewestFirst(stored)
	hostname, _ := os.Hostname()
	if *asJSON {
		type entry struct {
			gate.RunInfo
			Cells     int `json:"cells"`
			OK        int `json:"cells_ok"`
			Partial   int `json:"cells_partial"`
			Failed    int `json:"cells_failed"`
			Runs      int `json:"runs"`
			ValidRuns int `json:"runs_valid"`
		}
		out := []entry{}
		for _, s := range stored {
			n := s.Manifest.Counts()
			ri := gate.Info(s.Path, s.Manifest)
			ri.Status = results.ShownStatus(s.Manifest, hostname)
			out = append(out, entry{RunInfo: ri, Cells: len(s.Manifest.Cells), OK: n.OK, Partial: n.Partial, Failed: n.Failed,
				Runs: n.Runs, ValidRuns: n.ValidRuns})
		}
		return e.writeJSON(out)
	}
	if len(stored) == 0 {
		fmt.Fprintf(e.stdout, "no runs stored under %s\n", *root)
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tSTARTED\tSPEC\tHOST\tSTATUS\tCELLS OK\tPARTIAL\tRUNS VALID\tSHARD")
	for _, s := range stored {
		m := s.Manifest
		n := m.Counts()
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s (%s)\t%s\t%d/%d\t%d\t%d/%d\t%s\n", escape.Line(m.RunID), m.Started.UTC().Format(time.DateTime), escape.Line(m.Name),
			escape.Line(m.Host.ID), escape.Line(m.Host.Label()), escape.Line(string(results.ShownStatus(m, hostname))), n.OK, len(m.Cells), n.Partial, n.ValidRuns, n.Runs, escape.Line(cmp.Or(m.Shard, "-")))
	}
	return tw.Flush()
}
