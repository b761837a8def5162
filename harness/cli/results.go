package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/perfharness/harness/harness/escape"
	"github.com/perfharness/harness/harness/gate"
	"github.com/perfharness/harness/harness/results"
)

// cmdResults is "harness results list": the runs stored under a results
// folder, newest first, with their spec, host and status.
func cmdResults(ctx context.Context, e *env, args []string) int {
	fs := e.flags()
	root := fs.String("results", "results", "the folder holding results/<run-id>/ folders")
	asJSON := fs.Bool("json", false, "print the list as JSON")
	pos, code, ok := e.parse(fs, args, 1, 1)
	if !ok {
		return code
	}
	if pos[0] != "list" {
		return e.usageError(fs, "unknown subcommand %q (want list)", pos[0])
	}
	stored, warnings, err := loadStored(*root)
	if err != nil {
		e.errorf("%v", err)
		return ExitUsage
	}
	for _, w := range warnings {
		fmt.Fprintf(e.stderr, "harness: warning: %s\n", w)
	}
	sortNewestFirst(stored)
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
			n := cellCounts(s.Manifest)
			ri := gate.Info(s.Path, s.Manifest)
			ri.Status = results.ShownStatus(s.Manifest, hostname)
			out = append(out, entry{RunInfo: ri, Cells: len(s.Manifest.Cells), OK: n.ok, Partial: n.partial, Failed: n.failed,
				Runs: n.runs, ValidRuns: n.valid})
		}
		return e.writeJSON(out)
	}
	if len(stored) == 0 {
		fmt.Fprintf(e.stdout, "no runs stored under %s\n", *root)
		return ExitOK
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tSTARTED\tSPEC\tHOST\tSTATUS\tCELLS OK\tPARTIAL\tRUNS VALID\tSHARD")
	for _, s := range stored {
		m := s.Manifest
		n := cellCounts(m)
		status := results.ShownStatus(m, hostname)
		shard := m.Shard
		if shard == "" {
			shard = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s (%s)\t%s\t%d/%d\t%d\t%d/%d\t%s\n", escape.Line(m.RunID), m.Started.UTC().Format(time.DateTime), escape.Line(m.Name),
			escape.Line(m.Host.ID), escape.Line(gate.HostLabel(m.Host)), escape.Line(string(status)), n.ok, len(m.Cells), n.partial, n.valid, n.runs, escape.Line(shard))
	}
	tw.Flush()
	return ExitOK
}

// counts are a run's cells by outcome and its runs, valid
// (results.Cell.ValidRuns: those whose figures reach bench.txt) and all
// finished.
type counts struct{ ok, partial, failed, valid, runs int }

func cellCounts(m *results.Manifest) counts {
	var n counts
	for _, c := range m.Cells {
		switch {
		case c.Status == results.StatusOK:
			n.ok++
		case c.Status == results.StatusPartial:
			n.partial++
		case c.Status.Failed():
			n.failed++
		}
		n.valid += len(c.ValidRuns())
		for _, r := range c.Runs {
			if r.Finished() {
				n.runs++
			}
		}
	}
	return n
}

// loadStored reads every results folder under root. Folders whose manifest
// does not read are left out with a warning each, not an error: one
// corrupted run must not hide the others.
func loadStored(root string) ([]gate.Stored, []string, error) {
	paths, err := results.ListRuns(root)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("no results folder %s", root)
		}
		return nil, nil, err
	}
	var out []gate.Stored
	var warnings []string
	for _, p := range paths {
		d, err := results.Open(p)
		if err != nil {
			warnings = append(warnings, err.Error())
			continue
		}
		m, err := d.ReadManifest()
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("skipping %s: %v", p, err))
			continue
		}
		out = append(out, gate.Stored{Path: p, Manifest: m})
	}
	return out, warnings, nil
}

func sortNewestFirst(s []gate.Stored) {
	slices.SortStableFunc(s, func(a, b gate.Stored) int {
		return cmp.Or(b.Manifest.Started.Compare(a.Manifest.Started), cmp.Compare(b.Manifest.RunID, a.Manifest.RunID))
	})
}

// openRun opens a run named by a path to its results folder or by its run
// id under root ("latest" is root's latest link).
func openRun(arg, root string) (string, *results.Manifest, error) {
	path := arg
	if fi, err := os.Stat(path); err != nil || !fi.IsDir() {
		if strings.ContainsRune(arg, filepath.Separator) || !filepath.IsLocal(arg) {
			return "", nil, fmt.Errorf("%s: no such results folder", arg)
		}
		path = filepath.Join(root, arg)
		if _, err := os.Stat(path); err != nil {
			return "", nil, fmt.Errorf("no run %q: neither a results folder nor a run id under %s", arg, root)
		}
	}
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	d, err := results.Open(path)
	if err != nil {
		return "", nil, err
	}
	m, err := d.ReadManifest()
	if err != nil {
		return "", nil, err
	}
	return path, m, nil
}
